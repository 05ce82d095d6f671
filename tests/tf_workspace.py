"""A throw-away copy of terraform/ that Terraform may write to, found and configured as every fuelflow
command does (fuelflow.tf.toolchain), and a runner for generated `terraform test` files."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path
from typing import Any

from fuelflow.tf.toolchain import Toolchain
from fuelflow.tf.workcopy import sync_tree

ROOT = Path(__file__).resolve().parents[1]


class TfTestResult:
    """The outcome of one generated `terraform test` file: which runs passed."""

    def __init__(self, output: str) -> None:
        self.output = output
        self.outcomes = dict(re.findall(r'run "(case_\d+)"\.\.\. (pass|fail|skip)', output))
        self.passed = sum(1 for v in self.outcomes.values() if v == "pass")

    def report(self, runs: list[tuple[str, dict[str, Any], str | None]]) -> str:
        bad = [f"{runs[int(k[5:])][0]}: {v}" for k, v in self.outcomes.items() if v != "pass"]
        return f"runs that did not pass: {bad}\n{self.output[-3000:]}"


class TfRoot:
    """A copy of terraform/ (initialised from the provider mirror) that runs generated test files."""

    def __init__(self, workspace: Any) -> None:
        self.workspace = workspace
        workspace.init(".")

    def test(self, text: str, name: str = "generated_contract", where: str = ".") -> TfTestResult:
        """Run `text` as a test file of terraform/`where` (the root, or modules/<name>)."""
        self.workspace.init(where)
        path = self.workspace.dir / where / "tests" / f"{name}.tftest.hcl"
        path.write_text(text)
        try:
            proc = self.workspace.run(where, "test", "-no-color", f"-filter=tests/{path.name}", timeout=900)
        finally:
            path.unlink()
        return TfTestResult(proc.stdout + proc.stderr)


class Workspace:
    """A copy of terraform/ with a CLI config that installs providers from the mirror only."""

    def __init__(self, base: Path, toolchain: Toolchain) -> None:
        self.terraform = toolchain.binary
        self.dir = sync_tree(ROOT / "terraform", base / "terraform")
        self.env = {k: v for k, v in toolchain.env(base).items()
                    if not (k.startswith("TF_CLI_ARGS") or k.startswith("TF_VAR_")
                            or k in ("TF_DATA_DIR", "TF_WORKSPACE", "TF_LOG", "TF_LOG_PATH"))}
        self.env["NO_COLOR"] = "1"
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
