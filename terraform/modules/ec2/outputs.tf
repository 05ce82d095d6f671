output "security_group_id" {
  description = "ID of the web security group."
  value       = aws_security_group.web.id
}

output "launch_template_id" {
  description = "ID of the web launch template."
  value       = aws_launch_template.web.id
}

output "launch_template_latest_version" {
  description = "Latest version of the web launch template (the one the instances use)."
  value       = aws_launch_template.web.latest_version
}

output "ami_id" {
  description = "AMI the launch template uses (resolved from the SSM parameter)."
  value       = aws_launch_template.web.image_id
}

output "instance_ids" {
  description = "IDs of the web instances, in order (1..instance_count)."
  value       = aws_instance.web[*].id
}

output "instance_public_ips" {
  description = "Public IPv4 addresses of the web instances, in order."
  value       = aws_instance.web[*].public_ip
}

output "instance_private_ips" {
  description = "Private IPv4 addresses of the web instances, in order."
  value       = aws_instance.web[*].private_ip
}

output "log_group_names" {
  description = "CloudWatch log group names, keyed apache_access, apache_error, system."
  value       = { for k, g in aws_cloudwatch_log_group.this : k => g.name }
}

output "cloudwatch_agent_parameter_name" {
  description = "Name of the SSM parameter holding the CloudWatch agent's configuration."
  value       = aws_ssm_parameter.cloudwatch_agent.name
}
