"""S3: the application buckets (FF-S3). The state bucket reuses these judges (checks/tfstate.py)."""

from __future__ import annotations

import fnmatch
from collections.abc import Iterable, Iterator
from typing import Any

from fuelflow.audit.checks.common import NOT_FOUND, each
from fuelflow.audit.context import AuditContext
from fuelflow.audit.policy import as_list, parse_policy, statements
from fuelflow.audit.registry import Verdict, control, failed, passed


def bucket_items(ctx: AuditContext, buckets: Iterable[str]) -> list[tuple[str, str | None]]:
    return [(b, ctx.names.bucket_arn(b)) for b in buckets]


def judge_public_access_block(ctx: AuditContext, bucket: str) -> Verdict:
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


def judge_encryption(ctx: AuditContext, bucket: str) -> Verdict:
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


def judge_versioning(ctx: AuditContext, bucket: str) -> Verdict:
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
    if not {"s3:*", "*"} & {a.lower() for a in as_list(statement.get("Action"))}:
        return False
    resources = as_list(statement.get("Resource"))
    covers = all(any(fnmatch.fnmatchcase(target, r) for r in resources) for target in (bucket_arn, bucket_arn + "/*"))
    if not covers:
        return False
    condition = statement.get("Condition", {})
    for operator in ("Bool", "BoolIfExists"):
        value = condition.get(operator, {}).get("aws:SecureTransport")
        if str(as_list(value)[0] if as_list(value) else "").lower() == "false":
            return True
    return False


def judge_tls_policy(ctx: AuditContext, bucket: str) -> Verdict:
    arn = ctx.names.bucket_arn(bucket)
    if not ctx.bucket_exists(bucket):
        return failed(bucket, f"bucket {NOT_FOUND}", arn)
    got = ctx.bucket_setting(bucket, "get_bucket_policy", "NoSuchBucketPolicy")
    if got is None:
        return failed(bucket, "no bucket policy (plain-HTTP requests are accepted)", arn)
    if any(_denies_insecure_transport(s, arn) for s in statements(parse_policy(got.get("Policy")))):
        return passed(bucket, "policy denies requests without TLS (aws:SecureTransport=false)", arn)
    return failed(bucket, "policy has no Deny s3:* on aws:SecureTransport=false for the bucket and its objects", arn)


@control("FF-S3-001", "S3 buckets block all public access", "high",
         "architecture: All S3 buckets block public access",
         "A public access block stops any ACL or policy from ever making data public by mistake.",
         checkov=("CKV_AWS_53", "CKV_AWS_54", "CKV_AWS_55", "CKV_AWS_56"),
         aws_config="s3-bucket-level-public-access-prohibited",
         prowler="s3_bucket_level_public_access_block")
def check_s3_public_access(ctx: AuditContext) -> Iterator[Verdict]:
    yield from each(bucket_items(ctx, ctx.names.buckets.values()), lambda b: judge_public_access_block(ctx, b))


@control("FF-S3-002", "S3 buckets are encrypted at rest", "high",
         "architecture: S3 encryption at rest enabled",
         "Default encryption covers every object, including ones written without encryption headers.",
         checkov=("CKV_AWS_19",), aws_config="s3-bucket-server-side-encryption-enabled",
         prowler="s3_bucket_default_encryption")
def check_s3_encryption(ctx: AuditContext) -> Iterator[Verdict]:
    yield from each(bucket_items(ctx, ctx.names.buckets.values()), lambda b: judge_encryption(ctx, b))


@control("FF-S3-003", "App-data and backups buckets are versioned", "medium",
         "architecture: Versioning enabled for critical buckets; DECISIONS 5: versioning on app-data and backups",
         "Versioning turns an overwrite or delete into a recoverable event.",
         checkov=("CKV_AWS_21",), aws_config="s3-bucket-versioning-enabled",
         prowler="s3_bucket_object_versioning")
def check_s3_versioning(ctx: AuditContext) -> Iterator[Verdict]:
    critical = [ctx.names.buckets["app-data"], ctx.names.buckets["backups"]]
    yield from each(bucket_items(ctx, critical), lambda b: judge_versioning(ctx, b))


@control("FF-S3-004", "S3 buckets accept TLS requests only", "medium",
         "DECISIONS 5: every bucket has a TLS-only bucket policy",
         "Encryption in transit for S3 is only guaranteed when the bucket refuses plain HTTP.",
         checkov=("CKV_AWS_379",), aws_config="s3-bucket-ssl-requests-only",
         prowler="s3_bucket_secure_transport_policy")
def check_s3_tls_only(ctx: AuditContext) -> Iterator[Verdict]:
    yield from each(bucket_items(ctx, ctx.names.buckets.values()), lambda b: judge_tls_policy(ctx, b))


@control("FF-S3-005", "S3 object ownership is enforced (ACLs disabled)", "medium",
         "DECISIONS 5: every bucket has ownership enforced",
         "With BucketOwnerEnforced, ACLs are ignored: access is decided by policies alone.",
         checkov=("CKV2_AWS_65",), aws_config="s3-bucket-acl-prohibited",
         prowler="s3_bucket_acl_prohibited")
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

    yield from each(bucket_items(ctx, ctx.names.buckets.values()), judge)


@control("FF-S3-006", "The logs bucket expires old logs", "low",
         "DECISIONS 5: lifecycle rules on logs",
         "Logs that never expire grow cost without bound and keep personal data longer than needed.",
         checkov=("CKV2_AWS_61",), aws_config="s3-lifecycle-policy-check",
         prowler="s3_bucket_lifecycle_enabled")
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

    yield from each(bucket_items(ctx, [ctx.names.buckets["logs"]]), judge)
