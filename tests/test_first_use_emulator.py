"""The first-use defects that need an emulator (issue 8): outputs of an environment that is not (or only partly)
deployed, the new-stack preview against what CloudFormation really creates, "no changes" said once on a
re-deploy, and the warning of a read on a throwaway emulator. Through the CLI, as a user runs it; the tests
run in file order on one emptied emulator (nothing, then network + s3, then everything).
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import boto3
import pytest

from fuelflow.cli import main
from fuelflow.emulator import Emulator

pytestmark = pytest.mark.emulator

STACKS = [f"fuel-flow-{p}-dev" for p in ("network", "s3", "iam", "ec2", "rds", "monitoring")]
EDGE = "fuel-flow-edge-dev"  # creates nothing in dev (edge options off): never deployed, never "missing"


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture(scope="module")
def endpoint(fresh_emulator: Emulator, project_dir: Path) -> str:
    pytest.MonkeyPatch().chdir(project_dir)
    return fresh_emulator.endpoint_url


def test_outputs_of_an_environment_that_is_not_deployed(endpoint: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "outputs", "--endpoint-url", endpoint, "-o", "json")
    assert code == 2 and out == ""
    assert f"error: dev is not deployed (no stack of it exists at {endpoint})" in err


def test_outputs_of_a_partial_deploy_name_what_is_missing(endpoint: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "deploy", "--endpoint-url", endpoint, "--stack", "network", "--stack", "s3", "--yes")
    assert code == 0, err
    code, out, err = run(capsys, "outputs", "--endpoint-url", endpoint, "-o", "json")
    assert code == 0, err
    assert set(json.loads(out)) == {"fuel-flow-network-dev", "fuel-flow-s3-dev"}
    assert (f"warning: dev is partly deployed at {endpoint}: missing fuel-flow-iam-dev, fuel-flow-ec2-dev, "
            "fuel-flow-rds-dev, fuel-flow-monitoring-dev\n") in err
    assert EDGE not in err


def _previewed(log: str) -> dict[str, set[str]]:
    """stack -> the logical ids its new-stack preview listed (the "Add" lines under "<stack>: create (...)")."""
    found: dict[str, set[str]] = {}
    current = None
    for line in log.splitlines():
        head = re.match(r"(\S+): create \((\d+) resources\)", line)
        if head:
            current = head.group(1)
            found[current] = set()
            continue
        add = re.match(r"\s+Add\s+(\S+) \(", line)
        if add and current is not None:
            found[current].add(add.group(1))
        elif not line.startswith(" "):
            current = None
    return found


def test_new_stack_preview_lists_what_cloudformation_creates(endpoint: str,
                                                             capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "deploy", "--endpoint-url", endpoint, "--yes", "-o", "json")
    assert code == 0, err[-3000:]
    previewed = _previewed(err)
    assert set(previewed) == {"fuel-flow-iam-dev", "fuel-flow-ec2-dev", "fuel-flow-rds-dev", "fuel-flow-monitoring-dev"}
    cfn = boto3.client("cloudformation", endpoint_url=endpoint, region_name="us-east-1",
                       aws_access_key_id="test", aws_secret_access_key="test")
    for stack, listed in previewed.items():
        created = {r["LogicalResourceId"] for r in cfn.describe_stack_resources(StackName=stack)["StackResources"]
                   if r.get("LogicalResourceId")}  # the emulator lists the types it skips without an id
        assert listed == created, stack
    assert "fuel-flow-ec2-dev: create (7 resources) - new stack; 14 resources excluded by conditions" in err


def test_redeploy_says_no_changes_once_per_stack(endpoint: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "deploy", "--endpoint-url", endpoint, "--yes", "-o", "json")
    assert code == 0, err[-3000:]
    for stack in STACKS:
        assert len(re.findall(rf"^{stack}: no changes\b", err, re.MULTILINE)) == 1, err
    assert len(re.findall(rf"^{EDGE}: nothing to deploy\b", err, re.MULTILINE)) == 1, err
    assert not re.search(rf"^{EDGE}: no changes\b", err, re.MULTILINE), err


def test_status_of_a_throwaway_emulator_warns_at_once(project_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "-C", str(project_dir), "status", "-o", "json")
    assert code == 0
    first = err.splitlines()[0]  # before the emulator is even started
    assert first.startswith("warning: status reads a throwaway embedded emulator") and "empty by construction" in first
    assert "--endpoint-url http://127.0.0.1:4566" in first
    # (what it then lists is moto's one per-process state, shared in this test process; a user's is empty)
    listed = {s["stack"]: s["status"] for s in json.loads(out)["stacks"]}
    assert set(listed) == set(STACKS) | {EDGE} and listed[EDGE] == "NOT_DEPLOYED"


def test_outputs_with_a_running_emulator_do_not_warn(endpoint: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "outputs", "--endpoint-url", endpoint, "-o", "json")
    assert code == 0 and "warning" not in err, err
    data: dict[str, Any] = json.loads(out)
    assert set(data) == set(STACKS)
