"""The web tier behind a load balancer (web.load_balancer), both engines.

* template level: which CloudFormation resources each setting creates (fuelflow.cfn_eval, no AWS), and the
  ELB log-delivery table written once per engine;
* parity with a certificate (HTTPS + redirect, or a requested certificate): both engines describe the same
  listeners (prod itself has no certificate, tests/test_parity.py covers it);
* on the emulator: an environment with the load balancer on and a certificate ARN (a copy of prod) deployed by
  CloudFormation and by Terraform, read back with boto3 through tests/prod_checks/web.py and a few more reads.

The Terraform module's switch (each setting on/off changes the resource set) is proved by `terraform test` with
the mock provider: terraform/modules/ec2/tests/ec2.tftest.hcl (run by tests/test_terraform_static.py).
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import hcl2
import pytest
import yaml
from cfnlint.decode import decode

from cli_process import run_captured
from env_copy import project_with
from fuelflow import parity
from fuelflow.aws import AwsContext, Target, connect
from fuelflow.cfn_eval import evaluate_project
from fuelflow.config import Environment, load_environment
from fuelflow.emulator import Emulator
from prod_checks import web as web_checks
from test_terraform_e2e import MISSING

ROOT = Path(__file__).resolve().parents[1]
ACCOUNT = "111122223333"
CERT = f"arn:aws:acm:us-east-1:{ACCOUNT}:certificate/0123abcd-0123-4567-89ab-0123456789ab"
LB_TYPES = {"AWS::ElasticLoadBalancingV2::LoadBalancer", "AWS::ElasticLoadBalancingV2::TargetGroup",
            "AWS::AutoScaling::AutoScalingGroup", "AWS::AutoScaling::ScalingPolicy"}


def _ec2_resources(tmp_path: Path, changes: dict[str, Any], name: str = "dev") -> dict[str, Any]:
    """The web tier's resources: the ec2 stack's, and its security groups (the network stack's)."""
    project = project_with(tmp_path / "p", changes, name)
    env = load_environment(project, name)
    return {r.key.split("#", 1)[1]: r for r in evaluate_project(project, env, ACCOUNT).resources()
            if r.key.startswith("cloudformation/ec2-instances.yaml#")
            or (r.key.startswith("cloudformation/network.yaml#") and r.type.startswith("AWS::EC2::SecurityGroup"))}


# ------------------------------------------------------------------------------------------ template level

def test_switch_off_is_todays_static_web_tier(tmp_path: Path) -> None:
    res = _ec2_resources(tmp_path, {"ec2.instance_count": 2})
    assert {r.type for r in res.values()} & LB_TYPES == set()
    assert {k for k, r in res.items() if r.type == "AWS::EC2::Instance"} == {"Instance1", "Instance2"}
    [http] = res["WebSecurityGroup"].properties["SecurityGroupIngress"]
    assert (http["FromPort"], http["CidrIp"]) == (80, "0.0.0.0/0")  # HTTP only; 443 is gone


def test_switch_on_replaces_the_instances_by_alb_and_asg(tmp_path: Path) -> None:
    res = _ec2_resources(tmp_path, {"web.load_balancer": True, "ec2.instance_count": 3}, "prod")
    types = {r.type for r in res.values()}
    assert types >= LB_TYPES and "AWS::EC2::Instance" not in types and "AWS::CloudWatch::Alarm" not in types
    listeners = {k: r.properties for k, r in res.items() if r.type == "AWS::ElasticLoadBalancingV2::Listener"}
    assert list(listeners) == ["HttpListener"] and listeners["HttpListener"]["Protocol"] == "HTTP"
    assert "Certificate" not in res
    [http] = res["WebSecurityGroup"].properties["SecurityGroupIngress"]
    assert "CidrIp" not in http and http["FromPort"] == 80  # from the load balancer's group only
    asg = res["WebAutoScalingGroup"].properties
    assert (asg["MinSize"], asg["DesiredCapacity"], asg["MaxSize"], asg["HealthCheckType"]) == ("2", "2", "4", "ELB")
    lb_attrs = {a["Key"]: a["Value"] for a in res["ApplicationLoadBalancer"].properties["LoadBalancerAttributes"]}
    assert lb_attrs["deletion_protection.enabled"] == "true"  # prod: rds.deletion_protection


def test_certificate_arn_means_https_and_redirect(tmp_path: Path) -> None:
    res = _ec2_resources(tmp_path, {"web.load_balancer": True, "web.certificate_arn": CERT})
    listeners = {k for k, r in res.items() if r.type == "AWS::ElasticLoadBalancingV2::Listener"}
    assert listeners == {"HttpsListener", "HttpRedirectListener"} and "Certificate" not in res
    https = res["HttpsListener"].properties
    assert https["SslPolicy"] == "ELBSecurityPolicy-TLS13-1-2-2021-06" and https["Certificates"] == [
        {"CertificateArn": CERT}]
    assert res["HttpRedirectListener"].properties["DefaultActions"][0]["RedirectConfig"]["Protocol"] == "HTTPS"


def test_domain_name_requests_a_dns_validated_certificate(tmp_path: Path) -> None:
    res = _ec2_resources(tmp_path, {"web.load_balancer": True, "web.domain_name": "www.example.com",
                                    "web.hosted_zone_id": "Z0123456789ABC"})
    cert = res["Certificate"].properties
    assert (cert["DomainName"], cert["ValidationMethod"], cert["DomainValidationOptions"]) == (
        "www.example.com", "DNS", [{"DomainName": "www.example.com", "HostedZoneId": "Z0123456789ABC"}])
    assert {"HttpsListener", "HttpRedirectListener"} <= set(res) and "HttpListener" not in res


def test_rolling_update_maps_the_healthy_percentage() -> None:
    data, _ = decode(str(ROOT / "cloudformation" / "ec2-instances.yaml"))
    assert data is not None
    policy = data["Resources"]["WebAutoScalingGroup"]["UpdatePolicy"]["AutoScalingRollingUpdate"]
    assert policy["MaxBatchSize"] == 1
    assert policy["MinInstancesInService"] == {"Fn::If": [
        "KeepFullCapacityOnUpdate", {"Ref": "WebDesiredCapacity"},
        {"Fn::If": ["WebMinSizeBelowMax", {"Ref": "WebMinSize"}, 0]}]}


def test_elb_log_delivery_accounts_are_the_same_in_both_engines() -> None:
    data, _ = decode(str(ROOT / "cloudformation" / "s3-buckets.yaml"))
    assert data is not None
    cfn = {region: row["AccountId"] for region, row in data["Mappings"]["ElbLogDeliveryAccount"].items()}
    with (ROOT / "terraform" / "modules" / "s3" / "main.tf").open() as handle:
        blocks = hcl2.load(handle)["locals"]
    tf = {k.strip('"'): str(v).strip('"') for b in blocks if "elb_log_delivery_accounts" in b
          for k, v in b["elb_log_delivery_accounts"].items()}
    assert cfn == tf and cfn["us-east-1"] == "127311923021" and len(cfn) >= 20
    conditions = json.dumps(data["Conditions"])
    assert all(f'"{region}"' in conditions for region in cfn), "every mapped region is in the condition"


# ------------------------------------------------------------------------------------------ parity

@pytest.mark.terraform
@pytest.mark.parametrize("changes", [
    {"web.certificate_arn": CERT, "web.stickiness": True, "web.min_healthy_percentage": 100},
    {"web.domain_name": "www.example.com", "web.hosted_zone_id": "Z0123456789ABC"},
], ids=["certificate-arn", "requested-certificate"])
def test_engines_agree_with_a_certificate(tmp_path: Path, changes: dict[str, Any]) -> None:
    if parity.terraform_available() is not None:
        pytest.skip(f"SKIPPED (terraform): {parity.terraform_available()}")
    project = tmp_path / "p"
    project_with(project, changes, "prod")
    for link in ("cloudformation", "terraform"):  # parity copies terraform/; real directories, not links
        (project / link).unlink()
        shutil.copytree(ROOT / link, project / link, ignore=shutil.ignore_patterns(".terraform", "*.tfstate*", "tests"))
    diffs = parity.compare(project, "prod")
    assert not diffs, "\n".join(map(str, diffs))
    model = parity.cloudformation_model(project, "prod").values
    assert model["web.listeners.443.ssl_policy"] == "ELBSecurityPolicy-TLS13-1-2-2021-06"
    assert model["web.listeners.80.action"].startswith("redirect HTTPS 443")


# ------------------------------------------------------------------------------------------ emulator

def _prod_with_certificate(tmp_path: Path, url: str) -> tuple[Path, Environment]:
    acm = boto3.client("acm", endpoint_url=url, region_name="us-east-1", aws_access_key_id="test",
                       aws_secret_access_key="test")
    arn = acm.request_certificate(DomainName="www.example.com", ValidationMethod="DNS")["CertificateArn"]
    project = project_with(tmp_path / "prod-cert", {"web.certificate_arn": arn, "web.cpu_target": 55}, "prod")
    env = load_environment(project, "prod")
    assert env.web.load_balancer and env.web.certificate_arn == arn
    return project, env


def _read_back(aws: AwsContext, env: Environment) -> None:
    for name in sorted(vars(web_checks)):
        if name.startswith("check_"):
            getattr(web_checks, name)(aws, env)


@pytest.fixture(scope="module")
def cfn_prod(fresh_emulator: Emulator, tmp_path_factory: pytest.TempPathFactory) -> Iterator[
        tuple[AwsContext, Environment]]:
    url = fresh_emulator.endpoint_url
    project, env = _prod_with_certificate(tmp_path_factory.mktemp("web"), url)
    code, _, err = run_captured("-C", str(project), "deploy", "--env", "prod", "--yes", "--endpoint-url", url)
    assert code == 0, err[-4000:]
    yield connect(Target(kind="local", endpoint_url=url), env.region), env
    fresh_emulator.reset()


@pytest.mark.emulator
def test_cloudformation_web_tier_reads_back(cfn_prod: tuple[AwsContext, Environment]) -> None:
    aws, env = cfn_prod
    _read_back(aws, env)
    outputs = {o["OutputKey"]: o["OutputValue"] for o in aws.client("cloudformation").describe_stacks(
        StackName="fuel-flow-ec2-prod")["Stacks"][0]["Outputs"]}
    lb = aws.client("elbv2").describe_load_balancers(Names=[env.names.load_balancer])["LoadBalancers"][0]
    assert outputs["LoadBalancerFullName"] == lb["LoadBalancerArn"].split(":loadbalancer/")[1]
    assert outputs["TargetGroupFullName"].startswith(f"targetgroup/{env.names.target_group}/")
    assert outputs["AutoScalingGroupName"] == env.names.asg
    assert not any(k.startswith("Instance") for k in outputs)
    policy = json.loads(aws.client("s3").get_bucket_policy(
        Bucket=f"{env.project}-logs-prod-123456789012-us-east-1")["Policy"])
    alb = next(s for s in policy["Statement"] if s["Sid"] == "AllowAlbAccessLogs")
    assert alb["Principal"] == {"AWS": "arn:aws:iam::127311923021:root"}  # us-east-1: the ELB account
    assert alb["Resource"].endswith("/alb/prod/AWSLogs/123456789012/*")


@pytest.mark.emulator
def test_cloudformation_web_tier_passes_the_alb_controls(cfn_prod: tuple[AwsContext, Environment]) -> None:
    from fuelflow.audit import Status, run_audit

    aws, env = cfn_prod
    report = run_audit(aws, env, "cloudformation", only=["FF-ALB-001", "FF-ALB-002", "FF-ALB-003", "FF-ALB-004"])
    assert {(r.control_id, r.status) for r in report.results} == {
        (c, Status.PASSED) for c in ("FF-ALB-001", "FF-ALB-002", "FF-ALB-003", "FF-ALB-004")}, report.results


@pytest.mark.terraform
@pytest.mark.emulator
@pytest.mark.terraform
@pytest.mark.skipif(MISSING is not None, reason=f"Terraform end-to-end tests need: {MISSING}")
def test_terraform_web_tier_applies_reads_back_and_plans_clean(fresh_emulator: Emulator, tmp_path: Path) -> None:
    fresh_emulator.reset()  # the CloudFormation prod of this module (cfn_prod) kept its buckets, as destroy does
    url = fresh_emulator.endpoint_url
    project, env = _prod_with_certificate(tmp_path, url)
    try:
        code, _, err = run_captured("-C", str(project), "tf", "bootstrap", "--env", "prod", "--endpoint-url", url)
        assert code == 0, err[-4000:]
        code, _, err = run_captured("-C", str(project), "deploy", "--env", "prod", "--engine", "terraform", "--yes",
                                    "--endpoint-url", url)
        assert code == 0, err[-4000:]
        aws = connect(Target(kind="local", endpoint_url=url), env.region)
        _read_back(aws, env)
        code, out, err = run_captured("-C", str(project), "tf", "plan", "--env", "prod", "--endpoint-url", url,
                                      "-o", "json")
        assert code == 0, err[-3000:]
        plan = json.loads(out)
        assert plan["changes"] is False and not any(plan[k] for k in ("create", "update", "replace", "delete")), out
    finally:
        fresh_emulator.reset()


def test_environment_files_switch_the_load_balancer_as_the_issue_asks() -> None:
    docs = {n: yaml.safe_load((ROOT / "environments" / f"{n}.yaml").read_text()) for n in ("dev", "prod")}
    assert docs["dev"]["web"]["load_balancer"] is False and docs["prod"]["web"]["load_balancer"] is True
    assert [docs["prod"]["web"][k] for k in ("min_size", "desired_capacity", "max_size")] == [2, 2, 4]
