"""Load balancer controls (checks/alb.py): FF-ALB-001..003 and FF-SG-004, compliant and not, on the emulator.

The load balancer, its listeners and security groups are made through boto3 as the engines make them."""

from __future__ import annotations

from typing import Any

import pytest
from audit_deployment import Deployment, make_env, results, sg_key, tcp

from fuelflow.audit import Status
from fuelflow.aws import AwsContext

pytestmark = pytest.mark.emulator
CERT_ARN = "arn:aws:acm:us-east-1:123456789012:certificate/0123abcd-0123-4567-89ab-0123456789ab"


class Web:
    """A web tier behind a load balancer, compliant unless told otherwise."""

    def __init__(self, dep: Deployment) -> None:
        self.dep = dep
        self.elb = dep.aws.client("elbv2")
        ec2 = dep.ec2
        subnets = [s["SubnetId"] for s in ec2.describe_subnets(Filters=[
            {"Name": "vpc-id", "Values": [dep.vpc_id]}])["Subnets"]][:2]
        self.alb_sg = ec2.create_security_group(GroupName=dep.names.alb_sg, Description="alb",
                                                VpcId=dep.vpc_id)["GroupId"]
        ec2.authorize_security_group_ingress(GroupId=self.alb_sg, IpPermissions=[tcp(443, "0.0.0.0/0"),
                                                                                 tcp(80, "0.0.0.0/0")])
        self.lb = self.elb.create_load_balancer(Name=dep.names.load_balancer, Subnets=subnets,
                                                SecurityGroups=[self.alb_sg])["LoadBalancers"][0]["LoadBalancerArn"]
        self.cert = dep.aws.client("acm").request_certificate(DomainName="www.example.com")["CertificateArn"]
        self.tg = self.elb.create_target_group(Name=dep.names.target_group, Protocol="HTTP", Port=80,
                                               VpcId=dep.vpc_id)["TargetGroups"][0]["TargetGroupArn"]

    def attributes(self, **overrides: str) -> None:
        attrs = {"access_logs.s3.enabled": "true", "access_logs.s3.bucket": self.dep.names.bucket("logs"),
                 "access_logs.s3.prefix": f"alb/{self.dep.env.name}",
                 "routing.http.drop_invalid_header_fields.enabled": "true", **overrides}
        self.elb.modify_load_balancer_attributes(LoadBalancerArn=self.lb, Attributes=[
            {"Key": k, "Value": v} for k, v in attrs.items()])

    def listener(self, protocol: str, port: int, action: dict[str, Any], policy: str | None = None) -> None:
        extra: dict[str, Any] = {"SslPolicy": policy, "Certificates": [{"CertificateArn": self.cert}]} if policy else {}
        self.elb.create_listener(LoadBalancerArn=self.lb, Protocol=protocol, Port=port, DefaultActions=[action],
                                 **extra)

    def forward(self) -> dict[str, Any]:
        return {"Type": "forward", "TargetGroupArn": self.tg}


REDIRECT = {"Type": "redirect", "RedirectConfig": {"Protocol": "HTTPS", "Port": "443", "StatusCode": "HTTP_301"}}


def with_lb(aws: AwsContext, **web: Any) -> Deployment:
    dep = Deployment(aws, make_env("prod", web={"load_balancer": True, **web}))
    dep.log_groups()  # something of the environment exists (the audit refuses an environment not deployed)
    return dep


# ------------------------------------------------------------------------------------------ FF-ALB-001

def test_https_only_passes_with_tls12_policy_and_redirect(aws: AwsContext) -> None:
    web = Web(with_lb(aws, certificate_arn=CERT_ARN))
    web.listener("HTTPS", 443, web.forward(), "ELBSecurityPolicy-TLS13-1-2-2021-06")
    web.listener("HTTP", 80, REDIRECT)
    found = results(web.dep, "FF-ALB-001")[web.dep.names.load_balancer]
    assert found.status is Status.PASSED, found.detail


@pytest.mark.parametrize(("http_action", "policy", "expected"), [
    ("forward", "ELBSecurityPolicy-TLS13-1-2-2021-06", "HTTP:80 serves without TLS"),
    ("redirect", "ELBSecurityPolicy-2016-08", "not TLS 1.2+ only"),
])
def test_https_only_flags_plain_http_or_old_policy(aws: AwsContext, http_action: str, policy: str,
                                                   expected: str) -> None:
    web = Web(with_lb(aws, certificate_arn=CERT_ARN))
    web.listener("HTTPS", 443, web.forward(), policy)
    web.listener("HTTP", 80, web.forward() if http_action == "forward" else REDIRECT)
    found = results(web.dep, "FF-ALB-001")[web.dep.names.load_balancer]
    assert found.status is Status.FAILED and expected in found.detail, found.detail


def test_https_only_flags_a_certificate_without_https_listener(aws: AwsContext) -> None:
    web = Web(with_lb(aws, domain_name="www.example.com", hosted_zone_id="Z0123456789ABC"))
    web.listener("HTTP", 80, web.forward())
    found = results(web.dep, "FF-ALB-001")[web.dep.names.load_balancer]
    assert found.status is Status.FAILED and "no HTTPS listener" in found.detail


def test_https_only_does_not_apply_without_a_certificate_or_load_balancer(aws: AwsContext) -> None:
    web = Web(with_lb(aws))
    web.listener("HTTP", 80, web.forward())
    assert results(web.dep, "FF-ALB-001")[web.dep.names.load_balancer].status is Status.NOT_APPLICABLE
    off = Deployment(aws, make_env())
    off.log_groups()
    assert {r.status for r in results(off, "FF-ALB-001").values()} == {Status.NOT_APPLICABLE}


def test_a_missing_load_balancer_fails(aws: AwsContext) -> None:
    dep = with_lb(aws, certificate_arn=CERT_ARN)
    found = results(dep, "FF-ALB-001")[dep.names.load_balancer]
    assert found.status is Status.FAILED and "not found" in found.detail


# ------------------------------------------------------------------------------------------ FF-ALB-002/003

def test_access_logs_and_header_dropping_pass(aws: AwsContext) -> None:
    web = Web(with_lb(aws))
    web.attributes()
    assert results(web.dep, "FF-ALB-002")[web.dep.names.load_balancer].status is Status.PASSED
    assert results(web.dep, "FF-ALB-003")[web.dep.names.load_balancer].status is Status.PASSED


@pytest.mark.parametrize(("overrides", "expected"), [
    ({"access_logs.s3.enabled": "false"}, "access logs are off"),
    ({"access_logs.s3.prefix": "elsewhere"}, "not s3://"),
])
def test_access_logs_flag(aws: AwsContext, overrides: dict[str, str], expected: str) -> None:
    web = Web(with_lb(aws))
    web.attributes(**overrides)
    found = results(web.dep, "FF-ALB-002")[web.dep.names.load_balancer]
    assert found.status is Status.FAILED and expected in found.detail, found.detail


def test_invalid_headers_kept_fails(aws: AwsContext) -> None:
    web = Web(with_lb(aws))
    web.attributes(**{"routing.http.drop_invalid_header_fields.enabled": "false"})
    assert results(web.dep, "FF-ALB-003")[web.dep.names.load_balancer].status is Status.FAILED


# ------------------------------------------------------------------------------------------ FF-ALB-004

def _web_sg_from(web: Web, *rules: dict[str, Any]) -> None:
    dep = web.dep
    dep.security_groups(web_rules=list(rules) or [
        {"IpProtocol": "tcp", "FromPort": 80, "ToPort": 80, "UserIdGroupPairs": [{"GroupId": web.alb_sg}]}])


def test_instances_only_behind_the_load_balancer_pass(aws: AwsContext) -> None:
    web = Web(with_lb(aws))
    _web_sg_from(web)
    found = sg_key(results(web.dep, "FF-ALB-004"), web.dep.names.web_sg)
    assert found.status is Status.PASSED, found.detail


@pytest.mark.parametrize("rule", [tcp(80, "0.0.0.0/0"), tcp(443, "0.0.0.0/0"), tcp(8080, "::/0")])
def test_an_instance_port_open_to_the_internet_fails(aws: AwsContext, rule: dict[str, Any]) -> None:
    web = Web(with_lb(aws))
    _web_sg_from(web, {"IpProtocol": "tcp", "FromPort": 80, "ToPort": 80,
                       "UserIdGroupPairs": [{"GroupId": web.alb_sg}]}, rule)
    found = sg_key(results(web.dep, "FF-ALB-004"), web.dep.names.web_sg)
    assert found.status is Status.FAILED and "open to the internet" in found.detail


def test_without_a_load_balancer_open_http_is_not_this_controls_business(aws: AwsContext) -> None:
    dep = Deployment(aws, make_env())
    dep.security_groups(web_rules=[tcp(80, "0.0.0.0/0")])
    assert {r.status for r in results(dep, "FF-ALB-004").values()} == {Status.NOT_APPLICABLE}
