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

output "autoscaling_group_name" {
  description = "Name of the web Auto Scaling group (null without a load balancer)."
  value       = one(aws_autoscaling_group.web[*].name)
}

output "load_balancer_arn" {
  description = "ARN of the Application Load Balancer (null without one)."
  value       = one(aws_lb.web[*].arn)
}

output "load_balancer_arn_suffix" {
  description = "The load balancer's CloudWatch dimension value, app/<name>/<id> (null without one)."
  value       = one(aws_lb.web[*].arn_suffix)
}

output "target_group_arn_suffix" {
  description = "The target group's CloudWatch dimension value, targetgroup/<name>/<id> (null without a load balancer)."
  value       = one(aws_lb_target_group.web[*].arn_suffix)
}

output "load_balancer_dns_name" {
  description = "DNS name of the load balancer (null without one)."
  value       = one(aws_lb.web[*].dns_name)
}

output "load_balancer_zone_id" {
  description = "Route 53 zone id of the load balancer's DNS name, for an alias record (null without one)."
  value       = one(aws_lb.web[*].zone_id)
}

output "target_group_arn" {
  description = "ARN of the web target group (null without a load balancer)."
  value       = one(aws_lb_target_group.web[*].arn)
}

output "https_listener_arn" {
  description = "ARN of the HTTPS listener (null without a load balancer or without a certificate)."
  value       = one(aws_lb_listener.https[*].arn)
}
