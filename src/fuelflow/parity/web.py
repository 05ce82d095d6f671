"""Parity builders for the web tier behind a load balancer (web.load_balancer): load balancer, target group,
listeners, Auto Scaling group, scaling policy and certificate, one engine-neutral shape for both engines.

Leaves under `web.`; references are symbols (`target-group:tg`, `sg:alb`); an ARN reference and a Ref compare
alike (`strip_arn`). The certificate's DNS validation (Terraform's route53 record + validation resource,
CloudFormation's DomainValidationOptions) is compared as the certificate's `validation` and `zone`.
"""

from __future__ import annotations

from typing import Any

from fuelflow.parity import normalise as norm
from fuelflow.parity.model import Model


def _ref(value: Any) -> Any:
    return norm.strip_arn(value)


def _attrs(items: Any) -> dict[str, str]:
    return {str(a.get("Key")): str(a.get("Value")).lower() if isinstance(a.get("Value"), bool) else str(a.get("Value"))
            for a in norm.as_list(items)}


def _put_all(model: Model, base: str, values: dict[str, Any], source: str) -> None:
    for key, value in values.items():
        model.put(f"{base}.{key}", value, source)


def _action(kind: Any, target: Any, redirect: dict[str, Any]) -> str:
    if str(kind) == "forward":
        return f"forward {_ref(target)}"
    if str(kind) == "redirect":
        parts = [redirect.get(k) for k in ("protocol", "port", "host", "path", "query", "status_code")]
        return "redirect " + " ".join(str(p) for p in parts)
    return str(kind)


def cfn_web(model: Model, by: norm.ByKind, by_sym: norm.BySymbol, of: dict[str, str], ctx: norm.Context) -> None:
    for r in by.get("lb", []):
        p, a = r.props, _attrs(r.props.get("LoadBalancerAttributes"))
        _put_all(model, f"web.load_balancers.{norm.symbol_key(of[r.key])}", {
            "type": p.get("Type", "application"), "scheme": p.get("Scheme", "internet-facing"),
            "ip_address_type": p.get("IpAddressType", "ipv4"),
            "subnets": sorted(map(str, norm.as_list(p.get("Subnets")))),
            "security_groups": sorted(map(str, norm.as_list(p.get("SecurityGroups")))),
            "deletion_protection": norm.as_bool(a.get("deletion_protection.enabled", "false")),
            "drop_invalid_header_fields": norm.as_bool(a.get("routing.http.drop_invalid_header_fields.enabled",
                                                             "false")),
            "access_logs.enabled": norm.as_bool(a.get("access_logs.s3.enabled", "false")),
            "access_logs.bucket": a.get("access_logs.s3.bucket"),
            "access_logs.prefix": a.get("access_logs.s3.prefix"),
        }, r.source)
    for r in by.get("target-group", []):
        p, a = r.props, _attrs(r.props.get("TargetGroupAttributes"))
        _put_all(model, f"web.target_groups.{norm.symbol_key(of[r.key])}", {
            "target_type": p.get("TargetType", "instance"), "protocol": p.get("Protocol"),
            "port": norm.num(p.get("Port")), "vpc": p.get("VpcId"),
            "health.enabled": norm.as_bool(p.get("HealthCheckEnabled", True)),
            "health.protocol": p.get("HealthCheckProtocol"), "health.port": p.get("HealthCheckPort"),
            "health.path": p.get("HealthCheckPath"), "health.interval": norm.num(p.get("HealthCheckIntervalSeconds")),
            "health.timeout": norm.num(p.get("HealthCheckTimeoutSeconds")),
            "health.healthy_threshold": norm.num(p.get("HealthyThresholdCount")),
            "health.unhealthy_threshold": norm.num(p.get("UnhealthyThresholdCount")),
            "health.matcher": (p.get("Matcher") or {}).get("HttpCode"),
            "deregistration_delay": norm.num(a.get("deregistration_delay.timeout_seconds", "300")),
            "stickiness.enabled": norm.as_bool(a.get("stickiness.enabled", "false")),
            "stickiness.type": a.get("stickiness.type"),
            "stickiness.duration": norm.num(a.get("stickiness.lb_cookie.duration_seconds")),
        }, r.source)
    for r in by.get("listener", []):
        p = r.props
        [action] = norm.as_list(p.get("DefaultActions"))
        redirect = {k.lower(): v for k, v in (action.get("RedirectConfig") or {}).items()}
        redirect["status_code"] = redirect.pop("statuscode", None)
        certs = [c.get("CertificateArn") for c in norm.as_list(p.get("Certificates"))]
        _put_all(model, f"web.listeners.{norm.symbol_key(of[r.key])}", {
            "load_balancer": _ref(p.get("LoadBalancerArn")), "protocol": p.get("Protocol"),
            "ssl_policy": p.get("SslPolicy"), "certificate": _ref(certs[0]) if certs else None,
            "action": _action(action.get("Type"), action.get("TargetGroupArn"), redirect),
        }, r.source)
    for r in by.get("asg", []):
        p = r.props
        lt = p.get("LaunchTemplate") or {}
        metrics = norm.as_list(p.get("MetricsCollection"))
        _put_all(model, f"web.auto_scaling_groups.{norm.symbol_key(of[r.key])}", {
            "min_size": norm.num(p.get("MinSize")), "desired_capacity": norm.num(p.get("DesiredCapacity")),
            "max_size": norm.num(p.get("MaxSize")),
            "subnets": sorted(map(str, norm.as_list(p.get("VPCZoneIdentifier")))),
            "target_groups": sorted(str(_ref(t)) for t in norm.as_list(p.get("TargetGroupARNs"))),
            "health_check_type": p.get("HealthCheckType", "EC2"),
            "health_check_grace_period": norm.num(p.get("HealthCheckGracePeriod", 0)),
            "launch_template": lt.get("LaunchTemplateId"),
            "metrics_granularity": metrics[0].get("Granularity") if metrics else None,
            "tags": sorted(f"{t['Key']}={t['Value']} propagate={norm.as_bool(t.get('PropagateAtLaunch'))}"
                           for t in norm.as_list(p.get("Tags"))),
        }, r.source)
    for r in by.get("scaling-policy", []):
        p = r.props
        tracking = p.get("TargetTrackingConfiguration") or {}
        _put_all(model, "web.scaling_policy", {
            "group": p.get("AutoScalingGroupName"), "type": p.get("PolicyType"),
            "warmup": norm.num(p.get("EstimatedInstanceWarmup")),
            "metric": (tracking.get("PredefinedMetricSpecification") or {}).get("PredefinedMetricType"),
            "target": norm.num(float(tracking["TargetValue"])) if "TargetValue" in tracking else None,
        }, r.source)
    for r in by.get("certificate", []):
        p = r.props
        zones = [o.get("HostedZoneId") for o in norm.as_list(p.get("DomainValidationOptions"))]
        _put_all(model, "web.certificate", {"domain": p.get("DomainName"), "validation": p.get("ValidationMethod"),
                                            "zone": zones[0] if zones else None}, r.source)


def tf_web(model: Model, by: norm.ByKind, by_sym: norm.BySymbol, of: dict[str, str], ctx: norm.Context) -> None:
    for r in by.get("lb", []):
        p = r.props
        logs = norm.first_block(p.get("access_logs"))
        _put_all(model, f"web.load_balancers.{norm.symbol_key(of[r.key])}", {
            "type": p.get("load_balancer_type") or "application",
            "scheme": "internal" if p.get("internal") else "internet-facing",
            "ip_address_type": p.get("ip_address_type") or "ipv4",
            "subnets": sorted(map(str, norm.as_list(p.get("subnets")))),
            "security_groups": sorted(map(str, norm.as_list(p.get("security_groups")))),
            "deletion_protection": bool(p.get("enable_deletion_protection")),
            "drop_invalid_header_fields": bool(p.get("drop_invalid_header_fields")),
            "access_logs.enabled": bool(logs.get("enabled")), "access_logs.bucket": logs.get("bucket"),
            "access_logs.prefix": logs.get("prefix"),
        }, r.source)
    for r in by.get("target-group", []):
        p = r.props
        hc, st = norm.first_block(p.get("health_check")), norm.first_block(p.get("stickiness"))
        _put_all(model, f"web.target_groups.{norm.symbol_key(of[r.key])}", {
            "target_type": p.get("target_type") or "instance", "protocol": p.get("protocol"),
            "port": norm.num(p.get("port")), "vpc": p.get("vpc_id"),
            "health.enabled": norm.as_bool(hc.get("enabled", True)), "health.protocol": hc.get("protocol"),
            "health.port": hc.get("port"), "health.path": hc.get("path"),
            "health.interval": norm.num(hc.get("interval")),
            "health.timeout": norm.num(hc.get("timeout")),
            "health.healthy_threshold": norm.num(hc.get("healthy_threshold")),
            "health.unhealthy_threshold": norm.num(hc.get("unhealthy_threshold")), "health.matcher": hc.get("matcher"),
            "deregistration_delay": norm.num(p.get("deregistration_delay") or "300"),
            "stickiness.enabled": bool(st.get("enabled")), "stickiness.type": st.get("type"),
            "stickiness.duration": norm.num(st.get("cookie_duration")),
        }, r.source)
    for r in by.get("listener", []):
        p = r.props
        action = norm.first_block(p.get("default_action"))
        redirect = norm.first_block(action.get("redirect"))
        _put_all(model, f"web.listeners.{norm.symbol_key(of[r.key])}", {
            "load_balancer": _ref(p.get("load_balancer_arn")), "protocol": p.get("protocol"),
            "ssl_policy": p.get("ssl_policy"), "certificate": _ref(p.get("certificate_arn")),
            "action": _action(action.get("type"), action.get("target_group_arn"), dict(redirect)),
        }, r.source)
    for r in by.get("asg", []):
        p = r.props
        lt = norm.first_block(p.get("launch_template"))
        _put_all(model, f"web.auto_scaling_groups.{norm.symbol_key(of[r.key])}", {
            "min_size": norm.num(p.get("min_size")), "desired_capacity": norm.num(p.get("desired_capacity")),
            "max_size": norm.num(p.get("max_size")),
            "subnets": sorted(map(str, norm.as_list(p.get("vpc_zone_identifier")))),
            "target_groups": sorted(str(_ref(t)) for t in norm.as_list(p.get("target_group_arns"))),
            "health_check_type": p.get("health_check_type") or "EC2",
            "health_check_grace_period": norm.num(p.get("health_check_grace_period") or 0),
            "launch_template": lt.get("id"),
            "metrics_granularity": p.get("metrics_granularity") if p.get("enabled_metrics") else None,
            "tags": sorted(f"{t['key']}={t['value']} propagate={bool(t.get('propagate_at_launch'))}"
                           for t in norm.as_list(p.get("tag"))),
        }, r.source)
    for r in by.get("scaling-policy", []):
        p = r.props
        tracking = norm.first_block(p.get("target_tracking_configuration"))
        metric = norm.first_block(tracking.get("predefined_metric_specification"))
        _put_all(model, "web.scaling_policy", {
            "group": p.get("autoscaling_group_name"), "type": p.get("policy_type"),
            "warmup": norm.num(p.get("estimated_instance_warmup")), "metric": metric.get("predefined_metric_type"),
            "target": norm.num(float(tracking["target_value"])) if tracking.get("target_value") is not None else None,
        }, r.source)
    validated = any(r.type == "aws_acm_certificate_validation" for r in norm.every(by))
    zones = [r.props.get("zone_id") for r in norm.every(by) if r.type == "aws_route53_record"
             and "certificate_validation" in r.key]
    for r in by.get("certificate", []):
        p = r.props
        _put_all(model, "web.certificate", {"domain": p.get("domain_name"), "validation": p.get("validation_method"),
                                            "zone": zones[0] if zones and validated else None}, r.source)
