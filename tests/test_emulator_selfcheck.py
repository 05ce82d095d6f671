"""The emulator's start-up self-check (fuelflow.moto_fixes): the pinned moto, and a fix whose patch target is gone
reported as failed (nothing patched, its audit controls "not checked") instead of a crash. Pure unit tests."""

from __future__ import annotations

import re
from pathlib import Path

import boto3
import moto
import pytest

from fuelflow import moto_fixes
from fuelflow.aws import AwsContext, Target
from fuelflow.commands.common import warn_emulator_problems
from fuelflow.moto_fixes import Fix, FixReport, NotNeeded
from fuelflow.output import Ui

ROOT = Path(__file__).resolve().parents[1]


def test_constraints_pin_the_moto_the_fixes_were_written_for() -> None:
    pins = dict(re.findall(r"^([A-Za-z0-9_.-]+)==(\S+)$", (ROOT / "constraints.txt").read_text(), re.MULTILINE))
    assert pins["moto"] == moto_fixes.TESTED_MOTO
    for package in ("boto3", "botocore", "cfn-lint", "pytest", "hypothesis"):
        assert package in pins, f"constraints.txt does not pin {package}"
    bootstrap = (ROOT / "scripts" / "bootstrap.sh").read_text()
    assert "-c constraints.txt" in bootstrap


def test_another_moto_version_is_a_warning(monkeypatch: pytest.MonkeyPatch) -> None:
    assert moto_fixes.version_problem() is None or moto.__version__ != moto_fixes.TESTED_MOTO
    monkeypatch.setattr(moto, "__version__", "5.9.0")
    problem = moto_fixes.version_problem()
    assert problem is not None and "moto 5.9.0" in problem and moto_fixes.TESTED_MOTO in problem


def test_a_fix_whose_target_is_gone_fails_and_patches_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    from moto.ec2.models.instances import InstanceBackend

    fix = next(f for f in moto_fixes.FIXES if f.number == 14)
    monkeypatch.delattr(InstanceBackend, "_get_template_from_args")
    before = InstanceBackend.run_instances
    report = moto_fixes.run_fix(fix)
    assert report.status == "failed" and "_get_template_from_args" in report.detail
    assert InstanceBackend.run_instances is before  # looked up first: nothing was patched
    assert report.controls == ("FF-EC2-001", "FF-EC2-002")
    assert "FF-EC2-001" in moto_fixes.unchecked_controls([report])


def test_not_needed_and_applied_are_reported() -> None:
    def already() -> None:
        raise NotNeeded("moto does it itself")

    assert moto_fixes.run_fix(Fix(99, "x", already)).status == "not_needed"
    assert moto_fixes.run_fix(Fix(98, "y", lambda: None)).status == "applied"


def test_the_fixes_apply_on_the_pinned_moto() -> None:
    reports = moto_fixes.apply()
    numbers = [r.number for r in reports]  # in order, each once (each part of the layer has its own range)
    assert numbers == sorted(set(numbers)) == [f.number for f in moto_fixes.FIXES] and numbers[0] == 1
    assert moto_fixes.apply() == reports  # once per process
    if moto_fixes.moto_version() == moto_fixes.TESTED_MOTO:
        assert [r.line() for r in reports if r.status != "applied"] == []
        assert moto_fixes.failed_fixes() == [] and moto_fixes.unchecked_controls() == {}


def test_commands_warn_about_failed_fixes_and_their_controls(capsys: pytest.CaptureFixture[str]) -> None:
    failed = FixReport(6, "buckets keep their settings", "failed", "AttributeError: gone", ("FF-S3-001",))
    aws = AwsContext(boto3.Session(region_name="us-east-1"), "us-east-1", "http://127.0.0.1:1", Target(),
                     fix_reports=[FixReport(1, "ok", "applied"), failed], moto_problem="moto 9 is installed")
    warn_emulator_problems(aws, Ui())
    err = capsys.readouterr().err
    assert "moto 9 is installed" in err
    assert "fix  6 failed" in err and "AttributeError: gone" in err and "FF-S3-001 are not checked" in err
    assert "fix  1" not in err


def test_a_fix_checks_what_it_calls_later_too(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fix 6 calls S3's put_bucket_versioning at deploy time: gone, it fails at start-up, not mid-deploy."""
    from moto.s3.models import FakeBucket, S3Backend

    monkeypatch.delattr(S3Backend, "put_bucket_versioning")
    before = FakeBucket.create_from_cloudformation_json
    report = moto_fixes.run_fix(next(f for f in moto_fixes.FIXES if f.number == 6))
    assert report.status == "failed" and "S3Backend has no put_bucket_versioning" in report.detail
    assert FakeBucket.create_from_cloudformation_json == before
    assert set(moto_fixes.unchecked_controls([report])) == {"FF-S3-001", "FF-S3-003", "FF-S3-005", "FF-S3-006"}


@pytest.mark.emulator
def test_fuelflow_local_builds_its_services_up_front_and_says_when_ready() -> None:
    """`fuelflow local` preloads (fuelflow.emulator.preload) what moto builds on a service's first request; the
    status route says `ready` once done, and what the first request finds is what it would have built: one
    default VPC in the region, nothing else."""
    from moto.backends import get_backend
    from moto.core.models import DEFAULT_ACCOUNT_ID

    from fuelflow.emulator import PRELOAD_SERVICES, Emulator, emulator_status

    with Emulator(preload_regions=("eu-north-1",)) as emu:
        assert emu.ready.wait(120)
        assert (emulator_status(emu.endpoint_url) or {}).get("ready") is True
        for service in PRELOAD_SERVICES:
            account = get_backend(service)[DEFAULT_ACCOUNT_ID]  # type: ignore[call-overload]
            assert set(account) & {"eu-north-1", "aws"}, service
        ec2 = boto3.client("ec2", region_name="eu-north-1", endpoint_url=emu.endpoint_url,
                           aws_access_key_id="test", aws_secret_access_key="test")
        vpcs = ec2.describe_vpcs()["Vpcs"]
        assert [v["IsDefault"] for v in vpcs] == [True]
