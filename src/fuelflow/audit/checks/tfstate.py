"""Terraform state: the state bucket and the DynamoDB lock table (FF-TF), which only the Terraform path has."""

from __future__ import annotations

from collections.abc import Callable, Iterator

from fuelflow.audit.checks import s3
from fuelflow.audit.checks.common import NOT_FOUND, each
from fuelflow.audit.context import AuditContext
from fuelflow.audit.registry import Verdict, control, failed, passed


def _state_bucket(ctx: AuditContext, judge: Callable[[AuditContext, str], Verdict]) -> Iterator[Verdict]:
    """The state bucket is judged exactly like the application buckets."""
    yield from each(s3.bucket_items(ctx, [ctx.names.state_bucket]), lambda b: judge(ctx, b))


@control("FF-TF-001", "Terraform state bucket is encrypted", "high",
         "architecture: Terraform state encryption enabled",
         "State holds every resource attribute, including ones that are sensitive.",
         checkov=("CKV_AWS_19",), aws_config="s3-bucket-server-side-encryption-enabled",
         engines=("terraform",), subject=lambda n: n.state_bucket,
         prowler="s3_bucket_default_encryption")
def check_state_encryption(ctx: AuditContext) -> Iterator[Verdict]:
    yield from _state_bucket(ctx, s3.judge_encryption)


@control("FF-TF-002", "Terraform state bucket is versioned", "medium",
         "architecture: Versioning enabled for critical buckets (the state bucket is versioned)",
         "A corrupted or deleted state file can be restored from an earlier version.",
         checkov=("CKV_AWS_21",), aws_config="s3-bucket-versioning-enabled",
         engines=("terraform",), subject=lambda n: n.state_bucket,
         prowler="s3_bucket_object_versioning")
def check_state_versioning(ctx: AuditContext) -> Iterator[Verdict]:
    yield from _state_bucket(ctx, s3.judge_versioning)


@control("FF-TF-003", "Terraform state bucket blocks public access", "high",
         "DECISIONS 5: state bucket public access blocked",
         "State must never become readable by anyone outside the account.",
         checkov=("CKV_AWS_53", "CKV_AWS_54", "CKV_AWS_55", "CKV_AWS_56"),
         aws_config="s3-bucket-level-public-access-prohibited",
         engines=("terraform",), subject=lambda n: n.state_bucket,
         prowler="s3_bucket_level_public_access_block")
def check_state_public_access(ctx: AuditContext) -> Iterator[Verdict]:
    yield from _state_bucket(ctx, s3.judge_public_access_block)


@control("FF-TF-004", "Terraform state bucket accepts TLS requests only", "medium",
         "DECISIONS 5: state bucket TLS-only",
         "State travels between Terraform and S3; it must not travel in clear text.",
         checkov=("CKV_AWS_379",), aws_config="s3-bucket-ssl-requests-only",
         engines=("terraform",), subject=lambda n: n.state_bucket,
         prowler="s3_bucket_secure_transport_policy")
def check_state_tls(ctx: AuditContext) -> Iterator[Verdict]:
    yield from _state_bucket(ctx, s3.judge_tls_policy)


@control("FF-TF-005", "Terraform lock table has point-in-time recovery", "medium",
         "DECISIONS 5: locking with the DynamoDB LockID table",
         "Point-in-time recovery restores the lock table after an accidental delete or bad write.",
         checkov=("CKV_AWS_28",), aws_config="dynamodb-pitr-enabled",
         engines=("terraform",), subject=lambda n: n.lock_table,
         prowler="dynamodb_tables_pitr_enabled")
def check_lock_table_pitr(ctx: AuditContext) -> Iterator[Verdict]:
    table = ctx.names.lock_table
    arn = ctx.names.arn("dynamodb", f"table/{table}")

    def judge(name: str) -> Verdict:
        got = ctx.call("dynamodb", "describe_continuous_backups", missing=("TableNotFoundException",),
                       TableName=name)
        if got is None:
            return failed(name, f"lock table {NOT_FOUND}", arn)
        pitr = got.get("ContinuousBackupsDescription", {}).get("PointInTimeRecoveryDescription", {})
        status = pitr.get("PointInTimeRecoveryStatus")
        if status == "ENABLED":
            return passed(name, "point-in-time recovery enabled", arn)
        return failed(name, f"point-in-time recovery {str(status).lower()}", arn)

    yield from each([(table, arn)], judge)
