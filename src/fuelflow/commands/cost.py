"""`fuelflow cost`: the monthly cost of an environment, from what the chosen path would create."""

from __future__ import annotations

from pathlib import Path

import click

from fuelflow.commands.common import env_option, load_env, output_option, pass_ui, project_dir_of
from fuelflow.output import Ui


@click.command("cost")
@env_option
@click.option("--engine", type=click.Choice(["cloudformation", "terraform"]), default="cloudformation",
              show_default=True, help="Price what this path would create: the templates evaluated with the "
                                      "environment's parameters, or a Terraform plan with the mock provider "
                                      "(offline, ~30 s).")
@click.option("--region", default=None, help="Price in this region (default: the environment file's region).")
@click.option("--prices", "prices", type=click.Path(dir_okay=False, path_type=Path), default=None, metavar="FILE",
              help="Another price table (same shape as fuelflow/cost/prices/<date>.yaml).")
@click.option("--usage", "usage", type=click.Path(dir_okay=False, path_type=Path), default=None, metavar="FILE",
              help="Usage assumptions to override (YAML; keys as in fuelflow/cost/usage.yaml).")
@click.option("--compare-document", is_flag=True,
              help="Put the original architecture document's estimate beside ours.")
@click.option("--plugin-dir", type=click.Path(path_type=Path), default=None, envvar="FUELFLOW_TF_PLUGIN_DIR",
              metavar="DIR", help="Terraform provider mirror (with --engine terraform).")
@output_option
@pass_ui
@click.pass_context
def cost_cmd(ctx: click.Context, env: str, engine: str, region: str | None, prices: Path | None,
             usage: Path | None, compare_document: bool, plugin_dir: Path | None, ui: Ui, output: str) -> None:
    """What ENV costs per month, itemised by stack/module, computed from the code.

    Each resource the chosen path would create is priced from a dated price table shipped with fuelflow;
    usage-based lines (storage, requests, log volumes, LCUs, data transfer) show the assumption they use.
    The free tier is shown beside the total, never subtracted.
    """
    from fuelflow import cost
    from fuelflow.cost import report

    environment = load_env(ctx, env)
    table = cost.load_prices(prices)
    table.region(region or environment.region)  # a region without prices: exit 2 before any work
    assumptions = cost.load_usage(environment.tier, environment.name, usage)
    project = project_dir_of(ctx)
    if engine == "terraform":
        ui.progress(f"planning terraform/ for {env} with the mock provider (offline)...")
        resources = cost.terraform_resources(project, environment, plugin_dir)
    else:
        resources = cost.cloudformation_resources(project, environment)
    est = cost.estimate(resources, environment, engine, table, assumptions, region)
    doc_name, doc_rows, doc_data = report.compare_rows(est, environment.tier) if compare_document else ("", [], {})
    if ui.output == "json":
        data = est.to_json()
        if compare_document:
            data["document"] = doc_data or None
        ui.json(data)
        return
    ui.table(f"fuelflow cost — {est.env} ({engine}, {est.region}, prices {table.version}), USD per month",
             ["group", "resource", "item", "quantity", "unit price", "monthly", "assumption"], report.line_rows(est))
    if est.free_tier:
        ui.table("free tier (not subtracted: depends on the account's age and its other use)",
                 ["meter", "covers", "up to", "scope"],
                 [[f.meter, f"{report._qty(f.quantity)} {f.unit}", report.usd(f.usd), f.scope] for f in est.free_tier])
    if compare_document:
        if not doc_rows:
            ui.warn(f"the original document has no estimate for {env} (nor its tier)")
        else:
            ui.table(f"{est.env} beside the original document's estimate for {doc_name}",
                     ["line", "document", "ours", "difference"], doc_rows)
    if est.unpriced:
        n = sum(est.unpriced.values())
        ui.info(f"{n} resources carry no charge of their own (VPC, subnets, routes, security groups, IAM, "
                "policies, listeners, ...); --output json lists them by type")
    ui.info(f"{est.env}: {report.usd(est.total)}/month ({engine}, {est.region}); prices: {table.path}")


COMMANDS = [cost_cmd]
