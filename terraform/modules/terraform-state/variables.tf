variable "project_name" {
  description = "Project name, the prefix of the state bucket and lock table names."
  type        = string
  nullable    = false

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,20}$", var.project_name))
    error_message = "project_name must match ^[a-z][a-z0-9-]{1,20}$: pass a lower-case name of 2..21 characters."
  }
}

variable "environment" {
  description = "Environment name (dev or prod); each environment has its own state bucket and lock table."
  type        = string
  nullable    = false

  validation {
    condition     = contains(["dev", "prod"], var.environment)
    error_message = "environment must be dev or prod: pass one of them."
  }
}

variable "noncurrent_version_expiration_days" {
  description = "Days old state versions are kept before they expire."
  type        = number
  default     = 90
  nullable    = false

  validation {
    condition     = var.noncurrent_version_expiration_days >= 1 && floor(var.noncurrent_version_expiration_days) == var.noncurrent_version_expiration_days
    error_message = "noncurrent_version_expiration_days must be a whole number of days, at least 1: pass e.g. 90."
  }
}

variable "lock_table_deletion_protection" {
  description = "Protect the DynamoDB lock table against deletion."
  type        = bool
  default     = true
  nullable    = false
}
