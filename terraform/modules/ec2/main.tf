# Web tier, mirroring cloudformation/ec2-instances.yaml: a launch template (IMDSv2 required, encrypted
# gp3 root, latest Amazon Linux 2023 from SSM, Apache via user data) in the network module's web security
# group, the log groups with the CloudWatch agent's configuration (SSM parameter) that ships to them, and either
# (load_balancer false) instance_count static instances spread over the public subnets, or
# (load_balancer true) an internet-facing ALB in front of an Auto Scaling group (alb.tf). The alarms are
# in modules/monitoring.

locals {
  name_prefix = "${var.project_name}-%s-${var.environment}"

  # Static instances only without a load balancer; with one, the Auto Scaling group owns the instances.
  static_instance_count = var.load_balancer ? 0 : var.instance_count

  # /<project>/<env>/... (docs/contract.md)
  log_groups = {
    apache_access = "/${var.project_name}/${var.environment}/apache/access"
    apache_error  = "/${var.project_name}/${var.environment}/apache/error"
    system        = "/${var.project_name}/${var.environment}/system"
  }
}

data "aws_ssm_parameter" "ami" {
  name = var.ami_ssm_parameter_name
}

# --- launch template and instances -------------------------------------------------------------------

resource "aws_launch_template" "web" {
  name = format(local.name_prefix, "web")

  image_id               = data.aws_ssm_parameter.ami.insecure_value
  instance_type          = var.instance_type
  vpc_security_group_ids = [var.security_group_id]
  update_default_version = true

  iam_instance_profile {
    name = var.instance_profile_name
  }

  # IMDSv2 only, and not reachable from containers one hop further (DECISIONS 5).
  metadata_options {
    http_endpoint               = "enabled"
    http_tokens                 = "required"
    http_put_response_hop_limit = 1
  }

  block_device_mappings {
    device_name = "/dev/xvda"

    ebs {
      volume_type           = "gp3"
      volume_size           = var.root_volume_size
      encrypted             = true
      delete_on_termination = true
    }
  }

  user_data = base64encode(templatefile("${path.module}/templates/user-data.sh.tftpl", {
    environment            = var.environment
    agent_config_parameter = aws_ssm_parameter.cloudwatch_agent.name
  }))

  tag_specifications {
    resource_type = "volume"

    tags = {
      Name = format(local.name_prefix, "web-root")
    }
  }

  tags = {
    Name = format(local.name_prefix, "web")
  }
}

resource "aws_instance" "web" {
  #checkov:skip=CKV_AWS_126:Detailed (1-minute) monitoring is a paid extra the design does not ask for; the 5-minute basic metrics feed the CPU alarms.
  #checkov:skip=CKV_AWS_79:False positive: IMDSv2 (http_tokens = required, hop limit 1) is set in aws_launch_template.web, which checkov does not resolve for instances; asserted by tests/ec2.tftest.hcl.
  #checkov:skip=CKV_AWS_8:False positive: the root volume is encrypted gp3 via aws_launch_template.web (block_device_mappings), which checkov does not resolve for instances; asserted by tests/ec2.tftest.hcl.
  #checkov:skip=CKV2_AWS_41:False positive: the instance profile is attached via aws_launch_template.web (iam_instance_profile), which checkov does not resolve for instances.
  #checkov:skip=CKV_AWS_135:The instance types used (t3 family, Nitro) are EBS-optimized by default; ebs_optimized only matters for older types.
  count = local.static_instance_count

  subnet_id = var.public_subnet_ids[count.index % length(var.public_subnet_ids)]

  launch_template {
    id      = aws_launch_template.web.id
    version = aws_launch_template.web.latest_version
  }

  tags = {
    Name = format(local.name_prefix, "web-${count.index + 1}")
  }

  # The log groups exist before the agent on a new instance starts writing to them.
  depends_on = [aws_cloudwatch_log_group.this]

  lifecycle {
    # user_data comes from the launch template (a change there is a new template version, which
    # replaces the instance). The provider re-hashes its own stored hash of it on every plan and would
    # "update" (stop, modify, start) the instance each time: hashicorp/terraform-provider-aws#30825.
    ignore_changes = [user_data]
  }
}

# --- logs and the CloudWatch agent's configuration ---------------------------------------------------------------------------------

resource "aws_cloudwatch_log_group" "this" {
  #checkov:skip=CKV_AWS_158:Log groups use the CloudWatch Logs service encryption; a customer-managed KMS key is not part of the design (cost, key management), in either engine.
  for_each = local.log_groups

  name              = each.value
  retention_in_days = var.log_retention_days

  tags = {
    Name = each.value
  }
}

# The CloudWatch agent's configuration, fetched by the user data (`fetch-config -c ssm:<name>`): changing
# what is shipped is a parameter update, not a new launch template. Amazon Linux 2023 keeps the system
# journal only (no /var/log/messages); the user data installs rsyslog, which writes it again.
resource "aws_ssm_parameter" "cloudwatch_agent" {
  #checkov:skip=CKV2_AWS_34:The agent configuration is not secret (log file paths and group names); a SecureString would add a kms:Decrypt grant to the instance role for nothing.
  name        = "/${var.project_name}/${var.environment}/cloudwatch-agent"
  description = "CloudWatch agent configuration of the ${var.project_name} ${var.environment} web servers (logs only)."
  type        = "String"
  tier        = "Standard"
  value = templatefile("${path.module}/templates/cloudwatch-agent.json.tftpl", {
    log_group_apache_access = aws_cloudwatch_log_group.this["apache_access"].name
    log_group_apache_error  = aws_cloudwatch_log_group.this["apache_error"].name
    log_group_system        = aws_cloudwatch_log_group.this["system"].name
  })

  tags = {
    Name = "/${var.project_name}/${var.environment}/cloudwatch-agent"
  }
}
