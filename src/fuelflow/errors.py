"""The one error type the CLI turns into a single red line and an exit code."""

from __future__ import annotations

from enum import IntEnum


class ExitCode(IntEnum):
    """Documented exit codes (README, "Exit codes")."""

    OK = 0
    FAILED = 1  # an AWS operation failed (stack failed / rolled back, terraform error)
    USAGE = 2  # bad input: nothing was called that changes anything
    FINDINGS = 3  # audit / validate found problems
    DECLINED = 4  # the user answered "no" at a confirmation prompt
    INTERRUPTED = 130  # Ctrl-C (128 + SIGINT, as shells report it): the summary says what was done


class FuelflowError(Exception):
    """An error the user can act on: what went wrong, and how to fix it.

    ``fix`` is printed after the message; ``exit_code`` is what the CLI exits with.
    """

    exit_code: ExitCode = ExitCode.FAILED

    def __init__(self, message: str, fix: str | None = None, *, exit_code: ExitCode | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.fix = fix
        if exit_code is not None:
            self.exit_code = exit_code

    def one_line(self) -> str:
        """The message and the fix, on one line."""
        return f"{self.message}: {self.fix}" if self.fix else self.message


class InputError(FuelflowError):
    """Bad input (environment file, option, template): exit 2, nothing was changed."""

    exit_code = ExitCode.USAGE


class DeployError(FuelflowError):
    """An AWS-side operation failed."""

    exit_code = ExitCode.FAILED


class Interrupted(FuelflowError):
    """Ctrl-C: exit 130. `leave_now`: a second Ctrl-C, operations may still run (do not wait for them)."""

    exit_code = ExitCode.INTERRUPTED

    def __init__(self, message: str, fix: str | None = None, *, leave_now: bool = False) -> None:
        super().__init__(message, fix)
        self.leave_now = leave_now
