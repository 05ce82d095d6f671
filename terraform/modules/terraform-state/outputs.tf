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
