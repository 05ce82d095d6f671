"""Monitoring: every alarm reaches the environment's topic, CloudWatch can use the topic's key, and the composite
"environment unhealthy" alarm exists (FF-MON; docs/decisions.md, "Alarms that reach someone")."""

from __future__ import annotations

import fnmatch
import json
import re
from collections.abc import Iterator
from typing import Any

from fuelflow.audit.checks.common import NOT_FOUND, each
from fuelflow.audit.context import AuditContext, Unanswerable
from fuelflow.audit.registry import Verdict, control, failed, not_checked, passed

CLOUDWATCH = "cloudwatch.amazonaws.com"
AWS_MANAGED_SNS_KEY = "alias/aws/sns"
# What CloudWatch calls on the topic's key to publish an encrypted notification.
KEY_ACTIONS = ("kms:Decrypt", "kms:GenerateDataKey")
_RULE_ALARM = re.compile(r'ALARM\(\s*"?([^")]+?)"?\s*\)')


def topic_arn(ctx: AuditContext) -> str:
    return ctx.names.arn("sns", ctx.names.alerts_topic)


def alarms(ctx: AuditContext) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The environment's (metric, composite) alarms, name prefix `{project}-{env}-`, by name. DescribeAlarms
    answers metric alarms only unless AlarmTypes names both."""
    def find() -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        params: dict[str, Any] = {"AlarmNamePrefix": ctx.names.alarm_prefix,
                                  "AlarmTypes": ["MetricAlarm", "CompositeAlarm"]}
        metric = ctx.pages("cloudwatch", "describe_alarms", "MetricAlarms", **params) or []
        composite = ctx.pages("cloudwatch", "describe_alarms", "CompositeAlarms", **params) or []
        return (sorted(metric, key=lambda a: str(a["AlarmName"])),
                sorted(composite, key=lambda a: str(a["AlarmName"])))
    return ctx.cached("alarms", find)


def _missing_actions(alarm: dict[str, Any], topic: str) -> list[str]:
    missing = [] if alarm.get("ActionsEnabled", True) else ["actions are disabled"]
    for key, label in (("AlarmActions", "alarm"), ("OKActions", "OK")):
        if topic not in alarm.get(key, []):
            missing.append(f"no {label} action on the topic")
    return missing


@control("FF-MON-001", "Every CloudWatch alarm notifies the environment's topic on ALARM and on OK", "high",
         "docs/decisions.md: Alarms that reach someone (every alarm has alarm and OK actions on the topic)",
         "An alarm without actions changes state on a console nobody watches; without OK actions nobody "
         "learns that it is over.",
         checkov=("CKV_AWS_319",), aws_config="cloudwatch-alarm-action-check",
         prowler="cloudwatch_alarm_actions_alarm_state_configured")
def check_alarm_actions(ctx: AuditContext) -> Iterator[Verdict]:
    topic = topic_arn(ctx)
    try:
        metric, composite = alarms(ctx)
        found = sorted([*metric, *composite], key=lambda a: str(a["AlarmName"]))
    except Unanswerable as exc:
        yield not_checked(f"{ctx.names.alarm_prefix}*", exc.reason)
        return
    if not found:
        yield failed(f"{ctx.names.alarm_prefix}*", f"no alarm of the environment {NOT_FOUND}")
        return
    for alarm in found:
        name, arn = alarm["AlarmName"], alarm.get("AlarmArn")
        missing = _missing_actions(alarm, topic)
        if missing:
            yield failed(name, "; ".join(missing) + f" ({ctx.names.alerts_topic})", arn)
        else:
            yield passed(name, f"alarm and OK actions on {ctx.names.alerts_topic}", arn)


def _as_list(value: Any) -> list[str]:
    return [value] if isinstance(value, str) else list(value or [])


def _lets_cloudwatch_use(policy: dict[str, Any]) -> bool:
    """An Allow statement whose principal is the CloudWatch service and whose actions cover KEY_ACTIONS."""
    statements = policy.get("Statement", [])
    for st in [statements] if isinstance(statements, dict) else statements:
        if not isinstance(st, dict) or st.get("Effect") != "Allow":
            continue
        principal = st.get("Principal")
        services = _as_list(principal.get("Service")) if isinstance(principal, dict) else []
        if CLOUDWATCH not in services:
            continue
        actions = [a.lower() for a in _as_list(st.get("Action"))]
        if all(any(fnmatch.fnmatchcase(want.lower(), a) for a in actions) for want in KEY_ACTIONS):
            return True
    return False


@control("FF-MON-002", "The environment's topic is encrypted with a KMS key CloudWatch may use", "high",
         "docs/decisions.md: Alarms that reach someone (topic encrypted with its own key, not alias/aws/sns)",
         "Alarm notifications are encrypted at rest; with the AWS managed alias/aws/sns key (whose policy cannot "
         "name CloudWatch) or a key that does not let CloudWatch use it, every notification is dropped.",
         checkov=("CKV_AWS_26",), aws_config="sns-encrypted-kms",
         prowler="sns_topics_kms_encryption_at_rest_enabled")
def check_topic_key(ctx: AuditContext) -> Iterator[Verdict]:
    name, arn = ctx.names.alerts_topic, topic_arn(ctx)

    def judge(_: str) -> Verdict:
        got = ctx.call("sns", "get_topic_attributes", missing=("NotFound", "NotFoundException"), TopicArn=arn)
        if got is None:
            return failed(name, f"topic {NOT_FOUND}", arn)
        key = got.get("Attributes", {}).get("KmsMasterKeyId")
        if not key:
            return failed(name, "not encrypted (no KmsMasterKeyId)", arn)
        if key == AWS_MANAGED_SNS_KEY or key.endswith(":" + AWS_MANAGED_SNS_KEY):
            return failed(name, f"encrypted with {AWS_MANAGED_SNS_KEY}, whose policy cannot let CloudWatch "
                                "publish", arn)
        described = ctx.call("kms", "describe_key", missing=("NotFoundException",), KeyId=key)
        if described is None:
            return failed(name, f"its key {key} {NOT_FOUND}", arn)
        meta = described["KeyMetadata"]
        if meta.get("KeyManager") == "AWS":
            return failed(name, f"encrypted with an AWS managed key ({key}), whose policy cannot name CloudWatch",
                          arn)
        if meta.get("KeyState") != "Enabled":
            return failed(name, f"its key {meta['KeyId']} is {meta.get('KeyState')}", arn)
        policy = ctx.call("kms", "get_key_policy", KeyId=meta["KeyId"], PolicyName="default")
        document = json.loads((policy or {}).get("Policy") or "{}")
        if not _lets_cloudwatch_use(document):
            return failed(name, f"the policy of its key {meta['KeyId']} does not let {CLOUDWATCH} call "
                                "kms:Decrypt and kms:GenerateDataKey*", arn)
        return passed(name, f"encrypted with {meta['KeyId']}, which CloudWatch may use", arn)

    yield from each([(name, arn)], judge)


def _rule_names(rule: str) -> set[str]:
    """The alarms a composite rule names (by name or by ARN)."""
    return {m.rpartition(":alarm:")[2] if ":alarm:" in m else m for m in _RULE_ALARM.findall(rule)}


@control("FF-MON-003", "The composite \"environment unhealthy\" alarm covers every alarm and notifies the topic",
         "medium",
         "docs/decisions.md: Alarms that reach someone (composite environment-unhealthy alarm)",
         "One alarm says whether the environment is healthy: an alarm left out of its rule goes unnoticed on the "
         "dashboard and in the composite's notifications.",
         prowler=None)
def check_composite_alarm(ctx: AuditContext) -> Iterator[Verdict]:
    name = ctx.names.unhealthy_alarm
    arn = ctx.names.arn("cloudwatch", f"alarm:{name}")

    def judge(_: str) -> Verdict:
        metric, composites = alarms(ctx)
        composite = next((a for a in composites if a["AlarmName"] == name), None)
        if composite is None:
            return failed(name, f"composite alarm {NOT_FOUND}", arn)
        arn_found = composite.get("AlarmArn", arn)
        problems = _missing_actions(composite, topic_arn(ctx))
        named = _rule_names(str(composite.get("AlarmRule", "")))
        left_out = [a["AlarmName"] for a in metric if a["AlarmName"] not in named]
        if left_out:
            problems.append("its rule leaves out " + ", ".join(left_out))
        if problems:
            return failed(name, "; ".join(problems), arn_found)
        return passed(name, f"covers {len(named)} alarms; alarm and OK actions on {ctx.names.alerts_topic}",
                      arn_found)

    yield from each([(name, arn)], judge)
