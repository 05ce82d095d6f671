# Dedicated VPC (DECISIONS 2): two public subnets (web tier) and two private subnets (database) in two
# availability zones, an internet gateway for the public side, an S3 gateway endpoint for both sides, and
# no NAT gateway (cost; nothing private needs the internet). Optional VPC flow logs (flow_logs) to the
# CloudWatch log group /<project>/<env>/vpc-flow-logs. Mirrors cloudformation/network.yaml.

locals {
  name_prefix = "${var.project_name}-%s-${var.environment}"
  azs         = slice(data.aws_availability_zones.available.names, 0, 2)
}

data "aws_availability_zones" "available" {
  #checkov:skip=CKV_AWS_394:Only the first two zones are used (slice in locals), so a new AZ cannot widen the deployment; same choice as the CloudFormation template (Fn::Select 0/1 of Fn::GetAZs). Pinning zone names would break portability across accounts and regions.
  state = "available"
}

data "aws_region" "current" {}

data "aws_caller_identity" "current" {}

data "aws_partition" "current" {}

resource "aws_vpc" "this" {
  #checkov:skip=CKV2_AWS_11:VPC flow logs are a switch (flow_logs, from network.flow_logs: on in prod, off in dev for cost); checkov cannot see a count-switched aws_flow_log. The network.tftest.hcl runs prove both settings.
  cidr_block           = var.vpc_cidr
  enable_dns_support   = true
  enable_dns_hostnames = true

  tags = {
    Name = format(local.name_prefix, "vpc")
  }
}

# The VPC's default security group, with no rule at all (DECISIONS 17.4): nothing is attached to it, and a
# resource launched without a group by mistake can then talk to nothing. CloudFormation has no such resource;
# there `fuelflow deploy` revokes the rules after the network stack, and FF-VPC-001 checks both.
resource "aws_default_security_group" "this" {
  vpc_id = aws_vpc.this.id

  tags = {
    Name = format(local.name_prefix, "default-sg-closed")
  }
}

resource "aws_internet_gateway" "this" {
  vpc_id = aws_vpc.this.id

  tags = {
    Name = format(local.name_prefix, "igw")
  }
}

resource "aws_subnet" "public" {
  #checkov:skip=CKV_AWS_130:Public subnets of the web tier by design (DECISIONS 2): instances there need a public address to serve HTTP(S). The database lives in the private subnets.
  count = 2

  vpc_id                  = aws_vpc.this.id
  cidr_block              = var.public_subnet_cidrs[count.index]
  availability_zone       = local.azs[count.index]
  map_public_ip_on_launch = true

  tags = {
    Name = format(local.name_prefix, "public-${count.index + 1}")
    Tier = "public"
  }
}

resource "aws_subnet" "private" {
  count = 2

  vpc_id                  = aws_vpc.this.id
  cidr_block              = var.private_subnet_cidrs[count.index]
  availability_zone       = local.azs[count.index]
  map_public_ip_on_launch = false

  tags = {
    Name = format(local.name_prefix, "private-${count.index + 1}")
    Tier = "private"
  }
}

resource "aws_route_table" "public" {
  vpc_id = aws_vpc.this.id

  tags = {
    Name = format(local.name_prefix, "public-rt")
  }
}

resource "aws_route" "public_internet" {
  route_table_id         = aws_route_table.public.id
  destination_cidr_block = "0.0.0.0/0"
  gateway_id             = aws_internet_gateway.this.id
}

resource "aws_route_table_association" "public" {
  count = 2

  subnet_id      = aws_subnet.public[count.index].id
  route_table_id = aws_route_table.public.id
}

# Private subnets have no route to the internet (no NAT); only the VPC and the S3 endpoint.
resource "aws_route_table" "private" {
  vpc_id = aws_vpc.this.id

  tags = {
    Name = format(local.name_prefix, "private-rt")
  }
}

resource "aws_route_table_association" "private" {
  count = 2

  subnet_id      = aws_subnet.private[count.index].id
  route_table_id = aws_route_table.private.id
}

# Gateway endpoints are free; S3 traffic from both tiers stays on the AWS network. Its policy (DECISIONS 17.1)
# is the data perimeter: this account's principals reach only the project's three buckets through it, and anyone
# (dnf and SSM Agent fetch without signing) only reads the AWS-owned buckets the servers need
# (src/fuelflow/names.py AWS_READ_ONLY_BUCKETS, the same list as cloudformation/network.yaml).
locals {
  partition  = data.aws_partition.current.partition
  account_id = data.aws_caller_identity.current.account_id
  region     = data.aws_region.current.name
  project_bucket_arns = flatten([for kind in ["app-data", "logs", "backups"] : [
    "arn:${local.partition}:s3:::${var.project_name}-${kind}-${var.environment}-${local.account_id}-${local.region}",
    "arn:${local.partition}:s3:::${var.project_name}-${kind}-${var.environment}-${local.account_id}-${local.region}/*",
  ]])
  aws_read_only_buckets = [
    "al2023-repos-${local.region}-de612dc2",
    "amazoncloudwatch-agent-${local.region}",
    "amazon-ssm-${local.region}",
    "amazon-ssm-packages-${local.region}",
    "aws-ssm-${local.region}",
    "aws-ssm-distributor-file-${local.region}",
    "aws-ssm-document-attachments-${local.region}",
    "${local.region}-birdwatcher-prod",
    "patch-baseline-snapshot-${local.region}",
  ]
}

resource "aws_vpc_endpoint" "s3" {
  vpc_id            = aws_vpc.this.id
  service_name      = "com.amazonaws.${data.aws_region.current.name}.s3"
  vpc_endpoint_type = "Gateway"
  route_table_ids   = [aws_route_table.public.id, aws_route_table.private.id]
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Sid       = "ProjectBuckets"
        Effect    = "Allow"
        Principal = "*"
        Action    = ["s3:ListBucket", "s3:GetBucketLocation", "s3:GetObject", "s3:PutObject", "s3:DeleteObject"]
        Resource  = local.project_bucket_arns
        Condition = { StringEquals = { "aws:PrincipalAccount" = local.account_id } }
      },
      {
        Sid       = "AwsOwnedReadOnlyBuckets"
        Effect    = "Allow"
        Principal = "*"
        Action    = "s3:GetObject"
        Resource  = [for b in local.aws_read_only_buckets : "arn:${local.partition}:s3:::${b}/*"]
      },
    ]
  })

  tags = {
    Name = format(local.name_prefix, "s3-endpoint")
  }
}

# --- flow logs (flow_logs) ----------------------------------------------------------------------------
# CloudWatch Logs rather than the logs bucket (DECISIONS 14.3): retention from logs.retention_days like every
# other log group, queryable at once, read back by the audit.
resource "aws_cloudwatch_log_group" "flow_logs" {
  #checkov:skip=CKV_AWS_158:CloudWatch Logs encrypts log data at rest with AWS-owned keys; a customer-managed KMS key is not part of the design (cost, key management), in either engine.
  count = var.flow_logs ? 1 : 0

  name              = "/${var.project_name}/${var.environment}/vpc-flow-logs"
  retention_in_days = var.log_retention_days

  tags = {
    Name = "/${var.project_name}/${var.environment}/vpc-flow-logs"
  }
}

# Trust only flow logs of this account and region (aws:SourceAccount / aws:SourceArn: the confused-deputy
# guard); permissions only on the streams of that one group.
resource "aws_iam_role" "flow_logs" {
  count = var.flow_logs ? 1 : 0

  name        = "${var.project_name}-flow-logs-role-${var.environment}"
  description = "VPC flow logs of ${var.project_name} ${var.environment} write to their log group"
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Principal = { Service = "vpc-flow-logs.amazonaws.com" }
      Action    = "sts:AssumeRole"
      Condition = {
        StringEquals = { "aws:SourceAccount" = data.aws_caller_identity.current.account_id }
        ArnLike      = { "aws:SourceArn" = "arn:${data.aws_partition.current.partition}:ec2:${data.aws_region.current.name}:${data.aws_caller_identity.current.account_id}:vpc-flow-log/*" }
      }
    }]
  })

  tags = {
    Name = "${var.project_name}-flow-logs-role-${var.environment}"
  }
}

resource "aws_iam_role_policy" "flow_logs" {
  count = var.flow_logs ? 1 : 0

  name = "write-flow-logs"
  role = aws_iam_role.flow_logs[0].id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Sid      = "WriteTheFlowLogGroup"
      Effect   = "Allow"
      Action   = ["logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"]
      Resource = "${aws_cloudwatch_log_group.flow_logs[0].arn}:*"
    }]
  })
}

resource "aws_flow_log" "this" {
  count = var.flow_logs ? 1 : 0

  vpc_id                   = aws_vpc.this.id
  traffic_type             = "ALL"
  log_destination_type     = "cloud-watch-logs"
  log_destination          = aws_cloudwatch_log_group.flow_logs[0].arn
  iam_role_arn             = aws_iam_role.flow_logs[0].arn
  max_aggregation_interval = 600

  tags = {
    Name = "${var.project_name}-vpc-flow-log-${var.environment}"
  }
}
