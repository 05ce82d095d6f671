"""The deployment plan (the first half of the engine, as in Sceptre): which stacks, in which waves,
with which parameters and tags. Pure data: printed by `fuelflow plan`, tested without AWS."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fuelflow.cfn_eval import active_resources
from fuelflow.config import Environment
from fuelflow.errors import InputError
from fuelflow.graph import StackGraph, build_graph, export_removal_edges
from fuelflow.templates import Template, discover_templates, find_imports, resolve_name

ACCOUNT_PLACEHOLDER = "${AWS::AccountId}"  # export names are matched before we know the account
EVERY_RESOURCE_OFF = "every resource of its template is excluded by its Condition"


@dataclass(frozen=True)
class StackPlan:
    """One stack to deploy."""

    part: str
    name: str
    template: Template = field(repr=False)
    parameters: dict[str, str]
    tags: dict[str, str]
    depends_on: tuple[str, ...]
    # The export names its template defines, and those it imports with these parameters (resolved).
    exports: tuple[str, ...] = ()
    imports: tuple[str, ...] = ()
    # Why this environment gets no such stack ("" = it does): every resource is conditioned out, which
    # CloudFormation cannot hold as a stack (DECISIONS 14.5). Deploy skips it, or deletes it if it exists.
    nothing: str = ""

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "part": self.part,
            "stack": self.name,
            "template": str(self.template.path),
            "parameters": self.parameters,
            "depends_on": list(self.depends_on),
        }
        if self.nothing:
            out["nothing_to_deploy"] = self.nothing
        return out


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
        """The waves list only stacks that create something; `nothing_to_deploy` names the others and why."""
        waves = [[n for n in w if n in self.selected and not self.stacks[n].nothing] for w in self.waves]
        return {
            "environment": self.env.name,
            "region": self.env.region,
            "waves": [w for w in waves if w],
            "stacks": [s.to_dict() for s in self.ordered()],
            "nothing_to_deploy": {s.name: s.nothing for s in self.ordered() if s.nothing},
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


def nothing_to_deploy(env: Environment, template: Template, parameters: dict[str, str]) -> str:
    """Why a stack of `template` would create nothing with these parameters, or "" when it creates something.

    The template may say why in its Metadata (`fuelflow: {nothing_to_deploy: ...}`), e.g. "edge options off".
    """
    active = active_resources(env, template, parameters)
    if any(active.values()):
        return ""
    said = ((template.data.get("Metadata") or {}).get("fuelflow") or {}).get("nothing_to_deploy")
    return str(said) if said else EVERY_RESOURCE_OFF


def _live_imports(env: Environment, template: Template, parameters: dict[str, str]) -> list[Any]:
    """The Fn::ImportValue arguments of the resources these parameters create and of unconditional outputs
    (a conditioned-out resource's imports are never resolved, so they need not exist)."""
    active = active_resources(env, template, parameters)
    found = [i for lid, res in template.resources.items() if active.get(lid) for i in find_imports(res)]
    found += [i for out in (template.data.get("Outputs") or {}).values()
              if not (out or {}).get("Condition") for i in find_imports(out)]
    return found


def build_plan(project_dir: Path, env: Environment, only: Iterable[str] = (),
               region: str | None = None) -> Plan:
    """Read the templates, derive the graph from exports/imports, and assign parameters."""
    templates = discover_templates(project_dir)
    env_params = env.cfn_parameters()
    by_name: dict[str, Template] = {env.stack_name(t.part): t for t in templates}
    parameters = {name: stack_parameters(t, env_params, name) for name, t in by_name.items()}
    nothing = {name: nothing_to_deploy(env, t, parameters[name]) for name, t in by_name.items()}
    exports: dict[str, list[str]] = {}
    imports: dict[str, list[str]] = {}
    live: dict[str, list[str]] = {}  # the imports CloudFormation resolves with these parameters
    for name, t in by_name.items():
        variables = {**env_params, "AWS::StackName": name, "AWS::Region": region or env.region,
                     "AWS::AccountId": ACCOUNT_PLACEHOLDER, "AWS::Partition": "aws"}
        exports[name] = [resolve_name(e, variables, f"{t.path} (Outputs)") for e in t.exports().values()]
        # A stack that creates nothing here imports nothing either (what it would import may not exist).
        imports[name] = [] if nothing[name] else [
            resolve_name(i, variables, f"{t.path} (Fn::ImportValue)") for i in t.imports()]
        live[name] = [] if nothing[name] else [
            resolve_name(i, variables, f"{t.path} (Fn::ImportValue)") for i in _live_imports(env, t, parameters[name])]
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
            parameters=parameters[name],
            tags=env.stack_tags(),
            depends_on=tuple(sorted(graph.dependencies(name))),
            exports=tuple(exports[name]),
            imports=tuple(sorted(set(live[name]))),
            nothing=nothing[name],
        )
        for name, t in by_name.items()
    }
    for name, sp in stacks.items():
        empty = [d for d in sp.depends_on if nothing[d]]
        if empty and not sp.nothing:
            raise InputError(f"{name} imports from {', '.join(empty)}, which creates nothing for {env.name} "
                             f"({nothing[empty[0]]})",
                             "switch the option on in the environment file, or make the import conditional too")
    return Plan(env=env, stacks=stacks, graph=graph, waves=waves, selected=frozenset(selected))


def export_removal_order(plan: Plan, deployed: Mapping[str, Mapping[str, Any] | None],
                         importers_of: Callable[[str], Iterable[str]]) -> dict[str, set[str]]:
    """Which selected stacks must wait for which, because their update removes an export still imported.

    `deployed`: DescribeStacks of the selected stacks (None = not deployed); `importers_of(export)`: the
    stacks importing it today (ListImports, or the deployed templates). Returns stack -> the importers to
    update first. Asked only for exports that actually go away, so a deploy that removes none costs nothing.

    Refuses (InputError, before anything changes) when an importer is outside this deploy (it would keep
    importing it: AWS would fail the update half-way), or when the importer itself needs the producer
    updated first (a cycle: no single deploy can do it).
    """
    removed: dict[str, list[str]] = {}
    for sp in plan.ordered():
        state = deployed.get(sp.name)
        if state is None or sp.nothing:  # new stacks remove nothing; empty stacks are deleted before all else
            continue
        today = {str(o["ExportName"]) for o in state.get("Outputs", []) or [] if o.get("ExportName")}
        if gone := sorted(today - set(sp.exports)):
            removed[sp.name] = gone
    if not removed:
        return {}
    importers = {e: sorted(set(importers_of(e)) - {stack}) for stack, gone in removed.items() for e in gone}
    for stack, gone in removed.items():
        for export in gone:
            outside = [i for i in importers[export] if i not in plan.selected]
            if outside:
                raise InputError(
                    f"the new template of {stack} no longer exports {export}, which {', '.join(outside)} "
                    "still imports (AWS refuses to remove an export in use)",
                    f"deploy {', '.join(outside)} in the same run (drop --stack, or add --stack for it) so "
                    "that it stops importing it first")
    edges = export_removal_edges(removed, importers)
    selected = [n for n in plan.graph.nodes if n in plan.selected]
    order = StackGraph(nodes=selected, edges=[e for e in plan.graph.edges
                                              if e.producer in plan.selected and e.consumer in plan.selected])
    combined = order.with_edges(edges)
    if cycle := combined.find_cycle():  # a path from a stack through what it waits for, back to itself
        steps = set(itertools.pairwise(cycle))
        e = next((e for e in edges if (e.consumer, e.producer) in steps), edges[0])
        raise InputError(
            f"{e.consumer} stops exporting {e.export} while {e.producer} still imports it, and {e.producer} "
            f"needs {e.consumer} updated first: no single deploy can order that",
            f"deploy in two steps: first a version of {e.producer} that no longer imports {e.export}, "
            "then the rest")
    out: dict[str, set[str]] = {}
    for e in edges:
        out.setdefault(e.consumer, set()).add(e.producer)
    return out
