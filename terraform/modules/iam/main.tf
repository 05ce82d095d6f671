# Roles of the Fuel Flow workloads, mirroring cloudformation/iam-roles.yaml. Least privilege
# (DECISIONS 5): no "*" action on "*" resource; S3 only on the project's buckets; logs only on the
# project's log groups; the database secret only through the RDS-managed secret of this environment's DB.

data "aws_caller_identity" "current" {}

data "aws_partition" "current" {}

data "aws_region" "current" {}

locals {
  partition  = data.aws_partition.current.partition
  account_id = data.aws_caller_identity.current.account_id
  region     = data.aws_region.current.name

  # Names shared with the other modules (docs/contract.md).
  db_instance_arn = "arn:${local.partition}:rds:${local.region}:${local.account_id}:db:${var.project_name}-db-${var.environment}"
  log_group_arns = [for g in ["apache/access", "apache/error", "system"] :
    "arn:${local.partition}:logs:${local.region}:${local.account_id}:log-group:/${var.project_name}/${var.environment}/${g}"
  ]
  agent_config_parameter_arn = "arn:${local.partition}:ssm:${local.region}:${local.account_id}:parameter/${var.project_name}/${var.environment}/cloudwatch-agent"

  s3_read_write_statements = [
    {
      Sid      = "ListFuelFlowBuckets"
      Effect   = "Allow"
      Action   = ["s3:ListBucket", "s3:GetBucketLocation"]
      Resource = values(var.bucket_arns)
    },
    # DECISIONS 17.3: application data read/write/delete; backups read and add, never delete (versioned: an
    # overwrite keeps the old version); the logs bucket only under app/, never the access logs. The logs and
    # backups bucket policies also deny these roles any delete.
    {
      Sid      = "ReadWriteAppDataObjects"
      Effect   = "Allow"
      Action   = ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"]
      Resource = "${var.bucket_arns["app_data"]}/*"
    },
    {
      Sid      = "ReadAndAddBackups"
      Effect   = "Allow"
      Action   = ["s3:GetObject", "s3:PutObject"]
      Resource = "${var.bucket_arns["backups"]}/*"
    },
    {
      Sid      = "WriteOwnLogPrefix"
      Effect   = "Allow"
      Action   = "s3:PutObject"
      Resource = "${var.bucket_arns["logs"]}/app/*"
    },
  ]
}

# --- EC2 web tier ------------------------------------------------------------------------------------

resource "aws_iam_role" "ec2" {
  name        = "${var.project_name}-ec2-role-${var.environment}"
  description = "Fuel Flow web servers; S3 fuel-flow buckets, own log groups, DB secret, SSM Session Manager."

  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Principal = { Service = "ec2.amazonaws.com" }
      Action    = "sts:AssumeRole"
    }]
  })

  tags = {
    Name = "${var.project_name}-ec2-role-${var.environment}"
  }
}

resource "aws_iam_role_policy" "ec2_s3" {
  name   = "fuel-flow-buckets-read-write"
  role   = aws_iam_role.ec2.id
  policy = jsonencode({ Version = "2012-10-17", Statement = local.s3_read_write_statements })
}

# What the CloudWatch agent does with a logs-only configuration, on the three groups it ships to (they
# exist: no logs:CreateLogGroup, and no retention change from the instance).
resource "aws_iam_role_policy" "ec2_logs" {
  name = "fuel-flow-logs-write"
  role = aws_iam_role.ec2.id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Sid      = "WriteOwnLogGroups"
      Effect   = "Allow"
      Action   = ["logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"]
      Resource = flatten([for arn in local.log_group_arns : [arn, "${arn}:log-stream:*"]])
    }]
  })
}

# `amazon-cloudwatch-agent-ctl -a fetch-config -c ssm:<name>` reads this one parameter.
resource "aws_iam_role_policy" "ec2_agent_config" {
  name = "fuel-flow-cloudwatch-agent-config"
  role = aws_iam_role.ec2.id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Sid      = "ReadAgentConfiguration"
      Effect   = "Allow"
      Action   = "ssm:GetParameter"
      Resource = local.agent_config_parameter_arn
    }]
  })
}

# RDS names its managed master secret rds!db-<uuid> and tags it with the DB ARN: the tag condition
# limits the role to this environment's database secret.
resource "aws_iam_role_policy" "ec2_db_secret" {
  name = "fuel-flow-db-secret-read"
  role = aws_iam_role.ec2.id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Sid      = "ReadDatabaseSecret"
      Effect   = "Allow"
      Action   = ["secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret"]
      Resource = ["arn:${local.partition}:secretsmanager:${local.region}:${local.account_id}:secret:rds!db-*"]
      Condition = {
        StringEquals = { "secretsmanager:ResourceTag/aws:rds:primaryDBInstanceArn" = local.db_instance_arn }
      }
    }]
  })
}

resource "aws_iam_role_policy_attachment" "ec2_ssm" {
  role       = aws_iam_role.ec2.name
  policy_arn = "arn:${local.partition}:iam::aws:policy/AmazonSSMManagedInstanceCore"
}

resource "aws_iam_instance_profile" "ec2" {
  name = "${var.project_name}-ec2-profile-${var.environment}"
  role = aws_iam_role.ec2.name
}

# --- RDS enhanced monitoring -------------------------------------------------------------------------

resource "aws_iam_role" "rds_monitoring" {
  name        = "${var.project_name}-rds-monitoring-role-${var.environment}"
  description = "Lets RDS enhanced monitoring publish OS metrics of the Fuel Flow database to CloudWatch Logs."

  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Principal = { Service = "monitoring.rds.amazonaws.com" }
      Action    = "sts:AssumeRole"
      Condition = { StringEquals = { "aws:SourceAccount" = local.account_id } }
    }]
  })

  tags = {
    Name = "${var.project_name}-rds-monitoring-role-${var.environment}"
  }
}

resource "aws_iam_role_policy_attachment" "rds_monitoring" {
  role       = aws_iam_role.rds_monitoring.name
  policy_arn = "arn:${local.partition}:iam::aws:policy/service-role/AmazonRDSEnhancedMonitoringRole"
}

# --- Lambda ------------------------------------------------------------------------------------------

resource "aws_iam_role" "lambda" {
  name        = "${var.project_name}-lambda-role-${var.environment}"
  description = "Fuel Flow data-processing functions; basic execution (own logs) and the fuel-flow buckets."

  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Principal = { Service = "lambda.amazonaws.com" }
      Action    = "sts:AssumeRole"
      # Confused-deputy guard (DECISIONS 17.2): Lambda passes aws:SourceAccount when it assumes an execution
      # role. The EC2 role has none: EC2 passes neither key for an instance profile.
      Condition = { StringEquals = { "aws:SourceAccount" = local.account_id } }
    }]
  })

  tags = {
    Name = "${var.project_name}-lambda-role-${var.environment}"
  }
}

resource "aws_iam_role_policy_attachment" "lambda_basic" {
  role       = aws_iam_role.lambda.name
  policy_arn = "arn:${local.partition}:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"
}

resource "aws_iam_role_policy" "lambda_s3" {
  name   = "fuel-flow-buckets-read-write"
  role   = aws_iam_role.lambda.id
  policy = jsonencode({ Version = "2012-10-17", Statement = local.s3_read_write_statements })
}
