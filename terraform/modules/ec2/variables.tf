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

variable "vpc_cidr" {
  description = "IPv4 CIDR of the VPC; the web tier may reach MySQL (3306) inside it and nowhere else."
  type        = string
  nullable    = false

  validation {
    condition     = can(cidrhost(var.vpc_cidr, 0)) && try(tonumber(split("/", var.vpc_cidr)[1]) >= 16 && tonumber(split("/", var.vpc_cidr)[1]) <= 24, false)
    error_message = "vpc_cidr must be an IPv4 CIDR from /16 to /24: pass the network module's vpc_cidr output."
  }
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

variable "admin_ssh_cidrs" {
  description = "CIDRs allowed to reach port 22. Empty (the default) = no SSH rule at all; use SSM Session Manager."
  type        = list(string)
  default     = []
  nullable    = false

  validation {
    condition     = alltrue([for c in var.admin_ssh_cidrs : can(cidrhost(c, 0)) && try(tonumber(split("/", c)[1]) >= 8 && tonumber(split("/", c)[1]) <= 32, false)]) && length(distinct(var.admin_ssh_cidrs)) == length(var.admin_ssh_cidrs) && length(var.admin_ssh_cidrs) <= 2
    error_message = "admin_ssh_cidrs must be at most 2 distinct IPv4 CIDRs from /8 to /32 (SSH is never open to the internet, not even in halves): remove wide ranges, duplicates or invalid entries."
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
