"""Faults around the CloudFormation engine.

- Throttling, 5xx and delays from the API, injected by the emulator's FaultInjector middleware
  (POST /_fuelflow/faults): absorbed by botocore's retries during deploy and destroy; a persistent 5xx is one
  line, not a traceback.
- A stack that fails mid-update and rolls back (UPDATE_ROLLBACK_COMPLETE), one stuck in UPDATE_ROLLBACK_FAILED,
  and one left in ROLLBACK_COMPLETE by a create that rolled back: on the scripted client (tests/fake_cfn.py),
  because moto never ends an update in UPDATE_ROLLBACK_FAILED and has no ContinueUpdateRollback.
"""

from __future__ import annotations

import io
import json
import time
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path
from typing import Any

import boto3
import botocore.exceptions
import pytest
from botocore.config import Config

from fake_cfn import Failure, FakeCloudFormation, client_error
from fuelflow import aws as aws_module
from fuelflow.cli import main
from fuelflow.emulator import Emulator, get_faults, set_faults
from fuelflow.engine import Engine, PollConfig
from fuelflow.errors import DeployError, InputError
from fuelflow.lock import lock_parameter
from fuelflow.plan import Plan
from test_engine import deploy, plan  # noqa: F401 - the fixture: a <- b, a <- c, and an independent d

POLL = PollConfig(initial=0.005, factor=1.5, maximum=0.02, timeout=30)
STACKS = [f"fuel-flow-{p}-dev" for p in ("network", "s3", "iam", "ec2", "rds", "monitoring")]
NOT_DEPLOYED = "fuel-flow-edge-dev"  # creates nothing in dev (the edge options are off): never sent


def client(endpoint: str, service: str, **config: Any) -> Any:
    return boto3.client(service, endpoint_url=endpoint, region_name="us-east-1", aws_access_key_id="test",
                        aws_secret_access_key="test", config=Config(**config) if config else None)


def run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        code = main(list(argv))
    return code, out.getvalue(), err.getvalue()


@pytest.fixture
def faults(fresh_emulator: Emulator) -> Any:
    """Set rules on the emulator; they are cleared after the test."""
    url = fresh_emulator.endpoint_url

    def apply(rules: list[dict[str, Any]]) -> dict[str, Any]:
        return set_faults(url, rules)

    yield apply
    set_faults(url, [])


def hits(endpoint: str) -> dict[str, int]:
    return {r["action"]: r["hits"] for r in get_faults(endpoint)["rules"]}


# ------------------------------------------------------------------------------- the middleware itself


@pytest.mark.emulator
def test_json_protocol_throttling_is_retried_and_other_errors_surface(fresh_emulator: Emulator, faults: Any) -> None:
    url = fresh_emulator.endpoint_url
    ssm = client(url, "ssm", retries={"mode": "standard", "max_attempts": 5})
    faults([{"action": "PutParameter", "status": 400, "code": "ThrottlingException", "count": 2}])
    ssm.put_parameter(Name="/faults/x", Value="1", Type="String")  # retried twice, then through
    assert hits(url) == {"PutParameter": 2}
    assert ssm.get_parameter(Name="/faults/x")["Parameter"]["Value"] == "1"

    faults([{"action": "GetParameter", "status": 400, "code": "AccessDeniedException", "count": 1}])
    with pytest.raises(botocore.exceptions.ClientError) as err:
        ssm.get_parameter(Name="/faults/x")
    assert err.value.response["Error"]["Code"] == "AccessDeniedException"


@pytest.mark.emulator
def test_delay_and_query_protocol_errors(fresh_emulator: Emulator, faults: Any) -> None:
    url = fresh_emulator.endpoint_url
    cfn = client(url, "cloudformation", retries={"mode": "standard", "max_attempts": 1})
    faults([{"action": "ListStacks", "delay": 0.6, "count": 1},
            {"action": "DescribeStacks", "status": 503, "code": "ServiceUnavailable"}])
    started = time.monotonic()
    cfn.list_stacks()
    assert time.monotonic() - started >= 0.6
    with pytest.raises(botocore.exceptions.ClientError) as err:
        cfn.describe_stacks()
    assert err.value.response["ResponseMetadata"]["HTTPStatusCode"] == 503
    assert err.value.response["Error"]["Code"] == "ServiceUnavailable"


# ------------------------------------------------------------------------------- deploy and destroy


@pytest.mark.emulator
def test_throttling_and_5xx_during_deploy_and_destroy_are_absorbed(fresh_emulator: Emulator, faults: Any,
                                                                   project_dir: Path,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(project_dir)
    url = fresh_emulator.endpoint_url
    deploy_faults = [
        {"action": "DescribeStacks", "status": 400, "code": "Throttling", "count": 2},
        {"action": "CreateChangeSet", "status": 500, "code": "InternalFailure", "count": 1},
        {"action": "ExecuteChangeSet", "status": 503, "code": "ServiceUnavailable", "count": 2},
        {"action": "DescribeStackEvents", "status": 400, "code": "Throttling", "count": 1},
        {"action": "PutParameter", "status": 400, "code": "ThrottlingException", "count": 1},  # the lock
    ]
    faults(deploy_faults)
    code, out, err = run("deploy", "--env", "dev", "--endpoint-url", url, "--yes", "--output", "json")
    assert code == 0, err[-2000:]
    assert hits(url) == {r["action"]: r["count"] for r in deploy_faults}  # every fault was met, and absorbed
    assert {s["stack"]: s["status"] for s in json.loads(out)["stacks"]} == {
        **dict.fromkeys(STACKS, "CREATE_COMPLETE"), NOT_DEPLOYED: "NOT_DEPLOYED"}

    destroy_faults = [
        {"action": "DeleteStack", "status": 503, "code": "ServiceUnavailable", "count": 1},
        {"action": "DescribeStacks", "status": 400, "code": "Throttling", "count": 2},
        {"action": "DescribeStackResources", "status": 500, "code": "InternalFailure", "count": 1},
        {"action": "DeleteParameter", "status": 400, "code": "ThrottlingException", "count": 1},  # the lock
    ]
    faults(destroy_faults)
    code, _out, err = run("destroy", "--env", "dev", "--endpoint-url", url, "--yes", "--force", "--confirm", "dev")
    assert code == 0, err[-2000:]
    assert hits(url) == {r["action"]: r["count"] for r in destroy_faults}
    live = [s["StackName"] for s in client(url, "cloudformation").describe_stacks()["Stacks"]
            if s["StackName"] in STACKS and s["StackStatus"] != "DELETE_COMPLETE"]
    assert live == []
    with pytest.raises(botocore.exceptions.ClientError):  # released, despite the throttled delete
        client(url, "ssm").get_parameter(Name=lock_parameter("fuel-flow", "dev"))


@pytest.mark.emulator
@pytest.mark.parametrize("action", ["DescribeStacks", "ExecuteChangeSet"])
def test_persistent_5xx_is_one_line_and_releases_the_lock(fresh_emulator: Emulator, faults: Any, project_dir: Path,
                                                          monkeypatch: pytest.MonkeyPatch, action: str) -> None:
    monkeypatch.chdir(project_dir)
    monkeypatch.setattr(aws_module, "RETRY_CONFIG", Config(retries={"mode": "adaptive", "max_attempts": 2}))
    url = fresh_emulator.endpoint_url
    faults([{"action": action, "status": 500, "code": "InternalFailure", "message": "We encountered an error"}])
    code, _out, err = run("deploy", "--env", "dev", "--endpoint-url", url, "--yes")
    assert code == 1, err[-3000:]
    assert "Traceback" not in err
    errors = [line for line in err.splitlines() if line.startswith("error:")]
    assert len(errors) == 1, err[-1500:]
    assert "InternalFailure" in errors[0] or "deploy of dev failed" in errors[0]
    if action == "ExecuteChangeSet":  # each stack says why, in one line
        assert "fuel-flow-network-dev: FAILED: InternalFailure: We encountered an error" in err
    faults([])
    with pytest.raises(botocore.exceptions.ClientError):
        client(url, "ssm").get_parameter(Name=lock_parameter("fuel-flow", "dev"))


# ------------------------------------------------------------------------------- rollbacks (scripted client)


class RepairableCloudFormation(FakeCloudFormation):
    """The fake, plus ContinueUpdateRollback (which can fail again, as on AWS)."""

    fail_again: Failure | None = None

    def continue_update_rollback(self, **kw: Any) -> dict[str, Any]:
        self._record("ContinueUpdateRollback", kw)
        with self._lock:
            st = self.stacks[kw["StackName"]]
            if st.status != "UPDATE_ROLLBACK_FAILED":
                raise client_error("ValidationError", "Stack is not in UPDATE_ROLLBACK_FAILED",
                                   "ContinueUpdateRollback")
            if self.fail_again is not None:
                f = self.fail_again
                self._event(st, f.resource, f.resource_type, "UPDATE_FAILED", f.reason)
                self._event(st, st.name, "AWS::CloudFormation::Stack", "UPDATE_ROLLBACK_FAILED")
                return {}
            st.status, st.final_status = "UPDATE_ROLLBACK_IN_PROGRESS", "UPDATE_ROLLBACK_COMPLETE"
            st.busy_until = self.clock() + 0.05
            return {}


def changed(fake: FakeCloudFormation, stack: str) -> None:
    """Make the next deploy update `stack` (a Modify in its change set)."""
    fake.stacks[stack].template += "\n# changed\n"
    fake.changes_for_update[stack] = [{"Type": "Resource", "ResourceChange": {
        "Action": "Modify", "LogicalResourceId": "T", "ResourceType": "AWS::SNS::Topic", "Replacement": "False"}}]


def test_failed_update_is_reported_with_its_resource_and_the_next_deploy_works(plan: Plan) -> None:  # noqa: F811
    fake = FakeCloudFormation()
    engine = Engine(lambda _s: fake, poll=POLL)
    assert deploy(engine, plan)[0].ok
    changed(fake, "fuel-flow-d-dev")
    fake.failures["fuel-flow-d-dev"] = Failure("T", "AWS::SNS::Topic", "Invalid parameter: DisplayName (Service: Sns)")
    report, _ = deploy(engine, plan)
    d = next(r for r in report.results if r.stack == "fuel-flow-d-dev")
    assert (d.action, d.status) == ("failed", "UPDATE_ROLLBACK_COMPLETE")
    assert d.failed_resource == "T (AWS::SNS::Topic)" and "Invalid parameter: DisplayName" in d.reason

    changed(fake, "fuel-flow-d-dev")  # fixed and deployed again: UPDATE_ROLLBACK_COMPLETE is updatable
    report, _ = deploy(engine, plan)
    assert report.ok and fake.stacks["fuel-flow-d-dev"].status == "UPDATE_COMPLETE"


def test_update_rollback_failed_is_refused_with_the_fix_then_repaired(plan: Plan) -> None:  # noqa: F811
    fake = RepairableCloudFormation()
    engine = Engine(lambda _s: fake, poll=POLL)
    assert deploy(engine, plan)[0].ok
    fake.stacks["fuel-flow-d-dev"].status = "UPDATE_ROLLBACK_FAILED"
    with pytest.raises(InputError) as err:
        engine.check_states(plan, replace_failed=False)
    assert err.value.exit_code == 2
    assert "--continue-rollback" in (err.value.fix or "")
    assert "aws cloudformation continue-update-rollback --stack-name fuel-flow-d-dev" in (err.value.fix or "")

    assert engine.continue_rollbacks(plan) == ["fuel-flow-d-dev"]
    assert ("ContinueUpdateRollback", {"StackName": "fuel-flow-d-dev"}) in fake.calls
    assert fake.stacks["fuel-flow-d-dev"].status == "UPDATE_ROLLBACK_COMPLETE"
    changed(fake, "fuel-flow-d-dev")
    report, _ = deploy(engine, plan)
    assert report.ok and fake.stacks["fuel-flow-d-dev"].status == "UPDATE_COMPLETE"


def test_a_rollback_that_fails_again_names_the_resource_to_skip(plan: Plan) -> None:  # noqa: F811
    fake = RepairableCloudFormation()
    engine = Engine(lambda _s: fake, poll=POLL)
    assert deploy(engine, plan)[0].ok
    fake.stacks["fuel-flow-d-dev"].status = "UPDATE_ROLLBACK_FAILED"
    fake.fail_again = Failure("T", "AWS::SNS::Topic", "Topic was deleted outside CloudFormation")
    with pytest.raises(DeployError) as err:
        engine.continue_rollbacks(plan)
    assert "T (AWS::SNS::Topic): Topic was deleted outside CloudFormation" in err.value.message
    assert "--resources-to-skip T" in (err.value.fix or "")


def test_rollback_complete_holding_nothing_is_replaced_without_a_flag(plan: Plan) -> None:  # noqa: F811
    """An interrupted or failed create leaves ROLLBACK_COMPLETE with every resource deleted: the next run
    replaces it (there is nothing to lose), where it used to demand --replace-failed."""
    fake = FakeCloudFormation()
    fake.add_stack("fuel-flow-a-dev", "ROLLBACK_COMPLETE", resources=[
        {"LogicalResourceId": "Bucket", "ResourceType": "AWS::S3::Bucket", "ResourceStatus": "DELETE_COMPLETE"}])
    report, previews = deploy(Engine(lambda _s: fake, poll=POLL), plan, replace_failed=False)
    assert report.ok
    assert next(p for p in previews if p.stack == "fuel-flow-a-dev").note.startswith("replaces the failed stack")
    assert fake.stacks["fuel-flow-a-dev"].status == "CREATE_COMPLETE"
