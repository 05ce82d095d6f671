"""One run at a time per environment: the SSM-parameter lock (fuelflow.lock), `fuelflow unlock`, and two
`fuelflow deploy` processes at once on one emulator (the same environment: one runs, the other exits 2 at
once naming the holder; different environments: both run)."""

from __future__ import annotations

import io
import json
import subprocess
import sys
import threading
import time
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path
from typing import Any

import boto3
import pytest

from cli_process import Run
from fuelflow.aws import AwsContext
from fuelflow.cli import main
from fuelflow.config import load_environment
from fuelflow.emulator import set_faults
from fuelflow.errors import InputError
from fuelflow.lock import EnvLock, LockInfo, lock_parameter, run_lock

pytestmark = pytest.mark.emulator

# what a deploy creates (dev and prod alike); the edge stack has nothing to deploy there (edge options off)
DEV_STACKS = [f"fuel-flow-{p}-dev" for p in ("network", "s3", "iam", "ec2", "rds", "monitoring")]


def ssm(url: str) -> Any:
    return boto3.client("ssm", endpoint_url=url, region_name="us-east-1", aws_access_key_id="test",
                        aws_secret_access_key="test")


def run(project_dir: Path, *argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        code = main(["-C", str(project_dir), *argv])
    return code, out.getvalue(), err.getvalue()


def held_by_someone_else(url: str, env: str = "dev", **fields: Any) -> LockInfo:
    """A lock as another run (alice's, on another host) leaves it."""
    info = LockInfo(**{"id": "3f1c-alice", "who": "alice@build-7", "host": "build-7", "pid": 123,
                       "operation": "deploy", "since": "2026-12-02T07:01:00Z", **fields})
    ssm(url).put_parameter(Name=lock_parameter("fuel-flow", env), Value=info.to_json(), Type="String")
    return info


def stacks(url: str) -> list[str]:
    cfn = boto3.client("cloudformation", endpoint_url=url, region_name="us-east-1", aws_access_key_id="test",
                       aws_secret_access_key="test")
    return [s["StackName"] for s in cfn.describe_stacks()["Stacks"] if s["StackStatus"] != "DELETE_COMPLETE"]


# ------------------------------------------------------------------------------------------ the lock


def test_acquire_refuse_release(url: str) -> None:
    lock = EnvLock(ssm(url), "fuel-flow", "dev")
    mine = lock.acquire("deploy")
    assert lock.holder() == mine
    stored = json.loads(ssm(url).get_parameter(Name="/fuelflow/locks/fuel-flow/dev")["Parameter"]["Value"])
    assert stored["operation"] == "deploy" and stored["pid"] > 0 and "@" in stored["who"]

    with pytest.raises(InputError) as err:
        EnvLock(ssm(url), "fuel-flow", "dev").acquire("destroy")
    assert err.value.exit_code == 2
    assert err.value.one_line() == (
        f"dev is locked by {mine.who} (pid {mine.pid}, deploy) since {mine.since}: wait for it, or "
        f"`fuelflow unlock --env dev {mine.id}` if that run is dead")

    lock.release(LockInfo.mine("deploy"))  # not ours (force-unlocked and taken by another run): kept
    assert lock.holder() == mine
    lock.release(mine)
    assert lock.holder() is None
    EnvLock(ssm(url), "fuel-flow", "prod").acquire("deploy")  # another environment: its own lock
    assert EnvLock(ssm(url), "fuel-flow", "dev").acquire("deploy")


def test_force_unlock_needs_the_right_id(url: str) -> None:
    info = held_by_someone_else(url)
    lock = EnvLock(ssm(url), "fuel-flow", "dev")
    with pytest.raises(InputError, match="lock id wrong-id does not match"):
        lock.force_unlock("wrong-id")
    assert lock.holder() == info
    assert lock.force_unlock(info.id) == info
    assert lock.holder() is None
    with pytest.raises(InputError, match="dev is not locked"):
        lock.force_unlock(info.id)


def test_a_dead_holder_on_this_host_is_named_as_such(url: str) -> None:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()  # its pid is now free: a run that died
    info = LockInfo.mine("deploy")
    held_by_someone_else(url, who=info.who, host=info.host, pid=proc.pid)
    with pytest.raises(InputError, match=f"pid {proc.pid}, deploy.* - that process no longer runs on this host"):
        EnvLock(ssm(url), "fuel-flow", "dev").acquire("deploy")


def test_only_one_of_many_simultaneous_runs_gets_it(url: str) -> None:
    """PutParameter Overwrite=False is atomic on AWS; the emulator serialises SSM writes to match."""
    winners: list[LockInfo] = []
    refused: list[str] = []
    barrier = threading.Barrier(12)

    def contend() -> None:
        lock = EnvLock(ssm(url), "fuel-flow", "dev")
        barrier.wait()
        try:
            winners.append(lock.acquire("deploy"))
        except InputError as exc:
            refused.append(exc.message)

    threads = [threading.Thread(target=contend) for _ in range(12)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(winners) == 1 and len(refused) == 11
    assert all(winners[0].id in m or "locked by" in m for m in refused)


def test_released_when_the_block_raises(url: str, project_dir: Path) -> None:
    from fuelflow.aws import Target, connect

    aws: AwsContext = connect(Target(kind="local", endpoint_url=url), "us-east-1")
    env = load_environment(project_dir, "dev")
    with pytest.raises(KeyboardInterrupt), run_lock(aws, env, "deploy"):
        assert EnvLock(ssm(url), "fuel-flow", "dev").holder() is not None
        raise KeyboardInterrupt
    assert EnvLock(ssm(url), "fuel-flow", "dev").holder() is None


# ------------------------------------------------------------------------------------------ the commands


def test_changing_commands_refuse_at_once_while_locked_read_only_ones_run(url: str, project_dir: Path) -> None:
    info = held_by_someone_else(url)
    expected = ("dev is locked by alice@build-7 (pid 123, deploy) since 2026-12-02T07:01:00Z: wait for it, or "
                f"`fuelflow unlock --env dev 3f1c-alice --endpoint-url {url}` if that run is dead")
    for argv in (["deploy", "--yes"], ["destroy", "--yes", "--force", "--confirm", "dev"]):
        started = time.monotonic()
        code, _out, err = run(project_dir, *argv, "--env", "dev", "--endpoint-url", url)
        assert code == 2, err
        assert time.monotonic() - started < 10
        assert f"error: {expected}" in " ".join(err.split()), err
    assert stacks(url) == []  # nothing was changed

    code, _out, err = run(project_dir, "diff", "--env", "dev", "--endpoint-url", url)
    assert code == 0, err
    assert "warning: dev is locked by alice@build-7" in err  # said, not refused: diff changes nothing
    code, _out, err = run(project_dir, "status", "--env", "dev", "--endpoint-url", url)
    assert code == 0, err

    code, _out, err = run(project_dir, "unlock", "--env", "dev", "not-the-id", "--endpoint-url", url)
    assert code == 2 and "does not match" in err
    code, out, err = run(project_dir, "unlock", "--env", "dev", info.id, "--endpoint-url", url)
    assert code == 0, err
    assert "unlocked dev (was held by alice@build-7, pid 123, deploy" in out
    code, _out, err = run(project_dir, "deploy", "--env", "dev", "--endpoint-url", url, "--yes")
    assert code == 0, err[-2000:]
    assert sorted(stacks(url)) == sorted(DEV_STACKS)
    assert EnvLock(ssm(url), "fuel-flow", "dev").holder() is None  # released after success


@pytest.mark.parametrize("argv", [["tf", "apply", "--yes"], ["deploy", "--engine", "terraform", "--yes"],
                                  ["tf", "destroy", "--yes", "--force", "--confirm", "dev"]])
def test_the_terraform_path_refuses_at_once_too(url: str, project_dir: Path, argv: list[str]) -> None:
    """Terraform's own state lock would make a second apply wait (-lock-timeout=60s) and then fail with 1."""
    from fuelflow.tf.toolchain import Toolchain

    try:
        Toolchain.resolve()
    except InputError as exc:
        pytest.skip(f"SKIPPED (terraform): {exc.one_line()}")
    held_by_someone_else(url)
    started = time.monotonic()
    code, _out, err = run(project_dir, *argv, "--env", "dev", "--endpoint-url", url)
    assert code == 2, err
    assert "dev is locked by alice@build-7 (pid 123, deploy)" in err
    assert time.monotonic() - started < 10


def test_two_deploys_of_one_environment_one_runs_the_other_exits_2(url: str, project_dir: Path) -> None:
    set_faults(url, [{"action": "ExecuteChangeSet", "delay": 1}])  # the first run takes a while
    first = Run("deploy", "--env", "dev", "--endpoint-url", url, "--yes", cwd=project_dir)
    deadline = time.monotonic() + 60
    while EnvLock(ssm(url), "fuel-flow", "dev").holder() is None:
        assert first.proc.poll() is None and time.monotonic() < deadline, first.stderr[-2000:]
        time.sleep(0.05)
    second = Run("deploy", "--env", "dev", "--endpoint-url", url, "--yes", cwd=project_dir)
    assert second.finish(timeout=30) == 2, second.stderr[-2000:]
    assert f"dev is locked by {LockInfo.mine('x').who} (pid {first.proc.pid}, deploy)" in second.stderr
    assert first.proc.poll() is None  # the second did not wait for the first
    assert first.finish() == 0, first.stderr[-2000:]
    assert sorted(stacks(url)) == sorted(DEV_STACKS)
    assert EnvLock(ssm(url), "fuel-flow", "dev").holder() is None


def test_two_environments_deploy_at_the_same_time(url: str, project_dir: Path) -> None:
    set_faults(url, [{"action": "ExecuteChangeSet", "delay": 0.5}])
    runs = [Run("deploy", "--env", env, "--endpoint-url", url, "--yes", cwd=project_dir) for env in ("dev", "prod")]
    codes = [r.finish() for r in runs]
    assert codes == [0, 0], [r.stderr[-1500:] for r in runs]
    assert {s for s in stacks(url) if s.endswith("-prod")} == {s.replace("-dev", "-prod") for s in DEV_STACKS}
    assert set(DEV_STACKS) <= set(stacks(url))


def test_unlock_without_a_target_is_refused_not_told_nothing_is_locked(project_dir: Path) -> None:
    """Without --endpoint-url, unlock would read a throwaway emulator and say "not locked" about a lock that
    exists elsewhere: it is refused before starting anything."""
    code, _out, err = run(project_dir, "unlock", "--env", "dev", "some-id")
    assert code == 2
    assert "unlock needs the target that holds the lock" in err and "--endpoint-url" in err
