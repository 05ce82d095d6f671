"""The Terraform operations on one environment: bootstrap and unbootstrap of the state backend, plan,
apply (deploy), destroy, outputs, status. The CLI and the `--engine terraform` paths call the `tf_*`
functions."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import botocore.exceptions

from fuelflow.adopt import write_tf_imports
from fuelflow.aws import AwsContext
from fuelflow.config import Environment
from fuelflow.confirm import approve, guard_data_loss, guard_destroy, require_confirmation
from fuelflow.errors import DeployError, FuelflowError, InputError
from fuelflow.lifecycle import check_terraform
from fuelflow.lock import run_lock
from fuelflow.names import Names
from fuelflow.output import Ui
from fuelflow.tf.plans import STATEFUL_TYPES, change_lines, redact_outputs
from fuelflow.tf.render import LOCAL_STATE, TEARDOWN_OVERRIDE, render_teardown_override
from fuelflow.tf.session import BOOTSTRAP_DIR, PLAN_FILE, TfSession, locked, open_session
from fuelflow.tf.source import guarded_resources, local_module_dirs
from fuelflow.tf.state import StateBackend, StateStore
from fuelflow.tf.workcopy import TERRAFORM_DIR


def _summary_line(summary: dict[str, list[str]] | None) -> str:
    if not summary:
        return "no changes"
    return ", ".join(f"{len(v)} to {k}" for k, v in summary.items() if v) or "no resource changes"


# ------------------------------------------------------------------------------------ the operations


def bootstrap(s: TfSession) -> dict[str, Any]:
    """Create the state backend through terraform/bootstrap (cloudposse's tfstate-backend procedure):
    apply with local state, then `init -migrate-state` into the bucket just created. Idempotent: once
    the bootstrap state is in the bucket, a rerun plans against it and changes nothing.
    """
    s.sync()
    root = s.bootstrap_root
    if not root.is_dir():
        raise InputError(f"{s.project_dir / TERRAFORM_DIR / BOOTSTRAP_DIR} is missing",
                         "restore terraform/bootstrap (the root that applies modules/terraform-state)")
    local_state = root / LOCAL_STATE
    resumed = local_state.is_file() and bool(json.loads(local_state.read_text() or "{}").get("resources"))
    changed = False
    if not resumed and s.store.read_state(s.backend.bootstrap_key) is not None:
        # Already bootstrapped: plan against the migrated state, apply only a drift.
        s.set_backend(root, "s3")
        s.init(root, remote_key=s.backend.bootstrap_key)
        if s.plan(root, summarize=False) is not None:
            s.ui.progress("the state backend differs from terraform/bootstrap: applying")
            s.apply_plan(root)
            changed = True
    else:
        if not resumed and s.store.bucket_exists():
            raise InputError(
                f"the bucket {s.backend.bucket} exists but holds no bootstrap state ({s.backend.bootstrap_key})",
                "import it into terraform/bootstrap (terraform import) or remove it, then run bootstrap again",
            )
        if not resumed:
            local_state.unlink(missing_ok=True)
            (root / f"{LOCAL_STATE}.backup").unlink(missing_ok=True)
        s.set_backend(root, "local")
        s.init(root, remote_key=None)
        if s.plan(root, summarize=False) is not None:
            s.apply_plan(root)
        s.ui.progress(f"moving the bootstrap state into s3://{s.backend.bucket}/{s.backend.bootstrap_key}")
        s.set_backend(root, "s3")
        try:
            s.init(root, remote_key=s.backend.bootstrap_key, migrate=True)
        except DeployError as exc:
            if s.local_endpoint and "403" in exc.message:
                raise DeployError(exc.message, "the emulator refuses objects in a bucket with a TLS-only policy "
                                  "(moto ignores aws:SecureTransport conditions); run an emulator that treats "
                                  "its clients as TLS clients") from exc
            raise
        if s.store.read_state(s.backend.bootstrap_key) is None:
            raise DeployError("the bootstrap state did not arrive in the bucket",
                              f"the local copy is kept in {local_state}; run bootstrap again")
        local_state.unlink(missing_ok=True)
        (root / f"{LOCAL_STATE}.backup").unlink(missing_ok=True)
        changed = True
    _check_bootstrap_outputs(s, s.outputs(root))
    backend_file = s.write_backend_file()
    return {
        "environment": s.env.name,
        "target": s.target,
        "bucket": s.backend.bucket,
        "lock_table": s.backend.lock_table,
        "region": s.backend.region,
        "state_key": s.backend.key,
        "backend_config": str(backend_file),
        "changed": changed,
    }


def _check_bootstrap_outputs(s: TfSession, outputs: dict[str, Any]) -> None:
    """The bootstrap root and this tool must agree on the names (docs/contract.md)."""
    config = outputs.get("backend_config", {}).get("value") or {}
    expected = {"bucket": s.backend.bucket, "dynamodb_table": s.backend.lock_table, "key": s.backend.key}
    wrong = {k: config[k] for k, v in expected.items() if k in config and config[k] != v}
    if wrong:
        raise DeployError(f"terraform/bootstrap's backend_config disagrees with docs/contract.md: {wrong}",
                          f"expected {expected}")


def unbootstrap(s: TfSession, *, force: bool, auto_approve: bool) -> dict[str, Any]:
    """Delete the state backend. Refuses while any state in the bucket still tracks resources, unless
    `force`; asks first (typed environment name) unless `auto_approve`."""
    s.sync()
    root = s.bootstrap_root
    local_state = root / LOCAL_STATE
    resumed = local_state.is_file() and bool(json.loads(local_state.read_text() or "{}").get("resources"))
    if not resumed and not s.store.bucket_exists():
        if s.store.table_exists():
            raise InputError(f"the lock table {s.backend.lock_table} exists without its bucket",
                             "delete it by hand (it is not tracked by any state fuelflow can find)")
        return {"environment": s.env.name, "deleted": [], "message": "no state backend: nothing to do"}
    live = {} if resumed else s.store.states_with_resources()
    if live and not force:
        held = ", ".join(f"{k} ({n} resources)" for k, n in sorted(live.items()))
        raise InputError(f"the state bucket {s.backend.bucket} still holds state: {held}",
                         f"destroy first (`fuelflow tf destroy --env {s.env.name}`), "
                         "or pass --force to delete that state and leave those resources unmanaged")
    approve(s.ui, auto_approve, "unbootstrap",
             f"Delete the Terraform state bucket {s.backend.bucket} (all versions) and lock table "
             f"{s.backend.lock_table}?", expected=s.env.name)
    if not resumed:
        if s.store.read_state(s.backend.bootstrap_key) is None:
            raise InputError(f"the bucket {s.backend.bucket} holds no bootstrap state",
                             "it was not created by `fuelflow tf bootstrap`; delete it by hand")
        s.set_backend(root, "s3")
        s.init(root, remote_key=s.backend.bootstrap_key)
        s.ui.progress("moving the bootstrap state out of the bucket it is about to delete")
        s.set_backend(root, "local")
        s.init(root, remote_key=None, migrate=True)
    else:
        s.set_backend(root, "local")
        s.init(root, remote_key=None)
    for directory in [root, *local_module_dirs(root)]:
        guarded = guarded_resources(directory)
        if guarded:
            (directory / TEARDOWN_OVERRIDE).write_text(render_teardown_override(guarded))
    if s.plan(root, summarize=False) is not None:  # records force_destroy, lifts deletion protection
        s.apply_plan(root)
    if s.store.bucket_exists():
        s.ui.progress(f"emptied {s.backend.bucket}: {s.store.empty_bucket()} object versions deleted")
    if s.plan(root, destroy=True, summarize=False) is not None:
        s.apply_plan(root)
    local_state.unlink(missing_ok=True)
    (root / f"{LOCAL_STATE}.backup").unlink(missing_ok=True)
    s.backend_file.unlink(missing_ok=True)
    return {"environment": s.env.name, "deleted": [s.backend.bucket, s.backend.lock_table],
            "message": "state backend deleted"}


def require_backend(s: TfSession) -> None:
    """The state backend must exist; in a fresh embedded emulator it is bootstrapped on the spot."""
    if s.store.bucket_exists():
        return
    if s.ephemeral:
        s.ui.progress("bootstrapping the Terraform state backend in the embedded emulator")
        bootstrap(s)
        return
    raise InputError(
        f"the Terraform state backend of {s.env.name} does not exist (no bucket {s.backend.bucket})",
        f"run `fuelflow tf bootstrap --env {s.env.name}` with the same target options first",
    )


def refuse_fixed_changes(s: TfSession) -> None:
    """Before anything runs: refuse a change of a setting that cannot change once deployed (a new VPC or
    subnet CIDR, another region), read against the environment's state (src/fuelflow/lifecycle.py)."""
    check_terraform(s.env, s.aws, s.store.read_state(s.backend.key))


def prepare_main(s: TfSession) -> Path:
    """The main root, initialised against the environment's state."""
    s.sync()
    require_backend(s)
    s.set_backend(s.root, None)
    s.init(s.root, remote_key=s.backend.key)
    return s.root


# Public API (the CLI and the `--engine terraform` paths of deploy/destroy/status/outputs call these).


def tf_bootstrap(env: Environment, aws_ctx: AwsContext, project_dir: Path, ui: Ui, *,
                 plugin_dir: str | Path | None = None, work_dir: Path | None = None) -> dict[str, Any]:
    """Create (or confirm) the environment's state backend; write its backend config file."""
    s = open_session(env, aws_ctx, project_dir, ui, plugin_dir=plugin_dir, work_dir=work_dir)
    with run_lock(aws_ctx, env, "tf bootstrap"), locked(s):
        return bootstrap(s)


def tf_unbootstrap(env: Environment, aws_ctx: AwsContext, project_dir: Path, ui: Ui, *, force: bool = False,
                   auto_approve: bool = False, plugin_dir: str | Path | None = None,
                   work_dir: Path | None = None) -> dict[str, Any]:
    """Delete the state backend (guarded: see `unbootstrap`)."""
    require_confirmation(ui, auto_approve, "unbootstrap")
    s = open_session(env, aws_ctx, project_dir, ui, plugin_dir=plugin_dir, work_dir=work_dir)
    with run_lock(aws_ctx, env, "tf unbootstrap"), locked(s):
        return unbootstrap(s, force=force, auto_approve=auto_approve)


def tf_plan(env: Environment, aws_ctx: AwsContext, project_dir: Path, ui: Ui, *, destroy: bool = False,
            plugin_dir: str | Path | None = None, work_dir: Path | None = None) -> dict[str, Any]:
    """Show what apply (or destroy) would change; {"changes": bool, "create": [...], ...}."""
    s = open_session(env, aws_ctx, project_dir, ui, plugin_dir=plugin_dir, work_dir=work_dir)
    with locked(s):
        if not destroy:
            refuse_fixed_changes(s)
        root = prepare_main(s)
        if not destroy:
            write_tf_imports(s, root)  # recreate after destroy: retained buckets outside the state
        summary = s.plan(root, destroy=destroy)
        (root / PLAN_FILE).unlink(missing_ok=True)
    return {"environment": env.name, "changes": summary is not None,
            **(summary or {"create": [], "update": [], "replace": [], "delete": []}),
            "details": s.last_plan_details if summary is not None else [],
            "cost": _plan_cost(s.last_resource_changes, env, aws_ctx, ui) if summary is not None else None}


def _plan_cost(changes: list[dict[str, Any]], env: Environment, aws_ctx: AwsContext, ui: Ui) -> Any:
    """The plan's monthly cost change (fuelflow.cost.delta), as JSON; None with a warning when it cannot be
    priced (a region without prices, say): the plan itself stands."""
    from fuelflow.cost.delta import terraform_change

    try:
        return terraform_change(changes, env, aws_ctx.region).to_json()
    except FuelflowError as exc:
        ui.warn(f"cost change not shown: {exc.one_line()}")
        return None


def tf_deploy(env: Environment, aws_ctx: AwsContext, project_dir: Path, ui: Ui, auto_approve: bool = False,
              *, force: bool = False, confirm_name: str | None = None, plugin_dir: str | Path | None = None,
              work_dir: Path | None = None) -> dict[str, Any]:
    """Plan, ask (unless auto_approve, or in a throwaway emulator), apply the saved plan; return the
    outputs (sensitive values redacted). A plan that replaces or deletes a database or bucket needs `force`
    and the environment's name typed (`confirm_name`), as a destroy does."""
    auto_approve = auto_approve or aws_ctx.emulator is not None
    require_confirmation(ui, auto_approve, "apply")
    s = open_session(env, aws_ctx, project_dir, ui, plugin_dir=plugin_dir, work_dir=work_dir)
    with run_lock(aws_ctx, env, "tf deploy"), locked(s):  # at once, exit 2 (Terraform's own lock would wait 60 s)
        refuse_fixed_changes(s)
        root = prepare_main(s)
        write_tf_imports(s, root)  # recreate after destroy: retained buckets outside the state (fuelflow.adopt)
        summary = s.plan(root)
        if summary is None:
            ui.progress(f"{env.name}: no changes")
        else:
            for line in change_lines(s.last_plan_details):
                ui.progress(f"  {line}")
            try:
                question = f"Apply these changes to {env.name} ({_summary_line(summary)})?"
                if s.last_data_loss:
                    guard_data_loss(ui, env, force, confirm_name, s.last_data_loss, question)
                else:
                    approve(ui, auto_approve, "apply", question)
            except FuelflowError:
                (root / PLAN_FILE).unlink(missing_ok=True)
                raise
            s.apply_plan(root)
        return redact_outputs(s.outputs(root))


def _protected_db(s: TfSession, details: list[dict[str, Any]]) -> str | None:
    """The environment's DB instance when this destroy deletes it and its deletion protection is on."""
    if not any(d["type"] == "aws_db_instance" and d["action"] == "delete" for d in details):
        return None
    db = Names(s.env.project, s.env.name, region=s.aws.region).db_instance
    try:
        found = s.aws.client("rds").describe_db_instances(DBInstanceIdentifier=db).get("DBInstances", [])
    except botocore.exceptions.ClientError:
        return None
    return db if found and found[0].get("DeletionProtection") else None


def _protected_load_balancer(s: TfSession, details: list[dict[str, Any]]) -> str | None:
    """The environment's load balancer (its ARN) when this destroy deletes it and its deletion protection is on:
    the provider's DeleteLoadBalancer would fail on it."""
    if not any(d["type"] == "aws_lb" and d["action"] == "delete" for d in details):
        return None
    from fuelflow.engine import load_balancer_protected

    elb = s.aws.client("elbv2")
    name = Names(s.env.project, s.env.name, region=s.aws.region).load_balancer
    try:
        found = elb.describe_load_balancers(Names=[name]).get("LoadBalancers", [])
    except botocore.exceptions.ClientError:
        return None
    arn = str(found[0]["LoadBalancerArn"]) if found else ""
    return arn if arn and load_balancer_protected(elb, arn) else None


def _final_snapshots(s: TfSession, before: set[str]) -> list[str]:
    db = Names(s.env.project, s.env.name, region=s.aws.region).db_instance
    try:
        snaps = s.aws.client("rds").describe_db_snapshots(DBInstanceIdentifier=db).get("DBSnapshots", [])
    except botocore.exceptions.ClientError:
        return []
    return sorted(x["DBSnapshotIdentifier"] for x in snaps
                  if x.get("SnapshotType") != "automated" and x["DBSnapshotIdentifier"] not in before)


def tf_destroy(env: Environment, aws_ctx: AwsContext, project_dir: Path, ui: Ui, auto_approve: bool = False,
               *, force: bool = False, confirm_name: str | None = None, lift_protection: bool = False,
               plugin_dir: str | Path | None = None, work_dir: Path | None = None) -> dict[str, Any]:
    """Plan a destroy, guard it, apply it. The state backend stays; non-empty buckets are kept.

    Guarded as the CloudFormation path is: a production-tier environment, or a plan that deletes data (a
    database, a table...), needs `force` and the environment's name typed (or `confirm_name` without a
    terminal); anything else a y/N question, skipped with `auto_approve` or in a throwaway emulator.
    """
    ephemeral = aws_ctx.emulator is not None
    require_confirmation(ui, auto_approve or ephemeral or confirm_name is not None, "destroy")
    s = open_session(env, aws_ctx, project_dir, ui, plugin_dir=plugin_dir, work_dir=work_dir)
    with run_lock(aws_ctx, env, "tf destroy"), locked(s):
        root = prepare_main(s)
        summary = s.plan(root, destroy=True)
        if summary is None:
            ui.progress(f"{env.name}: nothing to destroy")
            return {"environment": env.name, "destroyed": [], "retained": []}
        kept = s.nonempty_buckets(root)
        forget = [address for addresses in kept.values() for address in addresses]
        if kept:
            ui.warn(f"not empty, so kept with their data and settings (they leave the Terraform state): "
                    f"{', '.join(sorted(kept))}")
        data = [d["address"] for d in s.last_plan_details if d["action"] == "delete"
                and d["type"] in STATEFUL_TYPES and d["address"] not in forget]
        protected = _protected_db(s, s.last_plan_details)
        protected_lb = _protected_load_balancer(s, s.last_plan_details)
        if (protected or protected_lb) and not lift_protection:
            (root / PLAN_FILE).unlink(missing_ok=True)
            from fuelflow.engine import load_balancer_name

            names = [protected] if protected else []
            names += [f"load balancer {load_balancer_name(protected_lb)}"] if protected_lb else []
            raise InputError(f"refusing to destroy {env.name}: deletion protection is on for {', '.join(names)} "
                             "(the delete would fail; nothing was changed)",
                             f"to destroy it on purpose: fuelflow destroy --env {env.name} --engine terraform "
                             f"--force --disable-deletion-protection --confirm {env.name}{aws_ctx.target_args}")
        if protected:
            data.append(f"{protected} (deletion protection)")
        if protected_lb:
            from fuelflow.engine import load_balancer_name

            data.append(f"load balancer {load_balancer_name(protected_lb)} (deletion protection)")
        question = (f"Destroy {len(summary['delete']) - len(forget)} resources of {env.name}"
                    f"{f' and keep {len(kept)} non-empty buckets' if kept else ''}?")
        try:
            guard_destroy(ui, env, auto_approve or ephemeral, force, confirm_name, data, question)
        except FuelflowError:
            (root / PLAN_FILE).unlink(missing_ok=True)
            raise
        if protected or protected_lb:
            from fuelflow.engine import Engine, PollConfig

            eng = Engine(s.aws.client, ui.progress, PollConfig.local() if s.aws.is_local else PollConfig())
            eng.lift_deletion_protection([protected] if protected else [])
            eng.lift_load_balancer_protection([protected_lb] if protected_lb else [])
        snapshots_before = set(_final_snapshots(s, set()))
        if forget:
            (root / PLAN_FILE).unlink(missing_ok=True)
            s.tf.run(root, "state", "rm", "-lock-timeout=60s", *forget)
            second = s.plan(root, destroy=True)
            if second is not None and not set(second["delete"]) <= set(summary["delete"]):
                (root / PLAN_FILE).unlink(missing_ok=True)
                extra = sorted(set(second["delete"]) - set(summary["delete"]))
                raise DeployError(f"the destroy plan changed after it was confirmed: {', '.join(extra)}",
                                  "run destroy again and review the new plan")
            if second is None:
                return {"environment": env.name, "destroyed": [], "retained": sorted(kept), "snapshots": []}
            summary = second
        s.apply_plan(root)
        return {"environment": env.name, "destroyed": summary["delete"], "retained": sorted(kept),
                "snapshots": _final_snapshots(s, snapshots_before)}


def tf_outputs(env: Environment, aws_ctx: AwsContext, project_dir: Path, ui: Ui, *,
               plugin_dir: str | Path | None = None, work_dir: Path | None = None) -> dict[str, Any]:
    """The main root's outputs, sensitive values redacted."""
    s = open_session(env, aws_ctx, project_dir, ui, plugin_dir=plugin_dir, work_dir=work_dir)
    with locked(s):
        return redact_outputs(s.outputs(prepare_main(s)))


def tf_status(env: Environment, aws_ctx: AwsContext, project_dir: Path, ui: Ui, *,
              plugin_dir: str | Path | None = None, work_dir: Path | None = None) -> dict[str, Any]:
    """Where the state is and what it tracks, read straight from the bucket: needs no terraform binary.

    (`project_dir`, `ui`, `plugin_dir` and `work_dir` are accepted for a uniform signature.)
    """
    store = StateStore(aws_ctx, StateBackend.for_env(env, aws_ctx.account_id(), aws_ctx.region))
    bucket = store.bucket_exists()
    state = store.read_state(store.backend.key) if bucket else None
    resources = [r for r in (state or {}).get("resources", []) if r.get("mode") == "managed"]
    return {
        "environment": env.name,
        "target": "local" if aws_ctx.is_local else "aws",
        "bucket": store.backend.bucket,
        "bucket_exists": bucket,
        "lock_table": store.backend.lock_table,
        "lock_table_exists": store.table_exists(),
        "state_key": store.backend.key,
        "state_exists": state is not None,
        "serial": (state or {}).get("serial"),
        "resources": sum(len(r.get("instances", [])) for r in resources),
        "resource_types": sorted({r["type"] for r in resources}),
        "outputs": redact_outputs((state or {}).get("outputs", {})),
    }
