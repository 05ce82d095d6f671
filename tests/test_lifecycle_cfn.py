"""The CloudFormation lifecycle matrix on the emulator, web tier, buckets and logs: deploy dev, change settings of
the environment file (one deploy per change, grouped where independent), `diff` first (it must name each change
and whether it replaces the resource), read the result back through the AWS APIs, and re-deploy unchanged.

Each test deploys its own environment (the emulator is emptied first), so the tests are independent. The
matrix is split in files that pytest-xdist runs in parallel (one emulator per worker process): this one (instance
type, retention and lifecycle days, root volume), test_lifecycle_cfn_count.py (servers up and down, destroy),
test_lifecycle_cfn_access.py (SSH ranges, tags), test_lifecycle_cfn_rds.py (database settings) and
test_lifecycle_cfn_failures.py (failed and refused updates, the emulator's own failures). Network ranges
cannot change after the first deploy (refused before any call), so they are not part of the matrix.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from cfn_lifecycle import Deployed, tags_of
from fuelflow.emulator import Emulator

pytestmark = pytest.mark.emulator

EC2 = "fuel-flow-ec2-dev"
MONITORING = "fuel-flow-monitoring-dev"


@pytest.fixture
def env(emulator: Emulator, project_dir: Path, tmp_path: Path) -> Deployed:
    return Deployed.fresh(emulator, project_dir, tmp_path)


def test_instance_type_log_retention_and_lifecycle_days(env: Deployed) -> None:
    """The issue's item 1: instance type t3.micro -> t3.small (with retention and lifecycle days)."""
    before = env.running_web_servers()
    assert [i["InstanceType"] for i in before] == ["t3.micro"]
    env.set(ec2__instance_type="t3.small", logs__retention_days=14, s3__log_expiration_days=60,
            s3__noncurrent_version_expiration_days=45)

    diff = env.diff()
    assert diff[EC2][("Modify", "WebLaunchTemplate")] == "False"  # a new version, in place
    assert diff[EC2][("Modify", "Instance1")] == "True"  # its LaunchTemplate version is create-only
    assert diff[EC2][("Modify", "ApacheAccessLogGroup")] == "False"
    assert diff["fuel-flow-rds-dev"][("Modify", "DBErrorLogGroup")] == "False"
    assert diff["fuel-flow-s3-dev"][("Modify", "LogsBucket")] == "False"
    assert ("Modify", "DB") not in diff["fuel-flow-rds-dev"]  # nothing of the database changes

    report = env.deploy()
    assert {s["stack"]: s["action"] for s in report["stacks"]}[EC2] == "updated"
    after = env.running_web_servers()
    assert [i["InstanceType"] for i in after] == ["t3.small"]
    assert after[0]["InstanceId"] != before[0]["InstanceId"]  # replaced, the old one terminated
    assert env.outputs("ec2")["Instance1Id"] == after[0]["InstanceId"]

    ec2 = env.client("ec2")
    template_id = env.outputs("ec2")["LaunchTemplateId"]
    versions = ec2.describe_launch_template_versions(LaunchTemplateId=template_id)["LaunchTemplateVersions"]
    latest = max(versions, key=lambda v: v["VersionNumber"])
    assert latest["VersionNumber"] == 2 and latest["LaunchTemplateData"]["InstanceType"] == "t3.small"
    assert latest["DefaultVersion"] is True
    assert tags_of(after[0]["Tags"])["aws:ec2launchtemplate:version"] == "2"

    groups = env.client("logs").describe_log_groups(logGroupNamePrefix="/fuel-flow/dev/")["logGroups"]
    groups += env.client("logs").describe_log_groups(
        logGroupNamePrefix="/aws/rds/instance/fuel-flow-db-dev/")["logGroups"]
    assert len(groups) == 6 and {g["retentionInDays"] for g in groups} == {14}

    logs_bucket = env.outputs("s3")["LogsBucketName"]
    rules = env.client("s3").get_bucket_lifecycle_configuration(Bucket=logs_bucket)["Rules"]
    assert {r["Expiration"]["Days"] for r in rules if "Expiration" in r} == {60}
    backups = env.outputs("s3")["BackupsBucketName"]
    rules = env.client("s3").get_bucket_lifecycle_configuration(Bucket=backups)["Rules"]
    assert [r["NoncurrentVersionExpiration"]["NoncurrentDays"] for r in rules
            if "NoncurrentVersionExpiration" in r] == [45]
    for bucket in (logs_bucket, backups):  # updated in place, the stack's tags kept (moto's update dropped them)
        tags = {t["Key"]: t["Value"] for t in env.client("s3").get_bucket_tagging(Bucket=bucket)["TagSet"]}
        assert {"Owner": "platform-team", "CostCenter": "fuel-flow-dev"}.items() <= tags.items()

    env.no_changes()


def test_root_volume_size(env: Deployed) -> None:
    env.set(ec2__root_volume_size=30)
    diff = env.diff()
    # the server is replaced; its CPU alarm, beside it, follows it in place (test_cpu_alarm_follows_a_replaced_server)
    assert diff[EC2] == {("Modify", "WebLaunchTemplate"): "False", ("Modify", "Instance1"): "True",
                         ("Modify", "Instance1CpuAlarm"): "False"}
    assert {stack: changes for stack, changes in diff.items() if changes and stack != EC2} == {}
    env.deploy()
    server = env.running_web_servers()[0]
    volume_ids = [m["Ebs"]["VolumeId"] for m in server["BlockDeviceMappings"]]
    volumes = env.client("ec2").describe_volumes(VolumeIds=volume_ids)["Volumes"]
    assert [(v["Size"], v["Encrypted"]) for v in volumes] == [(30, True)]
    env.no_changes()


def _cpu_alarm_servers(env: Deployed) -> list[str]:
    """The InstanceId each web-server CPU alarm watches."""
    alarms = env.client("cloudwatch").describe_alarms(AlarmNamePrefix="fuel-flow-dev-ec2-cpu-high-")["MetricAlarms"]
    return [d["Value"] for a in alarms for d in a["Dimensions"] if d["Name"] == "InstanceId"]


def test_cpu_alarm_follows_a_replaced_server(env: Deployed) -> None:
    """A change that replaces the web server (root volume size) leaves its CPU alarm on the new server.

    The alarm sits in the ec2 stack beside its server: no other stack may import an instance id, because AWS
    refuses to change an export another stack imports (the emulator does not enforce that rule, so it is
    checked on the templates here)."""
    from fuelflow.templates import discover_templates

    imported = [json.dumps(i) for t in discover_templates(env.root) for i in t.imports()]
    assert not [i for i in imported if "-Instance" in i], imported
    assert _cpu_alarm_servers(env) == [env.outputs("ec2")["Instance1Id"]]
    env.set(ec2__root_volume_size=30)
    env.deploy()
    new = env.outputs("ec2")["Instance1Id"]
    assert [i["InstanceId"] for i in env.running_web_servers()] == [new]
    assert _cpu_alarm_servers(env) == [new]
