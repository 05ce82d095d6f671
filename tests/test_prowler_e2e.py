"""Prowler, the independent audit, on dev and prod deployed side by side on the embedded emulator: every Prowler
FAIL on a resource of either environment is fixed or explained in security/exceptions.yaml, and no exception there
is stale (docs/decisions.md section 16). One Prowler scan serves both environments (it costs 2-3 minutes).

Prowler runs from its own virtual environment (.venv-prowler, `bash scripts/bootstrap.sh --test`); without it the
test skips, and fails under FUELFLOW_REQUIRE=prowler (CI).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from cli_process import run_captured
from fuelflow.audit import prowler as P
from fuelflow.audit.exceptions import load
from fuelflow.aws import AwsContext, Target, connect
from fuelflow.config import load_environment
from fuelflow.emulator import Emulator

ROOT = Path(__file__).resolve().parents[1]
ENVIRONMENTS = ("dev", "prod")
pytestmark = [pytest.mark.emulator, pytest.mark.prowler]


@pytest.fixture(scope="module")
def deployed(fresh_emulator: Emulator) -> Iterator[tuple[AwsContext, P.Scan]]:
    prowler = P.find_prowler(ROOT)
    if prowler is None:
        pytest.skip(f"prowler not found: {P.PROWLER_FIX}")
    url = fresh_emulator.endpoint_url
    for env in ENVIRONMENTS:
        code, _, err = run_captured("-C", str(ROOT), "deploy", "--env", env, "--yes", "--endpoint-url", url)
        assert code == 0, err[-4000:]
    aws = connect(Target(kind="local", endpoint_url=url), load_environment(ROOT, "dev").region)
    yield aws, P.scan(aws, ROOT)
    aws.close()
    fresh_emulator.reset()


@pytest.mark.parametrize("env_name", ENVIRONMENTS)
def test_every_prowler_fail_on_the_environment_is_fixed_or_explained(
        deployed: tuple[AwsContext, P.Scan], env_name: str, ci_summary: Callable[[str, str], None]) -> None:
    aws, scan = deployed
    env = load_environment(ROOT, env_name)
    result = P.judge(aws, scan, env.name, env.project, ROOT, load(ROOT / "security" / "exceptions.yaml"))
    counts = result.counts()
    kinds = ", ".join(f"{n} {k}" for k, n in counts["by_kind"].items())
    ci_summary(f"prowler {env_name}", f"{counts['checks_run']} checks, {counts['fail']} FAIL, "
                                      f"{counts['fail_on_project_resources']} on {env_name}'s resources ({kinds}), "
                                      f"scan {counts['seconds']} s")
    assert counts["checks_run"] > 200 and counts["findings"] > 0  # Prowler really ran, for every service
    assert result.project_fails, "no FAIL attributed to the environment: is the environment recognised at all?"
    assert result.ok, "\n".join(result.problems())
