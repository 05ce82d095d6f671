"""Shared fixtures: the project root, one embedded emulator per test process, a plain moto server.

Markers say what a test costs (pyproject.toml): `emulator` starts an emulator (directly or through the CLI),
`terraform` runs terraform with the hashicorp/aws provider, `checkov` runs checkov; a pure unit test has none.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from fuelflow.aws import AwsContext, Target, connect
from fuelflow.emulator import Emulator, free_port, set_faults, wait_until_reachable
from fuelflow.errors import InputError
from fuelflow.tf.toolchain import PLUGIN_DIR_ENV, Toolchain
from require_tools import (  # noqa: F401 - the FUELFLOW_REQUIRE hooks, registered by importing them here
    pytest_configure,
    pytest_report_header,
    pytest_runtest_makereport,
)
from tf_workspace import TfRoot, Workspace

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session")
def project_dir() -> Path:
    """The repository root (holds environments/, cloudformation/, terraform/)."""
    return ROOT


EMULATOR_FIXTURES = frozenset({"emulator", "fresh_emulator", "aws", "plain_moto", "url"})


@pytest.fixture(autouse=True)
def _emulator_tests_say_so(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    """A test that starts an emulator (a fixture, or the CLI without --endpoint-url) must be marked `emulator`:
    the marker is what `-m "not emulator"` trusts to leave only fast tests."""
    if request.node.get_closest_marker("emulator") is not None:
        return
    used = sorted(EMULATOR_FIXTURES & set(request.fixturenames))
    if used:
        pytest.fail(f"{request.node.nodeid} uses {', '.join(used)} but is not marked emulator", pytrace=False)

    def refuse(self: Emulator) -> Emulator:
        pytest.fail(f"{request.node.nodeid} starts an emulator but is not marked emulator", pytrace=False)

    monkeypatch.setattr(Emulator, "start", refuse)


@pytest.fixture(scope="session")
def emulator() -> Iterator[Emulator]:
    """One moto server on 127.0.0.1 for the whole test process."""
    with Emulator() as emu:
        yield emu


@pytest.fixture(scope="session")
def plain_moto() -> Iterator[str]:
    """A moto server without fuelflow's fixes (they patch this process, so it runs in its own): its URL."""
    port = free_port()
    env = {**os.environ, "MOTO_IAM_LOAD_MANAGED_POLICIES": "true"}
    proc = subprocess.Popen([sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until_reachable(url, timeout=60)
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=30)


@pytest.fixture
def url(emulator: Emulator) -> Iterator[str]:
    """The shared emulator, emptied, without injected faults before and after: its URL."""
    emulator.reset()
    set_faults(emulator.endpoint_url, [])
    yield emulator.endpoint_url
    set_faults(emulator.endpoint_url, [])


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

@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Workspace]:
    try:
        toolchain = Toolchain.resolve()
    except InputError as exc:
        pytest.skip(f"SKIPPED (terraform or the provider mirror): {exc.one_line()}")
    if toolchain.plugin_dir is None:
        pytest.skip(f"SKIPPED (provider mirror missing): no filesystem mirror of hashicorp/aws found; "
                    f"set {PLUGIN_DIR_ENV}")
    yield Workspace(tmp_path_factory.mktemp("tf"), toolchain)


@pytest.fixture(scope="module")
def tf_root(workspace: Workspace) -> TfRoot:
    """The workspace, running generated `terraform test` files."""
    return TfRoot(workspace)


# ------------------------------------------------------------------ what CI prints at the end of the run
_SUMMARY: dict[str, str] = {}


@pytest.fixture(scope="session")
def ci_summary() -> Callable[[str, str], None]:
    """Record a figure for the end-of-run summary (checkov counts, cfn-lint findings, ...)."""

    def record(name: str, value: str) -> None:
        _SUMMARY[name] = value

    return record


# The longest files start first, so that under pytest-xdist (one file per process) they overlap each other
# instead of trailing at the end of the run.
# Files in the order they start under xdist (pyproject: --no-loadscope-reorder; xdist would otherwise start the
# files with the most tests first, and the one-test Terraform scenarios last): the longest first.
# Measured in a full `.ci/run` (pytest --durations; file totals): 712 s, 356, 305, 297, 283, 220, 213, 197, 116,
# 106, 93, then the CloudFormation scenarios.
SLOW_FIRST = ("test_terraform_e2e.py", "test_recreate_tf.py", "test_new_environment_e2e.py", "test_prod_e2e_tf.py",
              "test_contract.py", "test_terraform_static.py", "test_web_tier.py", "test_contract_property.py",
              "test_parity.py", "test_prowler_e2e.py", "test_cost_terraform.py", "test_recreate_cfn.py",
              "test_interrupt_cli.py", "test_faults.py", "test_deploy_emulator.py", "test_lock.py",
              "test_lifecycle_cfn_failures.py", "test_lifecycle_cfn_rds.py", "test_upgrade_sg_move.py")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    def rank(item: pytest.Item) -> int:
        name = item.path.name
        return SLOW_FIRST.index(name) if name in SLOW_FIRST else len(SLOW_FIRST)

    items.sort(key=rank)  # stable: the order inside a file is kept


def pytest_sessionfinish(session: pytest.Session) -> None:
    """Under pytest-xdist, a worker hands its figures to the controller, which prints the summary."""
    workeroutput = getattr(session.config, "workeroutput", None)
    if workeroutput is not None:
        workeroutput["fuelflow_summary"] = dict(_SUMMARY)


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node: Any, error: Any) -> None:
    _SUMMARY.update(getattr(node, "workeroutput", {}).get("fuelflow_summary", {}))


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
