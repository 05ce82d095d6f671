"""The plan built from the real templates and from small synthetic projects."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from fuelflow.config import load_environment
from fuelflow.errors import InputError
from fuelflow.plan import build_plan


def test_real_plan_derives_the_documented_order(project_dir: Path) -> None:
    env = load_environment(project_dir, "dev")
    plan = build_plan(project_dir, env)
    names = {sp.part: sp.name for sp in plan.ordered()}
    assert set(names) == {"network", "iam", "s3", "ec2", "rds", "edge", "monitoring"}
    pos = {n: i for i, wave in enumerate(plan.waves) for n in wave}
    # ec2 imports IAM and network outputs; the database imports network (with the web security group) and
    # IAM, nothing of ec2: the two deploy in the same wave.
    assert pos[names["iam"]] < pos[names["ec2"]]
    assert pos[names["network"]] < pos[names["ec2"]] == pos[names["rds"]]
    assert names["ec2"] not in plan.stacks[names["rds"]].depends_on
    assert names["network"] in plan.waves[0]
    # every stack gets exactly the parameters its template declares that the environment defines
    ec2 = plan.stacks[names["ec2"]]
    assert ec2.parameters["InstanceType"] == "t3.micro"
    assert "DBInstanceClass" not in ec2.parameters
    assert ec2.tags["Environment"] == "dev"


def test_stack_selection(project_dir: Path) -> None:
    env = load_environment(project_dir, "dev")
    plan = build_plan(project_dir, env, ["s3", "fuel-flow-network-dev"])
    assert {sp.part for sp in plan.ordered()} == {"s3", "network"}
    with pytest.raises(InputError, match="unknown stack 'web'"):
        build_plan(project_dir, env, ["web"])


@pytest.fixture
def tiny_project(tmp_path: Path, project_dir: Path) -> Path:
    shutil.copytree(project_dir / "environments", tmp_path / "environments")
    (tmp_path / "cloudformation").mkdir()
    (tmp_path / "cloudformation" / "a.yaml").write_text(
        "Parameters:\n  Environment: {Type: String}\n"
        "Resources:\n  T: {Type: AWS::SNS::Topic}\n"
        "Outputs:\n  Arn:\n    Value: !Ref T\n    Export: {Name: !Sub '${AWS::StackName}-Arn'}\n")
    (tmp_path / "cloudformation" / "b-consumer.yaml").write_text(
        "Parameters:\n  Environment: {Type: String}\n  ProjectName: {Type: String}\n"
        "Resources:\n  Q:\n    Type: AWS::SQS::Queue\n    Properties:\n"
        "      QueueName: {'Fn::ImportValue': {'Fn::Sub': '${ProjectName}-a-${Environment}-Arn'}}\n")
    return tmp_path


def test_synthetic_project_is_what_gets_planned(tiny_project: Path) -> None:
    env = load_environment(tiny_project, "dev")
    plan = build_plan(tiny_project, env)
    assert plan.waves == [["fuel-flow-a-dev"], ["fuel-flow-b-dev"]]
    assert plan.stacks["fuel-flow-b-dev"].depends_on == ("fuel-flow-a-dev",)


def test_parameter_without_value_or_default(tiny_project: Path) -> None:
    (tiny_project / "cloudformation" / "a.yaml").write_text(
        "Parameters:\n  Mystery: {Type: String}\nResources:\n  T: {Type: AWS::SNS::Topic}\n"
        "Outputs:\n  Arn:\n    Value: !Ref T\n    Export: {Name: !Sub '${AWS::StackName}-Arn'}\n")
    with pytest.raises(InputError, match=r"parameter Mystery .* has no value"):
        build_plan(tiny_project, load_environment(tiny_project, "dev"))


def test_broken_or_missing_templates(tiny_project: Path) -> None:
    env = load_environment(tiny_project, "dev")
    (tiny_project / "cloudformation" / "a.yaml").write_text("Resources: [unclosed\n")
    with pytest.raises(InputError, match="does not parse"):
        build_plan(tiny_project, env)
    shutil.rmtree(tiny_project / "cloudformation")
    with pytest.raises(InputError, match="no CloudFormation templates"):
        build_plan(tiny_project, env)


def test_unresolvable_import_name(tiny_project: Path) -> None:
    (tiny_project / "cloudformation" / "b-consumer.yaml").write_text(
        "Resources:\n  Q:\n    Type: AWS::SQS::Queue\n    Properties:\n"
        "      QueueName: {'Fn::ImportValue': {'Fn::GetAtt': [X, Y]}}\n")
    with pytest.raises(InputError, match="cannot be resolved before deployment"):
        build_plan(tiny_project, load_environment(tiny_project, "dev"))
