"""`fuelflow` as a separate process, as a user runs it: read its output while it runs, signal it, wait for it.

Used by tests/test_interrupt_cli.py and tests/test_lock.py (Ctrl-C and concurrent runs need real processes);
`run_in_process` runs it in the test process instead, for the tests that read its JSON.
"""

from __future__ import annotations

import io
import json
import os
import pty
import signal
import subprocess
import sys
import threading
import time
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path
from typing import Any

FUELFLOW = str(Path(sys.executable).parent / "fuelflow")


def run_captured(*argv: str) -> tuple[int, str, str]:
    """`fuelflow ARGV` in this process, its output captured without capsys: exit code, stdout, stderr."""
    from fuelflow.cli import main

    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        code = main(list(argv))
    return code, out.getvalue(), err.getvalue()


def run_in_process(capsys: Any, *argv: str) -> tuple[int, Any, str]:
    """`fuelflow ARGV` in this process (capsys captures it): exit code, stdout as JSON (or text), stderr."""
    from fuelflow.cli import main

    code = main(list(argv))
    out, err = capsys.readouterr()
    try:
        data = json.loads(out) if out.strip() else None
    except json.JSONDecodeError:
        data = out
    return code, data, err


def _as_from_a_shell() -> None:
    """The child starts with Ctrl-C's default disposition, as from an interactive shell. An ignored SIGINT is
    inherited across exec and Python then keeps it ignored: under the parallel test run a worker's children
    could start that way, and a Ctrl-C outside the engine's own handler (preview, prompt) did nothing."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


class Run:
    """One `fuelflow ...` process; stderr (progress, errors) and stdout (tables) collected as they come."""

    def __init__(self, *argv: str, cwd: Path, tty: bool = False) -> None:
        env = {**os.environ, "NO_COLOR": "1", "COLUMNS": "200"}
        self._stdout: list[str] = []
        self._stderr: list[str] = []
        self._master = -1
        self.started = time.monotonic()
        if tty:  # stdin and stdout on a terminal: the confirmation question is asked
            self._master, slave = pty.openpty()
            self.proc = subprocess.Popen([FUELFLOW, *argv], cwd=cwd, env=env, stdin=slave, stdout=slave,
                                         stderr=subprocess.PIPE, text=True, bufsize=1, preexec_fn=_as_from_a_shell)
            os.close(slave)
            threading.Thread(target=self._pump_pty, daemon=True).start()
        else:
            self.proc = subprocess.Popen([FUELFLOW, *argv], cwd=cwd, env=env, stdin=subprocess.DEVNULL,
                                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, bufsize=1,
                                         preexec_fn=_as_from_a_shell)
            threading.Thread(target=self._pump, args=(self.proc.stdout, self._stdout), daemon=True).start()
        threading.Thread(target=self._pump, args=(self.proc.stderr, self._stderr), daemon=True).start()

    @staticmethod
    def _pump(stream: object, into: list[str]) -> None:
        """Collect what arrives, as it arrives (a question ends without a newline)."""
        fd = stream.fileno()  # type: ignore[attr-defined]
        while data := os.read(fd, 4096):
            into.append(data.decode(errors="replace"))

    def _pump_pty(self) -> None:
        while True:
            try:
                data = os.read(self._master, 4096)
            except OSError:
                return
            if not data:
                return
            self._stdout.append(data.decode(errors="replace"))

    @property
    def stderr(self) -> str:
        return "".join(self._stderr)

    @property
    def stdout(self) -> str:
        return "".join(self._stdout)

    def wait_for(self, text: str, timeout: float = 60) -> float:
        """Block until `text` appears on stderr; the seconds since the start."""
        deadline = time.monotonic() + timeout
        while text not in self.stderr:
            if self.proc.poll() is not None and text not in self.stderr:
                time.sleep(0.2)  # the pump may still be reading
                if text in self.stderr:
                    break
                raise AssertionError(f"exited {self.proc.returncode} before {text!r}:\n{self.stderr[-3000:]}")
            if time.monotonic() > deadline:
                raise AssertionError(f"no {text!r} within {timeout}s:\n{self.stderr[-3000:]}")
            time.sleep(0.02)
        return time.monotonic() - self.started

    def sigint(self) -> None:
        self.proc.send_signal(signal.SIGINT)

    def finish(self, timeout: float = 120) -> int:
        """Wait for the exit code (the output is complete afterwards)."""
        try:
            code = self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            raise AssertionError(f"still running after {timeout}s:\n{self.stderr[-3000:]}") from None
        time.sleep(0.2)  # let the pumps drain
        if self._master >= 0:
            os.close(self._master)
            self._master = -1
        return code
