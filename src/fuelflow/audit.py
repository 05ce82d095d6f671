"""`fuelflow audit`: read a deployed environment and check every security control we promise.

Templates are checked statically elsewhere (cfn-lint, checkov, terraform validate); the audit looks at what
actually runs, through boto3, whichever engine deployed it. It is read-only by construction: every client it
uses carries a guard that refuses any operation not named Get*/List*/Describe*/Head*.

Every result is one of four statuses. "not checked" is for questions the target cannot answer (an API the
emulator does not implement, an answer it cannot give, access denied): those are never counted as passed.
"""

from __future__ import annotations

import ast
import fnmatch
import functools
import json
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from enum import Enum
from typing import Any, Literal, TypeVar, cast

import botocore.exceptions
from botocore.parsers import ResponseParserError

from fuelflow import __version__
from fuelflow.aws import AwsContext
from fuelflow.config import Environment
from fuelflow.errors import ExitCode, FuelflowError, InputError

T = TypeVar("T")
Engine = Literal["cloudformation", "terraform"]
Severity = Literal["critical", "high", "medium", "low"]
READ_ONLY_PREFIXES = ("Get", "List", "Describe", "Head")
SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
RDS_LOG_EXPORTS = ("error", "general", "slowquery")  # architecture: "RDS error, general, and slow query logs"
LIVE_STATES = ["pending", "running", "stopping", "stopped"]



class Status(str, Enum):
    PASSED = "passed"
    FAILED = "failed"
    NOT_CHECKED = "not_checked"
    NOT_APPLICABLE = "not_applicable"

    @property
    def label(self) -> str:
        return self.value.replace("_", " ")


@dataclass(frozen=True)
class Verdict:
    """What a check says about one resource (the runner adds the control id)."""

    status: Status
    resource: str
    detail: str
    arn: str | None = None


@dataclass(frozen=True)
class Result:
    """One control's verdict on one resource."""

    control_id: str
    status: Status
    resource: str
    detail: str
    arn: str | None = None


Check = Callable[["AuditContext"], Iterable[Verdict]]


@dataclass(frozen=True)
class Control:
    """A promise of the architecture or of docs/decisions.md, and the function that verifies it on live resources."""

    id: str
    title: str
    severity: Severity
    proves: str  # the document item this control proves
    why: str
    checkov: tuple[str, ...]
    aws_config: str | None
    check: Check
    engines: tuple[Engine, ...] = ("cloudformation", "terraform")
    subject: Callable[[Names], str] | None = None  # what it looks at, for "not applicable" results


CONTROLS: list[Control] = []


def control(id: str, title: str, severity: Severity, proves: str, why: str, *, checkov: tuple[str, ...] = (),
            aws_config: str | None = None, engines: tuple[Engine, ...] = ("cloudformation", "terraform"),
            subject: Callable[[Names], str] | None = None) -> Callable[[Check], Check]:
    """Register a check function as a control."""

    def register(fn: Check) -> Check:
        CONTROLS.append(Control(id, title, severity, proves, why, checkov, aws_config, fn, engines, subject))
        return fn

    return register


def control_by_id(control_id: str) -> Control:
    for c in CONTROLS:
        if c.id == control_id:
            return c
    raise KeyError(control_id)


# --------------------------------------------------------------------------------------------- names


@dataclass(frozen=True)
class Names:
    """The resource names of docs/contract.md ("Resource names"), the same in both engines."""

    project: str
    env: str
    account: str
    region: str
    partition: str = "aws"

    def _bucket(self, part: str) -> str:
        return f"{self.project}-{part}-{self.env}-{self.account}-{self.region}"

    @property
    def buckets(self) -> dict[str, str]:
        """The application buckets by role: app-data, logs, backups."""
        return {part: self._bucket(part) for part in ("app-data", "logs", "backups")}

    @property
    def state_bucket(self) -> str:
        return self._bucket("tfstate")

    @property
    def lock_table(self) -> str:
        return f"{self.project}-tflock-{self.env}"

    @property
    def roles(self) -> dict[str, str]:
        """Role name -> the one service allowed to assume it."""
        p, e = self.project, self.env
        return {
            f"{p}-ec2-role-{e}": "ec2.amazonaws.com",
            f"{p}-rds-monitoring-role-{e}": "monitoring.rds.amazonaws.com",
            f"{p}-lambda-role-{e}": "lambda.amazonaws.com",
        }

    @property
    def web_sg(self) -> str:
        return f"{self.project}-web-sg-{self.env}"

    @property
    def db_sg(self) -> str:
        return f"{self.project}-db-sg-{self.env}"

    @property
    def db_instance(self) -> str:
        return f"{self.project}-db-{self.env}"

    @property
    def log_groups(self) -> tuple[str, ...]:
        base = f"/{self.project}/{self.env}"
        return (f"{base}/apache/access", f"{base}/apache/error", f"{base}/system")

    def bucket_arn(self, bucket: str) -> str:
        return f"arn:{self.partition}:s3:::{bucket}"


# --------------------------------------------------------------------------------------------- context


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

    def _cached(self, key: Any, compute: Callable[[], T]) -> T:
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
        return bool(self._cached(("bucket", bucket), head))

    def bucket_setting(self, bucket: str, op: str, missing: str | None = None) -> dict[str, Any] | None:
        """A bucket configuration (get_bucket_*), None when it is not set."""
        codes = (missing,) if missing else ()
        return self._cached((op, bucket), lambda: self.call("s3", op, missing=codes, Bucket=bucket))

    def security_groups(self, name: str) -> list[dict[str, Any]]:
        def find() -> list[Any]:
            return self.pages("ec2", "describe_security_groups", "SecurityGroups",
                              Filters=[{"Name": "group-name", "Values": [name]}]) or []
        return self._cached(("sg", name), find)

    def security_group_by_id(self, group_id: str) -> dict[str, Any] | None:
        def find() -> dict[str, Any] | None:
            groups = self.pages("ec2", "describe_security_groups", "SecurityGroups",
                                missing=("InvalidGroup.NotFound",), GroupIds=[group_id])
            return groups[0] if groups else None
        return self._cached(("sg-id", group_id), find)

    def db_instance(self) -> dict[str, Any] | None:
        def find() -> dict[str, Any] | None:
            dbs = self.pages("rds", "describe_db_instances", "DBInstances",
                             missing=("DBInstanceNotFound", "DBInstanceNotFoundFault"),
                             DBInstanceIdentifier=self.names.db_instance)
            return dbs[0] if dbs else None
        return self._cached("db", find)

    def role(self, name: str) -> dict[str, Any] | None:
        def find() -> dict[str, Any] | None:
            r = self.call("iam", "get_role", missing=("NoSuchEntity",), RoleName=name)
            return None if r is None else dict(r["Role"])
        return self._cached(("role", name), find)

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
        return self._cached("instances", find)

    def log_groups(self) -> dict[str, dict[str, Any]]:
        """The environment's log groups (under /<project>/<env>/) by name."""
        prefix = f"/{self.names.project}/{self.names.env}/"

        def find() -> dict[str, dict[str, Any]]:
            groups = self.pages("logs", "describe_log_groups", "logGroups", logGroupNamePrefix=prefix) or []
            return {g["logGroupName"]: g for g in groups}
        return self._cached("log-groups", find)

    def arn(self, service: str, resource: str) -> str:
        n = self.names
        return f"arn:{n.partition}:{service}:{n.region}:{n.account}:{resource}"


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


# --------------------------------------------------------------------------------------------- verdicts


def passed(resource: str, detail: str, arn: str | None = None) -> Verdict:
    return Verdict(Status.PASSED, resource, detail, arn)


def failed(resource: str, detail: str, arn: str | None = None) -> Verdict:
    return Verdict(Status.FAILED, resource, detail, arn)


def not_checked(resource: str, detail: str, arn: str | None = None) -> Verdict:
    return Verdict(Status.NOT_CHECKED, resource, detail, arn)


def not_applicable(resource: str, detail: str, arn: str | None = None) -> Verdict:
    return Verdict(Status.NOT_APPLICABLE, resource, detail, arn)


def _each(items: Iterable[tuple[str, str | None]], judge: Callable[[str], Verdict]) -> Iterator[Verdict]:
    """Judge each (resource, arn); a question the target cannot answer becomes "not checked" for that one."""
    for name, arn in items:
        try:
            yield judge(name)
        except Unanswerable as exc:
            yield not_checked(name, exc.reason, arn)


NOT_FOUND = "not found"


# --------------------------------------------------------------------------------------------- S3


def _bucket_items(ctx: AuditContext, buckets: Iterable[str]) -> list[tuple[str, str | None]]:
    return [(b, ctx.names.bucket_arn(b)) for b in buckets]


def _judge_public_access_block(ctx: AuditContext, bucket: str) -> Verdict:
    arn = ctx.names.bucket_arn(bucket)
    if not ctx.bucket_exists(bucket):
        return failed(bucket, f"bucket {NOT_FOUND}", arn)
    got = ctx.bucket_setting(bucket, "get_public_access_block", "NoSuchPublicAccessBlockConfiguration")
    if got is None:
        return failed(bucket, "no public access block configured", arn)
    flags = got.get("PublicAccessBlockConfiguration", {})
    wanted = ("BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy", "RestrictPublicBuckets")
    off = [f for f in wanted if flags.get(f) is not True]
    if off:
        return failed(bucket, f"public access block incomplete: {', '.join(off)} off", arn)
    return passed(bucket, "all four public access block settings on", arn)


def _judge_encryption(ctx: AuditContext, bucket: str) -> Verdict:
    arn = ctx.names.bucket_arn(bucket)
    if not ctx.bucket_exists(bucket):
        return failed(bucket, f"bucket {NOT_FOUND}", arn)
    got = ctx.bucket_setting(bucket, "get_bucket_encryption", "ServerSideEncryptionConfigurationNotFoundError")
    rules = (got or {}).get("ServerSideEncryptionConfiguration", {}).get("Rules", [])
    algorithms = [r.get("ApplyServerSideEncryptionByDefault", {}).get("SSEAlgorithm") for r in rules]
    good = [a for a in algorithms if a in ("AES256", "aws:kms", "aws:kms:dsse")]
    if not good:
        return failed(bucket, "no default server-side encryption", arn)
    return passed(bucket, f"default encryption {good[0]}", arn)


def _judge_versioning(ctx: AuditContext, bucket: str) -> Verdict:
    arn = ctx.names.bucket_arn(bucket)
    if not ctx.bucket_exists(bucket):
        return failed(bucket, f"bucket {NOT_FOUND}", arn)
    got = ctx.bucket_setting(bucket, "get_bucket_versioning") or {}
    status = got.get("Status")
    if status == "Enabled":
        return passed(bucket, "versioning enabled", arn)
    if status is None:
        return failed(bucket, "versioning never enabled", arn)
    return failed(bucket, f"versioning {status.lower()}", arn)


def _denies_insecure_transport(statement: dict[str, Any], bucket_arn: str) -> bool:
    """A Deny of s3:* for everyone when aws:SecureTransport is false, on the bucket and its objects."""
    if statement.get("Effect") != "Deny":
        return False
    principal = statement.get("Principal")
    if principal not in ("*", {"AWS": "*"}, {"AWS": ["*"]}):
        return False
    if not {"s3:*", "*"} & {a.lower() for a in _as_list(statement.get("Action"))}:
        return False
    resources = _as_list(statement.get("Resource"))
    covers = all(any(fnmatch.fnmatchcase(target, r) for r in resources) for target in (bucket_arn, bucket_arn + "/*"))
    if not covers:
        return False
    condition = statement.get("Condition", {})
    for operator in ("Bool", "BoolIfExists"):
        value = condition.get(operator, {}).get("aws:SecureTransport")
        if str(_as_list(value)[0] if _as_list(value) else "").lower() == "false":
            return True
    return False


def _judge_tls_policy(ctx: AuditContext, bucket: str) -> Verdict:
    arn = ctx.names.bucket_arn(bucket)
    if not ctx.bucket_exists(bucket):
        return failed(bucket, f"bucket {NOT_FOUND}", arn)
    got = ctx.bucket_setting(bucket, "get_bucket_policy", "NoSuchBucketPolicy")
    if got is None:
        return failed(bucket, "no bucket policy (plain-HTTP requests are accepted)", arn)
    if any(_denies_insecure_transport(s, arn) for s in _statements(parse_policy(got.get("Policy")))):
        return passed(bucket, "policy denies requests without TLS (aws:SecureTransport=false)", arn)
    return failed(bucket, "policy has no Deny s3:* on aws:SecureTransport=false for the bucket and its objects", arn)


@control("FF-S3-001", "S3 buckets block all public access", "high",
         "architecture: All S3 buckets block public access",
         "A public access block stops any ACL or policy from ever making data public by mistake.",
         checkov=("CKV_AWS_53", "CKV_AWS_54", "CKV_AWS_55", "CKV_AWS_56"),
         aws_config="s3-bucket-level-public-access-prohibited")
def check_s3_public_access(ctx: AuditContext) -> Iterator[Verdict]:
    yield from _each(_bucket_items(ctx, ctx.names.buckets.values()), lambda b: _judge_public_access_block(ctx, b))


@control("FF-S3-002", "S3 buckets are encrypted at rest", "high",
         "architecture: S3 encryption at rest enabled",
         "Default encryption covers every object, including ones written without encryption headers.",
         checkov=("CKV_AWS_19",), aws_config="s3-bucket-server-side-encryption-enabled")
def check_s3_encryption(ctx: AuditContext) -> Iterator[Verdict]:
    yield from _each(_bucket_items(ctx, ctx.names.buckets.values()), lambda b: _judge_encryption(ctx, b))


@control("FF-S3-003", "App-data and backups buckets are versioned", "medium",
         "architecture: Versioning enabled for critical buckets; DECISIONS 5: versioning on app-data and backups",
         "Versioning turns an overwrite or delete into a recoverable event.",
         checkov=("CKV_AWS_21",), aws_config="s3-bucket-versioning-enabled")
def check_s3_versioning(ctx: AuditContext) -> Iterator[Verdict]:
    critical = [ctx.names.buckets["app-data"], ctx.names.buckets["backups"]]
    yield from _each(_bucket_items(ctx, critical), lambda b: _judge_versioning(ctx, b))


@control("FF-S3-004", "S3 buckets accept TLS requests only", "medium",
         "DECISIONS 5: every bucket has a TLS-only bucket policy",
         "Encryption in transit for S3 is only guaranteed when the bucket refuses plain HTTP.",
         checkov=("CKV_AWS_379",), aws_config="s3-bucket-ssl-requests-only")
def check_s3_tls_only(ctx: AuditContext) -> Iterator[Verdict]:
    yield from _each(_bucket_items(ctx, ctx.names.buckets.values()), lambda b: _judge_tls_policy(ctx, b))


@control("FF-S3-005", "S3 object ownership is enforced (ACLs disabled)", "medium",
         "DECISIONS 5: every bucket has ownership enforced",
         "With BucketOwnerEnforced, ACLs are ignored: access is decided by policies alone.",
         checkov=("CKV2_AWS_65",), aws_config="s3-bucket-acl-prohibited")
def check_s3_ownership(ctx: AuditContext) -> Iterator[Verdict]:
    def judge(bucket: str) -> Verdict:
        arn = ctx.names.bucket_arn(bucket)
        if not ctx.bucket_exists(bucket):
            return failed(bucket, f"bucket {NOT_FOUND}", arn)
        got = ctx.bucket_setting(bucket, "get_bucket_ownership_controls", "OwnershipControlsNotFoundError")
        if got is None:
            return failed(bucket, "no ownership controls (ACLs are honoured)", arn)
        rules = [r.get("ObjectOwnership") for r in got.get("OwnershipControls", {}).get("Rules", [])]
        if "BucketOwnerEnforced" in rules:
            return passed(bucket, "BucketOwnerEnforced", arn)
        shown = ", ".join(map(str, rules)) or "unset"
        return failed(bucket, f"object ownership is {shown}, not BucketOwnerEnforced", arn)

    yield from _each(_bucket_items(ctx, ctx.names.buckets.values()), judge)


@control("FF-S3-006", "The logs bucket expires old logs", "low",
         "DECISIONS 5: lifecycle rules on logs",
         "Logs that never expire grow cost without bound and keep personal data longer than needed.",
         checkov=("CKV2_AWS_61",), aws_config="s3-lifecycle-policy-check")
def check_s3_log_lifecycle(ctx: AuditContext) -> Iterator[Verdict]:
    def judge(bucket: str) -> Verdict:
        arn = ctx.names.bucket_arn(bucket)
        if not ctx.bucket_exists(bucket):
            return failed(bucket, f"bucket {NOT_FOUND}", arn)
        got = ctx.bucket_setting(bucket, "get_bucket_lifecycle_configuration", "NoSuchLifecycleConfiguration")
        if got is None:
            return failed(bucket, "no lifecycle rules: logs are kept forever", arn)
        days = [r["Expiration"]["Days"] for r in got.get("Rules", [])
                if r.get("Status") == "Enabled" and "Days" in r.get("Expiration", {})]
        if not days:
            return failed(bucket, "no enabled rule expires objects", arn)
        return passed(bucket, f"objects expire after {min(days)} days", arn)

    yield from _each(_bucket_items(ctx, [ctx.names.buckets["logs"]]), judge)


# --------------------------------------------------------------------------------------------- RDS


def _db_verdict(ctx: AuditContext, judge: Callable[[dict[str, Any], str, str], Verdict]) -> Iterator[Verdict]:
    """Run `judge(db, name, arn)` on the environment's DB instance, or fail it as not found."""
    name = ctx.names.db_instance
    try:
        db = ctx.db_instance()
    except Unanswerable as exc:
        yield not_checked(name, exc.reason)
        return
    if db is None:
        yield failed(name, f"DB instance {NOT_FOUND}")
        return
    arn = str(db.get("DBInstanceArn") or ctx.arn("rds", f"db:{name}"))
    try:
        yield judge(db, name, arn)
    except Unanswerable as exc:
        yield not_checked(name, exc.reason, arn)


@control("FF-RDS-001", "RDS storage is encrypted", "high",
         "architecture: RDS encryption at rest enabled; DECISIONS 5: RDS encrypted",
         "Encryption at rest covers the storage, its snapshots and automated backups.",
         checkov=("CKV_AWS_16",), aws_config="rds-storage-encrypted")
def check_rds_encrypted(ctx: AuditContext) -> Iterator[Verdict]:
    def judge(db: dict[str, Any], name: str, arn: str) -> Verdict:
        if db.get("StorageEncrypted") is True:
            return passed(name, "storage encrypted", arn)
        return failed(name, "storage not encrypted", arn)

    yield from _db_verdict(ctx, judge)


@control("FF-RDS-002", "The database password lives in Secrets Manager", "high",
         "architecture: Database passwords in Secrets Manager; DECISIONS 5: ManageMasterUserPassword",
         "A password generated and kept by RDS never appears in a template, a parameter or Terraform state.",
         aws_config=None)
def check_rds_secret(ctx: AuditContext) -> Iterator[Verdict]:
    def judge(db: dict[str, Any], name: str, arn: str) -> Verdict:
        secret = db.get("MasterUserSecret") or {}
        secret_arn = secret.get("SecretArn")
        if not secret_arn:
            return failed(name,
                          "master password is not managed in Secrets Manager (ManageMasterUserPassword off)", arn)
        found = ctx.call("secretsmanager", "describe_secret", missing=("ResourceNotFoundException",),
                         SecretId=secret_arn)
        if found is None:
            return failed(name, f"the DB names secret {secret_arn}, which does not exist", arn)
        if found.get("DeletedDate"):
            return failed(name, f"secret {found.get('Name')} is scheduled for deletion", arn)
        return passed(name, f"password managed by RDS in Secrets Manager ({found.get('Name')})", arn)

    yield from _db_verdict(ctx, judge)


@control("FF-RDS-003", "RDS is not publicly accessible", "high",
         "DECISIONS 2 and 5: RDS is private",
         "A publicly accessible DB gets a public DNS answer; only the security group would stand in the way.",
         checkov=("CKV_AWS_17",), aws_config="rds-instance-public-access-check")
def check_rds_private(ctx: AuditContext) -> Iterator[Verdict]:
    def judge(db: dict[str, Any], name: str, arn: str) -> Verdict:
        public = db.get("PubliclyAccessible")
        if public is None:
            return not_checked(name, "the target does not report PubliclyAccessible for this DB instance", arn)
        if public:
            return failed(name, "PubliclyAccessible is true", arn)
        return passed(name, "not publicly accessible", arn)

    yield from _db_verdict(ctx, judge)


@control("FF-RDS-004", "RDS requires TLS (require_secure_transport=1)", "medium",
         "DECISIONS 5: RDS TLS required (parameter group); architecture: SSL/TLS for RDS connections",
         "Without require_secure_transport MySQL accepts clear-text connections from any client that asks.",
         checkov=("CKV2_AWS_69",), aws_config="rds-mysql-instance-encrypted-in-transit")
def check_rds_tls(ctx: AuditContext) -> Iterator[Verdict]:
    def judge(db: dict[str, Any], name: str, arn: str) -> Verdict:
        groups = db.get("DBParameterGroups", [])
        if not groups:
            return not_checked(name, "the target reports no parameter group for this DB instance", arn)
        group = groups[0]
        group_name = str(group.get("DBParameterGroupName"))
        if group_name.startswith("default."):
            return failed(name,
                          f"uses the default parameter group {group_name} (require_secure_transport off)", arn)
        params = ctx.pages("rds", "describe_db_parameters", "Parameters",
                           missing=("DBParameterGroupNotFound", "DBParameterGroupNotFoundFault"),
                           DBParameterGroupName=group_name)
        if params is None:
            return failed(name, f"parameter group {group_name} {NOT_FOUND}", arn)
        value = next((p.get("ParameterValue") for p in params
                      if p.get("ParameterName") == "require_secure_transport"), None)
        if str(value).lower() not in ("1", "on", "true"):
            shown = "not set (MySQL default: off)" if value is None else f"= {value}"
            return failed(name, f"require_secure_transport {shown} in {group_name}", arn)
        status = group.get("ParameterApplyStatus", "in-sync")
        if status != "in-sync":
            return failed(name, f"require_secure_transport=1 in {group_name} but not applied yet ({status})", arn)
        return passed(name, f"require_secure_transport=1 in {group_name}", arn)

    yield from _db_verdict(ctx, judge)


@control("FF-RDS-005", "RDS exports error, general and slow-query logs to CloudWatch", "low",
         "architecture: CloudWatch logs export enabled (RDS error, general and slow query logs)",
         "Exported logs survive the instance and can be searched and alarmed on.",
         checkov=("CKV_AWS_129",), aws_config="rds-logging-enabled")
def check_rds_logs(ctx: AuditContext) -> Iterator[Verdict]:
    def judge(db: dict[str, Any], name: str, arn: str) -> Verdict:
        exported = list(db.get("EnabledCloudwatchLogsExports") or [])
        if not exported:
            return failed(name, "no log is exported to CloudWatch", arn)
        missing = [log for log in RDS_LOG_EXPORTS if log not in exported]
        if missing:
            return failed(name, f"not exported: {', '.join(missing)} (exported: {', '.join(exported)})", arn)
        return passed(name, f"exported: {', '.join(exported)}", arn)

    yield from _db_verdict(ctx, judge)


@control("FF-RDS-006", "RDS automated backups are kept", "medium",
         "architecture: Automated backups configured (7-day automated RDS backups)",
         "Automated backups give point-in-time restore; retention 0 turns them off.",
         checkov=("CKV_AWS_133",), aws_config="db-instance-backup-enabled")
def check_rds_backups(ctx: AuditContext) -> Iterator[Verdict]:
    wanted = max(1, ctx.env.rds.backup_retention_days)

    def judge(db: dict[str, Any], name: str, arn: str) -> Verdict:
        days = int(db.get("BackupRetentionPeriod") or 0)
        if days == 0:
            return failed(name, "automated backups are off (retention 0)", arn)
        if days < wanted:
            return failed(name, f"backups kept {days} days, the environment file asks {wanted}", arn)
        return passed(name, f"backups kept {days} days", arn)

    yield from _db_verdict(ctx, judge)


@control("FF-RDS-007", "RDS deletion protection is on in prod", "medium",
         "DECISIONS 5: deletion protection and a final snapshot in prod",
         "One wrong destroy must not be able to delete the production database.",
         checkov=("CKV_AWS_293",), aws_config="rds-instance-deletion-protection-enabled")
def check_rds_deletion_protection(ctx: AuditContext) -> Iterator[Verdict]:
    if not (ctx.env.is_production or ctx.env.rds.deletion_protection):
        yield not_applicable(ctx.names.db_instance,
                             f"required in prod only; {ctx.env.name} sets rds.deletion_protection: false")
        return

    def judge(db: dict[str, Any], name: str, arn: str) -> Verdict:
        if db.get("DeletionProtection") is True:
            return passed(name, "deletion protection on", arn)
        return failed(name, "deletion protection off", arn)

    yield from _db_verdict(ctx, judge)


# --------------------------------------------------------------------------------------------- network


def _port_range(perm: dict[str, Any]) -> tuple[int, int]:
    if str(perm.get("IpProtocol")) == "-1":
        return 0, 65535
    return int(perm.get("FromPort", 0)), int(perm.get("ToPort", 65535))


def _covers_tcp(perm: dict[str, Any], port: int) -> bool:
    proto = str(perm.get("IpProtocol"))
    low, high = _port_range(perm)
    return proto in ("-1", "tcp", "6") and low <= port <= high


def _sources(perm: dict[str, Any]) -> list[str]:
    """Every source of an ingress permission: CIDRs, prefix lists and security groups."""
    return ([r["CidrIp"] for r in perm.get("IpRanges", [])]
            + [r["CidrIpv6"] for r in perm.get("Ipv6Ranges", [])]
            + [r["PrefixListId"] for r in perm.get("PrefixListIds", [])]
            + [p["GroupId"] for p in perm.get("UserIdGroupPairs", [])])


def _describe_perm(perm: dict[str, Any]) -> str:
    proto = str(perm.get("IpProtocol"))
    low, high = _port_range(perm)
    ports = "all traffic" if proto == "-1" else f"{proto} {low}" if low == high else f"{proto} {low}-{high}"
    return f"{ports} from {', '.join(_sources(perm)) or 'nowhere'}"


def _sg_arn(ctx: AuditContext, group: dict[str, Any]) -> str:
    return str(group.get("SecurityGroupArn") or ctx.arn("ec2", f"security-group/{group['GroupId']}"))


def _sg_label(group: dict[str, Any]) -> str:
    return f"{group.get('GroupName')} ({group['GroupId']})"


@control("FF-SG-001", "No SSH from the internet", "high",
         "DECISIONS 5: no SSH from the internet (0.0.0.0/0 or ::/0); shell access via SSM Session Manager",
         "Port 22 open to the world invites credential stuffing; SSM needs no inbound port at all.",
         checkov=("CKV_AWS_24",), aws_config="restricted-ssh")
def check_no_public_ssh(ctx: AuditContext) -> Iterator[Verdict]:
    groups: dict[str, dict[str, Any]] = {}
    for name in (ctx.names.web_sg, ctx.names.db_sg):
        try:
            found = ctx.security_groups(name)
        except Unanswerable as exc:
            yield not_checked(name, exc.reason)
            continue
        if not found:
            yield failed(name, f"security group {NOT_FOUND}")
        groups.update({g["GroupId"]: g for g in found})
    # Groups attached to the environment's instances count too, whatever their name.
    try:
        attached = {sg["GroupId"] for inst in ctx.instances() for sg in inst.get("SecurityGroups", [])}
        for group_id in sorted(attached - groups.keys()):
            group = ctx.security_group_by_id(group_id)
            if group is not None:
                groups[group_id] = group
    except Unanswerable as exc:
        yield not_checked("EC2 instances", f"security groups of the instances: {exc.reason}")
    for group in groups.values():
        open_ssh = [p for p in group.get("IpPermissions", []) if _covers_tcp(p, 22)
                    and ({"0.0.0.0/0", "::/0"} & set(_sources(p)))]
        if open_ssh:
            yield failed(_sg_label(group), "SSH open to the internet: " + "; ".join(map(_describe_perm, open_ssh)),
                         _sg_arn(ctx, group))
        else:
            yield passed(_sg_label(group), "no SSH from 0.0.0.0/0 or ::/0", _sg_arn(ctx, group))


@control("FF-SG-002", "The web security group opens only HTTP, HTTPS and listed SSH ranges", "medium",
         "architecture: Security groups with minimal required access; DECISIONS 5: port 22 only to listed CIDRs",
         "Every extra open port is attack surface; the web tier needs 80 and 443 and nothing else.",
         checkov=("CKV_AWS_277", "CKV_AWS_24"), aws_config="vpc-sg-open-only-to-authorized-ports")
def check_web_sg_minimal(ctx: AuditContext) -> Iterator[Verdict]:
    admin = set(ctx.env.ec2.admin_ssh_cidrs)
    try:
        groups = ctx.security_groups(ctx.names.web_sg)
    except Unanswerable as exc:
        yield not_checked(ctx.names.web_sg, exc.reason)
        return
    if not groups:
        yield failed(ctx.names.web_sg, f"security group {NOT_FOUND}")
    for group in groups:
        extra: list[str] = []
        for perm in group.get("IpPermissions", []):
            low, high = _port_range(perm)
            proto = str(perm.get("IpProtocol"))
            web = proto in ("tcp", "6") and low == high and low in (80, 443)
            ssh = proto in ("tcp", "6") and low == high == 22
            if web:
                continue
            if ssh:
                stray = [s for s in _sources(perm) if s not in admin]
                if stray:
                    extra.append(f"tcp 22 from {', '.join(stray)} (not in ec2.admin_ssh_cidrs)")
                continue
            extra.append(_describe_perm(perm))
        if extra:
            yield failed(_sg_label(group), "also open: " + "; ".join(extra), _sg_arn(ctx, group))
        else:
            ssh_note = f", SSH from {', '.join(sorted(admin))}" if admin else ", no SSH"
            yield passed(_sg_label(group), f"only HTTP/HTTPS{ssh_note}", _sg_arn(ctx, group))


@control("FF-SG-003", "The database is reachable only from the web security group", "high",
         "DECISIONS 2: RDS accepts 3306 only from the web tier's security group (stricter than the VPC CIDR)",
         "A CIDR rule admits anything that lands in the range; a security-group rule admits only the web tier.",
         checkov=(), aws_config=None)
def check_db_only_from_web(ctx: AuditContext) -> Iterator[Verdict]:
    try:
        web_ids = {g["GroupId"] for g in ctx.security_groups(ctx.names.web_sg)}
        db_groups = ctx.security_groups(ctx.names.db_sg)
    except Unanswerable as exc:
        yield not_checked(ctx.names.db_sg, exc.reason)
        return
    if not db_groups:
        yield failed(ctx.names.db_sg, f"security group {NOT_FOUND}")
        return
    for group in db_groups:
        wrong = [p for p in group.get("IpPermissions", [])
                 if not (str(p.get("IpProtocol")) in ("tcp", "6") and _port_range(p) == (3306, 3306)
                         and _sources(p) and set(_sources(p)) <= web_ids)]
        if wrong:
            yield failed(_sg_label(group), "admits more than MySQL from the web tier: "
                         + "; ".join(map(_describe_perm, wrong)), _sg_arn(ctx, group))
        elif not web_ids:
            yield failed(_sg_label(group), f"web security group {ctx.names.web_sg} {NOT_FOUND}", _sg_arn(ctx, group))
        else:
            yield passed(_sg_label(group), "only tcp 3306 from the web security group", _sg_arn(ctx, group))

    def judge(db: dict[str, Any], name: str, arn: str) -> Verdict:
        attached = {g["VpcSecurityGroupId"] for g in db.get("VpcSecurityGroups", [])}
        db_ids = {g["GroupId"] for g in db_groups}
        if attached and attached <= db_ids:
            return passed(name, f"attached only to {ctx.names.db_sg}", arn)
        others = sorted(attached - db_ids)
        if not attached & db_ids:
            return failed(name,
                          f"not attached to {ctx.names.db_sg} (attached: {', '.join(others) or 'none'})", arn)
        return failed(name, f"also attached to {', '.join(others)}, which the audit does not vouch for", arn)

    yield from _db_verdict(ctx, judge)


# --------------------------------------------------------------------------------------------- EC2


def _instances_or_missing(ctx: AuditContext) -> tuple[list[dict[str, Any]], Verdict | None]:
    try:
        found = ctx.instances()
    except Unanswerable as exc:
        return [], not_checked("EC2 instances", exc.reason)
    if not found:
        return [], failed("EC2 instances", f"no instance {NOT_FOUND} (looked for tags Project={ctx.env.project}, "
                          f"Environment={ctx.env.name} and members of {ctx.names.web_sg})")
    return found, None


def _instance_arn(ctx: AuditContext, inst: dict[str, Any]) -> str:
    return ctx.arn("ec2", f"instance/{inst['InstanceId']}")


@control("FF-EC2-001", "EC2 instances require IMDSv2", "high",
         "DECISIONS 5: IMDSv2 required (via a launch template)",
         "IMDSv1 lets an SSRF bug in the web app read the instance role's credentials.",
         checkov=("CKV_AWS_79",), aws_config="ec2-imdsv2-check")
def check_imdsv2(ctx: AuditContext) -> Iterator[Verdict]:
    found, missing = _instances_or_missing(ctx)
    if missing:
        yield missing

    def judge(instance_id: str) -> Verdict:
        inst = next(i for i in found if i["InstanceId"] == instance_id)
        arn = _instance_arn(ctx, inst)
        options = inst.get("MetadataOptions") or {}
        if options.get("HttpTokens") == "required":
            return passed(instance_id, "IMDSv2 required", arn)
        if options.get("HttpEndpoint") == "disabled":
            return passed(instance_id, "instance metadata service disabled", arn)
        return failed(instance_id,
                      f"IMDSv1 allowed (HttpTokens={options.get('HttpTokens', 'unset')})", arn)

    yield from _each([(i["InstanceId"], _instance_arn(ctx, i)) for i in found], judge)


@control("FF-EC2-002", "EC2 volumes are encrypted", "medium",
         "DECISIONS 5: encrypted root volumes",
         "An unencrypted volume leaks data through snapshots and decommissioned disks.",
         checkov=("CKV_AWS_8", "CKV_AWS_3"), aws_config="encrypted-volumes")
def check_ebs_encrypted(ctx: AuditContext) -> Iterator[Verdict]:
    found, missing = _instances_or_missing(ctx)
    if missing:
        yield missing

    def judge(instance_id: str) -> Verdict:
        inst = next(i for i in found if i["InstanceId"] == instance_id)
        arn = _instance_arn(ctx, inst)
        devices = {m["Ebs"]["VolumeId"]: m["DeviceName"] for m in inst.get("BlockDeviceMappings", []) if "Ebs" in m}
        if not devices:
            return not_checked(instance_id, "the target reports no EBS volume for this instance", arn)
        volumes = ctx.pages("ec2", "describe_volumes", "Volumes", VolumeIds=sorted(devices)) or []
        plain = [v for v in volumes if not v.get("Encrypted")]
        if not plain:
            return passed(instance_id, f"{len(volumes)} volume(s), all encrypted", arn)
        return failed(instance_id, "unencrypted: " + ", ".join(f"{v['VolumeId']} ({devices[v['VolumeId']]})"
                                                               for v in plain), arn)

    yield from _each([(i["InstanceId"], _instance_arn(ctx, i)) for i in found], judge)


# --------------------------------------------------------------------------------------------- IAM


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return list(value) if isinstance(value, list) else [value]


def parse_policy(document: Any) -> dict[str, Any]:
    """A policy document as a dict. boto3 decodes IAM's documents; moto's CloudFormation engine returns
    inline policies as Python literal text instead of JSON, which `ast.literal_eval` reads safely."""
    if isinstance(document, dict):
        return document
    if isinstance(document, str):
        for parse in (json.loads, ast.literal_eval):
            try:
                value = parse(document)
            except (ValueError, SyntaxError):
                continue
            if isinstance(value, dict):
                return value
    raise Unanswerable(f"the target returned a policy document that cannot be read: {str(document)[:60]!r}")


def _statements(document: dict[str, Any]) -> list[dict[str, Any]]:
    return [s for s in _as_list(document.get("Statement")) if isinstance(s, dict)]


@dataclass(frozen=True)
class _Policy:
    kind: Literal["inline", "managed"]
    name: str
    document: dict[str, Any]
    aws_managed: bool = False

    @property
    def label(self) -> str:
        return f"{self.kind} policy {self.name}"


def _role_policies(ctx: AuditContext, role: str) -> list[_Policy]:
    """Every policy document attached to `role`: inline, customer managed and AWS managed."""
    def read() -> list[_Policy]:
        out: list[_Policy] = []
        for name in ctx.pages("iam", "list_role_policies", "PolicyNames", RoleName=role) or []:
            doc = ctx.call("iam", "get_role_policy", RoleName=role, PolicyName=name) or {}
            out.append(_Policy("inline", name, parse_policy(doc.get("PolicyDocument"))))
        for att in ctx.pages("iam", "list_attached_role_policies", "AttachedPolicies", RoleName=role) or []:
            arn = att["PolicyArn"]
            policy = (ctx.call("iam", "get_policy", PolicyArn=arn) or {}).get("Policy", {})
            version = ctx.call("iam", "get_policy_version", PolicyArn=arn,
                               VersionId=policy.get("DefaultVersionId", "v1")) or {}
            document = parse_policy(version.get("PolicyVersion", {}).get("Document"))
            out.append(_Policy("managed", att["PolicyName"], document, aws_managed=arn.split(":")[4] == "aws"))
        return out
    return ctx._cached(("role-policies", role), read)


def _allows(document: dict[str, Any]) -> list[dict[str, Any]]:
    return [s for s in _statements(document) if s.get("Effect") == "Allow"]


def _is_admin(statement: dict[str, Any]) -> bool:
    actions = {str(a) for a in _as_list(statement.get("Action"))}
    return bool({"*", "*:*"} & actions) and "*" in _as_list(statement.get("Resource"))


# Actions that cannot be scoped to a resource ARN (AWS requires Resource "*" for them).
_UNSCOPABLE = {"cloudwatch:putmetricdata", "cloudwatch:getmetricdata", "cloudwatch:getmetricstatistics",
               "sts:getcalleridentity", "xray:puttracesegments", "xray:puttelemetryrecords"}
# AWS managed policies too broad for any of our roles.
_BROAD_MANAGED = ("AdministratorAccess", "PowerUserAccess", "IAMFullAccess")


def _unscopable(action: str) -> bool:
    verb = action.lower().partition(":")[2]
    return action.lower() in _UNSCOPABLE or verb.startswith(("describe", "list"))


def _privilege_problems(ctx: AuditContext, policy: _Policy) -> list[str]:
    """Why a policy is broader than the role needs (least privilege), empty when it is not."""
    if policy.aws_managed:
        if policy.name in _BROAD_MANAGED or policy.name.endswith("FullAccess"):
            return [f"{policy.label} grants full access"]
        return []  # AWS-maintained, narrow service policies (SSM core, enhanced monitoring, Lambda basic)
    buckets = [ctx.names.bucket_arn(b) for b in ctx.names.buckets.values()]
    problems: list[str] = []
    for s in _allows(policy.document):
        actions = [str(a) for a in _as_list(s.get("Action"))]
        resources = [str(r) for r in _as_list(s.get("Resource"))]
        if "NotAction" in s or "NotResource" in s:
            problems.append(f"{policy.label}: an Allow with NotAction/NotResource")
            continue
        whole = [a for a in actions if a == "*" or a.endswith(":*")]
        if whole:
            problems.append(f"{policy.label}: whole-service actions {', '.join(whole)}")
        if "*" in resources:
            scoped = [a for a in actions if not _unscopable(a) and a not in whole]
            if scoped:
                problems.append(f"{policy.label}: {', '.join(scoped)} on every resource")
        s3_actions = [a for a in actions if a.lower().startswith("s3:")]
        outside = [r for r in resources if r != "*" and r.startswith(f"arn:{ctx.names.partition}:s3:::")
                   and not any(r == b or r.startswith(b + "/") for b in buckets)]
        if s3_actions and outside:
            problems.append(f"{policy.label}: S3 access beyond the environment's buckets: {', '.join(outside)}")
    return problems


def _trust_problems(role: dict[str, Any], service: str) -> list[str]:
    problems: list[str] = []
    for s in _allows(parse_policy(role.get("AssumeRolePolicyDocument"))):
        principal = s.get("Principal")
        services = _as_list(principal.get("Service")) if isinstance(principal, dict) else []
        others = [k for k in principal if k != "Service"] if isinstance(principal, dict) else [str(principal)]
        if others or any(x != service for x in services):
            problems.append(f"trust policy lets {json.dumps(principal)} assume it (expected only {service})")
    return problems


def _roles_verdicts(ctx: AuditContext, judge: Callable[[str, str, dict[str, Any], list[_Policy]], Verdict],
                    ) -> Iterator[Verdict]:
    for role_name, service in ctx.names.roles.items():
        try:
            role = ctx.role(role_name)
            if role is None:
                yield failed(role_name, f"role {NOT_FOUND}")
                continue
            yield judge(role_name, service, role, _role_policies(ctx, role_name))
        except Unanswerable as exc:
            yield not_checked(role_name, exc.reason)


@control("FF-IAM-001", "IAM roles are least-privilege", "high",
         "architecture: IAM roles with least privilege; DECISIONS 5: the EC2 role reads the DB secret and "
         "reads/writes only the fuel-flow buckets",
         "A role that can do more than its job turns any compromise of the instance into a compromise of the account.",
         checkov=("CKV_AWS_355", "CKV_AWS_290", "CKV_AWS_111"), aws_config="iam-policy-no-statements-with-full-access")
def check_least_privilege(ctx: AuditContext) -> Iterator[Verdict]:
    def judge(name: str, service: str, role: dict[str, Any], policies: list[_Policy]) -> Verdict:
        arn = role.get("Arn")
        problems = _trust_problems(role, service)
        for policy in policies:
            problems.extend(_privilege_problems(ctx, policy))
        if problems:
            return failed(name, "; ".join(problems), arn)
        return passed(name, f"assumable only by {service}; {len(policies)} policy(ies), all scoped", arn)

    yield from _roles_verdicts(ctx, judge)


@control("FF-IAM-002", "No IAM policy allows * on *", "critical",
         "DECISIONS 5: no * actions on * resources",
         "Action * on Resource * is administrator access.",
         checkov=("CKV_AWS_62", "CKV_AWS_63", "CKV_AWS_1"), aws_config="iam-policy-no-statements-with-admin-access")
def check_no_admin(ctx: AuditContext) -> Iterator[Verdict]:
    def judge(name: str, service: str, role: dict[str, Any], policies: list[_Policy]) -> Verdict:
        arn = role.get("Arn")
        admin = [p.label for p in policies if any(_is_admin(s) for s in _allows(p.document))]
        if admin:
            return failed(name, f"allows * on *: {', '.join(admin)}", arn)
        return passed(name, f"none of {len(policies)} policy(ies) allows * on *", arn)

    yield from _roles_verdicts(ctx, judge)


# --------------------------------------------------------------------------------------------- logs


@control("FF-LOG-001", "CloudWatch log groups have the environment's retention", "low",
         "architecture: CloudWatch Logs (EC2 system, Apache access/error); environments file: logs.retention_days",
         "Logs kept forever cost money and keep data longer than needed; too short loses evidence.",
         checkov=("CKV_AWS_66",), aws_config="cw-loggroup-retention-period-check")
def check_log_retention(ctx: AuditContext) -> Iterator[Verdict]:
    wanted = ctx.env.logs.retention_days
    try:
        groups = ctx.log_groups()
    except Unanswerable as exc:
        yield not_checked(f"/{ctx.names.project}/{ctx.names.env}/*", exc.reason)
        return
    for name in ctx.names.log_groups:
        group = groups.get(name)
        if group is None:
            yield failed(name, f"log group {NOT_FOUND}")
            continue
        arn = group.get("logGroupArn") or ctx.arn("logs", f"log-group:{name}")
        days = group.get("retentionInDays")
        if days is None:
            yield failed(name, "logs never expire (no retention set)", arn)
        elif days != wanted:
            yield failed(name, f"retention {days} days, the environment file says {wanted}", arn)
        else:
            yield passed(name, f"retention {days} days", arn)


# --------------------------------------------------------------------------------------------- Terraform state

_NO_STATE = ("the CloudFormation path keeps no Terraform state: the state bucket and lock table exist only "
             "with --engine terraform")


@control("FF-TF-001", "Terraform state bucket is encrypted", "high",
         "architecture: Terraform state encryption enabled",
         "State holds every resource attribute, including ones that are sensitive.",
         checkov=("CKV_AWS_19",), aws_config="s3-bucket-server-side-encryption-enabled",
         engines=("terraform",), subject=lambda n: n.state_bucket)
def check_state_encryption(ctx: AuditContext) -> Iterator[Verdict]:
    yield from _each(_bucket_items(ctx, [ctx.names.state_bucket]), lambda b: _judge_encryption(ctx, b))


@control("FF-TF-002", "Terraform state bucket is versioned", "medium",
         "architecture: Versioning enabled for critical buckets (the state bucket is versioned)",
         "A corrupted or deleted state file can be restored from an earlier version.",
         checkov=("CKV_AWS_21",), aws_config="s3-bucket-versioning-enabled",
         engines=("terraform",), subject=lambda n: n.state_bucket)
def check_state_versioning(ctx: AuditContext) -> Iterator[Verdict]:
    yield from _each(_bucket_items(ctx, [ctx.names.state_bucket]), lambda b: _judge_versioning(ctx, b))


@control("FF-TF-003", "Terraform state bucket blocks public access", "high",
         "DECISIONS 5: state bucket public access blocked",
         "State must never become readable by anyone outside the account.",
         checkov=("CKV_AWS_53", "CKV_AWS_54", "CKV_AWS_55", "CKV_AWS_56"),
         aws_config="s3-bucket-level-public-access-prohibited",
         engines=("terraform",), subject=lambda n: n.state_bucket)
def check_state_public_access(ctx: AuditContext) -> Iterator[Verdict]:
    yield from _each(_bucket_items(ctx, [ctx.names.state_bucket]), lambda b: _judge_public_access_block(ctx, b))


@control("FF-TF-004", "Terraform state bucket accepts TLS requests only", "medium",
         "DECISIONS 5: state bucket TLS-only",
         "State travels between Terraform and S3; it must not travel in clear text.",
         checkov=("CKV_AWS_379",), aws_config="s3-bucket-ssl-requests-only",
         engines=("terraform",), subject=lambda n: n.state_bucket)
def check_state_tls(ctx: AuditContext) -> Iterator[Verdict]:
    yield from _each(_bucket_items(ctx, [ctx.names.state_bucket]), lambda b: _judge_tls_policy(ctx, b))


@control("FF-TF-005", "Terraform lock table has point-in-time recovery", "medium",
         "DECISIONS 5: locking with the DynamoDB LockID table",
         "Point-in-time recovery restores the lock table after an accidental delete or bad write.",
         checkov=("CKV_AWS_28",), aws_config="dynamodb-pitr-enabled",
         engines=("terraform",), subject=lambda n: n.lock_table)
def check_lock_table_pitr(ctx: AuditContext) -> Iterator[Verdict]:
    table = ctx.names.lock_table
    arn = ctx.arn("dynamodb", f"table/{table}")

    def judge(name: str) -> Verdict:
        got = ctx.call("dynamodb", "describe_continuous_backups", missing=("TableNotFoundException",),
                       TableName=name)
        if got is None:
            return failed(name, f"lock table {NOT_FOUND}", arn)
        pitr = got.get("ContinuousBackupsDescription", {}).get("PointInTimeRecoveryDescription", {})
        status = pitr.get("PointInTimeRecoveryStatus")
        if status == "ENABLED":
            return passed(name, "point-in-time recovery enabled", arn)
        return failed(name, f"point-in-time recovery {str(status).lower()}", arn)

    yield from _each([(table, arn)], judge)


# --------------------------------------------------------------------------------------------- running


@dataclass
class Report:
    """The results of one audit, and how to print them for scripts (JSON) and code scanning (SARIF)."""

    environment: str
    project: str
    target: str
    engine: Engine
    account: str
    region: str
    results: list[Result]

    def count(self, status: Status) -> int:
        return sum(1 for r in self.results if r.status is status)

    @property
    def summary(self) -> dict[str, int]:
        return {s.value: self.count(s) for s in Status}

    def summary_line(self) -> str:
        return ", ".join(f"{self.count(s)} {s.label}" for s in Status)

    @property
    def exit_code(self) -> ExitCode:
        return ExitCode.FINDINGS if self.count(Status.FAILED) else ExitCode.OK

    def to_json(self) -> dict[str, Any]:
        rows = []
        for r in self.results:
            c = control_by_id(r.control_id)
            rows.append({
                "control": c.id, "title": c.title, "severity": c.severity, "status": r.status.value,
                "resource": r.resource, "arn": r.arn, "detail": r.detail, "proves": c.proves,
                "checkov": list(c.checkov), "aws_config_rule": c.aws_config,
            })
        return {
            "environment": self.environment, "project": self.project, "target": self.target,
            "engine": self.engine, "account": self.account, "region": self.region,
            "results": rows, "summary": self.summary,
        }

    def to_sarif(self) -> dict[str, Any]:
        """SARIF 2.1.0: one rule per control; failed results (level from severity) and not-checked ones
        (kind "review", level "none": a person must look), each located at the resource's ARN."""
        rules = [_sarif_rule(c) for c in CONTROLS]
        index = {c.id: i for i, c in enumerate(CONTROLS)}
        results = []
        for r in self.results:
            if r.status not in (Status.FAILED, Status.NOT_CHECKED):
                continue
            c = control_by_id(r.control_id)
            fail = r.status is Status.FAILED
            results.append({
                "ruleId": c.id,
                "ruleIndex": index[c.id],
                "kind": "fail" if fail else "review",
                "level": _SARIF_LEVEL[c.severity] if fail else "none",
                "message": {"text": f"{r.resource}: {r.detail}" if fail else f"{r.resource}: not checked: {r.detail}"},
                "locations": [{"logicalLocations": [{
                    "fullyQualifiedName": r.arn or r.resource, "name": r.resource, "kind": "resource"}]}],
                "properties": {"status": r.status.value, "environment": self.environment},
            })
        return {
            "$schema": SARIF_SCHEMA,
            "version": "2.1.0",
            "runs": [{
                "tool": {"driver": {"name": "fuelflow-audit", "version": __version__, "rules": rules}},
                "automationDetails": {"id": f"fuelflow-audit/{self.project}/{self.environment}/"},
                "invocations": [{"executionSuccessful": True}],
                "results": results,
                "properties": {"target": self.target, "engine": self.engine, "account": self.account,
                               "region": self.region, "summary": self.summary},
            }],
        }


_SARIF_LEVEL = {"critical": "error", "high": "error", "medium": "warning", "low": "note"}
_SECURITY_SEVERITY = {"critical": "9.5", "high": "8.0", "medium": "5.5", "low": "3.0"}


def _sarif_rule(c: Control) -> dict[str, Any]:
    mapping = [f"checkov: {', '.join(c.checkov)}" if c.checkov else "checkov: none",
               f"AWS Config: {c.aws_config}" if c.aws_config else "AWS Config: none"]
    return {
        "id": c.id,
        "name": "".join(re.sub(r"[^0-9A-Za-z]", "", w).capitalize() for w in c.title.replace("*", "star").split()),
        "shortDescription": {"text": c.title},
        "fullDescription": {"text": c.why},
        "help": {"text": f"Proves: {c.proves}. {'; '.join(mapping)}."},
        "defaultConfiguration": {"level": _SARIF_LEVEL[c.severity]},
        "properties": {"tags": ["security"], "severity": c.severity,
                       "security-severity": _SECURITY_SEVERITY[c.severity],
                       "checkov": list(c.checkov), "aws-config-rule": c.aws_config},
    }


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
    ]
    for probe in probes:
        try:
            if probe():
                return True
        except Unanswerable:
            return True  # cannot prove it absent: audit and let the controls say what they can
    return False


def run_audit(aws: AwsContext, env: Environment, engine: Engine = "cloudformation",
              only: Iterable[str] | None = None) -> Report:
    """Audit `env` on `aws`. Raises InputError (exit 2) when nothing of the environment is deployed.

    `only` limits the run to some control ids (tests; the not-deployed probe still runs).
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
        results: list[Result] = []
        for c in CONTROLS:
            if wanted is not None and c.id not in wanted:
                continue
            results.extend(_run_control(ctx, c))
    finally:
        ctx.close()
    return Report(env.name, env.project, target, engine, account, aws.region, results)


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
