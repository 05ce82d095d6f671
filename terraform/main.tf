# Fuel Flow root module: one environment (environments/<env>.yaml -> variables, docs/contract.md).
# Modules mirror the CloudFormation stacks (network, s3, iam, ec2, rds); Terraform orders them by
# their references:   network ─┐
#                     s3 ──────┴─► iam ─► ec2
#                     network, iam ──────► rds (the web security group is network's: ec2 ∥ rds)
# The state backend (modules/terraform-state) is a separate root, terraform/bootstrap.

module "network" {
  source = "./modules/network"

  project_name         = var.project_name
  environment          = var.environment
  vpc_cidr             = var.network.vpc_cidr
  public_subnet_cidrs  = var.network.public_subnet_cidrs
  private_subnet_cidrs = var.network.private_subnet_cidrs
  flow_logs            = var.network.flow_logs
  log_retention_days   = var.log_retention_days

  # The web tier's security groups live here, so that rds needs only network and iam (ec2 ∥ rds).
  admin_ssh_cidrs = var.ec2.admin_ssh_cidrs
  load_balancer   = var.web.load_balancer
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
  bucket_arns  = module.s3.bucket_arns
}

module "ec2" {
  source = "./modules/ec2"

  project_name          = var.project_name
  environment           = var.environment
  vpc_id                = module.network.vpc_id
  public_subnet_ids     = module.network.public_subnet_ids
  security_group_id     = module.network.web_security_group_id
  instance_profile_name = module.iam.ec2_instance_profile_name
  instance_type         = var.ec2.instance_type
  instance_count        = var.ec2.instance_count
  root_volume_size      = var.ec2.root_volume_size
  log_retention_days    = var.log_retention_days

  # Web tier behind a load balancer (web.load_balancer): without it, the static instances above.
  load_balancer                   = var.web.load_balancer
  load_balancer_security_group_id = module.network.load_balancer_security_group_id
  min_size                        = var.web.min_size
  desired_capacity                = var.web.desired_capacity
  max_size                        = var.web.max_size
  cpu_target                      = var.web.cpu_target
  min_healthy_percentage          = var.web.min_healthy_percentage
  health_check_path               = var.web.health_check_path
  deregistration_delay            = var.web.deregistration_delay
  stickiness                      = var.web.stickiness
  certificate_arn                 = var.web.certificate_arn
  domain_name                     = var.web.domain_name
  hosted_zone_id                  = var.web.hosted_zone_id
  deletion_protection             = var.rds.deletion_protection
  access_logs_bucket              = module.s3.logs_bucket_name
}

module "rds" {
  source = "./modules/rds"

  project_name          = var.project_name
  environment           = var.environment
  vpc_id                = module.network.vpc_id
  private_subnet_ids    = module.network.private_subnet_ids
  web_security_group_id = module.network.web_security_group_id
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
  read_replica          = var.rds.read_replica
  slow_query_seconds    = var.rds.slow_query_seconds
}

# Edge options (edge.waf, edge.cloudfront, edge.dns_record), all off by default: with every switch off the
# module creates nothing. It sits in front of the web tier's load balancer (the ec2 module's outputs are null
# without one; a switch turned on without a load balancer is refused by the edge module's own validations).
module "edge" {
  source = "./modules/edge"

  project_name           = var.project_name
  environment            = var.environment
  waf                    = var.edge.waf
  waf_rate_limit         = var.edge.waf_rate_limit
  cloudfront             = var.edge.cloudfront
  dns_record             = var.edge.dns_record
  domain_name            = var.web.domain_name
  hosted_zone_id         = var.web.hosted_zone_id
  certificate_arn        = var.web.certificate_arn
  load_balancer_arn      = module.ec2.load_balancer_arn
  load_balancer_dns_name = module.ec2.load_balancer_dns_name
  load_balancer_zone_id  = module.ec2.load_balancer_zone_id
  https_listener_arn     = module.ec2.https_listener_arn
  target_group_arn       = module.ec2.target_group_arn
  logs_bucket_name       = module.s3.logs_bucket_name
}

module "monitoring" {
  source = "./modules/monitoring"

  project_name              = var.project_name
  environment               = var.environment
  load_balancer             = var.web.load_balancer
  instance_ids              = module.ec2.instance_ids
  autoscaling_group_name    = module.ec2.autoscaling_group_name
  load_balancer_arn_suffix  = module.ec2.load_balancer_arn_suffix
  target_group_arn_suffix   = module.ec2.target_group_arn_suffix
  db_instance_identifier    = module.rds.db_instance_identifier
  alarm_emails              = var.monitoring.alarm_emails
  web_cpu_percent           = var.monitoring.web_cpu_percent
  db_cpu_percent            = var.monitoring.db_cpu_percent
  db_free_storage_mib       = var.monitoring.db_free_storage_mib
  db_freeable_memory_mib    = var.monitoring.db_freeable_memory_mib
  db_connections            = var.monitoring.db_connections
  alb_5xx_count             = var.monitoring.alb_5xx_count
  alb_response_time_seconds = var.monitoring.alb_response_time_seconds
}
