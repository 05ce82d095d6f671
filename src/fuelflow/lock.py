"""One run at a time per environment: a lock held in the target's SSM Parameter Store.

The lock is the parameter `/fuelflow/locks/<project>/<env>` (value: JSON {id, who, host, pid, operation,
since}), created with `Overwrite=False`: AWS creates a parameter atomically and answers
ParameterAlreadyExists to the second writer, and so does the emulator (its fault/serialising middleware
makes moto's check-then-write atomic). It lives where the environment lives (the account and region of the
target, or the emulator), needs nothing created first, and is shared by both engines: a CloudFormation
deploy and a Terraform apply of the same environment exclude each other. See docs/decisions.md ("The run
lock").

Changing commands (deploy, destroy, tf apply/destroy/bootstrap/unbootstrap) hold it; read-only ones do not.
A run that died without releasing it leaves it behind: `fuelflow unlock --env ENV LOCK_ID` removes it,
refusing any other id (as `terraform force-unlock` does).
"""

from __future__ import annotations

import contextlib
import getpass
import json
import os
import signal
import socket
import threading
import uuid
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

import botocore.exceptions

from fuelflow.errors import InputError

if TYPE_CHECKING:
    from fuelflow.aws import AwsContext
    from fuelflow.config import Environment

LOCK_PREFIX = "/fuelflow/locks"


def lock_parameter(project: str, env: str) -> str:
    """The SSM parameter that holds `env`'s lock."""
    return f"{LOCK_PREFIX}/{project}/{env}"


@dataclass(frozen=True)
class LockInfo:
    """Who holds a lock, for what, since when."""

    id: str
    who: str  # user@host
    host: str
    pid: int
    operation: str
    since: str  # ISO 8601, UTC, minutes

    @classmethod
    def mine(cls, operation: str) -> LockInfo:
        host = socket.gethostname()
        try:
            user = getpass.getuser()
        except (KeyError, OSError):  # no passwd entry (containers)
            user = "unknown"
        return cls(str(uuid.uuid4()), f"{user}@{host}", host, os.getpid(), operation,
                   datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"))

    @classmethod
    def parse(cls, text: str) -> LockInfo:
        try:
            data: dict[str, Any] = json.loads(text)
            return cls(str(data["id"]), str(data.get("who", "?")), str(data.get("host", "")),
                       int(data.get("pid", 0)), str(data.get("operation", "?")), str(data.get("since", "?")))
        except (ValueError, KeyError, TypeError):
            return cls(text, "?", "", 0, "?", "?")  # not ours: its raw value is what unlock needs

    def to_json(self) -> str:
        return json.dumps(asdict(self), sort_keys=True)

    def dead_here(self) -> bool:
        """True when the holder ran on this host and its process is gone (a run that died)."""
        if self.host != socket.gethostname() or self.pid <= 0:
            return False
        try:
            os.kill(self.pid, 0)
        except ProcessLookupError:
            return True
        except PermissionError:  # alive, someone else's
            return False
        return False

    def describe(self, env: str) -> str:
        dead = " - that process no longer runs on this host" if self.dead_here() else ""
        return f"{env} is locked by {self.who} (pid {self.pid}, {self.operation}) since {self.since}{dead}"


def _code(exc: botocore.exceptions.ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))


class EnvLock:
    """The lock of one environment on one target (an SSM client bound to it)."""

    def __init__(self, ssm: Any, project: str, env: str, target_args: str = "") -> None:
        """`target_args`: the options that point a command at this lock's target (printed in the fix)."""
        self.ssm, self.env, self.target_args = ssm, env, target_args
        self.name = lock_parameter(project, env)

    def holder(self) -> LockInfo | None:
        """Who holds the lock now (None: nobody)."""
        try:
            value = self.ssm.get_parameter(Name=self.name)["Parameter"]["Value"]
        except botocore.exceptions.ClientError as exc:
            if _code(exc) == "ParameterNotFound":
                return None
            raise
        return LockInfo.parse(str(value))

    def acquire(self, operation: str) -> LockInfo:
        """Take the lock, or raise InputError (exit 2) at once naming who holds it."""
        mine = LockInfo.mine(operation)
        for _attempt in range(2):  # the holder may release between our write and our read
            try:
                self.ssm.put_parameter(Name=self.name, Value=mine.to_json(), Type="String", Overwrite=False,
                                       Description=f"fuelflow run lock of {self.env} (fuelflow unlock removes it)")
                return mine
            except botocore.exceptions.ClientError as exc:
                if _code(exc) != "ParameterAlreadyExists":
                    raise
            held = self.holder()
            if held is not None:
                unlock = f"`fuelflow unlock --env {self.env} {held.id}{self.target_args}`"
                raise InputError(held.describe(self.env), f"remove it with {unlock}" if held.dead_here() else
                                 f"wait for it, or {unlock} if that run is dead")
        raise InputError(f"{self.env} is locked and released repeatedly (another run is starting)", "try again")

    def release(self, mine: LockInfo) -> None:
        """Remove the lock if it is still ours (someone may have force-unlocked it meanwhile)."""
        with _sigint_deferred():  # a Ctrl-C now would leave the lock behind
            held = self.holder()
            if held is not None and held.id == mine.id:
                with contextlib.suppress(botocore.exceptions.ClientError):  # already gone
                    self.ssm.delete_parameter(Name=self.name)

    def force_unlock(self, lock_id: str) -> LockInfo:
        """Remove a lock left by a dead run; only with its id (a wrong id is refused, exit 2)."""
        held = self.holder()
        if held is None:
            raise InputError(f"{self.env} is not locked", "nothing to unlock")
        if held.id != lock_id:
            raise InputError(f"lock id {lock_id} does not match the lock on {self.env} ({held.describe(self.env)}, "
                             f"id {held.id})", "check the id in the message of the refused run")
        self.ssm.delete_parameter(Name=self.name)
        return held


@contextlib.contextmanager
def _sigint_deferred() -> Iterator[None]:
    """Hold a Ctrl-C back until the block is done (main thread only), then deliver it."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    pending: list[int] = []
    previous = signal.signal(signal.SIGINT, lambda signum, _frame: pending.append(signum))
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
        if pending and callable(previous):
            previous(signal.SIGINT, None)
        elif pending and previous == signal.SIG_DFL:
            os.kill(os.getpid(), signal.SIGINT)


def env_lock(aws: AwsContext, env: Environment) -> EnvLock:
    """The lock of `env` on the target of `aws`."""
    return EnvLock(aws.client("ssm"), env.project, env.name, aws.target_args)


@contextlib.contextmanager
def run_lock(aws: AwsContext, env: Environment, operation: str) -> Iterator[LockInfo]:
    """Hold `env`'s lock on the target of `aws` for the block; released on every exit path."""
    lock = env_lock(aws, env)
    mine = lock.acquire(operation)
    try:
        yield mine
    finally:
        lock.release(mine)
