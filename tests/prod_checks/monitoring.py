"""Monitoring read back on either engine (`aws` is anything with `.client(service)`: a boto3 Session on the
emulator): the alert topic and its encryption and policy, every alarm with its threshold and its alarm and OK
actions on the topic, the composite alarm, the dashboard, and the CloudWatch agent's SSM parameter."""

from __future__ import annotations

import json
from typing import Any

from fuelflow.config import Environment


def _prefix(env: Environment) -> str:
    return f"{env.project}-{env.name}"


def topic_arn(aws: Any, env: Environment) -> str:
    arns = [t["TopicArn"] for t in aws.client("sns").list_topics()["Topics"]
            if t["TopicArn"].endswith(f":{_prefix(env)}-alerts")]
    assert len(arns) == 1, f"topic {_prefix(env)}-alerts: {arns}"
    return str(arns[0])


def expected_alarms(env: Environment) -> dict[str, float]:
    """Alarm name -> threshold, as the environment file says."""
    m, p = env.monitoring, _prefix(env)
    alarms = {f"{p}-rds-cpu-high": m.db_cpu_percent, f"{p}-rds-storage-low": m.db_free_storage_mib,
              f"{p}-rds-memory-low": m.db_freeable_memory_mib, f"{p}-rds-connections-high": m.db_connections}
    if env.web.load_balancer:
        alarms |= {f"{p}-web-cpu-high": m.web_cpu_percent, f"{p}-alb-5xx": m.alb_5xx_count,
                   f"{p}-alb-unhealthy-hosts": 1, f"{p}-alb-response-time": m.alb_response_time_seconds}
    else:
        alarms |= {f"{p}-ec2-cpu-high-{n}": m.web_cpu_percent for n in range(1, env.ec2.instance_count + 1)}
    return {k: float(v) for k, v in alarms.items()}


def check_topic_is_encrypted_and_only_cloudwatch_publishes(aws: Any, env: Environment) -> None:
    arn = topic_arn(aws, env)
    attributes = aws.client("sns").get_topic_attributes(TopicArn=arn)["Attributes"]
    key_id = attributes.get("KmsMasterKeyId", "")
    assert key_id, "the alert topic is not encrypted"
    key = aws.client("kms").describe_key(KeyId=key_id)["KeyMetadata"]
    assert key["KeyManager"] == "CUSTOMER", "CloudWatch cannot publish to a topic under the AWS managed key"
    policy = json.loads(aws.client("kms").get_key_policy(KeyId=key["KeyId"], PolicyName="default")["Policy"])
    assert any(s.get("Principal") == {"Service": "cloudwatch.amazonaws.com"} for s in policy["Statement"])
    statements = json.loads(attributes["Policy"])["Statement"]
    publishers = [s for s in statements if s["Effect"] == "Allow" and "sns:Publish" in json.dumps(s["Action"])]
    assert [s["Principal"] for s in publishers] == [{"Service": "cloudwatch.amazonaws.com"}]
    assert any(s["Effect"] == "Deny" and s.get("Condition") == {"Bool": {"aws:SecureTransport": "false"}}
               for s in statements)


def check_email_subscriptions_are_the_files(aws: Any, env: Environment) -> None:
    subscriptions = aws.client("sns").list_subscriptions_by_topic(TopicArn=topic_arn(aws, env))["Subscriptions"]
    assert sorted((s["Protocol"], s["Endpoint"]) for s in subscriptions) == sorted(
        ("email", e) for e in env.monitoring.alarm_emails)


def check_every_alarm_has_its_threshold_and_notifies_the_topic(aws: Any, env: Environment) -> None:
    arn = topic_arn(aws, env)
    cloudwatch = aws.client("cloudwatch")
    found = {a["AlarmName"]: a for page in cloudwatch.get_paginator("describe_alarms").paginate(
        AlarmNamePrefix=f"{_prefix(env)}-", AlarmTypes=["MetricAlarm"]) for a in page["MetricAlarms"]}
    expected = expected_alarms(env)
    assert set(found) == set(expected), f"alarms {sorted(found)} != {sorted(expected)}"
    for name, threshold in expected.items():
        alarm = found[name]
        assert alarm["Threshold"] == threshold, name
        assert alarm["AlarmActions"] == [arn] and alarm["OKActions"] == [arn], name
        assert alarm["ActionsEnabled"] is True, name


def check_composite_alarm_covers_every_alarm(aws: Any, env: Environment) -> None:
    arn = topic_arn(aws, env)
    (composite,) = aws.client("cloudwatch").describe_alarms(
        AlarmNames=[f"{_prefix(env)}-unhealthy"], AlarmTypes=["CompositeAlarm"])["CompositeAlarms"]
    assert composite["AlarmActions"] == [arn] and composite["OKActions"] == [arn]
    assert sorted(composite["AlarmRule"].split(" OR ")) == sorted(f'ALARM("{n}")' for n in expected_alarms(env))


def check_dashboard_shows_every_alarm(aws: Any, env: Environment) -> None:
    body = json.loads(aws.client("cloudwatch").get_dashboard(DashboardName=_prefix(env))["DashboardBody"])
    status, *graphs = body["widgets"]
    names = {a.rsplit(":alarm:", 1)[1] for a in status["properties"]["alarms"]}
    assert names == set(expected_alarms(env)) | {f"{_prefix(env)}-unhealthy"}
    assert {g["properties"]["annotations"]["alarms"][0].rsplit(":alarm:", 1)[1] for g in graphs} == set(
        expected_alarms(env))


def check_agent_configuration_parameter(aws: Any, env: Environment) -> None:
    name = f"/{env.project}/{env.name}/cloudwatch-agent"
    value = json.loads(aws.client("ssm").get_parameter(Name=name)["Parameter"]["Value"])
    files = value["logs"]["logs_collected"]["files"]["collect_list"]
    assert {f["log_group_name"] for f in files} == set(env.names.log_groups)
    assert {f["file_path"] for f in files} >= {"/var/log/httpd/access_log", "/var/log/httpd/error_log",
                                               "/var/log/messages"}


CHECKS = (check_topic_is_encrypted_and_only_cloudwatch_publishes, check_email_subscriptions_are_the_files,
          check_every_alarm_has_its_threshold_and_notifies_the_topic, check_composite_alarm_covers_every_alarm,
          check_dashboard_shows_every_alarm, check_agent_configuration_parameter)
