"""CloudFormation lifecycle matrix (see test_lifecycle_cfn.py): SSH ranges added, changed and removed; stack
tags changed and propagated. Its own file so that pytest-xdist runs it beside the others."""

from __future__ import annotations

from pathlib import Path

import pytest

from cfn_lifecycle import Deployed, tags_of
from fuelflow.emulator import Emulator

pytestmark = pytest.mark.emulator

EC2 = "fuel-flow-ec2-dev"
NETWORK = "fuel-flow-network-dev"  # holds the web security group and its SSH rules


@pytest.fixture
def env(emulator: Emulator, project_dir: Path, tmp_path: Path) -> Deployed:
    return Deployed.fresh(emulator, project_dir, tmp_path)


def _ssh_ranges(env: Deployed) -> list[str]:
    group = env.client("ec2").describe_security_groups(GroupIds=[env.outputs("network")["WebSecurityGroupId"]])
    return sorted(r["CidrIp"] for p in group["SecurityGroups"][0]["IpPermissions"] if p.get("FromPort") == 22
                  for r in p.get("IpRanges", []))


def test_admin_ssh_cidrs_added_changed_removed(env: Deployed) -> None:
    """[] -> [x] adds the ingress rule; [x] -> [y] replaces it (every rule field is create-only); [y] -> [y, z]
    adds the second; -> [] removes both."""
    assert _ssh_ranges(env) == []
    env.set(ec2__admin_ssh_cidrs=["203.0.113.0/24"])
    assert env.diff()[NETWORK] == {("Add", "WebSshIngress1"): None}
    env.deploy()
    assert _ssh_ranges(env) == ["203.0.113.0/24"]

    env.set(ec2__admin_ssh_cidrs=["198.51.100.7/32"])
    assert env.diff()[NETWORK] == {("Modify", "WebSshIngress1"): "True"}
    env.deploy()
    assert _ssh_ranges(env) == ["198.51.100.7/32"]  # the new rule added, then the old one revoked

    env.set(ec2__admin_ssh_cidrs=["198.51.100.7/32", "192.0.2.0/28"])
    assert env.diff()[NETWORK] == {("Add", "WebSshIngress2"): None}
    env.deploy()
    assert _ssh_ranges(env) == ["192.0.2.0/28", "198.51.100.7/32"]

    env.set(ec2__admin_ssh_cidrs=[])
    assert env.diff()[NETWORK] == {("Remove", "WebSshIngress1"): None, ("Remove", "WebSshIngress2"): None}
    env.deploy()
    assert _ssh_ranges(env) == []  # the rules are revoked, not left behind
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
