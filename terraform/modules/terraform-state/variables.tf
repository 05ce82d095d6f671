variable "project_name" {
  description = "Project name, the prefix of the state bucket and lock table names."
  type        = string
  nullable    = false

  validation {
    condition     = can(regex("^[a-z]([a-z0-9]|-[a-z0-9])*$", var.project_name)) && length(var.project_name) >= 2 && length(var.project_name) <= 21
    error_message = "project_name must be 2..21 lower-case letters, digits and single hyphens, starting with a letter and not ending with a hyphen: pass a name such as fuel-flow."
  }
}

variable "environment" {
  description = "Environment name; each environment has its own state bucket and lock table."
  type        = string
  nullable    = false

  validation {
    condition     = can(regex("^[a-z]([a-z0-9]|-[a-z0-9])*$", var.environment)) && length(var.environment) >= 2 && length(var.environment) <= 16
    error_message = "environment must be 2..16 lower-case letters, digits and single hyphens, starting with a letter and not ending with a hyphen: pass a name such as staging or pr-142."
  }
}

variable "noncurrent_version_expiration_days" {
  description = "Days old state versions are kept before they expire."
  type        = number
  default     = 90
  nullable    = false

  validation {
    condition     = var.noncurrent_version_expiration_days >= 1 && var.noncurrent_version_expiration_days <= 3650 && floor(var.noncurrent_version_expiration_days) == var.noncurrent_version_expiration_days
    error_message = "noncurrent_version_expiration_days must be a whole number of days from 1 to 3650: pass e.g. 90."
  }
}

variable "lock_table_deletion_protection" {
  description = "Protect the DynamoDB lock table against deletion."
  type        = bool
  default     = true
  nullable    = false
}

variable "alarm_topic_arn" {
  description = "ARN of an existing SNS topic for the lock table's throttling alarm (its alarm and OK actions). null = the module creates the topic <project>-tfstate-<env>-alerts, encrypted with a KMS key of its own that CloudWatch may use."
  type        = string
  default     = null

  validation {
    condition     = var.alarm_topic_arn == null || can(regex("^arn:aws[a-z-]*:sns:[a-z0-9-]+:[0-9]{12}:[A-Za-z0-9_-]{1,256}$", var.alarm_topic_arn))
    error_message = "alarm_topic_arn must be null or an SNS topic ARN (arn:aws:sns:<region>:<account>:<name>): pass the topic's ARN, or leave it unset to create one."
  }
}

variable "alarm_emails" {
  description = "E-mail addresses subscribed to the module's own alert topic (each recipient confirms); at most 2, none by default. Only with alarm_topic_arn unset."
  type        = list(string)
  default     = []
  nullable    = false

  validation {
    condition     = length(var.alarm_emails) <= 2 && length(distinct(var.alarm_emails)) == length(var.alarm_emails) && alltrue([for e in var.alarm_emails : can(regex("^[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\\.[A-Za-z]{2,63}$", e))])
    error_message = "alarm_emails must be at most 2 distinct e-mail addresses: pass monitoring.alarm_emails from environments/<env>.yaml."
  }

  validation {
    condition     = var.alarm_topic_arn == null || length(var.alarm_emails) == 0
    error_message = "alarm_emails subscribe to the module's own topic, which is not created when alarm_topic_arn is set: subscribe the addresses to that topic instead, or unset alarm_topic_arn."
  }
}

variable "lock_throttle_threshold" {
  description = "Throttled lock-table requests (reads plus writes) per 5 minutes at which the throttling alarm fires."
  type        = number
  default     = 1
  nullable    = false

  validation {
    condition     = var.lock_throttle_threshold >= 1 && var.lock_throttle_threshold <= 100000 && floor(var.lock_throttle_threshold) == var.lock_throttle_threshold
    error_message = "lock_throttle_threshold must be a whole number from 1 to 100000: pass e.g. 1."
  }
}
