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
