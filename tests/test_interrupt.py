"""Ctrl-C in the engine's scheduler, on the scripted CloudFormation client (tests/fake_cfn.py).

The emulator finishes every stack operation inside the API call that starts it, so it cannot show a stack
*in flight* when the signal lands (UPDATE_IN_PROGRESS to cancel, CREATE_IN_PROGRESS to wait for): the fake
can. The same signal against a real `fuelflow deploy` process is in tests/test_interrupt_cli.py.
"""

from __future__ import annotations

import os
import signal
import threading
import time
from typing import Any

import click
import pytest

from fake_cfn import FakeCloudFormation
from fuelflow import cli
from fuelflow.engine import Engine, PollConfig
from fuelflow.errors import ExitCode
from fuelflow.output import Ui
from fuelflow.plan import Plan
from test_engine import deploy, plan  # noqa: F401 - the fixture: a <- b, a <- c, and an independent d

POLL = PollConfig(initial=0.02, factor=1.5, maximum=0.05, timeout=30)


class CancellableCloudFormation(FakeCloudFormation):
    """The fake, plus CancelUpdateStack: an update in progress rolls back (taking `rollback_seconds`)."""

    rollback_seconds = 0.3

    def cancel_update_stack(self, **kw: Any) -> dict[str, Any]:
        self._record("CancelUpdateStack", kw)
        with self._lock:
            st = self.stacks[kw["StackName"]]
            if st.status != "UPDATE_IN_PROGRESS":  # what AWS says then
                from fake_cfn import client_error

                raise client_error("ValidationError", f"CancelUpdateStack cannot be called from current stack "
                                   f"status {st.status}", "CancelUpdateStack")
            st.status, st.final_status = "UPDATE_ROLLBACK_IN_PROGRESS", "UPDATE_ROLLBACK_COMPLETE"
            st.busy_until = self.clock() + self.rollback_seconds
            self._event(st, st.name, "AWS::CloudFormation::Stack", st.status, "User Initiated")
            return {}


def sigint_after(*delays: float) -> list[threading.Timer]:
    """SIGINT to this process (the main thread gets it, as from a terminal) after each delay."""
    timers = [threading.Timer(d, os.kill, (os.getpid(), signal.SIGINT)) for d in delays]
    for t in timers:
        t.start()
    return timers


def deployed_with_one_update_and_one_create(plan: Plan, fake: CancellableCloudFormation,  # noqa: F811
                                            durations: dict[str, float]) -> Engine:
    """a (b and c import from it) exists and changes; d is new; b and c wait for a."""
    assert deploy(Engine(lambda _s: fake, poll=POLL), plan)[0].ok
    fake.stacks.pop("fuel-flow-d-dev")
    fake.stacks.pop("fuel-flow-b-dev")
    fake.stacks.pop("fuel-flow-c-dev")
    fake.stacks["fuel-flow-a-dev"].template += "\n# changed\n"
    fake.changes_for_update["fuel-flow-a-dev"] = [{"Type": "Resource", "ResourceChange": {
        "Action": "Modify", "LogicalResourceId": "Bucket", "ResourceType": "AWS::S3::Bucket", "Replacement": "False"}}]
    fake.durations.update(durations)
    fake.calls.clear()
    return Engine(lambda _s: fake, poll=POLL)


def test_first_ctrl_c_cancels_the_update_waits_for_the_create_and_starts_nothing_more(plan: Plan) -> None:  # noqa: F811
    fake = CancellableCloudFormation()
    engine = deployed_with_one_update_and_one_create(plan, fake, {"fuel-flow-a-dev": 2.0, "fuel-flow-d-dev": 0.8})
    log: list[str] = []
    engine.progress = log.append
    sigint_after(0.3)
    started = time.monotonic()
    report, _ = deploy(engine, plan)
    took = time.monotonic() - started

    by = {r.stack: r for r in report.results}
    assert engine.interrupted and not report.ok
    assert by["fuel-flow-a-dev"].action == "cancelled" and by["fuel-flow-a-dev"].status == "UPDATE_ROLLBACK_COMPLETE"
    assert ("CancelUpdateStack", {"StackName": "fuel-flow-a-dev"}) in fake.calls
    assert by["fuel-flow-d-dev"].action == "created"  # a create cannot be cancelled: it was waited for
    assert fake.stacks["fuel-flow-d-dev"].status == "CREATE_COMPLETE"
    assert by["fuel-flow-b-dev"].action == by["fuel-flow-c-dev"].action == "not started"
    assert not any(op == "CreateChangeSet" and kw["StackName"] in ("fuel-flow-b-dev", "fuel-flow-c-dev")
                   for op, kw in fake.calls)
    assert took < 1.8  # the update's 2 s were cut short by the cancel
    text = "\n".join(log)
    assert "cancelling the update" in text and "a create cannot be cancelled" in text
    assert "Ctrl-C again to leave at once" in text


def test_second_ctrl_c_leaves_at_once_naming_what_still_runs(plan: Plan) -> None:  # noqa: F811
    fake = CancellableCloudFormation()
    fake.rollback_seconds = 30
    engine = deployed_with_one_update_and_one_create(plan, fake, {"fuel-flow-a-dev": 30, "fuel-flow-d-dev": 30})
    log: list[str] = []
    engine.progress = log.append
    sigint_after(0.3, 0.6)
    started = time.monotonic()
    report, _ = deploy(engine, plan)
    assert time.monotonic() - started < 2.0

    by = {r.stack: r for r in report.results}
    assert engine.abandoned.is_set()
    assert by["fuel-flow-a-dev"].action == "interrupted"
    assert by["fuel-flow-a-dev"].status == "UPDATE_ROLLBACK_IN_PROGRESS"  # cancelled, rolling back
    assert by["fuel-flow-d-dev"].action == "interrupted" and by["fuel-flow-d-dev"].status == "CREATE_IN_PROGRESS"
    assert "still CREATE_IN_PROGRESS in CloudFormation" in by["fuel-flow-d-dev"].reason
    assert any(line.startswith("second Ctrl-C: leaving now; still running in CloudFormation:") for line in log)


def test_ctrl_c_during_a_destroy_waits_for_the_deletes_and_deletes_nothing_more(plan: Plan) -> None:  # noqa: F811
    fake = CancellableCloudFormation()
    engine = Engine(lambda _s: fake, poll=POLL)
    assert deploy(engine, plan)[0].ok
    fake.durations.update(dict.fromkeys(fake.stacks, 0.8))
    engine = Engine(lambda _s: fake, poll=POLL, emulator=False)
    engine._bucket_exists = lambda _name: True  # type: ignore[method-assign]  # the fake has no S3
    existing = engine.destroy_checks(plan)
    sigint_after(0.3)
    report = engine.destroy(plan, existing)
    by = {r.stack: r for r in report.results}
    # b, c and d go first (nothing imports them); a waits for b and c, so it is never started
    assert {by[n].action for n in ("fuel-flow-b-dev", "fuel-flow-c-dev", "fuel-flow-d-dev")} == {"deleted"}
    assert by["fuel-flow-a-dev"].action == "not started"
    assert fake.stacks["fuel-flow-a-dev"].status == "CREATE_COMPLETE"
    assert engine.interrupted and not report.ok


def test_the_handler_is_put_back_after_the_run(plan: Plan) -> None:  # noqa: F811
    before = signal.getsignal(signal.SIGINT)
    assert deploy(Engine(lambda _s: CancellableCloudFormation(), poll=POLL), plan)[0].ok
    assert signal.getsignal(signal.SIGINT) is before


@pytest.mark.parametrize("where", ["command", "prompt"])
def test_ctrl_c_outside_the_scheduler_is_exit_130_not_4(monkeypatch: pytest.MonkeyPatch,
                                                         capsys: pytest.CaptureFixture[str], where: str) -> None:
    """click turns KeyboardInterrupt into Abort, which used to be reported as "declined" (exit 4)."""

    @click.command("boom")
    def boom() -> None:
        if where == "prompt":
            Ui().confirm("Deploy?")  # what every confirmation question goes through
        raise KeyboardInterrupt

    def ctrl_c(_prompt: str = "") -> str:
        raise KeyboardInterrupt

    monkeypatch.setattr("builtins.input", ctrl_c)
    cli.cli.add_command(boom)
    try:
        code = cli.main(["boom"])
    finally:
        cli.cli.commands.pop("boom")
    assert code == ExitCode.INTERRUPTED == 130
    assert "interrupted (Ctrl-C)" in capsys.readouterr().err
