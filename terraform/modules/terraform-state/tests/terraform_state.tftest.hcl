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

run "lock_table_throttling_alarm_on_its_own_topic" {
  command = plan

  variables {
    alarm_emails = ["ops@example.com"]
  }

  # The topic's ARN is known only after apply; the policy that names it is checked with this one.
  override_resource {
    target          = aws_sns_topic.alerts
    override_during = plan
    values = {
      arn = "arn:aws:sns:us-east-1:123456789012:fuel-flow-tfstate-dev-alerts"
    }
  }

  override_resource {
    target          = aws_kms_key.alerts
    override_during = plan
    values = {
      arn = "arn:aws:kms:us-east-1:123456789012:key/11111111-2222-3333-4444-555555555555"
    }
  }

  assert {
    condition     = aws_cloudwatch_metric_alarm.lock_throttled.alarm_name == "fuel-flow-tflock-dev-throttled"
    error_message = "The lock table's alarm must be named <lock table>-throttled."
  }

  assert {
    condition = (
      toset([for q in aws_cloudwatch_metric_alarm.lock_throttled.metric_query : one(q.metric).metric_name if length(q.metric) > 0]) == toset(["ReadThrottleEvents", "WriteThrottleEvents"]) &&
      alltrue([for q in aws_cloudwatch_metric_alarm.lock_throttled.metric_query : one(q.metric).dimensions["TableName"] == "fuel-flow-tflock-dev" && one(q.metric).namespace == "AWS/DynamoDB" if length(q.metric) > 0]) &&
      one([for q in aws_cloudwatch_metric_alarm.lock_throttled.metric_query : q.expression if q.return_data]) == "FILL(reads, 0) + FILL(writes, 0)"
    )
    error_message = "The alarm must sum the lock table's read and write throttle events."
  }

  assert {
    condition = (
      aws_cloudwatch_metric_alarm.lock_throttled.threshold == 1 &&
      aws_cloudwatch_metric_alarm.lock_throttled.comparison_operator == "GreaterThanOrEqualToThreshold" &&
      aws_cloudwatch_metric_alarm.lock_throttled.treat_missing_data == "notBreaching"
    )
    error_message = "One throttled request in 5 minutes must fire the alarm; no requests must not."
  }

  assert {
    condition     = aws_sns_topic.alerts[0].name == "fuel-flow-tfstate-dev-alerts" && length(aws_kms_key.alerts) == 1 && aws_kms_alias.alerts[0].name == "alias/fuel-flow-tfstate-dev-alerts"
    error_message = "Without alarm_topic_arn the module must create its own topic and key."
  }

  assert {
    condition     = aws_kms_key.alerts[0].enable_key_rotation && jsondecode(aws_kms_key.alerts[0].policy).Statement[1].Principal.Service == "cloudwatch.amazonaws.com" && toset(jsondecode(aws_kms_key.alerts[0].policy).Statement[1].Action) == toset(["kms:Decrypt", "kms:GenerateDataKey*"])
    error_message = "The topic's key must rotate and let CloudWatch encrypt notifications."
  }

  assert {
    condition = (
      jsondecode(aws_sns_topic_policy.alerts[0].policy).Statement[0].Principal.Service == "cloudwatch.amazonaws.com" &&
      jsondecode(aws_sns_topic_policy.alerts[0].policy).Statement[0].Resource == "arn:aws:sns:us-east-1:123456789012:fuel-flow-tfstate-dev-alerts" &&
      jsondecode(aws_sns_topic_policy.alerts[0].policy).Statement[2].Effect == "Deny"
    )
    error_message = "Only CloudWatch publishes to the topic, and nothing without TLS."
  }

  assert {
    condition     = aws_sns_topic.alerts[0].kms_master_key_id == "arn:aws:kms:us-east-1:123456789012:key/11111111-2222-3333-4444-555555555555"
    error_message = "The topic must be encrypted with the module's own key."
  }

  assert {
    condition     = jsonencode([for s in aws_sns_topic_subscription.email : s.endpoint]) == jsonencode(["ops@example.com"]) && alltrue([for s in aws_sns_topic_subscription.email : s.protocol == "email"])
    error_message = "alarm_emails must be subscribed to the module's topic by e-mail."
  }

  assert {
    condition     = output.lock_alarm_name == "fuel-flow-tflock-dev-throttled" && jsonencode(output.alarm_email_subscriptions) == jsonencode(["ops@example.com"])
    error_message = "lock_alarm_name must name the alarm, alarm_email_subscriptions the subscribed addresses."
  }
}

run "lock_table_alarm_on_a_given_topic" {
  command = plan

  variables {
    alarm_topic_arn = "arn:aws:sns:us-east-1:123456789012:ops-alerts"
  }

  assert {
    condition = (
      aws_cloudwatch_metric_alarm.lock_throttled.alarm_actions == toset(["arn:aws:sns:us-east-1:123456789012:ops-alerts"]) &&
      aws_cloudwatch_metric_alarm.lock_throttled.ok_actions == toset(["arn:aws:sns:us-east-1:123456789012:ops-alerts"])
    )
    error_message = "With alarm_topic_arn the alarm and OK actions must be that topic."
  }

  assert {
    condition     = length(aws_sns_topic.alerts) == 0 && length(aws_kms_key.alerts) == 0 && length(aws_sns_topic_policy.alerts) == 0 && output.alerts_key_arn == null
    error_message = "With alarm_topic_arn the module must not create a topic or key."
  }

  assert {
    condition     = output.alerts_topic_arn == "arn:aws:sns:us-east-1:123456789012:ops-alerts"
    error_message = "alerts_topic_arn must be the given topic."
  }
}

run "rejects_a_topic_that_is_not_an_sns_arn" {
  command = plan

  variables {
    alarm_topic_arn = "ops-alerts"
  }

  expect_failures = [var.alarm_topic_arn]
}

run "rejects_three_alarm_emails" {
  command = plan

  variables {
    alarm_emails = ["a@example.com", "b@example.com", "c@example.com"]
  }

  expect_failures = [var.alarm_emails]
}

run "rejects_emails_with_a_given_topic" {
  command = plan

  variables {
    alarm_topic_arn = "arn:aws:sns:us-east-1:123456789012:ops-alerts"
    alarm_emails    = ["a@example.com"]
  }

  expect_failures = [var.alarm_emails]
}

run "rejects_zero_throttle_threshold" {
  command = plan

  variables {
    lock_throttle_threshold = 0
  }

  expect_failures = [var.lock_throttle_threshold]
}
