"""A new environment is one command: `fuelflow env new staging --from dev` in a copy of the project, then
deploy it with each engine on the emulator — no other file edited — and find every resource under the name
`fuelflow.names` gives it (the one name builder, from the contract), whichever engine built it.
"""

from __future__ import annotations

import filecmp
import json
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest

from cli_process import run_captured
from fuelflow.config import load_environment
from fuelflow.emulator import Emulator
from fuelflow.names import Names

ROOT = Path(__file__).resolve().parents[1]
PARTS = ("network", "s3", "iam", "ec2", "rds", "monitoring")  # edge: nothing to deploy with its options off

pytestmark = pytest.mark.emulator


cli = run_captured


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the repository's project files, and `env new staging --from dev` run in it."""
    base = tmp_path_factory.mktemp("project")
    for part in ("environments", "cloudformation", "terraform"):
        shutil.copytree(ROOT / part, base / part, ignore=shutil.ignore_patterns(".terraform", "*.tfstate*"))
    code, _, err = cli("-C", str(base), "env", "new", "staging", "--from", "dev")
    assert code == 0, err
    return base


def _changed(a: Path, b: Path) -> list[str]:
    cmp = filecmp.dircmp(a, b, ignore=[".terraform"])
    out = [str(Path(a.name) / n) for n in (*cmp.left_only, *cmp.right_only, *cmp.diff_files)]
    for sub in cmp.common_dirs:
        out += [str(Path(a.name) / p) for p in _changed(a / sub, b / sub)]
    return out


def test_env_new_adds_one_file_and_edits_nothing_else(project: Path) -> None:
    changed = [p for part in ("environments", "cloudformation", "terraform")
               for p in _changed(ROOT / part, project / part)]
    assert changed == ["environments/staging.yaml"]


def client(service: str, endpoint: str) -> Any:
    return boto3.client(service, endpoint_url=endpoint, region_name="us-east-1", aws_access_key_id="test",
                        aws_secret_access_key="test")


def find_every_name(endpoint: str, names: Names) -> None:
    """Every named resource of the environment exists under the contract's name."""
    s3 = client("s3", endpoint)
    for purpose in ("app-data", "logs", "backups"):
        s3.head_bucket(Bucket=names.bucket(purpose))
    iam = client("iam", endpoint)
    for which in ("ec2", "rds_monitoring", "lambda"):
        iam.get_role(RoleName=names.role(which))
    iam.get_instance_profile(InstanceProfileName=names.instance_profile)
    ec2 = client("ec2", endpoint)
    # by Name tag: the web group has no GroupName on CloudFormation (docs/decisions.md, security groups)
    groups = ec2.describe_security_groups(Filters=[{"Name": "tag:Name", "Values": [names.web_sg, names.db_sg]}])
    assert {t["Value"] for g in groups["SecurityGroups"] for t in g.get("Tags", []) if t["Key"] == "Name"} == {
        names.web_sg, names.db_sg}
    ec2.describe_launch_templates(LaunchTemplateNames=[names.build("launch_template")])
    rds = client("rds", endpoint)
    rds.describe_db_instances(DBInstanceIdentifier=names.db_instance)
    rds.describe_db_subnet_groups(DBSubnetGroupName=names.build("db_subnet_group"))
    groups = client("logs", endpoint).describe_log_groups(logGroupNamePrefix=names.log_group_prefix)["logGroups"]
    assert set(names.log_groups) <= {g["logGroupName"] for g in groups}
    alarms = [names.build("ec2_cpu_alarm", n=1), names.build("rds_cpu_alarm"), names.build("rds_storage_alarm")]
    found = client("cloudwatch", endpoint).describe_alarms(AlarmNames=alarms)["MetricAlarms"]
    assert sorted(a["AlarmName"] for a in found) == sorted(alarms)


@pytest.fixture(scope="module")
def cloudformation_staging(project: Path, fresh_emulator: Emulator) -> Iterator[dict[str, Any]]:
    code, out, err = cli("-C", str(project), "deploy", "--env", "staging", "--yes", "--endpoint-url",
                         fresh_emulator.endpoint_url, "-o", "json")
    assert code == 0, err[-3000:]
    yield json.loads(out)
    fresh_emulator.reset()


def test_cloudformation_deploys_staging_under_the_contracts_names(project: Path, fresh_emulator: Emulator,
                                                                   cloudformation_staging: dict[str, Any]) -> None:
    env = load_environment(project, "staging")
    account = client("sts", fresh_emulator.endpoint_url).get_caller_identity()["Account"]
    names = Names(env.project, env.name, account, env.region)
    assert {s["stack"] for s in cloudformation_staging["stacks"] if s["action"] != "nothing to deploy"} == {
        names.stack(p) for p in PARTS}
    outputs = {k: v for s in cloudformation_staging["stacks"] for k, v in s["outputs"].items()}
    assert outputs["VpcCidr"] == env.network.vpc_cidr == "10.1.0.0/16"
    find_every_name(fresh_emulator.endpoint_url, names)
    code, _, err = cli("-C", str(project), "destroy", "--env", "staging", "--force", "--confirm", "staging",
                       "--endpoint-url", fresh_emulator.endpoint_url)
    assert code == 0, err[-2000:]
    stacks = client("cloudformation", fresh_emulator.endpoint_url).list_stacks()["StackSummaries"]
    assert all(s["StackStatus"] == "DELETE_COMPLETE" for s in stacks if s["StackName"].endswith("-staging"))


@pytest.mark.terraform
def test_terraform_deploys_staging_under_the_contracts_names(project: Path, fresh_emulator: Emulator,
                                                              cloudformation_staging: dict[str, Any]) -> None:
    from test_terraform_e2e import MISSING

    if MISSING is not None:
        pytest.skip(f"Terraform end-to-end tests need: {MISSING}")
    fresh_emulator.reset()  # the CloudFormation run kept its buckets, as destroy promises
    endpoint = fresh_emulator.endpoint_url
    env = load_environment(project, "staging")
    code, _, err = cli("-C", str(project), "tf", "bootstrap", "--env", "staging", "--endpoint-url", endpoint)
    assert code == 0, err[-3000:]
    code, out, err = cli("-C", str(project), "deploy", "--env", "staging", "--engine", "terraform", "--yes",
                         "--endpoint-url", endpoint, "-o", "json")
    assert code == 0, err[-3000:]
    assert json.loads(out)["vpc_cidr"] == env.network.vpc_cidr
    account = client("sts", endpoint).get_caller_identity()["Account"]
    names = Names(env.project, env.name, account, env.region)
    find_every_name(endpoint, names)
    client("dynamodb", endpoint).describe_table(TableName=names.lock_table)
    client("s3", endpoint).head_bucket(Bucket=names.state_bucket)
    code, _, err = cli("-C", str(project), "destroy", "--env", "staging", "--engine", "terraform", "--force",
                       "--confirm", "staging", "--endpoint-url", endpoint)
    assert code == 0, err[-3000:]
    with pytest.raises(client("rds", endpoint).exceptions.DBInstanceNotFoundFault):
        client("rds", endpoint).describe_db_instances(DBInstanceIdentifier=names.db_instance)
