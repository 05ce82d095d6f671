# The web tier's security groups, mirroring the WebSecurityGroup / WebSshIngress* / LoadBalancerSecurityGroup
# resources of cloudformation/network.yaml. They live with the VPC rather than in the ec2 module so that the
# database (module rds) needs only the network module, not the web tier: at AWS scale the web tier then
# stops sitting on the database's critical path (docs/decisions.md, "Security groups in the network stack").
# An existing state keeps the same groups and rules: terraform/moved.tf moves them from module.ec2.

# --- security group of the web servers ----------------------------------------------------------------------------------

resource "aws_security_group" "web" {
  #checkov:skip=CKV2_AWS_5:Attached outside this module: module ec2 puts the launch template (and so every instance) in it, module rds admits MySQL from it; checkov does not follow module outputs.
  # The description it was first created with: EC2 cannot change it (a new text replaces the group and the
  # database rule that references it); the rules below say what is open (no 443 any more). The name stays:
  # the group moved here from the ec2 module through terraform/moved.tf, so the state keeps the same group.
  name        = format(local.name_prefix, "web-sg")
  description = "Fuel Flow web servers - HTTP/HTTPS from anywhere, SSH only from listed admin CIDRs"
  vpc_id      = aws_vpc.this.id

  tags = {
    Name = format(local.name_prefix, "web-sg")
  }
}

# Port 80: from the internet without a load balancer (the static server serves the site); with one, only
# from the load balancer's group. Port 443 is not opened on the instances: nothing listens there.
resource "aws_vpc_security_group_ingress_rule" "http" {
  #checkov:skip=CKV_AWS_260:Without a load balancer (dev) the static web server serves HTTP to the internet by design; with one (prod) port 80 admits only the load balancer's security group.
  security_group_id            = aws_security_group.web.id
  description                  = var.load_balancer ? "HTTP from the load balancer only" : "HTTP from anywhere"
  ip_protocol                  = "tcp"
  from_port                    = 80
  to_port                      = 80
  cidr_ipv4                    = var.load_balancer ? null : "0.0.0.0/0"
  referenced_security_group_id = var.load_balancer ? aws_security_group.alb[0].id : null
}

# Port 22 opens only to CIDRs an operator lists explicitly (DECISIONS 5); none by default.
resource "aws_vpc_security_group_ingress_rule" "ssh" {
  for_each = { for i, cidr in var.admin_ssh_cidrs : cidr => i + 1 }

  security_group_id = aws_security_group.web.id
  description       = "SSH from admin CIDR ${each.value}"
  ip_protocol       = "tcp"
  from_port         = 22
  to_port           = 22
  cidr_ipv4         = each.key
}

# Egress is explicit instead of the default allow-all: HTTPS for packages, SSM, S3, CloudWatch and
# Secrets Manager; MySQL inside the VPC. (DNS, NTP and the metadata service are not filtered by groups.)
resource "aws_vpc_security_group_egress_rule" "https" {
  security_group_id = aws_security_group.web.id
  description       = "HTTPS to AWS APIs and package repositories"
  ip_protocol       = "tcp"
  from_port         = 443
  to_port           = 443
  cidr_ipv4         = "0.0.0.0/0"
}

resource "aws_vpc_security_group_egress_rule" "mysql" {
  security_group_id = aws_security_group.web.id
  description       = "MySQL to the database inside the VPC"
  ip_protocol       = "tcp"
  from_port         = 3306
  to_port           = 3306
  cidr_ipv4         = aws_vpc.this.cidr_block
}

# --- security group of the load balancer -------------------------------------------------------------

resource "aws_security_group" "alb" {
  #checkov:skip=CKV2_AWS_5:Attached outside this module: module ec2's load balancer uses it (load_balancer true); checkov does not follow module outputs.
  count = var.load_balancer ? 1 : 0

  name        = format(local.name_prefix, "alb-sg")
  description = "Fuel Flow load balancer - HTTP and HTTPS from anywhere, HTTP to the web servers in the VPC"
  vpc_id      = aws_vpc.this.id

  tags = {
    Name = format(local.name_prefix, "alb-sg")
  }
}

resource "aws_vpc_security_group_ingress_rule" "alb_https" {
  count = var.load_balancer ? 1 : 0

  security_group_id = aws_security_group.alb[0].id
  description       = "HTTPS from anywhere"
  ip_protocol       = "tcp"
  from_port         = 443
  to_port           = 443
  cidr_ipv4         = "0.0.0.0/0"
}

resource "aws_vpc_security_group_ingress_rule" "alb_http" {
  #checkov:skip=CKV_AWS_260:Internet-facing load balancer: port 80 from anywhere is its purpose (with a certificate it only redirects to HTTPS); the instances admit port 80 from this group only.
  count = var.load_balancer ? 1 : 0

  security_group_id = aws_security_group.alb[0].id
  description       = "HTTP from anywhere (redirected to HTTPS when a certificate exists)"
  ip_protocol       = "tcp"
  from_port         = 80
  to_port           = 80
  cidr_ipv4         = "0.0.0.0/0"
}

# To the VPC CIDR rather than the web group, as in the template (there, two inline references between the
# groups would be a circular dependency).
resource "aws_vpc_security_group_egress_rule" "alb_http" {
  count = var.load_balancer ? 1 : 0

  security_group_id = aws_security_group.alb[0].id
  description       = "HTTP to the web servers inside the VPC"
  ip_protocol       = "tcp"
  from_port         = 80
  to_port           = 80
  cidr_ipv4         = aws_vpc.this.cidr_block
}
