variable "project_name" {
  description = "Project name, the prefix of every bucket name."
  type        = string
  nullable    = false

  validation {
    condition     = can(regex("^[a-z]([a-z0-9]|-[a-z0-9])*$", var.project_name)) && length(var.project_name) >= 2 && length(var.project_name) <= 21
    error_message = "project_name must be 2..21 lower-case letters, digits and single hyphens, starting with a letter and not ending with a hyphen: pass a name such as fuel-flow."
  }
}

variable "environment" {
  description = "Environment name (any name the contract allows, e.g. dev, staging, pr-142)."
  type        = string
  nullable    = false

  validation {
    condition     = can(regex("^[a-z]([a-z0-9]|-[a-z0-9])*$", var.environment)) && length(var.environment) >= 2 && length(var.environment) <= 16
    error_message = "environment must be 2..16 lower-case letters, digits and single hyphens, starting with a letter and not ending with a hyphen: pass a name such as staging or pr-142."
  }
}

variable "log_expiration_days" {
  description = "Days after which objects in the logs bucket expire."
  type        = number
  nullable    = false

  validation {
    condition     = var.log_expiration_days >= 1 && var.log_expiration_days <= 3650 && floor(var.log_expiration_days) == var.log_expiration_days
    error_message = "log_expiration_days must be a whole number of days from 1 to 3650: pass e.g. 90."
  }
}

variable "noncurrent_version_expiration_days" {
  description = "Days after which noncurrent object versions in the backups bucket expire."
  type        = number
  nullable    = false

  validation {
    condition     = var.noncurrent_version_expiration_days >= 1 && var.noncurrent_version_expiration_days <= 3650 && floor(var.noncurrent_version_expiration_days) == var.noncurrent_version_expiration_days
    error_message = "noncurrent_version_expiration_days must be a whole number of days from 1 to 3650: pass e.g. 30."
  }
}

variable "abort_incomplete_multipart_upload_days" {
  description = "Days after which incomplete multipart uploads are aborted (app-data and logs buckets; backups: 7, as in CloudFormation)."
  type        = number
  default     = 7
  nullable    = false

  validation {
    condition     = var.abort_incomplete_multipart_upload_days >= 1 && floor(var.abort_incomplete_multipart_upload_days) == var.abort_incomplete_multipart_upload_days
    error_message = "abort_incomplete_multipart_upload_days must be a whole number of days, at least 1: pass e.g. 7."
  }
}
