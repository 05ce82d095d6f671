"""`fuelflow audit`: read a deployed environment and check every security control we promise.

Templates are checked statically elsewhere (cfn-lint, checkov, terraform validate); the audit looks at what
actually runs, through boto3, whichever engine deployed it, and only reads (see context.py).

Every result is one of four statuses. "not checked" is for questions the target cannot answer (an API the
emulator does not implement, an answer it cannot give, access denied): those are never counted as passed.

Where a change goes: names.py (the resource names looked for), registry.py (what a control is),
context.py (clients, read-only guard, cached reads), checks/<service>.py (the controls themselves),
runner.py (running them), report.py (table, JSON, SARIF).
"""

from fuelflow.audit.context import AuditContext, ReadOnlyViolation, Unanswerable
from fuelflow.audit.names import Names
from fuelflow.audit.policy import parse_policy
from fuelflow.audit.registry import CONTROLS, Control, Engine, Result, Severity, Status, Verdict, control_by_id
from fuelflow.audit.report import Report, print_table
from fuelflow.audit.runner import describe_target, run_audit

__all__ = [
    "CONTROLS", "AuditContext", "Control", "Engine", "Names", "ReadOnlyViolation", "Report", "Result", "Severity",
    "Status", "Unanswerable", "Verdict", "control_by_id", "describe_target", "parse_policy", "print_table",
    "run_audit",
]
