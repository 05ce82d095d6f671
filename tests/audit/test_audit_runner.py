"""The whole audit (runner.py): all controls at once, read-only, not deployed, unanswerable calls."""

from __future__ import annotations

import dataclasses
from typing import Any

import botocore.client
import botocore.exceptions
import pytest
from audit_deployment import Deployment, make_env, results
from botocore.parsers import ResponseParserError

from fuelflow import moto_fixes
from fuelflow.audit import CONTROLS, AuditContext, ReadOnlyViolation, Status, run_audit
from fuelflow.aws import AwsContext
from fuelflow.errors import InputError


@pytest.mark.emulator
def test_compliant_environment_passes_everything(dep: Deployment) -> None:
    dep.everything()
    report = run_audit(dep.aws, dep.env, "terraform")
    # dev: deletion protection (production tier only) and the switched-off options (flow logs, replica, WAF,
    # load balancer) are not applicable
    switched_off = {"FF-RDS-007", "FF-LOG-002", "FF-RDS-008", "FF-WAF-001", "FF-ALB-001", "FF-ALB-002",
                    "FF-ALB-003", "FF-ALB-004"}
    # FF-IAM-003 on the EC2 role: EC2 passes no aws:SourceAccount/aws:SourceArn (DECISIONS 17.2)
    ec2_role = (r"FF-IAM-003", dep.names.role("ec2"))
    bad = [r for r in report.results if r.status is not Status.PASSED
           and not ((r.control_id in switched_off or (r.control_id, r.resource) == ec2_role)
                    and r.status is Status.NOT_APPLICABLE)]
    assert bad == []
    assert {r.control_id for r in report.results} == {c.id for c in CONTROLS}
    assert report.exit_code == 0


@pytest.mark.emulator
def test_audit_is_read_only(dep: Deployment, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every operation the audit sends is a Get/List/Describe/Head, across every control and both engines."""
    dep.everything()
    dep.instance(tokens="optional")  # make some controls take their failure paths too
    called: list[str] = []
    real = botocore.client.BaseClient._make_api_call

    def record(self: Any, operation_name: str, api_params: dict[str, Any]) -> Any:
        called.append(operation_name)
        return real(self, operation_name, api_params)

    monkeypatch.setattr(botocore.client.BaseClient, "_make_api_call", record)
    run_audit(dep.aws, dep.env, "terraform")
    run_audit(dep.aws, dep.env, "cloudformation")
    assert called
    assert [op for op in called if not op.startswith(("Get", "List", "Describe", "Head"))] == []
    assert {"GetPublicAccessBlock", "DescribeDBInstances", "DescribeInstances", "GetRolePolicy",
            "DescribeContinuousBackups", "DescribeDBParameters", "DescribeLogGroups"} <= set(called)


@pytest.mark.emulator
def test_read_only_guard_refuses_writes(dep: Deployment) -> None:
    ctx = AuditContext(dep.aws, dep.env, "terraform", dep.names)
    with pytest.raises(ReadOnlyViolation):
        ctx.client("s3").create_bucket(Bucket=f"{dep.names.project}-sneaky")
    ctx.close()  # the guard comes off the shared client again
    assert f"{dep.names.project}-sneaky" not in {b["Name"] for b in dep.s3.list_buckets()["Buckets"]}
    dep.s3.create_bucket(Bucket=f"{dep.names.project}-allowed")


@pytest.mark.emulator
def test_nothing_deployed_is_input_error(aws: AwsContext) -> None:
    env = make_env()
    with pytest.raises(InputError) as exc:
        run_audit(aws, env, "terraform")
    assert exc.value.one_line() == (f"environment dev is not deployed on the local emulator at {aws.endpoint_url} "
                                    "(us-east-1): run fuelflow deploy --env dev --engine terraform")


@pytest.mark.emulator
def test_partly_deployed_fails_what_is_missing(dep: Deployment) -> None:
    dep.buckets()
    report = run_audit(dep.aws, dep.env, "cloudformation")
    by_control = {r.control_id: r for r in report.results}
    assert by_control["FF-S3-001"].status is Status.PASSED
    for cid in ("FF-RDS-001", "FF-EC2-001", "FF-IAM-001", "FF-SG-002", "FF-LOG-001"):
        assert by_control[cid].status is Status.FAILED and "not found" in by_control[cid].detail
    assert report.exit_code == 3


@pytest.mark.emulator
@pytest.mark.parametrize(("error", "words"), [
    (botocore.exceptions.ClientError({"Error": {"Code": "AccessDenied", "Message": "no"}}, "GetPublicAccessBlock"),
     "access denied to GetPublicAccessBlock"),
    (ResponseParserError("<html>500</html>"), "does not implement GetPublicAccessBlock"),
    (botocore.exceptions.ClientError({"Error": {"Code": "InternalError", "Message": "boom"},
                                      "ResponseMetadata": {"HTTPStatusCode": 500}}, "GetPublicAccessBlock"),
     "does not implement GetPublicAccessBlock"),
])
def test_unanswerable_calls_are_not_checked(dep: Deployment, monkeypatch: pytest.MonkeyPatch,
                                            error: Exception, words: str) -> None:
    dep.buckets()

    def refuse(**_: Any) -> Any:
        raise error

    monkeypatch.setattr(dep.aws.client("s3"), "get_public_access_block", refuse)
    found = results(dep, "FF-S3-001")
    assert {r.status for r in found.values()} == {Status.NOT_CHECKED}
    assert all(words in r.detail for r in found.values())


@pytest.mark.emulator
def test_a_failed_emulator_fix_turns_its_controls_into_not_checked(dep: Deployment) -> None:
    """Fix 6 (bucket settings) failing means the emulator's bucket answers are moto's: no verdict on them."""
    dep.everything()
    fix = moto_fixes.FixReport(6, "bucket settings", "failed", "moto renamed the target", ("FF-S3-001", "FF-S3-003"))
    aws = dataclasses.replace(dep.aws, fix_reports=[fix])
    report = run_audit(aws, dep.env, "terraform")
    by_id = {r.control_id: r for r in report.results}
    for control in ("FF-S3-001", "FF-S3-003"):
        assert by_id[control].status is Status.NOT_CHECKED and "bucket settings" in by_id[control].detail
    assert by_id["FF-S3-002"].status is Status.PASSED  # the others still get a verdict
    healthy = run_audit(dep.aws, dep.env, "terraform")
    assert {r.control_id: r.status for r in healthy.results}["FF-S3-001"] is Status.PASSED
