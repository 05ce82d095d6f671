# MySQL database, mirroring cloudformation/rds-database.yaml: private (subnet group on the private
# subnets, not publicly accessible), reachable on 3306 only from the web security group, encrypted gp3
# storage with autoscaling, TLS required by the parameter group, master password generated and kept by
# RDS in Secrets Manager (never in Terraform state), CloudWatch log exports, enhanced monitoring, alarms.
#
# Deletion: a final snapshot is always taken (the CloudFormation template's DeletionPolicy: Snapshot),
# in dev too; with deletion_protection (prod) the instance cannot be deleted at all until it is switched
# off.

locals {
  identifier         = "${var.project_name}-db-${var.environment}"
  replica_identifier = "${var.project_name}-db-replica-${var.environment}"
  engine_family      = "mysql${join(".", slice(split(".", var.engine_version), 0, 2))}"

  # RDS for MySQL offers Performance Insights on every class except these (as in the template).
  classes_without_performance_insights = ["db.t2.micro", "db.t2.small", "db.t3.micro", "db.t3.small", "db.t4g.micro", "db.t4g.small"]
  performance_insights                 = length([for c in local.classes_without_performance_insights : c if c == var.instance_class]) == 0

  log_exports = ["error", "general", "slowquery"]
}

# Created before the instance so that RDS writes into groups with a retention period instead of
# creating never-expiring ones itself.
resource "aws_cloudwatch_log_group" "db" {
  #checkov:skip=CKV_AWS_158:CloudWatch Logs encrypts log data at rest with AWS-owned keys; a customer-managed KMS key is not part of the design (cost, key management), in either engine. The password is never logged.
  for_each = toset(local.log_exports)

  name              = "/aws/rds/instance/${local.identifier}/${each.key}"
  retention_in_days = var.log_retention_days

  tags = {
    Name = "/aws/rds/instance/${local.identifier}/${each.key}"
  }
}

resource "aws_db_subnet_group" "this" {
  name        = "${var.project_name}-db-subnets-${var.environment}"
  description = "Private subnets of the ${var.project_name} ${var.environment} database"
  subnet_ids  = var.private_subnet_ids

  tags = {
    Name = "${var.project_name}-db-subnets-${var.environment}"
  }
}

resource "aws_security_group" "db" {
  name        = "${var.project_name}-db-sg-${var.environment}"
  description = "Fuel Flow database - MySQL only from the web servers security group"
  vpc_id      = var.vpc_id

  tags = {
    Name = "${var.project_name}-db-sg-${var.environment}"
  }
}

# Stricter than the document's "VPC CIDR": only the web tier's security group (DECISIONS 2).
# No egress rule: the database initiates no connections (Terraform removes AWS's default allow-all).
resource "aws_vpc_security_group_ingress_rule" "mysql_from_web" {
  security_group_id            = aws_security_group.db.id
  description                  = "MySQL from the web servers"
  ip_protocol                  = "tcp"
  from_port                    = 3306
  to_port                      = 3306
  referenced_security_group_id = var.web_security_group_id
}

resource "aws_db_parameter_group" "this" {
  name        = "${var.project_name}-${replace(local.engine_family, ".", "")}-${var.environment}"
  family      = local.engine_family
  description = "${var.project_name} ${var.environment} MySQL 8.0 - TLS required, slow query log on"

  parameter {
    name  = "require_secure_transport"
    value = "1"
  }

  parameter {
    name  = "slow_query_log"
    value = "1"
  }

  parameter {
    name  = "long_query_time"
    value = tostring(var.slow_query_seconds)
  }

  # The general log records every statement (volume, personal data); it stays off until needed. Its
  # CloudWatch export is wired, so switching general_log to 1 here is all it takes.
  parameter {
    name  = "general_log"
    value = "0"
  }

  tags = {
    Name = "${var.project_name}-db-params-${var.environment}"
  }
}

resource "aws_db_instance" "this" {
  #checkov:skip=CKV_AWS_354:Performance Insights data (on wherever the class offers it) is encrypted with the AWS managed key aws/rds; a customer-managed key is not part of the design (cost, key management).
  identifier     = local.identifier
  engine         = "mysql"
  engine_version = var.engine_version
  instance_class = var.instance_class
  port           = 3306

  db_name                     = "fuelflow"
  username                    = "fuelflow_admin"
  manage_master_user_password = true

  storage_type          = "gp3"
  allocated_storage     = var.allocated_storage
  max_allocated_storage = var.max_allocated_storage
  storage_encrypted     = true

  db_subnet_group_name   = aws_db_subnet_group.this.name
  vpc_security_group_ids = [aws_security_group.db.id]
  parameter_group_name   = aws_db_parameter_group.this.name
  publicly_accessible    = false
  multi_az               = var.multi_az
  ca_cert_identifier     = "rds-ca-rsa2048-g1"

  # A changed class, storage or Multi-AZ takes effect now, as CloudFormation's updates do, not at the next
  # maintenance window (when the apply would end with the change invisible and the next plan repeating it).
  apply_immediately = true

  iam_database_authentication_enabled = true
  auto_minor_version_upgrade          = true
  copy_tags_to_snapshot               = true
  backup_retention_period             = var.backup_retention_days
  deletion_protection                 = var.deletion_protection
  skip_final_snapshot                 = false
  # Unique per instance (CloudFormation names its DeletionPolicy snapshots uniquely too), so that
  # destroying a re-created environment does not collide with its predecessor's snapshot: the creation
  # time, fixed in the state by ignore_changes below.
  final_snapshot_identifier = "${local.identifier}-final-${formatdate("YYYYMMDDhhmmss", timestamp())}"

  enabled_cloudwatch_logs_exports = local.log_exports
  monitoring_interval             = var.monitoring_interval
  monitoring_role_arn             = var.monitoring_interval > 0 ? var.monitoring_role_arn : null

  performance_insights_enabled          = local.performance_insights
  performance_insights_retention_period = local.performance_insights ? 7 : null

  tags = {
    Name = local.identifier
  }

  depends_on = [aws_cloudwatch_log_group.db]

  lifecycle {
    ignore_changes = [final_snapshot_identifier]
  }
}

# --- read replica (read_replica) ---------------------------------------------------------------------
# Holds no data of its own (RDS copies the primary into it), so: no final snapshot (RDS refuses one for a
# read replica; CloudFormation's DeletionPolicy is Delete for it) and no deletion protection (switching it
# off must delete it; the primary keeps both). Encryption is inherited from the encrypted primary.
resource "aws_cloudwatch_log_group" "replica" {
  #checkov:skip=CKV_AWS_158:CloudWatch Logs encrypts log data at rest with AWS-owned keys; a customer-managed KMS key is not part of the design (cost, key management), in either engine. The password is never logged.
  for_each = var.read_replica ? toset(local.log_exports) : toset([])

  name              = "/aws/rds/instance/${local.replica_identifier}/${each.key}"
  retention_in_days = var.log_retention_days

  tags = {
    Name = "/aws/rds/instance/${local.replica_identifier}/${each.key}"
  }
}

resource "aws_db_instance" "replica" {
  #checkov:skip=CKV_AWS_16:A same-region read replica inherits the encryption of its source, which is encrypted (storage_encrypted = true); CreateDBInstanceReadReplica takes no StorageEncrypted (the CloudFormation template cannot set it either). The audit reads the replica's encryption back (FF-RDS-008).
  #checkov:skip=CKV_AWS_157:A read replica is a scale-out copy; Multi-AZ protects the primary (multi_az). A Multi-AZ replica would double its cost again for a copy that can be recreated from the primary.
  #checkov:skip=CKV_AWS_293:The replica holds no data of its own and must be deletable when read_replica is switched off; the primary keeps deletion protection.
  #checkov:skip=CKV_AWS_354:Performance Insights data (on wherever the class offers it) is encrypted with the AWS managed key aws/rds; a customer-managed key is not part of the design (cost, key management).
  count = var.read_replica ? 1 : 0

  identifier          = local.replica_identifier
  replicate_source_db = aws_db_instance.this.identifier
  instance_class      = var.instance_class

  storage_type          = "gp3"
  max_allocated_storage = var.max_allocated_storage

  db_subnet_group_name   = aws_db_subnet_group.this.name
  vpc_security_group_ids = [aws_security_group.db.id]
  parameter_group_name   = aws_db_parameter_group.this.name
  publicly_accessible    = false
  multi_az               = false
  ca_cert_identifier     = "rds-ca-rsa2048-g1"
  apply_immediately      = true

  iam_database_authentication_enabled = true
  auto_minor_version_upgrade          = true
  copy_tags_to_snapshot               = true
  deletion_protection                 = false
  skip_final_snapshot                 = true

  enabled_cloudwatch_logs_exports = local.log_exports
  monitoring_interval             = var.monitoring_interval
  monitoring_role_arn             = var.monitoring_interval > 0 ? var.monitoring_role_arn : null

  performance_insights_enabled          = local.performance_insights
  performance_insights_retention_period = local.performance_insights ? 7 : null

  tags = {
    Name = local.replica_identifier
  }

  depends_on = [aws_cloudwatch_log_group.replica]
}
