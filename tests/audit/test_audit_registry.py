"""The registry: every control is there, described, mapped to the other tools, in its service's module."""

from __future__ import annotations

import re

import pytest

from fuelflow.audit import CONTROLS
from fuelflow.audit.checks import SERVICES

# Every control id, in report order, as registered before audit.py became a package: the split must lose none.
CONTROL_IDS = [
    "FF-S3-001", "FF-S3-002", "FF-S3-003", "FF-S3-004", "FF-S3-005", "FF-S3-006", "FF-S3-007", "FF-S3-008",
    "FF-RDS-001", "FF-RDS-002", "FF-RDS-003", "FF-RDS-004", "FF-RDS-005", "FF-RDS-006", "FF-RDS-007", "FF-RDS-008",
    "FF-RDS-009",
    "FF-SG-001", "FF-SG-002", "FF-SG-003",
    "FF-EC2-001", "FF-EC2-002", "FF-EC2-003", "FF-VPC-001", "FF-VPC-002",
    "FF-ALB-001", "FF-ALB-002", "FF-ALB-003", "FF-ALB-004",
    "FF-IAM-001", "FF-IAM-002", "FF-IAM-003",
    "FF-LOG-001", "FF-LOG-002",
    "FF-MON-001", "FF-MON-002", "FF-MON-003",
    "FF-WAF-001",
    "FF-TF-001", "FF-TF-002", "FF-TF-003", "FF-TF-004", "FF-TF-005",
]
# The checks module each id prefix belongs in (security groups are EC2 API objects).
MODULE_OF = {"S3": "s3", "RDS": "rds", "SG": "ec2", "EC2": "ec2", "VPC": "ec2", "IAM": "iam", "LOG": "logs",
             "MON": "monitoring",
             "WAF": "edge", "TF": "tfstate", "ALB": "alb"}
# The Prowler services a control of each prefix may map to (the lock table is a DynamoDB table).
PROWLER_SERVICES = {"S3": {"s3"}, "RDS": {"rds", "secretsmanager"},
                    "SG": {"ec2"}, "EC2": {"ec2"}, "VPC": {"ec2", "vpc"}, "IAM": {"iam"},
                    "LOG": {"cloudwatch", "vpc"}, "MON": {"cloudwatch", "sns"},
                    "WAF": {"elbv2", "wafv2"}, "TF": {"s3", "dynamodb"}, "ALB": {"elbv2", "ec2"}}


def test_the_registry_holds_exactly_the_controls_in_report_order() -> None:
    assert [c.id for c in CONTROLS] == CONTROL_IDS


def test_each_control_lives_in_its_service_module() -> None:
    for c in CONTROLS:
        prefix = c.id.split("-")[1]
        assert c.check.__module__ == f"fuelflow.audit.checks.{MODULE_OF[prefix]}", c.id
    assert {m.__name__.rpartition(".")[2] for m in SERVICES} == set(MODULE_OF.values())


def test_every_control_names_its_prowler_check_or_none() -> None:
    for c in CONTROLS:
        if c.prowler is None:
            continue
        assert re.fullmatch(r"[a-z0-9]+(_[a-z0-9]+)+", c.prowler), c.id
        assert c.prowler.split("_")[0] in PROWLER_SERVICES[c.id.split("-")[1]], c.id
    assert {c.id for c in CONTROLS if c.prowler is None} == {"FF-RDS-002", "FF-SG-003", "FF-IAM-001",
                                                                        "FF-MON-003", "FF-S3-008"}


def test_every_control_is_described_and_mapped() -> None:
    ids = [c.id for c in CONTROLS]
    assert len(ids) == len(set(ids))
    for c in CONTROLS:
        assert c.id.startswith("FF-") and c.title and c.proves and c.why
        assert c.severity in ("critical", "high", "medium", "low")
        assert all(x.startswith(("CKV_AWS_", "CKV2_AWS_")) for x in c.checkov)


@pytest.mark.parametrize("item", [
    "All S3 buckets block public access", "S3 encryption at rest enabled", "RDS encryption at rest enabled",
    "Database passwords in Secrets Manager", "IAM roles with least privilege",
    "Security groups with minimal required access", "Terraform state encryption enabled",
    "Versioning enabled for critical buckets", "CloudWatch logs export enabled", "Automated backups configured",
    "IMDSv2 required", "no SSH from the internet", "TLS-only bucket policy", "RDS is private", "TLS required",
    "deletion protection", "LockID table", "no * actions on * resources", "only from the web tier",
    "every alarm has alarm and OK actions", "not alias/aws/sns", "composite environment-unhealthy alarm",
    "VPC flow logs", "optional read replica", "AWS WAF web ACL",
    "HTTPS listener with a TLS 1.2+ policy", "ALB access logs", "drop invalid header fields",
    "only from the load balancer's security group",
    # DECISIONS 17 (issue 10)
    "the default security group is closed", "endpoint policy admits the project's three buckets",
    "aws:SourceAccount/aws:SourceArn", "deny the EC2 and Lambda roles every delete",
    "aborting incomplete multipart uploads", "instance profile", "identity policies of this account only",
])
def test_every_promise_has_a_control(item: str) -> None:
    """The architecture checklist and DECISIONS.md section 5, item by item."""
    assert any(item.lower() in c.proves.lower() for c in CONTROLS), item


def test_every_control_an_emulator_fix_names_exists() -> None:
    """A fix's `controls` turn those controls "not checked" when it fails: a wrong id would silently do nothing."""
    from fuelflow import moto_fixes

    named = {c for fix in moto_fixes.FIXES for c in fix.controls}
    assert named <= {c.id for c in CONTROLS}, sorted(named - {c.id for c in CONTROLS})
