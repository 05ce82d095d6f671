# Offline: mock AWS provider, plan only.

mock_provider "aws" {}

variables {
  project_name          = "fuel-flow"
  environment           = "dev"
  vpc_id                = "vpc-0123456789abcdef0"
  private_subnet_ids    = ["subnet-0000000000000000c", "subnet-0000000000000000d"]
  web_security_group_id = "sg-0123456789abcdef0"
  instance_class        = "db.t3.micro"
  engine_version        = "8.0"
  allocated_storage     = 20
  max_allocated_storage = 100
  multi_az              = false
  backup_retention_days = 7
  deletion_protection   = false
  monitoring_interval   = 60
  monitoring_role_arn   = "arn:aws:iam::123456789012:role/fuel-flow-rds-monitoring-role-dev"
  log_retention_days    = 30
}

run "database_is_private_encrypted_and_secretless" {
  command = plan

  assert {
    condition     = aws_db_instance.this.identifier == "fuel-flow-db-dev" && aws_db_instance.this.db_name == "fuelflow" && aws_db_instance.this.username == "fuelflow_admin"
    error_message = "Identifier, database and master user must follow docs/contract.md."
  }

  assert {
    condition     = aws_db_instance.this.storage_encrypted && aws_db_instance.this.storage_type == "gp3"
    error_message = "Storage must be encrypted gp3."
  }

  assert {
    condition     = aws_db_instance.this.manage_master_user_password && aws_db_instance.this.password == null
    error_message = "RDS must generate and keep the password in Secrets Manager; none may appear in configuration or state."
  }

  assert {
    condition     = !aws_db_instance.this.publicly_accessible
    error_message = "The database must not be publicly accessible."
  }

  assert {
    condition     = aws_db_subnet_group.this.subnet_ids == toset(["subnet-0000000000000000c", "subnet-0000000000000000d"])
    error_message = "The subnet group must hold the private subnets."
  }

  assert {
    condition     = aws_db_instance.this.iam_database_authentication_enabled && aws_db_instance.this.copy_tags_to_snapshot && aws_db_instance.this.auto_minor_version_upgrade
    error_message = "IAM auth, tag copy to snapshots and minor upgrades must be on."
  }

  assert {
    condition     = toset(aws_db_instance.this.enabled_cloudwatch_logs_exports) == toset(["error", "general", "slowquery"])
    error_message = "error, general and slowquery logs must be exported to CloudWatch."
  }

  assert {
    condition     = aws_db_instance.this.monitoring_interval == 60 && aws_db_instance.this.monitoring_role_arn == "arn:aws:iam::123456789012:role/fuel-flow-rds-monitoring-role-dev"
    error_message = "Enhanced monitoring must use monitoring_interval and the monitoring role."
  }

  assert {
    condition     = aws_db_instance.this.backup_retention_period == 7 && aws_db_instance.this.max_allocated_storage == 100
    error_message = "Backups and storage autoscaling must follow the inputs."
  }
}

run "tls_required_and_only_web_tier_allowed" {
  command = plan

  assert {
    condition     = aws_db_parameter_group.this.family == "mysql8.0" && aws_db_parameter_group.this.name == "fuel-flow-mysql80-dev"
    error_message = "The parameter group must be the mysql8.0 family, named <project>-mysql80-<env>."
  }

  assert {
    condition     = anytrue([for p in aws_db_parameter_group.this.parameter : p.name == "require_secure_transport" && p.value == "1"])
    error_message = "The parameter group must require TLS (require_secure_transport = 1)."
  }

  assert {
    condition     = { for p in aws_db_parameter_group.this.parameter : p.name => p.value if p.name != "require_secure_transport" } == { slow_query_log = "1", long_query_time = "2", general_log = "0" }
    error_message = "Slow query log on (over 2 s), general log off."
  }

  assert {
    condition     = aws_security_group.db.name == "fuel-flow-db-sg-dev"
    error_message = "The database security group must be named <project>-db-sg-<env>."
  }

  assert {
    condition = (
      aws_vpc_security_group_ingress_rule.mysql_from_web.referenced_security_group_id == "sg-0123456789abcdef0" &&
      aws_vpc_security_group_ingress_rule.mysql_from_web.from_port == 3306 &&
      aws_vpc_security_group_ingress_rule.mysql_from_web.to_port == 3306 &&
      aws_vpc_security_group_ingress_rule.mysql_from_web.cidr_ipv4 == null
    )
    error_message = "MySQL must be reachable only from the web security group, on 3306."
  }
}

run "dev_still_takes_a_final_snapshot" {
  command = plan

  assert {
    condition     = !aws_db_instance.this.skip_final_snapshot && !aws_db_instance.this.deletion_protection && !aws_db_instance.this.multi_az
    error_message = "dev: a final snapshot on deletion; deletion_protection and multi_az as given (false)."
  }

  assert {
    condition     = !aws_db_instance.this.performance_insights_enabled
    error_message = "db.t3.micro offers no Performance Insights: it must stay off."
  }

  assert {
    condition     = toset([for g in aws_cloudwatch_log_group.db : g.name]) == toset(["/aws/rds/instance/fuel-flow-db-dev/error", "/aws/rds/instance/fuel-flow-db-dev/general", "/aws/rds/instance/fuel-flow-db-dev/slowquery"])
    error_message = "The exported logs' groups must exist beforehand, named as RDS names them."
  }

  assert {
    condition     = alltrue([for g in aws_cloudwatch_log_group.db : g.retention_in_days == 30])
    error_message = "The database log groups must keep logs for log_retention_days."
  }

  assert {
    condition     = aws_db_instance.this.port == 3306 && aws_db_instance.this.ca_cert_identifier == "rds-ca-rsa2048-g1"
    error_message = "Port 3306 and the rds-ca-rsa2048-g1 certificate authority, as in the template."
  }
}

run "prod_takes_final_snapshot_and_is_protected" {
  command = plan

  variables {
    environment         = "prod"
    multi_az            = true
    deletion_protection = true
    allocated_storage   = 50
  }

  assert {
    condition     = !aws_db_instance.this.skip_final_snapshot
    error_message = "prod must take a final snapshot."
  }

  assert {
    condition     = aws_db_instance.this.deletion_protection && aws_db_instance.this.multi_az
    error_message = "deletion_protection and multi_az must follow the inputs."
  }
}

run "performance_insights_where_the_class_offers_it" {
  command = plan

  variables {
    instance_class = "db.m6g.large"
  }

  assert {
    condition     = aws_db_instance.this.performance_insights_enabled && aws_db_instance.this.performance_insights_retention_period == 7
    error_message = "Classes that offer Performance Insights get it, with the free 7-day retention."
  }
}

run "monitoring_off_needs_no_role" {
  command = plan

  variables {
    monitoring_interval = 0
    monitoring_role_arn = null
  }

  assert {
    condition     = aws_db_instance.this.monitoring_interval == 0
    error_message = "monitoring_interval 0 must plan without a monitoring role."
  }
}

run "rejects_bad_project_name" {
  command = plan

  variables {
    project_name = "x"
  }

  expect_failures = [var.project_name]
}

run "rejects_unknown_environment" {
  command = plan

  variables {
    environment = "prod--1"
  }

  expect_failures = [var.environment]
}

run "rejects_single_private_subnet" {
  command = plan

  variables {
    private_subnet_ids = ["subnet-0000000000000000c"]
  }

  expect_failures = [var.private_subnet_ids]
}

run "rejects_mysql_57" {
  command = plan

  variables {
    engine_version = "5.7"
  }

  expect_failures = [var.engine_version]
}

run "rejects_max_storage_not_above_allocated" {
  command = plan

  variables {
    max_allocated_storage = 20
  }

  expect_failures = [var.max_allocated_storage]
}

run "rejects_no_backups" {
  command = plan

  variables {
    backup_retention_days = 0
  }

  expect_failures = [var.backup_retention_days]
}

run "rejects_unsupported_monitoring_interval" {
  command = plan

  variables {
    monitoring_interval = 45
  }

  expect_failures = [var.monitoring_interval]
}

run "rejects_monitoring_without_role" {
  command = plan

  variables {
    monitoring_role_arn = null
  }

  expect_failures = [var.monitoring_role_arn]
}

run "rejects_unsupported_log_retention" {
  command = plan

  variables {
    log_retention_days = 10
  }

  expect_failures = [var.log_retention_days]
}

run "rejects_malformed_instance_class" {
  command = plan

  variables {
    instance_class = "t3.micro"
  }

  expect_failures = [var.instance_class]
}

run "rejects_allocated_storage_below_20" {
  command = plan

  variables {
    allocated_storage = 10
  }

  expect_failures = [var.allocated_storage]
}

run "no_replica_by_default_and_slow_queries_from_the_setting" {
  command = plan

  variables {
    slow_query_seconds = 7
  }

  assert {
    condition     = length(aws_db_instance.replica) == 0 && length(aws_cloudwatch_log_group.replica) == 0
    error_message = "Without read_replica there must be no replica and no replica log groups."
  }

  assert {
    condition     = one([for p in aws_db_parameter_group.this.parameter : p.value if p.name == "long_query_time"]) == "7"
    error_message = "long_query_time must be slow_query_seconds."
  }
}

run "read_replica_is_private_monitored_and_deletable" {
  command = plan

  variables {
    read_replica   = true
    instance_class = "db.m6i.large"
  }

  assert {
    condition     = aws_db_instance.replica[0].identifier == "fuel-flow-db-replica-dev" && aws_db_instance.replica[0].replicate_source_db == "fuel-flow-db-dev" && aws_db_instance.replica[0].instance_class == "db.m6i.large"
    error_message = "The replica must be <project>-db-replica-<env>, of the primary, in the primary's class."
  }

  assert {
    condition     = !aws_db_instance.replica[0].publicly_accessible && aws_db_instance.replica[0].db_subnet_group_name == "fuel-flow-db-subnets-dev" && aws_db_instance.replica[0].parameter_group_name == aws_db_parameter_group.this.name
    error_message = "The replica must be private, in the private subnets, with the primary's parameter group."
  }

  assert {
    condition     = aws_db_instance.replica[0].skip_final_snapshot && !aws_db_instance.replica[0].deletion_protection && !aws_db_instance.replica[0].multi_az
    error_message = "The replica takes no final snapshot (RDS refuses one), has no deletion protection and is single-AZ."
  }

  assert {
    condition     = aws_db_instance.replica[0].monitoring_interval == 60 && aws_db_instance.replica[0].performance_insights_enabled
    error_message = "The replica is monitored like the primary (enhanced monitoring, Performance Insights where the class offers it)."
  }

  assert {
    condition     = length(aws_cloudwatch_log_group.replica) == 3 && aws_cloudwatch_log_group.replica["slowquery"].name == "/aws/rds/instance/fuel-flow-db-replica-dev/slowquery"
    error_message = "The replica's exported logs get their own groups with retention."
  }
}

run "rejects_slow_query_seconds_of_zero" {
  command = plan

  variables {
    slow_query_seconds = 0
  }

  expect_failures = [var.slow_query_seconds]
}
