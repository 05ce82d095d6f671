"""An audit's results, and how to print them: a table for people, JSON for scripts, SARIF for code scanning."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from fuelflow import __version__
from fuelflow.audit.registry import CONTROLS, Control, Engine, Result, Status, control_by_id
from fuelflow.errors import ExitCode
from fuelflow.output import Ui

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"


@dataclass
class Report:
    """The results of one audit, and how to print them for scripts (JSON) and code scanning (SARIF)."""

    environment: str
    project: str
    target: str
    engine: Engine
    account: str
    region: str
    results: list[Result]

    def count(self, status: Status) -> int:
        return sum(1 for r in self.results if r.status is status)

    @property
    def summary(self) -> dict[str, int]:
        return {s.value: self.count(s) for s in Status}

    @property
    def controls(self) -> int:
        """How many controls were evaluated (each yields one result per resource it applies to)."""
        return len({r.control_id for r in self.results})

    def scope(self) -> str:
        """What the counts count: controls, and results (one per control and resource)."""
        return f"{self.controls} controls, {len(self.results)} results (one per control and resource)"

    def summary_line(self) -> str:
        return f"{self.scope()}: " + ", ".join(f"{self.count(s)} {s.label}" for s in Status)

    @property
    def exit_code(self) -> ExitCode:
        return ExitCode.FINDINGS if self.count(Status.FAILED) else ExitCode.OK

    def to_json(self) -> dict[str, Any]:
        rows = []
        for r in self.results:
            c = control_by_id(r.control_id)
            rows.append({
                "control": c.id, "title": c.title, "severity": c.severity, "status": r.status.value,
                "resource": r.resource, "arn": r.arn, "detail": r.detail, "proves": c.proves,
                "checkov": list(c.checkov), "aws_config_rule": c.aws_config, "prowler": c.prowler,
            })
        return {
            "environment": self.environment, "project": self.project, "target": self.target,
            "engine": self.engine, "account": self.account, "region": self.region,
            "controls": self.controls, "result_count": len(rows), "results": rows, "summary": self.summary,
        }

    def to_sarif(self) -> dict[str, Any]:
        """SARIF 2.1.0: one rule per control; failed results (level from severity) and not-checked ones
        (kind "review", level "none": a person must look), each located at the resource's ARN."""
        rules = [_sarif_rule(c) for c in CONTROLS]
        index = {c.id: i for i, c in enumerate(CONTROLS)}
        results = []
        for r in self.results:
            if r.status not in (Status.FAILED, Status.NOT_CHECKED):
                continue
            c = control_by_id(r.control_id)
            fail = r.status is Status.FAILED
            results.append({
                "ruleId": c.id,
                "ruleIndex": index[c.id],
                "kind": "fail" if fail else "review",
                "level": _SARIF_LEVEL[c.severity] if fail else "none",
                "message": {"text": f"{r.resource}: {r.detail}" if fail else f"{r.resource}: not checked: {r.detail}"},
                "locations": [{"logicalLocations": [{
                    "fullyQualifiedName": r.arn or r.resource, "name": r.resource, "kind": "resource"}]}],
                "properties": {"status": r.status.value, "environment": self.environment},
            })
        return {
            "$schema": SARIF_SCHEMA,
            "version": "2.1.0",
            "runs": [{
                "tool": {"driver": {"name": "fuelflow-audit", "version": __version__, "rules": rules}},
                "automationDetails": {"id": f"fuelflow-audit/{self.project}/{self.environment}/"},
                "invocations": [{"executionSuccessful": True}],
                "results": results,
                "properties": {"target": self.target, "engine": self.engine, "account": self.account,
                               "region": self.region, "summary": self.summary},
            }],
        }


_SARIF_LEVEL = {"critical": "error", "high": "error", "medium": "warning", "low": "note"}
_SECURITY_SEVERITY = {"critical": "9.5", "high": "8.0", "medium": "5.5", "low": "3.0"}


def _sarif_rule(c: Control) -> dict[str, Any]:
    mapping = [f"checkov: {', '.join(c.checkov)}" if c.checkov else "checkov: none",
               f"AWS Config: {c.aws_config}" if c.aws_config else "AWS Config: none"]
    return {
        "id": c.id,
        "name": "".join(re.sub(r"[^0-9A-Za-z]", "", w).capitalize() for w in c.title.replace("*", "star").split()),
        "shortDescription": {"text": c.title},
        "fullDescription": {"text": c.why},
        "help": {"text": f"Proves: {c.proves}. {'; '.join(mapping)}."},
        "defaultConfiguration": {"level": _SARIF_LEVEL[c.severity]},
        "properties": {"tags": ["security"], "severity": c.severity,
                       "security-severity": _SECURITY_SEVERITY[c.severity],
                       "checkov": list(c.checkov), "aws-config-rule": c.aws_config, "prowler": c.prowler},
    }


_ORDER = {Status.FAILED: 0, Status.NOT_CHECKED: 1, Status.PASSED: 2, Status.NOT_APPLICABLE: 3}


def print_table(ui: Ui, report: Report) -> None:
    """Failures first, then what could not be checked, then the rest, in control order."""
    position = {c.id: i for i, c in enumerate(CONTROLS)}
    rows = []
    for r in sorted(report.results, key=lambda r: (_ORDER[r.status], position[r.control_id])):
        c = control_by_id(r.control_id)
        rows.append((c.id, c.title, c.severity, r.status.label, r.resource, r.detail))
    ui.table(f"Audit of {report.project} {report.environment} on {report.target} ({report.engine}): {report.scope()}",
             ("Control", "Title", "Severity", "Status", "Resource", "Detail"), rows)
