"""The reviewed exceptions file (security/exceptions.yaml), its validation and matching, the suppressed results
of `fuelflow audit` (JSON and SARIF), and the Prowler library's pure parts. No emulator, no Prowler run:
tests/test_prowler_e2e.py runs Prowler itself."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

from fuelflow.audit import CONTROLS, Report, Result, Status
from fuelflow.audit import prowler as P
from fuelflow.audit.exceptions import DECISIONS, KINDS, Exceptions, load
from fuelflow.errors import ExitCode, InputError
from test_docs import _anchors

ROOT = Path(__file__).resolve().parents[1]
PROJECT_FILE = ROOT / "security" / "exceptions.yaml"


def write(tmp_path: Path, entries: list[dict[str, Any]]) -> Path:
    path = tmp_path / "exceptions.yaml"
    path.write_text(json.dumps({"version": 1, "exceptions": entries}))  # JSON is YAML
    return path


def accepted(**over: Any) -> dict[str, Any]:
    return {"tool": "prowler", "check": "s3_bucket_object_lock", "resource": "arn:aws:s3:::{project}-*-{env}-*",
            "environments": ["dev", "prod"], "kind": "accepted", "reason": "no WORM requirement",
            "decision": f"{DECISIONS}#56-buckets", **over}


# ----------------------------------------------------------------------------------------- the project's file

def test_the_projects_file_is_valid_and_every_entry_is_reviewed() -> None:
    exceptions = load(PROJECT_FILE, [c.id for c in CONTROLS])
    assert exceptions.entries, "security/exceptions.yaml lists nothing"
    decisions = _anchors(ROOT / DECISIONS)
    for e in exceptions.entries:
        assert e.kind in KINDS and e.environments
        if e.kind == "accepted":
            assert e.decision is not None and e.decision.split("#", 1)[1] in decisions, e.label()
        if e.kind == "emulator":
            assert e.evidence and len(e.evidence) > 30, e.label()


def test_each_finding_is_covered_once() -> None:
    """Two entries for the same check, environment and pattern: the second is dead weight (and never 'used')."""
    exceptions = load(PROJECT_FILE)
    keys = [(e.tool, e.check, e.resource, env) for e in exceptions.entries for env in e.environments]
    assert len(keys) == len(set(keys)), [k for k in keys if keys.count(k) > 1]


# --------------------------------------------------------------------------------------------- validation

@pytest.mark.parametrize(("entry", "message"), [
    (accepted(colour="red"), "unknown key(s) colour"),
    (accepted(reason=""), "'reason' is missing or empty"),
    ({k: v for k, v in accepted().items() if k != "decision"}, "'decision' is missing or empty"),
    (accepted(decision="see the wiki"), "does not link a section of docs/decisions.md"),
    (accepted(kind="waived"), "kind 'waived' is not one of accepted, emulator, pending"),
    (accepted(tool="trivy"), "tool 'trivy' is not one of prowler, fuelflow-audit"),
    (accepted(check="S3 Object Lock"), "is not a Prowler check id"),
    (accepted(tool="fuelflow-audit", check="FF-S3-999"), "no control FF-S3-999"),
    (accepted(environments=[]), "'environments' must be a non-empty list"),
    ({**accepted(kind="emulator"), "evidence": "x"}, "unknown key(s) decision"),
    ({k: v for k, v in accepted(kind="emulator").items() if k != "decision"}, "'evidence' is missing or empty"),
])
def test_a_bad_entry_is_one_line_naming_it_and_the_fix(tmp_path: Path, entry: dict[str, Any], message: str) -> None:
    with pytest.raises(InputError) as caught:
        load(write(tmp_path, [accepted(), entry]), [c.id for c in CONTROLS])
    assert message in caught.value.message and "exception 2" in caught.value.message
    assert caught.value.fix and "\n" not in caught.value.one_line()
    assert caught.value.exit_code == ExitCode.USAGE


def test_a_file_that_is_not_the_format_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "exceptions.yaml"
    for text in ("exceptions: [", "- a list", "version: 2\nexceptions: []", "version: 1\nwaivers: []"):
        path.write_text(text)
        with pytest.raises(InputError):
            load(path)


# ---------------------------------------------------------------------------------------------- matching

def test_an_exception_matches_its_tool_check_environment_and_resource(tmp_path: Path) -> None:
    ex = load(write(tmp_path, [accepted(environments=["dev"]), accepted(check="s3_bucket_no_*")]))
    arn = "arn:aws:s3:::fuel-flow-logs-dev-123456789012-us-east-1"
    assert ex.find("prowler", "s3_bucket_object_lock", "fuel-flow", "dev", [arn]) == ex.entries[0]
    assert ex.find("prowler", "s3_bucket_no_mfa_delete", "fuel-flow", "dev", ["", arn]) == ex.entries[1]
    assert ex.find("prowler", "s3_bucket_object_lock", "fuel-flow", "prod",
                   ["arn:aws:s3:::fuel-flow-logs-prod-1-us-east-1"]) is None  # dev only
    assert ex.find("prowler", "s3_bucket_object_lock", "other", "dev", [arn]) is None  # {project} filled in
    assert ex.find("fuelflow-audit", "s3_bucket_object_lock", "fuel-flow", "dev", [arn]) is None
    assert ex.find("prowler", "s3_bucket_kms_encryption", "fuel-flow", "dev", [arn]) is None
    assert [e.number for e in ex.unused("prowler", "dev", [ex.entries[0]])] == [2]
    assert [e.number for e in ex.unused("prowler", "prod", [])] == [2]  # entry 1 is dev only


# --------------------------------------------------------------------------------------- suppressed results

def _report(tmp_path: Path, kind: str) -> Report:
    extra = {"accepted": {"decision": f"{DECISIONS}#55-database-hardening"},
             "emulator": {"evidence": "moto answers X where RDS answers Y"},
             "pending": {"tracking": "issue 10, part A"}}[kind]
    entry = {"tool": "fuelflow-audit", "check": "FF-RDS-007", "resource": "{project}-db-{env}",
             "environments": ["dev"], "kind": kind, "reason": "dev has no deletion protection", **extra}
    exceptions = load(write(tmp_path, [entry]), [c.id for c in CONTROLS])
    return Report("dev", "fuel-flow", "emulator", "cloudformation", "123456789012", "us-east-1", [
        Result("FF-RDS-007", Status.FAILED, "fuel-flow-db-dev", "deletion protection off",
               "arn:aws:rds:us-east-1:123456789012:db:fuel-flow-db-dev"),
        Result("FF-S3-001", Status.FAILED, "fuel-flow-logs-dev", "public access not blocked"),
        Result("FF-S3-002", Status.PASSED, "fuel-flow-logs-dev", "SSE-S3"),
    ], exceptions)


def test_an_accepted_exception_is_a_suppressed_failure_never_a_pass(tmp_path: Path) -> None:
    report = _report(tmp_path, "accepted")
    doc = report.to_json()
    rds, s3, passed = doc["results"]
    assert rds["status"] == "failed" and rds["suppressed"]["kind"] == "accepted"
    assert rds["suppressed"]["decision"] == f"{DECISIONS}#55-database-hardening"
    assert "suppressed" not in s3 and "suppressed" not in passed
    assert doc["summary"]["failed"] == 2 and doc["suppressed_failures"] == 1 and doc["summary"]["passed"] == 1
    sarif = report.to_sarif()["runs"][0]["results"]
    assert [r["ruleId"] for r in sarif] == ["FF-RDS-007", "FF-S3-001"]  # still a result, still kind fail
    assert sarif[0]["kind"] == "fail" and sarif[0]["level"] == "warning"  # FF-RDS-007 is medium
    (suppression,) = sarif[0]["suppressions"]
    assert suppression["kind"] == "external" and suppression["status"] == "accepted"
    assert suppression["justification"].startswith("accepted: dev has no deletion protection (docs/decisions.md#")
    assert "suppressions" not in sarif[1]
    assert report.exit_code == ExitCode.FINDINGS  # FF-S3-001 is not covered
    assert "(1 failed suppressed by exceptions.yaml)" in report.summary_line()


def test_only_suppressed_failures_leave_exit_code_zero(tmp_path: Path) -> None:
    report = _report(tmp_path, "emulator")
    report.results = report.results[:1]
    assert report.exit_code == ExitCode.OK and report.to_json()["summary"]["failed"] == 1
    assert report.to_sarif()["runs"][0]["results"][0]["suppressions"][0]["justification"].startswith("emulator: ")


def test_a_pending_exception_explains_but_does_not_suppress(tmp_path: Path) -> None:
    report = _report(tmp_path, "pending")
    report.results = report.results[:1]
    assert report.exit_code == ExitCode.FINDINGS
    (suppression,) = report.to_sarif()["runs"][0]["results"][0]["suppressions"]
    assert suppression["status"] == "underReview"
    assert report.to_json()["results"][0]["suppressed"]["counts_as_failure"] is True


def test_without_an_exceptions_file_nothing_is_suppressed() -> None:
    report = Report("dev", "fuel-flow", "t", "cloudformation", "1", "us-east-1",
                    [Result("FF-RDS-007", Status.FAILED, "fuel-flow-db-dev", "off")])
    assert "suppressions" not in report.to_sarif()["runs"][0]["results"][0]
    assert report.to_json()["suppressed_failures"] == 0 and report.exit_code == ExitCode.FINDINGS


# ------------------------------------------------------------------------------- the Prowler library, offline

def ocsf(check: str, status: str, uid: str, name: str = "", labels: tuple[str, ...] = ()) -> dict[str, Any]:
    return {"metadata": {"event_code": check}, "status_code": status, "severity": "High",
            "status_detail": f"{name or uid} says {status}",
            "resources": [{"uid": uid, "name": name, "labels": list(labels)}]}


def test_project_resources_are_recognised_by_tags_or_anchors(tmp_path: Path) -> None:
    raw = [
        ocsf("s3_bucket_object_lock", "FAIL", "arn:aws:s3:::fuel-flow-logs-dev-1-us-east-1", "fuel-flow-logs-dev-1",
             ("Project:fuel-flow", "Environment:dev")),
        ocsf("ec2_networkacl_allow_ingress_any_port", "FAIL", "arn:aws:ec2:us-east-1:1:network-acl/acl-ours"),
        ocsf("ec2_networkacl_allow_ingress_any_port", "FAIL", "arn:aws:ec2:us-east-1:1:network-acl/acl-default"),
        ocsf("iam_password_policy_lowercase", "FAIL", "arn:aws:iam:us-east-1:1:password-policy", "1"),
        ocsf("s3_bucket_object_lock", "FAIL", "arn:aws:s3:::fuel-flow-logs-prod-1", "x",
             ("Project:fuel-flow", "Environment:prod")),
        ocsf("s3_bucket_kms_encryption", "PASS", "arn:aws:s3:::fuel-flow-logs-dev-1-us-east-1"),
    ]
    path = tmp_path / "prowler.ocsf.json"
    path.write_text(json.dumps(raw))
    findings = P.read_findings(path)
    project = P.Project("fuel-flow", "dev", frozenset({"acl-ours"}))
    ex = load(write(tmp_path, [accepted(resource="arn:aws:s3:::{project}-logs-{env}-*"),
                               accepted(check="s3_bucket_kms_encryption")]))
    result = P.evaluate(findings, ex, project, checks_run=7)
    assert [f.uid.rsplit("/", 1)[-1] for f, _ in result.project_fails] == [
        "arn:aws:s3:::fuel-flow-logs-dev-1-us-east-1", "acl-ours"]
    assert [f.check for f in result.unexplained] == ["ec2_networkacl_allow_ingress_any_port"]
    assert [e.number for e in result.unused] == [2]  # the kms one matched nothing: stale
    assert not result.ok
    counts = result.counts()
    assert counts["fail"] == 5 and counts["fail_on_project_resources"] == 2 and counts["pass"] == 1
    assert counts["by_kind"] == {"accepted": 1, "emulator": 0, "pending": 0, "unexplained": 1}
    problems = result.problems()
    assert problems[0].startswith("unexplained FAIL ec2_networkacl_allow_ingress_any_port on arn:aws:ec2:")
    assert "acl-ours says FAIL" in problems[0] or "network-acl/acl-ours says FAIL" in problems[0]
    assert problems[1].startswith("stale: exception 2 (prowler s3_bucket_kms_encryption")


def test_prowler_runs_offline_against_the_endpoint() -> None:
    env = P.prowler_environment("http://127.0.0.1:4566", "eu-west-1",
                                {"AWS_PROFILE": "prod-admin", "HTTPS_PROXY": "http://corp:3128", "PATH": "/bin"})
    assert env["AWS_ENDPOINT_URL"] == "http://127.0.0.1:4566" and "AWS_PROFILE" not in env
    assert env["AWS_ACCESS_KEY_ID"] == "test" and env["AWS_DEFAULT_REGION"] == "eu-west-1"
    assert env["HTTPS_PROXY"] == P.DEAD_PROXY and "127.0.0.1" in env["NO_PROXY"].split(",")
    assert env["AWS_DISABLE_HOST_PREFIX_INJECTION"] == "true" and env["PATH"] == "/bin"
    cmd = P.prowler_command("prowler", "eu-west-1", Path("/out"), ("s3", "route53"))
    assert cmd[:4] == ["prowler", "aws", "--services", "s3"] and "--ignore-exit-code-3" in cmd
    assert cmd[cmd.index("--excluded-check") + 1] == "route53_dangling_ip_subdomain_takeover"
    assert "--excluded-check" not in P.prowler_command("prowler", "eu-west-1", Path("/out"), ("s3",))


def test_prowler_is_found_by_env_then_project_venv_then_path(tmp_path: Path,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(P.PROWLER_ENV, raising=False)
    monkeypatch.setenv("PATH", str(tmp_path / "bin"))
    assert P.find_prowler(tmp_path) is None
    on_path = tmp_path / "bin" / "prowler"
    on_path.parent.mkdir()
    on_path.write_text("#!/bin/sh\n")
    on_path.chmod(0o755)
    assert P.find_prowler(tmp_path) == str(on_path)
    in_venv = tmp_path / ".venv-prowler" / "bin" / "prowler"
    in_venv.parent.mkdir(parents=True)
    in_venv.write_text("")
    assert P.find_prowler(tmp_path) == str(in_venv)
    monkeypatch.setenv(P.PROWLER_ENV, str(tmp_path / "nowhere"))
    assert P.find_prowler(tmp_path) is None  # set but wrong: said, not silently replaced
    assert os.environ[P.PROWLER_ENV].endswith("nowhere")


def test_exceptions_dataclass_reports_unused_per_environment() -> None:
    assert Exceptions(PROJECT_FILE, ()).unused("prowler", "dev", []) == []
