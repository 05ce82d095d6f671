"""`fuelflow audit` on the command line: exit codes and the table, JSON and SARIF documents."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from audit_deployment import Deployment, env_doc, tcp

from fuelflow import audit
from fuelflow.audit import CONTROLS
from fuelflow.aws import AwsContext
from fuelflow.cli import main
from fuelflow.emulator import Emulator


@pytest.fixture
def project(tmp_path: Path) -> Iterator[tuple[Path, str]]:
    """A project directory whose environments/dev.yaml and prod.yaml use a unique project name."""
    name = "t" + uuid.uuid4().hex[:12]
    (tmp_path / "environments").mkdir()
    for env in ("dev", "prod"):
        (tmp_path / "environments" / f"{env}.yaml").write_text(yaml.safe_dump(env_doc(name, env)))
    yield tmp_path, name


def cli(project_dir: Path, emulator: Emulator, *args: str) -> int:
    return int(main(["-C", str(project_dir), "audit", "--endpoint-url", emulator.endpoint_url, *args]))


def deployed(aws: AwsContext, project_dir: Path, env: str = "dev") -> Deployment:
    from fuelflow.config import load_environment

    return Deployment(aws, load_environment(project_dir, env))


@pytest.mark.emulator
def test_cli_json_all_pass_exits_0(aws: AwsContext, emulator: Emulator, project: tuple[Path, str],
                                   capsys: pytest.CaptureFixture[str]) -> None:
    deployed(aws, project[0]).everything()
    assert cli(project[0], emulator, "--engine", "terraform", "-o", "json") == 0
    doc = json.loads(capsys.readouterr().out)
    # dev: FF-RDS-007 (production tier only); FF-LOG-002, FF-RDS-008, FF-WAF-001 and FF-ALB-001..004 (switched off);
    # FF-IAM-003 on the EC2 role (EC2 passes no source keys, DECISIONS 17.2)
    assert doc["summary"] == {"passed": len(doc["results"]) - 9, "failed": 0, "not_checked": 0,
                              "not_applicable": 9}
    assert next(r for r in doc["results"] if r["control"] == "FF-VPC-001")["prowler"] == (
        "ec2_securitygroup_default_restrict_traffic")
    row = next(r for r in doc["results"] if r["control"] == "FF-S3-001")
    assert row["checkov"] == ["CKV_AWS_53", "CKV_AWS_54", "CKV_AWS_55", "CKV_AWS_56"]
    assert row["aws_config_rule"] == "s3-bucket-level-public-access-prohibited"
    assert row["prowler"] == "s3_bucket_level_public_access_block"
    assert next(r for r in doc["results"] if r["control"] == "FF-RDS-002")["prowler"] is None  # Prowler has none
    assert {"severity", "status", "resource", "arn", "detail", "title", "proves"} <= row.keys()


@pytest.mark.emulator
def test_cli_findings_exit_3_with_sarif(aws: AwsContext, emulator: Emulator, project: tuple[Path, str],
                                        capsys: pytest.CaptureFixture[str]) -> None:
    dep = deployed(aws, project[0])
    dep.buckets(backups={"pab": {"BlockPublicAcls": False}})
    dep.security_groups(web_rules=[tcp(443, "0.0.0.0/0"), tcp(22, "0.0.0.0/0")])
    dep.database(PubliclyAccessible=None)
    assert cli(project[0], emulator, "-o", "sarif") == 3
    captured = capsys.readouterr()
    doc = json.loads(captured.out)
    assert doc["version"] == "2.1.0" and doc["$schema"].endswith("sarif-2.1.0.json")
    run = doc["runs"][0]
    rules = run["tool"]["driver"]["rules"]
    assert [r["id"] for r in rules] == [c.id for c in CONTROLS]
    assert [r["properties"]["prowler"] for r in rules] == [c.prowler for c in CONTROLS]
    for res in run["results"]:
        assert rules[res["ruleIndex"]]["id"] == res["ruleId"]
        assert res["locations"][0]["logicalLocations"][0]["fullyQualifiedName"]
        assert (res["kind"], res["level"]) in {("fail", "error"), ("fail", "warning"), ("fail", "note"),
                                               ("review", "none")}
    failed = {res["ruleId"]: res for res in run["results"] if res["kind"] == "fail"}
    assert failed["FF-S3-001"]["level"] == "error"
    assert failed["FF-S3-001"]["locations"][0]["logicalLocations"][0]["fullyQualifiedName"] == \
        f"arn:aws:s3:::{dep.names.buckets['backups']}"
    assert failed["FF-SG-001"]["level"] == "error" and "SSH" in failed["FF-SG-001"]["message"]["text"]
    assert any(res["ruleId"] == "FF-RDS-003" and res["kind"] == "review" for res in run["results"])
    assert run["properties"]["summary"]["failed"] > 0
    assert "failed" in captured.err  # the summary line goes to stderr, stdout stays one document


def write_exceptions(project_dir: Path, *entries: dict[str, object]) -> None:
    (project_dir / "security").mkdir(exist_ok=True)
    (project_dir / "security" / "exceptions.yaml").write_text(yaml.safe_dump({"version": 1,
                                                                               "exceptions": list(entries)}))


PUBLIC_BACKUPS = {"tool": "fuelflow-audit", "check": "FF-S3-001", "resource": "arn:aws:s3:::{project}-backups-{env}-*",
                  "environments": ["dev"], "kind": "accepted", "reason": "a test's decision",
                  "decision": "docs/decisions.md#56-buckets"}


@pytest.mark.emulator
def test_cli_an_accepted_exception_suppresses_the_failure_and_the_exit_code(
        aws: AwsContext, emulator: Emulator, project: tuple[Path, str], capsys: pytest.CaptureFixture[str]) -> None:
    dep = deployed(aws, project[0])
    dep.everything()
    dep.buckets(backups={"pab": {"BlockPublicAcls": False}})
    assert cli(project[0], emulator, "--engine", "terraform", "-o", "json") == 3  # no exceptions file: fails
    capsys.readouterr()
    write_exceptions(project[0], PUBLIC_BACKUPS)
    assert cli(project[0], emulator, "--engine", "terraform", "-o", "sarif") == 0
    captured = capsys.readouterr()
    (result,) = [r for r in json.loads(captured.out)["runs"][0]["results"] if r["kind"] == "fail"]
    assert result["ruleId"] == "FF-S3-001" and result["level"] == "error"  # still reported, as a failure
    assert result["suppressions"][0]["status"] == "accepted"
    assert result["suppressions"][0]["justification"] == "accepted: a test's decision (docs/decisions.md#56-buckets)"
    assert "1 failed suppressed by exceptions.yaml" in captured.err
    write_exceptions(project[0], {**PUBLIC_BACKUPS, "reason": ""})
    assert cli(project[0], emulator, "-o", "json") == 2  # an invalid file is bad input, one line
    err = capsys.readouterr().err
    assert "exceptions.yaml: exception 1 (FF-S3-001): 'reason' is missing or empty" in err and "Traceback" not in err


@pytest.mark.emulator
def test_cli_table(aws: AwsContext, emulator: Emulator, project: tuple[Path, str],
                   capsys: pytest.CaptureFixture[str]) -> None:
    deployed(aws, project[0]).buckets()
    assert cli(project[0], emulator) == 3
    out = capsys.readouterr().out
    assert "FF-S3-001" in out and "FF-TF-001" in out
    last = out.strip().splitlines()[-1]
    assert last.endswith("not applicable") and "passed" in last and "failed" in last and "not checked" in last


@pytest.mark.emulator
def test_cli_not_deployed_exits_2(emulator: Emulator, project: tuple[Path, str],
                                  capsys: pytest.CaptureFixture[str]) -> None:
    assert cli(project[0], emulator, "--env", "prod") == 2
    err = capsys.readouterr().err
    assert "environment prod is not deployed on the local emulator" in err
    assert "run fuelflow deploy --env prod" in err
    assert "Traceback" not in err


@pytest.mark.emulator
@pytest.mark.parametrize("args", [("--env", "staging"), ("--output", "xml"), ("--engine", "pulumi")])
def test_cli_bad_input_exits_2(emulator: Emulator, project: tuple[Path, str], args: tuple[str, ...]) -> None:
    assert cli(project[0], emulator, *args) == 2


def test_cli_is_registered() -> None:
    from fuelflow.cli import cli as group

    assert "audit" in group.commands
    assert audit.__name__ == "fuelflow.audit"
