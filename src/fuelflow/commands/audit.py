"""`fuelflow audit`: parse options, run the audit library, print its report."""

from __future__ import annotations

import click

from fuelflow.commands.common import (
    engine_option,
    env_option,
    load_env,
    open_target,
    project_dir_of,
    target_options,
)
from fuelflow.errors import ExitCode, FuelflowError
from fuelflow.output import Ui

HELP = """Check the deployed environment against every security control we promise (read-only).

\b
Reads the live resources through boto3 (Get/List/Describe/Head calls only; a guard refuses
anything else) and checks each control of the architecture document's security checklist and
of docs/decisions.md section 5. Resources are found by the names in docs/contract.md (project,
environment, account, region), so it works the same whichever engine deployed them.

\b
Every result names a control (FF-...), its severity, the resource it looked at, and the matching
checkov id / AWS Config rule / Prowler check (in json and sarif output). A result is one of:
  passed          the resource complies
  failed          it does not, or it is missing ("not found")
  not checked     the target cannot answer (the local emulator does not model the setting or
                  the API, or access was denied); the reason is given. Never counted as passed.
  not applicable  e.g. Terraform state controls with --engine cloudformation (that path keeps
                  no Terraform state), deletion protection outside tier: production

\b
If nothing of the environment exists on the target, the audit stops with
"environment ENV is not deployed on ..." (exit 2). If only part of it exists, each control
whose resource is missing fails with "not found" (exit 3).

\b
--engine decides whether the Terraform state bucket and lock table are audited (they exist
only with --engine terraform; otherwise those controls are "not applicable").
--output json: {results: [...], summary: {...}}; --output sarif: a SARIF 2.1.0 document with one
rule per control and a result per failed (error/warning/note by severity) or not-checked
(level none) control, located at the resource ARN.

\b
Reviewed exceptions: security/exceptions.yaml (its `tool: fuelflow-audit` entries) marks a failed
result suppressed, never passed: the table says "failed (accepted exception N)", json adds
"suppressed": {kind, reason, decision|evidence|tracking}, sarif a `suppressions` entry (kind
external) with the justification. An accepted or emulator exception keeps that failure out of the
exit code; a pending one (a gap being fixed) does not (sarif status underReview).

\b
Exit codes:
  0  no control failed, or only failures an accepted/emulator exception suppresses
  2  bad input (also an invalid security/exceptions.yaml), or the environment is not deployed
  3  at least one control failed and no accepted/emulator exception covers it
"""


@click.command("audit", help=HELP, short_help="Check the deployed environment's security controls (read-only).")
@env_option
@engine_option
@target_options
@click.option("--output", "-o", type=click.Choice(["table", "json", "sarif"]), default="table", show_default=True,
              help="table for people; json for scripts; sarif for code scanning. stdout holds only the document.")
@click.pass_context
def audit_cmd(ctx: click.Context, env: str, engine: str, target: str, profile: str | None, region: str | None,
              endpoint_url: str | None, output: str) -> None:
    from fuelflow.audit import CONTROLS, print_table, run_audit  # boto3 loads when an audit runs
    from fuelflow.audit.exceptions import RELATIVE_PATH, load_optional

    environment = load_env(ctx, env)
    exceptions = load_optional(project_dir_of(ctx), [c.id for c in CONTROLS])
    ui = Ui(output="table" if output == "table" else "json")
    aws = open_target(environment, target, profile, region, endpoint_url, ui)
    try:
        ui.progress(f"auditing {environment.project} {environment.name} ({engine}) on {target}: "
                    f"{len(CONTROLS)} controls")
        report = run_audit(aws, environment, engine, exceptions=exceptions)  # type: ignore[arg-type]
    finally:
        aws.close()
    if output == "json":
        ui.json(report.to_json())
    elif output == "sarif":
        ui.json(report.to_sarif())
    else:
        print_table(ui, report)
    ui.info(report.summary_line())
    failed = sorted({r.control_id for r in report.unsuppressed_failures}, key=[c.id for c in CONTROLS].index)
    if failed:
        raise FuelflowError(f"audit: {len(failed)} of {len(CONTROLS)} controls failed ({', '.join(failed)})",
                            "fix the resources listed" + (" above" if output == "table" else " in the report")
                            + f", or record a reviewed exception in {RELATIVE_PATH}",
                            exit_code=ExitCode.FINDINGS)


COMMANDS = [audit_cmd]
