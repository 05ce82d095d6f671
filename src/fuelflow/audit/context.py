"""What every check works through: guarded clients, "not checked" errors, and cached reads.

The audit is read-only by construction: every client it uses carries a guard that refuses any operation not
named Get*/List*/Describe*/Head*. A question the target cannot answer raises `Unanswerable`, which becomes
"not checked", never a pass. Reads are cached because several controls look at the same resources.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar, cast

import botocore.exceptions
from botocore.parsers import ResponseParserError

from fuelflow.audit.names import Names
from fuelflow.audit.registry import Engine
from fuelflow.aws import AwsContext
from fuelflow.config import Environment
from fuelflow.errors import FuelflowError

T = TypeVar("T")
READ_ONLY_PREFIXES = ("Get", "List", "Describe", "Head")
LIVE_STATES = ["pending", "running", "stopping", "stopped"]


class Unanswerable(Exception):
    """The target could not answer a question (not implemented, access denied, ...): "not checked"."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class ReadOnlyViolation(FuelflowError):
    """The audit tried an operation that is not read-only: a bug, refused before anything was sent."""


def _refuse_writes(model: Any, **_: Any) -> None:
    """botocore `before-call` hook: the proof that the audit only reads."""
    if not model.name.startswith(READ_ONLY_PREFIXES):
        raise ReadOnlyViolation(f"the audit refused to call {model.service_model.service_name}:{model.name}",
                                "the audit only reads; this is a bug in fuelflow")


_GUARD_ID = "fuelflow-audit-read-only"


@dataclass
class AuditContext:
    """Everything a check needs: the target, the environment, the resolved names, and cached reads."""

    aws: AwsContext
    env: Environment
    engine: Engine
    names: Names
    _memo: dict[Any, Any] = field(default_factory=dict, repr=False)
    _guarded: dict[str, Any] = field(default_factory=dict, repr=False)

    # -- calls

    def client(self, service: str) -> Any:
        """The target's client for `service`, with the read-only guard attached."""
        if service not in self._guarded:
            c = self.aws.client(service)
            c.meta.events.register("before-call", _refuse_writes, unique_id=_GUARD_ID)
            self._guarded[service] = c
        return self._guarded[service]

    def close(self) -> None:
        """Take the guard off the (shared, cached) clients again."""
        for c in self._guarded.values():
            c.meta.events.unregister("before-call", unique_id=_GUARD_ID)
        self._guarded.clear()

    def call(self, service: str, op: str, *, missing: tuple[str, ...] = (), **params: Any) -> dict[str, Any] | None:
        """One API call. None when the error code is in `missing`; Unanswerable for anything the target
        cannot answer (never silently a pass)."""
        c = self.client(service)
        try:
            response: dict[str, Any] = getattr(c, op)(**params)
            return response
        except botocore.exceptions.ClientError as exc:
            code = str(exc.response.get("Error", {}).get("Code", ""))
            if code in missing:
                return None
            raise Unanswerable(_client_error_reason(c, op, exc)) from exc
        except ResponseParserError as exc:
            raise Unanswerable(f"the target does not implement {_api_name(c, op)} (unparseable answer)") from exc

    def pages(self, service: str, op: str, key: str, *, missing: tuple[str, ...] = (),
              **params: Any) -> list[Any] | None:
        """All items under `key` across pages (a paginator where the API paginates)."""
        c = self.client(service)
        if not c.can_paginate(op):
            page = self.call(service, op, missing=missing, **params)
            return None if page is None else list(page.get(key, []))
        items: list[Any] = []
        try:
            for page in c.get_paginator(op).paginate(**params):
                items.extend(page.get(key, []))
        except botocore.exceptions.ClientError as exc:
            if str(exc.response.get("Error", {}).get("Code", "")) in missing:
                return None
            raise Unanswerable(_client_error_reason(c, op, exc)) from exc
        except ResponseParserError as exc:
            raise Unanswerable(f"the target does not implement {_api_name(c, op)} (unparseable answer)") from exc
        return items

    def cached(self, key: Any, compute: Callable[[], T]) -> T:
        """Memoize a read (Unanswerable included, so a failing call is not repeated by every control)."""
        if key not in self._memo:
            try:
                self._memo[key] = compute()
            except Unanswerable as exc:
                self._memo[key] = exc
        value = self._memo[key]
        if isinstance(value, Unanswerable):
            raise value
        return cast(T, value)

    # -- cached reads of the environment's resources

    def bucket_exists(self, bucket: str) -> bool:
        def head() -> bool:
            return self.call("s3", "head_bucket", missing=("404", "NoSuchBucket"), Bucket=bucket) is not None
        return bool(self.cached(("bucket", bucket), head))

    def bucket_setting(self, bucket: str, op: str, missing: str | None = None) -> dict[str, Any] | None:
        """A bucket configuration (get_bucket_*), None when it is not set."""
        codes = (missing,) if missing else ()
        return self.cached((op, bucket), lambda: self.call("s3", op, missing=codes, Bucket=bucket))

    def security_groups(self, name: str) -> list[dict[str, Any]]:
        """Groups named `name`: by GroupName (Terraform, the database's group) or by Name tag (the
        CloudFormation network stack's web tier groups have no GroupName, docs/decisions.md)."""
        def find() -> list[Any]:
            found: dict[str, Any] = {}
            for key in ("group-name", "tag:Name"):
                for g in self.pages("ec2", "describe_security_groups", "SecurityGroups",
                                    Filters=[{"Name": key, "Values": [name]}]) or []:
                    found.setdefault(g["GroupId"], g)
            return list(found.values())
        return self.cached(("sg", name), find)

    def security_group_by_id(self, group_id: str) -> dict[str, Any] | None:
        def find() -> dict[str, Any] | None:
            groups = self.pages("ec2", "describe_security_groups", "SecurityGroups",
                                missing=("InvalidGroup.NotFound",), GroupIds=[group_id])
            return groups[0] if groups else None
        return self.cached(("sg-id", group_id), find)

    def db_instance(self) -> dict[str, Any] | None:
        def find() -> dict[str, Any] | None:
            dbs = self.pages("rds", "describe_db_instances", "DBInstances",
                             missing=("DBInstanceNotFound", "DBInstanceNotFoundFault"),
                             DBInstanceIdentifier=self.names.db_instance)
            return dbs[0] if dbs else None
        return self.cached("db", find)

    def role(self, name: str) -> dict[str, Any] | None:
        def find() -> dict[str, Any] | None:
            r = self.call("iam", "get_role", missing=("NoSuchEntity",), RoleName=name)
            return None if r is None else dict(r["Role"])
        return self.cached(("role", name), find)

    def instances(self) -> list[dict[str, Any]]:
        """The environment's EC2 instances: members of the web security group, or tagged with the
        environment's Project/Environment tags (both engines tag every resource with them)."""
        def find() -> list[dict[str, Any]]:
            state = {"Name": "instance-state-name", "Values": LIVE_STATES}
            queries = [[{"Name": "tag:Project", "Values": [self.env.project]},
                        {"Name": "tag:Environment", "Values": [self.env.name]}, state]]
            for sg in self.security_groups(self.names.web_sg):
                queries.append([{"Name": "instance.group-id", "Values": [sg["GroupId"]]}, state])
            found: dict[str, dict[str, Any]] = {}
            for filters in queries:
                for reservation in self.pages("ec2", "describe_instances", "Reservations", Filters=filters) or []:
                    for inst in reservation.get("Instances", []):
                        found.setdefault(inst["InstanceId"], inst)
            return [found[k] for k in sorted(found)]
        return self.cached("instances", find)

    def vpcs(self) -> list[dict[str, Any]]:
        """The environment's VPCs: tagged with its Project/Environment tags (both engines tag the VPC so)."""
        def find() -> list[dict[str, Any]]:
            return self.pages("ec2", "describe_vpcs", "Vpcs", Filters=[
                {"Name": "tag:Project", "Values": [self.env.project]},
                {"Name": "tag:Environment", "Values": [self.env.name]}]) or []
        return self.cached("vpcs", find)

    def log_groups(self) -> dict[str, dict[str, Any]]:
        """The environment's log groups (under /<project>/<env>/) by name."""
        def find() -> dict[str, dict[str, Any]]:
            groups = self.pages("logs", "describe_log_groups", "logGroups",
                                logGroupNamePrefix=self.names.log_group_prefix) or []
            return {g["logGroupName"]: g for g in groups}
        return self.cached("log-groups", find)


def _api_name(client: Any, op: str) -> str:
    return str(client.meta.method_to_api_mapping.get(op, op))


def _client_error_reason(client: Any, op: str, exc: botocore.exceptions.ClientError) -> str:
    err = exc.response.get("Error", {})
    code, message = str(err.get("Code", "")), str(err.get("Message", "")).strip()
    status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
    name = _api_name(client, op)
    if code in ("AccessDenied", "AccessDeniedException", "UnauthorizedOperation", "403"):
        return f"access denied to {name}: grant the auditing principal read access"
    if code in ("NotImplemented", "NotImplementedError") or status in (500, 501):
        return f"the target does not implement {name}"
    return f"{name} failed: {code} {message}".strip()

