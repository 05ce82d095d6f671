"""An audit's results, and how to print them: a table for people, JSON for scripts, SARIF for code scanning.

A failed result that the reviewed exceptions file (security/exceptions.yaml, `tool: fuelflow-audit`) covers stays
failed: JSON adds `"suppressed": {kind, reason, ...}`, SARIF a `suppressions` entry (kind external) with the
justification. An `accepted` or `emulator` exception suppresses it (status "accepted": it no longer makes the exit
code 3); a `pending` one explains it but does not (status "underReview": the gap is real until it is fixed).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from fuelflow import __version__
from fuelflow.audit.exceptions import Exception_, Exceptions
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
    exceptions: Exceptions | None = field(default=None, repr=False)

    def exception_for(self, r: Result) -> Exception_ | None:
        """The reviewed exception that covers a failed result, or None (never for a result that did not fail)."""
        if r.status is not Status.FAILED or self.exceptions is None:
            return None
        return self.exceptions.find("fuelflow-audit", r.control_id, self.project, self.environment,
                                    [r.arn or "", r.resource])

    def suppressed(self, r: Result) -> bool:
        """Failed, but an accepted or emulator exception covers it: reported, not counted in the exit code."""
        e = self.exception_for(r)
        return e is not None and e.kind != "pending"

    @property
    def unsuppressed_failures(self) -> list[Result]:
        return [r for r in self.results if r.status is Status.FAILED and not self.suppressed(r)]

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
        line = f"{self.scope()}: " + ", ".join(f"{self.count(s)} {s.label}" for s in Status)
        suppressed = self.count(Status.FAILED) - len(self.unsuppressed_failures)
        if suppressed and self.exceptions is not None:
            line += f" ({suppressed} failed suppressed by {self.exceptions.path.name})"
        return line

    @property
    def exit_code(self) -> ExitCode:
        return ExitCode.FINDINGS if self.unsuppressed_failures else ExitCode.OK

    def to_json(self) -> dict[str, Any]:
        rows: list[dict[str, Any]] = []
        for r in self.results:
            c = control_by_id(r.control_id)
            rows.append({
                "control": c.id, "title": c.title, "severity": c.severity, "status": r.status.value,
                "resource": r.resource, "arn": r.arn, "detail": r.detail, "proves": c.proves,
                "checkov": list(c.checkov), "aws_config_rule": c.aws_config, "prowler": c.prowler,
            })
            e = self.exception_for(r)
            if e is not None:
                rows[-1]["suppressed"] = {**e.to_dict(), "counts_as_failure": e.kind == "pending"}
        return {
            "environment": self.environment, "project": self.project, "target": self.target,
            "engine": self.engine, "account": self.account, "region": self.region,
            "controls": self.controls, "result_count": len(rows), "results": rows, "summary": self.summary,
            # failed results an accepted/emulator exception covers (counted in summary["failed"] as well)
            "suppressed_failures": self.count(Status.FAILED) - len(self.unsuppressed_failures),
        }

    def _exceptions_uri(self) -> str:
        return "security/exceptions.yaml" if self.exceptions is None else f"security/{self.exceptions.path.name}"

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
            e = self.exception_for(r)
            if e is not None:  # SARIF 2.1.0 §3.35: still a result, marked suppressed (or under review: pending)
                results[-1]["suppressions"] = [{
                    "kind": "external", "status": "underReview" if e.kind == "pending" else "accepted",
                    "justification": e.justification(),
                    "location": {"physicalLocation": {"artifactLocation": {"uri": self._exceptions_uri()}}},
                    "properties": e.to_dict()}]
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
        e = report.exception_for(r)
        status = r.status.label if e is None else f"{r.status.label} ({e.kind} exception {e.number})"
        rows.append((c.id, c.title, c.severity, status, r.resource, r.detail))
    ui.table(f"Audit of {report.project} {report.environment} on {report.target} ({report.engine}): {report.scope()}",
             ("Control", "Title", "Severity", "Status", "Resource", "Detail"), rows)
