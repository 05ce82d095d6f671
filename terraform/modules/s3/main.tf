# Three buckets (app-data, logs, backups), mirroring cloudformation/s3-buckets.yaml.
# Every bucket: public access blocked, SSE-S3 (AES256), ownership enforced (ACLs off), TLS-only policy.
# app-data and backups are versioned and log their access into the logs bucket; logs expire.
#
# Retention: buckets are never emptied by Terraform (force_destroy = false), so `terraform destroy`
# fails on a bucket that still holds objects instead of deleting data. `prevent_destroy` cannot depend
# on a variable; the fuelflow tool keeps data on destroy by removing non-empty buckets from the state
# (`terraform state rm`) rather than deleting them.

data "aws_caller_identity" "current" {}

data "aws_partition" "current" {}

data "aws_region" "current" {}

locals {
  # <project>-<purpose>-<env>-<account>-<region> (docs/contract.md): globally unique and readable.
  # Names and ARNs are computed here, not read back from the buckets, so that every policy is known
  # at plan time and a plan shows its real content.
  bucket_suffix = "${var.environment}-${data.aws_caller_identity.current.account_id}-${data.aws_region.current.name}"
  bucket_names = {
    app_data = "${var.project_name}-app-data-${local.bucket_suffix}"
    logs     = "${var.project_name}-logs-${local.bucket_suffix}"
    backups  = "${var.project_name}-backups-${local.bucket_suffix}"
  }
  bucket_arns = { for k, name in local.bucket_names : k => "arn:${data.aws_partition.current.partition}:s3:::${name}" }
}

# --- app-data ----------------------------------------------------------------------------------------

resource "aws_s3_bucket" "app_data" {
  #checkov:skip=CKV_AWS_144:Cross-region replication is not part of the design (cost); S3 gives 11 nines durability and versioning protects against overwrites.
  #checkov:skip=CKV_AWS_145:SSE-S3 (AES256) is the documented encryption (architecture overview, DECISIONS 5); a customer-managed KMS key adds cost and key management without a requirement for it.
  #checkov:skip=CKV2_AWS_62:No consumer of S3 event notifications exists in the design.
  bucket        = local.bucket_names.app_data
  force_destroy = false

  tags = {
    Name = "${var.project_name}-app-data-${var.environment}"
  }
}

resource "aws_s3_bucket_versioning" "app_data" {
  bucket = aws_s3_bucket.app_data.id

  versioning_configuration {
    status = "Enabled"
  }
}

resource "aws_s3_bucket_server_side_encryption_configuration" "app_data" {
  bucket = aws_s3_bucket.app_data.id

  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm = "AES256"
    }
  }
}

resource "aws_s3_bucket_public_access_block" "app_data" {
  bucket = aws_s3_bucket.app_data.id

  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

resource "aws_s3_bucket_ownership_controls" "app_data" {
  bucket = aws_s3_bucket.app_data.id

  rule {
    object_ownership = "BucketOwnerEnforced"
  }
}

resource "aws_s3_bucket_policy" "app_data" {
  bucket = aws_s3_bucket.app_data.id
  policy = jsonencode({
    Version   = "2012-10-17"
    Statement = [local.deny_insecure_transport["app_data"]]
  })

  depends_on = [aws_s3_bucket_public_access_block.app_data]
}

# No rule expires application data; parts of uploads never completed are removed, as in the other two buckets.
resource "aws_s3_bucket_lifecycle_configuration" "app_data" {
  bucket = aws_s3_bucket.app_data.id

  rule {
    id     = "abort-incomplete-multipart-uploads"
    status = "Enabled"

    filter {}

    abort_incomplete_multipart_upload {
      days_after_initiation = var.abort_incomplete_multipart_upload_days
    }
  }

  depends_on = [aws_s3_bucket_versioning.app_data]
}

resource "aws_s3_bucket_logging" "app_data" {
  bucket        = aws_s3_bucket.app_data.id
  target_bucket = aws_s3_bucket.logs.bucket
  target_prefix = "access-logs/app-data/"

  depends_on = [aws_s3_bucket_policy.logs]
}

# --- logs --------------------------------------------------------------------------------------------

resource "aws_s3_bucket" "logs" {
  #checkov:skip=CKV_AWS_18:This is the access-log target bucket; logging it into itself would log its own log deliveries forever.
  #checkov:skip=CKV_AWS_21:Log objects are written once and expire after log_expiration_days; versioning would keep expired logs as noncurrent versions (DECISIONS 5: versioning on app-data and backups).
  #checkov:skip=CKV_AWS_144:Cross-region replication of expiring logs is not part of the design (cost).
  #checkov:skip=CKV_AWS_145:S3 server access logging only delivers to SSE-S3 (AES256) buckets, not SSE-KMS.
  #checkov:skip=CKV2_AWS_62:No consumer of S3 event notifications exists in the design.
  bucket        = local.bucket_names.logs
  force_destroy = false

  tags = {
    Name = "${var.project_name}-logs-${var.environment}"
  }
}

resource "aws_s3_bucket_server_side_encryption_configuration" "logs" {
  bucket = aws_s3_bucket.logs.id

  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm = "AES256"
    }
  }
}

resource "aws_s3_bucket_public_access_block" "logs" {
  bucket = aws_s3_bucket.logs.id

  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

resource "aws_s3_bucket_ownership_controls" "logs" {
  bucket = aws_s3_bucket.logs.id

  rule {
    object_ownership = "BucketOwnerEnforced"
  }
}

# With ACLs disabled (BucketOwnerEnforced) the logging service is authorised by bucket policy,
# restricted to the two source buckets of this account.
resource "aws_s3_bucket_policy" "logs" {
  bucket = aws_s3_bucket.logs.id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      local.deny_insecure_transport["logs"],
      {
        Sid       = "AllowS3ServerAccessLogs"
        Effect    = "Allow"
        Principal = { Service = "logging.s3.amazonaws.com" }
        Action    = "s3:PutObject"
        Resource  = "${local.bucket_arns.logs}/access-logs/*"
        Condition = {
          StringEquals = { "aws:SourceAccount" = data.aws_caller_identity.current.account_id }
          ArnLike      = { "aws:SourceArn" = [local.bucket_arns.app_data, local.bucket_arns.backups] }
        }
      },
      # ALB access logs (web.load_balancer): Elastic Load Balancing writes under alb/<env>/AWSLogs/<account>/.
      # Granted whether or not the environment has a load balancer, so switching it on needs no S3 change.
      {
        Sid    = "AllowAlbAccessLogs"
        Effect = "Allow"
        Principal = (
          contains(keys(local.elb_log_delivery_accounts), data.aws_region.current.name)
          ? { AWS = "arn:${data.aws_partition.current.partition}:iam::${local.elb_log_delivery_accounts[data.aws_region.current.name]}:root" }
          : { Service = "logdelivery.elasticloadbalancing.amazonaws.com" }
        )
        Action   = "s3:PutObject"
        Resource = "${local.bucket_arns.logs}/alb/${var.environment}/AWSLogs/${data.aws_caller_identity.current.account_id}/*"
      },
      # DECISIONS 17.3: what the application runs as can never delete or overwrite the access logs.
      {
        Sid       = "DenyApplicationRolesDeletingLogs"
        Effect    = "Deny"
        Principal = "*"
        Action    = ["s3:DeleteObject", "s3:DeleteObjectVersion"]
        Resource  = "${local.bucket_arns.logs}/*"
        Condition = local.application_roles_condition
      },
      {
        Sid       = "DenyApplicationRolesOverwritingAccessLogs"
        Effect    = "Deny"
        Principal = "*"
        Action    = "s3:PutObject"
        Resource  = ["${local.bucket_arns.logs}/access-logs/*", "${local.bucket_arns.logs}/alb/*"]
        Condition = local.application_roles_condition
      },
    ]
  })

  depends_on = [aws_s3_bucket_public_access_block.logs]
}

resource "aws_s3_bucket_lifecycle_configuration" "logs" {
  bucket = aws_s3_bucket.logs.id

  rule {
    id     = "expire-logs"
    status = "Enabled"

    filter {}

    expiration {
      days = var.log_expiration_days
    }
  }

  rule {
    id     = "abort-incomplete-multipart-uploads"
    status = "Enabled"

    filter {}

    abort_incomplete_multipart_upload {
      days_after_initiation = var.abort_incomplete_multipart_upload_days
    }
  }
}

# --- backups -----------------------------------------------------------------------------------------

resource "aws_s3_bucket" "backups" {
  #checkov:skip=CKV_AWS_144:Cross-region replication is not part of the design (cost); versioning plus noncurrent-version retention protect the backups.
  #checkov:skip=CKV_AWS_145:SSE-S3 (AES256) is the documented encryption (architecture overview, DECISIONS 5); a customer-managed KMS key adds cost and key management without a requirement for it.
  #checkov:skip=CKV2_AWS_62:No consumer of S3 event notifications exists in the design.
  bucket        = local.bucket_names.backups
  force_destroy = false

  tags = {
    Name = "${var.project_name}-backups-${var.environment}"
  }
}

resource "aws_s3_bucket_versioning" "backups" {
  bucket = aws_s3_bucket.backups.id

  versioning_configuration {
    status = "Enabled"
  }
}

resource "aws_s3_bucket_server_side_encryption_configuration" "backups" {
  bucket = aws_s3_bucket.backups.id

  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm = "AES256"
    }
  }
}

resource "aws_s3_bucket_public_access_block" "backups" {
  bucket = aws_s3_bucket.backups.id

  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

resource "aws_s3_bucket_ownership_controls" "backups" {
  bucket = aws_s3_bucket.backups.id

  rule {
    object_ownership = "BucketOwnerEnforced"
  }
}

resource "aws_s3_bucket_policy" "backups" {
  bucket = aws_s3_bucket.backups.id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      local.deny_insecure_transport["backups"],
      # DECISIONS 17.3: the application roles add backups but can never delete one (or a version of one).
      {
        Sid       = "DenyApplicationRolesDeletingBackups"
        Effect    = "Deny"
        Principal = "*"
        Action    = ["s3:DeleteObject", "s3:DeleteObjectVersion"]
        Resource  = "${local.bucket_arns.backups}/*"
        Condition = local.application_roles_condition
      },
    ]
  })

  depends_on = [aws_s3_bucket_public_access_block.backups]
}

resource "aws_s3_bucket_logging" "backups" {
  bucket        = aws_s3_bucket.backups.id
  target_bucket = aws_s3_bucket.logs.bucket
  target_prefix = "access-logs/backups/"

  depends_on = [aws_s3_bucket_policy.logs]
}

resource "aws_s3_bucket_lifecycle_configuration" "backups" {
  bucket = aws_s3_bucket.backups.id

  rule {
    id     = "expire-noncurrent-versions"
    status = "Enabled"

    filter {}

    noncurrent_version_expiration {
      noncurrent_days = var.noncurrent_version_expiration_days
    }
  }

  rule {
    id     = "abort-incomplete-multipart-uploads"
    status = "Enabled"

    filter {}

    abort_incomplete_multipart_upload {
      days_after_initiation = 7
    }
  }

  # A lifecycle rule on versions needs versioning in place first.
  depends_on = [aws_s3_bucket_versioning.backups]
}

locals {
  # Elastic Load Balancing's log-delivery account per region, for regions opened before August 2022 (AWS docs,
  # "Enable access logs for your Application Load Balancer"); every other region delivers as the service
  # principal logdelivery.elasticloadbalancing.amazonaws.com. cloudformation/s3-buckets.yaml holds the same
  # table (Mappings ElbLogDeliveryAccount); tests/test_web_tier.py keeps the two equal.
  elb_log_delivery_accounts = {
    "us-east-1"      = "127311923021"
    "us-east-2"      = "033677994240"
    "us-west-1"      = "027434742980"
    "us-west-2"      = "797873946194"
    "af-south-1"     = "098369216593"
    "ap-east-1"      = "754344448648"
    "ap-southeast-3" = "589379963580"
    "ap-south-1"     = "718504428378"
    "ap-northeast-3" = "383597477331"
    "ap-northeast-2" = "600734575887"
    "ap-southeast-1" = "114774131450"
    "ap-southeast-2" = "783225319266"
    "ap-northeast-1" = "582318560864"
    "ca-central-1"   = "985666609251"
    "eu-central-1"   = "054676820928"
    "eu-west-1"      = "156460612806"
    "eu-west-2"      = "652711504416"
    "eu-south-1"     = "635631232127"
    "eu-west-3"      = "009996457667"
    "eu-north-1"     = "897822967062"
    "me-south-1"     = "076674570225"
    "sa-east-1"      = "507241528517"
    "us-gov-west-1"  = "048591011584"
    "us-gov-east-1"  = "190560391635"
  }
}

# --- shared policy statement -------------------------------------------------------------------------

locals {
  # What the application runs as: the EC2 and Lambda roles (names per docs/contract.md), matched by
  # aws:PrincipalArn because the iam module creates them after these buckets (a Principal must exist).
  application_roles_condition = {
    ArnLike = { "aws:PrincipalArn" = [
      for r in ["ec2", "lambda"] :
      "arn:${data.aws_partition.current.partition}:iam::${data.aws_caller_identity.current.account_id}:role/${var.project_name}-${r}-role-${var.environment}"
    ] }
  }

  # Deny any request that does not use TLS (DECISIONS 5), one statement per bucket.
  deny_insecure_transport = {
    for name, arn in local.bucket_arns :
    name => {
      Sid       = "DenyInsecureTransport"
      Effect    = "Deny"
      Principal = "*"
      Action    = "s3:*"
      Resource  = [arn, "${arn}/*"]
      Condition = { Bool = { "aws:SecureTransport" = "false" } }
    }
  }
}
