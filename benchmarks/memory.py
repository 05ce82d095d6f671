"""Benchmark (d): memory. The peak RSS of `fuelflow deploy --env prod` on the embedded emulator (the command's
own process holds the emulator), then a soak: --cycles deploy/destroy cycles of prod on one `fuelflow local`,
printing the emulator's RSS after each cycle and each command's peak RSS, with the trend over the cycles.

Each command runs as its own process, as a user runs it; its peak RSS comes from the kernel (wait4's
ru_maxrss), the emulator's current RSS from /proc/PID/status (Linux).

    .venv/bin/python benchmarks/memory.py [--env prod] [--cycles 20]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from local_deploy import fresh_emulator, load, run_env

from fuelflow.config import load_environment

ROOT = Path(__file__).resolve().parents[1]
# "No growth": the emulator's RSS over the second half of the cycles rises by less than this per cycle (moto
# keeps a little per deleted stack - its events and the stack in the DELETE_COMPLETE list - as AWS does).
GROWTH_MIB_PER_CYCLE = 1.0


def run_peak(cmd: list[str], env: dict[str, str]) -> tuple[int, float, float]:
    """Run `cmd`; (exit code, wall seconds, peak RSS in MiB) of that process."""
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    wall = time.perf_counter() - t0
    if proc.returncode != 0:
        err = proc.stderr.read().decode(errors="replace") if proc.stderr else ""
        raise SystemExit(f"{' '.join(cmd[:4])} ... exited {proc.returncode}: {err.strip().splitlines()[-1:]}")
    return proc.returncode, wall, usage.ru_maxrss / 1024


def rss_mib(pid: int) -> float:
    """The current resident set of process `pid`, MiB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def slope(values: list[float]) -> float:
    """Least-squares slope of `values` per step."""
    n = len(values)
    if n < 2:
        return 0.0
    xs = range(n)
    mx, my = (n - 1) / 2, statistics.fmean(values)
    return sum((x - mx) * (y - my) for x, y in zip(xs, values, strict=True)) / sum((x - mx) ** 2 for x in xs)


def kept(url: str, region: str) -> str:
    """What a destroy leaves in the account by design or as AWS does: deleted stacks (listed for 90 days, with
    their events), final DB snapshots (DECISIONS 5.5), terminated instances. The emulator keeps them forever:
    its RSS grows with them, not with anything fuelflow holds."""
    import boto3

    kw: dict[str, str] = {"endpoint_url": url, "region_name": region, "aws_access_key_id": "test",
                          "aws_secret_access_key": "test"}
    stacks = boto3.client("cloudformation", **kw).get_paginator("list_stacks").paginate(
        StackStatusFilter=["DELETE_COMPLETE"])
    deleted = sum(len(page["StackSummaries"]) for page in stacks)
    snapshots = len(boto3.client("rds", **kw).describe_db_snapshots(SnapshotType="manual")["DBSnapshots"])
    reservations = boto3.client("ec2", **kw).describe_instances(
        Filters=[{"Name": "instance-state-name", "Values": ["terminated"]}])["Reservations"]
    terminated = sum(len(r["Instances"]) for r in reservations)
    return f"{deleted} deleted stacks, {snapshots} final snapshots, {terminated} terminated instances"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--env", default="prod")
    parser.add_argument("--cycles", type=int, default=20)
    args = parser.parse_args()

    fuelflow = str(Path(sys.executable).with_name("fuelflow"))
    env = run_env()
    region = load_environment(ROOT, args.env).region
    print(f"before: {load()}")
    _, wall, peak = run_peak([fuelflow, "-C", str(ROOT), "deploy", "--env", args.env, "--yes"], env)
    print(f"fuelflow deploy --env {args.env} on the embedded emulator: peak RSS {peak:.0f} MiB "
          f"(the command with its emulator), {wall:.1f} s")

    if args.cycles <= 0:
        return 0
    deploy = [fuelflow, "-C", str(ROOT), "deploy", "--env", args.env, "--yes", "--endpoint-url"]
    destroy = [fuelflow, "-C", str(ROOT), "destroy", "--env", args.env, "--yes", "--force",
               "--disable-deletion-protection", "--confirm", args.env, "--endpoint-url"]
    rss: list[float] = []
    with fresh_emulator(Path(fuelflow), env) as (url, pid):
        print(f"soak: {args.cycles} x (deploy, destroy) of {args.env} on one `fuelflow local` (pid {pid}); "
              f"emulator RSS at start {rss_mib(pid):.0f} MiB")
        print("cycle  emulator RSS  deploy peak  destroy peak  deploy s  destroy s  "
              "kept by the emulator (as AWS keeps them)")
        for cycle in range(1, args.cycles + 1):
            _, dw, dp = run_peak([*deploy, url], env)
            _, xw, xp = run_peak([*destroy, url], env)
            rss.append(rss_mib(pid))
            print(f"{cycle:5d}  {rss[-1]:8.0f} MiB  {dp:7.0f} MiB  {xp:8.0f} MiB  {dw:8.1f}  {xw:9.1f}  "
                  f"{kept(url, region)}", flush=True)
    if len(rss) < 4:
        print(f"emulator RSS: {', '.join(f'{r:.0f}' for r in rss)} MiB; too few cycles to judge growth (use >= 4)")
        return 0
    half = rss[len(rss) // 2:]
    trend = slope(half)
    print(f"after:  {load()}")
    print(f"emulator RSS: first cycle {rss[0]:.0f} MiB, last {rss[-1]:.0f} MiB; trend over the second half "
          f"{trend:+.2f} MiB/cycle  target < {GROWTH_MIB_PER_CYCLE} MiB/cycle: "
          f"{'met' if trend < GROWTH_MIB_PER_CYCLE else 'NOT met'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
