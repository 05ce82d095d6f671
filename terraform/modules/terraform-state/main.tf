# Remote-state backend of the Fuel Flow root module: an S3 bucket for the state and a DynamoDB table
# for locking (DECISIONS 5). Applied on its own by terraform/bootstrap (local state first, then migrated
# into the bucket it creates).
#
# The state bucket is never destroyed by accident: force_destroy = false, and prevent_destroy = true
# makes Terraform refuse any plan that would delete it. Retiring a backend is a deliberate act: remove
# the lifecycle block (or `terraform state rm` the bucket and keep it).

data "aws_caller_identity" "current" {}

data "aws_partition" "current" {}

data "aws_region" "current" {}

locals {
  # docs/contract.md. Computed here so that the bucket policy is known at plan time.
  bucket_name = "${var.project_name}-tfstate-${var.environment}-${data.aws_caller_identity.current.account_id}-${data.aws_region.current.name}"
  bucket_arn  = "arn:${data.aws_partition.current.partition}:s3:::${local.bucket_name}"
  table_name  = "${var.project_name}-tflock-${var.environment}"
}

resource "aws_s3_bucket" "state" {
  #checkov:skip=CKV_AWS_18:No log bucket exists before the bootstrap (it is the first thing applied); state access is audited through CloudTrail.
  #checkov:skip=CKV_AWS_144:Cross-region replication is not part of the design (cost); versioning keeps every earlier state.
  #checkov:skip=CKV_AWS_145:SSE-S3 (AES256) as for every Fuel Flow bucket (DECISIONS 5); a customer-managed KMS key adds cost and key management without a requirement for it.
  #checkov:skip=CKV2_AWS_62:No consumer of S3 event notifications exists in the design.
  bucket        = local.bucket_name
  force_destroy = false

  lifecycle {
    prevent_destroy = true
  }
}

resource "aws_s3_bucket_versioning" "state" {
  bucket = aws_s3_bucket.state.id

  versioning_configuration {
    status = "Enabled"
  }
}

resource "aws_s3_bucket_server_side_encryption_configuration" "state" {
  bucket = aws_s3_bucket.state.id

  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm = "AES256"
    }
  }
}

resource "aws_s3_bucket_public_access_block" "state" {
  bucket = aws_s3_bucket.state.id

  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

resource "aws_s3_bucket_ownership_controls" "state" {
  bucket = aws_s3_bucket.state.id

  rule {
    object_ownership = "BucketOwnerEnforced"
  }
}

resource "aws_s3_bucket_policy" "state" {
  bucket = aws_s3_bucket.state.id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Sid       = "DenyInsecureTransport"
      Effect    = "Deny"
      Principal = "*"
      Action    = "s3:*"
      Resource  = [local.bucket_arn, "${local.bucket_arn}/*"]
      Condition = { Bool = { "aws:SecureTransport" = "false" } }
    }]
  })

  depends_on = [aws_s3_bucket_public_access_block.state]
}

resource "aws_s3_bucket_lifecycle_configuration" "state" {
  bucket = aws_s3_bucket.state.id

  rule {
    id     = "expire-noncurrent-state-versions"
    status = "Enabled"

    filter {}

    noncurrent_version_expiration {
      noncurrent_days = var.noncurrent_version_expiration_days
    }

    abort_incomplete_multipart_upload {
      days_after_initiation = 7
    }
  }

  depends_on = [aws_s3_bucket_versioning.state]
}

resource "aws_dynamodb_table" "lock" {
  #checkov:skip=CKV_AWS_119:Encrypted at rest with the AWS managed key (alias/aws/dynamodb); lock entries hold no secrets, a customer-managed key adds cost without a requirement for it.
  name                        = local.table_name
  billing_mode                = "PAY_PER_REQUEST"
  hash_key                    = "LockID"
  deletion_protection_enabled = var.lock_table_deletion_protection

  attribute {
    name = "LockID"
    type = "S"
  }

  point_in_time_recovery {
    enabled = true
  }

  server_side_encryption {
    enabled = true
  }
}

# --- lock table throttling alarm -------------------------------------------------------------------
# A throttled lock request fails a plan or apply ("Error acquiring the state lock"); on demand it means the
# account's or table's throughput limit was reached. The alarm notifies the state backend's own topic: the
# environment's alert topic lives in the main root, whose state is in this backend, so it cannot exist first.
# alarm_topic_arn points the alarm at a topic that already exists instead (then none is created here).

locals {
  own_topic    = var.alarm_topic_arn == null
  topic_name   = "${var.project_name}-tfstate-${var.environment}-alerts"
  alarm_topics = local.own_topic ? [aws_sns_topic.alerts[0].arn] : [var.alarm_topic_arn]
}

# A key of our own, not alias/aws/sns: CloudWatch publishes to an encrypted topic only when the key policy lets
# cloudwatch.amazonaws.com use it, and the AWS managed key's policy cannot be changed (as the environment's topic).
resource "aws_kms_key" "alerts" {
  count = local.own_topic ? 1 : 0

  description             = "Encrypts the ${local.topic_name} SNS topic; CloudWatch alarms of this account may use it."
  enable_key_rotation     = true
  deletion_window_in_days = 7

  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Sid       = "AccountAdministersTheKey"
        Effect    = "Allow"
        Principal = { AWS = "arn:${data.aws_partition.current.partition}:iam::${data.aws_caller_identity.current.account_id}:root" }
        Action    = "kms:*"
        Resource  = "*"
      },
      {
        Sid       = "CloudWatchAlarmsOfThisAccountPublish"
        Effect    = "Allow"
        Principal = { Service = "cloudwatch.amazonaws.com" }
        Action    = ["kms:Decrypt", "kms:GenerateDataKey*"]
        Resource  = "*"
        Condition = { StringEquals = { "aws:SourceAccount" = data.aws_caller_identity.current.account_id } }
      },
    ]
  })

  tags = {
    Name = local.topic_name
  }
}

resource "aws_kms_alias" "alerts" {
  count = local.own_topic ? 1 : 0

  name          = "alias/${local.topic_name}"
  target_key_id = aws_kms_key.alerts[0].key_id
}

resource "aws_sns_topic" "alerts" {
  count = local.own_topic ? 1 : 0

  name              = local.topic_name
  display_name      = "Fuel Flow ${var.environment} Terraform state alerts"
  kms_master_key_id = aws_kms_key.alerts[0].arn

  tags = {
    Name = local.topic_name
  }
}

# Only this account's CloudWatch alarms publish; the account keeps managing the topic; nothing without TLS.
resource "aws_sns_topic_policy" "alerts" {
  count = local.own_topic ? 1 : 0

  arn = aws_sns_topic.alerts[0].arn

  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Sid       = "CloudWatchAlarmsOfThisAccountPublish"
        Effect    = "Allow"
        Principal = { Service = "cloudwatch.amazonaws.com" }
        Action    = "sns:Publish"
        Resource  = aws_sns_topic.alerts[0].arn
        Condition = {
          StringEquals = { "aws:SourceAccount" = data.aws_caller_identity.current.account_id }
          ArnLike      = { "aws:SourceArn" = "arn:${data.aws_partition.current.partition}:cloudwatch:${data.aws_region.current.name}:${data.aws_caller_identity.current.account_id}:alarm:*" }
        }
      },
      {
        Sid       = "AccountManagesTheTopic"
        Effect    = "Allow"
        Principal = { AWS = "arn:${data.aws_partition.current.partition}:iam::${data.aws_caller_identity.current.account_id}:root" }
        Action    = ["sns:GetTopicAttributes", "sns:SetTopicAttributes", "sns:ListSubscriptionsByTopic", "sns:Subscribe"]
        Resource  = aws_sns_topic.alerts[0].arn
      },
      {
        Sid       = "DenyWithoutTls"
        Effect    = "Deny"
        Principal = "*"
        Action    = "sns:*"
        Resource  = aws_sns_topic.alerts[0].arn
        Condition = { Bool = { "aws:SecureTransport" = "false" } }
      },
    ]
  })
}

resource "aws_sns_topic_subscription" "email" {
  for_each = local.own_topic ? toset(var.alarm_emails) : toset([])

  topic_arn = aws_sns_topic.alerts[0].arn
  protocol  = "email"
  endpoint  = each.value
}

# ReadThrottleEvents / WriteThrottleEvents carry the TableName dimension alone (ThrottledRequests also needs the
# Operation); no requests = no data = not breaching.
resource "aws_cloudwatch_metric_alarm" "lock_throttled" {
  alarm_name          = "${local.table_name}-throttled"
  alarm_description   = "Requests to the Terraform lock table ${local.table_name} were throttled: plans and applies may fail to take the state lock."
  evaluation_periods  = 1
  threshold           = var.lock_throttle_threshold
  comparison_operator = "GreaterThanOrEqualToThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = local.alarm_topics
  ok_actions          = local.alarm_topics

  metric_query {
    id          = "reads"
    return_data = false

    metric {
      namespace   = "AWS/DynamoDB"
      metric_name = "ReadThrottleEvents"
      period      = 300
      stat        = "Sum"
      dimensions  = { TableName = aws_dynamodb_table.lock.name }
    }
  }

  metric_query {
    id          = "writes"
    return_data = false

    metric {
      namespace   = "AWS/DynamoDB"
      metric_name = "WriteThrottleEvents"
      period      = 300
      stat        = "Sum"
      dimensions  = { TableName = aws_dynamodb_table.lock.name }
    }
  }

  metric_query {
    id          = "throttled"
    label       = "Throttled lock-table requests"
    return_data = true
    expression  = "FILL(reads, 0) + FILL(writes, 0)"
  }

  tags = {
    Name = "${local.table_name}-throttled"
  }
}
