# Same names and rules as the main root's variables (docs/contract.md), so the environment var-file
# can be passed to both. Only these five matter here.

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
  description = "Project name, the prefix of the state bucket and lock table (environments/<env>.yaml `project`)."
  type        = string
  nullable    = false

  validation {
    condition     = can(regex("^[a-z]([a-z0-9]|-[a-z0-9])*$", var.project_name)) && length(var.project_name) >= 2 && length(var.project_name) <= 21
    error_message = "project_name must be 2..21 lower-case letters, digits and single hyphens, starting with a letter and not ending with a hyphen: set `project` in environments/<env>.yaml."
  }
}

variable "region" {
  description = "AWS region of the state backend (environments/<env>.yaml `region`)."
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

# Only alarm_emails is read (the lock table's throttling alarm notifies the state backend's own topic); the
# environment var-file carries the whole `monitoring` object and the conversion drops the other attributes.
variable "monitoring" {
  description = "Alarms (environments/<env>.yaml `monitoring`): its alarm_emails are subscribed to the state backend's alert topic."
  type = object({
    alarm_emails = optional(list(string), [])
  })
  default  = {}
  nullable = false

  validation {
    condition     = length(var.monitoring.alarm_emails) <= 2 && length(distinct(var.monitoring.alarm_emails)) == length(var.monitoring.alarm_emails) && alltrue([for e in var.monitoring.alarm_emails : can(regex("^[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\\.[A-Za-z]{2,63}$", e))])
    error_message = "monitoring.alarm_emails must list at most 2 distinct e-mail addresses: fix monitoring.alarm_emails in environments/<env>.yaml."
  }
}
