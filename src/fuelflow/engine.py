"""The deploy engine's second half: carry a Plan out with change sets (deploy, diff, destroy).

- Stack states are checked before anything changes (busy, failed, ROLLBACK_COMPLETE).
- Changes are previewed (add / modify / remove, replacement called out) and confirmed once.
- Stacks start as soon as what they import is complete, so independent stacks run concurrently
  and the wall time approaches the graph's critical path.
- A failed stack stops its dependents only; the failing resource and AWS's reason are reported.
- Throttling is absorbed by botocore's adaptive retries (aws.RETRY_CONFIG); polling backs off.
- Ctrl-C while stacks run: no new stack starts, an update in flight is cancelled (it rolls back), a create or
  delete in flight is waited for (CloudFormation cannot cancel those); a second Ctrl-C leaves at once.
"""

from __future__ import annotations

import contextlib
import signal
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

import botocore.exceptions
from botocore.parsers import ResponseParserError

from fuelflow.cfn_eval import active_resources
from fuelflow.config import Environment
from fuelflow.errors import DeployError, ExitCode, FuelflowError, InputError
from fuelflow.plan import Plan, StackPlan, export_removal_order
from fuelflow.templates import find_imports, parse_template, resolve_name

ClientFactory = Callable[[str], Any]
Progress = Callable[[str], None]

CAPABILITIES = ["CAPABILITY_NAMED_IAM", "CAPABILITY_IAM", "CAPABILITY_AUTO_EXPAND"]
NO_CHANGE_REASONS = ("didn't contain changes", "No updates are to be performed", "no changes")
BUSY = "_IN_PROGRESS"
TERMINAL_OK = {"CREATE_COMPLETE", "UPDATE_COMPLETE", "IMPORT_COMPLETE"}
EMPTY_STATES = ("REVIEW_IN_PROGRESS", "ROLLBACK_COMPLETE")  # a stack that holds no resources of its own
UPDATABLE = TERMINAL_OK | {"UPDATE_ROLLBACK_COMPLETE", "IMPORT_ROLLBACK_COMPLETE"}
# Results that make a report fail; the last three come from Ctrl-C (see Engine._schedule).
NOT_OK = ("failed", "skipped", "not started", "cancelled", "interrupted")


@dataclass(frozen=True)
class PollConfig:
    """How often to look at a stack while it works: start fast, back off, give up after `timeout`."""

    initial: float = 2.0
    factor: float = 1.5
    maximum: float = 15.0
    timeout: float = 3 * 3600

    @classmethod
    def local(cls) -> PollConfig:
        return cls(initial=0.05, factor=1.5, maximum=1.0, timeout=600)


@dataclass(frozen=True)
class ResourceChange:
    """One line of a change set."""

    action: str  # Add | Modify | Remove | Import | Dynamic
    logical_id: str
    resource_type: str
    replacement: str | None = None  # True | False | Conditional (Modify only)
    physical_id: str | None = None

    @property
    def destructive(self) -> bool:
        return self.action == "Remove" or self.replacement in ("True", "Conditional")

    def describe(self) -> str:
        text = f"{self.action:<6} {self.logical_id} ({self.resource_type})"
        if self.replacement == "True":
            text += "  REPLACEMENT: the resource is deleted and created anew"
        elif self.replacement == "Conditional":
            text += "  may be REPLACED"
        return text


@dataclass
class StackChanges:
    """What deploying one stack would do."""

    stack: str
    kind: str  # create | update | none | skip (creates nothing here) | delete (deployed, now creates nothing)
    changes: list[ResourceChange] = field(default_factory=list)
    change_set: str | None = None  # ARN of a prepared change set
    note: str = ""
    adopt: list[Any] = field(default_factory=list)  # fuelflow.adopt.Retained: imported before the update

    def to_dict(self) -> dict[str, Any]:
        return {
            "stack": self.stack,
            "kind": self.kind,
            "note": self.note,
            "changes": [c.__dict__ for c in self.changes],
            "adopt": [r.to_dict() for r in self.adopt],
        }


@dataclass
class StackResult:
    """How a stack ended up."""

    stack: str
    action: str  # created | updated | unchanged | failed | skipped | deleted | absent | retained...
    status: str = ""
    outputs: dict[str, str] = field(default_factory=dict)
    seconds: float = 0.0
    reason: str = ""
    failed_resource: str = ""

    @property
    def ok(self) -> bool:
        return self.action not in NOT_OK

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


@dataclass
class Report:
    """The result of a deploy or destroy."""

    results: list[StackResult]
    seconds: float
    retained: list[str] = field(default_factory=list)
    snapshots: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return all(r.ok for r in self.results)

    def to_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "seconds": round(self.seconds, 3),
            "stacks": [r.to_dict() for r in self.results],
            "retained": self.retained,
            "snapshots": self.snapshots,
            "notes": self.notes,
        }


def load_balancer_protected(elb: Any, arn: str) -> bool:
    """True when the load balancer exists and its deletion protection is on."""
    try:
        attrs = elb.describe_load_balancer_attributes(LoadBalancerArn=arn).get("Attributes", [])
    except botocore.exceptions.ClientError:
        return False  # already gone
    return any(a.get("Key") == "deletion_protection.enabled" and str(a.get("Value")).lower() == "true"
               for a in attrs)


def load_balancer_name(arn: str) -> str:
    """`arn:...:loadbalancer/app/<name>/<id>` -> `<name>` (what a user recognises)."""
    parts = arn.split("/")
    return parts[-2] if len(parts) >= 3 else arn


class StackFailed(DeployError):
    """A stack operation ended in a failed or rolled-back state."""

    def __init__(self, stack: str, status: str, reason: str, resource: str = "") -> None:
        where = f" at {resource}" if resource else ""
        super().__init__(f"{stack} ended {status}{where}: {reason}")
        self.stack, self.status, self.reason, self.resource = stack, status, reason, resource


def _error_code(exc: botocore.exceptions.ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))


def _error_message(exc: botocore.exceptions.ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Message", ""))


class Engine:
    """Carries plans out against one CloudFormation endpoint."""

    def __init__(self, clients: ClientFactory, progress: Progress | None = None,
                 poll: PollConfig | None = None, sleep: Callable[[float], None] = time.sleep,
                 emulator: bool = False) -> None:
        """`emulator=True`: the target is the local emulator, which does not implement ListImports, so
        importers are found by reading every live stack's template instead."""
        self.emulator = emulator
        self.cfn = clients("cloudformation")
        self._clients = clients
        self.progress = progress or (lambda _m: None)
        self.poll = poll or PollConfig()
        self.sleep = sleep
        self._lock = threading.Lock()
        # Ctrl-C (see _schedule): `stopping` after the first, `abandoned` after the second.
        self.stopping = threading.Event()
        self.abandoned = threading.Event()
        self._cancelled: set[str] = set()  # updates cancelled by Ctrl-C
        self._last_status: dict[str, str] = {}  # each stack's status as last polled
        self.prepared: list[tuple[str, str]] = []  # (change set name, stack) created by this engine
        # stack -> stacks to update before it, because it stops exporting what they import (check_states)
        self.update_first: dict[str, set[str]] = {}

    @property
    def interrupted(self) -> bool:
        """True once Ctrl-C stopped a deploy or destroy."""
        return self.stopping.is_set()

    # ----------------------------------------------------------------------------------- reading

    def describe(self, stack: str) -> dict[str, Any] | None:
        """The stack's description, or None when it does not exist (or was deleted)."""
        try:
            stacks = self.cfn.describe_stacks(StackName=stack)["Stacks"]
        except botocore.exceptions.ClientError as exc:
            if "does not exist" in _error_message(exc):
                return None
            raise
        if not stacks or stacks[0]["StackStatus"] == "DELETE_COMPLETE":
            return None
        result: dict[str, Any] = stacks[0]
        return result

    @staticmethod
    def outputs_of(description: dict[str, Any] | None) -> dict[str, str]:
        return {o["OutputKey"]: o["OutputValue"] for o in (description or {}).get("Outputs", []) or []}

    def status(self, plan: Plan) -> list[StackResult]:
        """Each selected stack's status (absent when not deployed)."""
        out = []
        for sp in plan.ordered():
            d = self.describe(sp.name)
            if d is None:
                out.append(StackResult(sp.name, "absent", "NOT_DEPLOYED",
                                       reason=f"nothing to deploy: {sp.nothing}" if sp.nothing else ""))
            else:
                reason = d.get("StackStatusReason", "") or ""
                if sp.nothing:
                    reason = f"creates nothing now ({sp.nothing}): the next deploy deletes it"
                out.append(StackResult(sp.name, "present", d["StackStatus"], self.outputs_of(d), reason=reason))
        return out

    # ----------------------------------------------------------------------------------- checks

    def check_states(self, plan: Plan, replace_failed: bool) -> dict[str, dict[str, Any] | None]:
        """Describe every selected stack and refuse (before changing anything) when one cannot be deployed."""
        names = [sp.name for sp in plan.ordered()]
        with ThreadPoolExecutor(max_workers=max(1, min(8, len(names)))) as pool:  # one round trip, not five
            states: dict[str, dict[str, Any] | None] = dict(zip(names, pool.map(self.describe, names), strict=True))
        for sp in plan.ordered():
            d = states[sp.name]
            if d is None:
                continue
            status = d["StackStatus"]
            if status == "ROLLBACK_COMPLETE" and not replace_failed and not self._holds_nothing(sp.name):
                raise InputError(
                    f"{sp.name} is in ROLLBACK_COMPLETE (an earlier create failed; it cannot be updated)",
                    "run again with --replace-failed to delete and recreate it (it holds no resources)")
            if status.endswith(BUSY) and status != "REVIEW_IN_PROGRESS":
                raise InputError(f"{sp.name} is busy ({status})", "wait for the running operation to finish")
            if status == "UPDATE_ROLLBACK_FAILED":
                raise InputError(
                    f"{sp.name} is in UPDATE_ROLLBACK_FAILED: {d.get('StackStatusReason', '')}".rstrip(": "),
                    "run again with --continue-rollback (it runs `aws cloudformation continue-update-rollback "
                    f"--stack-name {sp.name}` and waits), or fix the resource that could not roll back first")
            if status.endswith("_FAILED"):
                raise InputError(
                    f"{sp.name} is in {status}: {d.get('StackStatusReason', '')}".rstrip(": "),
                    "repair it first (e.g. `aws cloudformation continue-update-rollback` or delete the stack)")
        for name in plan.selected:
            if plan.stacks[name].nothing:
                continue  # skipped or deleted: it needs nothing deployed
            for dep in plan.stacks[name].depends_on:
                if dep not in plan.selected and self.describe(dep) is None:
                    raise InputError(f"{name} imports from {dep}, which is not deployed",
                                     f"deploy {plan.stacks[dep].part} too (drop --stack, or add --stack "
                                     f"{plan.stacks[dep].part})")
        # An update that drops an export still imported waits for the importers' updates (fuelflow.plan).
        self.update_first = export_removal_order(plan, states, lambda e: self._importers_or_scan(e, plan))
        return states

    # ----------------------------------------------------------------------------------- preview

    def preview(self, plan: Plan, states: dict[str, dict[str, Any] | None]) -> list[StackChanges]:
        """Prepare a change set for every stack that exists; list the template for new ones. The stacks are
        looked at concurrently (a template comparison or a change set each: independent round trips)."""
        waiting = self._waiting_for_exports(plan, states)

        def one(sp: StackPlan) -> StackChanges:
            if sp.name in waiting and not self._same_inputs(sp, states[sp.name] or {}):
                return StackChanges(sp.name, "update", note=waiting[sp.name])
            return self._preview_one(sp, states.get(sp.name), plan.env)

        stacks = plan.ordered()
        with ThreadPoolExecutor(max_workers=max(1, min(8, len(stacks)))) as pool:
            return list(pool.map(one, stacks))

    def _waiting_for_exports(self, plan: Plan, states: dict[str, dict[str, Any] | None]) -> dict[str, str]:
        """Deployed stacks whose new template imports an export that a stack of this deploy creates first.

        CloudFormation resolves Fn::ImportValue when it makes a change set ("No export named ... found"), so
        such a change set can only be made once the producer is updated: deploy makes it then (_deploy_one).
        """
        updated = [sp for sp in plan.ordered() if not sp.nothing and (st := states.get(sp.name)) is not None
                   and st["StackStatus"] not in ("REVIEW_IN_PROGRESS", "ROLLBACK_COMPLETE")]
        if not any(sp.imports for sp in updated):
            return {}
        # What the deployed producers export today: their DescribeStacks outputs, already read by check_states.
        exported = {str(o["ExportName"]) for st in states.values() if st
                    for o in st.get("Outputs", []) or [] if o.get("ExportName")}
        out: dict[str, str] = {}
        for sp in updated:
            producers = {d: [i for i in sp.imports if i in plan.stacks[d].exports and i not in exported]
                         for d in sp.depends_on if d in plan.selected}
            if new := {d: names for d, names in producers.items() if names}:
                out[sp.name] = ("its change set is made when " + "; ".join(
                    f"{d} has exported {', '.join(names)}" for d, names in sorted(new.items()))
                    + " (new imports: CloudFormation resolves them when it makes the change set)")
        return out

    def _preview_one(self, sp: StackPlan, state: dict[str, Any] | None, env: Environment) -> StackChanges:
        if sp.nothing:
            return self._preview_nothing(sp, state)
        if state is None or state["StackStatus"] in ("REVIEW_IN_PROGRESS", "ROLLBACK_COMPLETE"):
            changes, excluded = _new_stack_resources(sp, env)
            note = "new stack" if state is None or state["StackStatus"] == "REVIEW_IN_PROGRESS" else \
                "replaces the failed stack (ROLLBACK_COMPLETE)"
            if excluded:
                note += f"; {len(excluded)} resources excluded by conditions ({', '.join(excluded)})"
            return StackChanges(sp.name, "create", changes, note=note)
        if self._same_inputs(sp, state):
            return StackChanges(sp.name, "none", note="template, parameters and tags unchanged")
        arn, changes = self._create_change_set(sp, "UPDATE")
        if arn is None:
            return StackChanges(sp.name, "none", note="no changes")
        notes = self._input_differences(sp, state)
        if not changes:
            notes.append("no resource changes listed (outputs, parameters or tags only)")
        return StackChanges(sp.name, "update", changes, change_set=arn, note="; ".join(notes))

    def _preview_nothing(self, sp: StackPlan, state: dict[str, Any] | None) -> StackChanges:
        """A stack that creates nothing in this environment: skipped, or deleted when deployed before.

        CloudFormation has no empty stack: it refuses a template without resources, and one whose every
        resource is conditioned out leaves nothing worth a stack (DECISIONS 14.5). So the tool does not send it.
        """
        if state is None:
            return StackChanges(sp.name, "skip", note=f"nothing to deploy: {sp.nothing}")
        live = self.resources_of(sp.name, state.get("StackStatus", ""))
        changes = [ResourceChange("Remove", str(r.get("LogicalResourceId", "")), str(r.get("ResourceType", "")),
                                  physical_id=r.get("PhysicalResourceId"))
                   for r in live if r.get("LogicalResourceId") and r.get("ResourceStatus") != "DELETE_COMPLETE"]
        return StackChanges(sp.name, "delete", changes,
                            note=f"nothing to deploy: {sp.nothing}; the stack deployed before is deleted")

    @staticmethod
    def _input_differences(sp: StackPlan, state: dict[str, Any]) -> list[str]:
        """Parameters whose value changes, e.g. 'LogRetentionDays 30 -> 14' (what the operator changed)."""
        deployed = {p["ParameterKey"]: p.get("ParameterValue", "") for p in state.get("Parameters", []) or []}
        return [f"{k} {deployed.get(k, '(unset)')} -> {v}" for k, v in sp.parameters.items() if deployed.get(k) != v]

    def _same_inputs(self, sp: StackPlan, state: dict[str, Any]) -> bool:
        """True when the deployed stack was made from exactly this template, parameters and tags."""
        deployed_params = {p["ParameterKey"]: p.get("ParameterValue", "") for p in state.get("Parameters", []) or []}
        if any(deployed_params.get(k) != v for k, v in sp.parameters.items()):
            return False
        deployed_tags = {t["Key"]: t["Value"] for t in state.get("Tags", []) or []}
        if deployed_tags != sp.tags:
            return False
        try:
            body = self.cfn.get_template(StackName=sp.name, TemplateStage="Original")["TemplateBody"]
        except botocore.exceptions.ClientError:
            return False
        return isinstance(body, str) and body == sp.template.body

    def _create_change_set(self, sp: StackPlan, kind: str) -> tuple[str | None, list[ResourceChange]]:
        """Create and describe a change set; (None, []) when it holds no changes."""
        name = f"fuelflow-{datetime.now(timezone.utc):%Y%m%d%H%M%S%f}"
        # recorded before the call: a Ctrl-C during it must still find the change set the server made
        self.prepared.append((name, sp.name))
        resp = self.cfn.create_change_set(
            StackName=sp.name,
            ChangeSetName=name,
            ChangeSetType=kind,
            TemplateBody=sp.template.body,
            Parameters=[{"ParameterKey": k, "ParameterValue": v} for k, v in sp.parameters.items()],
            Tags=[{"Key": k, "Value": v} for k, v in sp.tags.items()],
            Capabilities=CAPABILITIES,
            Description=f"fuelflow deploy of {sp.name}",
        )
        arn: str = resp["Id"]
        page = self._change_set_created(sp, name, arn)
        if page is None:
            return None, []
        changes: list[ResourceChange] = []
        while True:  # the first page came with the wait: one DescribeChangeSet for most change sets
            for ch in page.get("Changes", []):
                rc = ch.get("ResourceChange", {})
                changes.append(ResourceChange(
                    action=rc.get("Action", "?"),
                    logical_id=rc.get("LogicalResourceId", "?"),
                    resource_type=rc.get("ResourceType", "?"),
                    replacement=rc.get("Replacement") if rc.get("Action") == "Modify" else None,
                    physical_id=rc.get("PhysicalResourceId"),
                ))
            token = page.get("NextToken")
            if not token:
                break
            page = self.cfn.describe_change_set(ChangeSetName=arn, StackName=sp.name, NextToken=token)
        return arn, changes

    def _change_set_created(self, sp: StackPlan, name: str, arn: str) -> dict[str, Any] | None:
        """Poll the change set (backing off as the stacks do) until it is created; its first page of changes,
        or None when it holds no changes (it is deleted then). A failed change set is a DeployError."""
        delay, deadline = self.poll.initial, time.monotonic() + self.poll.timeout
        while True:
            page: dict[str, Any] = self.cfn.describe_change_set(ChangeSetName=arn, StackName=sp.name)
            status = str(page.get("Status", ""))
            if status == "CREATE_COMPLETE":
                return page
            if status == "FAILED":
                reason = str(page.get("StatusReason", ""))
                if any(r.lower() in reason.lower() for r in NO_CHANGE_REASONS):
                    self._delete_change_set(arn, sp.name)
                    self.prepared.remove((name, sp.name))  # gone already: nothing for a Ctrl-C to clean up
                    return None
                raise DeployError(f"{sp.name}: the change set could not be created: {reason or status}",
                                  "fix the template or parameters (run `fuelflow validate`)")
            if time.monotonic() > deadline:
                raise DeployError(f"{sp.name}: the change set is still {status} after {self.poll.timeout:.0f}s",
                                  "check the stack's change sets in the console, then run again")
            self.sleep(delay)
            delay = min(delay * self.poll.factor, self.poll.maximum)

    def _delete_change_set(self, arn: str, stack: str) -> None:
        with contextlib.suppress(botocore.exceptions.ClientError):  # already gone: nothing to clean up
            self.cfn.delete_change_set(ChangeSetName=arn, StackName=stack)

    @staticmethod
    def data_loss(plan: Plan, previews: Iterable[StackChanges]) -> list[str]:
        """Changes that remove or replace a resource holding data (a DeletionPolicy Retain/Snapshot resource:
        the database, the buckets), as "stack/LogicalId (Type, replaced|removed)"."""
        found = []
        for p in previews:
            stateful = plan.stacks[p.stack].template.stateful_resources()
            for c in p.changes:
                if c.logical_id in stateful and c.destructive:
                    how = "removed" if c.action == "Remove" else "replaced"
                    found.append(f"{p.stack}/{c.logical_id} ({c.resource_type}, {how})")
        return found

    def discard(self, previews: Iterable[StackChanges]) -> None:
        """Delete prepared change sets (the user declined, or this was only a diff)."""
        for p in previews:
            if p.change_set:
                self._delete_change_set(p.change_set, p.stack)

    # ----------------------------------------------------------------------------------- deploy

    def deploy(self, plan: Plan, previews: list[StackChanges],
               states: dict[str, dict[str, Any] | None]) -> Report:
        """Carry out the previewed changes, each stack as soon as its dependencies are complete."""
        start = time.monotonic()
        by_stack = {p.stack: p for p in previews}
        selected = [sp.name for sp in plan.ordered()]

        # Stacks switched off entirely are deleted first: what they imported may go in this same deploy.
        deletes = {p.stack for p in previews if p.kind == "delete"}

        def work(name: str) -> StackResult:
            result = self._deploy_one(plan.stacks[name], by_stack[name], states.get(name))
            if plan.stacks[name].part == "network" and result.ok and result.outputs.get("VpcId"):
                self.close_default_security_group(result.outputs["VpcId"], name)
            return result

        def deps_of(name: str) -> set[str]:
            if name in deletes:
                return set(plan.graph.dependents(name)) & deletes
            return (set(plan.stacks[name].depends_on) & set(selected)) | deletes | self.update_first.get(name, set())

        results = self._schedule(selected, deps_of, work)
        return Report([results[n] for n in selected], time.monotonic() - start)

    def close_default_security_group(self, vpc_id: str, stack: str) -> int:
        """Revoke every rule of the VPC's default security group (DECISIONS 17.4): CloudFormation has no
        resource that manages it, so the deployer closes it after each network deploy. Idempotent; returns
        the number of rules revoked."""
        ec2 = self._clients("ec2")
        groups = ec2.describe_security_groups(Filters=[{"Name": "vpc-id", "Values": [vpc_id]},
                                                       {"Name": "group-name", "Values": ["default"]}])
        revoked = 0
        for group in groups.get("SecurityGroups", []):
            if group.get("IpPermissions"):
                ec2.revoke_security_group_ingress(GroupId=group["GroupId"], IpPermissions=group["IpPermissions"])
                revoked += len(group["IpPermissions"])
            if group.get("IpPermissionsEgress"):
                ec2.revoke_security_group_egress(GroupId=group["GroupId"],
                                                 IpPermissions=group["IpPermissionsEgress"])
                revoked += len(group["IpPermissionsEgress"])
            if revoked:
                self._say(f"{stack}: closed the default security group {group['GroupId']} "
                          f"({revoked} rule(s) revoked)")
        return revoked

    def _schedule(self, names: list[str], deps_of: Callable[[str], set[str]],
                  work: Callable[[str], StackResult]) -> dict[str, StackResult]:
        """Run `work` for each name once its dependencies succeeded; skip dependents of a failure.

        Ctrl-C (SIGINT, handled here while stacks run): the first stops starting stacks ("not started")
        and lets the workers cancel or finish what is in flight (see _on_interrupt); the second leaves at
        once, marking what still runs "interrupted" with its last known status.
        """
        results: dict[str, StackResult] = {}
        pending = list(names)
        running: dict[Future[StackResult], str] = {}
        pool = ThreadPoolExecutor(max_workers=max(1, len(names)))
        told = 0  # how many Ctrl-Cs were announced
        try:
            with self._sigint_handled():
                while pending or running:
                    told = self._announce_interrupt(told, running)
                    if self.stopping.is_set():
                        for name in pending:
                            results[name] = StackResult(name, "not started", reason="Ctrl-C before it started")
                        pending.clear()
                    for name in list(pending):
                        deps = deps_of(name)
                        failed = [d for d in deps if d in results and not results[d].ok]
                        if failed:
                            pending.remove(name)
                            results[name] = StackResult(name, "skipped",
                                                        reason=f"{', '.join(sorted(failed))} failed")
                            self._say(f"{name}: skipped, because {', '.join(sorted(failed))} failed")
                        elif all(d in results for d in deps):
                            pending.remove(name)
                            running[pool.submit(work, name)] = name
                    if not running:
                        continue
                    done, _ = wait(list(running), timeout=0.2, return_when=FIRST_COMPLETED)
                    if self.abandoned.is_set():
                        told = self._announce_interrupt(told, running)
                        for name in running.values():
                            status = self._last_status.get(name, "")
                            results[name] = StackResult(name, "interrupted", status, reason=(
                                f"still {status} in CloudFormation when fuelflow left (second Ctrl-C)"
                                if status else "its request was in flight when fuelflow left (second Ctrl-C)"))
                        running.clear()
                        break
                    for fut in done:
                        name = running.pop(fut)
                        results[name] = self._result_of(name, fut)
        finally:
            pool.shutdown(wait=not self.abandoned.is_set(), cancel_futures=True)
        return results

    def _result_of(self, name: str, fut: Future[StackResult]) -> StackResult:
        """A finished worker's result; its exception becomes a failed result with a one-line reason."""
        try:
            return fut.result()
        except StackFailed as exc:
            self._say(f"{name}: FAILED {exc.status}"
                      + (f" at {exc.resource}" if exc.resource else "") + f": {exc.reason}")
            return StackResult(name, "failed", exc.status, reason=exc.reason, failed_resource=exc.resource)
        except FuelflowError as exc:
            self._say(f"{name}: FAILED: {exc.one_line()}")
            return StackResult(name, "failed", "ERROR", reason=exc.one_line())
        except botocore.exceptions.ClientError as exc:
            self._say(f"{name}: FAILED: {_error_code(exc)}: {_error_message(exc)}")
            return StackResult(name, "failed", _error_code(exc), reason=_error_message(exc))
        except (botocore.exceptions.BotoCoreError, ResponseParserError) as exc:
            reason = _endpoint_failure(exc)
            self._say(f"{name}: FAILED: {reason}")
            return StackResult(name, "failed", "ERROR", reason=reason)

    @contextlib.contextmanager
    def _sigint_handled(self) -> Iterator[None]:
        """While stacks run, Ctrl-C sets `stopping`, then `abandoned`, instead of raising KeyboardInterrupt
        in the middle of the scheduler (only the main thread can set a signal handler)."""
        if threading.current_thread() is not threading.main_thread():
            yield
            return

        def handler(_signum: int, _frame: object) -> None:
            (self.abandoned if self.stopping.is_set() else self.stopping).set()

        previous = signal.signal(signal.SIGINT, handler)
        try:
            yield
        finally:
            signal.signal(signal.SIGINT, previous)

    def _announce_interrupt(self, told: int, running: dict[Future[StackResult], str]) -> int:
        """Say (once each) what the first and the second Ctrl-C do; return how many were announced."""
        if told < 1 and self.stopping.is_set():
            told = 1
            self._say("Ctrl-C: starting no more stacks; updates in flight are cancelled (they roll back), creates "
                      "and deletes in flight are waited for (CloudFormation cannot cancel them). "
                      "Ctrl-C again to leave at once")
        if told < 2 and self.abandoned.is_set():
            told = 2
            still = [f"{n} ({self._last_status.get(n) or 'request in flight'})" for n in running.values()]
            self._say("second Ctrl-C: leaving now" + (f"; still running in CloudFormation: {', '.join(still)} "
                                                     "(`fuelflow status` shows when they end)" if still else ""))
        return told

    def _on_interrupt(self, stack: str, status: str) -> None:
        """Ctrl-C seen by a worker whose stack is busy: cancel an update, wait for anything else."""
        if status == "UPDATE_IN_PROGRESS":
            try:
                self.cfn.cancel_update_stack(StackName=stack)
            except botocore.exceptions.ClientError as exc:  # e.g. already past the point of cancelling
                self._say(f"{stack}: the update could not be cancelled ({_error_message(exc)}): waiting for it")
                return
            self._cancelled.add(stack)
            self._say(f"{stack}: cancelling the update (CloudFormation rolls it back to the previous version); "
                      "waiting for the rollback")
        elif status == "CREATE_IN_PROGRESS":
            self._say(f"{stack}: a create cannot be cancelled (CloudFormation offers no cancel; stopping would "
                      "leave it to finish unobserved): waiting for it to finish")
        elif status == "DELETE_IN_PROGRESS":
            self._say(f"{stack}: a delete cannot be cancelled: waiting for it to finish")
        else:
            self._say(f"{stack}: {status} cannot be cancelled: waiting for it to finish")

    def _pause(self, seconds: float) -> None:
        """Sleep between polls; with the real clock, wake early for a Ctrl-C."""
        if self.sleep is not time.sleep:
            self.sleep(seconds)
            return
        deadline, stopping = time.monotonic() + seconds, self.stopping.is_set()
        while (left := deadline - time.monotonic()) > 0:
            if self.abandoned.is_set() or self.stopping.is_set() != stopping:
                return
            time.sleep(min(left, 0.1))

    def _deploy_one(self, sp: StackPlan, preview: StackChanges, state: dict[str, Any] | None) -> StackResult:
        started = time.monotonic()
        if preview.kind == "skip":
            return StackResult(sp.name, "nothing to deploy", "NOT_DEPLOYED", reason=sp.nothing)
        if preview.kind == "delete":
            self._say(f"{sp.name}: deleting: it creates nothing now ({sp.nothing})")
            self._delete_and_wait(sp.name)
            seconds = time.monotonic() - started
            self._say(f"{sp.name}: DELETE_COMPLETE in {seconds:.1f}s")
            return StackResult(sp.name, "deleted", "DELETE_COMPLETE", seconds=seconds,
                               reason=f"creates nothing now ({sp.nothing})")
        if preview.kind == "none":  # said once, by the preview the command printed before running; the
            return StackResult(sp.name, "unchanged", state["StackStatus"] if state else "",  # state checked then
                               self.outputs_of(state))
        if preview.adopt:  # recreate after destroy: the retained resources are imported first (fuelflow.adopt)
            return self._deploy_adopting(sp, preview, state, started)
        if preview.kind == "create":
            if state is not None and state["StackStatus"] in EMPTY_STATES:
                self._say(f"{sp.name}: deleting the stack left in {state['StackStatus']} (it holds no resources) "
                          "before creating it again")
                self._delete_and_wait(sp.name)
            self._say(f"{sp.name}: creating")
        elif preview.change_set is None:  # an update waiting for new exports (_waiting_for_exports): made now
            arn, changes = self._create_change_set(sp, "UPDATE")
            if arn is None:
                d = self.describe(sp.name)
                return StackResult(sp.name, "unchanged", d["StackStatus"] if d else "", self.outputs_of(d))
            stateful = sp.template.stateful_resources()
            if lost := [c.describe() for c in changes if c.logical_id in stateful and c.destructive]:
                self._delete_change_set(arn, sp.name)
                raise DeployError(f"{sp.name}: its change set, made only now (it imports exports this deploy "
                                  f"created), removes or replaces what holds data: {'; '.join(lost)}",
                                  "deploy again: the change is then previewed before anything runs")
            preview.change_set = arn
            self._say(f"{sp.name}: updating ({len(changes)} changes; change set made now)")
        else:
            self._say(f"{sp.name}: updating ({len(preview.changes)} changes)")
        since = datetime.now(timezone.utc)
        arn = preview.change_set if preview.kind == "update" else self._create_change_set(sp, "CREATE")[0]
        if arn is None:  # pragma: no cover - CREATE change sets always hold changes
            raise DeployError(f"{sp.name}: the change set was empty", "check the template")
        if self.stopping.is_set():  # Ctrl-C while the change set was prepared: do not start it
            self._delete_change_set(arn, sp.name)
            if preview.kind == "create":  # the empty REVIEW_IN_PROGRESS stack the change set made
                with contextlib.suppress(botocore.exceptions.ClientError):
                    self.cfn.delete_stack(StackName=sp.name)
            return StackResult(sp.name, "not started", reason="Ctrl-C before it started")
        self.cfn.execute_change_set(ChangeSetName=arn, StackName=sp.name)
        final = self._wait(sp.name, since)
        status = final["StackStatus"]
        if status == "UPDATE_ROLLBACK_COMPLETE" and sp.name in self._cancelled:
            self._say(f"{sp.name}: update cancelled (Ctrl-C), rolled back to the previous version")
            return StackResult(sp.name, "cancelled", status, self.outputs_of(final), time.monotonic() - started,
                               reason="update cancelled by Ctrl-C; rolled back to the previous version")
        if status not in TERMINAL_OK:
            resource, reason = self._first_failure(sp.name, since)
            raise StackFailed(sp.name, status, reason or final.get("StackStatusReason", "") or "no reason given",
                              resource)
        action = "created" if preview.kind == "create" else "updated"
        self._say(f"{sp.name}: {status} in {time.monotonic() - started:.1f}s")
        return StackResult(sp.name, action, status, self.outputs_of(final), time.monotonic() - started)

    def _deploy_adopting(self, sp: StackPlan, preview: StackChanges, state: dict[str, Any] | None,
                         started: float) -> StackResult:
        """IMPORT change set for the retained resources (fuelflow.adopt), then the normal UPDATE."""
        from fuelflow.adopt import import_retained

        existing = state is not None and state["StackStatus"] not in EMPTY_STATES
        if state is not None and not existing:
            self._say(f"{sp.name}: deleting the stack left in {state['StackStatus']} (it holds no resources)")
            self._delete_and_wait(sp.name)
        if preview.change_set:  # prepared before the import: made again once the import is done
            self._delete_change_set(preview.change_set, sp.name)
        import_retained(self, sp, preview.adopt, existing)
        since = datetime.now(timezone.utc)
        printed = {str(e.get("EventId", "")) for e in self._events(sp.name, since)}  # the import's, same second
        arn, changes = self._create_change_set(sp, "UPDATE")
        if arn is not None:
            self._say(f"{sp.name}: updating ({len(changes)} changes) after the import")
            self.cfn.execute_change_set(ChangeSetName=arn, StackName=sp.name)
            final = self._wait(sp.name, since, seen=printed)
            if final["StackStatus"] not in TERMINAL_OK:
                resource, reason = self._first_failure(sp.name, since)
                raise StackFailed(sp.name, final["StackStatus"],
                                  reason or final.get("StackStatusReason", "") or "no reason given", resource)
        d = self.describe(sp.name) or {}
        seconds = time.monotonic() - started
        self._say(f"{sp.name}: {d.get('StackStatus')} in {seconds:.1f}s")
        return StackResult(sp.name, "created" if preview.kind == "create" else "updated", d.get("StackStatus", ""),
                           self.outputs_of(d), seconds,
                           reason="adopted " + ", ".join(f"s3://{r.name}" for r in preview.adopt))

    def _wait(self, stack: str, since: datetime, deleting: bool = False,
              seen: set[str] | None = None) -> dict[str, Any]:
        """Poll until the stack leaves *_IN_PROGRESS, printing its new events (not those in `seen`); back off
        as it runs."""
        delay = self.poll.initial
        deadline = time.monotonic() + self.poll.timeout
        seen = set() if seen is None else seen
        interrupt_handled = False
        while True:
            if self.abandoned.is_set():
                raise _Abandoned(stack)
            d = self.describe(stack)
            self._print_events(stack, since, seen)
            if d is None:
                if deleting:
                    return {"StackStatus": "DELETE_COMPLETE"}
                raise StackFailed(stack, "DELETED", "the stack disappeared while it was being deployed")
            self._last_status[stack] = d["StackStatus"]
            if not d["StackStatus"].endswith(BUSY):
                return d
            if self.stopping.is_set() and not interrupt_handled:
                interrupt_handled = True
                self._on_interrupt(stack, d["StackStatus"])
            if time.monotonic() > deadline:
                raise DeployError(f"{stack} still {d['StackStatus']} after {self.poll.timeout:.0f}s",
                                  "check the stack in the console; the operation is still running there")
            self._pause(delay)
            delay = min(delay * self.poll.factor, self.poll.maximum)

    def _events(self, stack: str, since: datetime) -> list[dict[str, Any]]:
        """Events newer than `since`, oldest first."""
        events: list[dict[str, Any]] = []
        try:
            for page in self.cfn.get_paginator("describe_stack_events").paginate(StackName=stack):
                for e in page.get("StackEvents", []):
                    ts = e.get("Timestamp")
                    if isinstance(ts, datetime) and ts.tzinfo is None:
                        ts = ts.replace(tzinfo=timezone.utc)
                    if isinstance(ts, datetime) and ts < since.replace(microsecond=0):
                        return list(reversed(events))
                    events.append(e)
        except botocore.exceptions.ClientError:
            pass  # the stack is gone (deleted): no more events
        return list(reversed(events))

    def _print_events(self, stack: str, since: datetime, seen: set[str]) -> None:
        for e in self._events(stack, since):
            eid = e.get("EventId", "")
            if eid in seen:
                continue
            seen.add(eid)
            if e.get("LogicalResourceId") == stack:
                continue  # the stack's own status is reported by the engine
            reason = f" - {e['ResourceStatusReason']}" if e.get("ResourceStatusReason") else ""
            self._say(f"{stack}: {e.get('ResourceStatus')} {e.get('LogicalResourceId')} "
                      f"({e.get('ResourceType')}){reason}")

    def _first_failure(self, stack: str, since: datetime) -> tuple[str, str]:
        """The first resource that failed, and AWS's reason (what the user needs to fix)."""
        for e in self._events(stack, since):
            if str(e.get("ResourceStatus", "")).endswith("_FAILED") and e.get("LogicalResourceId") != stack:
                return f"{e.get('LogicalResourceId')} ({e.get('ResourceType')})", str(e.get("ResourceStatusReason", ""))
        return "", ""

    def _say(self, message: str) -> None:
        with self._lock:
            self.progress(message)

    # ----------------------------------------------------------------------------------- recovery

    def _holds_nothing(self, stack: str) -> bool:
        """True when every resource of `stack` is deleted (a failed create that rolled back completely)."""
        try:
            resources = self.cfn.describe_stack_resources(StackName=stack).get("StackResources", [])
        except botocore.exceptions.ClientError:
            return False
        return all(r.get("ResourceStatus") == "DELETE_COMPLETE" for r in resources)

    def continue_rollbacks(self, plan: Plan) -> list[str]:
        """`continue-update-rollback` for each selected stack in UPDATE_ROLLBACK_FAILED, waiting for each to
        reach UPDATE_ROLLBACK_COMPLETE (updatable again); the stacks it repaired."""
        repaired = []
        for sp in plan.ordered():
            d = self.describe(sp.name)
            if d is None or d["StackStatus"] != "UPDATE_ROLLBACK_FAILED":
                continue
            self._say(f"{sp.name}: UPDATE_ROLLBACK_FAILED: continuing the rollback (continue-update-rollback)")
            since = datetime.now(timezone.utc)
            self.cfn.continue_update_rollback(StackName=sp.name)
            final = self._wait(sp.name, since)
            if final["StackStatus"] != "UPDATE_ROLLBACK_COMPLETE":
                resource, reason = self._first_failure(sp.name, since)
                lid = resource.split(" ", 1)[0] or "LOGICAL_ID"
                raise DeployError(
                    f"{sp.name}: the rollback failed again ({final['StackStatus']})"
                    + (f" at {resource}" if resource else "") + f": {reason or 'no reason given'}",
                    f"fix that resource by hand and run again, or skip it: `aws cloudformation "
                    f"continue-update-rollback --stack-name {sp.name} --resources-to-skip {lid}`")
            self._say(f"{sp.name}: UPDATE_ROLLBACK_COMPLETE (it can be updated again)")
            repaired.append(sp.name)
        return repaired

    def discard_prepared(self) -> None:
        """Delete every change set this engine prepared and did not execute (Ctrl-C before any change)."""
        prepared, self.prepared = self.prepared, []
        for name, stack in prepared:
            self._delete_change_set(name, stack)

    # ----------------------------------------------------------------------------------- destroy

    def _delete_and_wait(self, stack: str) -> None:
        since = datetime.now(timezone.utc)
        self.cfn.delete_stack(StackName=stack)
        final = self._wait(stack, since, deleting=True)
        if final["StackStatus"] != "DELETE_COMPLETE":
            resource, reason = self._first_failure(stack, since)
            raise StackFailed(stack, final["StackStatus"], reason or final.get("StackStatusReason", ""), resource)

    def importers(self, export_name: str) -> list[str]:
        """Stacks that import `export_name` (ListImports; an export nobody imports is an empty list)."""
        names: list[str] = []
        try:
            for page in self.cfn.get_paginator("list_imports").paginate(ExportName=export_name):
                names.extend(page.get("Imports", []))
        except botocore.exceptions.ClientError as exc:
            if "is not imported by any stack" in _error_message(exc):
                return []
            raise
        return names

    def destroy_checks(self, plan: Plan) -> dict[str, dict[str, Any]]:
        """Refuse to delete an export still imported from outside the set; return the stacks that exist."""
        existing = {sp.name: d for sp in plan.ordered() if (d := self.describe(sp.name)) is not None}
        for name, d in existing.items():
            for out in d.get("Outputs", []) or []:
                export = out.get("ExportName")
                if not export:
                    continue
                outside = sorted(set(self._importers_or_scan(export, plan)) - set(existing))
                if outside:
                    raise InputError(f"{name} exports {export}, still imported by {', '.join(outside)}",
                                     "destroy those stacks first, or include them (drop --stack)")
        return existing

    def _importers_or_scan(self, export_name: str, plan: Plan) -> list[str]:
        if not self.emulator:
            return self.importers(export_name)
        # The emulator does not implement ListImports: read every live stack's template instead.
        importers: list[str] = []
        for page in self.cfn.get_paginator("describe_stacks").paginate():
            for st in page.get("Stacks", []):
                if st["StackStatus"] == "DELETE_COMPLETE":
                    continue
                body = self.cfn.get_template(StackName=st["StackName"])["TemplateBody"]
                try:
                    data = body if isinstance(body, dict) else parse_template(body)
                except ValueError:
                    continue  # not a template this tool can read: it imports nothing we know of
                variables = {p["ParameterKey"]: p.get("ParameterValue", "") for p in st.get("Parameters", []) or []}
                variables["AWS::StackName"] = st["StackName"]
                for expr in find_imports(data):
                    try:
                        if resolve_name(expr, variables, st["StackName"]) == export_name:
                            importers.append(st["StackName"])
                    except InputError:
                        continue
        return importers

    def resources_of(self, stack: str, status: str = "") -> list[dict[str, Any]]:
        """The stack's resources; none for a stack in REVIEW_IN_PROGRESS (a create that never ran holds
        nothing, and the emulator would build its template to answer)."""
        if status == "REVIEW_IN_PROGRESS":
            return []
        try:
            found: list[dict[str, Any]] = self.cfn.describe_stack_resources(StackName=stack).get("StackResources", [])
        except botocore.exceptions.ClientError as exc:
            if "does not exist" in _error_message(exc):
                return []
            raise DeployError(f"{stack}: its resources cannot be listed: {_error_code(exc)}: {_error_message(exc)}",
                              "check the stack in the console (or restart the emulator), then run again") from exc
        return found

    def stateful_in(self, plan: Plan, existing: dict[str, dict[str, Any]]) -> list[tuple[str, str, str, str]]:
        """(stack, logical id, type, policy) of live resources whose data outlives the delete."""
        out = []
        for name, d in existing.items():
            stateful = plan.stacks[name].template.stateful_resources()
            if not stateful:
                continue
            for r in self.resources_of(name, d.get("StackStatus", "")):
                lid = r.get("LogicalResourceId", "")  # the emulator lists skipped resources without one
                if lid in stateful:
                    out.append((name, lid, r["ResourceType"], stateful[lid]))
        return out

    def protected_databases(self, existing: dict[str, dict[str, Any]]) -> list[tuple[str, str]]:
        """(stack, DB instance id) of the databases in these stacks whose deletion protection is on."""
        rds = self._clients("rds")
        out = []
        for name, d in existing.items():
            for r in self.resources_of(name, d.get("StackStatus", "")):
                pid = r.get("PhysicalResourceId", "")
                if r.get("ResourceType") != "AWS::RDS::DBInstance" or not pid:
                    continue
                try:
                    dbs = rds.describe_db_instances(DBInstanceIdentifier=pid).get("DBInstances", [])
                except botocore.exceptions.ClientError:
                    continue  # already gone
                if dbs and dbs[0].get("DeletionProtection"):
                    out.append((name, pid))
        return out

    def protected_load_balancers(self, existing: dict[str, dict[str, Any]]) -> list[tuple[str, str]]:
        """(stack, load balancer ARN) of the load balancers in these stacks whose deletion protection is on (the
        production tier's web tier): CloudFormation's delete of the ec2 stack would fail on them."""
        out = []
        for name, d in existing.items():
            for r in self.resources_of(name, d.get("StackStatus", "")):
                arn = r.get("PhysicalResourceId", "")
                if r.get("ResourceType") != "AWS::ElasticLoadBalancingV2::LoadBalancer" or not arn:
                    continue
                if load_balancer_protected(self._clients("elbv2"), arn):
                    out.append((name, arn))
        return out

    def lift_load_balancer_protection(self, arns: Iterable[str]) -> None:
        """Turn a load balancer's deletion protection off (after the typed confirmation); the change is
        immediate, read back to be sure."""
        elb = self._clients("elbv2")
        for arn in arns:
            self._say(f"{load_balancer_name(arn)}: turning deletion protection off (--disable-deletion-protection)")
            elb.modify_load_balancer_attributes(LoadBalancerArn=arn, Attributes=[
                {"Key": "deletion_protection.enabled", "Value": "false"}])
            if load_balancer_protected(elb, arn):
                raise DeployError(f"{load_balancer_name(arn)}: deletion protection is still on",
                                  "check the load balancer, then run again")

    def lift_deletion_protection(self, db_ids: Iterable[str]) -> None:
        """Turn deletion protection off through the API (after the typed confirmation), and wait for it."""
        rds = self._clients("rds")
        for db in db_ids:
            self._say(f"{db}: turning deletion protection off (--disable-deletion-protection)")
            rds.modify_db_instance(DBInstanceIdentifier=db, DeletionProtection=False, ApplyImmediately=True)
            delay, deadline = self.poll.initial, time.monotonic() + self.poll.timeout
            while rds.describe_db_instances(DBInstanceIdentifier=db)["DBInstances"][0].get("DeletionProtection"):
                if time.monotonic() > deadline:
                    raise DeployError(f"{db}: deletion protection is still on", "check the instance, then run again")
                self.sleep(delay)
                delay = min(delay * self.poll.factor, self.poll.maximum)

    def destroy(self, plan: Plan, existing: dict[str, dict[str, Any]]) -> Report:
        """Delete the existing selected stacks, dependents first, independent ones concurrently.

        The report says only what happened: what a deleted stack retained (checked, not assumed) and the
        final snapshots taken; a stack that failed to delete with its reason and the resources it still
        holds; what a later deploy will adopt.
        """
        start = time.monotonic()
        names = [n for n in reversed([sp.name for sp in plan.ordered()]) if n in existing]
        physical = {n: self.resources_of(n, existing[n].get("StackStatus", "")) for n in names}
        snapshots_before = {r.get("PhysicalResourceId", ""): set(self._snapshots_of(r.get("PhysicalResourceId", "")))
                            for rs in physical.values() for r in rs if r.get("ResourceType") == "AWS::RDS::DBInstance"}

        def deps_of(name: str) -> set[str]:  # a stack may go once everything that imports it is gone
            return set(plan.graph.dependents(name)) & set(names)

        def work(name: str) -> StackResult:
            t0 = time.monotonic()
            self._say(f"{name}: deleting")
            self._delete_and_wait(name)
            self._say(f"{name}: DELETE_COMPLETE in {time.monotonic() - t0:.1f}s")
            return StackResult(name, "deleted", "DELETE_COMPLETE", seconds=time.monotonic() - t0)

        results = self._schedule(names, deps_of, work)
        report = Report([results[n] for n in names], time.monotonic() - start)
        deleted = {n: physical[n] for n in names if results[n].action == "deleted"}
        self._report_kept(plan, deleted, report, snapshots_before)
        for n in names:
            if results[n].action == "failed":
                left = [f"{r.get('LogicalResourceId')} ({r.get('ResourceType')}) {r.get('PhysicalResourceId', '')}"
                        for r in self.resources_of(n) if r.get("ResourceStatus") != "DELETE_COMPLETE"]
                if left:
                    report.notes.append(f"{n} was not deleted; it still holds: {'; '.join(left)}")
        adoptable = [r.split(" ")[0] for r in report.retained if r.startswith("s3://")]
        if adoptable:
            report.notes.append(f"a later `fuelflow deploy --env {plan.env.name}` adopts {', '.join(adoptable)} "
                                "(kept with their data)")
        for sp in plan.ordered():
            if sp.name not in existing:
                report.results.append(StackResult(sp.name, "absent", "NOT_DEPLOYED",
                                                  reason=f"nothing to deploy: {sp.nothing}" if sp.nothing else ""))
        return report

    def _report_kept(self, plan: Plan, physical: dict[str, list[dict[str, Any]]], report: Report,
                     snapshots_before: dict[str, set[str]]) -> None:
        """Say what outlived the delete of the deleted stacks: retained buckets (checked, not assumed) and
        the final snapshots taken by this destroy."""
        for name, resources in physical.items():
            stateful = plan.stacks[name].template.stateful_resources()
            for r in resources:
                lid, pid = r.get("LogicalResourceId", ""), r.get("PhysicalResourceId", "")
                rtype = r.get("ResourceType", "")
                if lid not in stateful or not pid:
                    continue
                if rtype == "AWS::S3::Bucket":
                    if self._bucket_exists(pid):
                        report.retained.append(f"s3://{pid} ({name}/{lid}, DeletionPolicy {stateful[lid]})")
                    else:
                        report.notes.append(f"{pid}: DeletionPolicy {stateful[lid]} but the bucket is gone "
                                            "(the target did not honour it)")
                elif rtype == "AWS::RDS::DBInstance":
                    snaps = [s for s in self._snapshots_of(pid) if s not in snapshots_before.get(pid, set())]
                    if snaps:
                        report.snapshots.extend(snaps)
                    else:
                        report.notes.append(f"{pid}: deleted, and no final snapshot was taken although its "
                                            f"DeletionPolicy is {stateful[lid]}")
                else:
                    report.retained.append(f"{pid} ({rtype}, {name}/{lid}, DeletionPolicy {stateful[lid]})")

    def _bucket_exists(self, bucket: str) -> bool:
        try:
            self._clients("s3").head_bucket(Bucket=bucket)
            return True
        except botocore.exceptions.ClientError:
            return False

    def _snapshots_of(self, db: str) -> list[str]:
        if not db:
            return []
        try:
            snaps = self._clients("rds").describe_db_snapshots(DBInstanceIdentifier=db).get("DBSnapshots", [])
        except botocore.exceptions.ClientError:
            return []
        return [s["DBSnapshotIdentifier"] for s in snaps if s.get("SnapshotType") != "automated"]


def _new_stack_resources(sp: StackPlan, env: Environment) -> tuple[list[ResourceChange], list[str]]:
    """A new stack's resources that CloudFormation will create (their Conditions evaluated with the stack's
    parameters by cfn_eval), and the logical ids the conditions exclude."""
    active = active_resources(env, sp.template, sp.parameters)
    resources = sp.template.resources
    changes = [ResourceChange("Add", lid, str(res.get("Type"))) for lid, res in resources.items() if active[lid]]
    return changes, [lid for lid in resources if not active[lid]]
class _Abandoned(Exception):
    """A worker leaving its stack to CloudFormation after the second Ctrl-C (nobody reads its result)."""


def _endpoint_failure(exc: Exception) -> str:
    """A transport/parse failure, with the emulator's own error when it was ours that broke."""
    from fuelflow.emulator import last_server_error

    server = last_server_error()
    if isinstance(exc, ResponseParserError) and server:
        return f"the local emulator failed internally ({server}); this is an emulator gap, not a template error"
    return f"{type(exc).__name__}: {str(exc).splitlines()[0]}"


def exit_code_of(report: Report) -> ExitCode:
    return ExitCode.OK if report.ok else ExitCode.FAILED
