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

variable "vpc_cidr" {
  description = "IPv4 CIDR of the VPC."
  type        = string
  nullable    = false

  validation {
    condition     = can(cidrhost(var.vpc_cidr, 0)) && try(tonumber(split("/", var.vpc_cidr)[1]) >= 16 && tonumber(split("/", var.vpc_cidr)[1]) <= 24, false)
    error_message = "vpc_cidr must be an IPv4 CIDR from /16 to /24 such as 10.10.0.0/16: pass a valid CIDR."
  }
}

variable "public_subnet_cidrs" {
  description = "Exactly two IPv4 CIDRs for the public subnets, one per availability zone (web tier)."
  type        = list(string)
  nullable    = false

  validation {
    condition     = length(var.public_subnet_cidrs) == 2 && alltrue([for c in var.public_subnet_cidrs : can(cidrhost(c, 0)) && try(tonumber(split("/", c)[1]) >= 16 && tonumber(split("/", c)[1]) <= 28, false)])
    error_message = "public_subnet_cidrs must list exactly 2 IPv4 CIDRs from /16 to /28: pass one per availability zone."
  }
}

variable "private_subnet_cidrs" {
  description = "Exactly two IPv4 CIDRs for the private subnets, one per availability zone (database)."
  type        = list(string)
  nullable    = false

  validation {
    condition     = length(var.private_subnet_cidrs) == 2 && alltrue([for c in var.private_subnet_cidrs : can(cidrhost(c, 0)) && try(tonumber(split("/", c)[1]) >= 16 && tonumber(split("/", c)[1]) <= 28, false)])
    error_message = "private_subnet_cidrs must list exactly 2 IPv4 CIDRs from /16 to /28: pass one per availability zone."
  }
}

variable "flow_logs" {
  description = "Record the VPC's flow logs (all traffic) into the CloudWatch log group /<project>/<env>/vpc-flow-logs."
  type        = bool
  default     = false
  nullable    = false
}

variable "log_retention_days" {
  description = "Retention of the flow-log group, in days (logs.retention_days)."
  type        = number
  default     = 30
  nullable    = false

  validation {
    condition     = contains([1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.log_retention_days)
    error_message = "log_retention_days must be a value CloudWatch Logs accepts (1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653): pass one of them."
  }
}

variable "admin_ssh_cidrs" {
  description = "CIDRs allowed to reach port 22. Empty (the default) = no SSH rule at all; use SSM Session Manager."
  type        = list(string)
  default     = []
  nullable    = false

  validation {
    condition     = alltrue([for c in var.admin_ssh_cidrs : can(cidrhost(c, 0)) && try(tonumber(split("/", c)[1]) >= 8 && tonumber(split("/", c)[1]) <= 32, false)]) && length(distinct(var.admin_ssh_cidrs)) == length(var.admin_ssh_cidrs) && length(var.admin_ssh_cidrs) <= 2
    error_message = "admin_ssh_cidrs must be at most 2 distinct IPv4 CIDRs from /8 to /32 (SSH is never open to the internet, not even in halves): remove wide ranges, duplicates or invalid entries."
  }
}

variable "load_balancer" {
  description = "true: the web tier sits behind a load balancer, whose security group this module creates (the web group then admits port 80 from it only); false: port 80 from anywhere to the static instances."
  type        = bool
  default     = false
  nullable    = false
}
