"""Monitoring deployed with CloudFormation on the emulator, read back through boto3 (tests/prod_checks/monitoring.py,
the same checks the prod harness runs after each engine's prod deploy), and the day-two move of the alarms: an
environment deployed with the alarms in the ec2 and rds stacks is updated to the monitoring stack."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import boto3
import pytest

from cfn_lifecycle import Deployed
from fuelflow.config import load_environment
from fuelflow.emulator import Emulator
from prod_checks import monitoring

pytestmark = pytest.mark.emulator

ROOT = Path(__file__).resolve().parents[1]
BEFORE_MOVE = "eb07d26"  # the last commit with the alarms in the ec2 and rds stacks


def session(emulator: Emulator) -> Any:
    class Aws:
        def client(self, service: str) -> Any:
            return boto3.client(service, endpoint_url=emulator.endpoint_url, region_name="us-east-1",
                                aws_access_key_id="test", aws_secret_access_key="test")

    return Aws()


@pytest.fixture(scope="module")
def deployed(fresh_emulator: Emulator, tmp_path_factory: pytest.TempPathFactory) -> Deployed:
    return Deployed.fresh(fresh_emulator, ROOT, tmp_path_factory.mktemp("monitoring"))


@pytest.mark.parametrize("check", monitoring.CHECKS, ids=[c.__name__ for c in monitoring.CHECKS])
def test_dev_monitoring_reads_back(deployed: Deployed, check: Any) -> None:
    check(session(deployed.emulator), load_environment(deployed.root, "dev"))


def test_changed_thresholds_and_an_email_update_in_place(deployed: Deployed) -> None:
    deployed.set(monitoring__db_connections=99, monitoring__alarm_emails=["ops@example.com"])
    code, _, err = deployed.cli("deploy", "--yes")
    assert code == 0, err[-3000:]
    env = load_environment(deployed.root, "dev")
    for check in monitoring.CHECKS:
        check(session(deployed.emulator), env)


def _old_templates(into: Path) -> None:
    for name in ("ec2-instances.yaml", "iam-roles.yaml", "network.yaml", "rds-database.yaml", "s3-buckets.yaml"):
        text = subprocess.run(["git", "-C", str(ROOT), "show", f"{BEFORE_MOVE}:cloudformation/{name}"],
                              capture_output=True, text=True, check=True).stdout
        (into / name).write_text(text)


def test_day_two_alarms_move_from_the_ec2_and_rds_stacks(fresh_emulator: Emulator, tmp_path: Path) -> None:
    """CloudFormation deletes the old alarms in the ec2 and rds stack updates (their cleanup finishes before the
    next wave starts) and the monitoring stack, deployed after both, creates them again with actions."""
    probe = subprocess.run(["git", "-C", str(ROOT), "cat-file", "-e", f"{BEFORE_MOVE}^{{commit}}"], check=False)
    if probe.returncode != 0:
        pytest.skip(f"commit {BEFORE_MOVE} (alarms before the move) is not in this clone")
    fresh_emulator.reset()
    for part in ("environments", "terraform"):
        subprocess.run(["cp", "-r", str(ROOT / part), str(tmp_path / part)], check=True)
    (tmp_path / "cloudformation").mkdir()
    _old_templates(tmp_path / "cloudformation")
    before = Deployed(tmp_path, fresh_emulator)
    code, report, err = before.cli("deploy", "--yes")
    assert code == 0, err[-3000:]
    aws = session(fresh_emulator)
    old = aws.client("cloudwatch").describe_alarms(AlarmNamePrefix="fuel-flow-dev-")["MetricAlarms"]
    assert {a["AlarmName"] for a in old} == {"fuel-flow-dev-ec2-cpu-high-1", "fuel-flow-dev-rds-cpu-high",
                                             "fuel-flow-dev-rds-storage-low"}
    assert all(a["AlarmActions"] == [] for a in old)

    for template in (ROOT / "cloudformation").glob("*.yaml"):
        (tmp_path / "cloudformation" / template.name).write_text(template.read_text())
    code, report, err = before.cli("deploy", "--yes")
    assert code == 0, err[-3000:]
    actions = {s["stack"]: s["action"] for s in report["stacks"]}
    assert actions["fuel-flow-monitoring-dev"] == "created"
    assert actions["fuel-flow-ec2-dev"] == actions["fuel-flow-rds-dev"] == "updated"
    env = load_environment(tmp_path, "dev")
    for check in monitoring.CHECKS:
        check(aws, env)
