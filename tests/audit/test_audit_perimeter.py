"""Controls added for issue 10 (DECISIONS 17): the S3 endpoint perimeter, the default security group, the
confused-deputy guard, logs and backups out of the application's reach, multipart cleanup, instance profiles.

Each has a compliant / non-compliant pair against the emulator. moto stores trust and endpoint policies as
given and evaluates none of their conditions: the controls read the documents back, which is what they judge.
"""

from __future__ import annotations

from typing import Any

import pytest
from audit_deployment import Deployment, results, statuses, trust

from fuelflow.audit import Status, control_by_id

pytestmark = pytest.mark.emulator


def only(found: dict[str, Any]) -> Any:
    (result,) = found.values()
    return result


# -- FF-VPC-001: the default security group

def test_default_sg_closed_passes(dep: Deployment) -> None:
    dep.network()
    r = only(results(dep, "FF-VPC-001"))
    assert r.status is Status.PASSED and "has no rules" in r.detail


def test_default_sg_with_rules_fails(dep: Deployment) -> None:
    vpc_id = dep.network(close_default_sg=False)
    r = only(results(dep, "FF-VPC-001", "cloudformation"))
    assert r.status is Status.FAILED and vpc_id in r.detail and "still has rules" in r.detail


def test_default_sg_without_the_environment_vpc_fails(dep: Deployment) -> None:
    dep.security_groups()  # in the emulator's default VPC, which is not the environment's
    r = only(results(dep, "FF-VPC-001"))
    assert r.status is Status.FAILED and r.resource == "VPC" and "VPC not found" in r.detail


# -- FF-VPC-002: the S3 gateway endpoint policy

def test_endpoint_policy_of_both_engines_passes(dep: Deployment) -> None:
    vpc_id = dep.network()
    r = results(dep, "FF-VPC-002")[vpc_id]
    assert r.status is Status.PASSED, r.detail


@pytest.mark.parametrize(("endpoint", "words"), [
    (False, ": * on every bucket"),  # the default policy: anyone, anything, anywhere (AWS and moto alike)
    ({"Statement": [{"Effect": "Allow", "Principal": "*", "Action": "s3:PutObject",
                     "Resource": "arn:aws:s3:::attacker-drop/*"}]}, "s3:PutObject on arn:aws:s3:::attacker-drop/*"),
    ({"Statement": [{"Effect": "Allow", "Principal": "*", "Action": "s3:PutObject",
                     "Resource": "arn:aws:s3:::al2023-repos-us-east-1-de612dc2/*"}]}, "s3:PutObject on AWS-owned"),
    ({"Statement": [{"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject",
                     "NotResource": "arn:aws:s3:::x/*"}]}, "NotResource"),
])
def test_endpoint_policy_that_lets_data_out_fails(dep: Deployment, endpoint: Any, words: str) -> None:
    vpc_id = dep.network(endpoint=endpoint)
    r = results(dep, "FF-VPC-002")[vpc_id]
    assert r.status is Status.FAILED and words in r.detail, r.detail


def test_missing_endpoint_fails(dep: Deployment) -> None:
    vpc_id = dep.network(endpoint=None)
    r = results(dep, "FF-VPC-002")[vpc_id]
    assert r.status is Status.FAILED and "no S3 gateway endpoint" in r.detail


# -- FF-IAM-003: confused deputy

def test_confused_deputy_guard_passes_and_ec2_is_not_applicable(dep: Deployment) -> None:
    dep.roles()
    found = results(dep, "FF-IAM-003")
    ec2, monitoring, lam = dep.names.roles
    assert found[ec2].status is Status.NOT_APPLICABLE and "instance profile" in found[ec2].detail
    assert found[monitoring].status is Status.PASSED and found[lam].status is Status.PASSED
    assert "aws:SourceAccount" in found[lam].detail


@pytest.mark.parametrize("condition", [None, {"StringEquals": {"aws:SourceAccount": "999999999999"}},
                                       {"ArnLike": {"aws:SourceArn": "arn:aws:lambda:*:*:function:*"}}])
def test_lambda_role_without_a_guard_for_this_account_fails(dep: Deployment, condition: Any) -> None:
    dep.roles(lambda_trust=trust("lambda.amazonaws.com", condition))
    lam = dep.names.role("lambda")
    r = results(dep, "FF-IAM-003")[lam]
    assert r.status is Status.FAILED and "may assume it for any account" in r.detail


def test_source_arn_of_this_account_is_a_guard(dep: Deployment) -> None:
    arn = f"arn:aws:rds:us-east-1:{dep.names.account}:db:*"
    dep.roles(monitoring_trust=trust("monitoring.rds.amazonaws.com", {"ArnLike": {"aws:SourceArn": arn}}))
    assert results(dep, "FF-IAM-003")[dep.names.role("rds_monitoring")].status is Status.PASSED


# -- FF-S3-007: incomplete multipart uploads

def test_every_bucket_aborting_multipart_uploads_passes(dep: Deployment) -> None:
    dep.buckets()
    assert set(statuses(results(dep, "FF-S3-007")).values()) == {Status.PASSED}


def test_app_data_without_the_abort_rule_fails(dep: Deployment) -> None:
    dep.buckets(**{"app-data": {"abort_multipart": False}})
    found = results(dep, "FF-S3-007")
    app = dep.names.buckets["app-data"]
    assert found[app].status is Status.FAILED and "aborts incomplete multipart uploads" in found[app].detail
    assert {k: v for k, v in statuses(found).items() if k != app} == dict.fromkeys(
        [dep.names.buckets["logs"], dep.names.buckets["backups"]], Status.PASSED)


# -- FF-S3-008: the application cannot delete logs or backups

def test_logs_and_backups_out_of_the_application_reach_pass(dep: Deployment) -> None:
    dep.buckets()
    dep.roles()
    found = results(dep, "FF-S3-008")
    assert set(found) == {dep.names.buckets["logs"], dep.names.buckets["backups"]}
    assert set(statuses(found).values()) == {Status.PASSED}


def test_without_the_bucket_deny_fails(dep: Deployment) -> None:
    dep.buckets(logs={"extra_statements": []})
    dep.roles()
    found = results(dep, "FF-S3-008")
    logs = dep.names.buckets["logs"]
    assert found[logs].status is Status.FAILED and "does not deny the application roles" in found[logs].detail
    assert "overwriting access-logs/" in found[logs].detail
    assert found[dep.names.buckets["backups"]].status is Status.PASSED


def test_a_deny_for_the_ec2_role_only_fails(dep: Deployment) -> None:
    only_ec2 = (dep.names.role("ec2"),)
    dep.buckets(backups={"extra_statements": dep.application_denies("backups", roles=only_ec2)})
    dep.roles()
    r = results(dep, "FF-S3-008")[dep.names.buckets["backups"]]
    assert r.status is Status.FAILED and "DeleteObject" in r.detail


def test_a_role_granted_delete_on_backups_fails(dep: Deployment) -> None:
    backups = dep.names.bucket_arn(dep.names.buckets["backups"])
    dep.buckets()
    dep.roles(ec2_statements=[{"Effect": "Allow", "Action": "s3:DeleteObject", "Resource": f"{backups}/*"}])
    r = results(dep, "FF-S3-008")[dep.names.buckets["backups"]]
    assert r.status is Status.FAILED and "allows s3:DeleteObject" in r.detail and "ec2-role" in r.detail


# -- FF-EC2-003: instance profile

def test_instance_with_the_project_profile_passes(dep: Deployment) -> None:
    dep.roles()
    instance = dep.instance()
    r = results(dep, "FF-EC2-003")[instance]
    assert r.status is Status.PASSED and dep.names.instance_profile in r.detail


def test_instance_without_a_profile_fails(dep: Deployment) -> None:
    instance = dep.instance(profile=False)
    r = results(dep, "FF-EC2-003")[instance]
    assert r.status is Status.FAILED and "without an instance profile" in r.detail


def test_instance_with_another_profile_fails(dep: Deployment) -> None:
    other = dep.instance_profile(name=f"{dep.names.project}-other-profile", role=f"{dep.names.project}-other-role")
    instance = dep.instance(profile=other)
    r = results(dep, "FF-EC2-003")[instance]
    assert r.status is Status.FAILED and f"{other}, not {dep.names.instance_profile}" in r.detail


def test_the_project_profile_holding_another_role_fails(dep: Deployment) -> None:
    dep.instance_profile(role=f"{dep.names.project}-other-role")
    instance = dep.instance()
    r = results(dep, "FF-EC2-003")[instance]
    assert r.status is Status.FAILED and "other-role" in r.detail


# -- metadata

@pytest.mark.parametrize(("control_id", "prowler"), [
    ("FF-VPC-001", "ec2_securitygroup_default_restrict_traffic"),
    ("FF-VPC-002", "vpc_endpoint_connections_trust_boundaries"),
    ("FF-IAM-003", "iam_role_cross_service_confused_deputy_prevention"),
    ("FF-EC2-003", "ec2_instance_profile_attached"),
    ("FF-S3-007", "s3_bucket_lifecycle_enabled"), ("FF-S3-008", None),
    ("FF-RDS-009", "secretsmanager_not_publicly_accessible"),
])
def test_new_controls_carry_their_tool_ids(control_id: str, prowler: str | None) -> None:
    c = control_by_id(control_id)
    assert c.prowler == prowler and c.severity in ("high", "medium", "low") and "DECISIONS 17" in c.proves


