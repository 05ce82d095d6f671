# Dedicated VPC (DECISIONS 2): two public subnets (web tier) and two private subnets (database) in two
# availability zones, an internet gateway for the public side, an S3 gateway endpoint for both sides, and
# no NAT gateway (cost; nothing private needs the internet). Mirrors cloudformation/network.yaml.

locals {
  name_prefix = "${var.project_name}-%s-${var.environment}"
  azs         = slice(data.aws_availability_zones.available.names, 0, 2)
}

data "aws_availability_zones" "available" {
  #checkov:skip=CKV_AWS_394:Only the first two zones are used (slice in locals), so a new AZ cannot widen the deployment; same choice as the CloudFormation template (Fn::Select 0/1 of Fn::GetAZs). Pinning zone names would break portability across accounts and regions.
  state = "available"
}

data "aws_region" "current" {}

resource "aws_vpc" "this" {
  #checkov:skip=CKV2_AWS_11:VPC flow logs are not part of the Fuel Flow design (cost); the CloudFormation network stack has none either, and the parity test keeps both engines equal.
  #checkov:skip=CKV2_AWS_12:The default security group is attached to nothing (every instance and database gets its own group); CloudFormation cannot manage the default group, so Terraform leaves it alone too (parity).
  cidr_block           = var.vpc_cidr
  enable_dns_support   = true
  enable_dns_hostnames = true

  tags = {
    Name = format(local.name_prefix, "vpc")
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

# Gateway endpoints are free; S3 traffic from both tiers stays on the AWS network.
resource "aws_vpc_endpoint" "s3" {
  vpc_id            = aws_vpc.this.id
  service_name      = "com.amazonaws.${data.aws_region.current.name}.s3"
  vpc_endpoint_type = "Gateway"
  route_table_ids   = [aws_route_table.public.id, aws_route_table.private.id]

  tags = {
    Name = format(local.name_prefix, "s3-endpoint")
  }
}
