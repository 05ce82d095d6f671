"""Upgrading a deployed environment across the security-group move (issue 12): the web tier's groups left
the ec2 stack for the network stack (docs/decisions.md, "Security groups in the network stack").

The old templates (the commit before the move, from git) are deployed first, then the current ones. On AWS
the ec2 stack may not drop its WebSecurityGroupId export while the deployed rds stack still imports it, so
the engine updates rds first (src/fuelflow/plan.py, export_removal_order). moto does not enforce exports in
use (test_moto_lets_an_export_in_use_go pins that), so here the order is read from the deploy's log; the
proof that AWS needs it is tests/test_export_removal.py (the scripted fake fails the update as AWS does).
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from cfn_lifecycle import Deployed, actions
from fuelflow.emulator import Emulator

pytestmark = pytest.mark.emulator

ROOT = Path(__file__).resolve().parents[1]


def _before_the_move() -> str:
    """The commit just before the web security group left cloudformation/ec2-instances.yaml."""
    git = shutil.which("git")
    if git is None or subprocess.run([git, "-C", str(ROOT), "rev-parse"], capture_output=True).returncode:
        pytest.skip("needs the git history (the templates before the move)")
    moved = subprocess.run([git, "-C", str(ROOT), "log", "-1", "--format=%H", "-S", "WebSshIngress1:", "--",
                            "cloudformation/ec2-instances.yaml"], capture_output=True, text=True, check=True)
    commit = moved.stdout.strip()
    assert commit, "no commit moved the web security group out of the ec2 stack"
    return f"{commit}~1"


def _write_templates(into: Path, commit: str) -> None:
    shutil.rmtree(into, ignore_errors=True)
    into.mkdir()
    for path in sorted((ROOT / "cloudformation").glob("*.yaml")):
        shown = subprocess.run(["git", "-C", str(ROOT), "show", f"{commit}:cloudformation/{path.name}"],
                               capture_output=True, text=True, check=True)
        (into / path.name).write_text(shown.stdout)


def _ingress_sources(project: Deployed, group_id: str) -> set[str]:
    group = project.client("ec2").describe_security_groups(GroupIds=[group_id])["SecurityGroups"][0]
    return {pair["GroupId"] for perm in group["IpPermissions"] for pair in perm.get("UserIdGroupPairs", [])}


def test_upgrade_moves_the_groups_and_updates_rds_before_ec2(emulator: Emulator, tmp_path: Path) -> None:
    emulator.reset()
    shutil.copytree(ROOT / "environments", tmp_path / "environments")
    _write_templates(tmp_path / "cloudformation", _before_the_move())
    project = Deployed(tmp_path, emulator)
    code, report, err = project.cli("deploy", "--yes")
    assert code == 0, err[-3000:]
    assert set(actions(report).values()) == {"created"}
    old_web_sg = project.outputs("ec2")["WebSecurityGroupId"]
    assert "WebSecurityGroupId" not in project.outputs("network")
    rds = project.client("rds")
    db_before = rds.describe_db_instances(DBInstanceIdentifier="fuel-flow-db-dev")["DBInstances"][0]
    db_sg = project.outputs("rds")["DBSecurityGroupId"]
    assert _ingress_sources(project, db_sg) == {old_web_sg}
    buckets_before = {b["Name"]: b["CreationDate"] for b in project.client("s3").list_buckets()["Buckets"]}

    shutil.rmtree(tmp_path / "cloudformation")
    shutil.copytree(ROOT / "cloudformation", tmp_path / "cloudformation")
    code, report, log = project.cli("deploy", "--yes")
    assert code == 0, log[-3000:]
    done = actions(report)
    assert {p: done[f"fuel-flow-{p}-dev"] for p in ("network", "ec2", "rds", "monitoring")} == {
        "network": "updated", "ec2": "updated", "rds": "updated", "monitoring": "unchanged"}
    # s3 and iam: unchanged by the move itself; later commits (issue 10's bucket policies and trust guards) update
    # them in place, which is all they may do
    assert {done["fuel-flow-s3-dev"], done["fuel-flow-iam-dev"]} <= {"unchanged", "updated"}

    # the order AWS needs: network (new groups, new export) -> rds (imports it) -> ec2 (drops its export)
    assert log.index("fuel-flow-rds-dev: updating") > log.index("fuel-flow-network-dev: UPDATE_COMPLETE")
    assert log.index("fuel-flow-ec2-dev: updating") > log.index("fuel-flow-rds-dev: UPDATE_COMPLETE")

    new_web_sg = project.outputs("network")["WebSecurityGroupId"]
    assert new_web_sg != old_web_sg
    assert "WebSecurityGroupId" not in project.outputs("ec2")
    exports = {e["Name"] for e in project.client("cloudformation").list_exports()["Exports"]}
    assert "fuel-flow-network-dev-WebSecurityGroupId" in exports
    assert "fuel-flow-ec2-dev-WebSecurityGroupId" not in exports
    # the database admits MySQL from the new web group only; the servers carry the new group
    assert project.outputs("rds")["DBSecurityGroupId"] == db_sg  # the DB's own group kept (rule updated)
    assert _ingress_sources(project, db_sg) == {new_web_sg}
    servers = project.running_web_servers()
    assert servers and all([g["GroupId"] for g in s["SecurityGroups"]] == [new_web_sg] for s in servers)
    # nothing that holds data was replaced
    db_after = rds.describe_db_instances(DBInstanceIdentifier="fuel-flow-db-dev")["DBInstances"][0]
    assert db_after["DbiResourceId"] == db_before["DbiResourceId"]
    assert db_after["InstanceCreateTime"] == db_before["InstanceCreateTime"]
    assert {b["Name"]: b["CreationDate"] for b in project.client("s3").list_buckets()["Buckets"]} == buckets_before
    project.no_changes()


PRODUCER = """Resources:
  P: {Type: AWS::SSM::Parameter, Properties: {Name: probe-producer, Type: String, Value: shared}}
Outputs:
  Shared: {Value: !Ref P, Export: {Name: probe-shared}}
"""
PRODUCER_WITHOUT_EXPORT = (
    "Resources:\n  P: {Type: AWS::SSM::Parameter, Properties: {Name: probe-producer, Type: String, Value: shared}}\n")
CONSUMER = """Resources:
  C:
    Type: AWS::SSM::Parameter
    Properties: {Name: probe-consumer, Type: String, Value: {'Fn::ImportValue': probe-shared}}
"""


def test_moto_lets_an_export_in_use_go(emulator: Emulator) -> None:
    """AWS fails this update ("Export probe-shared cannot be deleted as it is in use by probe-consumer");
    moto lets it succeed. If this fails, moto enforces it now: the upgrade test above can then prove the order
    by itself (and docs/decisions.md should say so)."""
    emulator.reset()
    cfn: Any = Deployed(Path("."), emulator).client("cloudformation")
    cfn.create_stack(StackName="probe-producer", TemplateBody=PRODUCER)
    cfn.get_waiter("stack_create_complete").wait(StackName="probe-producer", WaiterConfig={"Delay": 1})
    cfn.create_stack(StackName="probe-consumer", TemplateBody=CONSUMER)
    cfn.get_waiter("stack_create_complete").wait(StackName="probe-consumer", WaiterConfig={"Delay": 1})
    cfn.update_stack(StackName="probe-producer", TemplateBody=PRODUCER_WITHOUT_EXPORT)
    cfn.get_waiter("stack_update_complete").wait(StackName="probe-producer", WaiterConfig={"Delay": 1})
    assert cfn.describe_stacks(StackName="probe-producer")["Stacks"][0]["StackStatus"] == "UPDATE_COMPLETE"
