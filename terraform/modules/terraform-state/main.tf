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
