"""Day two: settings that cannot change after the first deploy (contract.yaml `after_deploy: fixed`,
src/fuelflow/lifecycle.py), refused by both engines before anything changes, and how `tf plan` names a
change and a replacement.

The Terraform lifecycle matrix itself (every setting changed through `tf deploy` and read back) runs on the
deployed scenario of tests/test_terraform_e2e.py ("day two" section), so that it costs no second create.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
from pathlib import Path
from typing import Any

import pytest

from env_copy import project_with
from fuelflow import contract, lifecycle
from fuelflow.aws import AwsContext, Target, connect
from fuelflow.cli import main
from fuelflow.config import load_environment
from fuelflow.emulator import Emulator
from fuelflow.errors import InputError
from fuelflow.tf import plans, session, state, toolchain

ROOT = Path(__file__).resolve().parents[1]
DEV = load_environment(ROOT, "dev")


def _state(vpc: str, public: list[str], private: list[str]) -> dict[str, Any]:
    """A Terraform state holding the network module's VPC and subnets (as `terraform` writes it)."""
    def subnets(name: str, cidrs: list[str]) -> dict[str, Any]:
        return {"module": "module.network", "mode": "managed", "type": "aws_subnet", "name": name,
                "instances": [{"index_key": i, "attributes": {"cidr_block": c}} for i, c in enumerate(cidrs)]}

    return {"version": 4, "serial": 7, "resources": [
        {"module": "module.network", "mode": "managed", "type": "aws_vpc", "name": "this",
         "instances": [{"attributes": {"cidr_block": vpc}}]},
        subnets("private", private), subnets("public", public),
        {"mode": "data", "type": "aws_vpc", "name": "x", "instances": [{"attributes": {"cidr_block": "1.0.0.0/8"}}]},
    ]}


DEV_STATE = _state("10.10.0.0/16", ["10.10.0.0/24", "10.10.1.0/24"], ["10.10.10.0/24", "10.10.11.0/24"])


# ------------------------------------------------------------------------------ the contract flag


def test_the_contract_marks_the_network_and_the_region_fixed() -> None:
    fixed = contract.fixed_after_deploy()
    assert set(fixed) == {"region", "network.vpc_cidr", "network.public_subnet_cidrs",
                          "network.private_subnet_cidrs"}
    assert fixed["network.vpc_cidr"] == "it replaces the VPC and the database in it"
    assert all(reason for reason in fixed.values())
    assert all(s.after_deploy in ("updates", "fixed") for s in contract.settings().values())
    assert not contract.setting("ec2.instance_type").fixed


# ------------------------------------------------------------------------------ lifecycle.py


def test_no_refusal_when_nothing_fixed_changed() -> None:
    assert lifecycle.refused_changes(DEV, lifecycle.tf_deployed_values(DEV_STATE)) == []
    assert lifecycle.refused_changes(DEV, {}) == []  # nothing deployed: a first deploy


def test_a_new_vpc_cidr_is_refused_with_the_one_line_error() -> None:
    deployed = lifecycle.tf_deployed_values(_state("10.30.0.0/16", ["10.10.0.0/24", "10.10.1.0/24"],
                                                   ["10.10.10.0/24", "10.10.11.0/24"]))
    changes = lifecycle.refused_changes(DEV, deployed)
    assert [c.key for c in changes] == ["network.vpc_cidr"]
    with pytest.raises(InputError) as err:
        lifecycle.refuse(changes)
    assert err.value.one_line() == (
        "network.vpc_cidr cannot change on a deployed environment (10.30.0.0/16 -> 10.10.0.0/16): it replaces "
        "the VPC and the database in it; destroy (buckets are kept) and deploy again")
    assert err.value.exit_code == 2


def test_the_terraform_reader_orders_subnets_by_index_and_skips_data_sources() -> None:
    shuffled = _state("10.10.0.0/16", ["10.10.0.0/24", "10.10.1.0/24"], ["10.10.10.0/24", "10.10.11.0/24"])
    shuffled["resources"][1]["instances"].reverse()
    assert lifecycle.tf_deployed_values(shuffled) == {
        "network.vpc_cidr": "10.10.0.0/16", "network.public_subnet_cidrs": "10.10.0.0/24,10.10.1.0/24",
        "network.private_subnet_cidrs": "10.10.10.0/24,10.10.11.0/24"}
    assert lifecycle.tf_deployed_values(None) == {}
    assert lifecycle.tf_deployed_values({"resources": []}) == {}


def test_the_cloudformation_reader_takes_the_network_stack_parameters() -> None:
    params = {**DEV.cfn_parameters(), "PrivateSubnet2Cidr": "10.10.12.0/24"}
    stack = {"Parameters": [{"ParameterKey": k, "ParameterValue": v} for k, v in params.items()]}
    deployed = lifecycle.cfn_deployed_values(stack)
    assert deployed["network.private_subnet_cidrs"] == "10.10.10.0/24,10.10.12.0/24"
    changes = lifecycle.refused_changes(DEV, deployed)
    assert [(c.key, c.deployed, c.wanted) for c in changes] == [
        ("network.private_subnet_cidrs", "10.10.10.0/24,10.10.12.0/24", "10.10.10.0/24,10.10.11.0/24")]
    assert lifecycle.cfn_deployed_values(None) == {}
    # A stack that does not carry the parameters (another part) says nothing about them.
    assert lifecycle.cfn_deployed_values({"Parameters": [{"ParameterKey": "InstanceType",
                                                          "ParameterValue": "t3.micro"}]}) == {}


def test_several_refused_changes_are_named_on_one_line() -> None:
    deployed = {"network.vpc_cidr": "10.30.0.0/16", "region": "eu-west-1"}
    with pytest.raises(InputError) as err:
        lifecycle.refuse(lifecycle.refused_changes(DEV, deployed))
    assert "\n" not in err.value.one_line() and "(and network.vpc_cidr)" in err.value.message
    assert err.value.message.startswith("region cannot change on a deployed environment (eu-west-1 -> us-east-1)")


# ------------------------------------------------------------------------------ tf plan names the changes


def test_plan_lines_name_replacements_and_updated_attributes() -> None:
    plan = {"resource_changes": [
        {"address": "module.ec2.aws_launch_template.web", "mode": "managed", "type": "aws_launch_template",
         "change": {"actions": ["update"], "before": {"instance_type": "t3.micro", "tags_all": {}},
                    "after": {"instance_type": "t3.small", "tags_all": {"a": "b"}}, "after_unknown": {}}},
        {"address": "module.network.aws_vpc.this", "mode": "managed", "type": "aws_vpc",
         "change": {"actions": ["delete", "create"], "before": {"cidr_block": "10.10.0.0/16"},
                    "after": {"cidr_block": "10.30.0.0/16"}, "after_unknown": {}, "replace_paths": [["cidr_block"]]}},
        {"address": "module.ec2.aws_instance.web[1]", "mode": "managed", "type": "aws_instance",
         "change": {"actions": ["create"], "before": None, "after": {}, "after_unknown": {}}},
        {"address": "data.aws_ami.al2023", "mode": "data", "type": "aws_ami", "change": {"actions": ["read"]}},
    ]}
    assert plans.change_lines(plans.plan_details(plan)) == [
        "REPLACE module.network.aws_vpc.this (deleted and created anew; forced by: cidr_block)",
        "update module.ec2.aws_launch_template.web in place: instance_type",
        "create module.ec2.aws_instance.web[1]",
    ]


# ------------------------------------------------------------------------------ both engines refuse, on the emulator


def _terraform_missing() -> str | None:
    try:
        toolchain.find_terraform()
    except InputError as exc:
        return exc.one_line()
    return None


@pytest.fixture(scope="module")
def cfn_deployed(fresh_emulator: Emulator) -> AwsContext:
    """dev deployed with CloudFormation on an emptied emulator."""
    code = main(["-C", str(ROOT), "deploy", "--env", "dev", "--endpoint-url", fresh_emulator.endpoint_url, "--yes",
                 "-o", "json"])
    assert code == 0
    return connect(Target(kind="local", endpoint_url=fresh_emulator.endpoint_url), DEV.region)


def _project_with(tmp_path: Path, **changes: Any) -> Path:
    return project_with(tmp_path, changes)


def _stacks(aws: AwsContext) -> dict[str, Any]:
    described = aws.client("cloudformation").describe_stacks()["Stacks"]
    return {s["StackName"]: (s["StackStatus"], s.get("LastUpdatedTime"), sorted(
        (p["ParameterKey"], p.get("ParameterValue")) for p in s.get("Parameters", []))) for s in described}


@pytest.mark.emulator
@pytest.mark.parametrize("command", [["deploy", "--yes"], ["diff"]], ids=["deploy", "diff"])
def test_cloudformation_deploy_refuses_a_new_vpc_cidr(cfn_deployed: AwsContext, tmp_path: Path,
                                                      capsys: pytest.CaptureFixture[str], command: list[str]) -> None:
    """deploy refuses; diff too (it used to list 14 replacements and exit 0 for a change deploy refuses)."""
    before = _stacks(cfn_deployed)
    project = _project_with(tmp_path, **{"network.vpc_cidr": "10.10.0.0/17"})  # the subnets still fit
    capsys.readouterr()
    code = main(["-C", str(project), command[0], "--env", "dev", "--endpoint-url", str(cfn_deployed.endpoint_url),
                 *command[1:]])
    err = capsys.readouterr().err
    assert code == 2
    assert ("network.vpc_cidr cannot change on a deployed environment (10.10.0.0/16 -> 10.10.0.0/17): it replaces "
            "the VPC and the database in it; destroy (buckets are kept) and deploy again") in " ".join(err.split())
    assert _stacks(cfn_deployed) == before  # nothing changed


@pytest.mark.emulator
def test_cloudformation_deploy_refuses_another_region(cfn_deployed: AwsContext, tmp_path: Path,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    project = _project_with(tmp_path, region="us-west-2")
    capsys.readouterr()
    code = main(["-C", str(project), "deploy", "--env", "dev", "--endpoint-url", str(cfn_deployed.endpoint_url),
                 "--yes"])
    assert code == 2
    assert "region cannot change on a deployed environment (us-east-1 -> us-west-2)" in capsys.readouterr().err
    west = connect(Target(kind="local", endpoint_url=cfn_deployed.endpoint_url), "us-west-2")
    assert west.client("cloudformation").describe_stacks()["Stacks"] == []


@pytest.mark.emulator
def test_cloudformation_redeploy_with_the_same_network_goes_ahead(cfn_deployed: AwsContext, tmp_path: Path) -> None:
    project = _project_with(tmp_path, **{"logs.retention_days": 60})
    code = main(["-C", str(project), "deploy", "--env", "dev", "--endpoint-url", str(cfn_deployed.endpoint_url),
                 "--yes", "-o", "json"])
    assert code == 0


@pytest.mark.emulator
@pytest.mark.skipif(_terraform_missing() is not None, reason=f"needs terraform: {_terraform_missing()}")
def test_terraform_plan_and_deploy_refuse_a_new_subnet_before_running_terraform(
        cfn_deployed: AwsContext, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    """The deployed values come from the environment's state in its state bucket: here a state with dev's
    network, as `tf apply` leaves it. The refusal comes before init: no work copy, no state write."""
    aws = cfn_deployed
    backend = state.StateBackend.for_env(DEV, aws.account_id(), aws.region)
    s3 = aws.client("s3")
    s3.create_bucket(Bucket=backend.bucket)
    s3.put_object(Bucket=backend.bucket, Key=backend.key, Body=json.dumps(DEV_STATE).encode())
    work = tmp_path / "work"
    monkeypatch.setenv(session.WORK_DIR_ENV, str(work))
    (tmp_path / "p").mkdir()
    project = _project_with(tmp_path / "p", **{"network.public_subnet_cidrs": ["10.10.0.0/24", "10.10.2.0/24"]})
    try:
        for command in (["tf", "plan"], ["tf", "apply", "--yes"], ["deploy", "--engine", "terraform", "--yes"]):
            capsys.readouterr()
            code = main(["-C", str(project), *command, "--env", "dev", "--endpoint-url", str(aws.endpoint_url)])
            err = " ".join(capsys.readouterr().err.split())
            assert code == 2, (command, err)
            assert ("network.public_subnet_cidrs cannot change on a deployed environment "
                    "(10.10.0.0/24,10.10.1.0/24 -> 10.10.0.0/24,10.10.2.0/24): it replaces the subnets and the "
                    "database in them; destroy (buckets are kept) and deploy again") in err
            assert not list(work.glob("*/terraform/.terraform")), "terraform ran"
        stored = json.loads(s3.get_object(Bucket=backend.bucket, Key=backend.key)["Body"].read())
        assert stored == DEV_STATE
    finally:
        s3.delete_object(Bucket=backend.bucket, Key=backend.key)
        s3.delete_bucket(Bucket=backend.bucket)



# ------------------------------------------------------------------- the emulator's update paths (fixes 40-49)


@pytest.mark.emulator
def test_fix_40_launch_template_tags_change_as_the_provider_changes_them(aws: AwsContext) -> None:
    ec2 = aws.client("ec2")
    template = ec2.create_launch_template(
        LaunchTemplateName="lifecycle-lt", LaunchTemplateData={"InstanceType": "t3.micro"},
        TagSpecifications=[{"ResourceType": "launch-template", "Tags": [{"Key": "Owner", "Value": "a"},
                                                                        {"Key": "Extra", "Value": "x"}]}],
    )["LaunchTemplate"]["LaunchTemplateId"]
    try:
        ec2.create_tags(Resources=[template], Tags=[{"Key": "Owner", "Value": "b"}])
        ec2.delete_tags(Resources=[template], Tags=[{"Key": "Extra"}])
        tags = ec2.describe_launch_templates(LaunchTemplateIds=[template])["LaunchTemplates"][0]["Tags"]
        assert tags == [{"Key": "Owner", "Value": "b"}]
    finally:
        ec2.delete_launch_template(LaunchTemplateId=template)


def test_the_database_applies_changes_immediately_as_cloudformation_does() -> None:
    """Without apply_immediately, RDS keeps a class/storage/Multi-AZ change pending until the maintenance window:
    the apply would end with the change invisible through the API and the next plan showing it again."""
    from fuelflow.tf import source

    resources = source.load(ROOT / "terraform" / "modules" / "rds" / "main.tf")["resource"]
    db = next(r for r in resources if source.label(next(iter(r))) == "aws_db_instance")
    body = next(iter(next(iter(db.values())).values()))
    assert body.get("apply_immediately") is True


@pytest.mark.emulator
def test_fix_41_a_new_db_instance_answers_with_the_default_ca(aws: AwsContext) -> None:
    """The provider sends no CA on create and compares the answer with `ca_cert_identifier`: a difference
    costs a ModifyDBInstance and a second wait of at least 80 s (measured: create 162 s without the fix)."""
    rds = aws.client("rds")
    created = rds.create_db_instance(DBInstanceIdentifier="lifecycle-ca", Engine="mysql", DBInstanceClass="db.t3.micro",
                                     AllocatedStorage=20, MasterUsername="admin", MasterUserPassword="password123")
    try:
        assert created["DBInstance"]["CACertificateIdentifier"] == "rds-ca-rsa2048-g1"
        named = rds.create_db_instance(DBInstanceIdentifier="lifecycle-ca2", Engine="mysql",
                                       DBInstanceClass="db.t3.micro", AllocatedStorage=20, MasterUsername="admin",
                                       MasterUserPassword="password123", CACertificateIdentifier="rds-ca-ecc384-g1")
        assert named["DBInstance"]["CACertificateIdentifier"] == "rds-ca-ecc384-g1"
    finally:
        for name in ("lifecycle-ca", "lifecycle-ca2"):
            with contextlib.suppress(rds.exceptions.DBInstanceNotFoundFault):
                rds.delete_db_instance(DBInstanceIdentifier=name, SkipFinalSnapshot=True)


def test_a_first_deploy_counts_its_creates_per_module() -> None:
    details = [{"address": f"module.network.aws_subnet.public[{i}]", "type": "aws_subnet", "action": "create"}
               for i in range(10)] + [{"address": f"module.ec2.aws_instance.web[{i}]", "type": "aws_instance",
                                        "action": "create"} for i in range(4)]
    assert plans.change_lines(details) == ["create 14 resources: module.ec2 4, module.network 10"]
    assert len(plans.change_lines(details[:12])) == 12


@pytest.mark.emulator
def test_the_deployed_region_is_read_from_the_roles_policy(aws: AwsContext) -> None:
    """IAM is global: from any region, the EC2 role's policy names the region its secret and logs live in."""
    env = dataclasses.replace(DEV, project="region-probe")
    iam, role = aws.client("iam"), env.names.role("ec2")
    assert lifecycle.deployed_region(env, aws) is None  # no role: nothing deployed anywhere
    iam.create_role(RoleName=role, AssumeRolePolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": []}))
    try:
        iam.put_role_policy(RoleName=role, PolicyName="db-secret", PolicyDocument=json.dumps({
            "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": ["secretsmanager:GetSecretValue"],
                                                   "Resource": ["arn:aws:secretsmanager:eu-west-1:123456789012:"
                                                                "secret:rds!db-1"]}]}))
        assert lifecycle.deployed_region(env, aws) == "eu-west-1"
        with pytest.raises(InputError, match=r"^region cannot change on a deployed environment "
                                             r"\(eu-west-1 -> us-east-1\)"):
            lifecycle.check_terraform(env, aws, None)
        lifecycle.check_terraform(env, aws, DEV_STATE)  # a state in this region: the region is this one
    finally:
        iam.delete_role_policy(RoleName=role, PolicyName="db-secret")
        iam.delete_role(RoleName=role)
