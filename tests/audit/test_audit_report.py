"""The report documents (report.py), from results made up here: no emulator needed."""

from __future__ import annotations

from fuelflow.audit import CONTROLS, Report, Result, Status, control_by_id


def report(*results: Result) -> Report:
    return Report("dev", "p", "target", "terraform", "123456789012", "us-east-1", list(results))


def test_json_and_sarif_carry_the_prowler_check() -> None:
    doc = report(Result("FF-EC2-001", Status.FAILED, "i-1", "IMDSv1 allowed"),
                 Result("FF-SG-003", Status.PASSED, "db-sg", "only tcp 3306")).to_json()
    assert [r["prowler"] for r in doc["results"]] == ["ec2_instance_imdsv2_enabled", None]
    rules = report().to_sarif()["runs"][0]["tool"]["driver"]["rules"]
    assert {r["id"]: r["properties"]["prowler"] for r in rules} == {c.id: c.prowler for c in CONTROLS}
    assert control_by_id("FF-TF-005").prowler == "dynamodb_tables_pitr_enabled"


def test_exit_code_and_summary_count_failures_only() -> None:
    ok = report(Result("FF-S3-001", Status.NOT_CHECKED, "b", "access denied"),
                Result("FF-RDS-007", Status.NOT_APPLICABLE, "db", "prod only"))
    assert ok.exit_code == 0 and ok.summary_line() == (
        "2 controls, 2 results (one per control and resource): 0 passed, 0 failed, 1 not checked, 1 not applicable")
    assert report(Result("FF-S3-001", Status.FAILED, "b", "open")).exit_code == 3
