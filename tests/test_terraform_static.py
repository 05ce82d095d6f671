"""Static checks of terraform/: fmt, validate, the native tests, checkov, and the README tables.

Everything runs on a throw-away copy of terraform/ (no `.terraform/`, lock file or state lands in the
repository). terraform and the provider mirror are found as every fuelflow command finds them
(fuelflow.tf.toolchain: $FUELFLOW_TERRAFORM, $FUELFLOW_TF_PLUGIN_DIR, else the usual places); its CLI
config points Terraform at the mirror, so nothing is downloaded. Without terraform or a mirror holding
hashicorp/aws, the tests that need them skip and say exactly what is missing.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from fuelflow.tf.workcopy import sync_tree
from tf_workspace import Workspace

ROOT = Path(__file__).resolve().parents[1]
TF_DIR = ROOT / "terraform"

# Every Terraform root and module of the project, relative to terraform/.
MODULES = sorted(f"modules/{p.name}" for p in (TF_DIR / "modules").iterdir() if (p / "main.tf").exists())
ROOTS = [".", "bootstrap", *MODULES]
WITH_TESTS = [d for d in ROOTS if any((TF_DIR / d / "tests").glob("*.tftest.hcl"))]


# ------------------------------------------------------------------------------------------ discovery


def _find_checkov() -> tuple[str | None, str]:
    explicit = os.environ.get("FUELFLOW_CHECKOV")
    candidate = explicit or str(ROOT / ".venv-checkov" / "bin" / "checkov")
    found = shutil.which(candidate)
    if found:
        return found, ""
    return None, (f"FUELFLOW_CHECKOV={explicit} is not an executable" if explicit
                  else f"{candidate} is missing (checkov lives in its own virtualenv; or set FUELFLOW_CHECKOV)")


# ------------------------------------------------------------------------------------------- fixtures


def _output(proc: subprocess.CompletedProcess[str]) -> str:
    return (proc.stdout + "\n" + proc.stderr).strip()


# ---------------------------------------------------------------------------------------------- tests


@pytest.mark.terraform
def test_fmt(workspace: Workspace) -> None:
    proc = workspace.run(".", "fmt", "-check", "-recursive", "-diff", "-no-color")
    assert proc.returncode == 0, f"terraform fmt -check -recursive found unformatted files:\n{_output(proc)}"


@pytest.mark.terraform
@pytest.mark.parametrize("where", ROOTS)
def test_validate(workspace: Workspace, where: str) -> None:
    workspace.init(where)
    proc = workspace.run(where, "validate", "-no-color")
    assert proc.returncode == 0, f"terraform validate in terraform/{where}:\n{_output(proc)}"


@pytest.mark.terraform
def test_root_lock_files_admit_the_mirror(workspace: Workspace) -> None:
    """The committed lock files select a provider the mirror holds (init would fail otherwise)."""
    for where in (".", "bootstrap"):
        assert (TF_DIR / where / ".terraform.lock.hcl").exists(), f"terraform/{where}/.terraform.lock.hcl is missing"
        workspace.init(where)
        lock = (workspace.dir / where / ".terraform.lock.hcl").read_text()
        assert lock == (TF_DIR / where / ".terraform.lock.hcl").read_text(), (
            f"terraform init changed terraform/{where}/.terraform.lock.hcl: commit the updated file")


@pytest.mark.terraform
@pytest.mark.parametrize("where", WITH_TESTS)
def test_native_tests(workspace: Workspace, where: str) -> None:
    """`terraform test` (mock provider, plan only): key settings and every validation rule."""
    workspace.init(where)
    proc = workspace.run(where, "test", "-no-color", timeout=900)
    out = _output(proc)
    assert proc.returncode == 0, f"terraform test in terraform/{where} failed:\n{out[-6000:]}"
    assert " 0 failed" in out, out[-2000:]


def _hcl2() -> object:
    return pytest.importorskip("hcl2", reason="SKIPPED: python-hcl2 is not installed (pip install python-hcl2)")


def _label(text: str) -> str:
    return text.strip('"')


@pytest.mark.parametrize("where", ROOTS)
def test_every_validation_rule_has_a_failing_run(where: str) -> None:
    """Each variable has at least as many `expect_failures` runs as validation rules (one run per rule)."""
    hcl2 = _hcl2()
    rules: dict[str, int] = {}
    variables_tf = TF_DIR / where / "variables.tf"
    with variables_tf.open() as handle:
        for block in hcl2.load(handle).get("variable", []):  # type: ignore[attr-defined]
            for name, body in block.items():
                if body.get("validation"):
                    rules[_label(name)] = len(body["validation"])
    runs: dict[str, int] = dict.fromkeys(rules, 0)
    for test_file in sorted((TF_DIR / where / "tests").glob("*.tftest.hcl")):
        with test_file.open() as handle:
            for block in hcl2.load(handle).get("run", []):  # type: ignore[attr-defined]
                for body in block.values():
                    for ref in body.get("expect_failures", []):
                        name = str(ref).removeprefix("${").removesuffix("}").removeprefix("var.")
                        if name in runs:
                            runs[name] += 1
    missing = {name: f"{runs[name]} run(s) for {count} rule(s)" for name, count in rules.items() if runs[name] < count}
    assert not missing, f"terraform/{where}: validation rules without an expect_failures run: {missing}"


def test_readme_tables_are_current() -> None:
    """The inputs/outputs tables between the TF_DOCS markers match variables.tf and outputs.tf."""
    _hcl2()
    proc = subprocess.run([sys.executable, str(TF_DIR / "scripts" / "terraform_docs.py"), "--check"],
                          capture_output=True, text=True, timeout=120, check=False)
    assert proc.returncode == 0, f"{proc.stdout}{proc.stderr}\nrun: python terraform/scripts/terraform_docs.py"


@pytest.mark.checkov
def test_checkov(tmp_path: Path, ci_summary: Any) -> None:
    """checkov finds nothing; every skip sits in the resource and gives its reason."""
    checkov, why = _find_checkov()
    if checkov is None:
        pytest.skip(f"SKIPPED (checkov missing): {why}")
    work = sync_tree(TF_DIR, tmp_path / "terraform")
    proc = subprocess.run([checkov, "-d", str(work), "--framework", "terraform",
                           "--skip-download", "-o", "json"],
                          capture_output=True, text=True, timeout=600, check=False, env={**os.environ, "NO_COLOR": "1"})
    try:
        report = json.loads(proc.stdout)
    except json.JSONDecodeError:
        pytest.fail(f"checkov printed no JSON report (exit {proc.returncode}):\n"
                    f"{proc.stdout[-2000:]}{proc.stderr[-2000:]}")
    reports = report if isinstance(report, list) else [report]
    totals = {k: sum(r.get("summary", {}).get(k, 0) for r in reports) for k in ("passed", "failed", "skipped")}
    ci_summary("checkov terraform/", f"{totals['passed']} passed, {totals['failed']} failed, "
               f"{totals['skipped']} skipped")
    failed = [f"{c['check_id']} {c['resource']} ({c['file_path']})"
              for r in reports for c in r.get("results", {}).get("failed_checks", [])]
    assert not failed, "checkov failed checks:\n" + "\n".join(failed)
    unexplained = [f"{c['check_id']} {c['resource']}"
                   for r in reports for c in r.get("results", {}).get("skipped_checks", [])
                   if len((c.get("check_result", {}).get("suppress_comment") or "").strip()) < 20]
    assert not unexplained, "checkov skips without a reason: " + ", ".join(unexplained)
    assert all(r.get("summary", {}).get("parsing_errors", 0) == 0 for r in reports), "checkov could not parse a file"
