"""Elastic Load Balancing: the web tier behind a load balancer (FF-ALB), its instances' exposure included.

Each control applies when the environment file says `web.load_balancer: true`; without a load balancer it is
"not applicable" (the static instances are the web tier then, checked by FF-SG-*).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from fuelflow.audit.checks.common import NOT_FOUND
from fuelflow.audit.checks.ec2 import _describe_perm, _sg_arn, _sg_label, _sources
from fuelflow.audit.context import AuditContext, Unanswerable
from fuelflow.audit.registry import Verdict, control, failed, not_applicable, not_checked, passed

# Security policies that allow TLS 1.2 and later only (the TLS13-1-2 family, the FS-1-2 and TLS-1-2 ones).
TLS12_POLICY_PREFIXES = ("ELBSecurityPolicy-TLS13-1-2", "ELBSecurityPolicy-TLS13-1-3", "ELBSecurityPolicy-TLS-1-2",
                         "ELBSecurityPolicy-FS-1-2")
INTERNET = {"0.0.0.0/0", "::/0"}


def _load_balancer(ctx: AuditContext) -> dict[str, Any] | None:
    def find() -> dict[str, Any] | None:
        found = ctx.call("elbv2", "describe_load_balancers", missing=("LoadBalancerNotFound",),
                         Names=[ctx.names.load_balancer])
        lbs = (found or {}).get("LoadBalancers", [])
        return lbs[0] if lbs else None
    return ctx.cached("load_balancer", find)


def _lb_attributes(ctx: AuditContext, lb: dict[str, Any]) -> dict[str, str]:
    answer = ctx.call("elbv2", "describe_load_balancer_attributes", LoadBalancerArn=lb["LoadBalancerArn"]) or {}
    return {a["Key"]: str(a.get("Value")) for a in answer.get("Attributes", [])}


def _applicable(ctx: AuditContext) -> Iterator[Verdict]:
    """Yields the one verdict that ends the check when there is nothing (or nothing readable) to check."""
    if not ctx.env.web.load_balancer:
        yield not_applicable(ctx.names.load_balancer, "web.load_balancer is false: no load balancer")
        return
    try:
        if _load_balancer(ctx) is None:
            yield failed(ctx.names.load_balancer, f"load balancer {NOT_FOUND}")
    except Unanswerable as exc:
        yield not_checked(ctx.names.load_balancer, exc.reason)


@control("FF-ALB-001", "The load balancer serves HTTPS only (TLS 1.2+) when a certificate exists", "high",
         "issue 9: HTTPS listener with a TLS 1.2+ policy and HTTP redirecting to it when a certificate exists",
         "A plain-HTTP listener next to the HTTPS one lets browsers and clients talk in clear text; an old policy "
         "allows TLS 1.0/1.1.",
         checkov=("CKV_AWS_2", "CKV_AWS_103", "CKV2_AWS_20"), aws_config="alb-http-to-https-redirection-check",
         prowler="elbv2_ssl_listeners")
def check_https_only(ctx: AuditContext) -> Iterator[Verdict]:
    stop = list(_applicable(ctx))
    if stop:
        yield from stop
        return
    lb = _load_balancer(ctx)
    assert lb is not None
    web = ctx.env.web
    if not (web.certificate_arn or web.domain_name):
        yield not_applicable(ctx.names.load_balancer, "no certificate (web.certificate_arn and web.domain_name "
                                                      "empty): HTTP only by design")
        return
    try:
        listeners = (ctx.call("elbv2", "describe_listeners", LoadBalancerArn=lb["LoadBalancerArn"]) or {}).get(
            "Listeners", [])
    except Unanswerable as exc:
        yield not_checked(ctx.names.load_balancer, exc.reason, lb["LoadBalancerArn"])
        return
    problems: list[str] = []
    https = 0
    for listener in listeners:
        proto, port = listener.get("Protocol"), listener.get("Port")
        if proto == "HTTPS":
            https += 1
            policy = str(listener.get("SslPolicy") or "")
            if not policy.startswith(TLS12_POLICY_PREFIXES):
                problems.append(f"HTTPS:{port} uses {policy or 'no policy'} (not TLS 1.2+ only)")
            continue
        actions = listener.get("DefaultActions", [])
        redirects = actions and all(a.get("Type") == "redirect"
                                    and (a.get("RedirectConfig") or {}).get("Protocol") == "HTTPS" for a in actions)
        if not redirects:
            problems.append(f"{proto}:{port} serves without TLS instead of redirecting to HTTPS")
    if not https:
        problems.append("no HTTPS listener")
    if problems:
        yield failed(ctx.names.load_balancer, "; ".join(problems), lb["LoadBalancerArn"])
    else:
        yield passed(ctx.names.load_balancer, f"{https} HTTPS listener(s) with a TLS 1.2+ policy, HTTP redirects",
                     lb["LoadBalancerArn"])


@control("FF-ALB-002", "The load balancer writes access logs to the logs bucket", "medium",
         "issue 9: ALB access logs to the logs bucket, prefix per environment (alb/<env>)",
         "Without access logs there is no record of who requested what, for incidents or abuse reports.",
         checkov=("CKV_AWS_91",), aws_config="elb-logging-enabled", prowler="elbv2_logging_enabled")
def check_access_logs(ctx: AuditContext) -> Iterator[Verdict]:
    stop = list(_applicable(ctx))
    if stop:
        yield from stop
        return
    lb = _load_balancer(ctx)
    assert lb is not None
    try:
        attrs = _lb_attributes(ctx, lb)
    except Unanswerable as exc:
        yield not_checked(ctx.names.load_balancer, exc.reason, lb["LoadBalancerArn"])
        return
    bucket, prefix = ctx.names.bucket("logs"), f"alb/{ctx.env.name}"
    got = (attrs.get("access_logs.s3.enabled"), attrs.get("access_logs.s3.bucket"), attrs.get("access_logs.s3.prefix"))
    if got == ("true", bucket, prefix):
        yield passed(ctx.names.load_balancer, f"access logs to s3://{bucket}/{prefix}/", lb["LoadBalancerArn"])
    elif got[0] != "true":
        yield failed(ctx.names.load_balancer, "access logs are off", lb["LoadBalancerArn"])
    else:
        yield failed(ctx.names.load_balancer, f"access logs go to s3://{got[1]}/{got[2]}/, not s3://{bucket}/{prefix}/",
                     lb["LoadBalancerArn"])


@control("FF-ALB-003", "The load balancer drops invalid HTTP header fields", "low",
         "issue 9: drop invalid header fields",
         "Headers with invalid characters are a request-smuggling and desync vector towards the web servers.",
         checkov=("CKV_AWS_131",), aws_config="alb-http-drop-invalid-header-enabled",
         prowler="elbv2_desync_mitigation_mode")
def check_drop_invalid_headers(ctx: AuditContext) -> Iterator[Verdict]:
    stop = list(_applicable(ctx))
    if stop:
        yield from stop
        return
    lb = _load_balancer(ctx)
    assert lb is not None
    try:
        attrs = _lb_attributes(ctx, lb)
    except Unanswerable as exc:
        yield not_checked(ctx.names.load_balancer, exc.reason, lb["LoadBalancerArn"])
        return
    if attrs.get("routing.http.drop_invalid_header_fields.enabled") == "true":
        yield passed(ctx.names.load_balancer, "invalid header fields are dropped", lb["LoadBalancerArn"])
    else:
        yield failed(ctx.names.load_balancer, "invalid header fields are passed to the targets",
                     lb["LoadBalancerArn"])


@control("FF-ALB-004", "Behind the load balancer, no web instance port is open to the internet", "high",
         "issue 9: instances accept port 80 only from the load balancer's security group",
         "An instance reachable directly bypasses the load balancer's TLS, logs and header checks.",
         checkov=("CKV_AWS_260",), aws_config="restricted-common-ports",
         prowler="ec2_securitygroup_allow_ingress_from_internet_to_any_port")
def check_instances_not_public(ctx: AuditContext) -> Iterator[Verdict]:
    if not ctx.env.web.load_balancer:
        yield not_applicable(ctx.names.web_sg, "web.load_balancer is false: the static instances serve HTTP "
                                               "directly (FF-SG-002)")
        return
    try:
        groups = {g["GroupId"]: g for g in ctx.security_groups(ctx.names.web_sg)}
        for inst in ctx.instances():
            for ref in inst.get("SecurityGroups", []):
                if ref["GroupId"] not in groups:
                    group = ctx.security_group_by_id(ref["GroupId"])
                    if group is not None:
                        groups[group["GroupId"]] = group
        alb_sgs = {g["GroupId"] for g in ctx.security_groups(ctx.names.alb_sg)}
    except Unanswerable as exc:
        yield not_checked(ctx.names.web_sg, exc.reason)
        return
    if not groups:
        yield failed(ctx.names.web_sg, f"security group {NOT_FOUND}")
    for group in groups.values():
        public = [p for p in group.get("IpPermissions", []) if INTERNET & set(_sources(p))]
        other_groups = [s for p in group.get("IpPermissions", []) for s in _sources(p)
                        if s.startswith("sg-") and s not in alb_sgs]
        if public:
            yield failed(_sg_label(group), "open to the internet: " + "; ".join(map(_describe_perm, public)),
                         _sg_arn(ctx, group))
        elif other_groups:
            yield failed(_sg_label(group), f"admits groups other than the load balancer's: {', '.join(other_groups)}",
                         _sg_arn(ctx, group))
        else:
            yield passed(_sg_label(group), "no port open to the internet; HTTP from the load balancer's group only",
                         _sg_arn(ctx, group))
