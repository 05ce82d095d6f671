"""The resource names the audit looks for (names.py): docs/contract.md, "Resource names"."""

from __future__ import annotations

from fuelflow.audit import Names


def test_names_follow_the_contract() -> None:
    n = Names("fuel-flow", "dev", "123456789012", "eu-west-1", "aws-cn")
    assert n.buckets["app-data"] == "fuel-flow-app-data-dev-123456789012-eu-west-1"
    assert n.state_bucket == "fuel-flow-tfstate-dev-123456789012-eu-west-1"
    assert n.lock_table == "fuel-flow-tflock-dev"
    assert list(n.roles) == ["fuel-flow-ec2-role-dev", "fuel-flow-rds-monitoring-role-dev", "fuel-flow-lambda-role-dev"]
    assert (n.web_sg, n.db_sg, n.db_instance) == ("fuel-flow-web-sg-dev", "fuel-flow-db-sg-dev", "fuel-flow-db-dev")
    assert all(g.startswith(n.log_group_prefix) for g in n.log_groups)
    assert n.log_groups[0] == "/fuel-flow/dev/apache/access"
    assert n.bucket_arn("b") == "arn:aws-cn:s3:::b"
    assert n.arn("rds", "db:x") == "arn:aws-cn:rds:eu-west-1:123456789012:db:x"
