"""Terraform state controls (checks/tfstate.py), against the emulator."""

from __future__ import annotations

from typing import Any

import pytest
from audit_deployment import Deployment, make_env, results

from fuelflow.audit import Status, run_audit
from fuelflow.aws import AwsContext


@pytest.mark.emulator
@pytest.mark.parametrize(("control_id", "bucket", "words"), [
    ("FF-TF-001", {"encryption": False}, "no default server-side encryption"),
    ("FF-TF-002", {"versioning": "Suspended"}, "suspended"),
    ("FF-TF-003", {"pab": {"RestrictPublicBuckets": False}}, "RestrictPublicBuckets"),
    ("FF-TF-004", {"tls_policy": None}, "no bucket policy"),
])
def test_state_bucket(aws: AwsContext, control_id: str, bucket: dict[str, Any], words: str) -> None:
    good, bad = Deployment(aws, make_env()), Deployment(aws, make_env())
    good.state()
    bad.state(**bucket)
    assert results(good, control_id)[good.names.state_bucket].status is Status.PASSED
    r = results(bad, control_id)[bad.names.state_bucket]
    assert r.status is Status.FAILED and words in r.detail


@pytest.mark.emulator
def test_lock_table_pitr(aws: AwsContext) -> None:
    good, bad, none = (Deployment(aws, make_env()) for _ in range(3))
    good.state()
    bad.state(pitr=False)
    none.bucket(none.names.state_bucket)
    assert results(good, "FF-TF-005")[good.names.lock_table].status is Status.PASSED
    assert results(bad, "FF-TF-005")[bad.names.lock_table].status is Status.FAILED
    r = results(none, "FF-TF-005")[none.names.lock_table]
    assert r.status is Status.FAILED and "not found" in r.detail


@pytest.mark.emulator
def test_state_controls_do_not_apply_to_cloudformation(dep: Deployment) -> None:
    dep.buckets()
    report = run_audit(dep.aws, dep.env, "cloudformation",
                       only=["FF-TF-001", "FF-TF-002", "FF-TF-003", "FF-TF-004", "FF-TF-005"])
    assert [r.status for r in report.results] == [Status.NOT_APPLICABLE] * 5
    assert report.results[0].resource == dep.names.state_bucket
    assert report.results[-1].resource == dep.names.lock_table
    assert "only with --engine terraform" in report.results[0].detail
