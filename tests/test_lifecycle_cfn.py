"""The CloudFormation lifecycle matrix on the emulator, web tier, buckets and logs: deploy dev, change settings of
the environment file (one deploy per change, grouped where independent), `diff` first (it must name each change
and whether it replaces the resource), read the result back through the AWS APIs, and re-deploy unchanged.

Each test deploys its own environment (the emulator is emptied first), so the tests are independent; the
database settings are in test_lifecycle_cfn_rds.py and failures in test_lifecycle_cfn_failures.py, which
pytest-xdist runs in parallel with this file. Network ranges cannot change after the first deploy (refused
before any call), so they are not part of the matrix.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from cfn_lifecycle import Deployed, tags_of
from fuelflow.emulator import Emulator

pytestmark = pytest.mark.emulator

EC2 = "fuel-flow-ec2-dev"


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

    env.no_changes()


def test_instance_count_up_and_down(env: Deployed) -> None:
    """1 -> 3 adds servers 2 and 3 with their alarms (conditions turn true); 3 -> 1 removes them again."""
    env.set(ec2__instance_count=3)
    diff = env.diff()[EC2]
    assert {k for k in diff if k[0] == "Add"} == {("Add", f"Instance{n}") for n in (2, 3)} | {
        ("Add", f"Instance{n}CpuAlarm") for n in (2, 3)}
    assert not [k for k in diff if k[0] != "Add"]  # server 1 is untouched
    env.deploy()
    servers = env.running_web_servers()
    assert len(servers) == 3
    outputs = env.outputs("ec2")
    assert {outputs[f"Instance{n}Id"] for n in (1, 2, 3)} == {i["InstanceId"] for i in servers}
    subnets = {i["SubnetId"] for i in servers}
    assert subnets == {env.outputs("network")["PublicSubnet1Id"], env.outputs("network")["PublicSubnet2Id"]}
    alarms = env.client("cloudwatch").describe_alarms(AlarmNamePrefix="fuel-flow-dev-ec2-cpu-high-")["MetricAlarms"]
    assert len(alarms) == 3

    env.set(ec2__instance_count=1)
    diff = env.diff()[EC2]
    assert set(diff) == {("Remove", f"Instance{n}") for n in (2, 3)} | {
        ("Remove", f"Instance{n}CpuAlarm") for n in (2, 3)}
    env.deploy()
    assert [i["InstanceId"] for i in env.running_web_servers()] == [outputs["Instance1Id"]]
    assert "Instance2Id" not in env.outputs("ec2")
    alarms = env.client("cloudwatch").describe_alarms(AlarmNamePrefix="fuel-flow-dev-ec2-cpu-high-")["MetricAlarms"]
    assert [a["AlarmName"] for a in alarms] == ["fuel-flow-dev-ec2-cpu-high-1"]
    env.no_changes()

    # an updated environment destroys cleanly: the stacks delete what the updates made
    code, report, err = env.cli("destroy", "--yes", "--force", "--confirm", "dev")
    assert code == 0, err[-3000:]
    assert {s["action"] for s in report["stacks"]} == {"deleted"}
    assert env.running_web_servers() == []
    assert env.client("cloudwatch").describe_alarms(AlarmNamePrefix="fuel-flow-dev-")["MetricAlarms"] == []


def _ssh_ranges(env: Deployed) -> list[str]:
    group = env.client("ec2").describe_security_groups(GroupIds=[env.outputs("ec2")["WebSecurityGroupId"]])
    return sorted(r["CidrIp"] for p in group["SecurityGroups"][0]["IpPermissions"] if p.get("FromPort") == 22
                  for r in p.get("IpRanges", []))


def test_admin_ssh_cidrs_added_changed_removed(env: Deployed) -> None:
    """[] -> [x] adds the ingress rule; [x] -> [y] replaces it (every rule field is create-only); [y] -> [y, z]
    adds the second; -> [] removes both."""
    assert _ssh_ranges(env) == []
    env.set(ec2__admin_ssh_cidrs=["203.0.113.0/24"])
    assert env.diff()[EC2] == {("Add", "WebSshIngress1"): None}
    env.deploy()
    assert _ssh_ranges(env) == ["203.0.113.0/24"]

    env.set(ec2__admin_ssh_cidrs=["198.51.100.7/32"])
    assert env.diff()[EC2] == {("Modify", "WebSshIngress1"): "True"}
    env.deploy()
    assert _ssh_ranges(env) == ["198.51.100.7/32"]  # the new rule added, then the old one revoked

    env.set(ec2__admin_ssh_cidrs=["198.51.100.7/32", "192.0.2.0/28"])
    assert env.diff()[EC2] == {("Add", "WebSshIngress2"): None}
    env.deploy()
    assert _ssh_ranges(env) == ["192.0.2.0/28", "198.51.100.7/32"]

    env.set(ec2__admin_ssh_cidrs=[])
    assert env.diff()[EC2] == {("Remove", "WebSshIngress1"): None, ("Remove", "WebSshIngress2"): None}
    env.deploy()
    assert _ssh_ranges(env) == []  # the rules are revoked, not left behind
    env.no_changes()


def test_root_volume_size(env: Deployed) -> None:
    env.set(ec2__root_volume_size=30)
    diff = env.diff()[EC2]
    assert diff == {("Modify", "WebLaunchTemplate"): "False", ("Modify", "Instance1"): "True",
                    ("Modify", "Instance1CpuAlarm"): "False"}
    env.deploy()
    server = env.running_web_servers()[0]
    volume_ids = [m["Ebs"]["VolumeId"] for m in server["BlockDeviceMappings"]]
    volumes = env.client("ec2").describe_volumes(VolumeIds=volume_ids)["Volumes"]
    assert [(v["Size"], v["Encrypted"]) for v in volumes] == [(30, True)]
    env.no_changes()


def test_tags_propagate_on_update(env: Deployed) -> None:
    """Stack tags reach the resources (as CloudFormation propagates them) and follow a change."""
    server = env.running_web_servers()[0]
    assert tags_of(server["Tags"])["Owner"] == "platform-team"
    env.set(tags__Owner="data-team", tags__CostCenter="cc-42")
    diff = env.diff()
    assert diff[EC2][("Modify", "Instance1")] == "False"  # tags are updated in place
    assert diff["fuel-flow-rds-dev"][("Modify", "DB")] == "False"
    env.deploy()
    server = env.running_web_servers()[0]
    expected = {"Owner": "data-team", "CostCenter": "cc-42", "Project": "fuel-flow", "Environment": "dev"}
    assert expected.items() <= tags_of(server["Tags"]).items()
    assert tags_of(server["Tags"])["Name"] == "fuel-flow-web-1-dev"  # the resource's own tags stay
    stack = env.client("cloudformation").describe_stacks(StackName=EC2)["Stacks"][0]
    assert expected.items() <= tags_of(stack["Tags"]).items()
    bucket = env.outputs("s3")["LogsBucketName"]
    assert expected.items() <= tags_of(env.client("s3").get_bucket_tagging(Bucket=bucket)["TagSet"]).items()
    db = env.client("rds").describe_db_instances(DBInstanceIdentifier="fuel-flow-db-dev")["DBInstances"][0]
    assert expected.items() <= tags_of(db["TagList"]).items()
    group = env.client("logs").describe_log_groups(logGroupNamePrefix="/fuel-flow/dev/system")["logGroups"][0]
    assert expected.items() <= env.client("logs").list_tags_log_group(logGroupName=group["logGroupName"])[
        "tags"].items()
    env.no_changes()
