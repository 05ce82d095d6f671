output "db_instance_identifier" {
  description = "Identifier of the DB instance."
  value       = aws_db_instance.this.identifier
}

output "db_instance_arn" {
  description = "ARN of the DB instance."
  value       = aws_db_instance.this.arn
}

output "db_endpoint_address" {
  description = "DNS name of the database endpoint (no port)."
  value       = aws_db_instance.this.address
}

output "db_port" {
  description = "Port the database listens on."
  value       = aws_db_instance.this.port
}

output "db_name" {
  description = "Name of the initial database."
  value       = aws_db_instance.this.db_name
}

output "db_master_username" {
  description = "Master user name (the password is in the secret db_secret_arn)."
  value       = aws_db_instance.this.username
}

output "db_secret_arn" {
  description = "ARN of the Secrets Manager secret in which RDS keeps the master password."
  value       = one(aws_db_instance.this.master_user_secret[*].secret_arn)
}

output "db_security_group_id" {
  description = "ID of the database security group."
  value       = aws_security_group.db.id
}

output "db_subnet_group_name" {
  description = "Name of the DB subnet group."
  value       = aws_db_subnet_group.this.name
}

output "db_parameter_group_name" {
  description = "Name of the DB parameter group."
  value       = aws_db_parameter_group.this.name
}

output "log_group_names" {
  description = "CloudWatch log groups the database exports to, keyed error, general, slowquery."
  value       = { for k, g in aws_cloudwatch_log_group.db : k => g.name }
}

output "db_replica_identifier" {
  description = "Identifier of the read replica (null when read_replica is off)."
  value       = one(aws_db_instance.replica[*].identifier)
}

output "db_replica_endpoint_address" {
  description = "DNS name of the read replica's endpoint (null when read_replica is off)."
  value       = one(aws_db_instance.replica[*].address)
}
