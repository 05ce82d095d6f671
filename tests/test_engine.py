"""The deploy engine's paths that the emulator cannot produce: concurrency and timing, rollbacks,
ROLLBACK_COMPLETE, replacements, empty change sets, ListImports, throttling.

Uses a scripted fake client (tests/fake_cfn.py) and botocore's Stubber, with real AWS response shapes.
"""

from __future__ import annotations

import shutil
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber

from fake_cfn import Failure, FakeCloudFormation
from fuelflow.aws import RETRY_CONFIG
from fuelflow.config import load_environment
from fuelflow.engine import Engine, PollConfig
from fuelflow.errors import InputError
from fuelflow.plan import Plan, build_plan

FAST = PollConfig(initial=0.005, factor=1.5, maximum=0.02, timeout=30)

TEMPLATE_A = """Parameters:
  Environment: {Type: String}
Resources:
  Bucket:
    Type: AWS::S3::Bucket
    DeletionPolicy: Retain
    UpdateReplacePolicy: Retain
Outputs:
  BucketName:
    Value: !Ref Bucket
    Export: {Name: !Sub '${AWS::StackName}-BucketName'}
"""
CONSUMER = """Parameters:
  Environment: {Type: String}
  ProjectName: {Type: String}
Resources:
  Topic:
    Type: AWS::SNS::Topic
    Properties:
      TopicName: {'Fn::ImportValue': {'Fn::Sub': '${ProjectName}-a-${Environment}-BucketName'}}
"""


@pytest.fixture
def plan(tmp_path: Path, project_dir: Path) -> Plan:
    """a <- b, a <- c, and an independent d."""
    shutil.copytree(project_dir / "environments", tmp_path / "environments")
    cfn = tmp_path / "cloudformation"
    cfn.mkdir()
    (cfn / "a.yaml").write_text(TEMPLATE_A)
    (cfn / "b.yaml").write_text(CONSUMER)
    (cfn / "c.yaml").write_text(CONSUMER.replace("Topic:", "Queue:").replace("AWS::SNS::Topic", "AWS::SQS::Queue"))
    (cfn / "d.yaml").write_text("Resources:\n  T: {Type: AWS::SNS::Topic}\n")
    return build_plan(tmp_path, load_environment(tmp_path, "dev"))


def engine_for(fake: Any, log: list[str] | None = None) -> Engine:
    return Engine(lambda _service: fake, (log.append if log is not None else None), poll=FAST)


def deploy(engine: Engine, plan: Plan, replace_failed: bool = False) -> Any:
    states = engine.check_states(plan, replace_failed)
    previews = engine.preview(plan, states)
    return engine.deploy(plan, previews, states), previews


def test_dependents_start_after_their_producer_and_run_concurrently(plan: Plan) -> None:
    fake = FakeCloudFormation(durations={"fuel-flow-a-dev": 0.15, "fuel-flow-b-dev": 0.3,
                                         "fuel-flow-c-dev": 0.3, "fuel-flow-d-dev": 0.1})
    report, _ = deploy(engine_for(fake), plan)
    assert report.ok
    assert [r.action for r in report.results] == ["created"] * 4
    a_done = fake.finished["fuel-flow-a-dev"]
    assert fake.started["fuel-flow-b-dev"] >= a_done and fake.started["fuel-flow-c-dev"] >= a_done
    # b and c overlap in time: neither waited for the other
    assert fake.started["fuel-flow-c-dev"] < fake.finished["fuel-flow-b-dev"]
    assert fake.started["fuel-flow-b-dev"] < fake.finished["fuel-flow-c-dev"]
    # d depends on nothing and started with a
    assert fake.started["fuel-flow-d-dev"] < a_done


def test_a_failure_stops_dependents_only_and_names_the_resource(plan: Plan) -> None:
    fake = FakeCloudFormation(failures={"fuel-flow-a-dev": Failure(
        "Bucket", "AWS::S3::Bucket", "fuel-flow-data already exists in stack arn:aws:cloudformation:...")})
    log: list[str] = []
    report, _ = deploy(engine_for(fake, log), plan)
    by = {r.stack: r for r in report.results}
    assert not report.ok
    assert by["fuel-flow-a-dev"].action == "failed"
    assert by["fuel-flow-a-dev"].status == "ROLLBACK_COMPLETE"
    assert by["fuel-flow-a-dev"].failed_resource == "Bucket (AWS::S3::Bucket)"
    assert "already exists" in by["fuel-flow-a-dev"].reason
    assert by["fuel-flow-b-dev"].action == by["fuel-flow-c-dev"].action == "skipped"
    assert by["fuel-flow-d-dev"].action == "created"  # untouched by a's failure
    assert not any(op == "CreateChangeSet" and kw["StackName"] in ("fuel-flow-b-dev", "fuel-flow-c-dev")
                   for op, kw in fake.calls)
    assert any("FAILED ROLLBACK_COMPLETE at Bucket" in line for line in log)


def test_rollback_complete_is_refused_until_replace_failed(plan: Plan) -> None:
    fake = FakeCloudFormation()
    fake.add_stack("fuel-flow-a-dev", "ROLLBACK_COMPLETE", resources=[  # a retained resource: not automatic
        {"LogicalResourceId": "Bucket", "ResourceType": "AWS::S3::Bucket", "ResourceStatus": "DELETE_SKIPPED"}])
    engine = engine_for(fake)
    with pytest.raises(InputError) as err:
        engine.check_states(plan, replace_failed=False)
    assert "ROLLBACK_COMPLETE" in err.value.message and "--replace-failed" in (err.value.fix or "")
    assert not any(op in ("DeleteStack", "CreateChangeSet") for op, _ in fake.calls)  # nothing changed

    report, previews = deploy(engine, plan, replace_failed=True)
    assert report.ok
    assert next(p for p in previews if p.stack == "fuel-flow-a-dev").note.startswith("replaces the failed stack")
    ops = [op for op, kw in fake.calls if kw.get("StackName") == "fuel-flow-a-dev"]
    assert ops.index("DeleteStack") < ops.index("CreateChangeSet")


@pytest.mark.parametrize("status", ["UPDATE_IN_PROGRESS", "UPDATE_ROLLBACK_FAILED", "DELETE_FAILED"])
def test_busy_or_broken_stacks_are_refused_before_any_change(plan: Plan, status: str) -> None:
    fake = FakeCloudFormation()
    fake.add_stack("fuel-flow-b-dev", status)
    with pytest.raises(InputError, match=status):
        engine_for(fake).check_states(plan, replace_failed=True)
    assert all(op.startswith("Describe") for op, _ in fake.calls)


def test_redeploy_with_identical_inputs_is_no_changes(plan: Plan) -> None:
    fake = FakeCloudFormation()
    fake.outputs_for = {sp.name: [{"OutputKey": "Part", "OutputValue": sp.part}]
                        + [{"OutputKey": e.rsplit("-", 1)[-1], "OutputValue": "x", "ExportName": e} for e in sp.exports]
                        for sp in plan.ordered()}
    engine = engine_for(fake)
    deploy(engine, plan)
    fake.calls.clear()
    report, previews = deploy(engine, plan)
    assert report.ok and {p.kind for p in previews} == {"none"}
    assert {r.action for r in report.results} == {"unchanged"}
    assert not any(op in ("CreateChangeSet", "ExecuteChangeSet") for op, _ in fake.calls)
    # one look at each stack (the state check), then its template: the outputs come from that same look
    ops = [op for op, _ in fake.calls]
    assert ops.count("DescribeStacks") == len(plan.ordered()) and ops.count("GetTemplate") == len(plan.ordered())
    assert [r.outputs for r in report.results] == [
        {"Part": sp.part} | {e.rsplit("-", 1)[-1]: "x" for e in sp.exports} for sp in plan.ordered()]


def test_a_change_set_is_waited_for_and_read_in_one_call_per_page(plan: Plan) -> None:
    """Creating a change set costs one DescribeChangeSet when it is ready at once (the emulator, small AWS
    change sets): the answer that says CREATE_COMPLETE carries its changes."""
    fake = FakeCloudFormation()
    report, _ = deploy(engine_for(fake), plan)
    assert report.ok
    ops = [op for op, _ in fake.calls]
    assert ops.count("CreateChangeSet") == len(plan.ordered()) == ops.count("DescribeChangeSet")


def test_empty_change_set_is_no_changes_and_is_cleaned_up(plan: Plan) -> None:
    fake = FakeCloudFormation()
    engine = engine_for(fake)
    deploy(engine, plan)
    fake.stacks["fuel-flow-d-dev"].template += "\n# comment only\n"  # differs, but AWS finds no change
    _, previews = deploy(engine, plan)
    d = next(p for p in previews if p.stack == "fuel-flow-d-dev")
    assert d.kind == "none"
    assert ("DeleteChangeSet" in [op for op, _ in fake.calls])
    assert not fake.change_sets


def test_replacement_is_called_out(plan: Plan) -> None:
    fake = FakeCloudFormation()
    engine = engine_for(fake)
    deploy(engine, plan)
    fake.stacks["fuel-flow-a-dev"].parameters = [{"ParameterKey": "Environment", "ParameterValue": "old"}]
    fake.changes_for_update["fuel-flow-a-dev"] = [{"Type": "Resource", "ResourceChange": {
        "Action": "Modify", "LogicalResourceId": "Bucket", "PhysicalResourceId": "fuel-flow-data",
        "ResourceType": "AWS::S3::Bucket", "Replacement": "True", "Scope": ["Properties"]}}]
    states = engine.check_states(plan, False)
    previews = engine.preview(plan, states)
    a = next(p for p in previews if p.stack == "fuel-flow-a-dev")
    assert a.kind == "update" and a.changes[0].destructive
    assert "REPLACEMENT" in a.changes[0].describe()
    engine.discard(previews)
    assert not fake.change_sets  # declined: nothing left behind


def test_destroy_refuses_while_an_outside_stack_imports(plan: Plan) -> None:
    fake = FakeCloudFormation()
    engine = engine_for(fake)
    deploy(engine, plan)
    fake.stacks["fuel-flow-a-dev"].outputs = [{"OutputKey": "BucketName", "OutputValue": "x",
                                               "ExportName": "fuel-flow-a-dev-BucketName"}]
    fake.imports["fuel-flow-a-dev-BucketName"] = ["fuel-flow-b-dev", "someone-elses-stack"]
    with pytest.raises(InputError, match="still imported by someone-elses-stack"):
        engine.destroy_checks(plan)
    assert not any(op == "DeleteStack" for op, _ in fake.calls)


def test_destroy_goes_in_reverse_order_and_reports_retained(plan: Plan) -> None:
    fake = FakeCloudFormation(durations=dict.fromkeys(("fuel-flow-a-dev", "fuel-flow-b-dev", "fuel-flow-c-dev"), 0.05))
    engine = engine_for(fake)
    deploy(engine, plan)
    fake.stacks["fuel-flow-a-dev"].outputs = [{"OutputKey": "BucketName", "OutputValue": "x",
                                               "ExportName": "fuel-flow-a-dev-BucketName"}]
    fake.imports["fuel-flow-a-dev-BucketName"] = ["fuel-flow-b-dev", "fuel-flow-c-dev"]  # both in the set
    fake.stacks["fuel-flow-a-dev"].resources = [{"LogicalResourceId": "Bucket", "PhysicalResourceId": "fuel-data",
                                                 "ResourceType": "AWS::S3::Bucket"}]
    existing = engine.destroy_checks(plan)
    assert engine.stateful_in(plan, existing) == [("fuel-flow-a-dev", "Bucket", "AWS::S3::Bucket", "Retain")]
    engine._bucket_exists = lambda _name: True  # type: ignore[method-assign]  # the fake has no S3
    report = engine.destroy(plan, existing)
    assert report.ok
    a_deleted = fake.started["fuel-flow-a-dev"]
    assert fake.finished["fuel-flow-b-dev"] <= a_deleted and fake.finished["fuel-flow-c-dev"] <= a_deleted
    assert report.retained == ["s3://fuel-data (fuel-flow-a-dev/Bucket, DeletionPolicy Retain)"]


def test_list_imports_shapes_with_stubber() -> None:
    client = boto3.client("cloudformation", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x")
    engine = Engine(lambda _s: client, poll=FAST)
    with Stubber(client) as stub:
        stub.add_response("list_imports", {"Imports": ["other-stack"]}, {"ExportName": "e1"})
        stub.add_client_error("list_imports", "ValidationError", "Export 'e2' is not imported by any stack.",
                              expected_params={"ExportName": "e2"})
        assert engine.importers("e1") == ["other-stack"]
        assert engine.importers("e2") == []


class _ThrottlingHandler(BaseHTTPRequestHandler):
    throttles_left = 2
    requests = 0

    def do_POST(self) -> None:
        type(self).requests += 1
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        if type(self).throttles_left > 0:
            type(self).throttles_left -= 1
            body = (b"<ErrorResponse><Error><Type>Sender</Type><Code>Throttling</Code>"
                    b"<Message>Rate exceeded</Message></Error><RequestId>1</RequestId></ErrorResponse>")
            self.send_response(400)
        else:
            body = (b'<DescribeStacksResponse xmlns="http://cloudformation.amazonaws.com/doc/2010-05-15/">'
                    b"<DescribeStacksResult><Stacks><member><StackName>s</StackName><StackId>id</StackId>"
                    b"<CreationTime>2026-01-01T00:00:00Z</CreationTime><StackStatus>CREATE_COMPLETE</StackStatus>"
                    b"</member></Stacks></DescribeStacksResult></DescribeStacksResponse>")
            self.send_response(200)
        self.send_header("Content-Type", "text/xml")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: Any) -> None:
        pass


def test_throttling_is_retried_by_botocore_not_by_sleeps() -> None:
    """A real botocore client with the tool's retry config against a server that throttles twice."""
    server = HTTPServer(("127.0.0.1", 0), _ThrottlingHandler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        client = boto3.client("cloudformation", region_name="us-east-1", aws_access_key_id="x",
                              aws_secret_access_key="x", endpoint_url=f"http://127.0.0.1:{server.server_port}",
                              config=RETRY_CONFIG)
        engine = Engine(lambda _s: client, poll=FAST)
        assert engine.describe("s")["StackStatus"] == "CREATE_COMPLETE"  # type: ignore[index]
        assert _ThrottlingHandler.requests == 3
    finally:
        server.shutdown()
