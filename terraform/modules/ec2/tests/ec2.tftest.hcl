# Offline: mock AWS provider, plan only.

mock_provider "aws" {
  mock_data "aws_ssm_parameter" {
    defaults = {
      value          = "ami-0123456789abcdef0"
      insecure_value = "ami-0123456789abcdef0"
      type           = "String"
    }
  }
}

variables {
  project_name          = "fuel-flow"
  environment           = "dev"
  vpc_id                = "vpc-0123456789abcdef0"
  vpc_cidr              = "10.10.0.0/16"
  public_subnet_ids     = ["subnet-0000000000000000a", "subnet-0000000000000000b"]
  instance_profile_name = "fuel-flow-ec2-profile-dev"
  instance_type         = "t3.micro"
  instance_count        = 1
  root_volume_size      = 20
  log_retention_days    = 30
}

run "launch_template_is_hardened" {
  command = plan

  assert {
    condition     = aws_launch_template.web.metadata_options[0].http_tokens == "required"
    error_message = "IMDSv2 must be required (http_tokens = required)."
  }

  assert {
    condition     = aws_launch_template.web.metadata_options[0].http_put_response_hop_limit == 1 && aws_launch_template.web.metadata_options[0].http_endpoint == "enabled"
    error_message = "The metadata service must stay one hop from the instance."
  }

  assert {
    condition = (
      aws_launch_template.web.block_device_mappings[0].device_name == "/dev/xvda" &&
      aws_launch_template.web.block_device_mappings[0].ebs[0].encrypted == "true" &&
      aws_launch_template.web.block_device_mappings[0].ebs[0].volume_type == "gp3" &&
      aws_launch_template.web.block_device_mappings[0].ebs[0].volume_size == 20
    )
    error_message = "The root volume must be an encrypted gp3 volume of root_volume_size GiB."
  }

  assert {
    condition     = aws_launch_template.web.image_id == "ami-0123456789abcdef0" && data.aws_ssm_parameter.ami.name == "/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64"
    error_message = "The AMI must come from the public Amazon Linux 2023 SSM parameter."
  }

  assert {
    condition     = aws_launch_template.web.iam_instance_profile[0].name == "fuel-flow-ec2-profile-dev"
    error_message = "Instances must run with the project's instance profile."
  }

  assert {
    condition     = strcontains(base64decode(aws_launch_template.web.user_data), "dnf install -y httpd") && strcontains(base64decode(aws_launch_template.web.user_data), "/var/www/html/health.html")
    error_message = "User data must install Apache and publish /health.html."
  }

  assert {
    condition     = strcontains(base64decode(aws_launch_template.web.user_data), "amazon-cloudwatch-agent-ctl -a fetch-config -m ec2 -s") && strcontains(base64decode(aws_launch_template.web.user_data), "-c \"ssm:/fuel-flow/dev/cloudwatch-agent\"")
    error_message = "The user data must start the CloudWatch agent with its configuration from the SSM parameter."
  }

  assert {
    condition     = aws_ssm_parameter.cloudwatch_agent.name == "/fuel-flow/dev/cloudwatch-agent" && aws_ssm_parameter.cloudwatch_agent.type == "String"
    error_message = "The agent's configuration lives in the SSM parameter /<project>/<env>/cloudwatch-agent."
  }

  assert {
    condition = [for f in jsondecode(aws_ssm_parameter.cloudwatch_agent.value).logs.logs_collected.files.collect_list : [f.file_path, f.log_group_name]] == [
      ["/var/log/httpd/access_log", "/fuel-flow/dev/apache/access"],
      ["/var/log/httpd/error_log", "/fuel-flow/dev/apache/error"],
      ["/var/log/messages", "/fuel-flow/dev/system"],
      ["/var/log/cloud-init-output.log", "/fuel-flow/dev/system"],
    ]
    error_message = "The agent must ship Apache access/error logs and the system log into the environment's log groups."
  }
}

run "instances" {
  command = plan

  variables {
    environment    = "prod"
    instance_count = 3
  }

  assert {
    condition     = length(aws_instance.web) == 3
    error_message = "instance_count instances must be planned."
  }

  assert {
    condition     = [for i in aws_instance.web : i.subnet_id] == ["subnet-0000000000000000a", "subnet-0000000000000000b", "subnet-0000000000000000a"]
    error_message = "Instances must be spread round robin over the public subnets."
  }

  assert {
    condition     = [for i in aws_instance.web : i.tags["Name"]] == ["fuel-flow-web-1-prod", "fuel-flow-web-2-prod", "fuel-flow-web-3-prod"]
    error_message = "Instances must be named <project>-web-<n>-<env>."
  }
}

run "log_groups" {
  command = plan

  assert {
    condition     = toset([for g in aws_cloudwatch_log_group.this : g.name]) == toset(["/fuel-flow/dev/apache/access", "/fuel-flow/dev/apache/error", "/fuel-flow/dev/system"])
    error_message = "Log groups must follow docs/contract.md."
  }

  assert {
    condition     = alltrue([for g in aws_cloudwatch_log_group.this : g.retention_in_days == 30])
    error_message = "Log groups must keep logs for log_retention_days."
  }
}

run "security_group_without_ssh_by_default" {
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
    condition     = aws_vpc_security_group_ingress_rule.https.from_port == 443 && aws_vpc_security_group_ingress_rule.https.cidr_ipv4 == "0.0.0.0/0"
    error_message = "HTTPS must be open to the internet."
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

run "rejects_bad_project_name" {
  command = plan

  variables {
    project_name = "-fuel"
  }

  expect_failures = [var.project_name]
}

run "rejects_unknown_environment" {
  command = plan

  variables {
    environment = "Dev"
  }

  expect_failures = [var.environment]
}

run "rejects_invalid_vpc_cidr" {
  command = plan

  variables {
    vpc_cidr = "not-a-cidr"
  }

  expect_failures = [var.vpc_cidr]
}

run "rejects_no_public_subnets" {
  command = plan

  variables {
    public_subnet_ids = []
  }

  expect_failures = [var.public_subnet_ids]
}

run "rejects_five_instances" {
  command = plan

  variables {
    instance_count = 5
  }

  expect_failures = [var.instance_count]
}

run "rejects_tiny_root_volume" {
  command = plan

  variables {
    root_volume_size = 4
  }

  expect_failures = [var.root_volume_size]
}

run "rejects_ssh_from_the_internet" {
  command = plan

  variables {
    admin_ssh_cidrs = ["0.0.0.0/0"]
  }

  expect_failures = [var.admin_ssh_cidrs]
}

run "rejects_unsupported_log_retention" {
  command = plan

  variables {
    log_retention_days = 31
  }

  expect_failures = [var.log_retention_days]
}

run "rejects_relative_ami_parameter" {
  command = plan

  variables {
    ami_ssm_parameter_name = "aws/service/ami"
  }

  expect_failures = [var.ami_ssm_parameter_name]
}

run "rejects_duplicate_ssh_cidrs" {
  command = plan

  variables {
    admin_ssh_cidrs = ["203.0.113.0/24", "203.0.113.0/24"]
  }

  expect_failures = [var.admin_ssh_cidrs]
}

run "rejects_instance_type_outside_the_contract" {
  command = plan

  variables {
    instance_type = "t4g.small"
  }

  expect_failures = [var.instance_type]
}
