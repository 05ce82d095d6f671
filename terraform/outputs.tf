# Outputs mirror the CloudFormation exports (docs/contract.md, "Terraform root outputs").

# --- network ---
output "vpc_id" {
  description = "ID of the VPC (CloudFormation network export VpcId)."
  value       = module.network.vpc_id
}

output "vpc_cidr" {
  description = "IPv4 CIDR of the VPC (VpcCidr)."
  value       = module.network.vpc_cidr
}

output "public_subnet_ids" {
  description = "IDs of the public subnets (PublicSubnet1Id, PublicSubnet2Id)."
  value       = module.network.public_subnet_ids
}

output "private_subnet_ids" {
  description = "IDs of the private subnets (PrivateSubnet1Id, PrivateSubnet2Id)."
  value       = module.network.private_subnet_ids
}

# --- s3 ---
output "app_data_bucket_name" {
  description = "Name of the application data bucket (AppDataBucketName)."
  value       = module.s3.app_data_bucket_name
}

output "app_data_bucket_arn" {
  description = "ARN of the application data bucket (AppDataBucketArn)."
  value       = module.s3.app_data_bucket_arn
}

output "logs_bucket_name" {
  description = "Name of the logs bucket (LogsBucketName)."
  value       = module.s3.logs_bucket_name
}

output "logs_bucket_arn" {
  description = "ARN of the logs bucket (LogsBucketArn)."
  value       = module.s3.logs_bucket_arn
}

output "backups_bucket_name" {
  description = "Name of the backups bucket (BackupsBucketName)."
  value       = module.s3.backups_bucket_name
}

output "backups_bucket_arn" {
  description = "ARN of the backups bucket (BackupsBucketArn)."
  value       = module.s3.backups_bucket_arn
}

# --- iam ---
output "ec2_role_name" {
  description = "Name of the EC2 instance role (Ec2RoleName)."
  value       = module.iam.ec2_role_name
}

output "ec2_role_arn" {
  description = "ARN of the EC2 instance role (Ec2RoleArn)."
  value       = module.iam.ec2_role_arn
}

output "ec2_instance_profile_name" {
  description = "Name of the EC2 instance profile (Ec2InstanceProfileName)."
  value       = module.iam.ec2_instance_profile_name
}

output "ec2_instance_profile_arn" {
  description = "ARN of the EC2 instance profile (Ec2InstanceProfileArn)."
  value       = module.iam.ec2_instance_profile_arn
}

output "rds_monitoring_role_arn" {
  description = "ARN of the RDS enhanced monitoring role (RdsMonitoringRoleArn)."
  value       = module.iam.rds_monitoring_role_arn
}

output "lambda_role_arn" {
  description = "ARN of the Lambda execution role (LambdaRoleArn)."
  value       = module.iam.lambda_role_arn
}

# --- ec2 ---
output "web_sg_id" {
  description = "ID of the web security group (WebSecurityGroupId)."
  value       = module.network.web_security_group_id
}

output "launch_template_id" {
  description = "ID of the web launch template (LaunchTemplateId)."
  value       = module.ec2.launch_template_id
}

output "autoscaling_group_name" {
  description = "Name of the web Auto Scaling group (web.load_balancer; null without)."
  value       = module.ec2.autoscaling_group_name
}

output "load_balancer_dns_name" {
  description = "DNS name of the load balancer, the site's address without a domain (web.load_balancer; null without)."
  value       = module.ec2.load_balancer_dns_name
}

output "instance_ids" {
  description = "IDs of the web instances in order (Instance1Id..Instance4Id)."
  value       = module.ec2.instance_ids
}

output "instance_public_ips" {
  description = "Public IPv4 addresses of the web instances in order (Instance1PublicIp..Instance4PublicIp)."
  value       = module.ec2.instance_public_ips
}

output "log_group_names" {
  description = "CloudWatch log groups of the web tier, keyed apache_access, apache_error, system."
  value       = module.ec2.log_group_names
}

# --- rds ---
output "db_instance_identifier" {
  description = "Identifier of the DB instance (DBInstanceIdentifier)."
  value       = module.rds.db_instance_identifier
}

output "db_endpoint" {
  description = "DNS name of the database endpoint, without port (DBEndpointAddress)."
  value       = module.rds.db_endpoint_address
}

output "db_port" {
  description = "Port of the database (DBPort)."
  value       = module.rds.db_port
}

output "db_secret_arn" {
  description = "ARN of the RDS-managed Secrets Manager secret holding the master password (DBSecretArn)."
  value       = module.rds.db_secret_arn
}

output "db_sg_id" {
  description = "ID of the database security group (DBSecurityGroupId)."
  value       = module.rds.db_security_group_id
}

output "db_replica_endpoint" {
  description = "DNS name of the read replica (null unless rds.read_replica)."
  value       = module.rds.db_replica_endpoint_address
}

output "flow_log_group_name" {
  description = "CloudWatch log group of the VPC flow logs (null unless network.flow_logs)."
  value       = module.network.flow_log_group_name
}

output "web_acl_arn" {
  description = "ARN of the WAF web ACL on the load balancer (null unless edge.waf)."
  value       = module.edge.web_acl_arn
}

output "cloudfront_domain_name" {
  description = "DNS name of the CloudFront distribution (null unless edge.cloudfront)."
  value       = module.edge.distribution_domain_name
}
