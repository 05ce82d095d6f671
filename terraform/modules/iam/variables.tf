variable "project_name" {
  description = "Project name, the prefix of every role name; also names the log groups and the database the EC2 role may use."
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

variable "bucket_arns" {
  description = "ARNs of the project's buckets keyed app_data, logs, backups: the EC2 and Lambda roles read and write app-data, read and add backups, write the logs bucket under app/ only (and nothing else)."
  type        = map(string)
  nullable    = false

  validation {
    condition     = toset(keys(var.bucket_arns)) == toset(["app_data", "logs", "backups"]) && alltrue([for a in values(var.bucket_arns) : can(regex("^arn:[a-z-]+:s3:::[a-z0-9][a-z0-9.-]+$", a))])
    error_message = "bucket_arns must map app_data, logs and backups to S3 bucket ARNs (arn:<partition>:s3:::<bucket>, no wildcard): pass the s3 module's bucket_arns."
  }
}
