"""CloudWatch Logs: the environment's log groups (FF-LOG)."""

from __future__ import annotations

from collections.abc import Iterator

from fuelflow.audit.checks.common import NOT_FOUND
from fuelflow.audit.context import AuditContext, Unanswerable
from fuelflow.audit.registry import Verdict, control, failed, not_checked, passed


@control("FF-LOG-001", "CloudWatch log groups have the environment's retention", "low",
         "architecture: CloudWatch Logs (EC2 system, Apache access/error); environments file: logs.retention_days",
         "Logs kept forever cost money and keep data longer than needed; too short loses evidence.",
         checkov=("CKV_AWS_66",), aws_config="cw-loggroup-retention-period-check",
         prowler="cloudwatch_log_group_retention_policy_specific_days_enabled")
def check_log_retention(ctx: AuditContext) -> Iterator[Verdict]:
    wanted = ctx.env.logs.retention_days
    try:
        groups = ctx.log_groups()
    except Unanswerable as exc:
        yield not_checked(f"{ctx.names.log_group_prefix}*", exc.reason)
        return
    for name in ctx.names.log_groups:
        group = groups.get(name)
        if group is None:
            yield failed(name, f"log group {NOT_FOUND}")
            continue
        arn = group.get("logGroupArn") or ctx.names.arn("logs", f"log-group:{name}")
        days = group.get("retentionInDays")
        if days is None:
            yield failed(name, "logs never expire (no retention set)", arn)
        elif days != wanted:
            yield failed(name, f"retention {days} days, the environment file says {wanted}", arn)
        else:
            yield passed(name, f"retention {days} days", arn)
