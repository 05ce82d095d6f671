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

variable "load_balancer" {
  description = "The web tier's shape (web.load_balancer): true = Auto Scaling group behind a load balancer (group and load balancer alarms), false = static servers (one CPU alarm each)."
  type        = bool
  nullable    = false
}

variable "instance_ids" {
  description = "IDs of the static web servers, in order (the ec2 module's instance_ids; empty with the load balancer)."
  type        = list(string)
  default     = []
  nullable    = false

  validation {
    condition     = length(var.instance_ids) <= 4
    error_message = "instance_ids must list at most 4 servers: pass the ec2 module's instance_ids output."
  }
}

variable "autoscaling_group_name" {
  description = "Name of the web Auto Scaling group (the ec2 module's autoscaling_group_name; null without the load balancer)."
  type        = string
  default     = null
}

variable "load_balancer_arn_suffix" {
  description = "The load balancer's CloudWatch dimension, app/<name>/<id> (the ec2 module's load_balancer_arn_suffix; null without it)."
  type        = string
  default     = null
}

variable "target_group_arn_suffix" {
  description = "The target group's CloudWatch dimension, targetgroup/<name>/<id> (the ec2 module's target_group_arn_suffix; null without it)."
  type        = string
  default     = null
}

variable "db_instance_identifier" {
  description = "Identifier of the database instance (the rds module's db_instance_identifier)."
  type        = string
  nullable    = false
}

variable "alarm_emails" {
  description = "E-mail addresses subscribed to the alert topic (each recipient confirms); at most 2, none by default."
  type        = list(string)
  default     = []
  nullable    = false

  validation {
    condition     = length(var.alarm_emails) <= 2 && length(distinct(var.alarm_emails)) == length(var.alarm_emails) && alltrue([for e in var.alarm_emails : can(regex("^[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\\.[A-Za-z]{2,63}$", e))])
    error_message = "alarm_emails must be at most 2 distinct e-mail addresses: pass monitoring.alarm_emails from environments/<env>.yaml."
  }
}

variable "web_cpu_percent" {
  description = "Average web CPU (percent, two 5-minute periods) above which a web CPU alarm fires."
  type        = number
  default     = 80
  nullable    = false

  validation {
    condition     = var.web_cpu_percent >= 1 && var.web_cpu_percent <= 100 && floor(var.web_cpu_percent) == var.web_cpu_percent
    error_message = "web_cpu_percent must be a whole number from 1 to 100: pass e.g. 80."
  }
}

variable "db_cpu_percent" {
  description = "Average database CPU (percent, two 5-minute periods) above which its alarm fires."
  type        = number
  default     = 80
  nullable    = false

  validation {
    condition     = var.db_cpu_percent >= 1 && var.db_cpu_percent <= 100 && floor(var.db_cpu_percent) == var.db_cpu_percent
    error_message = "db_cpu_percent must be a whole number from 1 to 100: pass e.g. 80."
  }
}

variable "db_free_storage_mib" {
  description = "Free database storage (MiB) below which the storage alarm fires."
  type        = number
  default     = 2048
  nullable    = false

  validation {
    condition     = var.db_free_storage_mib >= 256 && var.db_free_storage_mib <= 1048576 && floor(var.db_free_storage_mib) == var.db_free_storage_mib
    error_message = "db_free_storage_mib must be a whole number from 256 to 1048576: pass e.g. 2048."
  }
}

variable "db_freeable_memory_mib" {
  description = "Freeable database memory (MiB) below which the memory alarm fires."
  type        = number
  default     = 64
  nullable    = false

  validation {
    condition     = var.db_freeable_memory_mib >= 16 && var.db_freeable_memory_mib <= 1048576 && floor(var.db_freeable_memory_mib) == var.db_freeable_memory_mib
    error_message = "db_freeable_memory_mib must be a whole number from 16 to 1048576: pass e.g. 64."
  }
}

variable "db_connections" {
  description = "Average database connections above which the connections alarm fires."
  type        = number
  default     = 60
  nullable    = false

  validation {
    condition     = var.db_connections >= 1 && var.db_connections <= 100000 && floor(var.db_connections) == var.db_connections
    error_message = "db_connections must be a whole number from 1 to 100000: pass e.g. 60."
  }
}

variable "alb_5xx_count" {
  description = "5xx responses (load balancer's own plus the targets') per 5 minutes at which the 5xx alarm fires."
  type        = number
  default     = 10
  nullable    = false

  validation {
    condition     = var.alb_5xx_count >= 1 && var.alb_5xx_count <= 100000 && floor(var.alb_5xx_count) == var.alb_5xx_count
    error_message = "alb_5xx_count must be a whole number from 1 to 100000: pass e.g. 10."
  }
}

variable "alb_response_time_seconds" {
  description = "Average target response time (seconds, two 5-minute periods) above which its alarm fires."
  type        = number
  default     = 2
  nullable    = false

  validation {
    condition     = var.alb_response_time_seconds >= 1 && var.alb_response_time_seconds <= 60 && floor(var.alb_response_time_seconds) == var.alb_response_time_seconds
    error_message = "alb_response_time_seconds must be a whole number from 1 to 60: pass e.g. 2."
  }
}
