"""FUELFLOW_REQUIRE (tests/require_tools.py): in CI a skip for a missing required tool is a failure; other skips,
and every skip without the variable, stay skips. Runs pytest on a tiny test file in a subprocess."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

TESTS = Path(__file__).resolve().parent

SAMPLE = '''
import pytest

@pytest.fixture
def terraform_binary():
    pytest.skip("SKIPPED (terraform missing): not on PATH")

@pytest.mark.terraform
def test_marked_terraform():
    pytest.skip("the environment file is absent")

def test_named_checkov():
    pytest.skip("checkov not found: install it in .venv-checkov")

@pytest.mark.skipif(True, reason="no filesystem mirror holding registry.terraform.io/hashicorp/aws")
def test_provider_skipif():
    pass

def test_fixture_skip(terraform_binary):
    pass

def test_unrelated_skip():
    pytest.skip("only on Windows")

def test_passes():
    pass
'''


def run_sample(tmp_path: Path, require: str | None) -> tuple[int, dict[str, str], str]:
    """Run the sample; return the exit code, test name -> outcome, and the output."""
    (tmp_path / "test_sample.py").write_text(SAMPLE)
    env = {k: v for k, v in os.environ.items() if k != "FUELFLOW_REQUIRE"}
    env["PYTHONPATH"] = os.pathsep.join([str(TESTS), env.get("PYTHONPATH", "")])
    if require is not None:
        env["FUELFLOW_REQUIRE"] = require
    proc = subprocess.run([sys.executable, "-m", "pytest", "-p", "require_tools", "-p", "no:cacheprovider", "-v",
                           "-o", "markers=terraform", "test_sample.py"], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=120, check=False)
    line = re.compile(r"^test_sample\.py::(test_\w+) (PASSED|FAILED|SKIPPED|ERROR)", re.MULTILINE)
    outcomes = {m.group(1): m.group(2) for m in line.finditer(proc.stdout)}
    return proc.returncode, outcomes, proc.stdout + proc.stderr


def test_without_the_variable_skips_stay_skips(tmp_path: Path) -> None:
    code, outcomes, output = run_sample(tmp_path, None)
    assert code == 0, output
    assert "FAILED" not in outcomes.values() and "ERROR" not in outcomes.values(), output
    assert outcomes["test_passes"] == "PASSED"


def test_required_tools_turn_their_skips_into_failures(tmp_path: Path) -> None:
    code, outcomes, output = run_sample(tmp_path, "terraform,provider,checkov")
    assert code == 1, output
    assert outcomes["test_marked_terraform"] == "FAILED"  # by its marker
    assert outcomes["test_named_checkov"] == "FAILED"  # by its reason
    assert outcomes["test_provider_skipif"] == "ERROR"  # a skipif is decided at setup
    assert outcomes["test_fixture_skip"] == "ERROR"  # so is a fixture's skip
    assert outcomes["test_unrelated_skip"] == "SKIPPED" and outcomes["test_passes"] == "PASSED"
    assert "FUELFLOW_REQUIRE requires checkov, but the test skipped: checkov not found" in output
    assert "FUELFLOW_REQUIRE: checkov, provider, terraform" in output  # said in the header


def test_only_the_named_tools_are_required(tmp_path: Path) -> None:
    code, outcomes, output = run_sample(tmp_path, "checkov")
    assert code == 1, output
    assert outcomes["test_named_checkov"] == "FAILED"
    assert {outcomes[t] for t in ("test_marked_terraform", "test_provider_skipif", "test_fixture_skip")} == {
        "SKIPPED"}


@pytest.mark.parametrize("require", ["terraform,docker"])
def test_an_unknown_tool_stops_the_run(tmp_path: Path, require: str) -> None:
    code, _, output = run_sample(tmp_path, require)
    assert code != 0 and "unknown tool(s) docker" in output


def test_ci_is_strict_lints_on_its_own_and_runs_the_readme_command() -> None:
    ci = (TESTS.parent / ".ci" / "run").read_text().splitlines()
    assert "export FUELFLOW_REQUIRE=terraform,provider,checkov,prowler" in ci
    readme = "bash scripts/bootstrap.sh --test && .venv/bin/python -m pytest"
    assert ci[-1] == readme and readme in (TESTS.parent / "README.md").read_text()
    lint = [i for i, line in enumerate(ci) if line.startswith(".venv/bin/python -m ruff check")]
    assert lint and ".venv/bin/python -m mypy" in ci and lint[0] < ci.index(readme)
