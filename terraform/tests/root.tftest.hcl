# The whole root with a mock AWS provider, plan only: dev and prod values plan, outputs follow the contract.

mock_provider "aws" {
  mock_data "aws_availability_zones" {
    defaults = {
      names    = ["us-east-1a", "us-east-1b", "us-east-1c"]
      zone_ids = ["use1-az1", "use1-az2", "use1-az4"]
    }
  }

  mock_data "aws_caller_identity" {
    defaults = {
      account_id = "123456789012"
    }
  }

  mock_data "aws_region" {
    defaults = {
      name = "us-east-1"
    }
  }

  mock_data "aws_partition" {
    defaults = {
      partition = "aws"
    }
  }

  mock_data "aws_ssm_parameter" {
    defaults = {
      value          = "ami-0123456789abcdef0"
      insecure_value = "ami-0123456789abcdef0"
      type           = "String"
    }
  }
}

# The values of environments/dev.yaml, as fuelflow passes them.
variables {
  environment  = "dev"
  project_name = "fuel-flow"
  region       = "us-east-1"
  tags = {
    Project     = "fuel-flow"
    Environment = "dev"
    Owner       = "platform-team"
    CostCenter  = "fuel-flow-dev"
  }
  network = {
    vpc_cidr             = "10.10.0.0/16"
    public_subnet_cidrs  = ["10.10.0.0/24", "10.10.1.0/24"]
    private_subnet_cidrs = ["10.10.10.0/24", "10.10.11.0/24"]
    flow_logs            = false
  }
  ec2 = {
    instance_type    = "t3.micro"
    instance_count   = 1
    root_volume_size = 20
    admin_ssh_cidrs  = []
  }
  rds = {
    instance_class        = "db.t3.micro"
    engine_version        = "8.0"
    allocated_storage     = 20
    max_allocated_storage = 100
    multi_az              = false
    backup_retention_days = 7
    deletion_protection   = false
    monitoring_interval   = 60
    read_replica          = false
    slow_query_seconds    = 2
  }
  s3 = {
    log_expiration_days                = 90
    noncurrent_version_expiration_days = 30
  }
  log_retention_days = 30
  web = {
    load_balancer          = false
    min_size               = 1
    desired_capacity       = 1
    max_size               = 2
    cpu_target             = 60
    min_healthy_percentage = 50
    health_check_path      = "/health.html"
    deregistration_delay   = 30
    stickiness             = false
    certificate_arn        = ""
    domain_name            = ""
    hosted_zone_id         = ""
  }
  edge = {
    cloudfront     = false
    waf            = false
    waf_rate_limit = 2000
    dns_record     = false
  }
  monitoring = {
    web_cpu_percent           = 80
    db_cpu_percent            = 80
    db_free_storage_mib       = 2048
    db_freeable_memory_mib    = 64
    db_connections            = 60
    alb_5xx_count             = 10
    alb_response_time_seconds = 2
    alarm_emails              = []
  }
}

run "dev_plans" {
  command = plan

  assert {
    condition     = output.app_data_bucket_name == "fuel-flow-app-data-dev-123456789012-us-east-1"
    error_message = "Bucket names must follow docs/contract.md."
  }

  assert {
    condition     = output.logs_bucket_name == "fuel-flow-logs-dev-123456789012-us-east-1" && output.backups_bucket_name == "fuel-flow-backups-dev-123456789012-us-east-1"
    error_message = "Bucket names must follow docs/contract.md."
  }

  assert {
    condition     = output.backups_bucket_arn == "arn:aws:s3:::fuel-flow-backups-dev-123456789012-us-east-1"
    error_message = "Bucket ARNs must be output."
  }

  assert {
    condition     = output.ec2_role_name == "fuel-flow-ec2-role-dev" && output.ec2_instance_profile_name == "fuel-flow-ec2-profile-dev"
    error_message = "Role and profile names must follow docs/contract.md."
  }

  assert {
    condition     = output.db_instance_identifier == "fuel-flow-db-dev"
    error_message = "The DB identifier must follow docs/contract.md."
  }

  assert {
    condition     = length(output.instance_ids) == 1 && length(output.instance_public_ips) == 1
    error_message = "dev runs ec2.instance_count = 1 instance."
  }

  assert {
    condition     = length(output.public_subnet_ids) == 2 && length(output.private_subnet_ids) == 2
    error_message = "Two public and two private subnets."
  }

  assert {
    condition     = output.log_group_names == { apache_access = "/fuel-flow/dev/apache/access", apache_error = "/fuel-flow/dev/apache/error", system = "/fuel-flow/dev/system" }
    error_message = "Log group names must follow docs/contract.md."
  }
}

run "prod_plans" {
  command = plan

  variables {
    environment = "prod"
    tags        = { Project = "fuel-flow", Environment = "prod", Owner = "platform-team", CostCenter = "fuel-flow-prod" }
    network = {
      vpc_cidr             = "10.20.0.0/16"
      public_subnet_cidrs  = ["10.20.0.0/24", "10.20.1.0/24"]
      private_subnet_cidrs = ["10.20.10.0/24", "10.20.11.0/24"]
      flow_logs            = true
    }
    ec2 = {
      instance_type    = "t3.small"
      instance_count   = 2
      root_volume_size = 30
      admin_ssh_cidrs  = []
    }
    rds = {
      instance_class        = "db.t3.small"
      engine_version        = "8.0"
      allocated_storage     = 50
      max_allocated_storage = 200
      multi_az              = true
      backup_retention_days = 7
      deletion_protection   = true
      monitoring_interval   = 60
      read_replica          = false
      slow_query_seconds    = 2
    }
    s3 = {
      log_expiration_days                = 365
      noncurrent_version_expiration_days = 90
    }
    log_retention_days = 90
    web = {
      load_balancer          = true
      min_size               = 2
      desired_capacity       = 2
      max_size               = 4
      cpu_target             = 60
      min_healthy_percentage = 50
      health_check_path      = "/health.html"
      deregistration_delay   = 30
      stickiness             = false
      certificate_arn        = ""
      domain_name            = ""
      hosted_zone_id         = ""
    }
    monitoring = {
      alarm_emails              = []
      web_cpu_percent           = 80
      db_cpu_percent            = 80
      db_free_storage_mib       = 5120
      db_freeable_memory_mib    = 128
      db_connections            = 120
      alb_5xx_count             = 10
      alb_response_time_seconds = 2
    }
  }

  assert {
    condition     = length(output.instance_ids) == 0 && output.autoscaling_group_name == "fuel-flow-web-asg-prod"
    error_message = "prod runs its web tier in the Auto Scaling group behind the load balancer (web.load_balancer), no static instances."
  }

  assert {
    condition     = output.db_instance_identifier == "fuel-flow-db-prod" && output.app_data_bucket_name == "fuel-flow-app-data-prod-123456789012-us-east-1"
    error_message = "prod names must carry the environment."
  }
}

run "optional_admin_ssh_cidrs_may_be_omitted" {
  command = plan

  variables {
    ec2 = {
      instance_type    = "t3.micro"
      instance_count   = 1
      root_volume_size = 20
    }
  }

  assert {
    condition     = length(output.instance_ids) == 1
    error_message = "ec2.admin_ssh_cidrs is optional (default: no SSH)."
  }
}

run "monitoring_can_be_switched_off" {
  command = plan

  variables {
    rds = {
      instance_class        = "db.t3.micro"
      engine_version        = "8.0.40"
      allocated_storage     = 20
      max_allocated_storage = 100
      multi_az              = false
      backup_retention_days = 1
      deletion_protection   = false
      monitoring_interval   = 0
      read_replica          = false
      slow_query_seconds    = 2
    }
  }

  assert {
    condition     = output.db_instance_identifier == "fuel-flow-db-dev"
    error_message = "monitoring_interval 0 and a patch engine version must plan."
  }
}
