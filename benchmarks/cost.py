"""Benchmark: how long `fuelflow cost --env ENV` takes with each engine, as a user runs it (a process).

The CloudFormation path evaluates the templates (no AWS call); the Terraform path plans the root module
with the mock provider (terraform init + two `terraform test` plans, offline). Prints the wall time of each
run, the median, and the total each engine priced (they must agree).

    .venv/bin/python benchmarks/cost.py [--env prod] [--runs 3] [--engine cloudformation --engine terraform]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FUELFLOW = str(Path(sys.executable).parent / "fuelflow")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--env", default="prod")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--engine", action="append", choices=["cloudformation", "terraform"])
    args = parser.parse_args()
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    for engine in args.engine or ["cloudformation", "terraform"]:
        times, totals = [], set()
        for _ in range(args.runs):
            start = time.perf_counter()
            proc = subprocess.run([FUELFLOW, "-C", str(ROOT), "cost", "--env", args.env, "--engine", engine,
                                   "-o", "json"], capture_output=True, text=True, env=env, check=False)
            times.append(time.perf_counter() - start)
            if proc.returncode != 0:
                print(f"{engine}: exit {proc.returncode}: {proc.stderr.strip()[-300:]}", file=sys.stderr)
                return 1
            totals.add(json.loads(proc.stdout)["total_monthly"])
        print(f"fuelflow cost --env {args.env} --engine {engine}: median {statistics.median(times):.2f} s "
              f"(runs: {', '.join(f'{t:.2f}' for t in times)}); total ${', '.join(map(str, sorted(totals)))}/month")
    return 0


if __name__ == "__main__":
    sys.exit(main())
