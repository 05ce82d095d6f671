"""A stack whose every resource is conditioned out for an environment (the edge stack with its switches off):
the plan says "nothing to deploy" and why, deploy never sends it to CloudFormation (which holds no empty
stack), and a stack deployed before and now switched off entirely is deleted, before anything it imported
from changes. Synthetic projects and the scripted fake client (tests/fake_cfn.py); the emulator deploy of
the real templates is in tests/test_edge_emulator.py.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest

from fake_cfn import FakeCloudFormation
from fuelflow.config import load_environment
from fuelflow.engine import Engine, PollConfig
from fuelflow.errors import InputError
from fuelflow.plan import EVERY_RESOURCE_OFF, Plan, build_plan

FAST = PollConfig(initial=0.005, factor=1.5, maximum=0.02, timeout=30)

PRODUCER = """Parameters:
  Environment: {Type: String}
Resources:
  Topic: {Type: AWS::SNS::Topic}
Outputs:
  TopicArn:
    Value: !Ref Topic
    Export: {Name: !Sub '${AWS::StackName}-TopicArn'}
"""
# Switched by a parameter the environment does not set: its Default decides.
OPTIONAL = """Metadata:
  fuelflow:
    nothing_to_deploy: the option is off
Parameters:
  Environment: {Type: String}
  ProjectName: {Type: String}
  Option: {Type: String, Default: "%s", AllowedValues: ["true", "false"]}
Conditions:
  IsOn: !Equals [!Ref Option, "true"]
Resources:
  Queue:
    Type: AWS::SQS::Queue
    Condition: IsOn
    Properties:
      QueueName: {'Fn::ImportValue': {'Fn::Sub': '${ProjectName}-a-${Environment}-TopicArn'}}
"""


def project(tmp_path: Path, root: Path, option: str, reason: bool = True) -> Path:
    shutil.copytree(root / "environments", tmp_path / "environments", dirs_exist_ok=True)
    cfn = tmp_path / "cloudformation"
    cfn.mkdir(exist_ok=True)
    (cfn / "a.yaml").write_text(PRODUCER)
    body = OPTIONAL % option
    if not reason:
        body = body.split("Parameters:", 1)[1]
        body = "Parameters:" + body
    (cfn / "opt.yaml").write_text(body)
    return tmp_path


def plan_of(path: Path) -> Plan:
    return build_plan(path, load_environment(path, "dev"))


def engine_for(fake: Any, log: list[str] | None = None) -> Engine:
    return Engine(lambda _service: fake, (log.append if log is not None else None), poll=FAST)


def deploy(engine: Engine, plan: Plan) -> Any:
    states = engine.check_states(plan, replace_failed=False)
    previews = engine.preview(plan, states)
    return engine.deploy(plan, previews, states), previews


# ------------------------------------------------------------------------------------------------ plan

def test_the_real_edge_stack_has_nothing_to_deploy_in_dev_and_says_why(project_dir: Path) -> None:
    plan = build_plan(project_dir, load_environment(project_dir, "dev"))
    edge = plan.stacks["fuel-flow-edge-dev"]
    assert edge.nothing.startswith("edge options off")
    assert all(not sp.nothing for sp in plan.ordered() if sp.part != "edge")
    shown = plan.to_dict()
    assert "fuel-flow-edge-dev" not in [n for wave in shown["waves"] for n in wave]
    assert shown["nothing_to_deploy"] == {"fuel-flow-edge-dev": edge.nothing}
    # a stack that creates nothing imports nothing: the edge stack adds no edge to the graph
    assert edge.depends_on == ()


def test_a_switched_on_option_is_planned_after_what_it_imports(tmp_path: Path, project_dir: Path) -> None:
    plan = plan_of(project(tmp_path, project_dir, "true"))
    opt = plan.stacks["fuel-flow-opt-dev"]
    assert opt.nothing == ""
    assert opt.depends_on == ("fuel-flow-a-dev",)
    assert plan.to_dict()["waves"] == [["fuel-flow-a-dev"], ["fuel-flow-opt-dev"]]


def test_without_a_reason_in_the_template_the_plan_says_what_it_found(tmp_path: Path, project_dir: Path) -> None:
    plan = plan_of(project(tmp_path, project_dir, "false", reason=False))
    assert plan.stacks["fuel-flow-opt-dev"].nothing == EVERY_RESOURCE_OFF


def test_a_stack_importing_from_one_that_creates_nothing_is_refused(tmp_path: Path, project_dir: Path) -> None:
    path = project(tmp_path, project_dir, "false")
    (path / "cloudformation" / "a.yaml").write_text(PRODUCER.replace(
        "  Topic: {Type: AWS::SNS::Topic}", "  Topic: {Type: AWS::SNS::Topic, Condition: Never}").replace(
        "Resources:", "Conditions:\n  Never: !Equals [a, b]\nResources:"))
    (path / "cloudformation" / "c.yaml").write_text(
        "Parameters:\n  Environment: {Type: String}\n  ProjectName: {Type: String}\n"
        "Resources:\n  Q:\n    Type: AWS::SQS::Queue\n    Properties:\n"
        "      QueueName: {'Fn::ImportValue': {'Fn::Sub': '${ProjectName}-a-${Environment}-TopicArn'}}\n")
    with pytest.raises(InputError, match="fuel-flow-c-dev imports from fuel-flow-a-dev, which creates nothing"):
        plan_of(path)


# ------------------------------------------------------------------------------------------------ engine

def test_deploy_skips_a_stack_with_nothing_to_create(tmp_path: Path, project_dir: Path) -> None:
    plan = plan_of(project(tmp_path, project_dir, "false"))
    fake = FakeCloudFormation()
    report, previews = deploy(engine_for(fake), plan)
    assert report.ok
    by = {r.stack: r for r in report.results}
    assert by["fuel-flow-a-dev"].action == "created"
    opt = by["fuel-flow-opt-dev"]
    assert (opt.action, opt.reason) == ("nothing to deploy", "the option is off")
    assert next(p for p in previews if p.stack == "fuel-flow-opt-dev").kind == "skip"
    # never sent: no change set, no stack
    assert not any(kw.get("StackName") == "fuel-flow-opt-dev" for op, kw in fake.calls if op != "DescribeStacks")
    assert "fuel-flow-opt-dev" not in fake.stacks


def test_a_deployed_stack_switched_off_is_deleted_before_its_producer_changes(tmp_path: Path,
                                                                             project_dir: Path) -> None:
    plan = plan_of(project(tmp_path, project_dir, "false"))
    fake = FakeCloudFormation(durations={"fuel-flow-opt-dev": 0.1})
    fake.add_stack("fuel-flow-opt-dev", "UPDATE_COMPLETE", resources=[
        {"LogicalResourceId": "Queue", "ResourceType": "AWS::SQS::Queue", "PhysicalResourceId": "q",
         "ResourceStatus": "CREATE_COMPLETE"}])
    fake.add_stack("fuel-flow-a-dev", "CREATE_COMPLETE")  # differs from the plan: it gets an update
    fake.changes_for_update["fuel-flow-a-dev"] = [{"Type": "Resource", "ResourceChange": {
        "Action": "Modify", "LogicalResourceId": "Topic", "ResourceType": "AWS::SNS::Topic", "Replacement": "False"}}]
    log: list[str] = []
    report, previews = deploy(engine_for(fake, log), plan)
    assert report.ok
    opt = next(p for p in previews if p.stack == "fuel-flow-opt-dev")
    assert opt.kind == "delete" and [c.describe() for c in opt.changes] == ["Remove Queue (AWS::SQS::Queue)"]
    assert "nothing to deploy: the option is off" in opt.note
    by = {r.stack: r for r in report.results}
    assert (by["fuel-flow-opt-dev"].action, by["fuel-flow-opt-dev"].status) == ("deleted", "DELETE_COMPLETE")
    assert by["fuel-flow-a-dev"].action == "updated"
    # the switched-off stack went first: the producer's update may drop what it imported
    assert fake.finished["fuel-flow-opt-dev"] <= fake.started["fuel-flow-a-dev"]
    assert any("deleting: it creates nothing now (the option is off)" in line for line in log)


def test_status_says_why_a_stack_is_absent_or_will_go(tmp_path: Path, project_dir: Path) -> None:
    plan = plan_of(project(tmp_path, project_dir, "false"))
    fake = FakeCloudFormation()
    absent = {r.stack: r for r in engine_for(fake).status(plan)}["fuel-flow-opt-dev"]
    assert (absent.action, absent.reason) == ("absent", "nothing to deploy: the option is off")
    fake.add_stack("fuel-flow-opt-dev", "CREATE_COMPLETE")
    present = {r.stack: r for r in engine_for(fake).status(plan)}["fuel-flow-opt-dev"]
    assert present.action == "present" and "the next deploy deletes it" in present.reason
