variable "project_name" {
  description = "Project name, the prefix of every resource name."
  type        = string
  nullable    = false

  validation {
    condition     = can(regex("^[a-z]([a-z0-9]|-[a-z0-9])*$", var.project_name)) && length(var.project_name) >= 2 && length(var.project_name) <= 21
    error_message = "project_name must be 2..21 lower-case letters, digits and single hyphens, starting with a letter and not ending with a hyphen: pass a name such as fuel-flow."
  }
}

variable "environment" {
  description = "Environment name (the environment file's `name`; any name the contract allows)."
  type        = string
  nullable    = false

  validation {
    condition     = can(regex("^[a-z]([a-z0-9]|-[a-z0-9])*$", var.environment)) && length(var.environment) >= 2 && length(var.environment) <= 16
    error_message = "environment must be 2..16 lower-case letters, digits and single hyphens, starting with a letter and not ending with a hyphen: pass a name such as staging or pr-142."
  }
}

variable "vpc_id" {
  description = "ID of the VPC the database security group belongs to."
  type        = string
  nullable    = false
}

variable "private_subnet_ids" {
  description = "Private subnets (at least two, in two AZs) of the DB subnet group."
  type        = list(string)
  nullable    = false

  validation {
    condition     = length(var.private_subnet_ids) >= 2
    error_message = "private_subnet_ids must list at least 2 subnets in different AZs (RDS requires it): pass the network module's private_subnet_ids output."
  }
}

variable "web_security_group_id" {
  description = "Security group of the web tier: the only source allowed to reach MySQL (3306)."
  type        = string
  nullable    = false
}

variable "instance_class" {
  description = "RDS instance class."
  type        = string
  nullable    = false

  validation {
    condition     = can(regex("^db\\.[a-z0-9]+\\.[a-z0-9]+$", var.instance_class))
    error_message = "instance_class must be an RDS instance class such as db.t3.micro: pass one offered for MySQL in the region."
  }
}

variable "engine_version" {
  description = "MySQL engine version, 8.0 or 8.0.<patch> (parameter group family mysql8.0)."
  type        = string
  nullable    = false

  validation {
    condition     = can(regex("^8\\.0(\\.[0-9]{1,3})?$", var.engine_version))
    error_message = "engine_version must be 8.0 or 8.0.<patch>: pass a MySQL 8.0 version."
  }
}

variable "allocated_storage" {
  description = "Initial gp3 storage, in GiB."
  type        = number
  nullable    = false

  validation {
    condition     = var.allocated_storage >= 20 && var.allocated_storage <= 65536 && floor(var.allocated_storage) == var.allocated_storage
    error_message = "allocated_storage must be a whole number of GiB from 20 to 65536: pass a size in that range."
  }
}

variable "max_allocated_storage" {
  description = "Storage autoscaling ceiling, in GiB (greater than allocated_storage)."
  type        = number
  nullable    = false

  validation {
    condition     = var.max_allocated_storage > var.allocated_storage && var.max_allocated_storage <= 65536 && floor(var.max_allocated_storage) == var.max_allocated_storage
    error_message = "max_allocated_storage must be a whole number greater than allocated_storage and at most 65536 GiB: raise or lower max_allocated_storage."
  }
}

variable "multi_az" {
  description = "Run a synchronous standby in a second AZ."
  type        = bool
  nullable    = false
}

variable "backup_retention_days" {
  description = "Days automated backups are kept (1..35)."
  type        = number
  nullable    = false

  validation {
    condition     = var.backup_retention_days >= 1 && var.backup_retention_days <= 35
    error_message = "backup_retention_days must be 1..35 (automated backups stay on): pass a value in that range."
  }
}

variable "deletion_protection" {
  description = "Refuse to delete the database until this is switched off."
  type        = bool
  nullable    = false
}

variable "monitoring_interval" {
  description = "Enhanced monitoring interval in seconds (0 = off)."
  type        = number
  nullable    = false

  validation {
    condition     = contains([0, 1, 5, 10, 15, 30, 60], var.monitoring_interval)
    error_message = "monitoring_interval must be one of 0, 1, 5, 10, 15, 30, 60: pass one of them."
  }
}

variable "monitoring_role_arn" {
  description = "ARN of the enhanced monitoring role; required when monitoring_interval > 0."
  type        = string
  default     = null

  validation {
    condition     = var.monitoring_interval == 0 || var.monitoring_role_arn != null
    error_message = "monitoring_role_arn is required when monitoring_interval > 0: pass the iam module's rds_monitoring_role_arn, or set monitoring_interval to 0."
  }
}

variable "log_retention_days" {
  description = "Retention of the database's CloudWatch log groups (/aws/rds/instance/<identifier>/error, general, slowquery), in days."
  type        = number
  nullable    = false

  validation {
    condition     = contains([1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.log_retention_days)
    error_message = "log_retention_days must be a value CloudWatch Logs accepts (1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653): pass one of them."
  }
}

variable "read_replica" {
  description = "Create a read replica <project>-db-replica-<env> (same class, private subnets, same security group and monitoring)."
  type        = bool
  default     = false
  nullable    = false
}

variable "slow_query_seconds" {
  description = "Statements running longer than this many seconds go to the slow query log (long_query_time, 1..60)."
  type        = number
  default     = 2
  nullable    = false

  validation {
    condition     = var.slow_query_seconds >= 1 && var.slow_query_seconds <= 60 && floor(var.slow_query_seconds) == var.slow_query_seconds
    error_message = "slow_query_seconds must be a whole number of seconds from 1 to 60: pass e.g. 2."
  }
}
