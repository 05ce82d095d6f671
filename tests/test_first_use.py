"""The small defects a new user met (issue 8, "small defects found on the way"), each held by a test that failed
before its fix. No emulator here: what needs one is in test_first_use_emulator.py.
"""

from __future__ import annotations

import builtins
import copy
import io
import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml
from rich.console import Console

from fake_cfn import FakeCloudFormation
from fuelflow import contract
from fuelflow.audit.registry import Result, Status
from fuelflow.audit.report import Report as AuditReport
from fuelflow.cli import main
from fuelflow.config import load_environment, parse_environment
from fuelflow.engine import Engine, PollConfig
from fuelflow.envfiles import new_environment
from fuelflow.errors import InputError
from fuelflow.output import Ui
from fuelflow.plan import build_plan

CLEAN_TEMPLATE = "Resources:\n  Topic:\n    Type: AWS::SNS::Topic\n"


@pytest.fixture
def project(tmp_path: Path, project_dir: Path) -> Path:
    for part in ("environments", "cloudformation"):
        shutil.copytree(project_dir / part, tmp_path / part)
    return tmp_path


@pytest.fixture
def dev_doc(project_dir: Path) -> dict[str, Any]:
    return yaml.safe_load((project_dir / "environments" / "dev.yaml").read_text())


def one_line_error(capsys: pytest.CaptureFixture[str]) -> str:
    err = capsys.readouterr().err.strip()
    assert "Traceback" not in err
    lines = [line for line in err.splitlines() if line.startswith("error:")]
    assert len(lines) == 1, err
    return lines[0]


def parse_error(doc: dict[str, Any]) -> str:
    with pytest.raises(InputError) as caught:
        parse_environment(doc, Path("environments/dev.yaml"), expected_name="dev")
    return caught.value.one_line()


# ------------------------------------------------------------------------- 1. unknown keys are refused


def test_an_unknown_top_level_key_is_refused(dev_doc: dict[str, Any]) -> None:
    line = parse_error({**dev_doc, "foo": "bar"})
    assert "foo is not a setting" in line and "remove it" in line


@pytest.mark.parametrize(("section", "typo", "meant"), [
    ("ec2", "instance_typo", "ec2.instance_type"),
    ("rds", "multiaz", "rds.multi_az"),
    ("logs", "retention_day", "logs.retention_days"),
])
def test_a_misspelt_setting_is_refused_naming_the_nearest(dev_doc: dict[str, Any], section: str, typo: str,
                                                          meant: str) -> None:
    doc = copy.deepcopy(dev_doc)
    doc[section][typo] = doc[section].pop(meant.split(".", 1)[1])
    line = parse_error(doc)  # not "ec2.instance_type is missing": the typo is what the user must see
    assert f"{section}.{typo} is not a setting: did you mean {meant}?" in line


def test_a_misspelt_top_level_key_names_the_nearest(dev_doc: dict[str, Any]) -> None:
    doc = copy.deepcopy(dev_doc)
    doc["regoin"] = doc["region"]
    assert "regoin is not a setting: did you mean region?" in parse_error(doc)


def test_the_known_keys_are_the_contracts(dev_doc: dict[str, Any]) -> None:
    """One key set, from contract.yaml: every setting's section and field, the identifiers, tier and tags."""
    keys = contract.document_keys()
    assert {f"{s}.{f}" for s, fields in keys.items() if s for f in fields} == set(contract.settings())
    assert set(dev_doc) == keys[""]  # dev.yaml uses every top-level key, and only those


def test_an_unknown_key_through_the_cli_is_one_line_and_exit_2(project: Path,
                                                               capsys: pytest.CaptureFixture[str]) -> None:
    env_file = project / "environments" / "dev.yaml"
    env_file.write_text(env_file.read_text().replace("instance_type: t3.micro", "instance_typo: t3.micro"))
    assert main(["-C", str(project), "plan"]) == 2
    assert "did you mean ec2.instance_type?" in one_line_error(capsys)


# ------------------------------------------------------------------------- 2. regions


def test_an_unknown_region_is_refused_with_the_nearest(dev_doc: dict[str, Any]) -> None:
    line = parse_error({**dev_doc, "region": "us-east-9"})
    assert "region 'us-east-9' is not an AWS region: did you mean us-east-" in line


def test_real_regions_of_every_partition_are_accepted(dev_doc: dict[str, Any]) -> None:
    for region in ("eu-west-1", "ap-southeast-2", "us-gov-west-1", "cn-north-1"):
        assert parse_environment({**dev_doc, "region": region}, Path("environments/dev.yaml")).region == region


def test_the_region_pattern_is_still_checked_first(dev_doc: dict[str, Any]) -> None:
    assert "region 'mars-1' is not valid" in parse_error({**dev_doc, "region": "mars-1"})


def test_region_option_is_checked_before_any_emulator_starts(project: Path,
                                                              capsys: pytest.CaptureFixture[str]) -> None:
    # an unmarked test: starting the emulator would fail it (conftest); the region is refused first
    assert main(["-C", str(project), "status", "--region", "us-east-9"]) == 2
    assert "--region 'us-east-9' is not an AWS region: did you mean us-east-" in one_line_error(capsys)


def test_env_new_refuses_an_unknown_region(project: Path) -> None:
    with pytest.raises(InputError, match="not an AWS region"):
        new_environment(project, "qa", "dev", region="eu-west-7")
    assert not (project / "environments" / "qa.yaml").exists()


# ------------------------------------------------------------------------- 3. validate without checkov/terraform


def tiny_project(tmp_path: Path) -> Path:
    (tmp_path / "cloudformation").mkdir()
    (tmp_path / "cloudformation" / "ok.yaml").write_text(CLEAN_TEMPLATE)
    (tmp_path / "terraform").mkdir()
    (tmp_path / "terraform" / "main.tf").write_text('terraform {\n  required_version = ">= 1.10"\n}\n')
    return tmp_path


def test_validate_without_checkov_reports_not_run_with_the_install_command(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    project = tiny_project(tmp_path)
    monkeypatch.setenv("FUELFLOW_CHECKOV", str(tmp_path / "no-checkov"))
    monkeypatch.delenv("FUELFLOW_REQUIRE", raising=False)
    assert main(["-C", str(project), "validate", "--only", "checkov"]) == 0
    out, err = capsys.readouterr()
    assert "not run" in out and "bash scripts/bootstrap.sh --test" in out
    assert "warning: checkov not run" in err and "FUELFLOW_REQUIRE=checkov" in err


def test_validate_without_checkov_fails_when_it_is_required(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                            capsys: pytest.CaptureFixture[str]) -> None:
    project = tiny_project(tmp_path)
    monkeypatch.setenv("FUELFLOW_CHECKOV", str(tmp_path / "no-checkov"))
    monkeypatch.setenv("FUELFLOW_REQUIRE", "terraform,provider,checkov")  # what .ci/run sets
    assert main(["-C", str(project), "validate", "--only", "checkov", "-o", "json"]) == 3
    assert "checkov not run, and FUELFLOW_REQUIRE requires checkov" in one_line_error(capsys)


@pytest.mark.parametrize(("required", "code"), [("", 0), ("terraform", 3)])
def test_validate_without_terraform(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, required: str, code: int,
                                    capsys: pytest.CaptureFixture[str]) -> None:
    project = tiny_project(tmp_path)
    monkeypatch.setenv("FUELFLOW_TERRAFORM", str(tmp_path / "no-terraform"))
    monkeypatch.setenv("FUELFLOW_REQUIRE", required)
    assert main(["-C", str(project), "validate", "--only", "terraform", "-o", "json"]) == code
    out = capsys.readouterr().out
    assert '"status": "not run"' in out and "install Terraform" in out


def test_require_names_only_known_tools(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("FUELFLOW_REQUIRE", "chekov")
    assert main(["-C", str(tiny_project(tmp_path)), "validate", "--only", "checkov"]) == 2
    assert "FUELFLOW_REQUIRE names unknown tool(s) chekov" in one_line_error(capsys)


# ------------------------------------------------------------------------- 4. the new-stack preview


def test_new_stack_preview_lists_only_what_the_conditions_create(project_dir: Path) -> None:
    env = load_environment(project_dir, "dev")  # one instance, no SSH range
    plan = build_plan(project_dir, env)
    engine = Engine(lambda _service: FakeCloudFormation(), poll=PollConfig(initial=0.005, maximum=0.01))
    previews = {p.stack: p for p in engine.preview(plan, engine.check_states(plan, False))}
    ec2 = previews["fuel-flow-ec2-dev"]
    listed = {c.logical_id for c in ec2.changes}
    assert "Instance1" in listed and not {"Instance2", "Instance3", "Instance4"} & listed
    template = plan.stacks["fuel-flow-ec2-dev"].template.resources
    # dev: 3 of the 4 instances and their CPU alarms and the 8 load-balancer resources (web.load_balancer off)
    excluded = {"Instance2", "Instance3", "Instance4", "Instance2CpuAlarm", "Instance3CpuAlarm", "Instance4CpuAlarm",
                "ApplicationLoadBalancer", "TargetGroup", "Certificate",
                "HttpsListener", "HttpRedirectListener", "HttpListener", "WebAutoScalingGroup", "WebCpuScalingPolicy"}
    assert excluded <= set(template) and not excluded & listed
    assert f"{len(excluded)} resources excluded by conditions" in ec2.note
    assert listed == set(template) - excluded
    # network, dev: no SSH range, no load balancer, flow logs off: both SSH rules, the load balancer's group and
    # the 3 flow-log resources are excluded; the web servers' group is listed
    network = previews["fuel-flow-network-dev"]
    network_listed = {c.logical_id for c in network.changes}
    assert "WebSecurityGroup" in network_listed and len(network_listed) == 16
    assert not {"WebSshIngress1", "WebSshIngress2", "LoadBalancerSecurityGroup", "FlowLogGroup"} & network_listed
    assert "6 resources excluded by conditions" in network.note
    assert len(previews["fuel-flow-iam-dev"].changes) == 4  # no conditions: everything, no note
    assert previews["fuel-flow-iam-dev"].note == "new stack"


# ------------------------------------------------------------------------- 5. the confirmation prompt


@pytest.mark.parametrize(("expected", "needle"), [(None, "Deploy [these] changes? [y/N] "),
                                                  ("dev", "Type dev to confirm: ")])
def test_the_prompt_shows_its_brackets(monkeypatch: pytest.MonkeyPatch, expected: str | None, needle: str) -> None:
    ui = Ui()
    shown = io.StringIO()
    ui.err = Console(file=shown, force_terminal=False, highlight=False)
    monkeypatch.setattr(builtins, "input", lambda *_a: "y" if expected is None else "dev")
    assert ui.confirm("Deploy [these] changes?", expected)
    assert needle in shown.getvalue()


# ------------------------------------------------------------------------- 7. -C and a folder without a project


def test_project_dir_that_does_not_exist(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["-C", str(tmp_path / "nope"), "plan"]) == 2
    assert f"-C {tmp_path / 'nope'}: no such directory" in one_line_error(capsys)


@pytest.mark.parametrize("argv", [["plan"], ["status"], ["env", "list"], ["validate"], ["tf", "status"]])
def test_a_folder_without_a_project(tmp_path: Path, argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["-C", str(tmp_path), *argv]) == 2
    line = one_line_error(capsys)
    assert f"no fuelflow project in {tmp_path} (" in line and "run from the repository root or pass -C DIR" in line


# ------------------------------------------------------------------------- 8. throwaway emulator: refuse at once


@pytest.mark.parametrize("argv", [["tf", "output"], ["tf", "destroy", "--yes"], ["tf", "unbootstrap", "--yes"],
                                  ["outputs", "--engine", "terraform"], ["destroy", "--engine", "terraform", "--yes"]])
def test_terraform_reads_of_a_throwaway_emulator_are_refused_at_once(project: Path, argv: list[str],
                                                                     capsys: pytest.CaptureFixture[str]) -> None:
    # an unmarked test: starting the emulator (or terraform) would fail it; the refusal comes first
    assert main(["-C", str(project), *argv]) == 2
    line = one_line_error(capsys)
    assert "empty by construction" in line and "--endpoint-url http://127.0.0.1:4566" in line


def test_readme_terraform_examples_name_an_endpoint(project_dir: Path) -> None:
    """Each example that reads state points at a running `fuelflow local`, as the refusal above asks."""
    readme = (project_dir / "README.md").read_text()
    block = readme.split("## Terraform", 1)[1].split("```bash", 1)[1].split("```", 1)[0]
    for line in block.strip().splitlines():
        command = line.split("#", 1)[0]
        if "fuelflow local" in command:
            continue
        assert "--endpoint-url" in command or "--target aws" in command, line


# ------------------------------------------------------------------------- 10. the audit counts what it counts


def test_audit_summary_counts_controls_and_results() -> None:
    results = [Result("FF-S3-001", Status.PASSED, b, "ok") for b in ("a", "b", "c")]
    results.append(Result("FF-RDS-007", Status.NOT_APPLICABLE, "db", "prod only"))
    report = AuditReport("dev", "fuel-flow", "local", "cloudformation", "123456789012", "us-east-1", results)
    assert report.summary_line().startswith("2 controls, 4 results (one per control and resource): 3 passed")
    doc = report.to_json()
    assert (doc["controls"], doc["result_count"], sum(doc["summary"].values())) == (2, 4, 4)
