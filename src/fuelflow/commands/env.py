"""`fuelflow env list|new`: the project's environment files."""

from __future__ import annotations

import click

from fuelflow.commands.common import output_option, pass_ui, project_dir_of
from fuelflow.envfiles import new_environment, summaries
from fuelflow.errors import ExitCode
from fuelflow.output import Ui


@click.group("env")
def env_group() -> None:
    """List the environments, or add one (environments/<name>.yaml; any name the naming rules allow)."""


@env_group.command("list")
@output_option
@pass_ui
@click.pass_context
def list_cmd(ctx: click.Context, ui: Ui, output: str) -> None:
    """Show every environment file with its region, tier and VPC range. Exit 2 if a file is invalid."""
    items = summaries(project_dir_of(ctx))
    if ui.output == "json":
        ui.json({"environments": [s.to_dict() for s in items]})
    else:
        ui.table("Environments", ["name", "region", "tier", "VPC", "problem"],
                 [[s.name, s.region, s.tier, s.vpc_cidr, s.error or "-"] for s in items])
    if any(s.error for s in items):
        ctx.exit(int(ExitCode.USAGE))


@env_group.command("new")
@click.argument("name")
@click.option("--from", "source", default="dev", show_default=True, metavar="ENV",
              help="The environment file to copy (sizes, tier, tags, retention).")
@click.option("--region", default=None, help="Region of the new environment; default: the source's.")
@output_option
@pass_ui
@click.pass_context
def new_cmd(ctx: click.Context, name: str, source: str, region: str | None, ui: Ui, output: str) -> None:
    """Write environments/NAME.yaml from another environment, with a VPC range no other file uses.

    The file is validated before it is written; nothing is deployed. Review what it prints, then
    `fuelflow deploy --env NAME`.
    """
    created = new_environment(project_dir_of(ctx), name, source, region)
    if ui.output == "json":
        ui.json(created.to_dict())
        return
    ui.info(f"wrote {created.path} (from {source}): review before deploying:")
    for line in created.review:
        ui.info(f"  - {line}")
    ui.info(f"then: fuelflow plan --env {name} && fuelflow deploy --env {name}")


COMMANDS = [env_group]
