"""Benchmark (a): `fuelflow deploy` on a running emulator, beside the AWS CLI deploying the same templates.

For each of --runs pairs, each tool gets its own freshly started `fuelflow local` process (a running emulator
that nothing has warmed: moto pays its first-use cost inside the measured time, as it does for a user):

- `fuelflow deploy --env E --yes --endpoint-url URL` (a first deploy), then the same command again (a re-deploy
  with nothing to change);
- `aws cloudformation deploy` once per stack, one after another in the plan's order (what a user would run by
  hand; the AWS CLI is the one on PATH, else it is installed on first use into .venv-awscli).

Every command runs as its own process, as a user would run it. Prints the medians with the targets beside
them (first deploy <= 0.35 x the AWS CLI, re-deploy <= 0.5 s) and the machine's load.

    .venv/bin/python benchmarks/local_deploy.py [--env dev] [--runs 5]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from fuelflow.config import load_environment
from fuelflow.emulator import emulator_status, free_port, wait_until_reachable
from fuelflow.plan import build_plan

ROOT = Path(__file__).resolve().parents[1]
AWSCLI_VENV = ROOT / ".venv-awscli"
FIRST_DEPLOY_RATIO = 0.35
REDEPLOY_SECONDS = 0.5


def awscli() -> Path:
    """The AWS CLI: .venv-awscli's, else the one on PATH, else installed into .venv-awscli."""
    aws = AWSCLI_VENV / "bin" / "aws"
    if aws.exists():
        return aws
    on_path = shutil.which("aws")
    if on_path:
        return Path(on_path)
    print("installing the AWS CLI into .venv-awscli ...", file=sys.stderr)
    subprocess.run([sys.executable, "-m", "venv", str(AWSCLI_VENV)], check=True)
    subprocess.run([str(AWSCLI_VENV / "bin" / "pip"), "install", "-q", "awscli"], check=True)
    return aws


def run_env() -> dict[str, str]:
    """The child processes' environment: this checkout's code, fake credentials, no colour."""
    env = {**os.environ, "AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test", "NO_COLOR": "1",
           "PYTHONPATH": str(ROOT / "src") + os.pathsep + os.environ.get("PYTHONPATH", "")}
    env.pop("AWS_PROFILE", None)
    return env


@contextmanager
def fresh_emulator(fuelflow: Path, env: dict[str, str], port: int = 0) -> Iterator[tuple[str, int]]:
    """A `fuelflow local` process of its own (its URL and pid), started and ready (not warmed by any request:
    `fuelflow local` builds its services itself as it starts, see fuelflow.emulator.preload); stopped
    afterwards."""
    port = port or free_port()
    proc = subprocess.Popen([str(fuelflow), "local", "--port", str(port)], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until_reachable(url, timeout=60)
        deadline = time.monotonic() + 120
        while not (emulator_status(url) or {}).get("ready") and time.monotonic() < deadline:
            time.sleep(0.1)
        yield url, proc.pid
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def load() -> str:
    one, five, _ = os.getloadavg()
    return f"load average {one:.2f} (1 min), {five:.2f} (5 min) on {os.cpu_count()} cores"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--env", default="dev")
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()

    environment = load_environment(ROOT, args.env)
    plan = build_plan(ROOT, environment)
    stacks = [sp for sp in plan.ordered() if not sp.nothing]
    aws = awscli()
    fuelflow = Path(sys.executable).with_name("fuelflow")
    env = {**run_env(), "AWS_DEFAULT_REGION": environment.region}
    deploy = [str(fuelflow), "-C", str(ROOT), "deploy", "--env", environment.name, "--yes", "--endpoint-url"]

    def timed(cmd: list[str]) -> float:
        t0 = time.perf_counter()
        subprocess.run(cmd, check=True, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        return time.perf_counter() - t0

    ours, again, theirs, ratios = [], [], [], []
    print(f"before: {load()}")
    for _ in range(args.runs):
        with fresh_emulator(fuelflow, env) as (url, _pid):
            ours.append(timed([*deploy, url]))
            again.append(timed([*deploy, url]))
        with fresh_emulator(fuelflow, env) as (url, _pid):
            t0 = time.perf_counter()
            for sp in stacks:  # one after another, in the plan's order
                cmd = [str(aws), "--endpoint-url", url, "cloudformation", "deploy",
                       "--template-file", str(sp.template.path), "--stack-name", sp.name,
                       "--capabilities", "CAPABILITY_NAMED_IAM", "--no-fail-on-empty-changeset"]
                if sp.parameters:
                    cmd += ["--parameter-overrides", *(f"{k}={v}" for k, v in sp.parameters.items())]
                cmd += ["--tags", *(f"{k}={v}" for k, v in sp.tags.items())]
                subprocess.run(cmd, check=True, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            theirs.append(time.perf_counter() - t0)
        ratios.append(ours[-1] / theirs[-1])

    def row(values: list[float]) -> str:
        return f"median {statistics.median(values):.2f} s of {args.runs}: {', '.join(f'{x:.2f}' for x in values)}"

    ratio = statistics.median(ratios)
    again_median = statistics.median(again)
    print(f"after:  {load()}")
    print(f"environment: {environment.name}, {len(stacks)} stacks, waves {plan.to_dict()['waves']}")
    print(f"fuelflow deploy (first, fresh emulator):   {row(ours)}")
    print(f"aws cloudformation deploy x{len(stacks)} (fresh):   {row(theirs)}  [{aws}]")
    print(f"ratio fuelflow / aws cli (median of pairs): {ratio:.3f}  target <= {FIRST_DEPLOY_RATIO}  "
          f"{'met' if ratio <= FIRST_DEPLOY_RATIO else 'NOT met'}")
    print(f"fuelflow re-deploy, nothing to change:     {row(again)}  target <= {REDEPLOY_SECONDS} s  "
          f"{'met' if again_median <= REDEPLOY_SECONDS else 'NOT met'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
