"""The CloudFormation lifecycle matrix on the emulator, database settings: every rds.* setting of the
environment file changed by a deploy (in place: no replacement of the database), `diff` first, read back
through DescribeDBInstances. Runs in parallel with test_lifecycle_cfn.py (its own emulator process)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from cfn_lifecycle import Deployed
from fuelflow.emulator import Emulator

pytestmark = pytest.mark.emulator

RDS = "fuel-flow-rds-dev"
MONITORING = "fuel-flow-monitoring-dev"


@pytest.fixture
def env(emulator: Emulator, project_dir: Path, tmp_path: Path) -> Deployed:
    return Deployed.fresh(emulator, project_dir, tmp_path)


def _db(env: Deployed) -> dict[str, Any]:
    found: dict[str, Any] = env.client("rds").describe_db_instances(
        DBInstanceIdentifier="fuel-flow-db-dev")["DBInstances"][0]
    return found


def test_database_settings_update_in_place(env: Deployed) -> None:
    before = _db(env)
    assert (before["DBInstanceClass"], before["AllocatedStorage"], before["MaxAllocatedStorage"],
            before["MultiAZ"], before["BackupRetentionPeriod"], before["MonitoringInterval"],
            before["DeletionProtection"]) == ("db.t3.micro", 20, 100, False, 7, 60, False)
    env.set(rds__instance_class="db.t3.small", rds__allocated_storage=30, rds__max_allocated_storage=200,
            rds__multi_az=True, rds__backup_retention_days=14, rds__monitoring_interval=30,
            rds__deletion_protection=True, monitoring__db_free_storage_mib=4096)
    diffs = env.diff()
    # every one of them updates in place; the free-storage alarm (in the monitoring stack since issue 9, its
    # threshold in MiB from monitoring.db_free_storage_mib) changes its threshold in place, nothing else changes
    assert diffs[RDS] == {("Modify", "DB"): "False"}
    assert diffs[MONITORING] == {("Modify", "DBStorageAlarm"): "False"}
    env.deploy()
    after = _db(env)
    assert (after["DBInstanceClass"], after["AllocatedStorage"], after["MaxAllocatedStorage"], after["MultiAZ"],
            after["BackupRetentionPeriod"], after["MonitoringInterval"], after["DeletionProtection"]) == \
        ("db.t3.small", 30, 200, True, 14, 30, True)
    alarm = env.client("cloudwatch").describe_alarms(AlarmNames=["fuel-flow-dev-rds-storage-low"])["MetricAlarms"][0]
    assert (alarm["Threshold"], alarm["ComparisonOperator"]) == (4096, "LessThanThreshold")
    assert "4096 MiB" in alarm["AlarmDescription"]
    assert [m["Expression"] for m in alarm["Metrics"] if m.get("Expression")] == ["free / 1048576"]
    watched = [d["Value"] for m in alarm["Metrics"] if "MetricStat" in m
               for d in m["MetricStat"]["Metric"]["Dimensions"]]
    assert watched == ["fuel-flow-db-dev"]  # still the same database
    assert after["DbiResourceId"] == before["DbiResourceId"]  # the same database, not a new one
    assert env.outputs("rds")["DBSecretArn"] == before["MasterUserSecret"]["SecretArn"]

    # monitoring off drops the monitoring role (the template's Fn::If), protection off again, single-AZ, a pinned
    # minor engine version (an in-place upgrade)
    env.set(rds__monitoring_interval=0, rds__deletion_protection=False, rds__multi_az=False,
            rds__engine_version="8.0.40")
    diffs = env.diff()
    assert diffs[RDS] == {("Modify", "DB"): "False"}
    assert diffs[MONITORING] == {}
    env.deploy()
    after = _db(env)
    assert (after["MonitoringInterval"], after.get("MonitoringRoleArn"), after["DeletionProtection"],
            after["MultiAZ"], after["EngineVersion"]) == (0, None, False, False, "8.0.40")
    assert after["DbiResourceId"] == before["DbiResourceId"]
    env.no_changes()
