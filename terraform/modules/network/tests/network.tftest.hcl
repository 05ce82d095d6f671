# Offline: mock AWS provider, plan only.

mock_provider "aws" {
  mock_data "aws_availability_zones" {
    defaults = {
      names    = ["us-east-1a", "us-east-1b", "us-east-1c"]
      zone_ids = ["use1-az1", "use1-az2", "use1-az4"]
    }
  }

  mock_data "aws_region" {
    defaults = {
      name = "us-east-1"
    }
  }

  mock_data "aws_caller_identity" {
    defaults = {
      account_id = "123456789012"
    }
  }

  mock_data "aws_partition" {
    defaults = {
      partition = "aws"
    }
  }

  mock_resource "aws_cloudwatch_log_group" {
    defaults = {
      arn = "arn:aws:logs:us-east-1:123456789012:log-group:/fuel-flow/dev/vpc-flow-logs"
    }
  }

  mock_resource "aws_iam_role" {
    defaults = {
      arn = "arn:aws:iam::123456789012:role/fuel-flow-flow-logs-role-dev"
    }
  }
}

variables {
  project_name         = "fuel-flow"
  environment          = "dev"
  vpc_cidr             = "10.10.0.0/16"
  public_subnet_cidrs  = ["10.10.0.0/24", "10.10.1.0/24"]
  private_subnet_cidrs = ["10.10.10.0/24", "10.10.11.0/24"]
}

run "two_public_two_private_subnets_in_two_azs" {
  command = plan

  assert {
    condition     = aws_vpc.this.cidr_block == "10.10.0.0/16" && aws_vpc.this.enable_dns_hostnames && aws_vpc.this.enable_dns_support
    error_message = "The VPC must use vpc_cidr and have DNS support and hostnames on."
  }

  assert {
    condition     = length(aws_subnet.public) == 2 && length(aws_subnet.private) == 2
    error_message = "Expected exactly two public and two private subnets."
  }

  assert {
    condition     = [for s in aws_subnet.public : s.availability_zone] == ["us-east-1a", "us-east-1b"]
    error_message = "The public subnets must use the first two AZs, one each."
  }

  assert {
    condition     = [for s in aws_subnet.private : s.availability_zone] == ["us-east-1a", "us-east-1b"]
    error_message = "The private subnets must use the first two AZs, one each."
  }

  assert {
    condition     = alltrue([for s in aws_subnet.public : s.map_public_ip_on_launch])
    error_message = "Public subnets must give instances a public address."
  }

  assert {
    condition     = !anytrue([for s in aws_subnet.private : s.map_public_ip_on_launch])
    error_message = "Private subnets must never give out public addresses."
  }

  assert {
    condition     = aws_subnet.private[0].cidr_block == "10.10.10.0/24" && aws_subnet.private[1].cidr_block == "10.10.11.0/24"
    error_message = "Private subnets must use private_subnet_cidrs in order."
  }

  assert {
    condition     = aws_route.public_internet.destination_cidr_block == "0.0.0.0/0"
    error_message = "The public route table needs a default route to the internet gateway."
  }

  assert {
    condition     = aws_vpc_endpoint.s3.vpc_endpoint_type == "Gateway" && aws_vpc_endpoint.s3.service_name == "com.amazonaws.us-east-1.s3"
    error_message = "S3 must be reached through a gateway endpoint (free)."
  }

  assert {
    condition     = aws_vpc.this.tags["Name"] == "fuel-flow-vpc-dev"
    error_message = "The VPC must be named <project>-vpc-<env>."
  }
}

run "rejects_bad_project_name" {
  command = plan

  variables {
    project_name = "Fuel_Flow"
  }

  expect_failures = [var.project_name]
}

run "rejects_environment_name_outside_the_naming_rules" {
  command = plan

  variables {
    environment = "staging-"
  }

  expect_failures = [var.environment]
}

run "rejects_invalid_vpc_cidr" {
  command = plan

  variables {
    vpc_cidr = "10.10.0.0/33"
  }

  expect_failures = [var.vpc_cidr]
}

run "rejects_one_public_subnet" {
  command = plan

  variables {
    public_subnet_cidrs = ["10.10.0.0/24"]
  }

  expect_failures = [var.public_subnet_cidrs]
}

run "rejects_three_private_subnets" {
  command = plan

  variables {
    private_subnet_cidrs = ["10.10.10.0/24", "10.10.11.0/24", "10.10.12.0/24"]
  }

  expect_failures = [var.private_subnet_cidrs]
}

run "flow_logs_off_by_default_create_nothing" {
  command = plan

  assert {
    condition     = length(aws_flow_log.this) == 0 && length(aws_cloudwatch_log_group.flow_logs) == 0 && length(aws_iam_role.flow_logs) == 0 && length(aws_iam_role_policy.flow_logs) == 0
    error_message = "With flow_logs off there must be no flow log, log group, role or policy."
  }
}

run "flow_logs_on_record_all_traffic_into_their_group" {
  command = plan

  variables {
    flow_logs          = true
    log_retention_days = 90
  }

  assert {
    condition     = length(aws_flow_log.this) == 1 && aws_flow_log.this[0].traffic_type == "ALL" && aws_flow_log.this[0].log_destination_type == "cloud-watch-logs"
    error_message = "flow_logs must create one flow log of ALL traffic to CloudWatch Logs."
  }

  assert {
    condition     = aws_cloudwatch_log_group.flow_logs[0].name == "/fuel-flow/dev/vpc-flow-logs" && aws_cloudwatch_log_group.flow_logs[0].retention_in_days == 90
    error_message = "The flow-log group must be /<project>/<env>/vpc-flow-logs with log_retention_days."
  }

  assert {
    condition     = aws_iam_role.flow_logs[0].name == "fuel-flow-flow-logs-role-dev" && aws_iam_role_policy.flow_logs[0].name == "write-flow-logs"
    error_message = "flow_logs must create the role and its write policy."
  }
}

run "rejects_unsupported_log_retention" {
  command = plan

  variables {
    log_retention_days = 2
  }

  expect_failures = [var.log_retention_days]
}
