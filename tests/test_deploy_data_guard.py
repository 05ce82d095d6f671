"""A deploy whose changes would remove or replace a resource holding data (the database, a bucket) is refused
without --force and the environment's name typed, before anything runs; with them it goes ahead (and, for a
custom-named database, fails and rolls back as CloudFormation does on AWS, the database untouched)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from cfn_lifecycle import Deployed
from fuelflow.config import load_environment
from fuelflow.emulator import Emulator
from fuelflow.engine import Engine, ResourceChange, StackChanges
from fuelflow.plan import build_plan

RDS = "fuel-flow-rds-dev"


def _db(env: Deployed) -> dict[str, Any]:
    found: dict[str, Any] = env.client("rds").describe_db_instances(
        DBInstanceIdentifier="fuel-flow-db-dev")["DBInstances"][0]
    return found


def test_data_loss_names_removed_and_replaced_stateful_resources(project_dir: Path) -> None:
    plan = build_plan(project_dir, load_environment(project_dir, "dev"))
    previews = [
        StackChanges(RDS, "update", [ResourceChange("Modify", "DB", "AWS::RDS::DBInstance", "True"),
                                     ResourceChange("Modify", "DBCpuAlarm", "AWS::CloudWatch::Alarm", "True")]),
        StackChanges("fuel-flow-s3-dev", "update", [
            ResourceChange("Remove", "AppDataBucket", "AWS::S3::Bucket"),
            ResourceChange("Modify", "LogsBucket", "AWS::S3::Bucket", "False")]),
    ]
    assert Engine.data_loss(plan, previews) == [
        f"{RDS}/DB (AWS::RDS::DBInstance, replaced)",
        "fuel-flow-s3-dev/AppDataBucket (AWS::S3::Bucket, removed)",
    ]


@pytest.mark.emulator
def test_a_change_that_replaces_the_database_needs_force(emulator: Emulator, project_dir: Path,
                                                         tmp_path: Path) -> None:
    env = Deployed.fresh(emulator, project_dir, tmp_path)
    template = env.root / "cloudformation" / "rds-database.yaml"
    template.write_text(template.read_text().replace("DBName: fuelflow\n", "DBName: fuelflow2\n"))
    assert env.diff()[RDS][("Modify", "DB")] == "True"  # DBName is create-only: CloudFormation replaces the DB

    code, _report, err = env.cli("deploy", "--yes")
    assert code == 2, err
    assert f"refusing to deploy dev: it removes or replaces {RDS}/DB (AWS::RDS::DBInstance, replaced)" in err
    assert "--force" in err
    assert env.status("rds") == "CREATE_COMPLETE" and _db(env)["DBName"] == "fuelflow"  # nothing ran

    code, _report, err = env.cli("deploy", "--yes", "--force", "--confirm", "prod")
    assert code == 2 and "--confirm 'prod' does not match the environment 'dev'" in err

    # With --force and the name: CloudFormation goes ahead and, as on AWS, cannot replace a custom-named
    # database; the stack rolls back and the database is the one it was.
    code, report, err = env.cli("deploy", "--yes", "--force", "--confirm", "dev")
    assert code == 1, err
    rds = next(s for s in report["stacks"] if s["stack"] == RDS)
    assert rds["action"] == "failed" and "custom-named" in rds["reason"]
    assert env.status("rds") == "UPDATE_ROLLBACK_COMPLETE"
    assert _db(env)["DBName"] == "fuelflow"


@pytest.mark.emulator
def test_changes_without_data_loss_need_no_force(emulator: Emulator, project_dir: Path, tmp_path: Path) -> None:
    env = Deployed.fresh(emulator, project_dir, tmp_path)
    env.set(rds__backup_retention_days=14, ec2__instance_type="t3.small")  # replaces servers, not data
    report = env.deploy()
    assert {s["stack"]: s["action"] for s in report["stacks"]}[RDS] == "updated"
    assert _db(env)["BackupRetentionPeriod"] == 14


def test_guard_data_loss_is_the_destroy_rule(project_dir: Path) -> None:
    """Both engines call this one rule: nothing lost, nothing asked; otherwise --force and the name."""
    from fuelflow.confirm import guard_data_loss
    from fuelflow.errors import InputError
    from fuelflow.output import Ui

    env, ui = load_environment(project_dir, "dev"), Ui(output="json")
    loses = ["replace module.rds.aws_db_instance.this"]
    guard_data_loss(ui, env, False, None, [], "Apply?")  # no data lost: the usual y/N question is the caller's
    with pytest.raises(InputError, match=r"refusing to deploy dev: it removes or replaces replace module\.rds"):
        guard_data_loss(ui, env, False, None, loses, "Apply?")
    with pytest.raises(InputError, match="needs a typed confirmation and there is no terminal"):
        guard_data_loss(ui, env, True, None, loses, "Apply?")
    with pytest.raises(InputError, match="does not match"):
        guard_data_loss(ui, env, True, "prod", loses, "Apply?")
    guard_data_loss(ui, env, True, "dev", loses, "Apply?")
