# Every validation rule of the root variables rejects a bad value (mock AWS provider, plan only).
# Each run breaks exactly one rule.

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

run "rejects_environment_name_outside_the_naming_rules" {
  command = plan

  variables {
    environment = "Staging_1"
  }

  expect_failures = [var.environment]
}

run "rejects_project_name_with_upper_case" {
  command = plan

  variables {
    project_name = "Fuel-Flow"
  }

  expect_failures = [var.project_name]
}

run "rejects_region_not_a_region_code" {
  command = plan

  variables {
    region = "US East"
  }

  expect_failures = [var.region]
}

run "rejects_tag_key_with_aws_prefix" {
  command = plan

  variables {
    tags = { "aws:createdBy" = "me" }
  }

  expect_failures = [var.tags]
}

run "rejects_vpc_cidr_not_a_cidr" {
  command = plan

  variables {
    network = {
      vpc_cidr             = "10.10.0.0"
      public_subnet_cidrs  = ["10.10.0.0/24", "10.10.1.0/24"]
      private_subnet_cidrs = ["10.10.10.0/24", "10.10.11.0/24"]
      flow_logs            = false
    }
  }

  expect_failures = [var.network]
}

run "rejects_vpc_cidr_too_large" {
  command = plan

  variables {
    network = {
      vpc_cidr             = "10.0.0.0/8"
      public_subnet_cidrs  = ["10.0.0.0/24", "10.0.1.0/24"]
      private_subnet_cidrs = ["10.0.10.0/24", "10.0.11.0/24"]
      flow_logs            = false
    }
  }

  expect_failures = [var.network]
}

run "rejects_three_public_subnets" {
  command = plan

  variables {
    network = {
      vpc_cidr             = "10.10.0.0/16"
      public_subnet_cidrs  = ["10.10.0.0/24", "10.10.1.0/24", "10.10.2.0/24"]
      private_subnet_cidrs = ["10.10.10.0/24", "10.10.11.0/24"]
      flow_logs            = false
    }
  }

  expect_failures = [var.network]
}

run "rejects_subnet_outside_the_vpc" {
  command = plan

  variables {
    network = {
      vpc_cidr             = "10.10.0.0/16"
      public_subnet_cidrs  = ["10.10.0.0/24", "10.10.1.0/24"]
      private_subnet_cidrs = ["10.10.10.0/24", "10.99.11.0/24"]
      flow_logs            = false
    }
  }

  expect_failures = [var.network]
}

run "rejects_duplicate_subnet_cidrs" {
  command = plan

  variables {
    network = {
      vpc_cidr             = "10.10.0.0/16"
      public_subnet_cidrs  = ["10.10.0.0/24", "10.10.1.0/24"]
      private_subnet_cidrs = ["10.10.1.0/24", "10.10.11.0/24"]
      flow_logs            = false
    }
  }

  expect_failures = [var.network]
}

run "rejects_overlapping_subnet_cidrs" {
  command = plan

  variables {
    network = {
      vpc_cidr             = "10.10.0.0/16"
      public_subnet_cidrs  = ["10.10.0.0/23", "10.10.1.0/24"]
      private_subnet_cidrs = ["10.10.10.0/24", "10.10.11.0/24"]
      flow_logs            = false
    }
  }

  expect_failures = [var.network]
}

run "rejects_instance_type_malformed" {
  command = plan

  variables {
    ec2 = {
      instance_type    = "t3micro"
      instance_count   = 1
      root_volume_size = 20
      admin_ssh_cidrs  = []
    }
  }

  expect_failures = [var.ec2]
}

run "rejects_instance_count_zero" {
  command = plan

  variables {
    ec2 = {
      instance_type    = "t3.micro"
      instance_count   = 0
      root_volume_size = 20
      admin_ssh_cidrs  = []
    }
  }

  expect_failures = [var.ec2]
}

run "rejects_instance_count_five" {
  command = plan

  variables {
    ec2 = {
      instance_type    = "t3.micro"
      instance_count   = 5
      root_volume_size = 20
      admin_ssh_cidrs  = []
    }
  }

  expect_failures = [var.ec2]
}

run "rejects_root_volume_too_small" {
  command = plan

  variables {
    ec2 = {
      instance_type    = "t3.micro"
      instance_count   = 1
      root_volume_size = 4
      admin_ssh_cidrs  = []
    }
  }

  expect_failures = [var.ec2]
}

run "rejects_three_admin_ssh_cidrs" {
  command = plan

  variables {
    ec2 = {
      instance_type    = "t3.micro"
      instance_count   = 1
      root_volume_size = 20
      admin_ssh_cidrs  = ["10.0.0.1/32", "10.0.0.2/32", "10.0.0.3/32"]
    }
  }

  expect_failures = [var.ec2]
}

run "rejects_ssh_open_to_the_internet" {
  command = plan

  variables {
    ec2 = {
      instance_type    = "t3.micro"
      instance_count   = 1
      root_volume_size = 20
      admin_ssh_cidrs  = ["0.0.0.0/0"]
    }
  }

  expect_failures = [var.ec2]
}

run "rejects_admin_ssh_cidr_malformed" {
  command = plan

  variables {
    ec2 = {
      instance_type    = "t3.micro"
      instance_count   = 1
      root_volume_size = 20
      admin_ssh_cidrs  = ["203.0.113.7"]
    }
  }

  expect_failures = [var.ec2]
}

run "rejects_db_instance_class_without_db_prefix" {
  command = plan

  variables {
    rds = {
      instance_class        = "t3.micro"
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
  }

  expect_failures = [var.rds]
}

run "rejects_engine_version_not_mysql_80" {
  command = plan

  variables {
    rds = {
      instance_class        = "db.t3.micro"
      engine_version        = "8.4"
      allocated_storage     = 20
      max_allocated_storage = 100
      multi_az              = false
      backup_retention_days = 7
      deletion_protection   = false
      monitoring_interval   = 60
      read_replica          = false
      slow_query_seconds    = 2
    }
  }

  expect_failures = [var.rds]
}

run "rejects_allocated_storage_below_20" {
  command = plan

  variables {
    rds = {
      instance_class        = "db.t3.micro"
      engine_version        = "8.0"
      allocated_storage     = 10
      max_allocated_storage = 100
      multi_az              = false
      backup_retention_days = 7
      deletion_protection   = false
      monitoring_interval   = 60
      read_replica          = false
      slow_query_seconds    = 2
    }
  }

  expect_failures = [var.rds]
}

run "rejects_max_storage_not_above_allocated" {
  command = plan

  variables {
    rds = {
      instance_class        = "db.t3.micro"
      engine_version        = "8.0"
      allocated_storage     = 20
      max_allocated_storage = 20
      multi_az              = false
      backup_retention_days = 7
      deletion_protection   = false
      monitoring_interval   = 60
      read_replica          = false
      slow_query_seconds    = 2
    }
  }

  expect_failures = [var.rds]
}

run "rejects_backup_retention_zero" {
  command = plan

  variables {
    rds = {
      instance_class        = "db.t3.micro"
      engine_version        = "8.0"
      allocated_storage     = 20
      max_allocated_storage = 100
      multi_az              = false
      backup_retention_days = 0
      deletion_protection   = false
      monitoring_interval   = 60
      read_replica          = false
      slow_query_seconds    = 2
    }
  }

  expect_failures = [var.rds]
}

run "rejects_backup_retention_over_35" {
  command = plan

  variables {
    rds = {
      instance_class        = "db.t3.micro"
      engine_version        = "8.0"
      allocated_storage     = 20
      max_allocated_storage = 100
      multi_az              = false
      backup_retention_days = 36
      deletion_protection   = false
      monitoring_interval   = 60
      read_replica          = false
      slow_query_seconds    = 2
    }
  }

  expect_failures = [var.rds]
}

run "rejects_monitoring_interval_unsupported" {
  command = plan

  variables {
    rds = {
      instance_class        = "db.t3.micro"
      engine_version        = "8.0"
      allocated_storage     = 20
      max_allocated_storage = 100
      multi_az              = false
      backup_retention_days = 7
      deletion_protection   = false
      monitoring_interval   = 45
      read_replica          = false
      slow_query_seconds    = 2
    }
  }

  expect_failures = [var.rds]
}

run "rejects_log_expiration_zero" {
  command = plan

  variables {
    s3 = {
      log_expiration_days                = 0
      noncurrent_version_expiration_days = 30
    }
  }

  expect_failures = [var.s3]
}

run "rejects_noncurrent_expiration_over_ten_years" {
  command = plan

  variables {
    s3 = {
      log_expiration_days                = 90
      noncurrent_version_expiration_days = 4000
    }
  }

  expect_failures = [var.s3]
}

run "rejects_log_retention_not_a_cloudwatch_value" {
  command = plan

  variables {
    log_retention_days = 31
  }

  expect_failures = [var.log_retention_days]
}


run "rejects_duplicate_admin_ssh_cidrs" {
  command = plan

  variables {
    ec2 = {
      instance_type    = "t3.micro"
      instance_count   = 1
      root_volume_size = 20
      admin_ssh_cidrs  = ["203.0.113.0/24", "203.0.113.0/24"]
    }
  }

  expect_failures = [var.ec2]
}

run "rejects_web_min_size_zero" {
  command = plan

  variables {
    web = {
      load_balancer          = false
      min_size               = 0
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
  }

  expect_failures = [var.web]
}

run "rejects_web_desired_capacity_above_ten" {
  command = plan

  variables {
    web = {
      load_balancer          = false
      min_size               = 1
      desired_capacity       = 11
      max_size               = 10
      cpu_target             = 60
      min_healthy_percentage = 50
      health_check_path      = "/health.html"
      deregistration_delay   = 30
      stickiness             = false
      certificate_arn        = ""
      domain_name            = ""
      hosted_zone_id         = ""
    }
  }

  expect_failures = [var.web]
}

run "rejects_web_max_size_above_ten" {
  command = plan

  variables {
    web = {
      load_balancer          = false
      min_size               = 1
      desired_capacity       = 1
      max_size               = 11
      cpu_target             = 60
      min_healthy_percentage = 50
      health_check_path      = "/health.html"
      deregistration_delay   = 30
      stickiness             = false
      certificate_arn        = ""
      domain_name            = ""
      hosted_zone_id         = ""
    }
  }

  expect_failures = [var.web]
}

run "rejects_web_desired_capacity_outside_min_and_max" {
  command = plan

  variables {
    web = {
      load_balancer          = false
      min_size               = 2
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
  }

  expect_failures = [var.web]
}

run "rejects_web_cpu_target_above_ninety" {
  command = plan

  variables {
    web = {
      load_balancer          = false
      min_size               = 1
      desired_capacity       = 1
      max_size               = 2
      cpu_target             = 95
      min_healthy_percentage = 50
      health_check_path      = "/health.html"
      deregistration_delay   = 30
      stickiness             = false
      certificate_arn        = ""
      domain_name            = ""
      hosted_zone_id         = ""
    }
  }

  expect_failures = [var.web]
}

run "rejects_web_min_healthy_percentage_below_fifty" {
  command = plan

  variables {
    web = {
      load_balancer          = false
      min_size               = 1
      desired_capacity       = 1
      max_size               = 2
      cpu_target             = 60
      min_healthy_percentage = 40
      health_check_path      = "/health.html"
      deregistration_delay   = 30
      stickiness             = false
      certificate_arn        = ""
      domain_name            = ""
      hosted_zone_id         = ""
    }
  }

  expect_failures = [var.web]
}

run "rejects_web_health_check_path_without_slash" {
  command = plan

  variables {
    web = {
      load_balancer          = false
      min_size               = 1
      desired_capacity       = 1
      max_size               = 2
      cpu_target             = 60
      min_healthy_percentage = 50
      health_check_path      = "health.html"
      deregistration_delay   = 30
      stickiness             = false
      certificate_arn        = ""
      domain_name            = ""
      hosted_zone_id         = ""
    }
  }

  expect_failures = [var.web]
}

run "rejects_web_deregistration_delay_above_an_hour" {
  command = plan

  variables {
    web = {
      load_balancer          = false
      min_size               = 1
      desired_capacity       = 1
      max_size               = 2
      cpu_target             = 60
      min_healthy_percentage = 50
      health_check_path      = "/health.html"
      deregistration_delay   = 3601
      stickiness             = false
      certificate_arn        = ""
      domain_name            = ""
      hosted_zone_id         = ""
    }
  }

  expect_failures = [var.web]
}

run "rejects_web_certificate_arn_not_acm" {
  command = plan

  variables {
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
      certificate_arn        = "arn:aws:iam::123456789012:server-certificate/x"
      domain_name            = ""
      hosted_zone_id         = ""
    }
  }

  expect_failures = [var.web]
}

run "rejects_web_domain_name_with_upper_case" {
  command = plan

  variables {
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
      domain_name            = "WWW.Example.com"
      hosted_zone_id         = "Z123"
    }
  }

  expect_failures = [var.web]
}

run "rejects_web_hosted_zone_id_not_route53" {
  command = plan

  variables {
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
      domain_name            = "www.example.com"
      hosted_zone_id         = "zone-1"
    }
  }

  expect_failures = [var.web]
}

run "rejects_web_domain_name_without_hosted_zone" {
  command = plan

  variables {
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
      domain_name            = "www.example.com"
      hosted_zone_id         = ""
    }
  }

  expect_failures = [var.web]
}

run "rejects_edge_waf_rate_limit_below_hundred" {
  command = plan

  variables {
    edge = {
      cloudfront     = false
      waf            = false
      waf_rate_limit = 99
      dns_record     = false
    }
  }

  expect_failures = [var.edge]
}

run "rejects_edge_options_without_load_balancer" {
  command = plan

  variables {
    edge = {
      cloudfront     = false
      waf            = true
      waf_rate_limit = 2000
      dns_record     = false
    }
  }

  expect_failures = [var.edge]
}

run "rejects_edge_dns_record_without_domain" {
  command = plan

  variables {
    edge = {
      cloudfront     = false
      waf            = false
      waf_rate_limit = 2000
      dns_record     = true
    }
    web = {
      load_balancer          = true
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
  }

  expect_failures = [var.edge]
}

run "rejects_edge_cloudfront_without_certificate" {
  command = plan

  variables {
    edge = {
      cloudfront     = true
      waf            = false
      waf_rate_limit = 2000
      dns_record     = false
    }
    web = {
      load_balancer          = true
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
  }

  expect_failures = [var.edge]
}

run "rejects_monitoring_alarm_emails_not_addresses" {
  command = plan

  variables {
    monitoring = {
      web_cpu_percent           = 80
      db_cpu_percent            = 80
      db_free_storage_mib       = 2048
      db_freeable_memory_mib    = 64
      db_connections            = 60
      alb_5xx_count             = 10
      alb_response_time_seconds = 2
      alarm_emails              = ["ops.example.com"]
    }
  }

  expect_failures = [var.monitoring]
}

run "rejects_monitoring_web_cpu_percent_above_hundred" {
  command = plan

  variables {
    monitoring = {
      web_cpu_percent           = 101
      db_cpu_percent            = 80
      db_free_storage_mib       = 2048
      db_freeable_memory_mib    = 64
      db_connections            = 60
      alb_5xx_count             = 10
      alb_response_time_seconds = 2
      alarm_emails              = []
    }
  }

  expect_failures = [var.monitoring]
}

run "rejects_monitoring_db_cpu_percent_zero" {
  command = plan

  variables {
    monitoring = {
      web_cpu_percent           = 80
      db_cpu_percent            = 0
      db_free_storage_mib       = 2048
      db_freeable_memory_mib    = 64
      db_connections            = 60
      alb_5xx_count             = 10
      alb_response_time_seconds = 2
      alarm_emails              = []
    }
  }

  expect_failures = [var.monitoring]
}

run "rejects_monitoring_db_free_storage_mib_below_256" {
  command = plan

  variables {
    monitoring = {
      web_cpu_percent           = 80
      db_cpu_percent            = 80
      db_free_storage_mib       = 255
      db_freeable_memory_mib    = 64
      db_connections            = 60
      alb_5xx_count             = 10
      alb_response_time_seconds = 2
      alarm_emails              = []
    }
  }

  expect_failures = [var.monitoring]
}

run "rejects_monitoring_db_freeable_memory_mib_below_16" {
  command = plan

  variables {
    monitoring = {
      web_cpu_percent           = 80
      db_cpu_percent            = 80
      db_free_storage_mib       = 2048
      db_freeable_memory_mib    = 15
      db_connections            = 60
      alb_5xx_count             = 10
      alb_response_time_seconds = 2
      alarm_emails              = []
    }
  }

  expect_failures = [var.monitoring]
}

run "rejects_monitoring_db_connections_zero" {
  command = plan

  variables {
    monitoring = {
      web_cpu_percent           = 80
      db_cpu_percent            = 80
      db_free_storage_mib       = 2048
      db_freeable_memory_mib    = 64
      db_connections            = 0
      alb_5xx_count             = 10
      alb_response_time_seconds = 2
      alarm_emails              = []
    }
  }

  expect_failures = [var.monitoring]
}

run "rejects_monitoring_alb_5xx_count_zero" {
  command = plan

  variables {
    monitoring = {
      web_cpu_percent           = 80
      db_cpu_percent            = 80
      db_free_storage_mib       = 2048
      db_freeable_memory_mib    = 64
      db_connections            = 60
      alb_5xx_count             = 0
      alb_response_time_seconds = 2
      alarm_emails              = []
    }
  }

  expect_failures = [var.monitoring]
}

run "rejects_monitoring_alb_response_time_above_a_minute" {
  command = plan

  variables {
    monitoring = {
      web_cpu_percent           = 80
      db_cpu_percent            = 80
      db_free_storage_mib       = 2048
      db_freeable_memory_mib    = 64
      db_connections            = 60
      alb_5xx_count             = 10
      alb_response_time_seconds = 61
      alarm_emails              = []
    }
  }

  expect_failures = [var.monitoring]
}

run "rejects_rds_slow_query_seconds_zero" {
  command = plan

  variables {
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
      slow_query_seconds    = 0
    }
  }

  expect_failures = [var.rds]
}
