output "vpc_id" {
  description = "ID of the VPC."
  value       = aws_vpc.this.id
}

output "vpc_cidr" {
  description = "IPv4 CIDR of the VPC."
  value       = aws_vpc.this.cidr_block
}

output "public_subnet_ids" {
  description = "IDs of the two public subnets, in availability-zone order."
  value       = aws_subnet.public[*].id
}

output "private_subnet_ids" {
  description = "IDs of the two private subnets, in availability-zone order."
  value       = aws_subnet.private[*].id
}

output "availability_zones" {
  description = "The two availability zones the subnets use."
  value       = local.azs
}

output "public_route_table_id" {
  description = "ID of the public route table (default route to the internet gateway)."
  value       = aws_route_table.public.id
}

output "private_route_table_id" {
  description = "ID of the private route table (no internet route)."
  value       = aws_route_table.private.id
}

output "internet_gateway_id" {
  description = "ID of the internet gateway."
  value       = aws_internet_gateway.this.id
}

output "s3_endpoint_id" {
  description = "ID of the S3 gateway endpoint."
  value       = aws_vpc_endpoint.s3.id
}

output "flow_log_id" {
  description = "ID of the VPC's flow log (null when flow_logs is off)."
  value       = one(aws_flow_log.this[*].id)
}

output "flow_log_group_name" {
  description = "CloudWatch log group receiving the VPC's flow logs (null when flow_logs is off)."
  value       = one(aws_cloudwatch_log_group.flow_logs[*].name)
}

output "web_security_group_id" {
  description = "ID of the web servers' security group (the ec2 module's instances use it; the database admits MySQL from it)."
  value       = aws_security_group.web.id
}

output "load_balancer_security_group_id" {
  description = "ID of the load balancer's security group (null without one)."
  value       = one(aws_security_group.alb[*].id)
}
