"""Terraform's JSON (`terraform show -json`, `terraform output -json`) reduced to what fuelflow shows and
guards: the changes per action, what a change touches, data it would lose, outputs without secrets."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from typing import Any

# Resources whose replacement or deletion loses data: a plan that does so is called out.
STATEFUL_TYPES = ("aws_db_instance", "aws_rds_cluster", "aws_s3_bucket", "aws_dynamodb_table",
                  "aws_ebs_volume", "aws_secretsmanager_secret")


def _changes(plan: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    for change in plan.get("resource_changes", []):
        if change.get("mode") != "managed":
            continue
        actions = change.get("change", {}).get("actions", [])
        if "create" in actions and "delete" in actions:
            yield "replace", change
        elif actions in (["create"], ["update"], ["delete"]):
            yield actions[0], change


def plan_summary(plan: dict[str, Any]) -> dict[str, list[str]]:
    """`terraform show -json <plan>` reduced to the addresses per action: create, update, replace, delete."""
    summary: dict[str, list[str]] = {"create": [], "update": [], "replace": [], "delete": []}
    for kind, change in _changes(plan):
        summary[kind].append(change["address"])
    return summary


MAX_CREATE_LINES = 12  # more creates than this are counted per module (a first deploy), not listed


def _any_true(value: Any) -> bool:
    """`after_unknown` marks unknown values with true, nested like the value itself."""
    if isinstance(value, dict):
        return any(_any_true(v) for v in value.values())
    if isinstance(value, list):
        return any(_any_true(v) for v in value)
    return value is True


def plan_details(plan: dict[str, Any]) -> list[dict[str, Any]]:
    """Per changed resource: its action and which attributes change (what forces a replacement)."""
    details = []
    for kind, change in _changes(plan):
        body = change.get("change", {})
        before, after = body.get("before") or {}, body.get("after") or {}
        unknown = body.get("after_unknown") or {}
        changed = sorted(k for k in set(before) | set(after) | set(unknown)
                         if before.get(k) != after.get(k) or _any_true(unknown.get(k)))
        details.append({"address": change["address"], "type": change.get("type"), "action": kind,
                        "attributes": changed if kind in ("update", "replace") else [],
                        "replace_paths": body.get("replace_paths", [])})
    return details


def _path_text(path: Any) -> str:
    return ".".join(str(p) for p in path) if isinstance(path, list) else str(path)


def change_lines(details: list[dict[str, Any]]) -> list[str]:
    """One line per planned change, replacements first: "REPLACE <address> (forced by: cidr_block)",
    "update <address>: instance_class, multi_az", "create ...", "delete ..." (many creates: counted per
    module). Built from the plan
    JSON's actions (`-/+` and `+/-` are both a replacement) and `replace_paths`."""
    order = {"replace": 0, "delete": 1, "update": 2, "create": 3}
    lines = []
    creates = [d for d in details if d["action"] == "create"]
    if len(creates) > MAX_CREATE_LINES:  # a first deploy: one line per module, not one per resource
        details = [d for d in details if d["action"] != "create"]
    for d in sorted(details, key=lambda d: (order.get(d["action"], 9), d["address"])):
        if d["action"] == "replace":
            forced = sorted({_path_text(p) for p in d.get("replace_paths") or []})
            lines.append(f"REPLACE {d['address']} (deleted and created anew"
                         + (f"; forced by: {', '.join(forced)})" if forced else ")"))
        elif d["action"] == "update":
            attributes = [a for a in d.get("attributes", []) if a not in ("tags_all",)] or d.get("attributes", [])
            lines.append(f"update {d['address']} in place: {', '.join(attributes)}")
        else:
            lines.append(f"{d['action']} {d['address']}")
    if len(creates) > MAX_CREATE_LINES:
        modules = Counter(".".join(d["address"].split(".")[:2]) if d["address"].startswith("module.") else "(root)"
                          for d in creates)
        lines.append(f"create {len(creates)} resources: "
                     + ", ".join(f"{m} {n}" for m, n in sorted(modules.items())))
    return lines


def data_loss(plan: dict[str, Any]) -> list[str]:
    """Stateful resources (databases, buckets, tables...) a plan replaces or deletes: "replace <address>"."""
    return [f"{kind} {change['address']}" for kind, change in _changes(plan)
            if kind in ("replace", "delete") and change.get("type") in STATEFUL_TYPES]


def state_resources(module: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """Managed resources of `terraform show -json` state values, child modules included."""
    for resource in module.get("resources", []):
        if resource.get("mode") == "managed":
            yield resource
    for child in module.get("child_modules", []):
        yield from state_resources(child)


def redact_outputs(raw: dict[str, Any]) -> dict[str, Any]:
    """`terraform output -json` to {name: value}, sensitive values replaced (never printed)."""
    return {name: "(sensitive)" if o.get("sensitive") else o.get("value") for name, o in raw.items()}
