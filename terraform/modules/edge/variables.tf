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

variable "waf" {
  description = "Put an AWS WAF web ACL (REGIONAL) on the load balancer (edge.waf)."
  type        = bool
  default     = false
  nullable    = false
}

variable "waf_rate_limit" {
  description = "Requests per 5 minutes from one client IP above which the web ACL blocks it (edge.waf_rate_limit)."
  type        = number
  default     = 2000
  nullable    = false

  validation {
    condition     = var.waf_rate_limit >= 100 && var.waf_rate_limit <= 2000000000 && floor(var.waf_rate_limit) == var.waf_rate_limit
    error_message = "waf_rate_limit must be a whole number of requests from 100 to 2000000000: pass e.g. 2000."
  }
}

variable "cloudfront" {
  description = "Serve the site through a CloudFront distribution whose origin is the load balancer (edge.cloudfront)."
  type        = bool
  default     = false
  nullable    = false
}

variable "dns_record" {
  description = "Create a Route 53 alias A record for domain_name (to CloudFront when it is on, else the load balancer)."
  type        = bool
  default     = false
  nullable    = false

  validation {
    condition     = !var.dns_record || (var.domain_name != "" && var.hosted_zone_id != "")
    error_message = "dns_record needs domain_name and hosted_zone_id: set web.domain_name and web.hosted_zone_id, or switch edge.dns_record off."
  }
}

variable "domain_name" {
  description = "The site's DNS name (web.domain_name; \"\" = none)."
  type        = string
  default     = ""
  nullable    = false

  validation {
    condition     = can(regex("^$|^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\\.)+[a-z]{2,63}$", var.domain_name))
    error_message = "domain_name must be empty or a lower-case DNS name such as www.example.com: fix web.domain_name."
  }
}

variable "hosted_zone_id" {
  description = "Route 53 hosted zone holding domain_name (web.hosted_zone_id; \"\" = none)."
  type        = string
  default     = ""
  nullable    = false

  validation {
    condition     = can(regex("^$|^Z[A-Z0-9]{1,31}$", var.hosted_zone_id))
    error_message = "hosted_zone_id must be empty or a Route 53 hosted zone id (Z...): fix web.hosted_zone_id."
  }
}

variable "certificate_arn" {
  description = "ACM certificate of the site (web.certificate_arn; \"\" = none). CloudFront can use it only when it is in us-east-1."
  type        = string
  default     = ""
  nullable    = false

  validation {
    condition     = can(regex("^$|^arn:aws[a-z-]*:acm:[a-z0-9-]+:[0-9]{12}:certificate/[0-9a-f-]{36}$", var.certificate_arn))
    error_message = "certificate_arn must be empty or an ACM certificate ARN: fix web.certificate_arn."
  }
}

variable "load_balancer_arn" {
  description = "ARN of the load balancer (ec2 module output load_balancer_arn); required by waf."
  type        = string
  default     = null

  validation {
    condition     = !var.waf || var.load_balancer_arn != null
    error_message = "waf needs the load balancer: switch web.load_balancer on (the ec2 module's load_balancer_arn)."
  }
}

variable "load_balancer_dns_name" {
  description = "DNS name of the load balancer (ec2 module output load_balancer_dns_name); required by cloudfront and dns_record."
  type        = string
  default     = null

  validation {
    condition     = !(var.cloudfront || var.dns_record) || var.load_balancer_dns_name != null
    error_message = "cloudfront and dns_record need the load balancer: switch web.load_balancer on."
  }
}

variable "load_balancer_zone_id" {
  description = "Route 53 zone of the load balancer's DNS name (ec2 module output load_balancer_zone_id)."
  type        = string
  default     = null
}

variable "https_listener_arn" {
  description = "ARN of the load balancer's HTTPS listener (ec2 module output https_listener_arn): cloudfront adds its origin rules there."
  type        = string
  default     = null

  validation {
    condition     = !var.cloudfront || var.https_listener_arn != null
    error_message = "cloudfront needs the load balancer's HTTPS listener: give web.certificate_arn or web.domain_name."
  }
}

variable "target_group_arn" {
  description = "ARN of the web servers' target group (ec2 module output target_group_arn): where verified requests go."
  type        = string
  default     = null

  validation {
    condition     = !var.cloudfront || var.target_group_arn != null
    error_message = "cloudfront needs the target group: switch web.load_balancer on."
  }
}

variable "logs_bucket_name" {
  description = "Name of the logs bucket (s3 module output logs_bucket_name): CloudFront's access logs go there."
  type        = string
  default     = ""
  nullable    = false
}
