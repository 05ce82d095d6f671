"""`fuelflow validate` (fuelflow.validate and its command), offline, on tiny projects in tmp_path.

At most one real checkov run (it costs 10-30 s); terraform tests skip loudly where terraform is missing.
"""

from __future__ import annotations

import json
import os
import re
import stat
from pathlib import Path
from typing import Any

import pytest

from fuelflow import parity, validate
from fuelflow.cli import main
from fuelflow.errors import InputError
from fuelflow.parity import Difference
from fuelflow.tf import toolchain
from fuelflow.validate import (
    CHECKS,
    CheckResult,
    Problem,
    Report,
    find_checkov,
    run_validate,
    sarif_problems,
    select_checks,
)

ROOT = Path(__file__).resolve().parents[1]

CLEAN_TEMPLATE = """\
AWSTemplateFormatVersion: "2010-09-09"
Description: A tiny clean template (fuelflow validate tests).
Resources:
  Topic:
    Type: AWS::SNS::Topic
    Properties:
      KmsMasterKeyId: alias/aws/sns
Outputs:
  TopicArn:
    Description: The topic.
    Value: !Ref Topic
"""

BROKEN_TEMPLATE = """\
AWSTemplateFormatVersion: "2010-09-09"
Description: A template with a property that AWS::S3::Bucket does not have.
Resources:
  Bucket:
    Type: AWS::S3::Bucket
    Properties:
      NotAProperty: oops
"""

# Needs no provider: `terraform_data` is built in, so init is instant and offline.
FORMATTED_TF = """\
resource "terraform_data" "this" {
  input = "x"
}
"""
UNFORMATTED_TF = 'resource "terraform_data" "this" {\ninput   =    "x"\n}\n'
INVALID_TF = 'resource "terraform_data" "this" {\n  not_an_argument = "x"\n}\n'

# A bucket checkov finds fault with (versioning, logging, public access block, ...).
CHECKOV_TF = """\
resource "aws_s3_bucket" "this" {
  bucket = "fuelflow-validate-test"
}
"""


def make_project(root: Path, files: dict[str, str]) -> Path:
    """A tiny project: relative path -> content."""
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root


def fake_tool(path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("#!/bin/sh\nexit 0\n")
    path.chmod(path.stat().st_mode | stat.S_IXUSR)
    return path


def terraform_or_skip() -> str:
    try:
        return toolchain.checked_terraform()
    except InputError as exc:
        pytest.skip(f"the terraform checks are not tested here: {exc.one_line()}")


@pytest.fixture(autouse=True)
def _no_real_parity(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tiny projects are not the real one: a test that reaches fuelflow.parity.compare says what it returns."""
    def unexpected(project_dir: Path, env_name: str = "dev", *, plugin_dir: Path | None = None) -> list[Difference]:
        raise AssertionError(f"parity.compare({project_dir}) was not expected in this test")

    monkeypatch.setattr(parity, "compare", unexpected)


# --------------------------------------------------------------------------------------------- selection


def test_select_checks_defaults_groups_and_skips() -> None:
    assert select_checks() == (list(CHECKS), [])
    assert select_checks(["terraform"]) == (["terraform-fmt", "terraform-validate"], [])
    assert select_checks(["cfn-lint,checkov"], ["checkov"]) == (["cfn-lint"], ["checkov"])


@pytest.mark.parametrize(("only", "skip"), [(["nope"], []), ([], ["cfn_lint"]), (["parity"], ["parity"])])
def test_select_checks_rejects_bad_input(only: list[str], skip: list[str]) -> None:
    with pytest.raises(InputError) as info:
        select_checks(only, skip)
    assert info.value.fix


# --------------------------------------------------------------------------------------------- cfn-lint


def test_cfn_lint_broken_template_fails_and_names_the_file(tmp_path: Path) -> None:
    project = make_project(tmp_path, {"cloudformation/ok.yaml": CLEAN_TEMPLATE,
                                      "cloudformation/broken.yaml": BROKEN_TEMPLATE})
    lines: list[str] = []
    report = run_validate(project, only=["cfn-lint"], progress=lines.append)
    result = report.result("cfn-lint")
    assert result.status == "failed" and not report.ok and int(report.exit_code) == 3
    assert [p.file for p in result.problems] == ["cloudformation/broken.yaml"]
    assert result.problems[0].rule == "E3002" and result.problems[0].line == 7
    assert "NotAProperty" in result.problems[0].message
    assert result.counts["templates"] == 2 and result.counts["errors"] == 1
    assert any(line.startswith("cfn-lint: failed") for line in lines)  # progress reported


def test_cfn_lint_clean_template_passes(tmp_path: Path) -> None:
    project = make_project(tmp_path, {"cloudformation/ok.yaml": CLEAN_TEMPLATE})
    report = run_validate(project, only=["cfn-lint"])
    assert report.ok, report.to_json()
    assert report.result("cfn-lint").status == "passed"
    assert [r.name for r in report.results] == ["cfn-lint"]  # --only shows only what ran


def test_nothing_to_check_is_not_run_but_not_a_failure(tmp_path: Path) -> None:
    report = run_validate(tmp_path, only=["cfn-lint", "terraform", "parity"])
    assert report.ok
    assert {r.status for r in report.results} == {"not run"}
    assert report.result("parity").reason == "nothing to compare: no cloudformation/ or terraform/"


def test_sarif_problems_reads_a_native_cfn_lint_run() -> None:
    run = {"tool": {"driver": {"name": "cfn-lint"}}, "results": [{
        "ruleId": "I3011", "level": "note", "message": {"text": "no DeletionPolicy"},
        "locations": [{"physicalLocation": {"artifactLocation": {"uri": "cloudformation/x.yaml"},
                                            "region": {"startLine": 4}}}]}]}
    assert sarif_problems(run) == [Problem("no DeletionPolicy", "cloudformation/x.yaml", 4, "I3011", "note")]


# --------------------------------------------------------------------------------------------- checkov


def test_checkov_located_by_env_then_project_venv_then_path(tmp_path: Path,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("FUELFLOW_CHECKOV", raising=False)
    monkeypatch.setenv("PATH", str(tmp_path / "bin"))
    assert find_checkov(tmp_path) is None
    on_path = fake_tool(tmp_path / "bin" / "checkov")
    assert find_checkov(tmp_path) == str(on_path)
    in_venv = fake_tool(tmp_path / ".venv-checkov" / "bin" / "checkov")
    assert find_checkov(tmp_path) == str(in_venv)
    explicit = fake_tool(tmp_path / "elsewhere" / "checkov")
    monkeypatch.setenv("FUELFLOW_CHECKOV", str(explicit))
    assert find_checkov(tmp_path) == str(explicit)
    monkeypatch.setenv("FUELFLOW_CHECKOV", str(tmp_path / "missing"))
    assert find_checkov(tmp_path) is None  # a wrong explicit path is reported, not silently replaced


def test_checkov_missing_is_not_run_and_fails_only_when_required(tmp_path: Path,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    project = make_project(tmp_path, {"cloudformation/ok.yaml": CLEAN_TEMPLATE})
    monkeypatch.setenv("FUELFLOW_CHECKOV", str(tmp_path / "no-such-checkov"))
    monkeypatch.delenv("FUELFLOW_REQUIRE", raising=False)
    report = run_validate(project, only=["checkov"])
    result = report.result("checkov")
    assert result.status == "not run" and result.ok and report.ok  # a new user's clone: reported, not failed
    assert result.reason is not None and result.reason.startswith("checkov not found")
    assert result.fix is not None and "bash scripts/bootstrap.sh --test" in result.fix
    monkeypatch.setenv("FUELFLOW_REQUIRE", "checkov")  # CI: nobody vouched for the code
    required = run_validate(project, only=["checkov"])
    assert required.result("checkov").status == "not run" and not required.ok
    skipped = run_validate(project, only=["checkov", "parity"], skip=["checkov"])
    assert skipped.ok
    assert skipped.result("checkov").status == "skipped"


@pytest.fixture(scope="module")
def checkov_report(tmp_path_factory: pytest.TempPathFactory) -> Report:
    """The suite's one real checkov run, on a tiny project with a faulty bucket."""
    checkov = ROOT / ".venv-checkov" / "bin" / "checkov"
    explicit = os.environ.get("FUELFLOW_CHECKOV")
    if explicit:
        checkov = Path(explicit)
    if not (checkov.is_file() and os.access(checkov, os.X_OK)):
        pytest.skip(f"checkov not found at {checkov}: python -m venv .venv-checkov && "
                    ".venv-checkov/bin/pip install checkov")
    project = make_project(tmp_path_factory.mktemp("checkov"), {"terraform/main.tf": CHECKOV_TF,
                                                                "cloudformation/ok.yaml": CLEAN_TEMPLATE})
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("FUELFLOW_CHECKOV", str(checkov))
        return run_validate(project, only=["checkov"], native_sarif=True)


@pytest.mark.checkov
def test_checkov_real_run_reports_findings_with_files(checkov_report: Report) -> None:
    result = checkov_report.result("checkov")
    assert result.status == "failed", result.to_json()
    assert result.counts["failed"] == len(result.problems) > 0
    assert {p.file for p in result.problems} == {"terraform/main.tf"}
    assert all(p.rule and p.rule.startswith("CKV") for p in result.problems)
    sarif = checkov_report.to_sarif()
    assert [r["tool"]["driver"]["name"] for r in sarif["runs"]] == ["Checkov"]  # checkov's own SARIF
    assert len(sarif["runs"][0]["results"]) == len(result.problems)


# --------------------------------------------------------------------------------------------- terraform


@pytest.mark.terraform
def test_terraform_fmt_flags_a_badly_formatted_file(tmp_path: Path) -> None:
    terraform_or_skip()
    project = make_project(tmp_path, {"terraform/main.tf": UNFORMATTED_TF,
                                      "terraform/modules/a/main.tf": FORMATTED_TF})
    report = run_validate(project, only=["terraform-fmt"])
    result = report.result("terraform-fmt")
    assert result.status == "failed"
    assert [p.file for p in result.problems] == ["terraform/main.tf"]
    assert result.counts == {"files": 2, "unformatted": 1}
    assert (project / "terraform/main.tf").read_text() == UNFORMATTED_TF  # checked, never rewritten


@pytest.mark.terraform
def test_terraform_validate_names_the_file_and_leaves_the_project_clean(tmp_path: Path) -> None:
    terraform_or_skip()
    project = make_project(tmp_path, {"terraform/main.tf": FORMATTED_TF,
                                      "terraform/bootstrap/main.tf": FORMATTED_TF,
                                      "terraform/modules/bad/main.tf": INVALID_TF,
                                      "terraform/modules/good/main.tf": FORMATTED_TF})
    before = sorted(p.relative_to(project) for p in project.rglob("*"))
    report = run_validate(project, only=["terraform-validate"])
    result = report.result("terraform-validate")
    assert result.status == "failed"
    assert result.counts["directories"] == 4
    assert [(p.file, p.line) for p in result.problems] == [("terraform/modules/bad/main.tf", 2)]
    assert sorted(p.relative_to(project) for p in project.rglob("*")) == before  # no lock file, no .terraform


def test_terraform_diagnostics_are_read_from_human_output(tmp_path: Path) -> None:
    stderr = """
Error: Terraform encountered problems during initialisation, including problems
with the configuration, described below.

Error: Unclosed configuration block

  on main.tf line 3, in resource "x":
   3: resource "x" {

There is no closing brace for this block before the end of the file. This may
be caused by incorrect brace nesting elsewhere in this file.

Warning: Deprecated attribute
"""
    found = validate.terraform_diagnostics(stderr, "terraform/modules/s3", tmp_path)
    assert found == [
        Problem("Unclosed configuration block: There is no closing brace for this block before the end of "
                "the file. This may be caused by incorrect brace nesting elsewhere in this file.",
                "terraform/modules/s3/main.tf", 3, "terraform", "error"),
        Problem("Deprecated attribute", None, None, "terraform", "warning"),
    ]


def test_missing_terraform_is_not_run_with_a_fix(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    project = make_project(tmp_path, {"terraform/main.tf": FORMATTED_TF})
    monkeypatch.setenv("FUELFLOW_TERRAFORM", str(tmp_path / "no-terraform"))
    monkeypatch.setenv("FUELFLOW_REQUIRE", "terraform")
    report = run_validate(project, only=["terraform"])
    assert not report.ok
    for name in ("terraform-fmt", "terraform-validate"):
        result = report.result(name)
        assert result.status == "not run" and f"FUELFLOW_TERRAFORM={tmp_path / 'no-terraform'}" in str(result.reason)
        assert result.fix and "install Terraform" in result.fix


# --------------------------------------------------------------------------------------------- parity


def test_parity_reports_each_difference_in_the_file_it_names(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    project = make_project(tmp_path, {"cloudformation/ok.yaml": CLEAN_TEMPLATE, "terraform/main.tf": FORMATTED_TF})
    difference = Difference("rds.db.multi_az", True, False, "cloudformation/rds-database.yaml",
                            "terraform/modules/rds/main.tf")
    received: dict[str, Any] = {}

    def compare(project_dir: Path, env_name: str = "dev", *, plugin_dir: Path | None = None) -> list[Difference]:
        received.update(project_dir=project_dir, plugin_dir=plugin_dir)
        return [difference]

    mirror = tmp_path / "mirror"
    (mirror / "registry.terraform.io" / "hashicorp" / "aws" / "5.100.0").mkdir(parents=True)
    monkeypatch.setattr(parity, "compare", compare)
    result = run_validate(project, only=["parity"], plugin_dir=mirror).result("parity")
    assert received == {"project_dir": project.resolve(), "plugin_dir": mirror.resolve()}  # --plugin-dir arrives
    assert result.status == "failed" and result.counts == {"differences": 1}
    assert result.problems == [Problem(str(difference), "cloudformation/rds-database.yaml")]


def test_parity_without_terraform_is_not_run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    project = make_project(tmp_path, {"cloudformation/ok.yaml": CLEAN_TEMPLATE, "terraform/main.tf": FORMATTED_TF})
    monkeypatch.setenv(toolchain.TERRAFORM_ENV, str(tmp_path / "no-terraform"))
    monkeypatch.setenv("FUELFLOW_REQUIRE", "terraform")
    result = run_validate(project, only=["parity"]).result("parity")
    assert (result.status, result.ok) == ("not run", False)
    assert result.reason is not None and toolchain.TERRAFORM_ENV in result.reason
    assert result.fix is not None and "install Terraform" in result.fix


# --------------------------------------------------------------------------------------------- output shapes


def sample_report(tmp_path: Path) -> Report:
    return Report(tmp_path, [
        CheckResult("cfn-lint", "failed", summary="1 error", counts={"errors": 1}, duration=1.0,
                    problems=[Problem("bad property", "cloudformation/x.yaml", 7, "E3002")]),
        CheckResult("checkov", "not run", reason="checkov not found", fix="install it", blocking=True),
        CheckResult("terraform-fmt", "passed", summary="0 of 3 files not formatted"),
        CheckResult("terraform-validate", "skipped", summary="skipped (--skip)"),
        CheckResult("parity", "not run", reason="nothing to compare: no terraform/", blocking=False),
    ], duration=2.0)


def test_json_shape(tmp_path: Path) -> None:
    data = json.loads(json.dumps(sample_report(tmp_path).to_json()))
    assert data["ok"] is False and data["exit_code"] == 3
    assert [c["name"] for c in data["checks"]] == list(CHECKS)
    first = data["checks"][0]
    assert set(first) == {"name", "status", "ok", "summary", "counts", "duration_s", "reason", "fix", "problems"}
    assert first["problems"] == [{"message": "bad property", "file": "cloudformation/x.yaml", "line": 7,
                                  "rule": "E3002", "level": "error"}]
    assert [c["ok"] for c in data["checks"]] == [False, False, True, True, True]


def test_sarif_shape(tmp_path: Path) -> None:
    sarif = json.loads(json.dumps(sample_report(tmp_path).to_sarif()))
    assert sarif["version"] == "2.1.0" and "sarif" in sarif["$schema"]
    runs = sarif["runs"]
    assert [r["tool"]["driver"]["name"] for r in runs] == ["cfn-lint", "Checkov", "terraform fmt",
                                                           "fuelflow parity"]  # skipped: no run
    result = runs[0]["results"][0]
    assert result["ruleId"] == "E3002" and result["level"] == "error"
    location = result["locations"][0]["physicalLocation"]
    assert location == {"artifactLocation": {"uri": "cloudformation/x.yaml"}, "region": {"startLine": 7}}
    assert runs[1]["invocations"][0]["executionSuccessful"] is False
    assert "checkov not found" in runs[1]["invocations"][0]["toolExecutionNotifications"][0]["message"]["text"]


# --------------------------------------------------------------------------------------------- CLI


def test_cli_exit_codes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    clean = make_project(tmp_path / "clean", {"cloudformation/ok.yaml": CLEAN_TEMPLATE})
    broken = make_project(tmp_path / "broken", {"cloudformation/broken.yaml": BROKEN_TEMPLATE})
    assert main(["-C", str(clean), "validate", "--only", "cfn-lint"]) == 0
    assert re.search(r"^cfn-lint\s+passed", capsys.readouterr().out, re.MULTILINE)
    assert main(["-C", str(broken), "validate", "--only", "cfn-lint", "-o", "json"]) == 3
    captured = capsys.readouterr()
    assert json.loads(captured.out)["checks"][0]["problems"][0]["file"] == "cloudformation/broken.yaml"
    assert "1 of 1 checks failed (cfn-lint)" in captured.err
    assert main(["-C", str(clean), "validate", "--only", "nope"]) == 2
    assert "unknown check 'nope'" in capsys.readouterr().err
    assert main(["-C", str(clean), "validate", "--only", "cfn-lint", "-o", "sarif"]) == 0
    assert json.loads(capsys.readouterr().out)["runs"][0]["tool"]["driver"]["name"] == "cfn-lint"


# --------------------------------------------------------------------------------------------- the real project


def test_real_project_templates_pass_cfn_lint(project_dir: Path) -> None:
    if not validate._templates(project_dir):
        pytest.skip("cloudformation/ has no templates yet: nothing for cfn-lint to check")
    report = run_validate(project_dir, only=["cfn-lint"])
    result = report.result("cfn-lint")
    assert result.status == "passed", "\n".join(map(str, result.problems))
