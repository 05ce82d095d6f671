"""The console script: Ctrl-C while fuelflow is still importing its modules is one line and exit 130."""

from __future__ import annotations

import importlib.abc
import sys
from typing import Any

import pytest

from fuelflow import entry


class _CtrlCOnImport(importlib.abc.MetaPathFinder):
    """Raises KeyboardInterrupt when fuelflow.cli is imported, as a Ctrl-C during start-up does."""

    def find_spec(self, fullname: str, path: Any, target: Any = None) -> None:
        if fullname == "fuelflow.cli":
            raise KeyboardInterrupt
        return None


def test_ctrl_c_while_starting_is_one_line_and_130(monkeypatch: pytest.MonkeyPatch,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.delitem(sys.modules, "fuelflow.cli", raising=False)
    monkeypatch.setattr(sys, "meta_path", [_CtrlCOnImport(), *sys.meta_path])
    assert entry.main() == 130
    err = capsys.readouterr().err
    assert err == "error: interrupted (Ctrl-C) while fuelflow was starting: nothing was changed\n"


def test_the_console_script_is_the_entry(monkeypatch: pytest.MonkeyPatch) -> None:
    from importlib.metadata import entry_points

    (script,) = [e for e in entry_points(group="console_scripts") if e.name == "fuelflow"]
    assert script.value == "fuelflow.entry:main"
    monkeypatch.setattr(sys, "argv", ["fuelflow", "--version"])
    assert entry.main() == 0


# What a command imports decides how long it takes to start (benchmarks/cli_start.py measures it): `--help` and
# `plan` read files only, so boto3, moto, cfn-lint (its rules engine pulls sympy and networkx) and python-hcl2
# stay unloaded, and `--help` prints without rich.
HEAVY = ("boto3", "botocore", "moto", "cfnlint", "sympy", "networkx", "hcl2")


@pytest.mark.parametrize(("argv", "unloaded"), [
    (["--help"], (*HEAVY, "rich")),
    (["plan", "--env", "dev"], HEAVY),
    (["plan", "--env", "prod", "-o", "json"], HEAVY),
    (["env", "list"], HEAVY),
])
def test_commands_that_read_files_import_no_aws_library(argv: list[str], unloaded: tuple[str, ...]) -> None:
    import json
    import subprocess
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    probe = ("import contextlib, io, json, sys\n"
             "from fuelflow.cli import main\n"
             "with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):\n"
             f"    code = main({argv!r})\n"
             "print(json.dumps([code, sorted({m.split('.')[0] for m in sys.modules})]))\n")
    done = subprocess.run([sys.executable, "-c", probe], cwd=root, capture_output=True, text=True, check=True,
                          env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(root / "src"), "NO_COLOR": "1"})
    code, loaded = json.loads(done.stdout.splitlines()[-1])
    assert code == 0
    assert "fuelflow" in loaded  # the probe saw the modules of a real run
    assert sorted(set(unloaded) & set(loaded)) == []
