# Offline: mock AWS provider, plan only.

mock_provider "aws" {
  mock_data "aws_caller_identity" {
    defaults = {
      account_id = "123456789012"
    }
  }

  mock_data "aws_region" {
    defaults = {
      name = "us-east-1"
    }
  }

  mock_data "aws_partition" {
    defaults = {
      partition = "aws"
    }
  }
}

variables {
  project_name = "fuel-flow"
  environment  = "dev"
}

run "state_bucket" {
  command = plan

  assert {
    condition     = aws_s3_bucket.state.bucket == "fuel-flow-tfstate-dev-123456789012-us-east-1" && !aws_s3_bucket.state.force_destroy
    error_message = "The state bucket must be named <project>-tfstate-<env>-<account>-<region> and never emptied by Terraform."
  }

  assert {
    condition     = aws_s3_bucket_versioning.state.versioning_configuration[0].status == "Enabled"
    error_message = "The state bucket must be versioned."
  }

  assert {
    condition     = one([for r in aws_s3_bucket_server_side_encryption_configuration.state.rule : one(r.apply_server_side_encryption_by_default).sse_algorithm]) == "AES256"
    error_message = "The state bucket must be encrypted."
  }

  assert {
    condition = (
      aws_s3_bucket_public_access_block.state.block_public_acls && aws_s3_bucket_public_access_block.state.block_public_policy &&
      aws_s3_bucket_public_access_block.state.ignore_public_acls && aws_s3_bucket_public_access_block.state.restrict_public_buckets
    )
    error_message = "The state bucket must block all public access."
  }

  assert {
    condition     = aws_s3_bucket_ownership_controls.state.rule[0].object_ownership == "BucketOwnerEnforced"
    error_message = "The state bucket must enforce bucket-owner ownership."
  }

  assert {
    condition = jsondecode(aws_s3_bucket_policy.state.policy).Statement[0] == {
      Sid       = "DenyInsecureTransport"
      Effect    = "Deny"
      Principal = "*"
      Action    = "s3:*"
      Resource  = ["arn:aws:s3:::fuel-flow-tfstate-dev-123456789012-us-east-1", "arn:aws:s3:::fuel-flow-tfstate-dev-123456789012-us-east-1/*"]
      Condition = { Bool = { "aws:SecureTransport" = "false" } }
    }
    error_message = "The state bucket must deny requests without TLS."
  }

  assert {
    condition     = aws_s3_bucket_lifecycle_configuration.state.rule[0].noncurrent_version_expiration[0].noncurrent_days == 90
    error_message = "Old state versions must expire after noncurrent_version_expiration_days."
  }
}

run "lock_table" {
  command = plan

  assert {
    condition     = aws_dynamodb_table.lock.name == "fuel-flow-tflock-dev" && aws_dynamodb_table.lock.hash_key == "LockID"
    error_message = "The lock table must be <project>-tflock-<env> with hash key LockID."
  }

  assert {
    condition     = one(aws_dynamodb_table.lock.attribute).name == "LockID" && one(aws_dynamodb_table.lock.attribute).type == "S"
    error_message = "LockID must be a string attribute."
  }

  assert {
    condition     = aws_dynamodb_table.lock.billing_mode == "PAY_PER_REQUEST"
    error_message = "The lock table must be on-demand."
  }

  assert {
    condition     = aws_dynamodb_table.lock.point_in_time_recovery[0].enabled && aws_dynamodb_table.lock.server_side_encryption[0].enabled
    error_message = "The lock table needs point-in-time recovery and encryption at rest."
  }

  assert {
    condition     = aws_dynamodb_table.lock.deletion_protection_enabled
    error_message = "The lock table must be protected against deletion by default."
  }
}

run "rejects_bad_project_name" {
  command = plan

  variables {
    project_name = "fuel flow"
  }

  expect_failures = [var.project_name]
}

run "rejects_unknown_environment" {
  command = plan

  variables {
    environment = ""
  }

  expect_failures = [var.environment]
}

run "rejects_zero_noncurrent_expiration" {
  command = plan

  variables {
    noncurrent_version_expiration_days = 0
  }

  expect_failures = [var.noncurrent_version_expiration_days]
}
