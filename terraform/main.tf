# Fuel Flow root module: one environment (environments/<env>.yaml -> variables, docs/contract.md).
# Modules mirror the CloudFormation stacks (network, s3, iam, ec2, rds); Terraform orders them by
# their references:   network ─┐
#                     s3 ──────┴─► iam ─► ec2
#                     network, iam ──────► rds (and ec2's security group)
# The state backend (modules/terraform-state) is a separate root, terraform/bootstrap.

module "network" {
  source = "./modules/network"

  project_name         = var.project_name
  environment          = var.environment
  vpc_cidr             = var.network.vpc_cidr
  public_subnet_cidrs  = var.network.public_subnet_cidrs
  private_subnet_cidrs = var.network.private_subnet_cidrs
}

module "s3" {
  source = "./modules/s3"

  project_name                       = var.project_name
  environment                        = var.environment
  log_expiration_days                = var.s3.log_expiration_days
  noncurrent_version_expiration_days = var.s3.noncurrent_version_expiration_days
}

module "iam" {
  source = "./modules/iam"

  project_name = var.project_name
  environment  = var.environment
  bucket_arns  = values(module.s3.bucket_arns)
}

module "ec2" {
  source = "./modules/ec2"

  project_name          = var.project_name
  environment           = var.environment
  vpc_id                = module.network.vpc_id
  vpc_cidr              = module.network.vpc_cidr
  public_subnet_ids     = module.network.public_subnet_ids
  instance_profile_name = module.iam.ec2_instance_profile_name
  instance_type         = var.ec2.instance_type
  instance_count        = var.ec2.instance_count
  root_volume_size      = var.ec2.root_volume_size
  admin_ssh_cidrs       = var.ec2.admin_ssh_cidrs
  log_retention_days    = var.log_retention_days

  # Web tier behind a load balancer (web.load_balancer): without it, the static instances above.
  load_balancer          = var.web.load_balancer
  min_size               = var.web.min_size
  desired_capacity       = var.web.desired_capacity
  max_size               = var.web.max_size
  cpu_target             = var.web.cpu_target
  min_healthy_percentage = var.web.min_healthy_percentage
  health_check_path      = var.web.health_check_path
  deregistration_delay   = var.web.deregistration_delay
  stickiness             = var.web.stickiness
  certificate_arn        = var.web.certificate_arn
  domain_name            = var.web.domain_name
  hosted_zone_id         = var.web.hosted_zone_id
  deletion_protection    = var.rds.deletion_protection
  access_logs_bucket     = module.s3.logs_bucket_name
}

module "rds" {
  source = "./modules/rds"

  project_name          = var.project_name
  environment           = var.environment
  vpc_id                = module.network.vpc_id
  private_subnet_ids    = module.network.private_subnet_ids
  web_security_group_id = module.ec2.security_group_id
  instance_class        = var.rds.instance_class
  engine_version        = var.rds.engine_version
  allocated_storage     = var.rds.allocated_storage
  max_allocated_storage = var.rds.max_allocated_storage
  multi_az              = var.rds.multi_az
  backup_retention_days = var.rds.backup_retention_days
  deletion_protection   = var.rds.deletion_protection
  monitoring_interval   = var.rds.monitoring_interval
  monitoring_role_arn   = module.iam.rds_monitoring_role_arn
  log_retention_days    = var.log_retention_days
}
