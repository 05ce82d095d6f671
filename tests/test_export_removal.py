"""An update that removes an export another deployed stack still imports.

AWS refuses it ("Export ... cannot be deleted as it is in use by ..."), so the engine updates the importer
first (its new template no longer imports the export), and refuses up front when no single deploy can do it.
The emulator (moto) does not enforce exports in use (tests/test_upgrade_sg_move.py shows it), so the proof of
the order is here, on the scripted fake (tests/fake_cfn.py), which fails such an update as AWS does.
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
from fuelflow.graph import Edge, build_graph, export_removal_edges
from fuelflow.plan import Plan, build_plan, export_removal_order

FAST = PollConfig(initial=0.005, factor=1.5, maximum=0.02, timeout=30)
A, B, C = "fuel-flow-a-dev", "fuel-flow-b-dev", "fuel-flow-c-dev"
EXPORT = f"{A}-BucketName"

# The new templates: a no longer exports BucketName (the export moved elsewhere), b no longer imports it.
NEW_A = """Resources:
  Bucket: {Type: AWS::S3::Bucket, DeletionPolicy: Retain, UpdateReplacePolicy: Retain}
Outputs:
  Other:
    Value: !Ref Bucket
    Export: {Name: !Sub '${AWS::StackName}-Other'}
"""
NEW_B = "Resources:\n  Topic: {Type: AWS::SNS::Topic}\n"
# b importing another export of a: then b needs a first, and a needs b first
B_NEEDS_A = """Parameters:
  Environment: {Type: String}
  ProjectName: {Type: String}
Resources:
  Topic:
    Type: AWS::SNS::Topic
    Properties:
      TopicName: {'Fn::ImportValue': {'Fn::Sub': '${ProjectName}-a-${Environment}-Other'}}
"""


def _project(tmp_path: Path, project_dir: Path, b: str = NEW_B) -> Path:
    shutil.copytree(project_dir / "environments", tmp_path / "environments")
    cfn = tmp_path / "cloudformation"
    cfn.mkdir()
    (cfn / "a.yaml").write_text(NEW_A)
    (cfn / "b.yaml").write_text(b)
    (cfn / "c.yaml").write_text("Resources:\n  Q: {Type: AWS::SQS::Queue}\n")
    return tmp_path


def _plan(project: Path, only: tuple[str, ...] = ()) -> Plan:
    return build_plan(project, load_environment(project, "dev"), only=only)


def _deployed_before(durations: dict[str, float]) -> FakeCloudFormation:
    """Today's account: a exports BucketName, b imports it; every stack's update changes something."""
    fake = FakeCloudFormation(durations=durations)
    export = [{"OutputKey": "BucketName", "OutputValue": "bucket", "ExportName": EXPORT}]
    for name in (A, B, C):
        fake.add_stack(name, "CREATE_COMPLETE", template="old", outputs=export if name == A else [])
        fake.changes_for_update[name] = [{"Type": "Resource", "ResourceChange": {
            "Action": "Modify", "LogicalResourceId": "R", "ResourceType": "AWS::SNS::Topic", "Replacement": "False"}}]
    fake.outputs_for[A] = [{"OutputKey": "Other", "OutputValue": "bucket", "ExportName": f"{A}-Other"}]
    fake.imports[EXPORT] = [B]
    fake.imports_dropped_by_update[B] = {EXPORT}
    return fake


def _engine(fake: Any) -> Engine:
    return Engine(lambda _service: fake, poll=FAST)


# ------------------------------------------------------------------------------------------- the graph


def test_removal_edges_make_the_producer_wait_for_its_importers() -> None:
    edges = export_removal_edges({"ec2": ["ec2-WebSg"]}, {"ec2-WebSg": ["rds", "ec2"]})
    assert edges == [Edge(producer="rds", consumer="ec2", export="ec2-WebSg")]  # itself is no importer
    # the SG move: network exports the group now; ec2 stops exporting it; rds (deployed) still imports it
    graph = build_graph(exports={"network": ["network-WebSg"], "ec2": [], "rds": []},
                        imports={"ec2": ["network-WebSg"], "rds": ["network-WebSg"]})
    assert graph.waves() == [["network"], ["ec2", "rds"]]
    assert graph.with_edges(edges).waves() == [["network"], ["rds"], ["ec2"]]
    assert graph.waves() == [["network"], ["ec2", "rds"]]  # the plan's own graph is unchanged
    assert export_removal_edges({}, {}) == [] and export_removal_edges({"a": ["x"]}, {}) == []


# ------------------------------------------------------------------------------------------- the engine


def test_importer_is_updated_before_the_export_goes(tmp_path: Path, project_dir: Path) -> None:
    plan = _plan(_project(tmp_path, project_dir))
    fake = _deployed_before({A: 0.05, B: 0.2, C: 0.05})
    engine = _engine(fake)
    states = engine.check_states(plan, False)
    assert engine.update_first == {A: {B}}
    report = engine.deploy(plan, engine.preview(plan, states), states)
    assert report.ok, report.to_dict()
    assert fake.started[A] >= fake.finished[B]  # a waited for b's update
    assert fake.started[C] < fake.finished[B]  # nothing else waits
    assert not any(op == "ListImports" and kw["ExportName"] != EXPORT for op, kw in fake.calls)


def test_without_the_order_aws_fails_the_update(tmp_path: Path, project_dir: Path) -> None:
    """The control: the fake refuses as AWS does when the export goes first (so the test above can fail)."""
    plan = _plan(_project(tmp_path, project_dir))
    fake = _deployed_before({A: 0.05, B: 0.2, C: 0.05})
    engine = _engine(fake)
    states = engine.check_states(plan, False)
    engine.update_first = {}
    report = engine.deploy(plan, engine.preview(plan, states), states)
    failed = {r.stack: r for r in report.results if not r.ok}
    assert list(failed) == [A]
    assert failed[A].reason == f"Export {EXPORT} cannot be deleted as it is in use by {B}"


def test_importer_outside_the_deploy_is_refused_before_any_change(tmp_path: Path, project_dir: Path) -> None:
    plan = _plan(_project(tmp_path, project_dir), only=("a",))
    fake = _deployed_before({})
    with pytest.raises(InputError) as err:
        _engine(fake).check_states(plan, False)
    assert f"the new template of {A} no longer exports {EXPORT}, which {B} still imports" in err.value.one_line()
    assert "--stack" in err.value.one_line()
    assert not any(op in ("CreateChangeSet", "ExecuteChangeSet") for op, _ in fake.calls)


def test_an_order_no_single_deploy_can_follow_is_refused(tmp_path: Path, project_dir: Path) -> None:
    plan = _plan(_project(tmp_path, project_dir, b=B_NEEDS_A))
    assert plan.stacks[B].depends_on == (A,)  # b's new template imports a's new export
    with pytest.raises(InputError, match=f"{A} stops exporting {EXPORT} while {B} still imports it, and {B} "
                                         f"needs {A} updated first") as err:
        _engine(_deployed_before({})).check_states(plan, False)
    assert "deploy in two steps" in err.value.one_line()


def test_no_removed_export_asks_nothing(tmp_path: Path, project_dir: Path) -> None:
    plan = _plan(_project(tmp_path, project_dir))

    def never(_export: str) -> list[str]:
        raise AssertionError("no export is removed: no importer lookup")

    assert export_removal_order(plan, {A: None, B: None, C: None}, never) == {}  # nothing deployed yet
    kept = {"Outputs": [{"OutputKey": "Other", "OutputValue": "x", "ExportName": f"{A}-Other"}]}
    assert export_removal_order(plan, {A: kept, B: {"Outputs": []}, C: None}, never) == {}


def test_a_change_set_importing_a_new_export_is_made_once_the_export_exists(tmp_path: Path,
                                                                           project_dir: Path) -> None:
    """CloudFormation resolves Fn::ImportValue when it makes a change set ("No export named ... found", as the
    emulator shows in tests/test_upgrade_sg_move.py): b's new import of a's new export waits for a's update."""
    plan = _plan(_project(tmp_path, project_dir, b=B_NEEDS_A))
    fake = _deployed_before({A: 0.05, B: 0.05, C: 0.05})
    fake.stacks[A].outputs, fake.imports = [], {}  # today a exports nothing: the new export comes with its update
    engine = _engine(fake)
    states = engine.check_states(plan, False)
    previews = {p.stack: p for p in engine.preview(plan, states)}
    assert previews[B].kind == "update" and previews[B].change_set is None
    assert previews[B].note.startswith(f"its change set is made when {A} has exported {A}-Other")
    assert previews[A].change_set and previews[C].change_set  # the others are prepared as usual
    report = engine.deploy(plan, list(previews.values()), states)
    assert report.ok, report.to_dict()
    ops = [(op, kw.get("StackName")) for op, kw in fake.calls]
    made_b = ops.index(("CreateChangeSet", B))
    assert made_b > ops.index(("ExecuteChangeSet", A)) and fake.finished[A] <= fake.started[B]
    assert [r.action for r in report.results if r.stack == B] == ["updated"]
