"""plan, diff, deploy, destroy, status, outputs: the stack commands."""

from __future__ import annotations

import contextlib
from typing import TYPE_CHECKING, Any

import click

from fuelflow.commands.common import (
    engine_option,
    env_option,
    load_env,
    open_target,
    output_option,
    pass_ui,
    project_dir_of,
    refuse_throwaway,
    target_options,
    throwaway,
    warn_throwaway,
)
from fuelflow.errors import FuelflowError, InputError, Interrupted
from fuelflow.output import Ui

if TYPE_CHECKING:  # the engine, boto3 and cfn data load when a command runs, not for `--help` or `plan`
    from fuelflow.aws import AwsContext
    from fuelflow.config import Environment
    from fuelflow.engine import Engine, Report, StackChanges, StackResult
    from fuelflow.plan import Plan

stack_option = click.option("--stack", "-s", "stacks", multiple=True, metavar="PART",
                            help="Act only on this stack part (network, iam, s3, ec2, rds); repeatable.")


def _engine(aws: AwsContext, ui: Ui) -> Engine:
    from fuelflow.engine import Engine, PollConfig

    if aws.is_local:
        return Engine(aws.client, ui.progress, PollConfig.local(), emulator=True)
    return Engine(aws.client, ui.progress, PollConfig())


def _plan(ctx: click.Context, env_name: str, stacks: tuple[str, ...], region: str | None) -> tuple[Environment, Plan]:
    from fuelflow.plan import build_plan

    env = load_env(ctx, env_name)
    return env, build_plan(project_dir_of(ctx), env, stacks, region)


def _ephemeral(aws: AwsContext) -> bool:
    """True when the target is the emulator this very command started: nothing in it outlives us."""
    return aws.emulator is not None


def _show_changes(ui: Ui, previews: list[StackChanges]) -> None:
    for p in previews:
        if p.kind == "none":
            ui.progress(f"{p.stack}: no changes ({p.note})")
            continue
        if p.kind == "skip":
            ui.progress(f"{p.stack}: {p.note}")
            continue
        count = f"{len(p.changes)} resource{'s' * (len(p.changes) != 1)}"
        ui.progress(f"{p.stack}: {p.kind} ({count}){' - ' + p.note if p.note else ''}")
        for c in p.changes:
            ui.progress(f"    {c.describe()}")
    destructive = [f"{p.stack}/{c.logical_id}" for p in previews for c in p.changes if c.destructive]
    if destructive:
        ui.warn(f"these changes delete or replace resources (data in them is lost): {', '.join(destructive)}")


def _emulator_notes(aws: AwsContext) -> list[str]:
    """Be honest about what the embedded emulator skipped (it reports CREATE_COMPLETE regardless)."""
    from fuelflow.emulator import skipped_resource_types

    skipped = sorted(skipped_resource_types()) if aws.emulator is not None else []
    if not skipped:
        return []
    return [f"the local emulator does not model {', '.join(skipped)}: it skipped them although the stacks "
            "report complete (cfn-lint and checkov check them; on AWS they are created)"]


def _where(aws: AwsContext) -> str:
    """The target, as a message names it."""
    if _ephemeral(aws):
        return f"{aws.endpoint_url}, a throwaway emulator started for this command"
    return aws.endpoint_url or f"AWS ({aws.region})"


def _outputs_rows(results: list[StackResult]) -> list[list[str]]:
    rows = []
    for r in results:
        outputs = "\n".join(f"{k} = {v}" for k, v in sorted(r.outputs.items()))
        detail = r.reason + (f" [{r.failed_resource}]" if r.failed_resource else "")
        rows.append([r.stack, r.action, r.status, f"{r.seconds:.1f}s" if r.seconds else "", outputs or detail])
    return rows


def _print_report(ui: Ui, title: str, report: Report, extra: dict[str, Any] | None = None) -> None:
    if ui.output == "json":
        ui.json({**report.to_dict(), **(extra or {})})
        return
    ui.table(title, ["stack", "action", "status", "time", "outputs / reason"], _outputs_rows(report.results))
    for r in report.retained:
        ui.info(f"retained: {r}")
    for s in report.snapshots:
        ui.info(f"final snapshot: {s}")
    for n in report.notes:
        ui.info(f"note: {n}")
    interrupted = any(r.action in ("not started", "cancelled", "interrupted") for r in report.results)
    verdict = "done" if report.ok else "INTERRUPTED" if interrupted else "FAILED"
    ui.info(f"{verdict} in {report.seconds:.1f}s")


@click.command("plan")
@env_option
@stack_option
@click.option("--region", default=None, help="Region; default: the environment file's region.")
@output_option
@pass_ui
@click.pass_context
def plan_cmd(ctx: click.Context, env: str, stacks: tuple[str, ...], region: str | None, ui: Ui, output: str) -> None:
    """Show the deployment plan: stacks, waves (derived from Export/ImportValue) and parameters.

    Reads only local files; calls nothing.
    """
    _, plan = _plan(ctx, env, stacks, region)
    if ui.output == "json":
        ui.json(plan.to_dict())
        return
    for i, wave in enumerate(plan.to_dict()["waves"], 1):
        ui.info(f"wave {i}: {', '.join(wave)}")
    for sp in plan.ordered():
        if sp.nothing:
            ui.info(f"{sp.name}: nothing to deploy: {sp.nothing} (deploy skips it, or deletes it if deployed)")
    rows = [[sp.name, sp.template.path.name, ", ".join(sp.depends_on) or "-",
             f"nothing to deploy: {sp.nothing}" if sp.nothing else
             "\n".join(f"{k}={v}" for k, v in sp.parameters.items())] for sp in plan.ordered()]
    ui.table(f"plan for {plan.env.name} ({plan.env.region})", ["stack", "template", "imports from", "parameters"], rows)


@click.command("diff")
@env_option
@stack_option
@target_options
@output_option
@pass_ui
@click.pass_context
def diff_cmd(ctx: click.Context, env: str, stacks: tuple[str, ...], target: str, profile: str | None,
             region: str | None, endpoint_url: str | None, ui: Ui, output: str) -> None:
    """Show what deploy would change (change sets; nothing is executed).

    The same checks and preview as deploy: a setting that cannot change after the first deploy is refused
    (exit 2), buckets a later deploy adopts are listed as Import.
    """
    from fuelflow import lifecycle
    from fuelflow.adopt import annotate, find_cfn

    environment, plan = _plan(ctx, env, stacks, region)
    aws = open_target(environment, target, profile, region, endpoint_url, ui)
    _warn_if_locked(ui, aws, environment)
    engine = _engine(aws, ui)
    states = engine.check_states(plan, replace_failed=True)
    lifecycle.check_cloudformation(environment, aws, states)  # as deploy: fixed settings are refused, exit 2
    adoptions = find_cfn(engine, plan, states, aws)
    previews = engine.preview(plan, states)
    engine.discard(previews)
    annotate(previews, adoptions)
    cost = _cost_change(ctx, environment, plan, aws, ui)
    if ui.output == "json":
        ui.json({"environment": environment.name, "stacks": [p.to_dict() for p in previews],
                 "cost": cost.to_json() if cost is not None else None})
        return
    rows = []
    for p in previews:
        rows.append([p.stack, p.kind, "\n".join([p.note] * bool(p.note) + [c.describe() for c in p.changes])])
    ui.table(f"changes for {environment.name}", ["stack", "kind", "changes"], rows)
    if all(p.kind in ("none", "skip") for p in previews):
        ui.info("no changes")
    show_cost_change(ui, cost)


def _cost_change(ctx: click.Context, environment: Environment, plan: Plan, aws: AwsContext, ui: Ui) -> Any:
    """The monthly cost change of what deploy would apply (fuelflow.cost.delta); None, with a warning, when
    it cannot be priced (a region without prices, say): the diff itself stands."""
    from fuelflow.cost.delta import cloudformation_change

    stacks = [(s.part, s.name, s.template.path.name) for s in plan.ordered()]
    try:
        return cloudformation_change(project_dir_of(ctx), environment, stacks, aws.client("cloudformation"),
                                     aws.region)
    except FuelflowError as exc:
        ui.warn(f"cost change not shown: {exc.one_line()}")
        return None


def show_cost_change(ui: Ui, cost: Any) -> None:
    """The cost line (and the changed resources) at the end of diff / tf plan."""
    if cost is None:
        return
    if cost.changed:
        ui.table("monthly cost change (fuelflow cost's prices and assumptions)",
                 ["group", "resource", "before", "after", "change"], cost.rows())
    ui.info(cost.summary())


@click.command("deploy")
@env_option
@stack_option
@target_options
@engine_option
@click.option("--yes", "-y", is_flag=True, help="Do not ask for confirmation.")
@click.option("--force", is_flag=True, help="Required when a change removes or replaces the database or a bucket "
              "(the preview says which); you are asked to type the environment's name.")
@click.option("--confirm", "confirm_name", default=None, metavar="ENV",
              help="With --force and no terminal: the environment name, typed as confirmation.")
@click.option("--replace-failed", is_flag=True,
              help="Delete and recreate stacks left in ROLLBACK_COMPLETE by an earlier failed create "
                   "(automatic when such a stack holds no resource).")
@click.option("--continue-rollback", is_flag=True,
              help="First repair stacks in UPDATE_ROLLBACK_FAILED (continue-update-rollback, and wait).")
@output_option
@pass_ui
@click.pass_context
def deploy_cmd(ctx: click.Context, env: str, stacks: tuple[str, ...], target: str, profile: str | None,
               region: str | None, endpoint_url: str | None, engine: str, yes: bool, force: bool,
               confirm_name: str | None, replace_failed: bool, continue_rollback: bool, ui: Ui, output: str) -> None:
    """Deploy an environment: preview every stack's changes, confirm, then apply them.

    Stacks run as soon as the stacks they import from are complete; a failure stops only its
    dependents. Exit 1 if any stack fails. With --target local (default) and no --endpoint-url the
    embedded emulator is started for this command and gone when it ends.

    One run at a time: deploy takes the environment's run lock first; a second run exits 2 at once
    naming the holder (`fuelflow unlock` removes a dead run's lock). Ctrl-C starts no more stacks,
    cancels updates in flight, waits for creates, prints the summary and exits 130. Buckets a
    destroy kept are adopted (listed as Import); a change that replaces the database or a bucket
    needs --force. Settings that cannot change after the first deploy (network ranges, region) are
    refused before any change.
    """
    from fuelflow import lifecycle
    from fuelflow.adopt import annotate, find_cfn
    from fuelflow.confirm import approve, guard_data_loss
    from fuelflow.lock import run_lock
    from fuelflow.plan import build_plan

    environment = load_env(ctx, env)
    if engine == "terraform":
        _terraform(ctx, "deploy", environment, target, profile, region, endpoint_url, ui, yes=yes, force=force,
                   confirm_name=confirm_name)
        return
    plan = build_plan(project_dir_of(ctx), environment, stacks, region)
    aws = open_target(environment, target, profile, region, endpoint_url, ui)
    ctx.with_resource(run_lock(aws, environment, "deploy"))  # released when the command ends, however
    eng = _engine(aws, ui)
    try:
        if continue_rollback:
            eng.continue_rollbacks(plan)
        states = eng.check_states(plan, replace_failed)
        lifecycle.check_cloudformation(environment, aws, states)  # fixed settings (VPC CIDRs, region): exit 2
        adoptions = find_cfn(eng, plan, states, aws)  # recreate after destroy: retained buckets (fuelflow.adopt)
        ui.progress(f"deploying {environment.name} to {aws.endpoint_url or 'AWS'} ({aws.region}): "
                    + " -> ".join("[" + ", ".join(w) + "]" for w in plan.to_dict()["waves"]))
        previews = eng.preview(plan, states)
        annotate(previews, adoptions)
        _show_changes(ui, previews)
        if any(p.kind not in ("none", "skip") for p in previews):
            try:
                loses = eng.data_loss(plan, previews)
                if loses:  # a removed or replaced database/bucket: --force and the name typed, as for destroy
                    guard_data_loss(ui, environment, force, confirm_name, loses,
                                    f"Deploy these changes to {environment.name}?")
                else:
                    approve(ui, yes or _ephemeral(aws), "deploy", f"Deploy these changes to {environment.name}?")
            except FuelflowError:
                eng.discard(previews)
                raise
    except KeyboardInterrupt:
        _interrupted_before_changes(ui, eng, plan, "deploy")
    report = eng.deploy(plan, previews, states)
    report.notes.extend(_emulator_notes(aws))
    _print_report(ui, f"{environment.name} stacks", report)
    _raise_if_interrupted(eng, report, "deploy", environment.name, aws.target_args)
    if not report.ok:
        raise FuelflowError(f"deploy of {environment.name} failed: "
                            + "; ".join(f"{r.stack} {r.action}" for r in report.results if not r.ok),
                            "see the failing resource and reason above")


@click.command("destroy")
@env_option
@stack_option
@target_options
@engine_option
@click.option("--yes", "-y", is_flag=True, help="Do not ask for confirmation (not enough for stateful resources).")
@click.option("--force", is_flag=True, help="Required for a production-tier environment (tier: production) and "
              "whenever a database or other stateful resource would be deleted.")
@click.option("--confirm", "confirm_name", default=None, metavar="ENV",
              help="With --force and no terminal: the environment name, typed as confirmation.")
@click.option("--disable-deletion-protection", "lift_protection", is_flag=True,
              help="Destroy on purpose a database that has deletion protection (prod): with --force, after the "
              "typed confirmation, turn it off through the API, then delete. Bucket data is still kept.")
@output_option
@pass_ui
@click.pass_context
def destroy_cmd(ctx: click.Context, env: str, stacks: tuple[str, ...], target: str, profile: str | None,
                region: str | None, endpoint_url: str | None, engine: str, yes: bool, force: bool,
                confirm_name: str | None, lift_protection: bool, ui: Ui, output: str) -> None:
    """Delete an environment's stacks, dependents first.

    Refuses while another stack still imports one of their exports. Buckets are retained
    (DeletionPolicy Retain) and reported (a later deploy adopts them); the database is deleted after a
    final snapshot, so it needs --force and a typed confirmation, as does anything in a production-tier
    environment (tier: production). A database with deletion protection is refused unless
    --disable-deletion-protection is given.
    """
    from fuelflow.confirm import guard_destroy
    from fuelflow.engine import load_balancer_name
    from fuelflow.lock import run_lock
    from fuelflow.plan import build_plan

    environment = load_env(ctx, env)
    if lift_protection and not force:
        raise InputError("--disable-deletion-protection needs --force",
                         f"add --force (and --confirm {environment.name} without a terminal)")
    if engine == "terraform":
        if throwaway(target, endpoint_url):
            refuse_throwaway(f"destroy --engine terraform --env {environment.name}")
        _terraform(ctx, "destroy", environment, target, profile, region, endpoint_url, ui, yes=yes, force=force,
                   confirm_name=confirm_name, lift_protection=lift_protection)
        return
    plan = build_plan(project_dir_of(ctx), environment, stacks, region)
    aws = open_target(environment, target, profile, region, endpoint_url, ui)
    ctx.with_resource(run_lock(aws, environment, "destroy"))  # released when the command ends, however
    eng = _engine(aws, ui)
    existing = eng.destroy_checks(plan)
    if not existing:
        ui.info(f"nothing to destroy: no stack of {environment.name} is deployed")
        if ui.output == "json":
            ui.json({"ok": True, "stacks": [], "retained": [], "snapshots": [], "notes": ["nothing deployed"]})
        return
    stateful = eng.stateful_in(plan, existing)
    protected = eng.protected_databases(existing)
    protected_lbs = eng.protected_load_balancers(existing)
    if (protected or protected_lbs) and not lift_protection:
        names = [db for _s, db in protected] + [f"load balancer {load_balancer_name(a)}" for _s, a in protected_lbs]
        raise InputError(f"refusing to destroy {environment.name}: deletion protection is on for "
                         f"{', '.join(names)} (the delete would fail; nothing was changed)",
                         f"to destroy it on purpose: fuelflow destroy --env {environment.name} --force "
                         f"--disable-deletion-protection --confirm {environment.name}{aws.target_args}")
    order = [n for n in reversed([sp.name for sp in plan.ordered()]) if n in existing]
    ui.progress(f"will delete, in this order: {', '.join(order)}")
    for stack, lid, rtype, policy in stateful:
        fate = "kept (retained; a later deploy adopts it)" if policy.startswith("Retain") \
            else _snapshot_fate(aws)
        ui.progress(f"    {stack}/{lid} ({rtype}): {fate}")
    for _stack, db in protected:
        ui.progress(f"    {db}: deletion protection turned off first (--disable-deletion-protection)")
    for _stack, arn in protected_lbs:
        ui.progress(f"    load balancer {load_balancer_name(arn)}: deletion protection turned off first "
                    "(--disable-deletion-protection)")
    try:
        guard_destroy(ui, environment, yes or _ephemeral(aws), force, confirm_name,
                      [f"{stack}/{lid}" for stack, lid, _t, policy in stateful if policy == "Snapshot"]
                      + [f"{db} (deletion protection)" for _s, db in protected]
                      + [f"load balancer {load_balancer_name(a)} (deletion protection)" for _s, a in protected_lbs],
                      f"Destroy {environment.name}?")
    except KeyboardInterrupt:
        _interrupted_before_changes(ui, eng, plan, "destroy")
    eng.lift_deletion_protection(db for _s, db in protected)
    eng.lift_load_balancer_protection(arn for _s, arn in protected_lbs)
    report = eng.destroy(plan, existing)
    _print_report(ui, f"{environment.name} destroyed", report)
    _raise_if_interrupted(eng, report, "destroy", environment.name, aws.target_args)
    if not report.ok:
        raise FuelflowError(f"destroy of {environment.name} failed", "see the failing resource and reason above")


# ------------------------------------------------------------------ Ctrl-C, the run lock


def _interrupted_before_changes(ui: Ui, eng: Engine, plan: Plan, action: str) -> None:
    """Ctrl-C before anything ran (checks, preview, prompt): drop the prepared change sets, print the
    summary, exit 130."""
    from fuelflow.engine import Report, StackResult

    with contextlib.suppress(KeyboardInterrupt):  # a second Ctrl-C: leave the change sets (they change nothing)
        eng.discard_prepared()
    report = Report([StackResult(sp.name, "not started", reason="Ctrl-C before any change")
                     for sp in plan.ordered()], 0.0)
    _print_report(ui, f"{plan.env.name} {action} interrupted", report)
    raise Interrupted(f"{action} of {plan.env.name} interrupted (Ctrl-C) before any change: nothing was changed",
                      "run the command again when ready")


def _raise_if_interrupted(eng: Engine, report: Report, action: str, env: str, args: str = "") -> None:
    """After a Ctrl-C while stacks ran: exit 130, saying what is still running and how to finish."""
    if not eng.interrupted:
        return
    still = [f"{r.stack} ({r.status or 'request in flight'})" for r in report.results if r.action == "interrupted"]
    message = f"{action} of {env} interrupted (Ctrl-C)"
    if still:
        message += f"; still running in CloudFormation: {', '.join(still)}"
    fix = (f"run `fuelflow {action} --env {env}{args}` again to finish" if not still else
           f"wait for them (`fuelflow status --env {env}{args}`), then run `fuelflow {action} --env {env}{args}` "
           "again")
    raise Interrupted(message, fix, leave_now=bool(still) or eng.abandoned.is_set())


def _warn_if_locked(ui: Ui, aws: AwsContext, environment: Environment) -> None:
    """diff takes no lock (its change sets change nothing, and are deleted), but says when a run holds it."""
    import botocore.exceptions

    from fuelflow.lock import env_lock

    try:
        held = env_lock(aws, environment).holder()
    except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError):  # no SSM access: say nothing
        return
    if held is not None and held.dead_here():
        ui.warn(f"{held.describe(environment.name)}: remove the lock with "
                f"`fuelflow unlock --env {environment.name} {held.id}{aws.target_args}`")
    elif held is not None:
        ui.warn(f"{held.describe(environment.name)}: this diff may change as that run goes on")


@click.command("unlock")
@env_option
@click.argument("lock_id")
@target_options
@output_option
@pass_ui
@click.pass_context
def unlock_cmd(ctx: click.Context, env: str, lock_id: str, target: str, profile: str | None, region: str | None,
               endpoint_url: str | None, ui: Ui, output: str) -> None:
    """Remove the run lock a dead deploy/destroy left on ENV (LOCK_ID: from the refused run's message).

    Like `terraform force-unlock`: only the lock with that id is removed. Make sure its run is dead first.
    """
    from fuelflow.lock import env_lock

    if throwaway(target, endpoint_url):  # the embedded emulator it would start holds no lock, by construction
        raise InputError("unlock needs the target that holds the lock: without --endpoint-url it would look in a "
                         "throwaway emulator started for this command", "add the --endpoint-url (or --target aws "
                         "options) of the run that left the lock, as the refused run's message prints them")
    environment = load_env(ctx, env)
    aws = open_target(environment, target, profile, region, endpoint_url, ui)
    held = env_lock(aws, environment).force_unlock(lock_id)
    if ui.output == "json":
        ui.json({"environment": environment.name, "unlocked": held.__dict__})
        return
    ui.info(f"unlocked {environment.name} (was held by {held.who}, pid {held.pid}, {held.operation}, "
            f"since {held.since})")


def _snapshot_fate(aws: AwsContext) -> str:
    """What happens to a DeletionPolicy Snapshot database, said truthfully for the emulator too."""
    if aws.is_local and not any(r.number == 32 and r.status == "applied" for r in aws.fix_reports):
        return "DELETED; the local emulator takes no final snapshot (its fix 32 is not applied here)"
    return "DELETED after a final snapshot"


def _read_stacks(ctx: click.Context, action: str, env: str, stacks: tuple[str, ...], target: str,
                 profile: str | None, region: str | None, endpoint_url: str | None, engine: str,
                 ui: Ui) -> tuple[Environment, AwsContext, Plan, list[StackResult]] | None:
    """status/outputs: the plan and each selected stack as deployed; None when --engine terraform printed it."""
    from fuelflow.plan import build_plan

    environment = load_env(ctx, env)
    if throwaway(target, endpoint_url):
        if engine == "terraform" and action == "outputs":
            refuse_throwaway(f"outputs --engine terraform --env {environment.name}")
        warn_throwaway(ui, action, environment.name)
    if engine == "terraform":
        _terraform(ctx, action, environment, target, profile, region, endpoint_url, ui)
        return None
    plan = build_plan(project_dir_of(ctx), environment, stacks, region)
    aws = open_target(environment, target, profile, region, endpoint_url, ui)
    return environment, aws, plan, _engine(aws, ui).status(plan)


@click.command("status")
@env_option
@stack_option
@target_options
@engine_option
@output_option
@pass_ui
@click.pass_context
def status_cmd(ctx: click.Context, env: str, stacks: tuple[str, ...], target: str, profile: str | None,
               region: str | None, endpoint_url: str | None, engine: str, ui: Ui, output: str) -> None:
    """Show each stack's status (NOT_DEPLOYED when absent)."""
    read = _read_stacks(ctx, "status", env, stacks, target, profile, region, endpoint_url, engine, ui)
    if read is None:
        return
    environment, _aws, _plan, results = read
    if ui.output == "json":
        ui.json({"environment": environment.name,
                 "stacks": [{"stack": r.stack, "status": r.status, "reason": r.reason} for r in results]})
        return
    rows = [[r.stack, r.status, r.reason] for r in results]
    ui.table(f"{environment.name} status", ["stack", "status", "reason"], rows)


@click.command("outputs")
@env_option
@stack_option
@target_options
@engine_option
@output_option
@pass_ui
@click.pass_context
def outputs_cmd(ctx: click.Context, env: str, stacks: tuple[str, ...], target: str, profile: str | None,
                region: str | None, endpoint_url: str | None, engine: str, ui: Ui, output: str) -> None:
    """Print the deployed stacks' outputs (`--output json` for scripts)."""
    read = _read_stacks(ctx, "outputs", env, stacks, target, profile, region, endpoint_url, engine, ui)
    if read is None:
        return
    environment, aws, plan, results = read
    # A stack the plan skips (nothing to deploy here, e.g. the edge with its options off) is absent by design.
    missing = [r.stack for r in results if r.action != "present" and not plan.stacks[r.stack].nothing]
    results = [r for r in results if r.action == "present"]
    where = _where(aws)
    if not results:
        raise InputError(f"{environment.name} is not deployed (no stack of it exists at {where})",
                         f"deploy it first (fuelflow deploy --env {environment.name} with the same target options)")
    if missing:
        ui.warn(f"{environment.name} is partly deployed at {where}: missing {', '.join(missing)}")
    if ui.output == "json":
        ui.json({r.stack: r.outputs for r in results})
        return
    rows = [[r.stack, k, v] for r in results for k, v in sorted(r.outputs.items())]
    ui.table(f"{environment.name} outputs", ["stack", "output", "value"], rows)


def _terraform(ctx: click.Context, action: str, env: Environment, target: str, profile: str | None,
               region: str | None, endpoint_url: str | None, ui: Ui, **kwargs: Any) -> None:
    """--engine terraform: the same commands, carried out by fuelflow.tf."""
    from fuelflow.commands.tf import run_engine_command

    aws = open_target(env, target, profile, region, endpoint_url, ui)
    run_engine_command(action, env, aws, project_dir_of(ctx), ui, **kwargs)


COMMANDS = [plan_cmd, diff_cmd, deploy_cmd, destroy_cmd, status_cmd, outputs_cmd, unlock_cmd]
