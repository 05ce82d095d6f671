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
    flow_logs            = bool
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
    read_replica          = bool
    slow_query_seconds    = number
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

  validation {
    condition     = var.rds.slow_query_seconds >= 1 && var.rds.slow_query_seconds <= 60 && floor(var.rds.slow_query_seconds) == var.rds.slow_query_seconds
    error_message = "rds.slow_query_seconds must be a whole number of seconds from 1 to 60: set rds.slow_query_seconds in environments/<env>.yaml."
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

variable "web" {
  description = "Production web tier (environments/<env>.yaml `web`): with load_balancer an Application Load Balancer and an Auto Scaling group (sizes, CPU target, rolling replacement, health check, draining, stickiness; HTTPS with certificate_arn or a certificate requested for domain_name in hosted_zone_id); without, ec2.instance_count static instances."
  type = object({
    load_balancer          = bool
    min_size               = number
    desired_capacity       = number
    max_size               = number
    cpu_target             = number
    min_healthy_percentage = number
    health_check_path      = string
    deregistration_delay   = number
    stickiness             = bool
    certificate_arn        = string
    domain_name            = string
    hosted_zone_id         = string
  })
  nullable = false

  validation {
    condition     = var.web.min_size >= 1 && var.web.min_size <= 10 && floor(var.web.min_size) == var.web.min_size
    error_message = "web.min_size must be a whole number from 1 to 10: set web.min_size in environments/<env>.yaml."
  }

  validation {
    condition     = var.web.desired_capacity >= 1 && var.web.desired_capacity <= 10 && floor(var.web.desired_capacity) == var.web.desired_capacity
    error_message = "web.desired_capacity must be a whole number from 1 to 10: set web.desired_capacity in environments/<env>.yaml."
  }

  validation {
    condition     = var.web.max_size >= 1 && var.web.max_size <= 10 && floor(var.web.max_size) == var.web.max_size
    error_message = "web.max_size must be a whole number from 1 to 10: set web.max_size in environments/<env>.yaml."
  }

  validation {
    condition     = var.web.min_size <= var.web.desired_capacity && var.web.desired_capacity <= var.web.max_size
    error_message = "web.desired_capacity must lie between web.min_size and web.max_size: fix them in environments/<env>.yaml."
  }

  validation {
    condition     = var.web.cpu_target >= 10 && var.web.cpu_target <= 90 && floor(var.web.cpu_target) == var.web.cpu_target
    error_message = "web.cpu_target must be a whole number from 10 to 90: set web.cpu_target in environments/<env>.yaml."
  }

  validation {
    condition     = var.web.min_healthy_percentage >= 50 && var.web.min_healthy_percentage <= 100 && floor(var.web.min_healthy_percentage) == var.web.min_healthy_percentage
    error_message = "web.min_healthy_percentage must be a whole number from 50 to 100: set web.min_healthy_percentage in environments/<env>.yaml."
  }

  validation {
    condition     = can(regex("^/[A-Za-z0-9._~/-]{0,254}$", var.web.health_check_path))
    error_message = "web.health_check_path must be an absolute URL path such as /health.html: set web.health_check_path in environments/<env>.yaml."
  }

  validation {
    condition     = var.web.deregistration_delay >= 0 && var.web.deregistration_delay <= 3600 && floor(var.web.deregistration_delay) == var.web.deregistration_delay
    error_message = "web.deregistration_delay must be a whole number of seconds from 0 to 3600: set web.deregistration_delay in environments/<env>.yaml."
  }

  validation {
    condition     = can(regex("^$|^arn:aws[a-z-]*:acm:[a-z0-9-]+:[0-9]{12}:certificate/[0-9a-f-]{36}$", var.web.certificate_arn))
    error_message = "web.certificate_arn must be empty or an ACM certificate ARN: fix web.certificate_arn in environments/<env>.yaml."
  }

  validation {
    condition     = can(regex("^$|^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\\.)+[a-z]{2,63}$", var.web.domain_name))
    error_message = "web.domain_name must be empty or a lower-case DNS name such as www.example.com: fix web.domain_name in environments/<env>.yaml."
  }

  validation {
    condition     = can(regex("^$|^Z[A-Z0-9]{1,31}$", var.web.hosted_zone_id))
    error_message = "web.hosted_zone_id must be empty or a Route 53 hosted zone id (Z...): fix web.hosted_zone_id in environments/<env>.yaml."
  }

  validation {
    condition     = (var.web.domain_name == "") == (var.web.hosted_zone_id == "")
    error_message = "web.domain_name and web.hosted_zone_id go together (the certificate is validated and the record written in that zone): set both or neither in environments/<env>.yaml."
  }
}

variable "edge" {
  description = "Edge options in front of the load balancer (environments/<env>.yaml `edge`), each off by default: CloudFront, AWS WAF (with a per-IP rate limit per 5 minutes), a Route 53 alias record for web.domain_name."
  type = object({
    cloudfront     = bool
    waf            = bool
    waf_rate_limit = number
    dns_record     = bool
  })
  nullable = false

  validation {
    condition     = var.edge.waf_rate_limit >= 100 && var.edge.waf_rate_limit <= 2000000000 && floor(var.edge.waf_rate_limit) == var.edge.waf_rate_limit
    error_message = "edge.waf_rate_limit must be a whole number from 100 to 2000000000: set edge.waf_rate_limit in environments/<env>.yaml."
  }

  validation {
    condition     = var.web.load_balancer || !(var.edge.cloudfront || var.edge.waf || var.edge.dns_record)
    error_message = "edge.cloudfront, edge.waf and edge.dns_record sit in front of the load balancer: set web.load_balancer: true or turn them off in environments/<env>.yaml."
  }

  validation {
    condition     = !var.edge.dns_record || var.web.domain_name != ""
    error_message = "edge.dns_record needs web.domain_name and web.hosted_zone_id: set them or edge.dns_record: false in environments/<env>.yaml."
  }

  validation {
    condition     = !var.edge.cloudfront || var.web.certificate_arn != "" || var.web.domain_name != ""
    error_message = "edge.cloudfront reaches the load balancer over HTTPS only: set web.certificate_arn or web.domain_name in environments/<env>.yaml."
  }
}

variable "monitoring" {
  description = "Alarms (environments/<env>.yaml `monitoring`): up to two e-mail addresses subscribed to the environment's topic, and each alarm's threshold."
  type = object({
    alarm_emails              = list(string)
    web_cpu_percent           = number
    db_cpu_percent            = number
    db_free_storage_mib       = number
    db_freeable_memory_mib    = number
    db_connections            = number
    alb_5xx_count             = number
    alb_response_time_seconds = number
  })
  nullable = false

  validation {
    condition     = length(var.monitoring.alarm_emails) <= 2 && length(distinct(var.monitoring.alarm_emails)) == length(var.monitoring.alarm_emails) && alltrue([for e in var.monitoring.alarm_emails : can(regex("^[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\\.[A-Za-z]{2,63}$", e))])
    error_message = "monitoring.alarm_emails must list at most 2 distinct e-mail addresses: fix monitoring.alarm_emails in environments/<env>.yaml."
  }

  validation {
    condition     = var.monitoring.web_cpu_percent >= 1 && var.monitoring.web_cpu_percent <= 100 && floor(var.monitoring.web_cpu_percent) == var.monitoring.web_cpu_percent
    error_message = "monitoring.web_cpu_percent must be a whole number from 1 to 100: set monitoring.web_cpu_percent in environments/<env>.yaml."
  }

  validation {
    condition     = var.monitoring.db_cpu_percent >= 1 && var.monitoring.db_cpu_percent <= 100 && floor(var.monitoring.db_cpu_percent) == var.monitoring.db_cpu_percent
    error_message = "monitoring.db_cpu_percent must be a whole number from 1 to 100: set monitoring.db_cpu_percent in environments/<env>.yaml."
  }

  validation {
    condition     = var.monitoring.db_free_storage_mib >= 256 && var.monitoring.db_free_storage_mib <= 1048576 && floor(var.monitoring.db_free_storage_mib) == var.monitoring.db_free_storage_mib
    error_message = "monitoring.db_free_storage_mib must be a whole number from 256 to 1048576: set monitoring.db_free_storage_mib in environments/<env>.yaml."
  }

  validation {
    condition     = var.monitoring.db_freeable_memory_mib >= 16 && var.monitoring.db_freeable_memory_mib <= 1048576 && floor(var.monitoring.db_freeable_memory_mib) == var.monitoring.db_freeable_memory_mib
    error_message = "monitoring.db_freeable_memory_mib must be a whole number from 16 to 1048576: set monitoring.db_freeable_memory_mib in environments/<env>.yaml."
  }

  validation {
    condition     = var.monitoring.db_connections >= 1 && var.monitoring.db_connections <= 100000 && floor(var.monitoring.db_connections) == var.monitoring.db_connections
    error_message = "monitoring.db_connections must be a whole number from 1 to 100000: set monitoring.db_connections in environments/<env>.yaml."
  }

  validation {
    condition     = var.monitoring.alb_5xx_count >= 1 && var.monitoring.alb_5xx_count <= 100000 && floor(var.monitoring.alb_5xx_count) == var.monitoring.alb_5xx_count
    error_message = "monitoring.alb_5xx_count must be a whole number from 1 to 100000: set monitoring.alb_5xx_count in environments/<env>.yaml."
  }

  validation {
    condition     = var.monitoring.alb_response_time_seconds >= 1 && var.monitoring.alb_response_time_seconds <= 60 && floor(var.monitoring.alb_response_time_seconds) == var.monitoring.alb_response_time_seconds
    error_message = "monitoring.alb_response_time_seconds must be a whole number of seconds from 1 to 60: set monitoring.alb_response_time_seconds in environments/<env>.yaml."
  }
}
