output "state_bucket_name" {
  description = "Name of the S3 state bucket."
  value       = module.terraform_state.state_bucket_name
}

output "lock_table_name" {
  description = "Name of the DynamoDB lock table."
  value       = module.terraform_state.lock_table_name
}

output "lock_alarm_name" {
  description = "Name of the CloudWatch alarm on the lock table's throttled requests."
  value       = module.terraform_state.lock_alarm_name
}

output "alerts_topic_arn" {
  description = "ARN of the state backend's alert topic (the lock-table alarm's alarm and OK actions)."
  value       = module.terraform_state.alerts_topic_arn
}

output "backend_config" {
  description = "The -backend-config values for `terraform init` of the main root (terraform/backend.tf)."
  value       = local.backend_config
}

output "bootstrap_state_key" {
  description = "Object key under which this bootstrap root's own state lives once migrated into the bucket."
  value       = "${var.project_name}/${var.environment}/bootstrap.tfstate"
}
