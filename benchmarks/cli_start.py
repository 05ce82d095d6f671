"""Benchmark (c): how long `fuelflow --help` and `fuelflow plan --env dev` take to start, beside `python -c pass`.

Each command runs --runs times as its own process (the console script, as a user runs it), interleaved so that
a burst of load on a shared machine hits all three alike. Prints wall-clock medians with the target beside
them (<= 0.3 s), the ratio to a bare interpreter's start, the CPU time (user + system: less disturbed by other
processes than the wall clock), and the slowest imports of each command (`python -X importtime`).

    .venv/bin/python benchmarks/cli_start.py [--runs 15] [--top 12]
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TARGET_SECONDS = 0.3
COMMANDS = {"--help": ["--help"], "plan --env dev": ["-C", str(ROOT), "plan", "--env", "dev"]}


def child_env() -> dict[str, str]:
    return {**os.environ, "NO_COLOR": "1",
            "PYTHONPATH": str(ROOT / "src") + os.pathsep + os.environ.get("PYTHONPATH", "")}


def timed(cmd: list[str]) -> tuple[float, float]:
    """(wall seconds, CPU seconds) of one run of `cmd`."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    subprocess.run(cmd, check=True, env=child_env(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def slowest_imports(argv: list[str], top: int) -> list[str]:
    """The `top` imports with the largest cumulative time (-X importtime) while running fuelflow ARGV."""
    probe = f"import sys\nfrom fuelflow.cli import main\nsys.exit(main({argv!r}))\n"
    done = subprocess.run([sys.executable, "-X", "importtime", "-c", probe], env=child_env(),
                          capture_output=True, text=True, check=True)
    rows = []
    for line in done.stderr.splitlines():
        if not line.startswith("import time:") or "cumulative" in line:
            continue
        _, self_us, cumulative_us, name = (part.strip() for part in line.replace("import time:", "|").split("|"))
        rows.append((int(cumulative_us), int(self_us), name))
    rows.sort(reverse=True)
    return [f"{c / 1000:7.1f} ms cumulative {s / 1000:6.1f} ms self  {n}" for c, s, n in rows[:top]]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--top", type=int, default=12)
    args = parser.parse_args()

    fuelflow = str(Path(sys.executable).with_name("fuelflow"))
    runs: dict[str, list[tuple[float, float]]] = {"python -c pass": [], **{name: [] for name in COMMANDS}}
    print(f"before: load average {os.getloadavg()[0]:.2f} (1 min) on {os.cpu_count()} cores")
    for _ in range(args.runs):
        runs["python -c pass"].append(timed([sys.executable, "-c", "pass"]))
        for name, argv in COMMANDS.items():
            runs[name].append(timed([fuelflow, *argv]))
    print(f"after:  load average {os.getloadavg()[0]:.2f} (1 min) on {os.cpu_count()} cores")

    bare = statistics.median(w for w, _ in runs["python -c pass"])
    for name, values in runs.items():
        wall = statistics.median(w for w, _ in values)
        cpu = statistics.median(c for _, c in values)
        line = (f"{name:<16} wall median {wall:.3f} s (min {min(w for w, _ in values):.3f}), "
                f"CPU median {cpu:.3f} s, ratio to python -c pass {wall / bare:5.1f}")
        if name in COMMANDS:
            line += f"  target <= {TARGET_SECONDS} s wall: {'met' if wall <= TARGET_SECONDS else 'NOT met'}"
        print(line)
    for name, argv in COMMANDS.items():
        print(f"\nslowest imports of `fuelflow {name}` (python -X importtime):")
        for row in slowest_imports(argv, args.top):
            print(f"  {row}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
