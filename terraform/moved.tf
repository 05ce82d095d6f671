# The alarms moved from the ec2 and rds modules into modules/monitoring (issue 9). Without these blocks an
# environment applied before the move would destroy the old alarm and create the new one of the same name in
# parallel; PutMetricAlarm of the new one can land first, and the delete then removes the alarm that should
# stay. With them Terraform updates the alarms in place (their actions and thresholds change).
moved {
  from = module.ec2.aws_cloudwatch_metric_alarm.cpu_high
  to   = module.monitoring.aws_cloudwatch_metric_alarm.ec2_cpu_high
}

moved {
  from = module.rds.aws_cloudwatch_metric_alarm.cpu_high
  to   = module.monitoring.aws_cloudwatch_metric_alarm.rds_cpu_high
}

moved {
  from = module.rds.aws_cloudwatch_metric_alarm.storage_low
  to   = module.monitoring.aws_cloudwatch_metric_alarm.rds_storage_low
}
