"""The deployment plan (the first half of the engine, as in Sceptre): which stacks, in which waves,
with which parameters and tags. Pure data: printed by `fuelflow plan`, tested without AWS."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fuelflow.config import Environment
from fuelflow.errors import InputError
from fuelflow.graph import StackGraph, build_graph
from fuelflow.templates import Template, discover_templates, resolve_name

ACCOUNT_PLACEHOLDER = "${AWS::AccountId}"  # export names are matched before we know the account


@dataclass(frozen=True)
class StackPlan:
    """One stack to deploy."""

    part: str
    name: str
    template: Template = field(repr=False)
    parameters: dict[str, str]
    tags: dict[str, str]
    depends_on: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        return {
            "part": self.part,
            "stack": self.name,
            "template": str(self.template.path),
            "parameters": self.parameters,
            "depends_on": list(self.depends_on),
        }


@dataclass(frozen=True)
class Plan:
    """All stacks of one environment, their graph and waves."""

    env: Environment
    stacks: dict[str, StackPlan]  # by stack name
    graph: StackGraph
    waves: list[list[str]]
    selected: frozenset[str]  # the stacks this command acts on (all, unless --stack was given)

    def ordered(self) -> list[StackPlan]:
        return [self.stacks[n] for wave in self.waves for n in wave if n in self.selected]

    def to_dict(self) -> dict[str, Any]:
        return {
            "environment": self.env.name,
            "region": self.env.region,
            "waves": [[n for n in w if n in self.selected] for w in self.waves],
            "stacks": [s.to_dict() for s in self.ordered()],
        }


def stack_parameters(template: Template, env_params: dict[str, str], stack: str) -> dict[str, str]:
    """The parameters the template declares, from the environment; defaults for the rest."""
    out: dict[str, str] = {}
    for name, decl in template.parameters.items():
        if name in env_params:
            out[name] = env_params[name]
        elif "Default" not in (decl or {}):
            raise InputError(f"{template.path}: parameter {name} of {stack} has no value",
                             "give it a Default, or map it from environments/*.yaml (docs/contract.md)")
    return out


def build_plan(project_dir: Path, env: Environment, only: Iterable[str] = (),
               region: str | None = None) -> Plan:
    """Read the templates, derive the graph from exports/imports, and assign parameters."""
    templates = discover_templates(project_dir)
    env_params = env.cfn_parameters()
    by_name: dict[str, Template] = {env.stack_name(t.part): t for t in templates}
    exports: dict[str, list[str]] = {}
    imports: dict[str, list[str]] = {}
    for name, t in by_name.items():
        variables = {**env_params, "AWS::StackName": name, "AWS::Region": region or env.region,
                     "AWS::AccountId": ACCOUNT_PLACEHOLDER, "AWS::Partition": "aws"}
        exports[name] = [resolve_name(e, variables, f"{t.path} (Outputs)") for e in t.exports().values()]
        imports[name] = [resolve_name(i, variables, f"{t.path} (Fn::ImportValue)") for i in t.imports()]
    graph = build_graph(exports, imports)
    waves = graph.waves()

    selected = set(by_name)
    wanted = list(only)
    if wanted:
        parts = {t.part: env.stack_name(t.part) for t in templates}
        selected = set()
        for w in wanted:
            if w in parts:
                selected.add(parts[w])
            elif w in by_name:
                selected.add(w)
            else:
                raise InputError(f"unknown stack {w!r}", f"use one of: {', '.join(sorted(parts))}")

    stacks = {
        name: StackPlan(
            part=t.part,
            name=name,
            template=t,
            parameters=stack_parameters(t, env_params, name),
            tags=env.stack_tags(),
            depends_on=tuple(sorted(graph.dependencies(name))),
        )
        for name, t in by_name.items()
    }
    return Plan(env=env, stacks=stacks, graph=graph, waves=waves, selected=frozenset(selected))
