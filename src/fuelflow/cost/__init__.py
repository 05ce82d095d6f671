"""`fuelflow cost`: what an environment costs per month, computed from what the code would create.

    resources = cloudformation_resources(project, env)     # or terraform_resources(project, env)
    est = estimate(resources, env, prices=load_prices(), usage=load_usage(env.tier, env.name))

The price table (prices/<date>.yaml), the usage assumptions (usage.yaml) and the original document's
estimate (document.yaml) are data shipped with the package; the pricers are pure functions (pricers.py).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fuelflow.config import Environment
from fuelflow.cost.extract import Raw, cfn_group, from_cloudformation, from_terraform, tf_group
from fuelflow.cost.model import Line, PriceTable, Resource, Usage, load_prices, load_usage
from fuelflow.cost.pricers import PRICERS, price

__all__ = [
    "ENGINES",
    "Estimate",
    "FreeTierLine",
    "Line",
    "Resource",
    "cloudformation_resources",
    "estimate",
    "load_prices",
    "load_usage",
    "terraform_resources",
]

ENGINES = ("cloudformation", "terraform")
ACCOUNT_ID = "111122223333"  # the placeholder account of the parity models: the templates' real-AWS branch


def cloudformation_resources(project_dir: Path, env: Environment) -> list[Resource]:
    """What the CloudFormation path would create for `env`: templates evaluated, conditions resolved."""
    from fuelflow.cfn_eval import evaluate_project

    evaluated = evaluate_project(Path(project_dir), env, ACCOUNT_ID).resources()
    return from_cloudformation([Raw(r.type, r.key, cfn_group(r.template), r.properties) for r in evaluated],
                               env.project, env.name)


def terraform_resources(project_dir: Path, env: Environment, plugin_dir: Path | None = None) -> list[Resource]:
    """What the Terraform path would create for `env`: the root module planned with the mock provider."""
    from fuelflow.parity.terraform import planned_resources

    planned = planned_resources(Path(project_dir), env, plugin_dir)
    return from_terraform([Raw(r.type, r.key, tf_group(r.key), r.props) for r in planned], env.project, env.name)


def plan_json_resources(resource_changes: list[dict[str, Any]], side: str, project: str,
                        env: str) -> list[Resource]:
    """The resources of a Terraform plan JSON's resource_changes on one side ("before" or "after")."""
    raws = [Raw(c["type"], c["address"], tf_group(c["address"]), c["change"][side])
            for c in resource_changes
            if c.get("mode", "managed") == "managed" and isinstance(c.get("change", {}).get(side), dict)]
    return from_terraform(raws, project, env)


@dataclass(frozen=True)
class FreeTierLine:
    meter: str
    quantity: float
    unit: str
    usd: float
    scope: str


@dataclass
class Estimate:
    env: str
    engine: str
    region: str
    prices: PriceTable
    lines: list[Line]
    usage: Usage
    free_tier: list[FreeTierLine] = field(default_factory=list)
    unpriced: dict[str, int] = field(default_factory=dict)

    @property
    def total(self) -> float:
        return sum(line.monthly for line in self.lines)

    def by_group(self) -> dict[str, float]:
        out: dict[str, float] = {}
        for line in self.lines:
            out[line.group] = out.get(line.group, 0.0) + line.monthly
        return out

    def by_meter(self) -> dict[str, float]:
        out: dict[str, float] = {}
        for line in self.lines:
            out[line.meter] = out.get(line.meter, 0.0) + line.monthly
        return out

    def to_json(self) -> dict[str, Any]:
        return {
            "environment": self.env, "engine": self.engine, "region": self.region, "currency": "USD",
            "price_table": {"version": self.prices.version, "path": self.prices.path},
            "total_monthly": round(self.total, 2),
            "groups": {g: round(v, 2) for g, v in sorted(self.by_group().items())},
            "lines": [line.to_json() for line in self.lines],
            "assumptions": {k: self.usage.values[k] for k in sorted(self.usage.used)},
            "free_tier_not_subtracted": [{"meter": f.meter, "quantity": f.quantity, "unit": f.unit,
                                          "monthly": round(f.usd, 2), "scope": f.scope} for f in self.free_tier],
            "free_tier_total": round(sum(f.usd for f in self.free_tier), 2),
            "resources_without_own_charge": dict(sorted(self.unpriced.items())),
            "sources": {s: dict(v) for s, v in sorted(self.prices.sources.items())},
        }


def free_tier(lines: list[Line], table: PriceTable) -> list[FreeTierLine]:
    """What the free tier could cover of these lines (shown beside the total, never subtracted)."""
    out = []
    for ft in table.free_tier:
        left, usd = ft.quantity, 0.0
        for line in lines:
            if line.meter != ft.meter or (ft.match and line.key not in ft.match) or left <= 0:
                continue
            take = min(left, line.quantity)
            left -= take
            usd += take * line.unit_price
        if usd > 0:
            out.append(FreeTierLine(ft.meter, ft.quantity - left, ft.unit, usd, ft.scope))
    return out


def estimate(resources: list[Resource], env: Environment, engine: str, prices: PriceTable, usage: Usage,
             region: str | None = None) -> Estimate:
    """Price `resources` for `env` in `region` (default: the environment's)."""
    region = region or env.region
    p = prices.region(region)
    lines = price(resources, p, usage)
    unpriced = Counter(str(r.attrs.get("type", r.kind)) for r in resources if r.kind not in PRICERS)
    return Estimate(env.name, engine, region, prices, lines, usage, free_tier(lines, prices), dict(unpriced))
