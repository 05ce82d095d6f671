"""prod, the production profile, deployed by Terraform on the emulator: the same checks as the CloudFormation
twin (tests/test_prod_e2e_cfn.py, tests/prod_checks), the audit passes, a second plan is empty, and the
guarded destroy takes it down. One bootstrap, one apply, one destroy (minutes on the emulator)."""

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
from test_terraform_e2e import MISSING

ROOT = Path(__file__).resolve().parents[1]
pytestmark = [pytest.mark.terraform, pytest.mark.emulator,
              pytest.mark.skipif(MISSING is not None, reason=f"Terraform end-to-end tests need: {MISSING}")]


@pytest.fixture(scope="module")
def prod(fresh_emulator: Emulator, ci_summary: Any) -> Iterator[tuple[AwsContext, Environment, dict[str, Any]]]:
    import time

    env = load_environment(ROOT, "prod")
    url = fresh_emulator.endpoint_url
    code, _, err = run_captured("-C", str(ROOT), "tf", "bootstrap", "--env", "prod", "--endpoint-url", url)
    assert code == 0, err[-4000:]
    start = time.monotonic()
    code, out, err = run_captured("-C", str(ROOT), "deploy", "--env", "prod", "--engine", "terraform", "--yes",
                                  "--endpoint-url", url, "-o", "json")
    ci_summary("terraform prod apply on the emulator", f"{time.monotonic() - start:.0f}s")
    assert code == 0, err[-4000:]
    yield connect(Target(kind="local", endpoint_url=url), env.region), env, json.loads(out)
    fresh_emulator.reset()


@pytest.mark.parametrize("check", [pytest.param(c, id=n) for n, c in all_checks()])
def test_prod_reads_back(prod: tuple[AwsContext, Environment, dict[str, Any]], check: Check) -> None:
    aws, env, _ = prod
    check(aws, env)


def test_prod_passes_the_audit(prod: tuple[AwsContext, Environment, dict[str, Any]], emulator: Emulator) -> None:
    code, out, err = run_captured("-C", str(ROOT), "audit", "--env", "prod", "--engine", "terraform",
                                  "--endpoint-url", emulator.endpoint_url, "-o", "json")
    report = json.loads(out)
    failed = [r for r in report["results"] if r["status"] == "failed"]
    assert code == 0 and not failed and report["result_count"] > 0, (failed, err[-2000:])


def test_prod_plan_after_apply_is_empty(prod: tuple[AwsContext, Environment, dict[str, Any]],
                                        emulator: Emulator) -> None:
    code, out, err = run_captured("-C", str(ROOT), "tf", "plan", "--env", "prod", "--endpoint-url",
                                  emulator.endpoint_url, "-o", "json")
    assert code == 0, err[-3000:]
    plan = json.loads(out)
    assert plan["changes"] == [], out[-3000:]


def test_prod_destroy_on_purpose(prod: tuple[AwsContext, Environment, dict[str, Any]], emulator: Emulator) -> None:
    code, _, err = run_captured("-C", str(ROOT), "destroy", "--env", "prod", "--engine", "terraform", "--force",
                                "--disable-deletion-protection", "--confirm", "prod", "--endpoint-url",
                                emulator.endpoint_url)
    assert code == 0, err[-3000:]
    rds = prod[0].client("rds")
    assert rds.describe_db_instances()["DBInstances"] == []
