"""S3 controls (checks/s3.py), against the emulator: a compliant and a non-compliant bucket each.

Where moto cannot express a state, the test asserts "not checked" and says why.
"""

from __future__ import annotations

from typing import Any

import pytest
from audit_deployment import Deployment, results, statuses

from fuelflow.audit import Status, run_audit


@pytest.mark.emulator
def test_s3_public_access_block(dep: Deployment) -> None:
    n = dep.names.buckets
    dep.buckets(logs={"pab": {"BlockPublicPolicy": False}}, backups={"pab": None})
    found = results(dep, "FF-S3-001")
    assert found[n["app-data"]].status is Status.PASSED
    assert found[n["logs"]].status is Status.FAILED and "BlockPublicPolicy" in found[n["logs"]].detail
    assert found[n["backups"]].status is Status.FAILED and "no public access block" in found[n["backups"]].detail
    assert found[n["app-data"]].arn == f"arn:aws:s3:::{n['app-data']}"


@pytest.mark.emulator
def test_s3_missing_bucket_is_a_finding(dep: Deployment) -> None:
    n = dep.names.buckets
    dep.bucket(n["app-data"])
    found = results(dep, "FF-S3-001")
    assert found[n["logs"]].status is Status.FAILED and found[n["logs"]].detail == "bucket not found"


@pytest.mark.emulator
def test_s3_encryption(dep: Deployment) -> None:
    # On AWS every bucket has had SSE-S3 by default since 2023, so only the emulator can express the
    # non-compliant state; the check still has to flag it.
    n = dep.names.buckets
    dep.buckets(backups={"encryption": False})
    found = results(dep, "FF-S3-002")
    assert found[n["app-data"]].status is Status.PASSED and "AES256" in found[n["app-data"]].detail
    assert found[n["backups"]].status is Status.FAILED


@pytest.mark.emulator
def test_s3_versioning(dep: Deployment) -> None:
    n = dep.names.buckets
    dep.buckets(backups={"versioning": "Suspended"})
    found = results(dep, "FF-S3-003")
    assert set(found) == {n["app-data"], n["backups"]}  # the logs bucket is not versioned on purpose
    assert found[n["app-data"]].status is Status.PASSED
    assert found[n["backups"]].status is Status.FAILED and "suspended" in found[n["backups"]].detail


@pytest.mark.emulator
def test_s3_versioning_never_enabled(dep: Deployment) -> None:
    n = dep.names.buckets
    dep.buckets(**{"app-data": {"versioning": None}})
    assert results(dep, "FF-S3-003")[n["app-data"]].status is Status.FAILED


@pytest.mark.emulator
def test_s3_tls_only_policy(dep: Deployment) -> None:
    n = dep.names.buckets
    logs_arn = f"arn:aws:s3:::{n['logs']}"
    objects_only = {"Effect": "Deny", "Principal": "*", "Action": "s3:*", "Resource": f"{logs_arn}",
                    "Condition": {"Bool": {"aws:SecureTransport": "false"}}}
    dep.buckets(logs={"tls_policy": objects_only}, backups={"tls_policy": None, "extra_statements": []})
    found = results(dep, "FF-S3-004")
    assert found[n["app-data"]].status is Status.PASSED
    assert found[n["logs"]].status is Status.FAILED  # denies on the bucket but not on its objects
    assert found[n["backups"]].status is Status.FAILED and "no bucket policy" in found[n["backups"]].detail


@pytest.mark.emulator
def test_s3_ownership(dep: Deployment) -> None:
    n = dep.names.buckets
    dep.buckets(logs={"ownership": "ObjectWriter"}, backups={"ownership": None})
    found = results(dep, "FF-S3-005")
    assert found[n["app-data"]].status is Status.PASSED
    assert found[n["logs"]].status is Status.FAILED and "ObjectWriter" in found[n["logs"]].detail
    assert found[n["backups"]].status is Status.FAILED


@pytest.mark.emulator
@pytest.mark.parametrize(("lifecycle", "expected"), [(True, Status.PASSED), (False, Status.FAILED),
                                                     (None, Status.FAILED)])
def test_s3_logs_lifecycle(dep: Deployment, lifecycle: bool | None, expected: Status) -> None:
    dep.buckets(logs={"lifecycle": lifecycle})
    found = results(dep, "FF-S3-006")
    assert statuses(found) == {dep.names.buckets["logs"]: expected}


@pytest.mark.emulator
def test_missing_bucket_settings_are_findings_whichever_engine_deployed(dep: Deployment) -> None:
    """The embedded emulator models PublicAccessBlock, versioning, bucket policies, ownership and lifecycle
    for CloudFormation too (fuelflow.moto_fixes), so a missing setting is a finding under either engine."""
    n = dep.names.buckets
    bare: dict[str, Any] = {"pab": None, "versioning": None, "tls_policy": None, "ownership": None,
                            "lifecycle": None}
    dep.buckets(**{"app-data": bare, "logs": bare, "backups": {"versioning": "Suspended"}})
    for engine in ("cloudformation", "terraform"):
        report = run_audit(dep.aws, dep.env, engine,
                           only=["FF-S3-001", "FF-S3-003", "FF-S3-004", "FF-S3-005", "FF-S3-006"])
        app = [r for r in report.results if r.resource == n["app-data"]]
        assert app and all(r.status is Status.FAILED for r in app), engine
        backups = next(r for r in report.results if r.resource == n["backups"] and r.control_id == "FF-S3-003")
        assert backups.status is Status.FAILED
