"""CloudWatch Logs: the environment's log groups (FF-LOG)."""

from __future__ import annotations

from collections.abc import Iterator

from fuelflow.audit.checks.common import NOT_FOUND
from fuelflow.audit.context import AuditContext, Unanswerable
from fuelflow.audit.registry import Verdict, control, failed, not_applicable, not_checked, passed


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


@control("FF-LOG-002", "VPC flow logs are on when the environment switches them on", "medium",
         "issue 9: VPC flow logs (switch; on in prod) with retention from the environment; environments file: "
         "network.flow_logs",
         "Flow logs are the record of who talked to what in the VPC: without them an incident cannot be traced.",
         checkov=("CKV2_AWS_11",), aws_config="vpc-flow-logs-enabled", prowler="vpc_flow_logs_enabled")
def check_flow_logs(ctx: AuditContext) -> Iterator[Verdict]:
    vpc_name = f"{ctx.names.project}-vpc-{ctx.names.env}"
    if not ctx.env.network.flow_logs:
        yield not_applicable(vpc_name, "network.flow_logs is off for this environment")
        return
    try:
        vpcs = ctx.pages("ec2", "describe_vpcs", "Vpcs", Filters=[{"Name": "tag:Name", "Values": [vpc_name]}]) or []
        if not vpcs:
            yield failed(vpc_name, f"VPC {NOT_FOUND}")
            return
        vpc_id = str(vpcs[0]["VpcId"])
        arn = ctx.names.arn("ec2", f"vpc/{vpc_id}")
        logs = ctx.pages("ec2", "describe_flow_logs", "FlowLogs",
                         Filters=[{"Name": "resource-id", "Values": [vpc_id]}]) or []
        group = ctx.names.flow_log_group
        mine = [f for f in logs if f.get("LogGroupName") == group
                or str(f.get("LogDestination", "")).endswith(f":log-group:{group}")]
        if not mine:
            yield failed(vpc_name, f"no flow log into {group} (network.flow_logs is on)", arn)
            return
        if mine[0].get("TrafficType") != "ALL":
            yield failed(vpc_name, f"the flow log records {mine[0].get('TrafficType')} traffic, not ALL", arn)
            return
        days = ctx.log_groups().get(group, {}).get("retentionInDays")
        if days != ctx.env.logs.retention_days:
            yield failed(vpc_name, f"{group} keeps logs {days or 'forever'} days, the environment file says "
                                   f"{ctx.env.logs.retention_days}", arn)
            return
        yield passed(vpc_name, f"flow log {mine[0].get('FlowLogId')}: ALL traffic into {group}, {days} days", arn)
    except Unanswerable as exc:
        yield not_checked(vpc_name, exc.reason)
