# Monitoring, mirroring cloudformation/monitoring.yaml: the environment's alert topic (encrypted with its own
# KMS key that CloudWatch may use), optional e-mail subscriptions, every alarm of the environment with alarm
# and OK actions on the topic, the composite "environment unhealthy" alarm and the dashboard.

data "aws_caller_identity" "current" {}
data "aws_partition" "current" {}
data "aws_region" "current" {}

locals {
  prefix     = "${var.project_name}-${var.environment}"
  account_id = data.aws_caller_identity.current.account_id
  partition  = data.aws_partition.current.partition
  region     = data.aws_region.current.name

  static_servers = var.load_balancer ? [] : var.instance_ids
  lb_alarms      = var.load_balancer ? 1 : 0
  actions        = [aws_sns_topic.alerts.arn]

  # The composite rule and the dashboard list the alarms in the CloudFormation template's order.
  db_alarms = [
    aws_cloudwatch_metric_alarm.rds_cpu_high,
    aws_cloudwatch_metric_alarm.rds_storage_low,
    aws_cloudwatch_metric_alarm.rds_memory_low,
    aws_cloudwatch_metric_alarm.rds_connections_high,
  ]
  # Counts are 0 or 1 (load balancer) and 0..4 (static servers): one of the two shapes is empty.
  web_alarms = concat(
    aws_cloudwatch_metric_alarm.web_cpu_high,
    aws_cloudwatch_metric_alarm.alb_5xx,
    aws_cloudwatch_metric_alarm.alb_unhealthy_hosts,
    aws_cloudwatch_metric_alarm.alb_response_time,
    aws_cloudwatch_metric_alarm.ec2_cpu_high,
  )
  web_titles = concat(
    [for a in aws_cloudwatch_metric_alarm.web_cpu_high : "Web CPU (Auto Scaling group)"],
    [for a in aws_cloudwatch_metric_alarm.alb_5xx : "Load balancer 5xx"],
    [for a in aws_cloudwatch_metric_alarm.alb_unhealthy_hosts : "Unhealthy hosts"],
    [for a in aws_cloudwatch_metric_alarm.alb_response_time : "Target response time"],
    [for i, a in aws_cloudwatch_metric_alarm.ec2_cpu_high : "Web server ${i + 1} CPU"],
  )
  db_titles = ["Database CPU", "Database free storage", "Database freeable memory", "Database connections"]
}

# --- alert topic -------------------------------------------------------------------------------------

# A key of our own, not the AWS managed alias/aws/sns: CloudWatch publishes to an encrypted topic only when
# the key's policy lets cloudwatch.amazonaws.com use it, and the AWS managed key's policy cannot be changed.
resource "aws_kms_key" "alerts" {
  description             = "Encrypts the ${local.prefix}-alerts SNS topic; CloudWatch alarms of this account may use it."
  enable_key_rotation     = true
  deletion_window_in_days = 7

  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Sid       = "AccountAdministersTheKey"
        Effect    = "Allow"
        Principal = { AWS = "arn:${local.partition}:iam::${local.account_id}:root" }
        Action    = "kms:*"
        Resource  = "*"
      },
      {
        Sid       = "CloudWatchAlarmsOfThisAccountPublish"
        Effect    = "Allow"
        Principal = { Service = "cloudwatch.amazonaws.com" }
        Action    = ["kms:Decrypt", "kms:GenerateDataKey*"]
        Resource  = "*"
        Condition = { StringEquals = { "aws:SourceAccount" = local.account_id } }
      },
    ]
  })

  tags = {
    Name = "${local.prefix}-alerts"
  }
}

resource "aws_kms_alias" "alerts" {
  name          = "alias/${local.prefix}-alerts"
  target_key_id = aws_kms_key.alerts.key_id
}

resource "aws_sns_topic" "alerts" {
  name              = "${local.prefix}-alerts"
  display_name      = "Fuel Flow ${var.environment} alerts"
  kms_master_key_id = aws_kms_key.alerts.arn

  tags = {
    Name = "${local.prefix}-alerts"
  }
}

# Only this account's CloudWatch alarms publish; the account keeps managing the topic; nothing without TLS.
resource "aws_sns_topic_policy" "alerts" {
  arn = aws_sns_topic.alerts.arn

  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Sid       = "CloudWatchAlarmsOfThisAccountPublish"
        Effect    = "Allow"
        Principal = { Service = "cloudwatch.amazonaws.com" }
        Action    = "sns:Publish"
        Resource  = aws_sns_topic.alerts.arn
        Condition = {
          StringEquals = { "aws:SourceAccount" = local.account_id }
          ArnLike      = { "aws:SourceArn" = "arn:${local.partition}:cloudwatch:${local.region}:${local.account_id}:alarm:*" }
        }
      },
      {
        Sid       = "AccountManagesTheTopic"
        Effect    = "Allow"
        Principal = { AWS = "arn:${local.partition}:iam::${local.account_id}:root" }
        Action    = ["sns:GetTopicAttributes", "sns:SetTopicAttributes", "sns:ListSubscriptionsByTopic", "sns:Subscribe"]
        Resource  = aws_sns_topic.alerts.arn
      },
      {
        Sid       = "DenyWithoutTls"
        Effect    = "Deny"
        Principal = "*"
        Action    = "sns:*"
        Resource  = aws_sns_topic.alerts.arn
        Condition = { Bool = { "aws:SecureTransport" = "false" } }
      },
    ]
  })
}

resource "aws_sns_topic_subscription" "email" {
  for_each = toset(var.alarm_emails)

  topic_arn = aws_sns_topic.alerts.arn
  protocol  = "email"
  endpoint  = each.value
}

# --- web tier: static servers (no load balancer) -----------------------------------------------------

resource "aws_cloudwatch_metric_alarm" "ec2_cpu_high" {
  count = length(local.static_servers)

  alarm_name          = "${local.prefix}-ec2-cpu-high-${count.index + 1}"
  alarm_description   = "Web server ${count.index + 1} average CPU above ${var.web_cpu_percent} % for 10 minutes."
  namespace           = "AWS/EC2"
  metric_name         = "CPUUtilization"
  statistic           = "Average"
  period              = 300
  evaluation_periods  = 2
  threshold           = var.web_cpu_percent
  comparison_operator = "GreaterThanThreshold"
  treat_missing_data  = "missing"
  alarm_actions       = local.actions
  ok_actions          = local.actions

  dimensions = {
    InstanceId = local.static_servers[count.index]
  }

  tags = {
    Name = "${local.prefix}-ec2-cpu-high-${count.index + 1}"
  }
}

# --- web tier: Auto Scaling group + load balancer ----------------------------------------------------

resource "aws_cloudwatch_metric_alarm" "web_cpu_high" {
  count = local.lb_alarms

  alarm_name          = "${local.prefix}-web-cpu-high"
  alarm_description   = "Web Auto Scaling group average CPU above ${var.web_cpu_percent} % for 10 minutes."
  namespace           = "AWS/EC2"
  metric_name         = "CPUUtilization"
  statistic           = "Average"
  period              = 300
  evaluation_periods  = 2
  threshold           = var.web_cpu_percent
  comparison_operator = "GreaterThanThreshold"
  treat_missing_data  = "missing"
  alarm_actions       = local.actions
  ok_actions          = local.actions

  dimensions = {
    AutoScalingGroupName = var.autoscaling_group_name
  }

  tags = {
    Name = "${local.prefix}-web-cpu-high"
  }
}

resource "aws_cloudwatch_metric_alarm" "alb_5xx" {
  count = local.lb_alarms

  alarm_name          = "${local.prefix}-alb-5xx"
  alarm_description   = "${var.alb_5xx_count} or more 5xx responses (load balancer and targets) in 5 minutes."
  evaluation_periods  = 1
  threshold           = var.alb_5xx_count
  comparison_operator = "GreaterThanOrEqualToThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = local.actions
  ok_actions          = local.actions

  metric_query {
    id          = "target"
    return_data = false

    metric {
      namespace   = "AWS/ApplicationELB"
      metric_name = "HTTPCode_Target_5XX_Count"
      period      = 300
      stat        = "Sum"
      dimensions  = { LoadBalancer = var.load_balancer_arn_suffix }
    }
  }

  metric_query {
    id          = "elb"
    return_data = false

    metric {
      namespace   = "AWS/ApplicationELB"
      metric_name = "HTTPCode_ELB_5XX_Count"
      period      = 300
      stat        = "Sum"
      dimensions  = { LoadBalancer = var.load_balancer_arn_suffix }
    }
  }

  metric_query {
    id          = "total"
    label       = "5xx responses (load balancer + targets)"
    return_data = true
    expression  = "FILL(target, 0) + FILL(elb, 0)"
  }

  tags = {
    Name = "${local.prefix}-alb-5xx"
  }
}

resource "aws_cloudwatch_metric_alarm" "alb_unhealthy_hosts" {
  count = local.lb_alarms

  alarm_name          = "${local.prefix}-alb-unhealthy-hosts"
  alarm_description   = "At least one web target failed its health check for 3 minutes."
  namespace           = "AWS/ApplicationELB"
  metric_name         = "UnHealthyHostCount"
  statistic           = "Maximum"
  period              = 60
  evaluation_periods  = 3
  threshold           = 1
  comparison_operator = "GreaterThanOrEqualToThreshold"
  treat_missing_data  = "missing"
  alarm_actions       = local.actions
  ok_actions          = local.actions

  dimensions = {
    LoadBalancer = var.load_balancer_arn_suffix
    TargetGroup  = var.target_group_arn_suffix
  }

  tags = {
    Name = "${local.prefix}-alb-unhealthy-hosts"
  }
}

resource "aws_cloudwatch_metric_alarm" "alb_response_time" {
  count = local.lb_alarms

  alarm_name          = "${local.prefix}-alb-response-time"
  alarm_description   = "Average target response time above ${var.alb_response_time_seconds} s for 10 minutes."
  namespace           = "AWS/ApplicationELB"
  metric_name         = "TargetResponseTime"
  statistic           = "Average"
  period              = 300
  evaluation_periods  = 2
  threshold           = var.alb_response_time_seconds
  comparison_operator = "GreaterThanThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = local.actions
  ok_actions          = local.actions

  dimensions = {
    LoadBalancer = var.load_balancer_arn_suffix
  }

  tags = {
    Name = "${local.prefix}-alb-response-time"
  }
}

# --- database ----------------------------------------------------------------------------------------

resource "aws_cloudwatch_metric_alarm" "rds_cpu_high" {
  alarm_name          = "${local.prefix}-rds-cpu-high"
  alarm_description   = "Database average CPU above ${var.db_cpu_percent} % for 10 minutes."
  namespace           = "AWS/RDS"
  metric_name         = "CPUUtilization"
  statistic           = "Average"
  period              = 300
  evaluation_periods  = 2
  threshold           = var.db_cpu_percent
  comparison_operator = "GreaterThanThreshold"
  treat_missing_data  = "missing"
  alarm_actions       = local.actions
  ok_actions          = local.actions

  dimensions = {
    DBInstanceIdentifier = var.db_instance_identifier
  }

  tags = {
    Name = "${local.prefix}-rds-cpu-high"
  }
}

# FreeStorageSpace and FreeableMemory are bytes; metric math turns them into MiB, the thresholds' unit
# (written as in the CloudFormation template, which cannot multiply a parameter).
resource "aws_cloudwatch_metric_alarm" "rds_storage_low" {
  alarm_name          = "${local.prefix}-rds-storage-low"
  alarm_description   = "Database free storage below ${var.db_free_storage_mib} MiB."
  evaluation_periods  = 1
  threshold           = var.db_free_storage_mib
  comparison_operator = "LessThanThreshold"
  treat_missing_data  = "missing"
  alarm_actions       = local.actions
  ok_actions          = local.actions

  metric_query {
    id          = "free"
    return_data = false

    metric {
      namespace   = "AWS/RDS"
      metric_name = "FreeStorageSpace"
      period      = 300
      stat        = "Minimum"
      dimensions  = { DBInstanceIdentifier = var.db_instance_identifier }
    }
  }

  metric_query {
    id          = "freemib"
    label       = "Free storage (MiB)"
    return_data = true
    expression  = "free / 1048576"
  }

  tags = {
    Name = "${local.prefix}-rds-storage-low"
  }
}

resource "aws_cloudwatch_metric_alarm" "rds_memory_low" {
  alarm_name          = "${local.prefix}-rds-memory-low"
  alarm_description   = "Database freeable memory below ${var.db_freeable_memory_mib} MiB for 10 minutes."
  evaluation_periods  = 2
  threshold           = var.db_freeable_memory_mib
  comparison_operator = "LessThanThreshold"
  treat_missing_data  = "missing"
  alarm_actions       = local.actions
  ok_actions          = local.actions

  metric_query {
    id          = "memory"
    return_data = false

    metric {
      namespace   = "AWS/RDS"
      metric_name = "FreeableMemory"
      period      = 300
      stat        = "Average"
      dimensions  = { DBInstanceIdentifier = var.db_instance_identifier }
    }
  }

  metric_query {
    id          = "memorymib"
    label       = "Freeable memory (MiB)"
    return_data = true
    expression  = "memory / 1048576"
  }

  tags = {
    Name = "${local.prefix}-rds-memory-low"
  }
}

resource "aws_cloudwatch_metric_alarm" "rds_connections_high" {
  alarm_name          = "${local.prefix}-rds-connections-high"
  alarm_description   = "Database average connections above ${var.db_connections} for 10 minutes."
  namespace           = "AWS/RDS"
  metric_name         = "DatabaseConnections"
  statistic           = "Average"
  period              = 300
  evaluation_periods  = 2
  threshold           = var.db_connections
  comparison_operator = "GreaterThanThreshold"
  treat_missing_data  = "missing"
  alarm_actions       = local.actions
  ok_actions          = local.actions

  dimensions = {
    DBInstanceIdentifier = var.db_instance_identifier
  }

  tags = {
    Name = "${local.prefix}-rds-connections-high"
  }
}

# --- environment unhealthy and the dashboard ---------------------------------------------------------

resource "aws_cloudwatch_composite_alarm" "unhealthy" {
  alarm_name        = "${local.prefix}-unhealthy"
  alarm_description = "The ${var.environment} environment is unhealthy - at least one of its alarms is in ALARM."
  alarm_rule        = join(" OR ", [for a in concat(local.db_alarms, local.web_alarms) : "ALARM(\"${a.alarm_name}\")"])
  actions_enabled   = true
  alarm_actions     = local.actions
  ok_actions        = local.actions

  tags = {
    Name = "${local.prefix}-unhealthy"
  }
}

resource "aws_cloudwatch_dashboard" "this" {
  dashboard_name = local.prefix

  # One graph per alarm (an alarm annotation draws the alarm's metric and threshold) plus an alarm-status
  # widget, in the CloudFormation template's order.
  dashboard_body = jsonencode({
    widgets = concat(
      [{
        type   = "alarm"
        width  = 24
        height = 4
        properties = {
          title  = "${var.project_name} ${var.environment} alarms"
          alarms = concat([aws_cloudwatch_composite_alarm.unhealthy.arn], [for a in concat(local.db_alarms, local.web_alarms) : a.arn])
        }
      }],
      [for i, a in concat(local.web_alarms, local.db_alarms) : {
        type   = "metric"
        width  = 6
        height = 6
        properties = {
          title       = concat(local.web_titles, local.db_titles)[i]
          region      = local.region
          annotations = { alarms = [a.arn] }
        }
      }],
    )
  })
}
