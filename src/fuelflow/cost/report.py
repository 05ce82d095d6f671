"""The estimate as rows for a table, and beside the original document's estimate (--compare-document)."""

from __future__ import annotations

from typing import Any

from fuelflow.cost import Estimate
from fuelflow.cost.model import DocumentLine, document_estimate

# What each meter is, in the words an operator reads in the comparison.
METER_NAMES = {
    "ec2.instance_hour": "EC2 instance hours", "ebs.gb_month": "EBS volumes",
    "ipv4.address_hour": "public IPv4 addresses", "data_transfer.internet_out_gb": "data transfer out",
    "rds.instance_hour": "RDS instance hours", "rds.storage_gb_month": "RDS storage",
    "rds.backup_gb_month": "RDS backup storage beyond the free allowance",
    "s3.standard_gb_month": "S3 storage", "s3.put_1k": "S3 PUT requests", "s3.get_1k": "S3 GET requests",
    "dynamodb.write_million": "DynamoDB writes", "dynamodb.read_million": "DynamoDB reads",
    "dynamodb.storage_gb_month": "DynamoDB storage",
    "secretsmanager.secret_month": "Secrets Manager secrets", "secretsmanager.api_10k": "Secrets Manager API calls",
    "elb.alb_hour": "load balancer hours", "elb.lcu_hour": "load balancer capacity units",
    "cloudwatch.alarm_metric_month": "CloudWatch alarms", "cloudwatch.composite_alarm_month": "composite alarm",
    "cloudwatch.dashboard_month": "CloudWatch dashboard",
    "cloudwatch.logs_ingest_gb": "CloudWatch Logs ingestion (incl. enhanced monitoring)",
    "cloudwatch.logs_vended_ingest_gb": "VPC flow log ingestion",
    "cloudwatch.logs_storage_gb_month": "CloudWatch Logs storage",
    "vpc.gateway_endpoint": "S3 gateway endpoint", "vpc.interface_endpoint_hour": "interface endpoints",
    "vpc.interface_endpoint_gb": "interface endpoint data", "cloudfront.data_out_gb": "CloudFront data out",
    "cloudfront.https_10k": "CloudFront requests", "waf.web_acl_month": "WAF web ACL", "waf.rule_month": "WAF rules",
    "waf.request_million": "WAF requests", "route53.alias": "Route 53 alias records",
    "route53.query_million": "Route 53 queries", "sns.publish_million": "SNS publishes",
    "sns.email_100k": "SNS e-mails", "kms.key_month": "KMS keys", "kms.request_10k": "KMS requests",
}


def usd(value: float) -> str:
    return f"${value:,.2f}"


def price_text(value: float) -> str:
    """A unit price with the digits it has ($0.0104, $0.50)."""
    text = f"{value:,.5f}".rstrip("0")
    return "$" + (text + "0" if len(text.split(".")[1]) < 2 else text)


def _qty(value: float) -> str:
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.3f}".rstrip("0").rstrip(".")


def line_rows(est: Estimate) -> list[list[str]]:
    """group, resource, item, quantity, monthly, assumption; a subtotal after each group, the total last."""
    rows: list[list[str]] = []
    groups = est.by_group()
    for group in sorted(groups):
        for line in [x for x in est.lines if x.group == group]:
            rows.append([group, line.resource, line.item, f"{_qty(line.quantity)} {line.unit}",
                         price_text(line.unit_price), usd(line.monthly), line.assumption or ""])
        rows.append([group, "", f"subtotal {group}", "", "", usd(groups[group]), ""])
    rows.append(["", "", "TOTAL per month", "", "", usd(est.total), ""])
    return rows


def document_for(env: str, tier: str) -> tuple[str, float, list[DocumentLine]] | None:
    """The document's estimate for `env` (or, for another environment, the one of its tier)."""
    doc = document_estimate()
    name = env if env in doc else {"development": "dev", "production": "prod"}.get(tier, "")
    if name not in doc:
        return None
    total, lines = doc[name]
    return name, total, lines


def compare_rows(est: Estimate, tier: str) -> tuple[str, list[list[str]], dict[str, Any]]:
    """The document's lines beside ours (the meters each covers), then what the document left out."""
    found = document_for(est.env, tier)
    meters = est.by_meter()
    if found is None:
        return "", [], {}
    name, doc_total, doc_lines = found
    rows: list[list[str]] = []
    covered: set[str] = set()
    data: dict[str, Any] = {"document_environment": name, "document_total": doc_total, "lines": [],
                            "not_in_document": []}
    for dl in doc_lines:
        ours = sum(meters.get(m, 0.0) for m in dl.covers)
        covered.update(dl.covers)
        rows.append([dl.item, usd(dl.usd), usd(ours), _diff(ours - dl.usd)])
        data["lines"].append({"item": dl.item, "document": dl.usd, "ours": round(ours, 2)})
    for meter, value in sorted(meters.items(), key=lambda kv: -kv[1]):
        if meter in covered or value < 0.005:
            continue
        rows.append([f"not in the document: {METER_NAMES.get(meter, meter)}", "-", usd(value), _diff(value)])
        data["not_in_document"].append({"item": METER_NAMES.get(meter, meter), "meter": meter,
                                        "ours": round(value, 2)})
    rows.append(["TOTAL per month", usd(doc_total), usd(est.total), _diff(est.total - doc_total)])
    data["ours_total"] = round(est.total, 2)
    return name, rows, data


def _diff(value: float) -> str:
    return f"{'+' if value >= 0 else '-'}{usd(abs(value))}"
