"""The edge options in front of the load balancer (FF-WAF)."""

from __future__ import annotations

from collections.abc import Iterator

from fuelflow.audit.checks.common import NOT_FOUND
from fuelflow.audit.context import AuditContext, Unanswerable
from fuelflow.audit.registry import Verdict, control, failed, not_applicable, not_checked, passed

MANAGED_RULE_GROUPS = ("AWSManagedRulesCommonRuleSet", "AWSManagedRulesKnownBadInputsRuleSet")


@control("FF-WAF-001", "The WAF web ACL guards the load balancer when the environment switches it on", "high",
         "issue 9: AWS WAF web ACL with the AWS managed common and known-bad-inputs rule sets plus a rate-based "
         "rule, on the ALB or on CloudFront; environments file: edge.waf",
         "A web ACL that exists but is not attached protects nothing; one without its rules blocks nothing.",
         checkov=("CKV2_AWS_28",), aws_config="alb-waf-enabled", prowler="elbv2_waf_acl_attached")
def check_waf_attached(ctx: AuditContext) -> Iterator[Verdict]:
    lb_name = ctx.names.build("load_balancer")
    if not ctx.env.edge.waf:
        yield not_applicable(lb_name, "edge.waf is off for this environment")
        return
    try:
        found = ctx.call("elbv2", "describe_load_balancers", missing=("LoadBalancerNotFound",), Names=[lb_name])
        lbs = (found or {}).get("LoadBalancers") or []
        if not lbs:
            yield failed(lb_name, f"load balancer {NOT_FOUND} (edge.waf is on)")
            return
        arn = str(lbs[0]["LoadBalancerArn"])
        answer = ctx.call("wafv2", "get_web_acl_for_resource", missing=("WAFNonexistentItemException",),
                          ResourceArn=arn)
        acl = (answer or {}).get("WebACL")
        if not acl:
            yield failed(lb_name, "no WAF web ACL is associated with the load balancer", arn)
            return
        if acl.get("Name") != ctx.names.web_acl:
            yield failed(lb_name, f"the associated web ACL is {acl.get('Name')}, not {ctx.names.web_acl}", arn)
            return
        rules = acl.get("Rules") or []
        groups = {str(((r.get("Statement") or {}).get("ManagedRuleGroupStatement") or {}).get("Name")) for r in rules}
        missing = [g for g in MANAGED_RULE_GROUPS if g not in groups]
        rate = [r for r in rules if (r.get("Statement") or {}).get("RateBasedStatement")]
        if missing or not rate:
            what = ", ".join(missing + ([] if rate else ["a rate-based rule"]))
            yield failed(lb_name, f"web ACL {acl.get('Name')} lacks {what}", arn)
            return
        limit = rate[0]["Statement"]["RateBasedStatement"].get("Limit")
        yield passed(lb_name, f"web ACL {acl.get('Name')}: {', '.join(MANAGED_RULE_GROUPS)}, rate limit {limit} per "
                              "5 minutes per IP", arn)
    except Unanswerable as exc:
        yield not_checked(lb_name, exc.reason)
