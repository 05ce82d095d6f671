variable "project_name" {
  description = "Project name, the prefix of every bucket name."
  type        = string
  nullable    = false

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,20}$", var.project_name))
    error_message = "project_name must match ^[a-z][a-z0-9-]{1,20}$: pass a lower-case name of 2..21 characters (longer names overflow S3's 63-character bucket names)."
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

variable "log_expiration_days" {
  description = "Days after which objects in the logs bucket expire."
  type        = number
  nullable    = false

  validation {
    condition     = var.log_expiration_days >= 1 && floor(var.log_expiration_days) == var.log_expiration_days
    error_message = "log_expiration_days must be a whole number of days, at least 1: pass e.g. 90."
  }
}

variable "noncurrent_version_expiration_days" {
  description = "Days after which noncurrent object versions in the backups bucket expire."
  type        = number
  nullable    = false

  validation {
    condition     = var.noncurrent_version_expiration_days >= 1 && floor(var.noncurrent_version_expiration_days) == var.noncurrent_version_expiration_days
    error_message = "noncurrent_version_expiration_days must be a whole number of days, at least 1: pass e.g. 30."
  }
}

variable "abort_incomplete_multipart_upload_days" {
  description = "Days after which incomplete multipart uploads are aborted (logs and backups buckets)."
  type        = number
  default     = 7
  nullable    = false

  validation {
    condition     = var.abort_incomplete_multipart_upload_days >= 1 && floor(var.abort_incomplete_multipart_upload_days) == var.abort_incomplete_multipart_upload_days
    error_message = "abort_incomplete_multipart_upload_days must be a whole number of days, at least 1: pass e.g. 7."
  }
}
