"""`fuelflow tf ...`: the Terraform path. Parses options, calls fuelflow.tf.ops, prints."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

from fuelflow.commands.common import (
    env_option,
    load_env,
    open_target,
    output_option,
    pass_ui,
    project_dir_of,
    refuse_throwaway,
    target_options,
    warn_throwaway,
)
from fuelflow.confirm import require_confirmation
from fuelflow.errors import InputError
from fuelflow.output import Ui
from fuelflow.tf.plans import change_lines
from fuelflow.tf.toolchain import PLUGIN_DIR_ENV, find_terraform

if TYPE_CHECKING:  # boto3 and fuelflow.tf.ops load when a Terraform command runs, not for `--help`
    from fuelflow.aws import AwsContext
    from fuelflow.config import Environment

F = TypeVar("F", bound=Callable[..., Any])

TF_HELP = """Drive terraform/ for one environment: state backend, plan, apply, destroy, outputs.

\b
State: one S3 bucket + DynamoDB lock table per environment (`tf bootstrap` creates them),
key <project>/<env>/terraform.tfstate, default workspace. Terraform runs on a copy of
terraform/ in .fuelflow/tf/<env>-<target>/ (gitignored), so the emulator override and
.terraform/ never touch the source tree.
"""


def plugin_dir_option(f: F) -> F:
    return click.option(
        "--plugin-dir", envvar=PLUGIN_DIR_ENV, default=None, metavar="DIR",
        help="Terraform provider mirror (filesystem_mirror layout, e.g. registry.terraform.io/hashicorp/aws/...). "
             f"Default: ${PLUGIN_DIR_ENV}, else a mirror found in a well-known place "
             "(~/.terraform.d/plugins, ...), else the registry.",
    )(f)


def yes_option(f: F) -> F:
    return click.option("--yes", "-y", "yes", is_flag=True,
                        help="Do not ask for confirmation (required when not on a terminal).")(f)


def common_options(f: F) -> F:
    """--env, the target options, --plugin-dir, --output (and the Ui built from it)."""
    for option in (pass_ui, output_option, plugin_dir_option, target_options, env_option):
        f = option(f)
    return f


@contextmanager
def _opened(ctx: click.Context, env: str, target: str, profile: str | None, region: str | None,
            endpoint_url: str | None, ui: Ui) -> Iterator[tuple[Environment, AwsContext]]:
    """Load the environment and open the target; the embedded emulator lives as long as the command."""
    environment = load_env(ctx, env)
    find_terraform()  # a missing binary is exit 2 before an emulator is started
    aws = open_target(environment, target, profile, region, endpoint_url, ui)
    try:
        yield environment, aws
    finally:
        aws.close()


def _project_dir(ctx: click.Context) -> Path:
    return project_dir_of(ctx)


def _took(ui: Ui, what: str, start: float) -> None:
    ui.progress(f"{what} took {time.monotonic() - start:.1f}s")


def _ephemeral(target: str, endpoint_url: str | None) -> bool:
    """The command will start its own emulator: nothing in it outlives the command."""
    return target == "local" and endpoint_url is None


@click.group("tf", help=TF_HELP)
def tf_group() -> None:
    pass


@tf_group.command("bootstrap")
@common_options
@click.pass_context
def bootstrap_cmd(ctx: click.Context, env: str, target: str, profile: str | None, region: str | None,
                  endpoint_url: str | None, plugin_dir: str | None, ui: Ui, output: str) -> None:
    """Create the environment's state bucket and lock table (idempotent).

    Applies terraform/bootstrap with local state, then moves that state into the new bucket.
    Writes the backend config: terraform/backends/ENV.s3.tfbackend for --target aws (commit it),
    the work dir for --target local.
    """
    from fuelflow.tf import ops

    start = time.monotonic()
    with _opened(ctx, env, target, profile, region, endpoint_url, ui) as (environment, aws):
        result = ops.tf_bootstrap(environment, aws, _project_dir(ctx), ui, plugin_dir=plugin_dir)
    _took(ui, "bootstrap", start)
    show_mapping(ui, f"Terraform state backend of {env}" + ("" if result["changed"] else " (no changes)"),
                   result)


@tf_group.command("unbootstrap")
@common_options
@yes_option
@click.option("--force", is_flag=True,
              help="Delete the backend even though state in it still tracks resources (they become unmanaged).")
@click.pass_context
def unbootstrap_cmd(ctx: click.Context, env: str, target: str, profile: str | None, region: str | None,
                    endpoint_url: str | None, plugin_dir: str | None, ui: Ui, output: str, yes: bool,
                    force: bool) -> None:
    """Delete the state bucket (every version) and the lock table.

    Refuses while any state in the bucket still tracks resources (destroy first, or --force).
    """
    from fuelflow.tf import ops

    if _ephemeral(target, endpoint_url):
        refuse_throwaway(f"tf unbootstrap --env {env}")
    require_confirmation(ui, yes, "unbootstrap")
    start = time.monotonic()
    with _opened(ctx, env, target, profile, region, endpoint_url, ui) as (environment, aws):
        result = ops.tf_unbootstrap(environment, aws, _project_dir(ctx), ui, force=force,
                                          auto_approve=yes, plugin_dir=plugin_dir)
    _took(ui, "unbootstrap", start)
    show_mapping(ui, f"Terraform state backend of {env}", result)


@tf_group.command("plan")
@common_options
@click.option("--destroy", is_flag=True, help="Plan a destroy instead.")
@click.pass_context
def plan_cmd(ctx: click.Context, env: str, target: str, profile: str | None, region: str | None,
             endpoint_url: str | None, plugin_dir: str | None, ui: Ui, output: str, destroy: bool) -> None:
    """Show what apply (or destroy) would change. Changes nothing."""
    from fuelflow.tf import ops

    start = time.monotonic()
    with _opened(ctx, env, target, profile, region, endpoint_url, ui) as (environment, aws):
        result = ops.tf_plan(environment, aws, _project_dir(ctx), ui, destroy=destroy, plugin_dir=plugin_dir)
    _took(ui, "plan", start)
    if ui.output == "json":
        ui.json(result)
        return
    counts = {k: len(result[k]) for k in ("create", "update", "replace", "delete")}
    ui.info(f"{env}: " + (", ".join(f"{n} to {k}" for k, n in counts.items() if n) if result["changes"]
                          else "no changes"))
    for line in change_lines(result["details"]):
        ui.info(f"  {line}")
    cost = result.get("cost")
    if cost:
        if cost["resources"]:
            ui.table("monthly cost change (fuelflow cost's prices and assumptions)",
                     ["group", "resource", "before", "after", "change"],
                     [[r["group"], r["resource"], f"${r['monthly_before']:,.2f}", f"${r['monthly_after']:,.2f}",
                       f"{r['monthly_change']:+,.2f}"] for r in cost["resources"]])
        ui.info(f"monthly cost: ${cost['monthly_before']:,.2f} -> ${cost['monthly_after']:,.2f} "
                f"({cost['monthly_change']:+,.2f} USD/month)")


@tf_group.command("apply")
@common_options
@yes_option
@click.option("--force", is_flag=True, help="Required when the plan replaces or deletes a database or bucket "
              "(it says which); you are asked to type the environment's name.")
@click.option("--confirm", "confirm_name", default=None, metavar="ENV",
              help="With --force and no terminal: the environment name, typed as confirmation.")
@click.pass_context
def apply_cmd(ctx: click.Context, env: str, target: str, profile: str | None, region: str | None,
              endpoint_url: str | None, plugin_dir: str | None, ui: Ui, output: str, yes: bool, force: bool,
              confirm_name: str | None) -> None:
    """Plan, ask, apply the plan that was shown; print the outputs.

    With the embedded emulator (no --endpoint-url) the state backend is bootstrapped in it first:
    everything is forgotten when the command ends.
    """
    from fuelflow.tf import ops

    require_confirmation(ui, yes or _ephemeral(target, endpoint_url), "apply")
    start = time.monotonic()
    with _opened(ctx, env, target, profile, region, endpoint_url, ui) as (environment, aws):
        outputs = ops.tf_deploy(environment, aws, _project_dir(ctx), ui, yes, force=force, confirm_name=confirm_name,
                                plugin_dir=plugin_dir)
    _took(ui, "apply", start)
    show_mapping(ui, f"Terraform outputs of {env}", outputs)


@tf_group.command("destroy")
@common_options
@yes_option
@click.option("--force", is_flag=True, help="Required for a production-tier environment (tier: production) and "
              "whenever a database or other stateful resource would be deleted.")
@click.option("--confirm", "confirm_name", default=None, metavar="ENV",
              help="With --force and no terminal: the environment name, typed as confirmation.")
@click.option("--disable-deletion-protection", "lift_protection", is_flag=True,
              help="Destroy on purpose a database that has deletion protection (prod): with --force, after the "
              "typed confirmation, turn it off through the API, then delete. Bucket data is still kept.")
@click.pass_context
def destroy_cmd(ctx: click.Context, env: str, target: str, profile: str | None, region: str | None,
                endpoint_url: str | None, plugin_dir: str | None, ui: Ui, output: str, yes: bool, force: bool,
                confirm_name: str | None, lift_protection: bool) -> None:
    """Destroy the environment (not its state backend). Non-empty buckets are kept, with their data.

    Like `fuelflow destroy`: a production-tier environment, or deleting a database, needs --force and
    the environment's name.
    """
    from fuelflow.tf import ops

    if _ephemeral(target, endpoint_url):
        refuse_throwaway(f"tf destroy --env {env}")
    require_confirmation(ui, yes or confirm_name is not None, "destroy")
    start = time.monotonic()
    with _opened(ctx, env, target, profile, region, endpoint_url, ui) as (environment, aws):
        result = ops.tf_destroy(environment, aws, _project_dir(ctx), ui, yes, force=force,
                                      confirm_name=confirm_name, lift_protection=lift_protection,
                                      plugin_dir=plugin_dir)
    _took(ui, "destroy", start)
    if ui.output == "json":
        ui.json(result)
        return
    ui.info(f"{env}: destroyed {len(result['destroyed'])} resources"
            + (f"; kept {', '.join(result['retained'])}" if result["retained"] else ""))


@tf_group.command("output")
@common_options
@click.pass_context
def output_cmd(ctx: click.Context, env: str, target: str, profile: str | None, region: str | None,
               endpoint_url: str | None, plugin_dir: str | None, ui: Ui, output: str) -> None:
    """Print the root module's outputs (sensitive values are never shown)."""
    from fuelflow.tf import ops

    if _ephemeral(target, endpoint_url):
        refuse_throwaway(f"tf output --env {env}")
    with _opened(ctx, env, target, profile, region, endpoint_url, ui) as (environment, aws):
        outputs = ops.tf_outputs(environment, aws, _project_dir(ctx), ui, plugin_dir=plugin_dir)
    show_mapping(ui, f"Terraform outputs of {env}", outputs)


@tf_group.command("status")
@common_options
@click.pass_context
def status_cmd(ctx: click.Context, env: str, target: str, profile: str | None, region: str | None,
               endpoint_url: str | None, plugin_dir: str | None, ui: Ui, output: str) -> None:
    """Where the state lives and what it tracks (read from the bucket; runs no terraform command)."""
    from fuelflow.tf import ops

    if _ephemeral(target, endpoint_url):
        warn_throwaway(ui, "tf status", env)
    with _opened(ctx, env, target, profile, region, endpoint_url, ui) as (environment, aws):
        result = ops.tf_status(environment, aws, _project_dir(ctx), ui, plugin_dir=plugin_dir)
    show_mapping(ui, f"Terraform state of {env}", result)


# ------------------------------------------------------------------------------------ printing


def show_mapping(ui: Ui, title: str, data: dict[str, Any]) -> None:
    """A name/value table on a terminal, plain lines when piped, the mapping itself with --output json."""
    if ui.output == "json":
        ui.json(data)
        return
    ui.table(title, ["name", "value"], [(k, v if isinstance(v, str) else json.dumps(v)) for k, v in data.items()])


def run_engine_command(action: str, env: Environment, aws_ctx: AwsContext, project_dir: Path, ui: Ui, *,
                       yes: bool = False, force: bool = False, confirm_name: str | None = None,
                       lift_protection: bool = False, plugin_dir: str | Path | None = None,
                       work_dir: Path | None = None) -> None:
    """`deploy|destroy|status|outputs --engine terraform`: carry the action out and print its result."""
    from fuelflow.tf import ops

    where: dict[str, Any] = {"plugin_dir": plugin_dir, "work_dir": work_dir}
    if action == "deploy":
        show_mapping(ui, f"{env.name} outputs", ops.tf_deploy(env, aws_ctx, project_dir, ui, yes, force=force,
                                                              confirm_name=confirm_name, **where))
    elif action == "destroy":
        result = ops.tf_destroy(env, aws_ctx, project_dir, ui, yes, force=force, confirm_name=confirm_name,
                                lift_protection=lift_protection, **where)
        if ui.output == "json":
            ui.json({"ok": True, **result})
            return
        ui.info(f"{env.name}: destroyed {len(result['destroyed'])} resources"
                + (f"; kept (not empty): {', '.join(result['retained'])}" if result["retained"] else ""))
        for snapshot in result.get("snapshots", []):
            ui.info(f"final snapshot: {snapshot}")
        if result["retained"]:
            ui.info(f"a later `fuelflow deploy --env {env.name}{aws_ctx.target_args}` (either engine) adopts "
                    + ", ".join(f"s3://{b}" for b in result["retained"]) + " (kept with their data)")
    elif action == "status":
        show_mapping(ui, f"{env.name} Terraform state", ops.tf_status(env, aws_ctx, project_dir, ui, **where))
    elif action == "outputs":
        show_mapping(ui, f"{env.name} outputs", ops.tf_outputs(env, aws_ctx, project_dir, ui, **where))
    else:
        raise InputError(f"--engine terraform has no {action!r} command", "use fuelflow tf --help")


COMMANDS = [tf_group]
