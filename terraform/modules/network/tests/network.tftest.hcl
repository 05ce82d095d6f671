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

# --- the web tier's security groups (here so that ec2 and rds both import them) -------------------

run "web_security_group_without_ssh_by_default" {
  command = plan

  assert {
    condition     = aws_security_group.web.name == "fuel-flow-web-sg-dev"
    error_message = "The web security group must be named <project>-web-sg-<env>."
  }

  assert {
    condition     = length(aws_vpc_security_group_ingress_rule.ssh) == 0
    error_message = "No SSH rule may exist unless admin_ssh_cidrs lists a CIDR."
  }

  assert {
    condition     = aws_vpc_security_group_ingress_rule.http.from_port == 80 && aws_vpc_security_group_ingress_rule.http.cidr_ipv4 == "0.0.0.0/0"
    error_message = "HTTP must be open to the internet."
  }

  assert {
    condition     = aws_vpc_security_group_ingress_rule.http.referenced_security_group_id == null
    error_message = "Without a load balancer, port 80 is open to the internet, not to a group."
  }

  assert {
    condition     = aws_vpc_security_group_egress_rule.mysql.cidr_ipv4 == "10.10.0.0/16" && aws_vpc_security_group_egress_rule.mysql.from_port == 3306
    error_message = "MySQL egress must stay inside the VPC."
  }

  assert {
    condition     = aws_vpc_security_group_egress_rule.https.from_port == 443 && aws_vpc_security_group_egress_rule.https.ip_protocol == "tcp" && aws_vpc_security_group_egress_rule.mysql.ip_protocol == "tcp"
    error_message = "Egress must be explicit TCP ports, never all traffic."
  }
}

run "ssh_only_from_listed_cidrs" {
  command = plan

  variables {
    admin_ssh_cidrs = ["203.0.113.0/24", "198.51.100.7/32"]
  }

  assert {
    condition     = toset([for r in aws_vpc_security_group_ingress_rule.ssh : r.cidr_ipv4]) == toset(["203.0.113.0/24", "198.51.100.7/32"])
    error_message = "Port 22 must open exactly to admin_ssh_cidrs."
  }

  assert {
    condition     = alltrue([for r in aws_vpc_security_group_ingress_rule.ssh : r.from_port == 22 && r.to_port == 22])
    error_message = "SSH rules must cover port 22 only."
  }

  assert {
    condition     = [for r in aws_vpc_security_group_ingress_rule.ssh : r.description] == ["SSH from admin CIDR 2", "SSH from admin CIDR 1"]
    error_message = "SSH rules are numbered in the order of admin_ssh_cidrs, as in the template."
  }
}

run "load_balancer_group_with_a_load_balancer_only" {
  command = plan

  variables {
    load_balancer = true
  }

  assert {
    condition = (
      aws_vpc_security_group_ingress_rule.http.cidr_ipv4 == null &&
      aws_vpc_security_group_ingress_rule.http.description == "HTTP from the load balancer only"
    )
    error_message = "With a load balancer, port 80 on the instances admits the load balancer's group only (no CIDR)."
  }

  assert {
    condition = (
      aws_vpc_security_group_ingress_rule.alb_https[0].from_port == 443 && aws_vpc_security_group_ingress_rule.alb_https[0].cidr_ipv4 == "0.0.0.0/0" &&
      aws_vpc_security_group_ingress_rule.alb_http[0].from_port == 80 && aws_vpc_security_group_egress_rule.alb_http[0].cidr_ipv4 == "10.10.0.0/16"
    )
    error_message = "The load balancer's group admits 80 and 443 from the internet and reaches port 80 inside the VPC only."
  }

  assert {
    condition     = aws_security_group.alb[0].name == "fuel-flow-alb-sg-dev" && aws_security_group.alb[0].tags.Name == "fuel-flow-alb-sg-dev"
    error_message = "With a load balancer its group <project>-alb-sg-<env> exists."
  }
}

run "no_load_balancer_group_without_a_load_balancer" {
  command = plan

  assert {
    condition     = length(aws_security_group.alb) == 0 && output.load_balancer_security_group_id == null
    error_message = "Without a load balancer there is no load balancer group."
  }
}

run "rejects_ssh_from_the_internet" {
  command = plan

  variables {
    admin_ssh_cidrs = ["0.0.0.0/0"]
  }

  expect_failures = [var.admin_ssh_cidrs]
}

run "rejects_duplicate_ssh_cidrs" {
  command = plan

  variables {
    admin_ssh_cidrs = ["203.0.113.0/24", "203.0.113.0/24"]
  }

  expect_failures = [var.admin_ssh_cidrs]
}
