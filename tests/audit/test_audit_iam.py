"""IAM controls (checks/iam.py) and policy documents (policy.py)."""

from __future__ import annotations

from typing import Any

import pytest
from audit_deployment import Deployment, policy, results, statuses

from fuelflow import audit
from fuelflow.audit import Status


@pytest.mark.emulator
def test_least_privilege_passes_the_contract_roles(dep: Deployment) -> None:
    dep.roles()
    found = results(dep, "FF-IAM-001")
    assert set(found) == set(dep.names.roles)
    assert set(statuses(found).values()) == {Status.PASSED}


@pytest.mark.emulator
@pytest.mark.parametrize(("change", "words"), [
    ({"ec2_statements": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]}, "whole-service actions s3:*"),
    ({"ec2_statements": [{"Effect": "Allow", "Action": "secretsmanager:GetSecretValue", "Resource": "*"}]},
     "secretsmanager:GetSecretValue on every resource"),
    ({"ec2_statements": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::someone-else/*"}]},
     "beyond the environment's buckets"),
    ({"ec2_statements": [{"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"}]}, "NotAction"),
    ({"ec2_managed": ("arn:aws:iam::aws:policy/AmazonS3FullAccess",)}, "AmazonS3FullAccess grants full access"),
    ({"ec2_trust": policy({"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "sts:AssumeRole"})},
     "trust policy"),
])
def test_least_privilege_flags(dep: Deployment, change: dict[str, Any], words: str) -> None:
    dep.roles(**change)
    found = results(dep, "FF-IAM-001")
    ec2_role = next(iter(dep.names.roles))
    assert found[ec2_role].status is Status.FAILED and words in found[ec2_role].detail
    others = {k: v for k, v in statuses(found).items() if k != ec2_role}
    assert set(others.values()) == {Status.PASSED}


@pytest.mark.emulator
def test_no_star_on_star(dep: Deployment) -> None:
    dep.roles(ec2_statements=[{"Effect": "Allow", "Action": "*", "Resource": "*"}])
    found = results(dep, "FF-IAM-002")
    ec2_role, monitoring, lam = dep.names.roles
    assert found[ec2_role].status is Status.FAILED and "inline policy app" in found[ec2_role].detail
    assert found[monitoring].status is Status.PASSED and found[lam].status is Status.PASSED


@pytest.mark.emulator
def test_no_star_on_star_through_a_managed_policy(dep: Deployment) -> None:
    dep.roles(ec2_managed=("arn:aws:iam::aws:policy/AdministratorAccess",))
    ec2_role = next(iter(dep.names.roles))
    r = results(dep, "FF-IAM-002")[ec2_role]
    assert r.status is Status.FAILED and "AdministratorAccess" in r.detail


@pytest.mark.emulator
def test_roles_without_managed_policies_are_judged_by_their_inline_policies(dep: Deployment) -> None:
    dep.roles(ec2_managed=())
    ec2_role = next(iter(dep.names.roles))
    for engine in ("cloudformation", "terraform"):
        assert results(dep, "FF-IAM-002", engine)[ec2_role].status is Status.PASSED


@pytest.mark.parametrize(("document", "expected"), [
    ({"Statement": []}, {"Statement": []}),
    ('{"Statement": [{"Effect": "Allow"}]}', {"Statement": [{"Effect": "Allow"}]}),
    ("{'Statement': [{'Effect': 'Allow'}]}", {"Statement": [{"Effect": "Allow"}]}),  # moto CloudFormation
])
def test_parse_policy(document: Any, expected: dict[str, Any]) -> None:
    assert audit.parse_policy(document) == expected


@pytest.mark.parametrize("document", ["__import__('os')", "[1, 2]", None, "{not json"])
def test_parse_policy_refuses_what_it_cannot_read(document: Any) -> None:
    with pytest.raises(audit.Unanswerable):
        audit.parse_policy(document)


@pytest.mark.emulator
def test_inline_policy_as_python_literal_is_judged(dep: Deployment, monkeypatch: pytest.MonkeyPatch) -> None:
    """After a CloudFormation deploy, moto returns inline policies as Python literal text, not JSON."""
    dep.roles(ec2_statements=[{"Effect": "Allow", "Action": "*", "Resource": "*"}])
    iam = dep.aws.client("iam")
    real = iam.get_role_policy

    def as_literal(**kwargs: Any) -> Any:
        response = real(**kwargs)
        return {**response, "PolicyDocument": repr(response["PolicyDocument"])}

    monkeypatch.setattr(iam, "get_role_policy", as_literal)
    ec2_role = next(iter(dep.names.roles))
    assert results(dep, "FF-IAM-002")[ec2_role].status is Status.FAILED


@pytest.mark.emulator
def test_missing_role_is_a_finding(dep: Deployment) -> None:
    dep.buckets()
    found = results(dep, "FF-IAM-001")
    assert all(r.status is Status.FAILED and "not found" in r.detail for r in found.values())
