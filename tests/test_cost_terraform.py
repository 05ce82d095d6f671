"""fuelflow cost through the Terraform path (the root module planned with the mock provider, offline): both
engines give the same total for the same environment, and one changed value moves the Terraform total by
exactly its priced difference, as it moves the CloudFormation total (tests/test_cost.py)."""

from __future__ import annotations

import shutil
from functools import cache
from pathlib import Path

import pytest

from env_copy import ROOT, project_with
from fuelflow import parity
from fuelflow.config import load_environment
from fuelflow.cost import cloudformation_resources, estimate, load_prices, load_usage, terraform_resources

TERRAFORM_MISSING = parity.terraform_available()
pytestmark = [pytest.mark.terraform, pytest.mark.skipif(
    TERRAFORM_MISSING is not None, reason=f"SKIPPED: the Terraform plan needs terraform and the hashicorp/aws "
                                          f"provider: {TERRAFORM_MISSING}")]


def _estimate(project: Path, env_name: str, engine: str) -> tuple[float, dict[str, float]]:
    env = load_environment(project, env_name)
    resources = (terraform_resources if engine == "terraform" else cloudformation_resources)(project, env)
    est = estimate(resources, env, engine, load_prices(), load_usage(env.tier, env.name))
    return est.total, est.by_meter()


@cache
def _tf(project: Path, env_name: str) -> tuple[float, dict[str, float]]:
    return _estimate(project, env_name, "terraform")


@pytest.mark.parametrize("env", ["dev", "prod"])
def test_both_engines_give_the_same_total(env: str) -> None:
    cfn_total, cfn_meters = _estimate(ROOT, env, "cloudformation")
    tf_total, tf_meters = _tf(ROOT, env)
    assert tf_total == pytest.approx(cfn_total, abs=0.01)
    differ = {m: (cfn_meters.get(m), tf_meters.get(m)) for m in set(cfn_meters) | set(tf_meters)
              if abs(cfn_meters.get(m, 0.0) - tf_meters.get(m, 0.0)) >= 0.005}
    assert not differ, f"the engines price {env} differently per meter: {differ}"


CHANGES = [
    ({"ec2.instance_type": "t3.small"}, 730 * (0.0208 - 0.0104)),
    ({"rds.multi_az": True}, 730 * 0.017 + 20 * 0.115),
    ({"ec2.instance_count": 3}, 2 * (730 * 0.0104 + 20 * 0.08 + 730 * 0.005 + 0.10)),
]


@pytest.mark.parametrize(("changes", "delta"), CHANGES, ids=[",".join(c) for c, _ in CHANGES])
def test_one_value_changes_the_terraform_total_by_its_price(tmp_path: Path, changes: dict[str, object],
                                                            delta: float) -> None:
    base, _ = _tf(ROOT, "dev")
    project = project_with(tmp_path, changes)
    (project / "terraform").unlink()  # a copy: the module walk resolves paths inside the project
    shutil.copytree(ROOT / "terraform", project / "terraform",
                    ignore=shutil.ignore_patterns(".terraform", "*.tfstate*", "tests"))
    changed, _ = _estimate(project, "dev", "terraform")
    assert changed - base == pytest.approx(delta, abs=1e-9)
