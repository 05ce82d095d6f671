"""The command line as a user meets it: bad input is one line with the fix and exit 2, nothing changes;
`fuelflow local` serves an emulator other commands can share; --help explains."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import boto3
import click
import pytest

from fuelflow import cli, moto_fixes
from fuelflow.cli import main
from fuelflow.emulator import Emulator, free_port
from fuelflow.errors import ExitCode


@pytest.fixture
def project_copy(tmp_path: Path, project_dir: Path) -> Path:
    for part in ("environments", "cloudformation"):
        shutil.copytree(project_dir / part, tmp_path / part)
    return tmp_path


def stacks_in(emulator: Emulator) -> list[str]:
    cfn = boto3.client("cloudformation", endpoint_url=emulator.endpoint_url, region_name="us-east-1",
                       aws_access_key_id="test", aws_secret_access_key="test")
    return [s["StackName"] for s in cfn.describe_stacks()["Stacks"] if s["StackStatus"] != "DELETE_COMPLETE"]


def one_line_error(capsys: pytest.CaptureFixture[str]) -> str:
    err = capsys.readouterr().err.strip()
    assert "Traceback" not in err
    lines = [line for line in err.splitlines() if line.startswith("error:")]
    assert len(lines) == 1, err
    return lines[0]


@pytest.mark.parametrize(("edit", "needle"), [
    (lambda t: t.replace("instance_type: t3.micro", "instance_type: t3.mega"), "not an EC2 instance type"),
    (lambda t: t.replace("vpc_cidr: 10.10.0.0/16", "vpc_cidr: 10.10.0.0/99"), "not a valid IPv4 CIDR"),
    (lambda t: t.replace("network:", "network: [", 1), "malformed YAML"),
])
@pytest.mark.emulator
def test_bad_environment_file_changes_nothing(project_copy: Path, emulator: Emulator, edit: object, needle: str,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    before = stacks_in(emulator)
    env_file = project_copy / "environments" / "dev.yaml"
    env_file.write_text(edit(env_file.read_text()))  # type: ignore[operator]
    code = main(["-C", str(project_copy), "deploy", "--endpoint-url", emulator.endpoint_url, "--yes"])
    assert code == 2
    line = one_line_error(capsys)
    assert needle in line and ":" in line.split(needle, 1)[1]  # the problem, then the fix
    assert stacks_in(emulator) == before


@pytest.mark.parametrize(("argv", "needle"), [
    (["deploy", "--env", "staging", "--yes"], "unknown environment 'staging'"),
    (["deploy", "--stack", "web", "--yes"], "unknown stack 'web'"),
    (["deploy", "--endpoint-url", "http://127.0.0.1:9", "--yes"], "no emulator answers at http://127.0.0.1:9"),
    (["deploy", "--profile", "x", "--yes"], "--profile is for --target aws"),
])
def test_bad_arguments(project_copy: Path, argv: list[str], needle: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["-C", str(project_copy), *argv]) == 2
    assert needle in one_line_error(capsys)


@pytest.mark.emulator
@pytest.mark.parametrize("command", [["deploy", "--yes"], ["deploy", "--engine", "terraform", "--yes"], ["audit"]])
def test_an_emulator_that_is_not_fuelflow_local_is_refused_before_any_change(
        project_copy: Path, plain_moto: str, command: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    """A plain moto server (or LocalStack) lacks the fixes: the deploy would fail half-way, so it is refused."""
    cfn = boto3.client("cloudformation", endpoint_url=plain_moto, region_name="us-east-1",
                       aws_access_key_id="test", aws_secret_access_key="test")
    assert main(["-C", str(project_copy), *command, "--endpoint-url", plain_moto]) == 2
    line = one_line_error(capsys)
    assert "is not `fuelflow local`" in line and "lacks the emulator fixes" in line and "run `fuelflow local`" in line
    assert cfn.describe_stacks()["Stacks"] == []


def test_missing_template(project_copy: Path, capsys: pytest.CaptureFixture[str]) -> None:
    shutil.rmtree(project_copy / "cloudformation")
    assert main(["-C", str(project_copy), "plan"]) == 2
    assert "no CloudFormation templates" in one_line_error(capsys)


def test_no_credentials_for_aws_target(project_copy: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                       capsys: pytest.CaptureFixture[str]) -> None:
    for var in [v for v in os.environ if v.startswith("AWS_")]:
        monkeypatch.delenv(var)
    empty = tmp_path / "empty-aws-config"
    empty.write_text("")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(empty))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(empty))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")  # never ask an instance-metadata service
    assert main(["-C", str(project_copy), "status", "--target", "aws"]) == 2
    assert "no AWS credentials found" in one_line_error(capsys)


def test_help_explains_targets_and_exit_codes(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--help"]) == 0
    out = capsys.readouterr().out
    assert "Exit codes" in out and "emulator" in out
    assert main(["deploy", "--help"]) == 0
    out = capsys.readouterr().out
    assert "--replace-failed" in out and "--target" in out


@pytest.mark.emulator
def test_local_serves_an_emulator_other_commands_share(project_dir: Path) -> None:
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "fuelflow.cli", "local", "--port", str(port)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        first = proc.stdout.readline()
        assert f"http://127.0.0.1:{port}" in first
        url = f"http://127.0.0.1:{port}"
        head = [proc.stdout.readline() for _ in range(2 + 1 + len(moto_fixes.FIXES))]  # how-to, moto, fixes
        assert head[2].startswith("moto ") and sum(" applied " in line for line in head) == len(moto_fixes.FIXES)
        deadline = time.monotonic() + 30
        plan = None
        while time.monotonic() < deadline:
            plan = subprocess.run([sys.executable, "-m", "fuelflow.cli", "-C", str(project_dir), "deploy",
                                   "--endpoint-url", url, "--yes", "--stack", "s3", "--output", "json"],
                                  capture_output=True, text=True, timeout=120)
            if plan.returncode == 0:
                break
            time.sleep(0.2)
        assert plan is not None and plan.returncode == 0, plan.stderr if plan else ""
        s3 = boto3.client("s3", endpoint_url=url, region_name="us-east-1", aws_access_key_id="test",
                          aws_secret_access_key="test")
        assert any(b["Name"].startswith("fuel-flow-app-data-dev-") for b in s3.list_buckets()["Buckets"])
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def test_a_command_module_that_does_not_import_is_a_loud_error(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    """No command silently disappears: main() names the module and the exception, and exits 1."""
    (tmp_path / "fuelflow_broken_commands.py").write_text("import fuelflow_no_such_module\nCOMMANDS = []\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    group = click.Group()
    broken = cli.load_commands(group, ["fuelflow.commands.tf", "fuelflow_broken_commands"])
    assert list(broken) == ["fuelflow_broken_commands"] and "tf" in group.commands
    monkeypatch.setattr(cli, "BROKEN_COMMANDS", broken)
    assert main(["--help"]) == ExitCode.FAILED
    line = one_line_error(capsys)
    assert "fuelflow_broken_commands" in line and "ModuleNotFoundError" in line and "fuelflow_no_such_module" in line

