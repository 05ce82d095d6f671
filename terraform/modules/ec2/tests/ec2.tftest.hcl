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
  project_name      = "fuel-flow"
  environment       = "dev"
  vpc_id            = "vpc-0123456789abcdef0"
  security_group_id = "sg-0000000000000web0"

  load_balancer_security_group_id = "sg-00000000000000lb0"
  public_subnet_ids               = ["subnet-0000000000000000a", "subnet-0000000000000000b"]
  instance_profile_name           = "fuel-flow-ec2-profile-dev"
  instance_type                   = "t3.micro"
  instance_count                  = 1
  root_volume_size                = 20
  log_retention_days              = 30
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

# --- switch web.load_balancer ------------------------------------------------------------------------

run "without_load_balancer_no_lb_resources" {
  command = plan

  variables {
    instance_count = 2
  }

  assert {
    condition = (
      length(aws_lb.web) == 0 && length(aws_lb_target_group.web) == 0 && length(aws_autoscaling_group.web) == 0 &&
      length(aws_autoscaling_policy.cpu) == 0 &&
      length(aws_lb_listener.https) == 0 && length(aws_lb_listener.http) == 0 && length(aws_lb_listener.http_redirect) == 0 &&
      length(aws_acm_certificate.web) == 0
    )
    error_message = "load_balancer false must create no load balancer, target group, listener, certificate or Auto Scaling group."
  }

  assert {
    condition     = length(aws_instance.web) == 2
    error_message = "load_balancer false keeps instance_count static instances."
  }

  assert {
    condition     = output.autoscaling_group_name == null && output.load_balancer_arn == null
    error_message = "The load balancer outputs are null without one."
  }
}

run "load_balancer_http_only_without_certificate" {
  command = plan

  variables {
    environment            = "prod"
    instance_count         = 3
    load_balancer          = true
    min_size               = 2
    desired_capacity       = 2
    max_size               = 4
    cpu_target             = 55
    min_healthy_percentage = 75
    deregistration_delay   = 45
    access_logs_bucket     = "fuel-flow-logs-prod-111122223333-eu-west-1"
    deletion_protection    = true
  }

  assert {
    condition     = length(aws_instance.web) == 0
    error_message = "With a load balancer the static instances are not created; instance_count is unused."
  }

  assert {
    condition = (
      aws_lb.web[0].name == "fuel-flow-alb-prod" && aws_lb.web[0].internal == false &&
      aws_lb.web[0].load_balancer_type == "application" &&
      aws_lb.web[0].subnets == toset(["subnet-0000000000000000a", "subnet-0000000000000000b"])
    )
    error_message = "An internet-facing application load balancer named <project>-alb-<env> in both public subnets."
  }

  assert {
    condition = (
      aws_lb.web[0].drop_invalid_header_fields == true && aws_lb.web[0].enable_deletion_protection == true &&
      aws_lb.web[0].access_logs[0].enabled == true && aws_lb.web[0].access_logs[0].prefix == "alb/prod" &&
      aws_lb.web[0].access_logs[0].bucket == "fuel-flow-logs-prod-111122223333-eu-west-1"
    )
    error_message = "Access logs to the logs bucket under alb/<env>, invalid headers dropped, deletion protection as asked."
  }

  assert {
    condition     = length(aws_lb_listener.http) == 1 && length(aws_lb_listener.https) == 0 && length(aws_lb_listener.http_redirect) == 0
    error_message = "Without a certificate the only listener is HTTP."
  }

  assert {
    condition     = aws_lb_listener.http[0].port == 80 && aws_lb_listener.http[0].protocol == "HTTP" && aws_lb_listener.http[0].default_action[0].type == "forward"
    error_message = "The HTTP listener forwards to the target group."
  }

  assert {
    condition = (
      aws_lb_target_group.web[0].name == "fuel-flow-tg-prod" && aws_lb_target_group.web[0].port == 80 &&
      aws_lb_target_group.web[0].health_check[0].path == "/health.html" && aws_lb_target_group.web[0].health_check[0].matcher == "200" &&
      aws_lb_target_group.web[0].deregistration_delay == "45" && aws_lb_target_group.web[0].stickiness[0].enabled == false
    )
    error_message = "Target group: HTTP 80, health check on health_check_path, deregistration delay and stickiness from the settings."
  }

  assert {
    condition = (
      aws_autoscaling_group.web[0].min_size == 2 && aws_autoscaling_group.web[0].desired_capacity == 2 &&
      aws_autoscaling_group.web[0].max_size == 4 && aws_autoscaling_group.web[0].health_check_type == "ELB" &&
      aws_autoscaling_group.web[0].vpc_zone_identifier == toset(["subnet-0000000000000000a", "subnet-0000000000000000b"])
    )
    error_message = "ASG sizes from the settings, ELB health checks, both public subnets."
  }

  assert {
    condition = (
      aws_autoscaling_group.web[0].instance_refresh[0].strategy == "Rolling" &&
      aws_autoscaling_group.web[0].instance_refresh[0].preferences[0].min_healthy_percentage == 75
    )
    error_message = "A rolling instance refresh keeps min_healthy_percentage in service."
  }

  assert {
    condition = (
      aws_autoscaling_policy.cpu[0].policy_type == "TargetTrackingScaling" &&
      aws_autoscaling_policy.cpu[0].target_tracking_configuration[0].target_value == 55 &&
      aws_autoscaling_policy.cpu[0].target_tracking_configuration[0].predefined_metric_specification[0].predefined_metric_type == "ASGAverageCPUUtilization"
    )
    error_message = "Target tracking on the group's average CPU at cpu_target."
  }

  assert {
    condition     = aws_lb.web[0].security_groups == toset(["sg-00000000000000lb0"])
    error_message = "The load balancer sits in the network module's load balancer group."
  }
}

run "load_balancer_https_with_certificate_arn" {
  command = plan

  variables {
    load_balancer      = true
    certificate_arn    = "arn:aws:acm:eu-west-1:111122223333:certificate/0123abcd-0123-4567-89ab-0123456789ab"
    access_logs_bucket = "fuel-flow-logs-dev-111122223333-eu-west-1"
    stickiness         = true
  }

  assert {
    condition = (
      aws_lb_listener.https[0].port == 443 && aws_lb_listener.https[0].protocol == "HTTPS" &&
      aws_lb_listener.https[0].ssl_policy == "ELBSecurityPolicy-TLS13-1-2-2021-06" &&
      aws_lb_listener.https[0].certificate_arn == "arn:aws:acm:eu-west-1:111122223333:certificate/0123abcd-0123-4567-89ab-0123456789ab"
    )
    error_message = "With a certificate, HTTPS on 443 with a TLS 1.2+ policy and the given certificate."
  }

  assert {
    condition = (
      length(aws_lb_listener.http) == 0 &&
      aws_lb_listener.http_redirect[0].default_action[0].type == "redirect" &&
      aws_lb_listener.http_redirect[0].default_action[0].redirect[0].protocol == "HTTPS" &&
      aws_lb_listener.http_redirect[0].default_action[0].redirect[0].status_code == "HTTP_301"
    )
    error_message = "With a certificate, port 80 only redirects to HTTPS (no forwarding HTTP listener)."
  }

  assert {
    condition     = length(aws_acm_certificate.web) == 0
    error_message = "A given certificate_arn means no certificate is requested."
  }

  assert {
    condition     = aws_lb_target_group.web[0].stickiness[0].enabled == true && aws_lb_target_group.web[0].stickiness[0].type == "lb_cookie" && aws_lb_target_group.web[0].stickiness[0].cookie_duration == 86400
    error_message = "stickiness true is a one-day load-balancer cookie."
  }
}

run "load_balancer_requests_a_dns_validated_certificate" {
  command = plan

  variables {
    load_balancer      = true
    domain_name        = "www.example.com"
    hosted_zone_id     = "Z0123456789ABCDEFGHIJ"
    access_logs_bucket = "fuel-flow-logs-dev-111122223333-eu-west-1"
  }

  assert {
    condition = (
      aws_acm_certificate.web[0].domain_name == "www.example.com" && aws_acm_certificate.web[0].validation_method == "DNS" &&
      length(aws_acm_certificate_validation.web) == 1
    )
    error_message = "domain_name without certificate_arn requests a DNS-validated certificate."
  }

  assert {
    condition     = length(aws_lb_listener.https) == 1 && length(aws_lb_listener.http_redirect) == 1 && length(aws_lb_listener.http) == 0
    error_message = "A requested certificate also means HTTPS plus a redirect."
  }
}

run "rejects_min_size_zero" {
  command = plan

  variables {
    min_size = 0
  }

  expect_failures = [var.min_size]
}

run "rejects_desired_capacity_eleven" {
  command = plan

  variables {
    desired_capacity = 11
    max_size         = 10
  }

  expect_failures = [var.desired_capacity]
}

run "rejects_max_size_eleven" {
  command = plan

  variables {
    max_size = 11
  }

  expect_failures = [var.max_size]
}

run "rejects_desired_above_max" {
  command = plan

  variables {
    min_size         = 1
    desired_capacity = 3
    max_size         = 2
  }

  expect_failures = [var.max_size]
}

run "rejects_cpu_target_95" {
  command = plan

  variables {
    cpu_target = 95
  }

  expect_failures = [var.cpu_target]
}

run "rejects_min_healthy_percentage_40" {
  command = plan

  variables {
    min_healthy_percentage = 40
  }

  expect_failures = [var.min_healthy_percentage]
}

run "rejects_relative_health_check_path" {
  command = plan

  variables {
    health_check_path = "health.html"
  }

  expect_failures = [var.health_check_path]
}

run "rejects_deregistration_delay_over_an_hour" {
  command = plan

  variables {
    deregistration_delay = 3601
  }

  expect_failures = [var.deregistration_delay]
}

run "rejects_certificate_arn_of_another_service" {
  command = plan

  variables {
    certificate_arn = "arn:aws:iam::111122223333:server-certificate/web"
  }

  expect_failures = [var.certificate_arn]
}

run "rejects_upper_case_domain_name" {
  command = plan

  variables {
    domain_name    = "WWW.Example.com"
    hosted_zone_id = "Z0123456789ABCDEFGHIJ"
  }

  expect_failures = [var.domain_name]
}

run "rejects_malformed_hosted_zone_id" {
  command = plan

  variables {
    domain_name    = "www.example.com"
    hosted_zone_id = "zone-1"
  }

  expect_failures = [var.hosted_zone_id]
}

run "rejects_domain_name_without_hosted_zone" {
  command = plan

  variables {
    domain_name = "www.example.com"
  }

  expect_failures = [var.hosted_zone_id]
}

run "rejects_load_balancer_without_log_bucket" {
  command = plan

  variables {
    load_balancer = true
  }

  expect_failures = [var.access_logs_bucket]
}

run "rejects_load_balancer_without_its_security_group" {
  command = plan

  variables {
    load_balancer                   = true
    access_logs_bucket              = "fuel-flow-logs-dev-123456789012-us-east-1"
    load_balancer_security_group_id = null
  }

  expect_failures = [var.load_balancer_security_group_id]
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

run "rejects_instance_type_outside_the_contract" {
  command = plan

  variables {
    instance_type = "t4g.small"
  }

  expect_failures = [var.instance_type]
}
