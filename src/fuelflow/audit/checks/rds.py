"""RDS: the environment's one DB instance (FF-RDS)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from fuelflow.audit.checks.common import NOT_FOUND
from fuelflow.audit.context import AuditContext, Unanswerable
from fuelflow.audit.policy import as_list, parse_policy, statements
from fuelflow.audit.registry import Verdict, control, failed, not_applicable, not_checked, passed

RDS_LOG_EXPORTS = ("error", "general", "slowquery")  # architecture: "RDS error, general, and slow query logs"

def db_verdict(ctx: AuditContext, judge: Callable[[dict[str, Any], str, str], Verdict]) -> Iterator[Verdict]:
    """Run `judge(db, name, arn)` on the environment's DB instance, or fail it as not found."""
    name = ctx.names.db_instance
    try:
        db = ctx.db_instance()
    except Unanswerable as exc:
        yield not_checked(name, exc.reason)
        return
    if db is None:
        yield failed(name, f"DB instance {NOT_FOUND}")
        return
    arn = str(db.get("DBInstanceArn") or ctx.names.arn("rds", f"db:{name}"))
    try:
        yield judge(db, name, arn)
    except Unanswerable as exc:
        yield not_checked(name, exc.reason, arn)


@control("FF-RDS-001", "RDS storage is encrypted", "high",
         "architecture: RDS encryption at rest enabled; DECISIONS 5: RDS encrypted",
         "Encryption at rest covers the storage, its snapshots and automated backups.",
         checkov=("CKV_AWS_16",), aws_config="rds-storage-encrypted",
         prowler="rds_instance_storage_encrypted")
def check_rds_encrypted(ctx: AuditContext) -> Iterator[Verdict]:
    def judge(db: dict[str, Any], name: str, arn: str) -> Verdict:
        if db.get("StorageEncrypted") is True:
            return passed(name, "storage encrypted", arn)
        return failed(name, "storage not encrypted", arn)

    yield from db_verdict(ctx, judge)


@control("FF-RDS-002", "The database password lives in Secrets Manager", "high",
         "architecture: Database passwords in Secrets Manager; DECISIONS 5: ManageMasterUserPassword",
         "A password generated and kept by RDS never appears in a template, a parameter or Terraform state.",
         aws_config=None,
         prowler=None)
def check_rds_secret(ctx: AuditContext) -> Iterator[Verdict]:
    def judge(db: dict[str, Any], name: str, arn: str) -> Verdict:
        secret = db.get("MasterUserSecret") or {}
        secret_arn = secret.get("SecretArn")
        if not secret_arn:
            return failed(name,
                          "master password is not managed in Secrets Manager (ManageMasterUserPassword off)", arn)
        found = ctx.call("secretsmanager", "describe_secret", missing=("ResourceNotFoundException",),
                         SecretId=secret_arn)
        if found is None:
            return failed(name, f"the DB names secret {secret_arn}, which does not exist", arn)
        if found.get("DeletedDate"):
            return failed(name, f"secret {found.get('Name')} is scheduled for deletion", arn)
        return passed(name, f"password managed by RDS in Secrets Manager ({found.get('Name')})", arn)

    yield from db_verdict(ctx, judge)


@control("FF-RDS-003", "RDS is not publicly accessible", "high",
         "DECISIONS 2 and 5: RDS is private",
         "A publicly accessible DB gets a public DNS answer; only the security group would stand in the way.",
         checkov=("CKV_AWS_17",), aws_config="rds-instance-public-access-check",
         prowler="rds_instance_no_public_access")
def check_rds_private(ctx: AuditContext) -> Iterator[Verdict]:
    def judge(db: dict[str, Any], name: str, arn: str) -> Verdict:
        public = db.get("PubliclyAccessible")
        if public is None:
            return not_checked(name, "the target does not report PubliclyAccessible for this DB instance", arn)
        if public:
            return failed(name, "PubliclyAccessible is true", arn)
        return passed(name, "not publicly accessible", arn)

    yield from db_verdict(ctx, judge)


@control("FF-RDS-004", "RDS requires TLS (require_secure_transport=1)", "medium",
         "DECISIONS 5: RDS TLS required (parameter group); architecture: SSL/TLS for RDS connections",
         "Without require_secure_transport MySQL accepts clear-text connections from any client that asks.",
         checkov=("CKV2_AWS_69",), aws_config="rds-mysql-instance-encrypted-in-transit",
         prowler="rds_instance_transport_encrypted")
def check_rds_tls(ctx: AuditContext) -> Iterator[Verdict]:
    def judge(db: dict[str, Any], name: str, arn: str) -> Verdict:
        groups = db.get("DBParameterGroups", [])
        if not groups:
            return not_checked(name, "the target reports no parameter group for this DB instance", arn)
        group = groups[0]
        group_name = str(group.get("DBParameterGroupName"))
        if group_name.startswith("default."):
            return failed(name,
                          f"uses the default parameter group {group_name} (require_secure_transport off)", arn)
        params = ctx.pages("rds", "describe_db_parameters", "Parameters",
                           missing=("DBParameterGroupNotFound", "DBParameterGroupNotFoundFault"),
                           DBParameterGroupName=group_name)
        if params is None:
            return failed(name, f"parameter group {group_name} {NOT_FOUND}", arn)
        value = next((p.get("ParameterValue") for p in params
                      if p.get("ParameterName") == "require_secure_transport"), None)
        if str(value).lower() not in ("1", "on", "true"):
            shown = "not set (MySQL default: off)" if value is None else f"= {value}"
            return failed(name, f"require_secure_transport {shown} in {group_name}", arn)
        status = group.get("ParameterApplyStatus", "in-sync")
        if status != "in-sync":
            return failed(name, f"require_secure_transport=1 in {group_name} but not applied yet ({status})", arn)
        return passed(name, f"require_secure_transport=1 in {group_name}", arn)

    yield from db_verdict(ctx, judge)


@control("FF-RDS-005", "RDS exports error, general and slow-query logs to CloudWatch", "low",
         "architecture: CloudWatch logs export enabled (RDS error, general and slow query logs)",
         "Exported logs survive the instance and can be searched and alarmed on.",
         checkov=("CKV_AWS_129",), aws_config="rds-logging-enabled",
         prowler="rds_instance_integration_cloudwatch_logs")
def check_rds_logs(ctx: AuditContext) -> Iterator[Verdict]:
    def judge(db: dict[str, Any], name: str, arn: str) -> Verdict:
        exported = list(db.get("EnabledCloudwatchLogsExports") or [])
        if not exported:
            return failed(name, "no log is exported to CloudWatch", arn)
        missing = [log for log in RDS_LOG_EXPORTS if log not in exported]
        if missing:
            return failed(name, f"not exported: {', '.join(missing)} (exported: {', '.join(exported)})", arn)
        return passed(name, f"exported: {', '.join(exported)}", arn)

    yield from db_verdict(ctx, judge)


@control("FF-RDS-006", "RDS automated backups are kept", "medium",
         "architecture: Automated backups configured (7-day automated RDS backups)",
         "Automated backups give point-in-time restore; retention 0 turns them off.",
         checkov=("CKV_AWS_133",), aws_config="db-instance-backup-enabled",
         prowler="rds_instance_backup_enabled")
def check_rds_backups(ctx: AuditContext) -> Iterator[Verdict]:
    wanted = max(1, ctx.env.rds.backup_retention_days)

    def judge(db: dict[str, Any], name: str, arn: str) -> Verdict:
        days = int(db.get("BackupRetentionPeriod") or 0)
        if days == 0:
            return failed(name, "automated backups are off (retention 0)", arn)
        if days < wanted:
            return failed(name, f"backups kept {days} days, the environment file asks {wanted}", arn)
        return passed(name, f"backups kept {days} days", arn)

    yield from db_verdict(ctx, judge)


@control("FF-RDS-007", "RDS deletion protection is on in production-tier environments", "medium",
         "DECISIONS 5: deletion protection and a final snapshot in production (tier: production)",
         "One wrong destroy must not be able to delete the production database.",
         checkov=("CKV_AWS_293",), aws_config="rds-instance-deletion-protection-enabled",
         prowler="rds_instance_deletion_protection")
def check_rds_deletion_protection(ctx: AuditContext) -> Iterator[Verdict]:
    if not (ctx.env.is_production or ctx.env.rds.deletion_protection):
        yield not_applicable(ctx.names.db_instance, f"required for tier: production only; {ctx.env.name} is "
                             f"{ctx.env.tier} and sets rds.deletion_protection: false")
        return

    def judge(db: dict[str, Any], name: str, arn: str) -> Verdict:
        if db.get("DeletionProtection") is True:
            return passed(name, "deletion protection on", arn)
        return failed(name, "deletion protection off", arn)

    yield from db_verdict(ctx, judge)


@control("FF-RDS-008", "The read replica is encrypted and private when the environment has one", "high",
         "issue 9: optional read replica (rds.read_replica); RDS encryption at rest enabled",
         "A replica holds a full copy of the data: it needs the primary's encryption and privacy.",
         checkov=("CKV_AWS_16",), aws_config="rds-storage-encrypted", prowler="rds_instance_storage_encrypted")
def check_rds_replica(ctx: AuditContext) -> Iterator[Verdict]:
    name = ctx.names.db_replica
    if not ctx.env.rds.read_replica:
        yield not_applicable(name, "rds.read_replica is off for this environment")
        return
    try:
        found = ctx.call("rds", "describe_db_instances", missing=("DBInstanceNotFound", "DBInstanceNotFoundFault"),
                         DBInstanceIdentifier=name)
    except Unanswerable as exc:
        yield not_checked(name, exc.reason)
        return
    if not found or not found.get("DBInstances"):
        yield failed(name, f"read replica {NOT_FOUND} (rds.read_replica is on)")
        return
    db = found["DBInstances"][0]
    arn = str(db.get("DBInstanceArn") or ctx.names.arn("rds", f"db:{name}"))
    if db.get("ReadReplicaSourceDBInstanceIdentifier") not in (ctx.names.db_instance, ctx.names.arn(
            "rds", f"db:{ctx.names.db_instance}")):
        yield failed(name, f"not a read replica of {ctx.names.db_instance}", arn)
    elif db.get("StorageEncrypted") is not True:
        yield failed(name, "storage not encrypted", arn)
    elif db.get("PubliclyAccessible") is not False:
        yield failed(name, "publicly accessible (or not reported)", arn)
    else:
        yield passed(name, f"read replica of {ctx.names.db_instance}: storage encrypted, private", arn)


@control("FF-RDS-009", "The database secret is not readable outside this account", "high",
         "DECISIONS 17.7: the master-password secret is read through identity policies of this account only",
         "A resource policy on the secret that grants * or another account would hand the database password to "
         "principals this environment does not control; no policy at all leaves it to this account's identities.",
         aws_config=None,
         prowler="secretsmanager_not_publicly_accessible")
def check_rds_secret_policy(ctx: AuditContext) -> Iterator[Verdict]:
    def judge(db: dict[str, Any], name: str, arn: str) -> Verdict:
        secret_arn = (db.get("MasterUserSecret") or {}).get("SecretArn")
        if not secret_arn:
            return not_applicable(name, "no managed master secret (FF-RDS-002 judges that)", arn)
        found = ctx.call("secretsmanager", "get_resource_policy", missing=("ResourceNotFoundException",),
                         SecretId=secret_arn)
        text = (found or {}).get("ResourcePolicy")
        if not text:
            return passed(name, "the secret has no resource policy: only this account's identities with a grant "
                                "can read it", secret_arn)
        outside = [_grantee(st) for st in statements(parse_policy(text))
                   if st.get("Effect") == "Allow" and _outside_account(st, ctx.names.account)]
        if outside:
            return failed(name, f"the secret's resource policy allows {', '.join(outside)} outside account "
                                f"{ctx.names.account}", secret_arn)
        return passed(name, "the secret's resource policy grants nothing outside this account", secret_arn)

    yield from db_verdict(ctx, judge)


def _grantee(st: dict[str, Any]) -> str:
    principal = st.get("Principal")
    return principal if isinstance(principal, str) else ", ".join(
        str(p) for v in (principal or {}).values() for p in as_list(v))


def _outside_account(st: dict[str, Any], account: str) -> bool:
    """Does an Allow statement reach a principal outside `account`? A `*` principal held to the account by an
    aws:PrincipalAccount / aws:SourceAccount condition does not."""
    principal = st.get("Principal")
    aws = ["*"] if principal == "*" else [str(p) for p in as_list((principal or {}).get("AWS"))]
    foreign = [p for p in aws if p == "*" or _account_of(p) != account]
    if not foreign:
        return False
    held = any(str(v) == account for cond in (st.get("Condition") or {}).values() if isinstance(cond, dict)
               for key, values in cond.items() if key.lower() in ("aws:principalaccount", "aws:sourceaccount")
               for v in as_list(values))
    return not held


def _account_of(principal: str) -> str:
    """The account an AWS principal names: a bare account id, or the fifth field of an ARN."""
    parts = principal.split(":")
    return parts[4] if principal.startswith("arn:") and len(parts) > 4 else principal
