"""IAM: the three roles of the contract, their trust and their policies (FF-IAM)."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, Literal

from fuelflow.audit.checks.common import NOT_FOUND
from fuelflow.audit.context import AuditContext, Unanswerable
from fuelflow.audit.policy import as_list, parse_policy, statements
from fuelflow.audit.registry import Verdict, control, failed, not_applicable, not_checked, passed


@dataclass(frozen=True)
class _Policy:
    kind: Literal["inline", "managed"]
    name: str
    document: dict[str, Any]
    aws_managed: bool = False

    @property
    def label(self) -> str:
        return f"{self.kind} policy {self.name}"


def role_policies(ctx: AuditContext, role: str) -> list[_Policy]:
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
    return ctx.cached(("role-policies", role), read)


def _allows(document: dict[str, Any]) -> list[dict[str, Any]]:
    return [s for s in statements(document) if s.get("Effect") == "Allow"]


def _is_admin(statement: dict[str, Any]) -> bool:
    actions = {str(a) for a in as_list(statement.get("Action"))}
    return bool({"*", "*:*"} & actions) and "*" in as_list(statement.get("Resource"))


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
        actions = [str(a) for a in as_list(s.get("Action"))]
        resources = [str(r) for r in as_list(s.get("Resource"))]
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
        outside = [r for r in resources if r != "*" and r.startswith(ctx.names.bucket_arn(""))
                   and not any(r == b or r.startswith(b + "/") for b in buckets)]
        if s3_actions and outside:
            problems.append(f"{policy.label}: S3 access beyond the environment's buckets: {', '.join(outside)}")
    return problems


def _trust_problems(role: dict[str, Any], service: str) -> list[str]:
    problems: list[str] = []
    for s in _allows(parse_policy(role.get("AssumeRolePolicyDocument"))):
        principal = s.get("Principal")
        services = as_list(principal.get("Service")) if isinstance(principal, dict) else []
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
            yield judge(role_name, service, role, role_policies(ctx, role_name))
        except Unanswerable as exc:
            yield not_checked(role_name, exc.reason)


@control("FF-IAM-001", "IAM roles are least-privilege", "high",
         "architecture: IAM roles with least privilege; DECISIONS 5: the EC2 role reads the DB secret and "
         "reads/writes only the fuel-flow buckets",
         "A role that can do more than its job turns any compromise of the instance into a compromise of the account.",
         checkov=("CKV_AWS_355", "CKV_AWS_290", "CKV_AWS_111"), aws_config="iam-policy-no-statements-with-full-access",
         prowler=None)
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
         checkov=("CKV_AWS_62", "CKV_AWS_63", "CKV_AWS_1"), aws_config="iam-policy-no-statements-with-admin-access",
         prowler="iam_inline_policy_no_administrative_privileges")
def check_no_admin(ctx: AuditContext) -> Iterator[Verdict]:
    def judge(name: str, service: str, role: dict[str, Any], policies: list[_Policy]) -> Verdict:
        arn = role.get("Arn")
        admin = [p.label for p in policies if any(_is_admin(s) for s in _allows(p.document))]
        if admin:
            return failed(name, f"allows * on *: {', '.join(admin)}", arn)
        return passed(name, f"none of {len(policies)} policy(ies) allows * on *", arn)

    yield from _roles_verdicts(ctx, judge)


# Services that do not put aws:SourceAccount / aws:SourceArn in the request when they assume the role: a
# condition on either key would never match and the role could not be used (DECISIONS 17.2).
_NO_SOURCE_KEYS = {"ec2.amazonaws.com": "EC2 passes neither aws:SourceAccount nor aws:SourceArn when it assumes an "
                   "instance profile's role (and an instance profile cannot be used from another account)"}


def _source_guard(statement: dict[str, Any], account: str) -> str | None:
    """The confused-deputy condition of a trust statement (aws:SourceAccount / aws:SourceArn / aws:SourceOrgID
    on this account), described; None when there is none."""
    condition = statement.get("Condition")
    if not isinstance(condition, dict):
        return None
    for operator, keys in condition.items():
        if not isinstance(keys, dict) or str(operator).startswith("ForAnyValue"):
            continue
        for key, value in keys.items():
            values = [str(v) for v in as_list(value)]
            if key.lower() == "aws:sourceaccount" and values == [account]:
                return f"{operator} aws:SourceAccount {account}"
            if key.lower() == "aws:sourcearn" and values and all(f":{account}:" in v for v in values):
                return f"{operator} aws:SourceArn in {account}"
    return None


@control("FF-IAM-003", "Service roles are guarded against the confused deputy", "medium",
         "DECISIONS 17.2: a service role's trust policy names this account in aws:SourceAccount/aws:SourceArn "
         "wherever the service passes those keys",
         "Without the condition, the service could be made to assume the role on behalf of another account's "
         "resource (cross-service confused deputy).",
         checkov=(), aws_config=None,
         prowler="iam_role_cross_service_confused_deputy_prevention")
def check_confused_deputy(ctx: AuditContext) -> Iterator[Verdict]:
    def judge(name: str, service: str, role: dict[str, Any], policies: list[_Policy]) -> Verdict:
        arn = role.get("Arn")
        if service in _NO_SOURCE_KEYS:
            return not_applicable(name, _NO_SOURCE_KEYS[service], arn)
        trusts = [s for s in _allows(parse_policy(role.get("AssumeRolePolicyDocument")))
                  if isinstance(s.get("Principal"), dict) and "Service" in s["Principal"]]
        if not trusts:
            return failed(name, f"no trust statement for {service}", arn)
        guards = [_source_guard(s, ctx.names.account) for s in trusts]
        if None in guards:
            return failed(name, f"{service} may assume it for any account: no aws:SourceAccount/aws:SourceArn "
                          f"condition naming {ctx.names.account}", arn)
        return passed(name, f"{service} only for this account ({'; '.join(map(str, guards))})", arn)

    yield from _roles_verdicts(ctx, judge)
