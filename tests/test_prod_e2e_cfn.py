"""prod, the production profile, deployed by CloudFormation on the emulator: every prod check reads it back
(tests/prod_checks), the audit passes, and the guarded destroy takes it down.

One deploy per module; the Terraform twin is tests/test_prod_e2e_tf.py (its own file, so that pytest-xdist
runs the two side by side).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from cli_process import run_captured
from fuelflow.aws import AwsContext, Target, connect
from fuelflow.config import Environment, load_environment
from fuelflow.emulator import Emulator
from prod_checks import Check, all_checks

ROOT = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.emulator


@pytest.fixture(scope="module")
def prod(fresh_emulator: Emulator) -> Iterator[tuple[AwsContext, Environment, dict[str, Any]]]:
    env = load_environment(ROOT, "prod")
    url = fresh_emulator.endpoint_url
    code, out, err = run_captured("-C", str(ROOT), "deploy", "--env", "prod", "--yes", "--endpoint-url", url,
                                  "-o", "json")
    assert code == 0, err[-4000:]
    yield connect(Target(kind="local", endpoint_url=url), env.region), env, json.loads(out)
    fresh_emulator.reset()


@pytest.mark.parametrize("check", [pytest.param(c, id=n) for n, c in all_checks()])
def test_prod_reads_back(prod: tuple[AwsContext, Environment, dict[str, Any]], check: Check) -> None:
    aws, env, _ = prod
    check(aws, env)


def test_prod_passes_the_audit(prod: tuple[AwsContext, Environment, dict[str, Any]], emulator: Emulator) -> None:
    code, out, err = run_captured("-C", str(ROOT), "audit", "--env", "prod", "--endpoint-url",
                                  emulator.endpoint_url, "-o", "json")
    report = json.loads(out)
    failed = [r for r in report["results"] if r["status"] == "failed"]
    assert code == 0 and not failed and report["result_count"] > 0, (failed, err[-2000:])


def test_prod_redeploy_changes_nothing(prod: tuple[AwsContext, Environment, dict[str, Any]],
                                       emulator: Emulator) -> None:
    code, out, err = run_captured("-C", str(ROOT), "diff", "--env", "prod", "--endpoint-url",
                                  emulator.endpoint_url, "-o", "json")
    assert code == 0, err[-2000:]
    stacks = json.loads(out)["stacks"]
    assert {s["stack"] for s in stacks} == {s["stack"] for s in prod[2]["stacks"]}
    assert [s for s in stacks if s["kind"] != "none" or s["changes"]] == [], out[-3000:]


def test_prod_destroy_on_purpose(prod: tuple[AwsContext, Environment, dict[str, Any]], emulator: Emulator) -> None:
    code, _, err = run_captured("-C", str(ROOT), "destroy", "--env", "prod", "--force",
                                "--disable-deletion-protection", "--confirm", "prod", "--endpoint-url",
                                emulator.endpoint_url)
    assert code == 0, err[-3000:]
    stacks = prod[0].client("cloudformation").list_stacks()["StackSummaries"]
    assert all(s["StackStatus"] == "DELETE_COMPLETE" for s in stacks if s["StackName"].endswith("-prod"))
