"""The monthly cost change of what `fuelflow diff` / `fuelflow tf plan` would apply: both sides priced with
the same table and assumptions, compared per resource (group + name)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fuelflow.config import Environment
from fuelflow.cost.model import Line, Resource, load_prices, load_usage
from fuelflow.cost.pricers import price


@dataclass(frozen=True)
class ResourceDelta:
    group: str
    resource: str
    before: float
    after: float

    @property
    def change(self) -> float:
        return self.after - self.before


@dataclass(frozen=True)
class CostDelta:
    before: float
    after: float
    changed: list[ResourceDelta]

    @property
    def change(self) -> float:
        return self.after - self.before

    def to_json(self) -> dict[str, Any]:
        return {"currency": "USD", "monthly_before": round(self.before, 2), "monthly_after": round(self.after, 2),
                "monthly_change": round(self.change, 2),
                "resources": [{"group": d.group, "resource": d.resource, "monthly_before": round(d.before, 2),
                               "monthly_after": round(d.after, 2), "monthly_change": round(d.change, 2)}
                              for d in self.changed]}

    def summary(self) -> str:
        return f"monthly cost: ${self.before:,.2f} -> ${self.after:,.2f} ({_signed(self.change)}/month)"

    def rows(self) -> list[list[str]]:
        return [[d.group, d.resource, f"${d.before:,.2f}", f"${d.after:,.2f}", _signed(d.change)]
                for d in self.changed]


def _signed(value: float) -> str:
    return f"{'+' if value >= 0 else '-'}${abs(value):,.2f}"


def _per_resource(lines: list[Line]) -> dict[tuple[str, str], float]:
    out: dict[tuple[str, str], float] = {}
    for line in lines:
        key = (line.group, line.resource)
        out[key] = out.get(key, 0.0) + line.monthly
    return out


def compare(before: list[Resource], after: list[Resource], env: Environment, region: str | None = None,
            prices: Path | None = None, usage: Path | None = None) -> CostDelta:
    """Price both sides for `env` (same table, same assumptions) and list the resources whose cost changes."""
    table = load_prices(prices).region(region or env.region)
    b = _per_resource(price(before, table, load_usage(env.tier, env.name, usage)))
    a = _per_resource(price(after, table, load_usage(env.tier, env.name, usage)))
    changed = [ResourceDelta(g, n, b.get((g, n), 0.0), a.get((g, n), 0.0)) for g, n in sorted(set(a) | set(b))
               if abs(a.get((g, n), 0.0) - b.get((g, n), 0.0)) >= 0.005]
    return CostDelta(sum(b.values()), sum(a.values()), changed)


def deployed_cloudformation_resources(cfn: Any, env: Environment, stacks: list[tuple[str, str, str]]) -> list[Resource]:
    """What the deployed stacks hold: each stack's current template (GetTemplate, Original stage) evaluated
    with its current parameters (DescribeStacks). `stacks`: (part, stack name, template file name); a stack
    that does not exist contributes nothing."""
    from cfnlint.decode import decode_str

    from fuelflow.cfn_eval import ProjectEvaluation, StackEvaluation
    from fuelflow.cost import ACCOUNT_ID
    from fuelflow.cost.extract import Raw, cfn_group, from_cloudformation
    from fuelflow.templates import Template

    project = ProjectEvaluation([], env, ACCOUNT_ID)
    for part, name, file_name in stacks:
        try:
            described = cfn.describe_stacks(StackName=name)["Stacks"][0]
        except Exception as exc:  # botocore ClientError: "Stack with id X does not exist"
            if "does not exist" in str(exc):
                continue
            raise
        if str(described.get("StackStatus", "")).startswith(("DELETE_COMPLETE", "REVIEW_IN_PROGRESS")):
            continue
        body = cfn.get_template(StackName=name, TemplateStage="Original")["TemplateBody"]
        if not isinstance(body, str):  # boto3 decodes a JSON body into a dict
            import json

            body = json.dumps(body)
        data, _ = decode_str(body)
        if not isinstance(data, dict):
            continue
        params = {p["ParameterKey"]: p.get("ParameterValue", "") for p in described.get("Parameters", [])}
        template = Template(part=part, path=Path(file_name), body=body, data=data)
        project.stacks.append(StackEvaluation(project, template, params))
    evaluated = project.resources()
    return from_cloudformation([Raw(r.type, r.key, cfn_group(r.template), r.properties) for r in evaluated],
                               env.project, env.name)


def cloudformation_change(project_dir: Path, env: Environment, stacks: list[tuple[str, str, str]], cfn: Any,
                          region: str | None = None) -> CostDelta:
    """The monthly cost change of deploying the templates to `stacks` (part, stack name, template file name):
    the deployed stacks' templates and parameters priced against the project's templates for `env`."""
    from fuelflow.cost import cloudformation_resources

    parts = {part for part, _, _ in stacks}
    after = [r for r in cloudformation_resources(project_dir, env) if r.group in parts]
    before = [r for r in deployed_cloudformation_resources(cfn, env, stacks) if r.group in parts]
    return compare(before, after, env, region)


def terraform_change(resource_changes: list[dict[str, Any]], env: Environment,
                     region: str | None = None) -> CostDelta:
    """The monthly cost change of a Terraform plan: its resource_changes' `before` against their `after`."""
    from fuelflow.cost import plan_json_resources

    before = plan_json_resources(resource_changes, "before", env.project, env.name)
    after = plan_json_resources(resource_changes, "after", env.project, env.name)
    return compare(before, after, env, region)
