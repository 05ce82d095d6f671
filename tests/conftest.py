"""Shared fixtures: the project root and one embedded emulator per test process."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from fuelflow.aws import AwsContext, Target, connect
from fuelflow.emulator import Emulator

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session")
def project_dir() -> Path:
    """The repository root (holds environments/, cloudformation/, terraform/)."""
    return ROOT


@pytest.fixture(scope="session")
def emulator() -> Iterator[Emulator]:
    """One moto server on 127.0.0.1 for the whole test process."""
    with Emulator() as emu:
        yield emu


@pytest.fixture
def aws(emulator: Emulator) -> AwsContext:
    """A boto3 context pointed at the shared emulator (us-east-1)."""
    return connect(Target(kind="local", endpoint_url=emulator.endpoint_url), "us-east-1")


@pytest.fixture(scope="module")
def fresh_emulator(emulator: Emulator) -> Emulator:
    """The shared emulator, emptied first: for modules that deploy a whole environment.

    moto keeps one global state per process, so whole-environment tests (CloudFormation, Terraform)
    would otherwise see each other's retained buckets and roles.
    """
    emulator.reset()
    return emulator


# ------------------------------------------------------- generated `terraform test` files

class TfTestResult:
    """The outcome of one generated `terraform test` file: which runs passed."""

    def __init__(self, output: str) -> None:
        self.output = output
        self.outcomes = dict(re.findall(r'run "(case_\d+)"\.\.\. (pass|fail|skip)', output))
        self.passed = sum(1 for v in self.outcomes.values() if v == "pass")

    def report(self, runs: list[tuple[str, dict[str, Any], str | None]]) -> str:
        bad = [f"{runs[int(k[5:])][0]}: {v}" for k, v in self.outcomes.items() if v != "pass"]
        return f"runs that did not pass: {bad}\n{self.output[-3000:]}"


class TfRoot:
    """A copy of terraform/ (initialised from the provider mirror) that runs generated test files."""

    def __init__(self, workspace: Any) -> None:
        self.workspace = workspace
        workspace.init(".")

    def test(self, text: str, name: str = "generated_contract", where: str = ".") -> TfTestResult:
        """Run `text` as a test file of terraform/`where` (the root, or modules/<name>)."""
        self.workspace.init(where)
        path = self.workspace.dir / where / "tests" / f"{name}.tftest.hcl"
        path.write_text(text)
        try:
            proc = self.workspace.run(where, "test", "-no-color", f"-filter=tests/{path.name}", timeout=900)
        finally:
            path.unlink()
        return TfTestResult(proc.stdout + proc.stderr)


@pytest.fixture(scope="module")
def tf_root(tmp_path_factory: pytest.TempPathFactory) -> TfRoot:
    """A copy of terraform/ initialised from the provider mirror, for generated `terraform test` files."""
    from test_terraform_static import Workspace, _find_plugin_dir, _find_terraform

    terraform, why = _find_terraform()
    if terraform is None:
        pytest.skip(f"SKIPPED (terraform missing): {why}")
    plugin_dir, why = _find_plugin_dir()
    if plugin_dir is None:
        pytest.skip(f"SKIPPED (provider mirror missing): {why}")
    return TfRoot(Workspace(tmp_path_factory.mktemp("tf-contract"), terraform, plugin_dir))


# ------------------------------------------------------------------ what CI prints at the end of the run
_SUMMARY: dict[str, str] = {}


@pytest.fixture(scope="session")
def ci_summary() -> Callable[[str, str], None]:
    """Record a figure for the end-of-run summary (checkov counts, cfn-lint findings, ...)."""

    def record(name: str, value: str) -> None:
        _SUMMARY[name] = value

    return record


def pytest_terminal_summary(terminalreporter: Any, exitstatus: int, config: Any) -> None:
    """Print the counts the issues ask CI to show: Terraform tests run, checkov and cfn-lint figures."""
    counts = dict.fromkeys(("passed", "failed", "skipped"), 0)
    for outcome in counts:
        for report in terminalreporter.stats.get(outcome, []):
            counted_phase = report.when == "call" or outcome != "passed"  # a skip or error can come at setup
            if "terraform" in report.keywords and counted_phase:
                counts[outcome] += 1
    terminalreporter.section("fuelflow figures")
    terminalreporter.write_line(f"terraform tests: {counts['passed']} passed, {counts['failed']} failed, "
                                f"{counts['skipped']} skipped")
    for name, value in sorted(_SUMMARY.items()):
        terminalreporter.write_line(f"{name}: {value}")
