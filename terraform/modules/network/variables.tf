variable "project_name" {
  description = "Project name, the prefix of every resource name."
  type        = string
  nullable    = false

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,20}$", var.project_name))
    error_message = "project_name must match ^[a-z][a-z0-9-]{1,20}$: pass a lower-case name of 2..21 characters."
  }
}

variable "environment" {
  description = "Environment name (dev or prod)."
  type        = string
  nullable    = false

  validation {
    condition     = contains(["dev", "prod"], var.environment)
    error_message = "environment must be dev or prod: pass one of them."
  }
}

variable "vpc_cidr" {
  description = "IPv4 CIDR of the VPC."
  type        = string
  nullable    = false

  validation {
    condition     = can(cidrhost(var.vpc_cidr, 0))
    error_message = "vpc_cidr must be an IPv4 CIDR such as 10.10.0.0/16: pass a valid CIDR."
  }
}

variable "public_subnet_cidrs" {
  description = "Exactly two IPv4 CIDRs for the public subnets, one per availability zone (web tier)."
  type        = list(string)
  nullable    = false

  validation {
    condition     = length(var.public_subnet_cidrs) == 2 && alltrue([for c in var.public_subnet_cidrs : can(cidrhost(c, 0))])
    error_message = "public_subnet_cidrs must list exactly 2 IPv4 CIDRs: pass one per availability zone."
  }
}

variable "private_subnet_cidrs" {
  description = "Exactly two IPv4 CIDRs for the private subnets, one per availability zone (database)."
  type        = list(string)
  nullable    = false

  validation {
    condition     = length(var.private_subnet_cidrs) == 2 && alltrue([for c in var.private_subnet_cidrs : can(cidrhost(c, 0))])
    error_message = "private_subnet_cidrs must list exactly 2 IPv4 CIDRs: pass one per availability zone."
  }
}
