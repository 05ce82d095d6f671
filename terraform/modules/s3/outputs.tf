output "app_data_bucket_name" {
  description = "Name of the application data bucket."
  value       = aws_s3_bucket.app_data.bucket
}

output "app_data_bucket_arn" {
  description = "ARN of the application data bucket."
  value       = local.bucket_arns.app_data
}

output "logs_bucket_name" {
  description = "Name of the logs bucket (also the access-log target of the other two and of the load balancer)."
  value       = aws_s3_bucket.logs.bucket
  # A load balancer given this name is created after the policy that lets Elastic Load Balancing deliver
  # its access logs (AWS checks that when access logs are switched on).
  depends_on = [aws_s3_bucket_policy.logs]
}

output "logs_bucket_arn" {
  description = "ARN of the logs bucket."
  value       = local.bucket_arns.logs
}

output "backups_bucket_name" {
  description = "Name of the backups bucket."
  value       = aws_s3_bucket.backups.bucket
}

output "backups_bucket_arn" {
  description = "ARN of the backups bucket."
  value       = local.bucket_arns.backups
}

output "bucket_arns" {
  description = "ARNs of all three buckets, keyed app_data, logs, backups (input of the iam module)."
  value       = local.bucket_arns
}
