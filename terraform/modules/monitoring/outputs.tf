output "alerts_topic_arn" {
  description = "ARN of the environment's alert topic (every alarm's alarm and OK action)."
  value       = aws_sns_topic.alerts.arn
}

output "alerts_key_arn" {
  description = "ARN of the KMS key that encrypts the alert topic."
  value       = aws_kms_key.alerts.arn
}

output "alarm_names" {
  description = "Names of the environment's metric alarms (database first, then the web tier's)."
  value       = [for a in concat(local.db_alarms, local.web_alarms) : a.alarm_name]
}

output "unhealthy_alarm_name" {
  description = "Name of the composite \"environment unhealthy\" alarm."
  value       = aws_cloudwatch_composite_alarm.unhealthy.alarm_name
}

output "dashboard_name" {
  description = "Name of the environment's CloudWatch dashboard."
  value       = aws_cloudwatch_dashboard.this.dashboard_name
}
