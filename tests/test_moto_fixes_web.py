"""Emulator fixes 50-55 (fuelflow.moto_fixes_web): with them, a load balancer, target group, listeners, Auto Scaling
group, scaling policy and certificate declared in a template read back through boto3 as AWS shows them, and go
with their stack. tests/test_moto_without_fixes.py shows plain moto falling short on the same calls."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import boto3
import pytest

from fuelflow.emulator import Emulator, skipped_resource_types
from fuelflow.moto_fixes_web import ASG_METRICS
from test_moto_fixes import AMI, create, delete, unique

pytestmark = pytest.mark.emulator
Client = Callable[[str], Any]


@pytest.fixture(scope="module")
def client(fresh_emulator: Emulator) -> Client:
    def make(service: str) -> Any:
        return boto3.client(service, endpoint_url=fresh_emulator.endpoint_url, region_name="us-east-1",
                            aws_access_key_id="test", aws_secret_access_key="test")

    return make


def _network(client: Client) -> tuple[str, list[str]]:
    ec2 = client("ec2")
    vpc = ec2.create_vpc(CidrBlock="10.60.0.0/16")["Vpc"]["VpcId"]
    return vpc, [ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.60.{i}.0/24", AvailabilityZone=f"us-east-1{z}")
                 ["Subnet"]["SubnetId"] for i, z in ((1, "a"), (2, "b"))]


def _web_tier(client: Client, lb_name: str, tg_name: str, group: str) -> dict[str, Any]:
    vpc, subnets = _network(client)
    cert = client("acm").request_certificate(DomainName="www.example.com", ValidationMethod="DNS")["CertificateArn"]
    return {
        "Lb": {"Type": "AWS::ElasticLoadBalancingV2::LoadBalancer", "Properties": {
            "Name": lb_name, "Type": "application", "Scheme": "internet-facing", "Subnets": subnets,
            "LoadBalancerAttributes": [
                {"Key": "routing.http.drop_invalid_header_fields.enabled", "Value": "true"},
                {"Key": "access_logs.s3.enabled", "Value": "true"},
                {"Key": "access_logs.s3.bucket", "Value": "logs"},
                {"Key": "access_logs.s3.prefix", "Value": "alb/test"},
                {"Key": "deletion_protection.enabled", "Value": "false"}],
            "Tags": [{"Key": "Project", "Value": "fix"}]}},
        "Tg": {"Type": "AWS::ElasticLoadBalancingV2::TargetGroup", "Properties": {
            "Name": tg_name, "VpcId": vpc, "Protocol": "HTTP", "Port": 80, "HealthCheckPath": "/health.html",
            "TargetGroupAttributes": [{"Key": "deregistration_delay.timeout_seconds", "Value": "45"},
                                      {"Key": "stickiness.enabled", "Value": "true"},
                                      {"Key": "stickiness.type", "Value": "lb_cookie"}],
            "Tags": [{"Key": "Project", "Value": "fix"}]}},
        "Https": {"Type": "AWS::ElasticLoadBalancingV2::Listener", "Properties": {
            "LoadBalancerArn": {"Ref": "Lb"}, "Protocol": "HTTPS", "Port": 443,
            "SslPolicy": "ELBSecurityPolicy-TLS13-1-2-2021-06", "Certificates": [{"CertificateArn": cert}],
            "DefaultActions": [{"Type": "forward", "TargetGroupArn": {"Ref": "Tg"}}]}},
        "Lt": {"Type": "AWS::EC2::LaunchTemplate", "Properties": {"LaunchTemplateData": {
            "ImageId": AMI, "InstanceType": "t3.micro"}}},
        "Asg": {"Type": "AWS::AutoScaling::AutoScalingGroup", "Properties": {
            "AutoScalingGroupName": group, "MinSize": "2", "MaxSize": "4", "DesiredCapacity": "2",
            "VPCZoneIdentifier": subnets, "TargetGroupARNs": [{"Ref": "Tg"}], "HealthCheckType": "ELB",
            "MetricsCollection": [{"Granularity": "1Minute"}],
            "LaunchTemplate": {"LaunchTemplateId": {"Ref": "Lt"},
                               "Version": {"Fn::GetAtt": ["Lt", "LatestVersionNumber"]}}}},
        "Policy": {"Type": "AWS::AutoScaling::ScalingPolicy", "Properties": {
            "AutoScalingGroupName": {"Ref": "Asg"}, "PolicyType": "TargetTrackingScaling",
            "EstimatedInstanceWarmup": 300, "TargetTrackingConfiguration": {
                "TargetValue": 60, "PredefinedMetricSpecification": {
                    "PredefinedMetricType": "ASGAverageCPUUtilization"}}}},
        "Cert": {"Type": "AWS::CertificateManager::Certificate", "Properties": {
            "DomainName": "web.example.org", "ValidationMethod": "DNS",
            "Tags": [{"Key": "Project", "Value": "fix"}]}},
    }


def test_web_tier_reads_back_and_goes_with_its_stack(client: Client) -> None:
    lb_name, tg_name, group = unique("fix-alb")[:32], unique("fix-tg")[:32], unique("fix-asg")
    stack, outputs = create(client, _web_tier(client, lb_name, tg_name, group), outputs={
        "LbFull": {"Fn::GetAtt": ["Lb", "LoadBalancerFullName"]},
        "Zone": {"Fn::GetAtt": ["Lb", "CanonicalHostedZoneID"]},
        "TgFull": {"Fn::GetAtt": ["Tg", "TargetGroupFullName"]},
        "Policy": {"Ref": "Policy"}, "Cert": {"Ref": "Cert"}})
    elb = client("elbv2")
    lb = elb.describe_load_balancers(Names=[lb_name])["LoadBalancers"][0]
    tg = elb.describe_target_groups(Names=[tg_name])["TargetGroups"][0]
    # fix 50: the CloudWatch dimension forms and the zone
    assert outputs["LbFull"] == lb["LoadBalancerArn"].split(":loadbalancer/")[1]
    assert outputs["LbFull"].startswith(f"app/{lb_name}/")
    assert outputs["TgFull"] == tg["TargetGroupArn"].split(":", 5)[5] and outputs["TgFull"].startswith("targetgroup/")
    assert outputs["Zone"] == lb["CanonicalHostedZoneId"]
    # fix 51: attributes, type and tags
    lb_attrs = {a["Key"]: a["Value"] for a in elb.describe_load_balancer_attributes(
        LoadBalancerArn=lb["LoadBalancerArn"])["Attributes"]}
    assert {k: lb_attrs[k] for k in ("routing.http.drop_invalid_header_fields.enabled", "access_logs.s3.enabled",
                                     "access_logs.s3.bucket", "access_logs.s3.prefix")} == {
        "routing.http.drop_invalid_header_fields.enabled": "true", "access_logs.s3.enabled": "true",
        "access_logs.s3.bucket": "logs", "access_logs.s3.prefix": "alb/test"}
    tg_attrs = {a["Key"]: a["Value"] for a in elb.describe_target_group_attributes(
        TargetGroupArn=tg["TargetGroupArn"])["Attributes"]}
    assert (tg_attrs["deregistration_delay.timeout_seconds"], tg_attrs["stickiness.enabled"]) == ("45", "true")
    tags = elb.describe_tags(ResourceArns=[lb["LoadBalancerArn"], tg["TargetGroupArn"]])["TagDescriptions"]
    assert all({"Key": "Project", "Value": "fix"} in d["Tags"] for d in tags) and len(tags) == 2
    # fix 53: the target-tracking policy
    policies = client("autoscaling").describe_policies(AutoScalingGroupName=group)["ScalingPolicies"]
    assert [(p["PolicyARN"], p["PolicyType"], p["TargetTrackingConfiguration"]["TargetValue"]) for p in policies] == [
        (outputs["Policy"], "TargetTrackingScaling", 60.0)]
    # fix 54: the certificate
    cert = client("acm").describe_certificate(CertificateArn=outputs["Cert"])["Certificate"]
    assert cert["DomainName"] == "web.example.org"
    # fix 55: group metrics
    described = client("autoscaling").describe_auto_scaling_groups(AutoScalingGroupNames=[group])["AutoScalingGroups"]
    assert {m["Metric"] for m in described[0]["EnabledMetrics"]} == set(ASG_METRICS)
    assert not {"AWS::AutoScaling::ScalingPolicy", "AWS::CertificateManager::Certificate"} & skipped_resource_types()
    # fix 52: everything goes with the stack
    delete(client, stack)
    assert not [t for t in elb.describe_target_groups()["TargetGroups"] if t["TargetGroupName"] == tg_name]
    assert not [b for b in elb.describe_load_balancers()["LoadBalancers"] if b["LoadBalancerName"] == lb_name]
    assert not client("autoscaling").describe_policies(AutoScalingGroupName=group)["ScalingPolicies"]
    assert not [c for c in client("acm").list_certificates()["CertificateSummaryList"]
                if c["CertificateArn"] == outputs["Cert"]]


def test_scaling_policy_reads_back_as_auto_scaling_answers(client: Client) -> None:
    """Fix 56: what the AWS provider compares after an apply (else every plan changes the policy)."""
    group = unique("fix-asg")
    resources = _web_tier(client, unique("fix-alb")[:32], unique("fix-tg")[:32], group)
    stack, _ = create(client, {k: resources[k] for k in ("Lt", "Asg")} | {"Asg": {**resources["Asg"], "Properties": {
        **resources["Asg"]["Properties"], "TargetGroupARNs": []}}})
    asg = client("autoscaling")
    asg.put_scaling_policy(AutoScalingGroupName=group, PolicyName="on", PolicyType="TargetTrackingScaling",
                           TargetTrackingConfiguration={"TargetValue": 50.0, "PredefinedMetricSpecification": {
                               "PredefinedMetricType": "ASGAverageCPUUtilization"}})
    asg.put_scaling_policy(AutoScalingGroupName=group, PolicyName="off", PolicyType="TargetTrackingScaling",
                           Enabled=False, TargetTrackingConfiguration={"TargetValue": 50.0,
                                                                       "PredefinedMetricSpecification": {
                               "PredefinedMetricType": "ASGAverageCPUUtilization"}})
    policies = {p["PolicyName"]: p for p in asg.describe_policies(AutoScalingGroupName=group)["ScalingPolicies"]}
    assert (policies["on"]["Enabled"], policies["off"]["Enabled"]) == (True, False)
    assert not any("PredictiveScalingConfiguration" in p for p in policies.values())
    delete(client, stack)


def test_load_balancer_without_scheme_is_internet_facing(client: Client) -> None:
    """Fix 57: what the AWS provider sends for `internal = false`."""
    _, subnets = _network(client)
    name = unique("fix-alb")[:32]
    client("elbv2").create_load_balancer(Name=name, Subnets=subnets)
    [lb] = client("elbv2").describe_load_balancers(Names=[name])["LoadBalancers"]
    assert lb["Scheme"] == "internet-facing"
