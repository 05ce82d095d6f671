"""Benchmark (e): what `fuelflow tf apply` adds over running `terraform apply` by hand on the same work copy.

On a `fuelflow local` (a fresh one for every apply, on the same port, so that the work copy's backend and
provider endpoints stay valid), after `fuelflow tf bootstrap` (not timed):

- `fuelflow tf apply --env E --yes --endpoint-url URL` (run lock, fixed-settings check, plan with -out, the
  preview, apply of the saved plan, outputs);
- `terraform -chdir=<work copy> apply -auto-approve -var-file=<the same var-file>` with the environment
  fuelflow gives Terraform (emulator credentials, provider mirror): what a user would type by hand.

A first, untimed `fuelflow tf apply` initialises the work copy (providers), so neither timed run pays for it.
Prints the medians and the overhead with its target (<= 5 %); see docs for where the RDS create's time goes.

    .venv/bin/python benchmarks/terraform_overhead.py [--env dev] [--runs 1]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from local_deploy import fresh_emulator, load, run_env

from fuelflow.aws import Target, connect
from fuelflow.config import load_environment
from fuelflow.emulator import free_port
from fuelflow.output import Ui
from fuelflow.tf.session import open_session

ROOT = Path(__file__).resolve().parents[1]
TARGET_OVERHEAD = 0.05


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--env", default="dev")
    parser.add_argument("--runs", type=int, default=1)
    args = parser.parse_args()

    fuelflow = Path(sys.executable).with_name("fuelflow")
    env = run_env()
    port = free_port()
    common = ["--env", args.env, "--endpoint-url"]

    def run(cmd: list[str], **kw: object) -> float:
        t0 = time.perf_counter()
        subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, **kw)  # type: ignore[call-overload]
        return time.perf_counter() - t0

    def ff(*argv: str, url: str) -> float:
        return run([str(fuelflow), "-C", str(ROOT), *argv, *common, url], env=env)

    print(f"before: {load()}")
    with fresh_emulator(fuelflow, env, port) as (url, _pid):
        ff("tf", "bootstrap", url=url)
        first = ff("tf", "apply", "--yes", url=url)
        environment = load_environment(ROOT, args.env)
        aws = connect(Target(kind="local", endpoint_url=url), environment.region)
        session = open_session(environment, aws, ROOT, Ui(rich=False))
        root, var_file, tf_env = session.root, session.var_file(session.root), session.tf.env
    print(f"first fuelflow tf apply (initialises the work copy; not counted): {first:.1f} s")

    ours, theirs = [], []
    for _ in range(args.runs):
        with fresh_emulator(fuelflow, env, port) as (url, _pid):
            ff("tf", "bootstrap", url=url)
            ours.append(ff("tf", "apply", "--yes", url=url))
        with fresh_emulator(fuelflow, env, port) as (url, _pid):
            ff("tf", "bootstrap", url=url)
            theirs.append(run([session.tf.binary, f"-chdir={root}", "apply", "-input=false", "-auto-approve",
                               f"-var-file={var_file}"], env=tf_env))
    a, b = statistics.median(ours), statistics.median(theirs)
    overhead = a / b - 1
    print(f"after:  {load()}")
    print(f"fuelflow tf apply:         median {a:.1f} s of {args.runs}: {', '.join(f'{x:.1f}' for x in ours)}")
    print(f"terraform apply by hand:   median {b:.1f} s of {args.runs}: {', '.join(f'{x:.1f}' for x in theirs)}")
    verdict = "met" if overhead <= TARGET_OVERHEAD else "NOT met"
    print(f"overhead: {overhead:+.1%}  target <= {TARGET_OVERHEAD:.0%}: {verdict}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
