# Offline: mock AWS provider, plan only. Every switch (load balancer on/off, instance count, e-mails) changes
# the alarm set as expected; every alarm has alarm and OK actions on the topic.

mock_provider "aws" {
  override_during = plan

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
  mock_data "aws_region" {
    defaults = {
      name = "eu-west-1"
    }
  }
  mock_resource "aws_sns_topic" {
    defaults = {
      arn = "arn:aws:sns:eu-west-1:123456789012:fuel-flow-dev-alerts"
    }
  }
  mock_resource "aws_cloudwatch_metric_alarm" {
    defaults = {
      arn = "arn:aws:cloudwatch:eu-west-1:123456789012:alarm:mocked"
    }
  }
  mock_resource "aws_cloudwatch_composite_alarm" {
    defaults = {
      arn = "arn:aws:cloudwatch:eu-west-1:123456789012:alarm:mocked-composite"
    }
  }
  mock_resource "aws_kms_key" {
    defaults = {
      arn = "arn:aws:kms:eu-west-1:123456789012:key/11111111-2222-3333-4444-555555555555"
    }
  }
}

variables {
  project_name           = "fuel-flow"
  environment            = "dev"
  load_balancer          = false
  instance_ids           = ["i-0000000000000000a"]
  db_instance_identifier = "fuel-flow-db-dev"
}

run "static_servers_one_alarm_each_with_actions" {
  command = plan

  variables {
    instance_ids = ["i-0000000000000000a", "i-0000000000000000b", "i-0000000000000000c"]
  }

  assert {
    condition     = [for a in aws_cloudwatch_metric_alarm.ec2_cpu_high : a.alarm_name] == ["fuel-flow-dev-ec2-cpu-high-1", "fuel-flow-dev-ec2-cpu-high-2", "fuel-flow-dev-ec2-cpu-high-3"]
    error_message = "One CPU alarm per static server, named <project>-<env>-ec2-cpu-high-<n>."
  }

  assert {
    condition     = aws_cloudwatch_metric_alarm.ec2_cpu_high[1].dimensions.InstanceId == "i-0000000000000000b" && aws_cloudwatch_metric_alarm.ec2_cpu_high[1].threshold == 80
    error_message = "Server 2's alarm watches server 2 at web_cpu_percent."
  }

  assert {
    condition     = length(aws_cloudwatch_metric_alarm.web_cpu_high) + length(aws_cloudwatch_metric_alarm.alb_5xx) + length(aws_cloudwatch_metric_alarm.alb_unhealthy_hosts) + length(aws_cloudwatch_metric_alarm.alb_response_time) == 0
    error_message = "Without the load balancer there are no group or load balancer alarms."
  }

  assert {
    condition = alltrue([for a in concat(aws_cloudwatch_metric_alarm.ec2_cpu_high, [aws_cloudwatch_metric_alarm.rds_cpu_high, aws_cloudwatch_metric_alarm.rds_storage_low, aws_cloudwatch_metric_alarm.rds_memory_low, aws_cloudwatch_metric_alarm.rds_connections_high]) :
    a.alarm_actions == toset(["arn:aws:sns:eu-west-1:123456789012:fuel-flow-dev-alerts"]) && a.ok_actions == toset(["arn:aws:sns:eu-west-1:123456789012:fuel-flow-dev-alerts"])])
    error_message = "Every alarm has alarm and OK actions on the environment's topic."
  }

  assert {
    condition     = aws_cloudwatch_composite_alarm.unhealthy.alarm_rule == "ALARM(\"fuel-flow-dev-rds-cpu-high\") OR ALARM(\"fuel-flow-dev-rds-storage-low\") OR ALARM(\"fuel-flow-dev-rds-memory-low\") OR ALARM(\"fuel-flow-dev-rds-connections-high\") OR ALARM(\"fuel-flow-dev-ec2-cpu-high-1\") OR ALARM(\"fuel-flow-dev-ec2-cpu-high-2\") OR ALARM(\"fuel-flow-dev-ec2-cpu-high-3\")"
    error_message = "The composite alarm is any of the environment's alarms."
  }

  assert {
    condition     = aws_cloudwatch_composite_alarm.unhealthy.alarm_actions == toset([aws_sns_topic.alerts.arn]) && aws_cloudwatch_composite_alarm.unhealthy.ok_actions == toset([aws_sns_topic.alerts.arn])
    error_message = "The composite alarm notifies the topic too."
  }

  assert {
    condition     = length(jsondecode(aws_cloudwatch_dashboard.this.dashboard_body).widgets) == 8 && aws_cloudwatch_dashboard.this.dashboard_name == "fuel-flow-dev"
    error_message = "The dashboard has the alarm-status widget and one graph per alarm (3 servers + 4 database)."
  }
}

run "load_balancer_alarms" {
  command = plan

  variables {
    load_balancer             = true
    instance_ids              = []
    autoscaling_group_name    = "fuel-flow-web-asg-prod"
    load_balancer_arn_suffix  = "app/fuel-flow-alb-prod/0123456789abcdef"
    target_group_arn_suffix   = "targetgroup/fuel-flow-tg-prod/0123456789abcdef"
    alb_5xx_count             = 25
    alb_response_time_seconds = 3
  }

  assert {
    condition     = length(aws_cloudwatch_metric_alarm.ec2_cpu_high) == 0 && aws_cloudwatch_metric_alarm.web_cpu_high[0].dimensions.AutoScalingGroupName == "fuel-flow-web-asg-prod"
    error_message = "With the load balancer the web CPU alarm watches the Auto Scaling group."
  }

  assert {
    condition     = aws_cloudwatch_metric_alarm.alb_unhealthy_hosts[0].dimensions == tomap({ LoadBalancer = "app/fuel-flow-alb-prod/0123456789abcdef", TargetGroup = "targetgroup/fuel-flow-tg-prod/0123456789abcdef" })
    error_message = "Unhealthy hosts are counted per target group and load balancer."
  }

  assert {
    condition     = aws_cloudwatch_metric_alarm.alb_5xx[0].threshold == 25 && aws_cloudwatch_metric_alarm.alb_5xx[0].comparison_operator == "GreaterThanOrEqualToThreshold" && length(aws_cloudwatch_metric_alarm.alb_5xx[0].metric_query) == 3
    error_message = "The 5xx alarm adds the load balancer's and the targets' 5xx and fires at alb_5xx_count."
  }

  assert {
    condition     = aws_cloudwatch_metric_alarm.alb_response_time[0].threshold == 3 && aws_cloudwatch_metric_alarm.alb_response_time[0].metric_name == "TargetResponseTime"
    error_message = "The response time alarm fires above alb_response_time_seconds."
  }

  assert {
    condition     = strcontains(aws_cloudwatch_composite_alarm.unhealthy.alarm_rule, "ALARM(\"fuel-flow-dev-alb-5xx\")") && !strcontains(aws_cloudwatch_composite_alarm.unhealthy.alarm_rule, "ec2-cpu-high")
    error_message = "The composite alarm follows the web tier's shape."
  }
}

run "topic_is_encrypted_and_only_cloudwatch_publishes" {
  command = plan

  variables {
    alarm_emails = ["ops@example.com", "oncall@example.com"]
  }

  assert {
    condition     = aws_sns_topic.alerts.name == "fuel-flow-dev-alerts" && aws_sns_topic.alerts.kms_master_key_id == aws_kms_key.alerts.arn
    error_message = "The topic is named <project>-<env>-alerts and encrypted with the environment's key."
  }

  assert {
    condition     = aws_kms_key.alerts.enable_key_rotation && contains(jsondecode(aws_kms_key.alerts.policy).Statement[1].Action, "kms:GenerateDataKey*") && jsondecode(aws_kms_key.alerts.policy).Statement[1].Principal.Service == "cloudwatch.amazonaws.com"
    error_message = "CloudWatch may use the key (the AWS managed alias/aws/sns would not let it)."
  }

  assert {
    condition     = [for s in jsondecode(aws_sns_topic_policy.alerts.policy).Statement : s.Sid] == ["CloudWatchAlarmsOfThisAccountPublish", "AccountManagesTheTopic", "DenyWithoutTls"] && !contains(jsondecode(aws_sns_topic_policy.alerts.policy).Statement[1].Action, "sns:Publish")
    error_message = "Only CloudWatch publishes; the account manages the topic; TLS only."
  }

  assert {
    condition     = toset([for s in aws_sns_topic_subscription.email : s.endpoint]) == toset(["ops@example.com", "oncall@example.com"]) && alltrue([for s in aws_sns_topic_subscription.email : s.protocol == "email"])
    error_message = "Each listed address gets an e-mail subscription."
  }
}

run "alarm_emails_is_validated" {
  command = plan

  variables {
    alarm_emails = ["a@example.com", "b@example.com", "c@example.com"]
  }

  expect_failures = [var.alarm_emails]
}

run "instance_ids_is_validated" {
  command = plan

  variables {
    instance_ids = ["i-1", "i-2", "i-3", "i-4", "i-5"]
  }

  expect_failures = [var.instance_ids]
}

run "web_cpu_percent_is_validated" {
  command = plan

  variables {
    web_cpu_percent = 101
  }

  expect_failures = [var.web_cpu_percent]
}

run "db_cpu_percent_is_validated" {
  command = plan

  variables {
    db_cpu_percent = 0
  }

  expect_failures = [var.db_cpu_percent]
}

run "db_free_storage_mib_is_validated" {
  command = plan

  variables {
    db_free_storage_mib = 255
  }

  expect_failures = [var.db_free_storage_mib]
}

run "db_freeable_memory_mib_is_validated" {
  command = plan

  variables {
    db_freeable_memory_mib = 15
  }

  expect_failures = [var.db_freeable_memory_mib]
}

run "db_connections_is_validated" {
  command = plan

  variables {
    db_connections = 0
  }

  expect_failures = [var.db_connections]
}

run "alb_5xx_count_is_validated" {
  command = plan

  variables {
    alb_5xx_count = 100001
  }

  expect_failures = [var.alb_5xx_count]
}

run "alb_response_time_seconds_is_validated" {
  command = plan

  variables {
    alb_response_time_seconds = 61
  }

  expect_failures = [var.alb_response_time_seconds]
}

run "project_name_is_validated" {
  command = plan

  variables {
    project_name = "Fuel_Flow"
  }

  expect_failures = [var.project_name]
}

run "environment_is_validated" {
  command = plan

  variables {
    environment = "x"
  }

  expect_failures = [var.environment]
}
