variable "project_name" {
  description = "Project name, the prefix of every role name; also names the log groups and the database the EC2 role may use."
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

variable "bucket_arns" {
  description = "ARNs of the buckets the EC2 and Lambda roles may read and write (and nothing else)."
  type        = list(string)
  nullable    = false

  validation {
    condition     = length(var.bucket_arns) >= 1 && alltrue([for a in var.bucket_arns : can(regex("^arn:[a-z-]+:s3:::[a-z0-9][a-z0-9.-]+$", a))])
    error_message = "bucket_arns must list at least one S3 bucket ARN (arn:<partition>:s3:::<bucket>, no wildcard): pass the s3 module's bucket ARNs."
  }
}
