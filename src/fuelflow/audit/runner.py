"""Running an audit: identify the caller, make sure something is deployed, run each control."""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable
from typing import Any

import botocore.exceptions

from fuelflow import moto_fixes
from fuelflow.audit import checks  # noqa: F401  (registers every control)
from fuelflow.audit.context import AuditContext, Unanswerable
from fuelflow.audit.exceptions import Exceptions
from fuelflow.audit.names import Names
from fuelflow.audit.registry import CONTROLS, Control, Engine, Result, Status
from fuelflow.audit.report import Report
from fuelflow.aws import AwsContext
from fuelflow.config import Environment
from fuelflow.errors import FuelflowError, InputError

_NO_STATE = ("the CloudFormation path keeps no Terraform state: the state bucket and lock table exist only "
             "with --engine terraform")


def describe_target(aws: AwsContext, account: str) -> str:
    if aws.is_local:
        return f"the local emulator at {aws.endpoint_url} ({aws.region})"
    return f"AWS account {account} ({aws.region})"


def _anything_deployed(ctx: AuditContext) -> bool:
    """True when at least one resource of the environment exists (or cannot be proven absent)."""
    n = ctx.names
    buckets = [*n.buckets.values(), *([n.state_bucket] if ctx.engine == "terraform" else [])]
    probes: list[Callable[[], Any]] = [
        *[functools.partial(ctx.bucket_exists, b) for b in buckets],
        *[functools.partial(ctx.role, r) for r in n.roles],
        functools.partial(ctx.security_groups, n.web_sg),
        functools.partial(ctx.security_groups, n.db_sg),
        ctx.db_instance,
        ctx.log_groups,
        ctx.vpcs,
    ]
    for probe in probes:
        try:
            if probe():
                return True
        except Unanswerable:
            return True  # cannot prove it absent: audit and let the controls say what they can
    return False


def run_audit(aws: AwsContext, env: Environment, engine: Engine = "cloudformation",
              only: Iterable[str] | None = None, exceptions: Exceptions | None = None) -> Report:
    """Audit `env` on `aws`. Raises InputError (exit 2) when nothing of the environment is deployed.

    `only` limits the run to some control ids (tests; the not-deployed probe still runs). `exceptions`: the
    reviewed exceptions file, whose `fuelflow-audit` entries mark failed results suppressed (report.py).
    """
    ctx = AuditContext(aws, env, engine, Names(env.project, env.name, "", aws.region))
    try:
        try:
            caller = ctx.call("sts", "get_caller_identity") or {}
        except Unanswerable as exc:
            raise InputError(f"cannot identify the caller on {aws.target.kind}: {exc.reason}",
                             "check the credentials (aws sts get-caller-identity)") from exc
        account = str(caller["Account"])
        partition = str(caller.get("Arn", "arn:aws:")).split(":")[1] or "aws"
        ctx.names = Names(env.project, env.name, account, aws.region, partition)
        target = describe_target(aws, account)
        if not _anything_deployed(ctx):
            fix = f"run fuelflow deploy --env {env.name}" + (" --engine terraform" if engine == "terraform" else "")
            if aws.emulator is not None:
                fix += (" (the embedded emulator starts empty: run `fuelflow local`, deploy with --endpoint-url, "
                        "then audit with the same --endpoint-url)")
            raise InputError(f"environment {env.name} is not deployed on {target}", fix)
        wanted = set(only) if only is not None else None
        # On an emulator whose fidelity fix for a control's setting failed, its answer would be moto's, not AWS's.
        broken = moto_fixes.unchecked_controls(aws.fix_reports) if aws.target.kind == "local" else {}
        results: list[Result] = []
        for c in CONTROLS:
            if wanted is not None and c.id not in wanted:
                continue
            if c.id in broken and ctx.engine in c.engines:
                resource = c.subject(ctx.names) if c.subject else "-"
                results.append(Result(c.id, Status.NOT_CHECKED, resource, broken[c.id]))
                continue
            results.extend(_run_control(ctx, c))
    finally:
        ctx.close()
    return Report(env.name, env.project, target, engine, account, aws.region, results, exceptions)


def _run_control(ctx: AuditContext, c: Control) -> list[Result]:
    if ctx.engine not in c.engines:
        resource = c.subject(ctx.names) if c.subject else "-"
        reason = _NO_STATE if c.engines == ("terraform",) else f"not part of the {ctx.engine} path"
        return [Result(c.id, Status.NOT_APPLICABLE, resource, reason)]
    out: list[Result] = []
    try:
        for v in c.check(ctx):
            out.append(Result(c.id, v.status, v.resource, v.detail, v.arn))
    except Unanswerable as exc:
        out.append(Result(c.id, Status.NOT_CHECKED, "-", exc.reason))
    except botocore.exceptions.EndpointConnectionError as exc:
        raise FuelflowError(f"lost the connection to the target during {c.id}: {exc}",
                            "check that the emulator or network is still up, then run the audit again") from exc
    return out
