output "ec2_role_name" {
  description = "Name of the EC2 instance role."
  value       = aws_iam_role.ec2.name
}

output "ec2_role_arn" {
  description = "ARN of the EC2 instance role."
  value       = aws_iam_role.ec2.arn
}

output "ec2_instance_profile_name" {
  description = "Name of the EC2 instance profile (used by the launch template)."
  value       = aws_iam_instance_profile.ec2.name

  # Instances launched with the profile should find their permissions in place.
  depends_on = [
    aws_iam_role_policy.ec2_s3,
    aws_iam_role_policy.ec2_logs,
    aws_iam_role_policy.ec2_db_secret,
    aws_iam_role_policy_attachment.ec2_ssm,
  ]
}

output "ec2_instance_profile_arn" {
  description = "ARN of the EC2 instance profile."
  value       = aws_iam_instance_profile.ec2.arn
}

output "rds_monitoring_role_arn" {
  description = "ARN of the RDS enhanced monitoring role."
  value       = aws_iam_role.rds_monitoring.arn

  # RDS checks the role's permissions when monitoring is switched on: hand the ARN out only once the
  # managed policy is attached.
  depends_on = [aws_iam_role_policy_attachment.rds_monitoring]
}

output "lambda_role_arn" {
  description = "ARN of the Lambda execution role."
  value       = aws_iam_role.lambda.arn
}

output "lambda_role_name" {
  description = "Name of the Lambda execution role."
  value       = aws_iam_role.lambda.name
}
