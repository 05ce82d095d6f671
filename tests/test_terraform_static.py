"""Static checks of terraform/: fmt, validate, the native tests, checkov, and the README tables.

Everything runs on a throw-away copy of terraform/ (no `.terraform/`, lock file or state lands in the
repository). Providers come from a filesystem mirror found at run time: $FUELFLOW_TF_PLUGIN_DIR, else
the usual places (~/.terraform.d/plugins, $XDG_DATA_HOME/terraform/plugins, /opt/tf-plugins, ...); a
temporary CLI config points Terraform at it, so nothing is downloaded. Without terraform or a mirror
holding hashicorp/aws, the tests that need them skip and say exactly what is missing.
"""

from __future__ import annotations

import json
import os
import platform
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[1]
TF_DIR = ROOT / "terraform"
AWS_PROVIDER = Path("registry.terraform.io") / "hashicorp" / "aws"

# Every Terraform root and module of the project, relative to terraform/.
MODULES = sorted(f"modules/{p.name}" for p in (TF_DIR / "modules").iterdir() if (p / "main.tf").exists())
ROOTS = [".", "bootstrap", *MODULES]
WITH_TESTS = [d for d in ROOTS if any((TF_DIR / d / "tests").glob("*.tftest.hcl"))]


# ------------------------------------------------------------------------------------------ discovery


def _platform() -> str:
    machine = platform.machine().lower()
    arch = {"x86_64": "amd64", "amd64": "amd64", "aarch64": "arm64", "arm64": "arm64"}.get(machine, machine)
    return f"{platform.system().lower()}_{arch}"


def _plugin_dir_candidates() -> list[Path]:
    home = Path.home()
    data_home = Path(os.environ.get("XDG_DATA_HOME") or home / ".local" / "share")
    data_dirs = [Path(p) for p in os.environ.get("XDG_DATA_DIRS", "/usr/local/share:/usr/share").split(":") if p]
    return [
        home / ".terraform.d" / "plugins",
        data_home / "terraform" / "plugins",
        *(d / "terraform" / "plugins" for d in data_dirs),
        Path("/opt/tf-plugins"),
        Path("/opt/terraform/plugins"),
    ]


def _holds_aws_provider(mirror: Path) -> bool:
    """True if `mirror` holds hashicorp/aws for this platform (unpacked or packed layout)."""
    provider = mirror / AWS_PROVIDER
    if not provider.is_dir():
        return False
    unpacked = any((version / _platform()).is_dir() for version in provider.iterdir())
    packed = any(provider.glob(f"terraform-provider-aws_*_{_platform()}.zip"))
    return unpacked or packed


def _find_plugin_dir() -> tuple[Path | None, str]:
    """The mirror to use, or None and a message naming what is missing."""
    explicit = os.environ.get("FUELFLOW_TF_PLUGIN_DIR")
    if explicit:
        path = Path(explicit).expanduser()
        if _holds_aws_provider(path):
            return path, ""
        return None, (f"FUELFLOW_TF_PLUGIN_DIR={explicit} holds no {AWS_PROVIDER}/<version>/{_platform()} "
                      "(hashicorp/aws provider mirror)")
    candidates = _plugin_dir_candidates()
    for path in candidates:
        if _holds_aws_provider(path):
            return path, ""
    return None, (f"no filesystem mirror with {AWS_PROVIDER} for {_platform()} found in "
                  f"{', '.join(map(str, candidates))}; set FUELFLOW_TF_PLUGIN_DIR")


def _find_terraform() -> tuple[str | None, str]:
    explicit = os.environ.get("FUELFLOW_TERRAFORM")
    found = shutil.which(explicit) if explicit else shutil.which("terraform")
    if found:
        return found, ""
    return None, (f"FUELFLOW_TERRAFORM={explicit} is not an executable" if explicit
                  else "terraform is not on PATH (or set FUELFLOW_TERRAFORM)")


def _find_checkov() -> tuple[str | None, str]:
    explicit = os.environ.get("FUELFLOW_CHECKOV")
    candidate = explicit or str(ROOT / ".venv-checkov" / "bin" / "checkov")
    found = shutil.which(candidate)
    if found:
        return found, ""
    return None, (f"FUELFLOW_CHECKOV={explicit} is not an executable" if explicit
                  else f"{candidate} is missing (checkov lives in its own virtualenv; or set FUELFLOW_CHECKOV)")


# ------------------------------------------------------------------------------------------- fixtures


class Workspace:
    """A copy of terraform/ with a CLI config that installs providers from the mirror only."""

    def __init__(self, base: Path, terraform: str, plugin_dir: Path) -> None:
        self.terraform = terraform
        self.dir = base / "terraform"
        shutil.copytree(TF_DIR, self.dir, ignore=shutil.ignore_patterns(
            ".terraform", "*.tfstate", "*.tfstate.*", "*.tfplan", "override.tf", "*_override.tf",
            "*_override.tf.json", "__pycache__"))
        cli_config = base / "terraform.rc"
        cli_config.write_text(
            "provider_installation {\n"
            "  filesystem_mirror {\n"
            f"    path    = {json.dumps(str(plugin_dir))}\n"
            '    include = ["registry.terraform.io/*/*"]\n'
            "  }\n"
            "}\n"
        )
        self.env = {k: v for k, v in os.environ.items()
                    if not (k.startswith("TF_CLI_ARGS") or k.startswith("TF_VAR_")
                            or k in ("TF_DATA_DIR", "TF_WORKSPACE", "TF_LOG", "TF_LOG_PATH"))}
        self.env.update({"TF_CLI_CONFIG_FILE": str(cli_config), "TF_IN_AUTOMATION": "1", "TF_INPUT": "0",
                         "CHECKPOINT_DISABLE": "1", "NO_COLOR": "1"})
        self._initialised: set[str] = set()

    def run(self, where: str, *args: str, timeout: int = 600) -> subprocess.CompletedProcess[str]:
        return subprocess.run([self.terraform, *args], cwd=self.dir / where, env=self.env, capture_output=True,
                              text=True, timeout=timeout, check=False)

    def init(self, where: str) -> None:
        if where in self._initialised:
            return
        proc = self.run(where, "init", "-backend=false", "-input=false", "-no-color")
        assert proc.returncode == 0, f"terraform init in terraform/{where} failed:\n{proc.stdout}\n{proc.stderr}"
        self._initialised.add(where)


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Workspace]:
    terraform, why = _find_terraform()
    if terraform is None:
        pytest.skip(f"SKIPPED (terraform missing): {why}")
    plugin_dir, why = _find_plugin_dir()
    if plugin_dir is None:
        pytest.skip(f"SKIPPED (provider mirror missing): {why}")
    yield Workspace(tmp_path_factory.mktemp("tf"), terraform, plugin_dir)


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
    work = tmp_path / "terraform"
    shutil.copytree(TF_DIR, work, ignore=shutil.ignore_patterns(".terraform", "*.tfstate*", "*_override.tf"))
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
