"""RDS controls (checks/rds.py), against the emulator."""

from __future__ import annotations

import json
from typing import Any

import pytest
from audit_deployment import Deployment, make_env, results

from fuelflow.audit import Status, run_audit
from fuelflow.aws import AwsContext


@pytest.mark.emulator
def test_rds_encrypted(aws: AwsContext) -> None:
    good, bad = Deployment(aws, make_env()), Deployment(aws, make_env())
    good.database()
    bad.database(StorageEncrypted=False)
    assert results(good, "FF-RDS-001")[good.names.db_instance].status is Status.PASSED
    r = results(bad, "FF-RDS-001")[bad.names.db_instance]
    assert r.status is Status.FAILED and r.arn and r.arn.endswith(f":db:{bad.names.db_instance}")


@pytest.mark.emulator
def test_rds_password_in_secrets_manager(aws: AwsContext) -> None:
    good, bad = Deployment(aws, make_env()), Deployment(aws, make_env())
    good.database()
    bad.database(ManageMasterUserPassword=None, MasterUserPassword="not-a-secret-123")
    r = results(good, "FF-RDS-002")[good.names.db_instance]
    assert r.status is Status.PASSED and "Secrets Manager" in r.detail
    r = results(bad, "FF-RDS-002")[bad.names.db_instance]
    assert r.status is Status.FAILED and "ManageMasterUserPassword" in r.detail


@pytest.mark.emulator
def test_rds_not_public(aws: AwsContext) -> None:
    good, bad, silent = (Deployment(aws, make_env()) for _ in range(3))
    good.database()
    bad.database(PubliclyAccessible=True)
    silent.database(PubliclyAccessible=None)
    assert results(good, "FF-RDS-003")[good.names.db_instance].status is Status.PASSED
    assert results(bad, "FF-RDS-003")[bad.names.db_instance].status is Status.FAILED
    # moto reports no PubliclyAccessible at all when it was not given (AWS always reports it): the audit
    # cannot tell, so it says so instead of assuming the default.
    r = results(silent, "FF-RDS-003")[silent.names.db_instance]
    assert r.status is Status.NOT_CHECKED and "PubliclyAccessible" in r.detail


@pytest.mark.emulator
@pytest.mark.parametrize(("tls", "expected", "words"), [
    ("1", Status.PASSED, "require_secure_transport=1"),
    ("0", Status.FAILED, "= 0"),
    (None, Status.FAILED, "default parameter group"),
])
def test_rds_requires_tls(dep: Deployment, tls: str | None, expected: Status, words: str) -> None:
    dep.database(require_tls=tls)
    r = results(dep, "FF-RDS-004")[dep.names.db_instance]
    assert r.status is expected and words in r.detail


@pytest.mark.emulator
@pytest.mark.parametrize(("exports", "expected"), [
    (["error", "general", "slowquery"], Status.PASSED), (["error"], Status.FAILED), (None, Status.FAILED)])
def test_rds_log_exports(dep: Deployment, exports: list[str] | None, expected: Status) -> None:
    dep.database(EnableCloudwatchLogsExports=exports)
    r = results(dep, "FF-RDS-005")[dep.names.db_instance]
    assert r.status is expected
    if exports == ["error"]:
        assert "general, slowquery" in r.detail


@pytest.mark.emulator
@pytest.mark.parametrize(("days", "expected"), [(7, Status.PASSED), (14, Status.PASSED), (3, Status.FAILED),
                                                (0, Status.FAILED)])
def test_rds_automated_backups(dep: Deployment, days: int, expected: Status) -> None:
    dep.database(BackupRetentionPeriod=days)
    assert results(dep, "FF-RDS-006")[dep.names.db_instance].status is expected


@pytest.mark.emulator
def test_rds_deletion_protection_in_prod(aws: AwsContext) -> None:
    good, bad = Deployment(aws, make_env("prod")), Deployment(aws, make_env("prod"))
    good.database()
    bad.database(DeletionProtection=False)
    assert results(good, "FF-RDS-007")[good.names.db_instance].status is Status.PASSED
    assert results(bad, "FF-RDS-007")[bad.names.db_instance].status is Status.FAILED
    dev = Deployment(aws, make_env("dev"))
    dev.database(DeletionProtection=False)
    r = results(dev, "FF-RDS-007")[dev.names.db_instance]
    assert r.status is Status.NOT_APPLICABLE and "tier: production" in r.detail


@pytest.mark.emulator
def test_missing_rds_settings_are_findings_whichever_engine_deployed(aws: AwsContext) -> None:
    """Log exports, the managed password, deletion protection and the TLS parameter group are modelled by
    the embedded emulator for CloudFormation too (fuelflow.moto_fixes): missing, they are findings."""
    dep = Deployment(aws, make_env("prod"))
    dep.database(EnableCloudwatchLogsExports=None, ManageMasterUserPassword=None, MasterUserPassword="x" * 12,
                 DeletionProtection=False, require_tls=None)
    only = ["FF-RDS-002", "FF-RDS-004", "FF-RDS-005", "FF-RDS-007"]
    for engine in ("cloudformation", "terraform"):
        report = run_audit(aws, dep.env, engine, only=only)
        assert [r.status for r in report.results] == [Status.FAILED] * 4, engine


@pytest.mark.emulator
def test_rds_missing_instance_is_a_finding(dep: Deployment) -> None:
    dep.buckets()
    r = results(dep, "FF-RDS-001")[dep.names.db_instance]
    assert r.status is Status.FAILED and "not found" in r.detail


# -- FF-RDS-009: the database secret is not readable outside the account (DECISIONS 17.7)

def _secret_of(dep: Deployment) -> str:
    db = dep.aws.client("rds").describe_db_instances(DBInstanceIdentifier=dep.names.db_instance)["DBInstances"][0]
    return str(db["MasterUserSecret"]["SecretArn"])


@pytest.mark.emulator
@pytest.mark.parametrize(("policy", "expected", "words"), [
    (None, Status.PASSED, "no resource policy"),
    ({"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::{account}:root"}, "Action": "secretsmanager:*",
      "Resource": "*"}, Status.PASSED, "grants nothing outside"),
    ({"Effect": "Allow", "Principal": "*", "Action": "secretsmanager:GetSecretValue", "Resource": "*",
      "Condition": {"StringEquals": {"aws:PrincipalAccount": "{account}"}}}, Status.PASSED, "grants nothing outside"),
    ({"Effect": "Allow", "Principal": "*", "Action": "secretsmanager:GetSecretValue", "Resource": "*"},
     Status.FAILED, "allows * outside account"),
    ({"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::999999999999:root"},
      "Action": "secretsmanager:GetSecretValue", "Resource": "*"}, Status.FAILED, "arn:aws:iam::999999999999:root"),
    # another account's role that merely carries this account's id in its name is still outside
    ({"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::999999999999:role/reader-{account}"},
      "Action": "secretsmanager:GetSecretValue", "Resource": "*"}, Status.FAILED, "role/reader-"),
])
def test_rds_secret_policy(dep: Deployment, policy: dict[str, Any] | None, expected: Status, words: str) -> None:
    dep.database()
    if policy is not None:
        text = json.dumps({"Version": "2012-10-17", "Statement": [policy]}).replace("{account}", dep.names.account)
        dep.aws.client("secretsmanager").put_resource_policy(SecretId=_secret_of(dep), ResourcePolicy=text)
    r = results(dep, "FF-RDS-009")[dep.names.db_instance]
    assert r.status is expected and words in r.detail, r.detail


@pytest.mark.emulator
def test_rds_secret_policy_not_applicable_without_a_managed_secret(dep: Deployment) -> None:
    dep.database(ManageMasterUserPassword=None, MasterUserPassword="not-a-secret-123")
    assert results(dep, "FF-RDS-009")[dep.names.db_instance].status is Status.NOT_APPLICABLE
