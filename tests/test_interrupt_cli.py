"""SIGINT against a real `fuelflow deploy` process on a running emulator, at several points: while it
previews, at the confirmation prompt, while stacks run, and twice. The emulator is slowed down with the
FaultInjector's delay rules so that the signal lands mid-way.

Each time: exit 130 (not 4, "declined"), a summary, the run lock released, and the next deploy completes
without a manual step.
"""

from __future__ import annotations

import io
import shutil
import time
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path
from typing import Any

import boto3
import botocore.exceptions
import pytest

from cli_process import Run
from fuelflow.cli import main
from fuelflow.emulator import get_faults, set_faults
from fuelflow.lock import lock_parameter

pytestmark = pytest.mark.emulator

STACKS = [f"fuel-flow-{p}-dev" for p in ("network", "s3", "iam", "ec2", "rds")]


def client(endpoint: str, service: str) -> Any:
    return boto3.client(service, endpoint_url=endpoint, region_name="us-east-1", aws_access_key_id="test",
                        aws_secret_access_key="test")


@pytest.fixture
def project(tmp_path: Path, project_dir: Path) -> Path:
    """A copy of the project whose dev environment can be changed."""
    for part in ("environments", "cloudformation"):
        shutil.copytree(project_dir / part, tmp_path / part)
    return tmp_path


def deploy_in_process(project: Path, url: str) -> tuple[int, str]:
    err = io.StringIO()
    with redirect_stdout(io.StringIO()), redirect_stderr(err):
        code = main(["-C", str(project), "deploy", "--env", "dev", "--endpoint-url", url, "--yes"])
    return code, err.getvalue()


def statuses(url: str) -> dict[str, str]:
    stacks = client(url, "cloudformation").describe_stacks()["Stacks"]
    return {s["StackName"]: s["StackStatus"] for s in stacks if s["StackStatus"] != "DELETE_COMPLETE"}


def retention(url: str, stack: str) -> str:
    d = client(url, "cloudformation").describe_stacks(StackName=stack)["Stacks"][0]
    return next(p["ParameterValue"] for p in d["Parameters"] if p["ParameterKey"] == "LogRetentionDays")


def change_sets(url: str) -> set[str]:
    """Every change set listed (moto also lists executed ones, which AWS removes)."""
    cfn = client(url, "cloudformation")
    return {c["ChangeSetId"] for s in STACKS for c in cfn.list_change_sets(StackName=s)["Summaries"]}


def assert_unlocked(url: str) -> None:
    with pytest.raises(botocore.exceptions.ClientError) as err:
        client(url, "ssm").get_parameter(Name=lock_parameter("fuel-flow", "dev"))
    assert err.value.response["Error"]["Code"] == "ParameterNotFound"


def change_retention(project: Path, days: int) -> None:
    path = project / "environments" / "dev.yaml"
    text = path.read_text()
    assert "retention_days: 30" in text
    path.write_text(text.replace("retention_days: 30", f"retention_days: {days}"))


def assert_interrupted(run: Run, code: int) -> None:
    assert code == 130, run.stderr[-3000:]
    assert "Traceback" not in run.stderr
    assert "error: deploy of dev interrupted (Ctrl-C)" in run.stderr
    assert "INTERRUPTED in" in run.stdout


def executing(url: str, timeout: float = 60) -> None:
    """Wait until a stack's ExecuteChangeSet reached the emulator (and is held there by a delay rule)."""
    deadline = time.monotonic() + timeout
    while not any(r["action"] == "ExecuteChangeSet" and r["hits"] for r in get_faults(url)["rules"]):
        assert time.monotonic() < deadline, "no ExecuteChangeSet arrived"
        time.sleep(0.05)


def test_ctrl_c_while_stacks_run_finishes_the_creates_starts_nothing_more(url: str, project: Path) -> None:
    set_faults(url, [{"action": "ExecuteChangeSet", "delay": 1.5}])  # every stack takes 1.5 s to start
    run = Run("deploy", "--env", "dev", "--endpoint-url", url, "--yes", cwd=project)
    executing(url)
    run.sigint()
    code = run.finish()
    assert_interrupted(run, code)
    assert "Ctrl-C: starting no more stacks" in run.stderr
    rows = {line.split("\t")[0]: line.split("\t")[1] for line in run.stdout.splitlines() if "\t" in line}
    started = [s for s in STACKS if rows.get(s) == "created"]
    assert started and all(rows[s] == "not started" for s in STACKS if s not in started), run.stdout
    assert "fuel-flow-rds-dev" not in started  # the last wave never began
    assert {s for s, st in statuses(url).items() if s in STACKS} == set(started)  # what ran, ran to the end
    assert_unlocked(url)

    set_faults(url, [])
    code, err = deploy_in_process(project, url)
    assert code == 0, err[-2000:]
    assert {s: statuses(url)[s] for s in STACKS} == dict.fromkeys(STACKS, "CREATE_COMPLETE")


def test_second_ctrl_c_leaves_at_once_and_says_what_still_runs(url: str, project: Path) -> None:
    set_faults(url, [{"action": "ExecuteChangeSet", "delay": 5}])
    run = Run("deploy", "--env", "dev", "--endpoint-url", url, "--yes", cwd=project)
    executing(url)
    run.sigint()
    run.wait_for("Ctrl-C: starting no more stacks")
    first = time.monotonic()
    run.sigint()
    code = run.finish()
    assert time.monotonic() - first < 3  # did not wait for the 5 s requests in flight
    assert_interrupted(run, code)
    assert "second Ctrl-C: leaving now; still running in CloudFormation: " in run.stderr
    assert "interrupted" in run.stdout and "second Ctrl-C" in run.stdout  # the summary marks them
    assert_unlocked(url)

    set_faults(url, [])
    deadline = time.monotonic() + 30  # the emulator finishes what was started
    while any(st.endswith("_IN_PROGRESS") for st in statuses(url).values()) and time.monotonic() < deadline:
        time.sleep(0.5)
    code, err = deploy_in_process(project, url)
    assert code == 0, err[-2000:]
    assert {s: statuses(url)[s] for s in STACKS} == dict.fromkeys(STACKS, "CREATE_COMPLETE")


def test_ctrl_c_during_the_preview_changes_nothing(url: str, project: Path) -> None:
    assert deploy_in_process(project, url)[0] == 0
    change_retention(project, 14)
    before = change_sets(url)
    # the first change set is created, then its description is slow: the signal lands in the preview
    set_faults(url, [{"action": "DescribeChangeSet", "delay": 3, "count": 1}])
    run = Run("deploy", "--env", "dev", "--endpoint-url", url, "--yes", cwd=project)
    run.wait_for("deploying dev to")
    time.sleep(1.0)
    run.sigint()
    code = run.finish()
    assert_interrupted(run, code)
    assert "before any change: nothing was changed" in run.stderr
    assert "not started" in run.stdout
    assert retention(url, "fuel-flow-ec2-dev") == "30"
    assert change_sets(url) == before  # the one it prepared was deleted
    assert_unlocked(url)

    set_faults(url, [])
    code, err = deploy_in_process(project, url)
    assert code == 0, err[-2000:]
    assert retention(url, "fuel-flow-ec2-dev") == retention(url, "fuel-flow-rds-dev") == "14"


def test_ctrl_c_at_the_prompt_is_130_and_nothing_changed(url: str, project: Path) -> None:
    assert deploy_in_process(project, url)[0] == 0
    change_retention(project, 7)
    before = change_sets(url)
    run = Run("deploy", "--env", "dev", "--endpoint-url", url, cwd=project, tty=True)  # no --yes: it asks
    run.wait_for("Deploy these changes to dev?")
    run.sigint()
    code = run.finish()
    assert_interrupted(run, code)
    assert "nothing was changed" in run.stderr
    assert "not started" in run.stdout
    assert retention(url, "fuel-flow-ec2-dev") == "30"
    assert change_sets(url) == before
    assert_unlocked(url)

    code, err = deploy_in_process(project, url)
    assert code == 0, err[-2000:]
    assert retention(url, "fuel-flow-ec2-dev") == "7"
