"""What a control is, the list of them, and what a check says about a resource.

A check module registers its controls with `@control` when it is imported; `fuelflow.audit.checks` imports
them all and puts CONTROLS in report order (checks.SERVICES).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from enum import Enum
from typing import TYPE_CHECKING, Literal

from fuelflow.audit.names import Names

if TYPE_CHECKING:
    from fuelflow.audit.context import AuditContext

Engine = Literal["cloudformation", "terraform"]
Severity = Literal["critical", "high", "medium", "low"]


class Status(str, Enum):
    PASSED = "passed"
    FAILED = "failed"
    NOT_CHECKED = "not_checked"
    NOT_APPLICABLE = "not_applicable"

    @property
    def label(self) -> str:
        return self.value.replace("_", " ")


@dataclass(frozen=True)
class Verdict:
    """What a check says about one resource (the runner adds the control id)."""

    status: Status
    resource: str
    detail: str
    arn: str | None = None


@dataclass(frozen=True)
class Result:
    """One control's verdict on one resource."""

    control_id: str
    status: Status
    resource: str
    detail: str
    arn: str | None = None


Check = Callable[["AuditContext"], Iterable[Verdict]]


@dataclass(frozen=True)
class Control:
    """A promise of the architecture or of docs/decisions.md, and the function that verifies it on live resources.

    `checkov`, `aws_config` and `prowler` name the same rule in those tools, so a finding can be matched
    with theirs; None where the tool has no equivalent check.
    """

    id: str
    title: str
    severity: Severity
    proves: str  # the document item this control proves
    why: str
    checkov: tuple[str, ...]
    aws_config: str | None
    prowler: str | None
    check: Check
    engines: tuple[Engine, ...] = ("cloudformation", "terraform")
    subject: Callable[[Names], str] | None = None  # what it looks at, for "not applicable" results


CONTROLS: list[Control] = []


def control(id: str, title: str, severity: Severity, proves: str, why: str, *, checkov: tuple[str, ...] = (),
            aws_config: str | None = None, prowler: str | None,
            engines: tuple[Engine, ...] = ("cloudformation", "terraform"),
            subject: Callable[[Names], str] | None = None) -> Callable[[Check], Check]:
    """Register a check function as a control. `prowler` has no default: say None where Prowler has none."""

    def register(fn: Check) -> Check:
        CONTROLS.append(Control(id, title, severity, proves, why, checkov, aws_config, prowler, fn, engines,
                                subject))
        return fn

    return register


def control_by_id(control_id: str) -> Control:
    for c in CONTROLS:
        if c.id == control_id:
            return c
    raise KeyError(control_id)


def passed(resource: str, detail: str, arn: str | None = None) -> Verdict:
    return Verdict(Status.PASSED, resource, detail, arn)


def failed(resource: str, detail: str, arn: str | None = None) -> Verdict:
    return Verdict(Status.FAILED, resource, detail, arn)


def not_checked(resource: str, detail: str, arn: str | None = None) -> Verdict:
    return Verdict(Status.NOT_CHECKED, resource, detail, arn)


def not_applicable(resource: str, detail: str, arn: str | None = None) -> Verdict:
    return Verdict(Status.NOT_APPLICABLE, resource, detail, arn)
