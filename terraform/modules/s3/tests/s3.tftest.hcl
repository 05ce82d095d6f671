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
  project_name                       = "fuel-flow"
  environment                        = "dev"
  log_expiration_days                = 90
  noncurrent_version_expiration_days = 30
}

run "buckets_are_named_per_contract" {
  command = plan

  assert {
    condition     = aws_s3_bucket.app_data.bucket == "fuel-flow-app-data-dev-123456789012-us-east-1"
    error_message = "app-data bucket must be named <project>-app-data-<env>-<account>-<region>."
  }

  assert {
    condition     = aws_s3_bucket.logs.bucket == "fuel-flow-logs-dev-123456789012-us-east-1"
    error_message = "logs bucket must be named <project>-logs-<env>-<account>-<region>."
  }

  assert {
    condition     = aws_s3_bucket.backups.bucket == "fuel-flow-backups-dev-123456789012-us-east-1"
    error_message = "backups bucket must be named <project>-backups-<env>-<account>-<region>."
  }

  assert {
    condition     = output.app_data_bucket_arn == "arn:aws:s3:::fuel-flow-app-data-dev-123456789012-us-east-1"
    error_message = "app_data_bucket_arn must be the bucket's ARN."
  }

  assert {
    condition     = !aws_s3_bucket.app_data.force_destroy && !aws_s3_bucket.logs.force_destroy && !aws_s3_bucket.backups.force_destroy
    error_message = "Terraform must never empty a bucket (force_destroy = false)."
  }
}

run "every_bucket_is_private_encrypted_and_owner_enforced" {
  command = plan

  assert {
    condition = alltrue([
      for pab in [aws_s3_bucket_public_access_block.app_data, aws_s3_bucket_public_access_block.logs, aws_s3_bucket_public_access_block.backups] :
      pab.block_public_acls && pab.block_public_policy && pab.ignore_public_acls && pab.restrict_public_buckets
    ])
    error_message = "All four public access block settings must be true on every bucket."
  }

  assert {
    condition = alltrue([
      for sse in [aws_s3_bucket_server_side_encryption_configuration.app_data, aws_s3_bucket_server_side_encryption_configuration.logs, aws_s3_bucket_server_side_encryption_configuration.backups] :
      one([for r in sse.rule : one(r.apply_server_side_encryption_by_default).sse_algorithm]) == "AES256"
    ])
    error_message = "Every bucket must default to SSE-S3 (AES256)."
  }

  assert {
    condition = alltrue([
      for oc in [aws_s3_bucket_ownership_controls.app_data, aws_s3_bucket_ownership_controls.logs, aws_s3_bucket_ownership_controls.backups] :
      oc.rule[0].object_ownership == "BucketOwnerEnforced"
    ])
    error_message = "Every bucket must enforce bucket-owner ownership (ACLs disabled)."
  }

  assert {
    condition     = aws_s3_bucket_versioning.app_data.versioning_configuration[0].status == "Enabled" && aws_s3_bucket_versioning.backups.versioning_configuration[0].status == "Enabled"
    error_message = "app-data and backups must be versioned."
  }
}

run "every_bucket_denies_insecure_transport" {
  command = plan

  assert {
    condition = alltrue([
      for p in [aws_s3_bucket_policy.app_data, aws_s3_bucket_policy.logs, aws_s3_bucket_policy.backups] :
      anytrue([
        for st in jsondecode(p.policy).Statement :
        st.Effect == "Deny" && st.Action == "s3:*" && st.Principal == "*" && try(st.Condition.Bool["aws:SecureTransport"], "") == "false"
      ])
    ])
    error_message = "Every bucket policy must deny s3:* when aws:SecureTransport is false."
  }

  assert {
    condition = anytrue([
      for st in jsondecode(aws_s3_bucket_policy.logs.policy).Statement :
      st.Effect == "Allow" && try(st.Principal.Service, "") == "logging.s3.amazonaws.com" &&
      st.Resource == "arn:aws:s3:::fuel-flow-logs-dev-123456789012-us-east-1/access-logs/*" &&
      try(toset(st.Condition.ArnLike["aws:SourceArn"]), null) == toset([
        "arn:aws:s3:::fuel-flow-app-data-dev-123456789012-us-east-1",
        "arn:aws:s3:::fuel-flow-backups-dev-123456789012-us-east-1",
      ])
    ])
    error_message = "The logs bucket must let the S3 logging service write, for the app-data and backups buckets only."
  }
}

run "access_logging_and_lifecycle" {
  command = plan

  assert {
    condition     = aws_s3_bucket_logging.app_data.target_bucket == aws_s3_bucket.logs.bucket && aws_s3_bucket_logging.app_data.target_prefix == "access-logs/app-data/"
    error_message = "app-data must log its access into the logs bucket under access-logs/app-data/."
  }

  assert {
    condition     = aws_s3_bucket_logging.backups.target_bucket == aws_s3_bucket.logs.bucket && aws_s3_bucket_logging.backups.target_prefix == "access-logs/backups/"
    error_message = "backups must log its access into the logs bucket under access-logs/backups/."
  }

  assert {
    condition     = one([for r in aws_s3_bucket_lifecycle_configuration.logs.rule : r.expiration[0].days if r.id == "expire-logs"]) == 90
    error_message = "Log objects must expire after log_expiration_days."
  }

  assert {
    condition     = one([for r in aws_s3_bucket_lifecycle_configuration.logs.rule : r.abort_incomplete_multipart_upload[0].days_after_initiation if r.id == "abort-incomplete-multipart-uploads"]) == 7
    error_message = "Incomplete multipart uploads to the logs bucket must be aborted after 7 days."
  }

  assert {
    condition     = aws_s3_bucket_lifecycle_configuration.backups.rule[0].noncurrent_version_expiration[0].noncurrent_days == 30
    error_message = "Noncurrent backup versions must expire after noncurrent_version_expiration_days."
  }
}

run "rejects_bad_project_name" {
  command = plan

  variables {
    project_name = "a-project-name-that-is-far-too-long"
  }

  expect_failures = [var.project_name]
}

run "rejects_unknown_environment" {
  command = plan

  variables {
    environment = "Test"
  }

  expect_failures = [var.environment]
}

run "rejects_zero_log_expiration" {
  command = plan

  variables {
    log_expiration_days = 0
  }

  expect_failures = [var.log_expiration_days]
}

run "rejects_fractional_noncurrent_expiration" {
  command = plan

  variables {
    noncurrent_version_expiration_days = 1.5
  }

  expect_failures = [var.noncurrent_version_expiration_days]
}

run "rejects_zero_abort_multipart_days" {
  command = plan

  variables {
    abort_incomplete_multipart_upload_days = 0
  }

  expect_failures = [var.abort_incomplete_multipart_upload_days]
}
