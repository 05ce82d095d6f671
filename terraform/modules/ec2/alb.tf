# Web tier behind a load balancer (load_balancer = true), mirroring the HasLoadBalancer resources of
# cloudformation/ec2-instances.yaml: an internet-facing ALB in the public subnets, HTTPS with a TLS 1.2+
# policy when a certificate exists (certificate_arn, or one requested and DNS-validated for domain_name in
# hosted_zone_id) and port 80 redirecting to it, HTTP only without one; a target group with a health check
# on health_check_path; an Auto Scaling group from the launch template with target-tracking on CPU, ELB
# health checks and a rolling instance refresh when the launch template changes.

locals {
  lb_count            = var.load_balancer ? 1 : 0
  request_certificate = var.load_balancer && var.domain_name != "" && var.certificate_arn == ""
  https               = var.load_balancer && (var.certificate_arn != "" || var.domain_name != "")
  tls_policy          = "ELBSecurityPolicy-TLS13-1-2-2021-06"
}

# --- load balancer, target group, certificate, listeners ----------------------------------------------

resource "aws_lb" "web" {
  #checkov:skip=CKV2_AWS_28:AWS WAF is the edge option (edge.waf, modules/edge attaches the web ACL to this load balancer when switched on); off by default for cost.
  #checkov:skip=CKV2_AWS_20:HTTP redirects to HTTPS whenever a certificate exists (aws_lb_listener.http_redirect); without one there is nothing to serve HTTPS with (README).
  #checkov:skip=CKV_AWS_150:Deletion protection follows deletion_protection (the environment's rds.deletion_protection, which tier production requires); dev leaves it off so that it can be destroyed.
  count = local.lb_count

  name                       = format(local.name_prefix, "alb")
  load_balancer_type         = "application"
  internal                   = false
  ip_address_type            = "ipv4"
  subnets                    = var.public_subnet_ids
  security_groups            = [var.load_balancer_security_group_id]
  drop_invalid_header_fields = true
  enable_deletion_protection = var.deletion_protection

  access_logs {
    enabled = true
    bucket  = var.access_logs_bucket
    prefix  = "alb/${var.environment}"
  }

  tags = {
    Name = format(local.name_prefix, "alb")
  }
}

resource "aws_lb_target_group" "web" {
  #checkov:skip=CKV_AWS_378:TLS ends at the load balancer; the hop to the instances stays inside the VPC on port 80 (instances admit it from the load balancer's group only).
  count = local.lb_count

  name                 = format(local.name_prefix, "tg")
  target_type          = "instance"
  protocol             = "HTTP"
  port                 = 80
  vpc_id               = var.vpc_id
  deregistration_delay = var.deregistration_delay

  health_check {
    enabled             = true
    protocol            = "HTTP"
    port                = "traffic-port"
    path                = var.health_check_path
    interval            = 30
    timeout             = 5
    healthy_threshold   = 3
    unhealthy_threshold = 3
    matcher             = "200"
  }

  stickiness {
    enabled         = var.stickiness
    type            = "lb_cookie"
    cookie_duration = 86400
  }

  tags = {
    Name = format(local.name_prefix, "tg")
  }
}

# Requested only when no certificate_arn is given; validated through a DNS record in hosted_zone_id
# (what CloudFormation's DomainValidationOptions HostedZoneId does by itself).
resource "aws_acm_certificate" "web" {
  count = local.request_certificate ? 1 : 0

  domain_name       = var.domain_name
  validation_method = "DNS"

  tags = {
    Name = format(local.name_prefix, "web")
  }

  lifecycle {
    create_before_destroy = true
  }
}

# One domain, one validation record (a count, not a for_each over the options: their keys are unknown
# until the certificate exists). ACM always answers one option per domain; `one()` of none is only a plan
# with a mock provider.
locals {
  certificate_validation = local.request_certificate ? one(aws_acm_certificate.web[0].domain_validation_options) : null
}

resource "aws_route53_record" "certificate_validation" {
  count = local.request_certificate ? 1 : 0

  zone_id         = var.hosted_zone_id
  name            = try(local.certificate_validation.resource_record_name, "_pending.${var.domain_name}")
  type            = try(local.certificate_validation.resource_record_type, "CNAME")
  records         = [try(local.certificate_validation.resource_record_value, "pending.acm-validations.aws.")]
  ttl             = 60
  allow_overwrite = true
}

resource "aws_acm_certificate_validation" "web" {
  count = local.request_certificate ? 1 : 0

  certificate_arn         = aws_acm_certificate.web[0].arn
  validation_record_fqdns = aws_route53_record.certificate_validation[*].fqdn
}

resource "aws_lb_listener" "https" {
  count = local.https ? 1 : 0

  load_balancer_arn = aws_lb.web[0].arn
  protocol          = "HTTPS"
  port              = 443
  ssl_policy        = local.tls_policy
  certificate_arn   = var.certificate_arn != "" ? var.certificate_arn : aws_acm_certificate_validation.web[0].certificate_arn

  default_action {
    type             = "forward"
    target_group_arn = aws_lb_target_group.web[0].arn
  }
}

resource "aws_lb_listener" "http_redirect" {
  count = local.https ? 1 : 0

  load_balancer_arn = aws_lb.web[0].arn
  protocol          = "HTTP"
  port              = 80

  default_action {
    type = "redirect"

    redirect {
      protocol    = "HTTPS"
      port        = "443"
      host        = "#{host}"
      path        = "/#{path}"
      query       = "#{query}"
      status_code = "HTTP_301"
    }
  }
}

resource "aws_lb_listener" "http" {
  #checkov:skip=CKV_AWS_2:Only without a certificate (certificate_arn and domain_name empty): nothing to terminate TLS with. With one, aws_lb_listener.https serves and port 80 redirects; audit control FF-ALB-001 checks that.
  #checkov:skip=CKV_AWS_103:Not a TLS listener (see CKV_AWS_2); the HTTPS listener uses ELBSecurityPolicy-TLS13-1-2-2021-06.
  count = var.load_balancer && !local.https ? 1 : 0

  load_balancer_arn = aws_lb.web[0].arn
  protocol          = "HTTP"
  port              = 80

  default_action {
    type             = "forward"
    target_group_arn = aws_lb_target_group.web[0].arn
  }
}

# --- Auto Scaling group --------------------------------------------------------------------------------

resource "aws_autoscaling_group" "web" {
  count = local.lb_count

  name                      = format(local.name_prefix, "web-asg")
  min_size                  = var.min_size
  desired_capacity          = var.desired_capacity
  max_size                  = var.max_size
  vpc_zone_identifier       = var.public_subnet_ids
  target_group_arns         = [aws_lb_target_group.web[0].arn]
  health_check_type         = "ELB"
  health_check_grace_period = 300
  enabled_metrics           = local.asg_metrics
  metrics_granularity       = "1Minute"
  # Waits for desired_capacity instances InService (not for healthy targets: min_elb_capacity unset), at
  # most 10 minutes: long enough for a real launch, and the emulator's instances are InService at once.
  wait_for_capacity_timeout = "10m"

  launch_template {
    id      = aws_launch_template.web.id
    version = aws_launch_template.web.latest_version
  }

  # A new launch template version replaces the instances a few at a time, keeping min_healthy_percentage
  # of the desired capacity in service. At 100 the refresh launches replacements first (max 200 %).
  instance_refresh {
    strategy = "Rolling"

    preferences {
      min_healthy_percentage = var.min_healthy_percentage
      max_healthy_percentage = var.min_healthy_percentage == 100 ? 200 : 100
    }
  }

  # The provider's default_tags do not reach an Auto Scaling group's instances; these tags do.
  tag {
    key                 = "Name"
    value               = format(local.name_prefix, "web")
    propagate_at_launch = true
  }

  tag {
    key                 = "Project"
    value               = var.project_name
    propagate_at_launch = true
  }

  tag {
    key                 = "Environment"
    value               = var.environment
    propagate_at_launch = true
  }

  # The log groups exist before the agent on a new instance starts writing to them.
  depends_on = [aws_cloudwatch_log_group.this]
}

resource "aws_autoscaling_policy" "cpu" {
  count = local.lb_count

  name                      = format(local.name_prefix, "web-cpu-target")
  autoscaling_group_name    = aws_autoscaling_group.web[0].name
  policy_type               = "TargetTrackingScaling"
  estimated_instance_warmup = 300

  target_tracking_configuration {
    predefined_metric_specification {
      predefined_metric_type = "ASGAverageCPUUtilization"
    }
    target_value = var.cpu_target
  }
}

locals {
  # Group metrics collected every minute (as the template's MetricsCollection without a list: all of them).
  asg_metrics = [
    "GroupMinSize", "GroupMaxSize", "GroupDesiredCapacity", "GroupInServiceInstances", "GroupPendingInstances",
    "GroupStandbyInstances", "GroupTerminatingInstances", "GroupTotalInstances",
  ]
}
