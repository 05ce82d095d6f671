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

# The web tier's security groups and their rules moved from the ec2 module into modules/network (issue 12):
# the database then needs only the network module, so ec2 and rds apply in parallel. Without these blocks an
# existing state would destroy the groups and create new ones of the same name (EC2 refuses the duplicate
# name while the old group exists, and the instances and the database rule would be replaced onto new ids).
# With them Terraform keeps every group and rule, ids unchanged.
moved {
  from = module.ec2.aws_security_group.web
  to   = module.network.aws_security_group.web
}

moved {
  from = module.ec2.aws_vpc_security_group_ingress_rule.http
  to   = module.network.aws_vpc_security_group_ingress_rule.http
}

moved {
  from = module.ec2.aws_vpc_security_group_ingress_rule.ssh
  to   = module.network.aws_vpc_security_group_ingress_rule.ssh
}

moved {
  from = module.ec2.aws_vpc_security_group_egress_rule.https
  to   = module.network.aws_vpc_security_group_egress_rule.https
}

moved {
  from = module.ec2.aws_vpc_security_group_egress_rule.mysql
  to   = module.network.aws_vpc_security_group_egress_rule.mysql
}

moved {
  from = module.ec2.aws_security_group.alb
  to   = module.network.aws_security_group.alb
}

moved {
  from = module.ec2.aws_vpc_security_group_ingress_rule.alb_https
  to   = module.network.aws_vpc_security_group_ingress_rule.alb_https
}

moved {
  from = module.ec2.aws_vpc_security_group_ingress_rule.alb_http
  to   = module.network.aws_vpc_security_group_ingress_rule.alb_http
}

moved {
  from = module.ec2.aws_vpc_security_group_egress_rule.alb_http
  to   = module.network.aws_vpc_security_group_egress_rule.alb_http
}
