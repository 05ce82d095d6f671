"""CloudFormation lifecycle matrix (see test_lifecycle_cfn.py): the number of web servers up and down, then
destroy of the updated environment. Its own file so that pytest-xdist runs it beside the others."""

from __future__ import annotations

from pathlib import Path

import pytest

from cfn_lifecycle import Deployed
from fuelflow.emulator import Emulator

pytestmark = pytest.mark.emulator

EC2 = "fuel-flow-ec2-dev"
MONITORING = "fuel-flow-monitoring-dev"


@pytest.fixture
def env(emulator: Emulator, project_dir: Path, tmp_path: Path) -> Deployed:
    return Deployed.fresh(emulator, project_dir, tmp_path)


def test_instance_count_up_and_down(env: Deployed) -> None:
    """1 -> 3 adds servers 2 and 3 with their alarms (conditions turn true); 3 -> 1 removes them again."""
    env.set(ec2__instance_count=3)
    diffs = env.diff()
    diff = diffs[EC2]
    # servers 2 and 3 with their CPU alarms (beside them in the ec2 stack); server 1 and its alarm are untouched
    assert set(diff) == {("Add", f"Instance{n}") for n in (2, 3)} | {("Add", f"Instance{n}CpuAlarm") for n in (2, 3)}
    # the monitoring stack lists the new alarms in the composite alarm and on the dashboard
    assert set(diffs[MONITORING]) == {("Modify", "UnhealthyAlarm"), ("Modify", "Dashboard")}
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
    diffs = env.diff()
    assert set(diffs[EC2]) == {("Remove", f"Instance{n}") for n in (2, 3)} | {
        ("Remove", f"Instance{n}CpuAlarm") for n in (2, 3)}
    assert set(diffs[MONITORING]) == {("Modify", "UnhealthyAlarm"), ("Modify", "Dashboard")}
    env.deploy()
    assert [i["InstanceId"] for i in env.running_web_servers()] == [outputs["Instance1Id"]]
    assert "Instance2Id" not in env.outputs("ec2")
    alarms = env.client("cloudwatch").describe_alarms(AlarmNamePrefix="fuel-flow-dev-ec2-cpu-high-")["MetricAlarms"]
    assert [a["AlarmName"] for a in alarms] == ["fuel-flow-dev-ec2-cpu-high-1"]
    env.no_changes()

    # an updated environment destroys cleanly: the stacks delete what the updates made
    code, report, err = env.cli("destroy", "--yes", "--force", "--confirm", "dev")
    assert code == 0, err[-3000:]
    assert {s["stack"]: s["action"] for s in report["stacks"]} == {
        **{f"fuel-flow-{part}-dev": "deleted" for part in ("network", "s3", "iam", "ec2", "rds", "monitoring")},
        "fuel-flow-edge-dev": "absent"}  # never deployed in dev (its options are off)
    assert env.running_web_servers() == []
    assert env.client("cloudwatch").describe_alarms(AlarmNamePrefix="fuel-flow-dev-")["MetricAlarms"] == []
