# Root variables: exactly the keys of environments/<env>.yaml (docs/contract.md).
# `fuelflow` writes them into a var-file; every rule below names the YAML key to fix.

variable "environment" {
  description = "Environment name (environments/<env>.yaml `name`)."
  type        = string
  nullable    = false

  validation {
    condition     = can(regex("^[a-z]([a-z0-9]|-[a-z0-9])*$", var.environment)) && length(var.environment) >= 2 && length(var.environment) <= 16
    error_message = "environment must be 2..16 lower-case letters, digits and single hyphens, starting with a letter and not ending with a hyphen: set `name` in environments/<env>.yaml (and rename the file)."
  }
}

variable "project_name" {
  description = "Project name, the prefix of every resource name (environments/<env>.yaml `project`)."
  type        = string
  nullable    = false

  validation {
    # 21 characters at most keeps `<project>-app-data-<env>-<account>-<region>` within S3's 63.
    condition     = can(regex("^[a-z]([a-z0-9]|-[a-z0-9])*$", var.project_name)) && length(var.project_name) >= 2 && length(var.project_name) <= 21
    error_message = "project_name must be 2..21 lower-case letters, digits and single hyphens, starting with a letter and not ending with a hyphen: set `project` in environments/<env>.yaml."
  }
}

variable "region" {
  description = "AWS region to deploy into (environments/<env>.yaml `region`)."
  type        = string
  nullable    = false

  validation {
    condition     = can(regex("^[a-z]{2}(-gov|-iso[a-z]*)?-[a-z]+-[0-9]$", var.region))
    error_message = "region must be an AWS region code such as us-east-1: set `region` in environments/<env>.yaml."
  }
}

variable "tags" {
  description = "Tags applied to every resource through the provider's default_tags (environments/<env>.yaml `tags`)."
  type        = map(string)
  default     = {}
  nullable    = false

  validation {
    condition = alltrue([
      for k, v in var.tags :
      length(k) >= 1 && length(k) <= 128 && length(v) <= 256 && !startswith(lower(k), "aws:")
    ])
    error_message = "tags: keys must be 1..128 characters and not start with aws:, values at most 256 characters: fix `tags` in environments/<env>.yaml."
  }
}

variable "network" {
  description = "Dedicated VPC (DECISIONS 2): VPC CIDR and two public plus two private subnet CIDRs inside it (environments/<env>.yaml `network`)."
  type = object({
    vpc_cidr             = string
    public_subnet_cidrs  = list(string)
    private_subnet_cidrs = list(string)
  })
  nullable = false

  validation {
    condition     = can(cidrhost(var.network.vpc_cidr, 0)) && can(regex("^[0-9.]+/(1[6-9]|2[0-4])$", var.network.vpc_cidr))
    error_message = "network.vpc_cidr must be an IPv4 CIDR from /16 to /24 (e.g. 10.10.0.0/16): set network.vpc_cidr in environments/<env>.yaml."
  }

  validation {
    condition     = alltrue([for c in concat(var.network.public_subnet_cidrs, var.network.private_subnet_cidrs) : can(cidrhost(c, 0)) && try(tonumber(split("/", c)[1]) >= 16 && tonumber(split("/", c)[1]) <= 28, false)])
    error_message = "network.public_subnet_cidrs and network.private_subnet_cidrs must be IPv4 CIDRs from /16 to /28: fix them in environments/<env>.yaml."
  }

  validation {
    condition     = length(var.network.public_subnet_cidrs) == 2 && length(var.network.private_subnet_cidrs) == 2
    error_message = "network.public_subnet_cidrs and network.private_subnet_cidrs must each list exactly 2 CIDRs (one per AZ): fix them in environments/<env>.yaml."
  }

  validation {
    # (An invalid vpc_cidr is reported by the first rule, not here.)
    condition = !can(cidrhost(var.network.vpc_cidr, 0)) || alltrue([
      for c in concat(var.network.public_subnet_cidrs, var.network.private_subnet_cidrs) :
      can(cidrhost(c, 0)) && try(
        tonumber(split("/", c)[1]) >= tonumber(split("/", var.network.vpc_cidr)[1]) &&
        cidrhost(format("%s/%s", split("/", c)[0], split("/", var.network.vpc_cidr)[1]), 0) == cidrhost(var.network.vpc_cidr, 0),
        false
      )
    ])
    error_message = "network.public_subnet_cidrs and network.private_subnet_cidrs must be IPv4 CIDRs inside network.vpc_cidr: fix them in environments/<env>.yaml."
  }

  validation {
    # Two ranges overlap when their addresses agree on the shorter of the two prefixes.
    condition = alltrue(flatten([
      for i, a in concat(var.network.public_subnet_cidrs, var.network.private_subnet_cidrs) : [
        for j, b in concat(var.network.public_subnet_cidrs, var.network.private_subnet_cidrs) :
        j <= i || try(
          cidrhost(format("%s/%d", split("/", a)[0], min(tonumber(split("/", a)[1]), tonumber(split("/", b)[1]))), 0) !=
          cidrhost(format("%s/%d", split("/", b)[0], min(tonumber(split("/", a)[1]), tonumber(split("/", b)[1]))), 0),
          true
        )
      ]
    ]))
    error_message = "network subnet CIDRs must not overlap: give every subnet its own range in network.public_subnet_cidrs / network.private_subnet_cidrs in environments/<env>.yaml."
  }
}

variable "ec2" {
  description = "Web tier (environments/<env>.yaml `ec2`): instance type and count, root volume size in GiB (gp3, encrypted), CIDRs allowed to SSH (empty = port 22 closed; use SSM Session Manager)."
  type = object({
    instance_type    = string
    instance_count   = number
    root_volume_size = number
    admin_ssh_cidrs  = optional(list(string), [])
  })
  nullable = false

  validation {
    condition     = contains(["t3.micro", "t3.small", "t3.medium", "t3.large", "t3a.micro", "t3a.small", "t3a.medium", "t3a.large", "m5.large", "m6i.large", "m7i.large", "c6i.large", "c7i.large"], var.ec2.instance_type)
    error_message = "ec2.instance_type must be one of the x86_64 types t3.micro, t3.small, t3.medium, t3.large, t3a.micro, t3a.small, t3a.medium, t3a.large, m5.large, m6i.large, m7i.large, c6i.large, c7i.large: set ec2.instance_type in environments/<env>.yaml."
  }

  validation {
    condition     = var.ec2.instance_count >= 1 && var.ec2.instance_count <= 4 && floor(var.ec2.instance_count) == var.ec2.instance_count
    error_message = "ec2.instance_count must be 1..4: set ec2.instance_count in environments/<env>.yaml."
  }

  validation {
    condition     = var.ec2.root_volume_size >= 8 && var.ec2.root_volume_size <= 1024 && floor(var.ec2.root_volume_size) == var.ec2.root_volume_size
    error_message = "ec2.root_volume_size must be a whole number of GiB from 8 to 1024: set ec2.root_volume_size in environments/<env>.yaml."
  }

  validation {
    condition     = length(var.ec2.admin_ssh_cidrs) <= 2
    error_message = "ec2.admin_ssh_cidrs may list at most 2 CIDRs: shorten ec2.admin_ssh_cidrs in environments/<env>.yaml."
  }

  validation {
    condition = alltrue([
      for c in var.ec2.admin_ssh_cidrs :
      can(cidrhost(c, 0)) && try(tonumber(split("/", c)[1]) >= 8 && tonumber(split("/", c)[1]) <= 32, false)
    ]) && length(distinct(var.ec2.admin_ssh_cidrs)) == length(var.ec2.admin_ssh_cidrs)
    error_message = "ec2.admin_ssh_cidrs must be distinct IPv4 CIDRs from /8 to /32 (SSH is never open to the internet; use SSM Session Manager): fix ec2.admin_ssh_cidrs in environments/<env>.yaml."
  }
}

variable "rds" {
  description = "MySQL database (environments/<env>.yaml `rds`). Storage in GiB (gp3, encrypted); monitoring_interval in seconds (0 turns enhanced monitoring off)."
  type = object({
    instance_class        = string
    engine_version        = string
    allocated_storage     = number
    max_allocated_storage = number
    multi_az              = bool
    backup_retention_days = number
    deletion_protection   = bool
    monitoring_interval   = number
  })
  nullable = false

  validation {
    condition     = can(regex("^db\\.[a-z0-9]+\\.[a-z0-9]+$", var.rds.instance_class))
    error_message = "rds.instance_class must be an RDS instance class such as db.t3.micro: set rds.instance_class in environments/<env>.yaml."
  }

  validation {
    condition     = can(regex("^8\\.0(\\.[0-9]{1,3})?$", var.rds.engine_version))
    error_message = "rds.engine_version must be MySQL 8.0 or 8.0.<patch> (the parameter group family is mysql8.0): set rds.engine_version in environments/<env>.yaml, quoted (\"8.0\")."
  }

  validation {
    condition     = var.rds.allocated_storage >= 20 && var.rds.allocated_storage <= 65536 && floor(var.rds.allocated_storage) == var.rds.allocated_storage
    error_message = "rds.allocated_storage must be a whole number of GiB from 20 to 65536: set rds.allocated_storage in environments/<env>.yaml."
  }

  validation {
    condition     = var.rds.max_allocated_storage > var.rds.allocated_storage && var.rds.max_allocated_storage <= 65536 && floor(var.rds.max_allocated_storage) == var.rds.max_allocated_storage
    error_message = "rds.max_allocated_storage must be greater than rds.allocated_storage and at most 65536 GiB: set rds.max_allocated_storage in environments/<env>.yaml."
  }

  validation {
    condition     = var.rds.backup_retention_days >= 1 && var.rds.backup_retention_days <= 35 && floor(var.rds.backup_retention_days) == var.rds.backup_retention_days
    error_message = "rds.backup_retention_days must be 1..35 (automated backups stay on): set rds.backup_retention_days in environments/<env>.yaml."
  }

  validation {
    condition     = contains([0, 1, 5, 10, 15, 30, 60], var.rds.monitoring_interval)
    error_message = "rds.monitoring_interval must be one of 0, 1, 5, 10, 15, 30, 60 (seconds; 0 = off): set rds.monitoring_interval in environments/<env>.yaml."
  }
}

variable "s3" {
  description = "Bucket lifecycle (environments/<env>.yaml `s3`): days before log objects expire, and before noncurrent versions in the backups bucket expire."
  type = object({
    log_expiration_days                = number
    noncurrent_version_expiration_days = number
  })
  nullable = false

  validation {
    condition     = var.s3.log_expiration_days >= 1 && var.s3.log_expiration_days <= 3650 && floor(var.s3.log_expiration_days) == var.s3.log_expiration_days
    error_message = "s3.log_expiration_days must be a whole number from 1 to 3650: set s3.log_expiration_days in environments/<env>.yaml."
  }

  validation {
    condition     = var.s3.noncurrent_version_expiration_days >= 1 && var.s3.noncurrent_version_expiration_days <= 3650 && floor(var.s3.noncurrent_version_expiration_days) == var.s3.noncurrent_version_expiration_days
    error_message = "s3.noncurrent_version_expiration_days must be a whole number from 1 to 3650: set s3.noncurrent_version_expiration_days in environments/<env>.yaml."
  }
}

variable "log_retention_days" {
  description = "Retention of the CloudWatch log groups, in days (environments/<env>.yaml `logs.retention_days`)."
  type        = number
  nullable    = false

  validation {
    condition     = contains([1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.log_retention_days)
    error_message = "log_retention_days must be a CloudWatch Logs retention value (1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653): set logs.retention_days in environments/<env>.yaml."
  }
}
