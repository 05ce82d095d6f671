"""Recreate across engines on the emulator: the buckets CloudFormation's destroy kept are imported by a Terraform
deploy (generated `import` blocks), and the bucket `tf destroy` kept is adopted by a CloudFormation deploy (an
IMPORT change set), data included. One Terraform apply and one destroy (each a few minutes on the emulator)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import boto3
import pytest

from fuelflow.adopt import TF_IMPORTS_FILE
from fuelflow.aws import Target, connect
from fuelflow.cli import main
from fuelflow.config import load_environment
from fuelflow.emulator import Emulator
from fuelflow.errors import InputError
from fuelflow.output import Ui
from fuelflow.tf import ops, state
from test_terraform_e2e import MISSING

pytestmark = [pytest.mark.terraform, pytest.mark.emulator,
              pytest.mark.skipif(MISSING is not None, reason=f"Terraform end-to-end tests need: {MISSING}")]

KINDS = ("app-data", "logs", "backups")


def cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[Any, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    assert code == 0, err[-3000:]
    return (json.loads(out) if out.strip().startswith("{") else out), err


def test_buckets_kept_by_one_engine_are_adopted_by_the_other(
        fresh_emulator: Emulator, project_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(project_dir)
    url = fresh_emulator.endpoint_url
    env = load_environment(project_dir, "dev")
    aws = connect(Target(kind="local", endpoint_url=url), env.region)
    ui = Ui(rich=False)
    s3 = boto3.client("s3", endpoint_url=url, region_name="us-east-1", aws_access_key_id="test",
                      aws_secret_access_key="test")
    cfn = boto3.client("cloudformation", endpoint_url=url, region_name="us-east-1", aws_access_key_id="test",
                       aws_secret_access_key="test")
    names = {k: f"fuel-flow-{k}-dev-123456789012-us-east-1" for k in KINDS}

    # CloudFormation deploys, data goes in, destroy keeps the three buckets.
    cli(capsys, "deploy", "--env", "dev", "--endpoint-url", url, "--yes")
    s3.put_object(Bucket=names["app-data"], Key="orders/1.json", Body=b"40 litres")
    cli(capsys, "destroy", "--env", "dev", "--endpoint-url", url, "--force", "--confirm", "dev")

    # Terraform imports them (they are outside its state) instead of failing on BucketAlreadyExists.
    ops.tf_bootstrap(env, aws, project_dir, ui, work_dir=tmp_path)
    outputs = ops.tf_deploy(env, aws, project_dir, ui, True, work_dir=tmp_path)
    err = capsys.readouterr().err
    for kind in KINDS:
        assert f"adopt s3://{names[kind]} (kept by the last destroy)" in err
    imports = next(tmp_path.rglob(TF_IMPORTS_FILE)).read_text()
    assert f'id = "{names["app-data"]}"' in imports and "to = module.s3.aws_s3_bucket.app_data" in imports
    assert outputs["app_data_bucket_name"] == names["app-data"]
    backend = state.StateBackend.for_env(env, aws.account_id(), aws.region)
    tfstate = state.StateStore(aws, backend).read_state(backend.key) or {}
    tracked = {(r.get("module"), r["type"], r["name"]) for r in tfstate["resources"]}
    assert {("module.s3", "aws_s3_bucket", n) for n in ("app_data", "logs", "backups")} <= tracked
    assert s3.get_object(Bucket=names["app-data"], Key="orders/1.json")["Body"].read() == b"40 litres"

    # A database with deletion protection (as in prod) is destroyed only on purpose: refused before any change,
    # then --disable-deletion-protection turns it off through the API after the typed confirmation.
    rds = boto3.client("rds", endpoint_url=url, region_name="us-east-1", aws_access_key_id="test",
                       aws_secret_access_key="test")
    rds.modify_db_instance(DBInstanceIdentifier="fuel-flow-db-dev", DeletionProtection=True, ApplyImmediately=True)
    with pytest.raises(InputError, match="deletion protection is on for fuel-flow-db-dev") as refused:
        ops.tf_destroy(env, aws, project_dir, ui, True, force=True, confirm_name="dev", work_dir=tmp_path)
    assert "--disable-deletion-protection" in refused.value.one_line()
    assert rds.describe_db_instances(DBInstanceIdentifier="fuel-flow-db-dev")["DBInstances"]

    # Terraform destroy keeps the non-empty bucket (out of its state); CloudFormation adopts it.
    gone = ops.tf_destroy(env, aws, project_dir, ui, True, force=True, confirm_name="dev", lift_protection=True,
                          work_dir=tmp_path)
    assert gone["snapshots"] and gone["snapshots"][0].startswith("fuel-flow-db-dev-final-")
    assert names["app-data"] in gone["retained"] and names["backups"] not in gone["retained"]  # empty: deleted
    _, err = cli(capsys, "deploy", "--env", "dev", "--endpoint-url", url, "--yes")
    for kept in gone["retained"]:
        assert f"adopt s3://{kept} (kept by the last destroy)" in err
    assert f"adopt s3://{names['backups']}" not in err  # created anew
    owned = {r["LogicalResourceId"]: r["PhysicalResourceId"] for r in
             cfn.describe_stack_resources(StackName="fuel-flow-s3-dev")["StackResources"]
             if r["ResourceType"] == "AWS::S3::Bucket"}
    assert owned == {"AppDataBucket": names["app-data"], "LogsBucket": names["logs"],
                     "BackupsBucket": names["backups"]}
    assert s3.get_object(Bucket=names["app-data"], Key="orders/1.json")["Body"].read() == b"40 litres"

    # A bucket a live stack holds is never imported by the other engine: refused, before any change.
    with pytest.raises(InputError, match="belongs to the CloudFormation stack fuel-flow-s3-dev"):
        ops.tf_deploy(env, aws, project_dir, ui, True, work_dir=tmp_path)
    cli(capsys, "destroy", "--env", "dev", "--endpoint-url", url, "--force", "--confirm", "dev")
