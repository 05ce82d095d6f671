"""S3: the application buckets (FF-S3). The state bucket reuses these judges (checks/tfstate.py)."""

from __future__ import annotations

import fnmatch
from collections.abc import Iterable, Iterator
from typing import Any

from fuelflow.audit.checks.common import NOT_FOUND, each
from fuelflow.audit.checks.iam import role_policies
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


@control("FF-S3-007", "S3 buckets abort incomplete multipart uploads", "low",
         "DECISIONS 17.6: every bucket has a rule aborting incomplete multipart uploads",
         "Parts of uploads never completed are billed and invisible to listings until a rule removes them.",
         checkov=("CKV_AWS_300",), aws_config="s3-lifecycle-policy-check",
         prowler="s3_bucket_lifecycle_enabled")
def check_s3_abort_multipart(ctx: AuditContext) -> Iterator[Verdict]:
    def judge(bucket: str) -> Verdict:
        arn = ctx.names.bucket_arn(bucket)
        if not ctx.bucket_exists(bucket):
            return failed(bucket, f"bucket {NOT_FOUND}", arn)
        got = ctx.bucket_setting(bucket, "get_bucket_lifecycle_configuration", "NoSuchLifecycleConfiguration")
        days = [r["AbortIncompleteMultipartUpload"].get("DaysAfterInitiation") for r in (got or {}).get("Rules", [])
                if r.get("Status") == "Enabled" and "AbortIncompleteMultipartUpload" in r
                and not (r.get("Filter") or {}).get("Prefix") and not r.get("Prefix")]
        if not days:
            return failed(bucket, "no enabled rule aborts incomplete multipart uploads for the whole bucket", arn)
        return passed(bucket, f"incomplete multipart uploads aborted after {min(days)} days", arn)

    yield from each(bucket_items(ctx, ctx.names.buckets.values()), judge)


def _named_principals(statement: dict[str, Any]) -> set[str] | None:
    """The principals a Deny applies to: every one (None) or those named by Principal or aws:PrincipalArn."""
    principal = statement.get("Principal")
    if principal not in ("*", {"AWS": "*"}, {"AWS": ["*"]}):
        return set(map(str, as_list(principal.get("AWS")))) if isinstance(principal, dict) else set()
    condition = statement.get("Condition")
    if not condition:
        return None
    named: set[str] = set()
    for operator, keys in condition.items() if isinstance(condition, dict) else []:
        if not isinstance(keys, dict) or len(keys) != 1 or len(condition) != 1:
            return set()  # a further condition narrows the Deny in ways this check does not follow
        if operator in ("ArnEquals", "ArnLike", "StringEquals", "StringLike"):
            for key, value in keys.items():
                if key.lower() == "aws:principalarn":
                    named |= set(map(str, as_list(value)))
    return named


def _denies(statements_: list[dict[str, Any]], actions: tuple[str, ...], resource: str, roles: set[str]) -> bool:
    """Some Deny statements together refuse every one of `actions` on `resource` to every role of `roles`."""
    for action in actions:
        covered: set[str] = set()
        for s in statements_:
            if s.get("Effect") != "Deny" or "NotResource" in s or "NotAction" in s:
                continue
            acts = {str(a).lower() for a in as_list(s.get("Action"))}
            if not ({action.lower(), "s3:*", "*"} & acts or any(fnmatch.fnmatch(action.lower(), a) for a in acts)):
                continue
            if not any(fnmatch.fnmatchcase(resource, str(r)) for r in as_list(s.get("Resource"))):
                continue
            who = _named_principals(s)
            covered |= roles if who is None else {r for r in roles if any(fnmatch.fnmatchcase(r, w) for w in who)}
        if covered != roles:
            return False
    return True


@control("FF-S3-008", "The application cannot delete access logs or backups", "high",
         "DECISIONS 17.3: the logs and backups bucket policies deny the EC2 and Lambda roles every delete (and "
         "overwriting the access logs); their IAM policies grant none",
         "A compromised web server or function could otherwise erase the audit trail (the logs bucket is not "
         "versioned) or the backups it would be restored from.",
         checkov=(), aws_config=None,
         prowler=None)
def check_s3_protected_from_application(ctx: AuditContext) -> Iterator[Verdict]:
    roles = {ctx.names.role_arn(r) for r in ctx.names.application_roles}
    deletes = ("s3:DeleteObject", "s3:DeleteObjectVersion")

    def judge(bucket: str) -> Verdict:
        arn = ctx.names.bucket_arn(bucket)
        if not ctx.bucket_exists(bucket):
            return failed(bucket, f"bucket {NOT_FOUND}", arn)
        got = ctx.bucket_setting(bucket, "get_bucket_policy", "NoSuchBucketPolicy")
        found = statements(parse_policy(got.get("Policy"))) if got else []
        problems: list[str] = []
        if not _denies(found, deletes, f"{arn}/any-object", roles):
            problems.append("the bucket policy does not deny the application roles "
                            "s3:DeleteObject and s3:DeleteObjectVersion on every object")
        if bucket == ctx.names.buckets["logs"] and not _denies(found, ("s3:PutObject",),
                                                                f"{arn}/access-logs/any-object", roles):
            problems.append("the bucket policy does not deny the application roles overwriting access-logs/")
        for role in ctx.names.application_roles:
            for policy in role_policies(ctx, role) if ctx.role(role) is not None else []:
                for st in statements(policy.document):
                    acts = [str(a) for a in as_list(st.get("Action"))]
                    grants = [a for a in acts if any(fnmatch.fnmatch(d.lower(), a.lower()) for d in deletes)]
                    if st.get("Effect") == "Allow" and grants and any(
                            fnmatch.fnmatchcase(f"{arn}/any-object", str(r)) for r in as_list(st.get("Resource"))):
                        problems.append(f"{role} {policy.label} allows {', '.join(grants)} on it")
        if problems:
            return failed(bucket, "; ".join(problems), arn)
        return passed(bucket, "the bucket policy denies the EC2 and Lambda roles every delete"
                      + (" and overwriting the access logs" if bucket == ctx.names.buckets["logs"] else ""), arn)

    yield from each(bucket_items(ctx, [ctx.names.buckets["logs"], ctx.names.buckets["backups"]]), judge)
