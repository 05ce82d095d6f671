"""The production profile's network, database and edge controls (FF-LOG-002, FF-RDS-008, FF-WAF-001), against the
emulator: compliant and non-compliant resources built through boto3, and the switch off (not applicable)."""

from __future__ import annotations

from typing import Any

import pytest
from audit_deployment import Deployment, make_env, results

from fuelflow.audit import Status
from fuelflow.aws import AwsContext

pytestmark = pytest.mark.emulator


def vpc_with_flow_log(dep: Deployment, *, traffic: str | None = "ALL", retention: int = 30) -> None:
    ec2, logs = dep.ec2, dep.aws.client("logs")
    vpc = ec2.create_vpc(CidrBlock="10.10.0.0/16", TagSpecifications=[{"ResourceType": "vpc", "Tags": [
        {"Key": "Name", "Value": f"{dep.names.project}-vpc-{dep.names.env}"}]}])["Vpc"]["VpcId"]
    group = dep.names.flow_log_group
    logs.create_log_group(logGroupName=group)
    logs.put_retention_policy(logGroupName=group, retentionInDays=retention)
    if traffic is not None:
        ec2.create_flow_logs(ResourceIds=[vpc], ResourceType="VPC", TrafficType=traffic, LogGroupName=group,
                             LogDestinationType="cloud-watch-logs",
                             DeliverLogsPermissionArn=f"arn:aws:iam::123456789012:role/{dep.names.flow_logs_role}")


def test_flow_logs_on_when_switched_on(aws: AwsContext) -> None:
    good, bad, wrong, kept = (Deployment(aws, make_env(network={"flow_logs": True})) for _ in range(4))
    vpc_with_flow_log(good)
    vpc_with_flow_log(bad, traffic=None)
    vpc_with_flow_log(wrong, traffic="REJECT")
    vpc_with_flow_log(kept, retention=7)
    vpc = f"{good.names.project}-vpc-{good.names.env}"
    r = results(good, "FF-LOG-002")[vpc]
    assert r.status is Status.PASSED and "ALL traffic" in r.detail
    r = results(bad, "FF-LOG-002")[f"{bad.names.project}-vpc-{bad.names.env}"]
    assert r.status is Status.FAILED and "no flow log" in r.detail
    r = results(wrong, "FF-LOG-002")[f"{wrong.names.project}-vpc-{wrong.names.env}"]
    assert r.status is Status.FAILED and "REJECT" in r.detail
    r = results(kept, "FF-LOG-002")[f"{kept.names.project}-vpc-{kept.names.env}"]
    assert r.status is Status.FAILED and "7 days" in r.detail


def test_flow_logs_not_applicable_when_switched_off(aws: AwsContext) -> None:
    off = Deployment(aws, make_env(network={"flow_logs": False}))
    off.log_groups()  # something of the environment is deployed
    (r,) = results(off, "FF-LOG-002").values()
    assert r.status is Status.NOT_APPLICABLE


def test_read_replica_encrypted_and_private(aws: AwsContext) -> None:
    good, plain, missing = (Deployment(aws, make_env(rds={"read_replica": True})) for _ in range(3))
    for dep in (good, plain, missing):
        dep.database()
    good.rds.create_db_instance_read_replica(DBInstanceIdentifier=good.names.db_replica,
                                             SourceDBInstanceIdentifier=good.names.db_instance)
    plain.rds.create_db_instance_read_replica(DBInstanceIdentifier=plain.names.db_replica,
                                              SourceDBInstanceIdentifier=plain.names.db_instance,
                                              PubliclyAccessible=True)
    assert results(good, "FF-RDS-008")[good.names.db_replica].status is Status.PASSED
    r = results(plain, "FF-RDS-008")[plain.names.db_replica]
    assert r.status is Status.FAILED and "publicly accessible" in r.detail
    r = results(missing, "FF-RDS-008")[missing.names.db_replica]
    assert r.status is Status.FAILED and "not found" in r.detail
    off = Deployment(aws, make_env())
    off.database()
    assert results(off, "FF-RDS-008")[off.names.db_replica].status is Status.NOT_APPLICABLE


def load_balancer(dep: Deployment) -> str:
    ec2 = dep.ec2
    vpc = ec2.create_vpc(CidrBlock="10.20.0.0/16")["Vpc"]["VpcId"]
    subnets = [ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.20.{i}.0/24", AvailabilityZone=f"us-east-1{z}")
               ["Subnet"]["SubnetId"] for i, z in ((0, "a"), (1, "b"))]
    return str(dep.aws.client("elbv2").create_load_balancer(
        Name=dep.names.build("load_balancer"), Subnets=subnets)["LoadBalancers"][0]["LoadBalancerArn"])


def web_acl(dep: Deployment, *, rules: bool = True) -> str:
    visibility = {"SampledRequestsEnabled": True, "CloudWatchMetricsEnabled": True, "MetricName": "m"}
    listed: list[dict[str, Any]] = [
        {"Name": g, "Priority": i, "OverrideAction": {"None": {}}, "VisibilityConfig": visibility,
         "Statement": {"ManagedRuleGroupStatement": {"VendorName": "AWS", "Name": g}}}
        for i, g in enumerate(("AWSManagedRulesCommonRuleSet", "AWSManagedRulesKnownBadInputsRuleSet"))]
    listed.append({"Name": "rate-limit", "Priority": 30, "Action": {"Block": {}}, "VisibilityConfig": visibility,
                   "Statement": {"RateBasedStatement": {"Limit": 2000, "AggregateKeyType": "IP"}}})
    return str(dep.aws.client("wafv2").create_web_acl(
        Name=dep.names.web_acl, Scope="REGIONAL", DefaultAction={"Allow": {}}, VisibilityConfig=visibility,
        Rules=listed if rules else [])["Summary"]["ARN"])


def test_waf_attached_when_switched_on(aws: AwsContext) -> None:
    edge = {"waf": True}
    web = {"load_balancer": True}
    good, loose, empty = (Deployment(aws, make_env(edge=edge, web=web)) for _ in range(3))
    for dep, rules, attach in ((good, True, True), (loose, True, False), (empty, False, True)):
        dep.log_groups()  # something the audit recognises as the environment
        lb, acl = load_balancer(dep), web_acl(dep, rules=rules)
        if attach:
            dep.aws.client("wafv2").associate_web_acl(WebACLArn=acl, ResourceArn=lb)
    lb_name = good.names.build("load_balancer")
    r = results(good, "FF-WAF-001")[lb_name]
    assert r.status is Status.PASSED and "rate limit 2000" in r.detail
    r = results(loose, "FF-WAF-001")[loose.names.build("load_balancer")]
    assert r.status is Status.FAILED and "no WAF web ACL" in r.detail
    r = results(empty, "FF-WAF-001")[empty.names.build("load_balancer")]
    assert r.status is Status.FAILED and "AWSManagedRulesCommonRuleSet" in r.detail
    off = Deployment(aws, make_env())
    off.log_groups()
    assert results(off, "FF-WAF-001")[off.names.build("load_balancer")].status is Status.NOT_APPLICABLE
