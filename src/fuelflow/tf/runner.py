"""Running one terraform command for a person: its output streams through while it runs, a failure
becomes one DeployError holding Terraform's own `Error:` lines."""

from __future__ import annotations

import re
import subprocess
import sys
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from fuelflow.errors import DeployError
from fuelflow.tf.workcopy import TERRAFORM_DIR

_ANSI = re.compile(r"\x1b\[[0-9;]*m")
_NO_COLOR_COMMANDS = {"init", "plan", "apply", "destroy", "output", "show", "validate", "refresh", "import"}


def error_summary(stderr: str) -> str:
    """The `Error:` lines of Terraform's diagnostics, joined (the message of our one red line)."""
    errors: list[str] = []
    lines = [raw.strip().lstrip("│").strip() for raw in _ANSI.sub("", stderr).splitlines()]
    for i, line in enumerate(lines):
        if not line.startswith("Error: "):
            continue
        text = line[7:].strip()
        if text.endswith(":"):  # "Error loading state:" - the substance is on the next line
            detail = next((ln for ln in lines[i + 1:] if ln), "")
            text = f"{text} {detail}"
        if text not in errors:
            errors.append(text)
    if errors:
        return "; ".join(errors[:3]) + (f" (and {len(errors) - 3} more)" if len(errors) > 3 else "")
    tail = [ln.strip() for ln in _ANSI.sub("", stderr).splitlines() if ln.strip()]
    return tail[-1] if tail else "no error message"


@dataclass
class RunResult:
    code: int
    stdout: str
    stderr: str


@dataclass
class Terraform:
    """One terraform binary plus the environment its subprocesses get."""

    binary: str
    env: dict[str, str]
    color: bool = False
    stream_to_stderr: bool = False  # --output json: keep stdout for our JSON

    def run(self, root: Path, *args: str, capture: bool = False, ok: Sequence[int] = (0,)) -> RunResult:
        """Run `terraform -chdir=root args...`; its output streams through while it runs.

        `capture` keeps stdout for the caller instead of printing it. An exit code outside `ok` raises
        DeployError with Terraform's own error lines.
        """
        argv = [self.binary, f"-chdir={root}", *args]
        if not self.color and args and args[0] in _NO_COLOR_COMMANDS:
            argv.insert(3, "-no-color")
        proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                env=self.env, text=True, errors="replace", bufsize=1)
        out: list[str] = []
        err: list[str] = []
        sink_out = None if capture else (sys.stderr if self.stream_to_stderr else sys.stdout)
        pumps = [threading.Thread(target=_pump, args=(proc.stdout, out, sink_out), daemon=True),
                 threading.Thread(target=_pump, args=(proc.stderr, err, sys.stderr), daemon=True)]
        for t in pumps:
            t.start()
        try:
            code = proc.wait()
        except KeyboardInterrupt:
            # Terraform got the same SIGINT: let it stop gracefully (release locks, write state).
            proc.wait()
            raise
        finally:
            for t in pumps:
                t.join()
        result = RunResult(code, "".join(out), "".join(err))
        if code not in ok:
            raise DeployError(f"terraform {args[0] if args else ''} failed in {_short(root)}: "
                              f"{error_summary(result.stderr)}", "see Terraform's output above")
        return result


def _pump(stream: IO[str] | None, keep: list[str], sink: IO[str] | None) -> None:
    if stream is None:
        return
    for line in iter(stream.readline, ""):
        keep.append(line)
        if sink is not None:
            sink.write(line)
            sink.flush()
    stream.close()


def _short(root: Path) -> str:
    parts = root.parts
    return "/".join(parts[parts.index(TERRAFORM_DIR):]) if TERRAFORM_DIR in parts else str(root)
