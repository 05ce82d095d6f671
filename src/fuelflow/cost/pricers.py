"""One pure function per resource kind: a neutral Resource, the region's prices and the usage assumptions in,
priced lines out. Each is unit-tested with hand-computed figures (tests/test_cost.py)."""

from __future__ import annotations

from collections.abc import Callable

from fuelflow.cost.model import Line, RegionPrices, Resource, Usage

Pricer = Callable[[Resource, RegionPrices, Usage], list[Line]]

# Kinds that cost nothing themselves (counted, so the table says what it left out on purpose).
FREE_KINDS = "free"


def _line(r: Resource, item: str, meter: str, quantity: float, unit: str, p: RegionPrices, key: str | None = None,
          assumption: str | None = None) -> Line:
    return Line(r.group, r.name, item, meter, quantity, unit, p.get(meter, key), key, assumption)


def ec2_instance(r: Resource, p: RegionPrices, u: Usage) -> list[Line]:
    """attrs: instance_type, count, volumes [(type, GiB)], public_ipv4 (addresses per instance)."""
    n = int(r.attrs.get("count", 1))
    itype = str(r.attrs["instance_type"])
    out = [_line(r, f"{n} x {itype} instance hours", "ec2.instance_hour", n * p.hours, "hour", p, itype)]
    for vtype, size in r.attrs.get("volumes", []):
        out.append(_line(r, f"{n} x {float(size):g} GiB {vtype} volume", "ebs.gb_month", n * float(size), "GB-month", p,
                         str(vtype)))
    ips = n * int(r.attrs.get("public_ipv4", 0))
    if ips:
        out.append(_line(r, f"{ips} public IPv4 address{'es' if ips > 1 else ''}", "ipv4.address_hour",
                         ips * p.hours, "address-hour", p))
    return out


def rds_instance(r: Resource, p: RegionPrices, u: Usage) -> list[Line]:
    """attrs: instance_class, multi_az, storage_type, allocated_gb, backup_retention_days, managed_secret,
    monitoring_interval, replica."""
    cls = str(r.attrs["instance_class"])
    multi = bool(r.attrs.get("multi_az"))
    az = 2 if multi else 1
    label = "Multi-AZ" if multi else "Single-AZ"
    key_label = f"{cls} ({label})"
    hour = p.get("rds.instance_hour", cls)
    out = [Line(r.group, r.name, f"{cls} {label} instance hours", "rds.instance_hour", az * p.hours, "hour", hour,
                key_label if multi else cls)]
    gb = float(r.attrs.get("allocated_gb", 0))
    stype = str(r.attrs.get("storage_type") or "gp2")
    baseline = ", baseline IOPS included" if stype == "gp3" else ""
    out.append(Line(r.group, r.name, f"{gb:g} GiB {stype} storage ({label}{baseline})",
                    "rds.storage_gb_month", az * gb, "GB-month", p.get("rds.storage_gb_month", stype), stype))
    if int(r.attrs.get("backup_retention_days", 0)) > 0 and not r.attrs.get("replica"):
        ratio = u.get("rds.backup_storage_ratio")
        beyond = max(0.0, ratio - 1.0) * gb
        out.append(_line(r, "backup storage beyond the free allowance (= allocated storage)", "rds.backup_gb_month",
                         beyond, "GB-month", p, assumption=u.say("rds.backup_storage_ratio")))
    if r.attrs.get("managed_secret"):
        calls = u.get("secretsmanager.api_calls")
        out.append(_line(r, "master password secret (Secrets Manager, kept by RDS)", "secretsmanager.secret_month",
                         1, "secret-month", p))
        out.append(_line(r, "secret API calls", "secretsmanager.api_10k", calls / 10_000, "10k calls", p,
                         assumption=u.say("secretsmanager.api_calls")))
    interval = int(r.attrs.get("monitoring_interval", 0))
    if interval > 0:
        gb_em = u.get("rds.enhanced_monitoring_gb") * 60 / interval
        out.append(_line(r, f"enhanced monitoring every {interval} s (RDSOSMetrics log ingestion)",
                         "cloudwatch.logs_ingest_gb", gb_em, "GB", p,
                         assumption=u.say("rds.enhanced_monitoring_gb")))
    return out


def s3_bucket(r: Resource, p: RegionPrices, u: Usage) -> list[Line]:
    """attrs: purpose (app-data, logs, backups; anything else is `other`)."""
    purpose = str(r.attrs.get("purpose") or "other")
    purpose = purpose if f"s3.{purpose}.gb" in u.values else "other"
    gb, put, get = (f"s3.{purpose}.{x}" for x in ("gb", "put_requests", "get_requests"))
    return [
        _line(r, f"{purpose} storage (S3 Standard)", "s3.standard_gb_month", u.get(gb), "GB-month", p,
              assumption=u.say(gb)),
        _line(r, f"{purpose} PUT/LIST requests", "s3.put_1k", u.get(put) / 1000, "1k requests", p,
              assumption=u.say(put)),
        _line(r, f"{purpose} GET requests", "s3.get_1k", u.get(get) / 1000, "1k requests", p, assumption=u.say(get)),
    ]


def dynamodb_table(r: Resource, p: RegionPrices, u: Usage) -> list[Line]:
    """attrs: billing (PAY_PER_REQUEST is priced on demand; provisioned tables are not modelled)."""
    w, rd, gb = "dynamodb.writes", "dynamodb.reads", "dynamodb.storage_gb"
    return [
        _line(r, "on-demand writes", "dynamodb.write_million", u.get(w) / 1e6, "million WRU", p, assumption=u.say(w)),
        _line(r, "on-demand reads", "dynamodb.read_million", u.get(rd) / 1e6, "million RRU", p, assumption=u.say(rd)),
        _line(r, "table storage", "dynamodb.storage_gb_month", u.get(gb), "GB-month", p, assumption=u.say(gb)),
    ]


def secret(r: Resource, p: RegionPrices, u: Usage) -> list[Line]:
    calls = u.get("secretsmanager.api_calls")
    return [_line(r, "secret", "secretsmanager.secret_month", 1, "secret-month", p),
            _line(r, "secret API calls", "secretsmanager.api_10k", calls / 10_000, "10k calls", p,
                  assumption=u.say("secretsmanager.api_calls"))]


def alb(r: Resource, p: RegionPrices, u: Usage) -> list[Line]:
    """attrs: public_ipv4 (addresses: one per subnet of an internet-facing load balancer)."""
    lcu = u.get("alb.lcu")
    out = [_line(r, "Application Load Balancer hours", "elb.alb_hour", p.hours, "hour", p),
           _line(r, "load balancer capacity units", "elb.lcu_hour", lcu * p.hours, "LCU-hour", p,
                 assumption=u.say("alb.lcu"))]
    ips = int(r.attrs.get("public_ipv4", 0))
    if ips:
        out.append(_line(r, f"{ips} public IPv4 addresses of the load balancer", "ipv4.address_hour", ips * p.hours,
                         "address-hour", p))
    return out


def alarm(r: Resource, p: RegionPrices, u: Usage) -> list[Line]:
    """attrs: metrics (a metric-math alarm is charged per metric it reads)."""
    n = int(r.attrs.get("metrics", 1))
    return [_line(r, f"alarm ({n} metric{'s' if n > 1 else ''}, standard resolution)",
                  "cloudwatch.alarm_metric_month", n, "alarm metric", p)]


def composite_alarm(r: Resource, p: RegionPrices, u: Usage) -> list[Line]:
    return [_line(r, "composite alarm", "cloudwatch.composite_alarm_month", 1, "alarm-month", p)]


def dashboard(r: Resource, p: RegionPrices, u: Usage) -> list[Line]:
    return [_line(r, "dashboard", "cloudwatch.dashboard_month", 1, "dashboard-month", p)]


def log_source(name: str) -> str:
    """What writes a log group, from its name: the usage key logs.<source>.gb."""
    if name.endswith("/apache/access"):
        return "apache_access"
    if name.endswith("/apache/error"):
        return "apache_error"
    if name.endswith("/system"):
        return "system"
    if name.startswith("/aws/rds/"):
        return "rds"
    if "flow-log" in name:
        return "flow_logs"
    return "other"


def log_group(r: Resource, p: RegionPrices, u: Usage) -> list[Line]:
    """attrs: log_name, retention_days (None: never expires; stored as 12 months' worth)."""
    source = log_source(str(r.attrs.get("log_name", "")))
    key = f"logs.{source}.gb"
    gb = u.get(key)
    days = r.attrs.get("retention_days")
    months = (int(days) if days else 365) / 30
    stored = gb * months * u.get("logs.stored_fraction")
    meter = "cloudwatch.logs_vended_ingest_gb" if source == "flow_logs" else "cloudwatch.logs_ingest_gb"
    return [_line(r, f"{source} log ingestion", meter, gb, "GB", p, assumption=u.say(key)),
            _line(r, f"{source} log storage ({days or 'no'} days retention)", "cloudwatch.logs_storage_gb_month",
                  stored, "GB-month", p, assumption=u.say(key, "logs.stored_fraction"))]


def vpc_endpoint(r: Resource, p: RegionPrices, u: Usage) -> list[Line]:
    """attrs: type (Gateway: free), subnets (an interface endpoint is charged per AZ)."""
    if str(r.attrs.get("type", "Gateway")).lower() == "gateway":
        return [Line(r.group, r.name, "gateway endpoint (no charge)", "vpc.gateway_endpoint", 1, "endpoint", 0.0)]
    azs = max(1, int(r.attrs.get("subnets", 1)))
    return [_line(r, f"interface endpoint in {azs} AZs", "vpc.interface_endpoint_hour", azs * p.hours, "AZ-hour",
                  p),
            _line(r, "data through the endpoint", "vpc.interface_endpoint_gb", u.get("vpc_endpoint.gb"), "GB", p,
                  assumption=u.say("vpc_endpoint.gb"))]


def cloudfront(r: Resource, p: RegionPrices, u: Usage) -> list[Line]:
    gb, req = "cloudfront.data_out_gb", "cloudfront.requests"
    return [_line(r, "CloudFront data out", "cloudfront.data_out_gb", u.get(gb), "GB", p, assumption=u.say(gb)),
            _line(r, "CloudFront HTTPS requests", "cloudfront.https_10k", u.get(req) / 10_000, "10k requests", p,
                  assumption=u.say(req))]


def waf_acl(r: Resource, p: RegionPrices, u: Usage) -> list[Line]:
    """attrs: rules (each rule and managed rule group is charged)."""
    rules = int(r.attrs.get("rules", 0))
    return [_line(r, "web ACL", "waf.web_acl_month", 1, "ACL-month", p),
            _line(r, f"{rules} rules", "waf.rule_month", rules, "rule-month", p),
            _line(r, "requests inspected", "waf.request_million", u.get("waf.requests") / 1e6, "million requests",
                  p, assumption=u.say("waf.requests"))]


def route53_record(r: Resource, p: RegionPrices, u: Usage) -> list[Line]:
    """attrs: alias (alias queries to a load balancer or CloudFront are free). The hosted zone is the
    operator's (web.hosted_zone_id), not created here."""
    if r.attrs.get("alias", True):
        return [Line(r.group, r.name, "alias record (queries free)", "route53.alias", 1, "record", 0.0)]
    q = u.get("route53.queries")
    return [_line(r, "DNS queries", "route53.query_million", q / 1e6, "million queries", p,
                  assumption=u.say("route53.queries"))]


def sns_topic(r: Resource, p: RegionPrices, u: Usage) -> list[Line]:
    n = u.get("sns.publishes")
    return [_line(r, "topic publishes", "sns.publish_million", n / 1e6, "million publishes", p,
                  assumption=u.say("sns.publishes"))]


def sns_email(r: Resource, p: RegionPrices, u: Usage) -> list[Line]:
    n = u.get("sns.email_notifications")
    return [_line(r, "e-mail notifications", "sns.email_100k", n / 100_000, "100k e-mails", p,
                  assumption=u.say("sns.email_notifications"))]


def kms_key(r: Resource, p: RegionPrices, u: Usage) -> list[Line]:
    n = u.get("kms.requests")
    return [_line(r, "customer managed key", "kms.key_month", 1, "key-month", p),
            _line(r, "key requests", "kms.request_10k", n / 10_000, "10k requests", p,
                  assumption=u.say("kms.requests"))]


def data_transfer(r: Resource, p: RegionPrices, u: Usage) -> list[Line]:
    gb = "data_transfer.internet_out_gb"
    return [_line(r, "data transfer out to the internet", gb, u.get(gb), "GB", p, assumption=u.say(gb))]


PRICERS: dict[str, Pricer] = {
    "ec2_instance": ec2_instance, "rds_instance": rds_instance, "s3_bucket": s3_bucket,
    "dynamodb_table": dynamodb_table, "secret": secret, "alb": alb, "alarm": alarm,
    "composite_alarm": composite_alarm, "dashboard": dashboard, "log_group": log_group,
    "vpc_endpoint": vpc_endpoint, "cloudfront": cloudfront, "waf_acl": waf_acl, "route53_record": route53_record,
    "sns_topic": sns_topic, "sns_email": sns_email, "kms_key": kms_key, "data_transfer": data_transfer,
}


def price(resources: list[Resource], p: RegionPrices, u: Usage) -> list[Line]:
    """Every priced line of `resources` (kinds without a pricer cost nothing themselves)."""
    return [line for r in resources if r.kind in PRICERS for line in PRICERS[r.kind](r, p, u)]
