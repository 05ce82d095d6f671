"""`fuelflow validate`: parse the options, run fuelflow.validate, print one table (or JSON, or SARIF)."""

from __future__ import annotations

from pathlib import Path

import click

from fuelflow.commands.common import project_dir_of
from fuelflow.errors import ExitCode, FuelflowError, InputError
from fuelflow.output import Ui
from fuelflow.tf.toolchain import PLUGIN_DIR_ENV
from fuelflow.validate import CFN_DIR, CHECKS, GROUPS, REQUIRE_ENV, TF_DIR, CheckResult, Report, run_validate

MAX_PROBLEM_LINES = 3
CHECK_NAMES = ", ".join((*CHECKS, *GROUPS))


@click.command("validate")
@click.option("--only", "only", multiple=True, metavar="NAME",
              help=f"Run only this check (repeatable): {CHECK_NAMES}.")
@click.option("--skip", "skip", multiple=True, metavar="NAME",
              help="Do not run this check (repeatable); a skipped check never fails the run.")
@click.option("--plugin-dir", type=click.Path(path_type=Path), default=None, envvar=PLUGIN_DIR_ENV,
              show_envvar=True, metavar="DIR",
              help="Terraform provider mirror (holds registry.terraform.io/...) for `terraform init`, "
                   "where no registry is reachable. Default: search the usual places, else the registry.")
@click.option("--output", "-o", type=click.Choice(["table", "json", "sarif"]), default="table",
              show_default=True, help="table for people, json for scripts, sarif (2.1.0) for CI code scanning.")
@click.pass_context
def validate_cmd(ctx: click.Context, only: tuple[str, ...], skip: tuple[str, ...], plugin_dir: Path | None,
                 output: str) -> None:
    """Run every static check: cfn-lint, checkov, terraform fmt/validate, parity.

    Independent checks run in parallel; progress goes to stderr. Exits 3 when any check fails. A check
    whose tool (checkov, terraform) is not installed is "not run", with the command that installs it,
    and does not fail the run unless FUELFLOW_REQUIRE names the tool (e.g. FUELFLOW_REQUIRE=checkov,terraform).
    """
    ui = Ui(output="table" if output == "table" else "json")
    project = project_dir_of(ctx)
    if not any((project / d).is_dir() for d in (CFN_DIR, TF_DIR)):
        raise InputError(f"no fuelflow project in {project} ({CFN_DIR}/ and {TF_DIR}/ not found)",
                         "run from the repository root or pass -C DIR")
    report = run_validate(project, only=only, skip=skip, plugin_dir=plugin_dir,
                          native_sarif=output == "sarif", progress=ui.progress)
    if output == "json":
        ui.json(report.to_json())
    elif output == "sarif":
        ui.json(report.to_sarif())
    else:
        print_report(ui, report)
    if not report.ok:
        failed = report.failed
        unrun = [r for r in report.results if r.status == "not run" and not r.ok]
        if len(unrun) == len(failed):  # only required tools are missing: say that, not "failed"
            raise FuelflowError(
                f"validate: {', '.join(r.name for r in unrun)} not run, and {REQUIRE_ENV} requires "
                f"{', '.join(sorted({_tool(r) for r in unrun}))}", unrun[0].fix or "install the tool",
                exit_code=ExitCode.FINDINGS)
        raise FuelflowError(
            f"validate: {len(failed)} of {len(report.results)} checks failed ({', '.join(failed)})",
            "fix the problems listed" + (" above (--output json lists every one)" if output == "table" else ""),
            exit_code=ExitCode.FINDINGS,
        )


def print_report(ui: Ui, report: Report) -> None:
    """One table: check, status, counts, duration, the first problems."""
    sep = "\n" if ui.rich else " | "
    rows = [[r.name, r.status, r.summary, f"{r.duration:.1f} s", sep.join(_first_problems(r))]
            for r in report.results]
    ui.table(f"fuelflow validate — {report.project_dir}", ["check", "status", "counts", "duration", "problems"],
             rows)
    missing = [r for r in report.results if r.status == "not run" and r.ok and r.fix]  # a tool is not installed
    for r in missing:
        ui.warn(f"{r.name} not run ({r.reason}): {r.fix}; {REQUIRE_ENV}={_tool(r)} makes this a failure")
    if report.ok:
        ran = [r for r in report.results if r.status == "passed"]
        ui.info(f"validate: {'all checks' if not missing else f'{len(ran)} checks that ran'} passed in "
                f"{report.duration:.1f} s" + (f"; not run: {', '.join(r.name for r in missing)}" if missing else ""))


def _tool(r: CheckResult) -> str:
    """The tool a check needs (the FUELFLOW_REQUIRE name)."""
    return "checkov" if r.name == "checkov" else "terraform"


def _first_problems(r: CheckResult) -> list[str]:
    if r.status == "not run":
        return [f"{r.reason}" + (f" — {r.fix}" if r.fix else "")]
    lines = [str(p) for p in r.problems[:MAX_PROBLEM_LINES]]
    if len(r.problems) > MAX_PROBLEM_LINES:
        lines.append(f"... and {len(r.problems) - MAX_PROBLEM_LINES} more")
    return lines


COMMANDS = [validate_cmd]
