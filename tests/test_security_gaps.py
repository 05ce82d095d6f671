"""Issue 10 (DECISIONS 17) facts that must stand in the templates, the modules and the tool alike, and the
deployer's closing of the default security group (the CloudFormation half of FF-VPC-001)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import boto3
import hcl2
import pytest
from cfnlint.decode import cfn_yaml

from fuelflow import names
from fuelflow.emulator import Emulator
from fuelflow.engine import Engine

ROOT = Path(__file__).resolve().parents[1]


def _endpoint_statements() -> dict[str, Any]:
    template = cfn_yaml.load(str(ROOT / "cloudformation" / "network.yaml"))
    document = template["Resources"]["S3GatewayEndpoint"]["Properties"]["PolicyDocument"]
    return {s["Sid"]: s for s in document["Statement"]}


def test_cloudformation_endpoint_reads_exactly_the_aws_owned_buckets_of_the_tool() -> None:
    aws_owned = _endpoint_statements()["AwsOwnedReadOnlyBuckets"]
    assert aws_owned["Action"] == "s3:GetObject" and aws_owned["Principal"] == "*"
    wanted = [f"arn:${{AWS::Partition}}:s3:::{b.format(region='${AWS::Region}')}/*"
              for b in names.AWS_READ_ONLY_BUCKETS]
    assert [r["Fn::Sub"] for r in aws_owned["Resource"]] == wanted


def test_cloudformation_endpoint_admits_only_the_project_buckets_for_this_account() -> None:
    project = _endpoint_statements()["ProjectBuckets"]
    arns = [r["Fn::Sub"] for r in project["Resource"]]
    assert {a.removesuffix("/*") for a in arns} == {
        f"arn:${{AWS::Partition}}:s3:::${{ProjectName}}-{k}-${{Environment}}-${{AWS::AccountId}}-${{AWS::Region}}"
        for k in ("app-data", "logs", "backups")}
    assert project["Condition"] == {"StringEquals": {"aws:PrincipalAccount": {"Ref": "AWS::AccountId"}}}


def test_terraform_endpoint_reads_exactly_the_aws_owned_buckets_of_the_tool() -> None:
    with open(ROOT / "terraform" / "modules" / "network" / "main.tf") as f:
        module = hcl2.load(f)
    found = next(block["aws_read_only_buckets"] for block in module["locals"] if "aws_read_only_buckets" in block)
    assert [s.strip("\"") for s in found] == [b.format(region="${local.region}") for b in names.AWS_READ_ONLY_BUCKETS]


def test_the_tool_names_the_buckets_per_region() -> None:
    n = names.Names("fuel-flow", "dev", "123456789012", "eu-west-1")
    assert "al2023-repos-eu-west-1-de612dc2" in n.aws_read_only_buckets
    assert "eu-west-1-birdwatcher-prod" in n.aws_read_only_buckets


@pytest.mark.emulator
def test_deploy_closes_the_default_security_group(emulator: Emulator) -> None:
    """What `fuelflow deploy` does after the network stack (DECISIONS 17.4): every default rule revoked, once."""
    def client(service: str) -> Any:
        return boto3.client(service, endpoint_url=emulator.endpoint_url, region_name="us-east-1",
                            aws_access_key_id="test", aws_secret_access_key="test")

    ec2 = client("ec2")
    vpc_id = ec2.create_vpc(CidrBlock="10.42.0.0/16")["Vpc"]["VpcId"]
    filters = [{"Name": "vpc-id", "Values": [vpc_id]}, {"Name": "group-name", "Values": ["default"]}]
    (group,) = ec2.describe_security_groups(Filters=filters)["SecurityGroups"]
    opened = len(group["IpPermissions"]) + len(group["IpPermissionsEgress"])
    assert opened, "a new VPC's default group admits its members and lets everything out"
    said: list[str] = []
    engine = Engine(client, said.append)
    assert engine.close_default_security_group(vpc_id, "fuel-flow-network-dev") == opened
    (group,) = ec2.describe_security_groups(Filters=filters)["SecurityGroups"]
    assert group["IpPermissions"] == [] and group["IpPermissionsEgress"] == []
    assert any("closed the default security group" in m for m in said)
    assert engine.close_default_security_group(vpc_id, "fuel-flow-network-dev") == 0  # idempotent
