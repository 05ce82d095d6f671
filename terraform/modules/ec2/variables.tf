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

variable "vpc_id" {
  description = "ID of the VPC the web security group belongs to."
  type        = string
  nullable    = false
}

variable "public_subnet_ids" {
  description = "Public subnets the instances are spread over (round robin)."
  type        = list(string)
  nullable    = false

  validation {
    condition     = length(var.public_subnet_ids) >= 1
    error_message = "public_subnet_ids must list at least one subnet: pass the network module's public_subnet_ids output."
  }
}

variable "instance_profile_name" {
  description = "Name of the IAM instance profile of the web instances."
  type        = string
  nullable    = false
}

variable "instance_type" {
  description = "EC2 instance type of the web instances (x86_64, to match the AMI)."
  type        = string
  nullable    = false

  validation {
    condition     = contains(["t3.micro", "t3.small", "t3.medium", "t3.large", "t3a.micro", "t3a.small", "t3a.medium", "t3a.large", "m5.large", "m6i.large", "m7i.large", "c6i.large", "c7i.large"], var.instance_type)
    error_message = "instance_type must be one of the x86_64 types t3.micro, t3.small, t3.medium, t3.large, t3a.micro, t3a.small, t3a.medium, t3a.large, m5.large, m6i.large, m7i.large, c6i.large, c7i.large: pass one of them."
  }
}

variable "instance_count" {
  description = "Number of web instances (1..4)."
  type        = number
  nullable    = false

  validation {
    condition     = var.instance_count >= 1 && var.instance_count <= 4 && floor(var.instance_count) == var.instance_count
    error_message = "instance_count must be a whole number from 1 to 4: pass ec2.instance_count from environments/<env>.yaml."
  }
}

variable "root_volume_size" {
  description = "Size of the encrypted gp3 root volume, in GiB."
  type        = number
  nullable    = false

  validation {
    condition     = var.root_volume_size >= 8 && var.root_volume_size <= 1024 && floor(var.root_volume_size) == var.root_volume_size
    error_message = "root_volume_size must be a whole number from 8 to 1024 GiB (the AMI's snapshot needs 8): pass a larger size."
  }
}

variable "log_retention_days" {
  description = "Retention of the web tier's CloudWatch log groups, in days."
  type        = number
  nullable    = false

  validation {
    condition     = contains([1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.log_retention_days)
    error_message = "log_retention_days must be a value CloudWatch Logs accepts (1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653): pass one of them."
  }
}

variable "ami_ssm_parameter_name" {
  description = "Public SSM parameter that holds the AMI ID (latest Amazon Linux 2023, like the CloudFormation template's AWS::SSM::Parameter::Value<AWS::EC2::Image::Id>)."
  type        = string
  default     = "/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64"
  nullable    = false

  validation {
    condition     = startswith(var.ami_ssm_parameter_name, "/")
    error_message = "ami_ssm_parameter_name must be an SSM parameter path starting with /: pass e.g. /aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64."
  }
}

# --- load balancer and Auto Scaling group (environments/<env>.yaml `web`) --------------------------------

variable "load_balancer" {
  description = "true: an internet-facing ALB in front of an Auto Scaling group (min_size..max_size), instance_count unused; false: instance_count static instances serving HTTP directly."
  type        = bool
  default     = false
  nullable    = false
}

variable "min_size" {
  description = "Fewest instances the Auto Scaling group keeps (load_balancer true)."
  type        = number
  default     = 1
  nullable    = false

  validation {
    condition     = var.min_size >= 1 && var.min_size <= 10 && floor(var.min_size) == var.min_size
    error_message = "min_size must be a whole number from 1 to 10: pass web.min_size from environments/<env>.yaml."
  }
}

variable "desired_capacity" {
  description = "Instances the Auto Scaling group starts with (min_size..max_size)."
  type        = number
  default     = 1
  nullable    = false

  validation {
    condition     = var.desired_capacity >= 1 && var.desired_capacity <= 10 && floor(var.desired_capacity) == var.desired_capacity
    error_message = "desired_capacity must be a whole number from 1 to 10: pass web.desired_capacity from environments/<env>.yaml."
  }
}

variable "max_size" {
  description = "Most instances the Auto Scaling group may scale out to (>= desired_capacity >= min_size)."
  type        = number
  default     = 2
  nullable    = false

  validation {
    condition     = var.max_size >= 1 && var.max_size <= 10 && floor(var.max_size) == var.max_size
    error_message = "max_size must be a whole number from 1 to 10: pass web.max_size from environments/<env>.yaml."
  }

  validation {
    condition     = var.min_size <= var.desired_capacity && var.desired_capacity <= var.max_size
    error_message = "min_size <= desired_capacity <= max_size must hold: fix web.min_size, web.desired_capacity or web.max_size in environments/<env>.yaml."
  }
}

variable "cpu_target" {
  description = "Average CPU utilisation (percent) the target-tracking policy keeps the group at."
  type        = number
  default     = 60
  nullable    = false

  validation {
    condition     = var.cpu_target >= 10 && var.cpu_target <= 90 && floor(var.cpu_target) == var.cpu_target
    error_message = "cpu_target must be a whole number from 10 to 90: pass web.cpu_target from environments/<env>.yaml."
  }
}

variable "min_healthy_percentage" {
  description = "Share of the desired capacity kept in service while an instance refresh replaces the instances."
  type        = number
  default     = 50
  nullable    = false

  validation {
    condition     = var.min_healthy_percentage >= 50 && var.min_healthy_percentage <= 100 && floor(var.min_healthy_percentage) == var.min_healthy_percentage
    error_message = "min_healthy_percentage must be a whole number from 50 to 100: pass web.min_healthy_percentage from environments/<env>.yaml."
  }
}

variable "health_check_path" {
  description = "Path the target group's health check requests (HTTP 200 = healthy)."
  type        = string
  default     = "/health.html"
  nullable    = false

  validation {
    condition     = can(regex("^/[A-Za-z0-9._~/-]{0,254}$", var.health_check_path))
    error_message = "health_check_path must be a URL path starting with / (letters, digits and . _ ~ / -, at most 255 characters): pass web.health_check_path from environments/<env>.yaml."
  }
}

variable "deregistration_delay" {
  description = "Seconds the load balancer lets in-flight requests finish on an instance leaving the group."
  type        = number
  default     = 30
  nullable    = false

  validation {
    condition     = var.deregistration_delay >= 0 && var.deregistration_delay <= 3600 && floor(var.deregistration_delay) == var.deregistration_delay
    error_message = "deregistration_delay must be a whole number of seconds from 0 to 3600: pass web.deregistration_delay from environments/<env>.yaml."
  }
}

variable "stickiness" {
  description = "Load-balancer cookie stickiness (one day) on the target group."
  type        = bool
  default     = false
  nullable    = false
}

variable "certificate_arn" {
  description = "ACM certificate for the HTTPS listener. Empty: one is requested for domain_name when given, otherwise the load balancer listens on HTTP only."
  type        = string
  default     = ""
  nullable    = false

  validation {
    condition     = var.certificate_arn == "" || can(regex("^arn:aws[a-z-]*:acm:[a-z0-9-]+:[0-9]{12}:certificate/[0-9a-f-]{36}$", var.certificate_arn))
    error_message = "certificate_arn must be empty or an ACM certificate ARN: pass web.certificate_arn from environments/<env>.yaml."
  }
}

variable "domain_name" {
  description = "DNS name the site is served under (empty = none); needs hosted_zone_id."
  type        = string
  default     = ""
  nullable    = false

  validation {
    condition     = var.domain_name == "" || can(regex("^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\\.)+[a-z]{2,63}$", var.domain_name))
    error_message = "domain_name must be empty or a lower-case DNS name such as www.example.com: pass web.domain_name from environments/<env>.yaml."
  }
}

variable "hosted_zone_id" {
  description = "Route 53 hosted zone holding domain_name (the certificate's validation record goes there)."
  type        = string
  default     = ""
  nullable    = false

  validation {
    condition     = var.hosted_zone_id == "" || can(regex("^Z[A-Z0-9]{1,31}$", var.hosted_zone_id))
    error_message = "hosted_zone_id must be empty or a Route 53 hosted zone id (Z...): pass web.hosted_zone_id from environments/<env>.yaml."
  }

  validation {
    condition     = (var.domain_name == "") == (var.hosted_zone_id == "")
    error_message = "domain_name and hosted_zone_id go together: set both web.domain_name and web.hosted_zone_id, or neither."
  }
}

variable "deletion_protection" {
  description = "Deletion protection of the load balancer (the environment's rds.deletion_protection, which tier production requires)."
  type        = bool
  default     = false
  nullable    = false
}

variable "access_logs_bucket" {
  description = "Bucket the load balancer's access logs go to, under alb/<environment>/ (the logs bucket; its policy admits Elastic Load Balancing)."
  type        = string
  default     = ""
  nullable    = false

  validation {
    condition     = var.access_logs_bucket != "" || !var.load_balancer
    error_message = "access_logs_bucket is required when load_balancer is true: pass the s3 module's logs_bucket_name output."
  }
}

variable "security_group_id" {
  description = "The web servers' security group (the network module's web_security_group_id): the launch template's only group."
  type        = string
  nullable    = false
}

variable "load_balancer_security_group_id" {
  description = "The load balancer's security group (the network module's load_balancer_security_group_id; null without a load balancer)."
  type        = string
  default     = null

  validation {
    condition     = !var.load_balancer || var.load_balancer_security_group_id != null
    error_message = "load_balancer_security_group_id must be set when load_balancer is true: pass the network module's load_balancer_security_group_id."
  }
}
