output "state_bucket_name" {
  description = "Name of the S3 bucket that holds Terraform state."
  value       = aws_s3_bucket.state.bucket
}

output "state_bucket_arn" {
  description = "ARN of the state bucket."
  value       = local.bucket_arn
}

output "lock_table_name" {
  description = "Name of the DynamoDB lock table (hash key LockID)."
  value       = aws_dynamodb_table.lock.name
}

output "lock_table_arn" {
  description = "ARN of the DynamoDB lock table."
  value       = aws_dynamodb_table.lock.arn
}

output "region" {
  description = "Region of the bucket and table (the backend's `region`)."
  value       = data.aws_region.current.name
}

output "lock_alarm_name" {
  description = "Name of the CloudWatch alarm on the lock table's throttled requests."
  value       = aws_cloudwatch_metric_alarm.lock_throttled.alarm_name
}

output "alerts_topic_arn" {
  description = "ARN of the topic the lock-table alarm notifies: the module's own, or alarm_topic_arn when given."
  value       = local.alarm_topics[0]
}

output "alerts_key_arn" {
  description = "ARN of the KMS key that encrypts the module's own alert topic (null when alarm_topic_arn is given)."
  value       = local.own_topic ? aws_kms_key.alerts[0].arn : null
}

output "alarm_email_subscriptions" {
  description = "E-mail addresses subscribed to the module's own alert topic (each confirms before it receives anything)."
  value       = sort([for s in aws_sns_topic_subscription.email : s.endpoint])
}
