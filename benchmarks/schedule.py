"""Benchmark (b): the engine's schedule under AWS-like creation times.

A scripted fake CloudFormation (tests/fake_cfn.py) makes each stack take a realistic duration, scaled
down by --scale, and the engine's polling is scaled by the same factor. Prints the wall time against
the graph's critical path (the best any scheduler can do) and against the sequential sum.

    .venv/bin/python benchmarks/schedule.py [--env dev] [--scale 200] [--runs 5]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from fake_cfn import FakeCloudFormation  # noqa: E402
from fuelflow.config import load_environment  # noqa: E402
from fuelflow.engine import Engine, PollConfig  # noqa: E402
from fuelflow.plan import build_plan  # noqa: E402

# Typical CloudFormation create times in us-east-1, seconds (single-AZ db.t3.micro takes 6-10 minutes).
AWS_SECONDS = {"network": 45.0, "s3": 25.0, "iam": 35.0, "ec2": 110.0, "rds": 540.0}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--env", default="dev")
    parser.add_argument("--scale", type=float, default=200.0, help="divide AWS durations and polling by this")
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()

    env = load_environment(ROOT, args.env)
    plan = build_plan(ROOT, env)
    durations = {sp.name: AWS_SECONDS.get(sp.part, 60.0) / args.scale for sp in plan.ordered()}
    default = PollConfig()
    poll = PollConfig(initial=default.initial / args.scale, factor=default.factor,
                      maximum=default.maximum / args.scale, timeout=600)
    critical = plan.graph.critical_path(durations)
    sequential = sum(durations.values())

    walls = []
    for _ in range(args.runs):
        fake = FakeCloudFormation(durations=durations)
        engine = Engine(lambda _s, f=fake: f, poll=poll)
        states = engine.check_states(plan, False)
        previews = engine.preview(plan, states)
        t0 = time.perf_counter()
        report = engine.deploy(plan, previews, states)
        walls.append(time.perf_counter() - t0)
        assert report.ok, report.to_dict()

    wall = statistics.median(walls)
    print(f"graph waves: {plan.to_dict()['waves']}")
    print(f"stack durations (s, scaled 1/{args.scale:g}): "
          + ", ".join(f"{sp.part}={durations[sp.name]:.3f}" for sp in plan.ordered()))
    print(f"critical path:      {critical:.3f} s")
    print(f"sequential sum:     {sequential:.3f} s")
    print(f"engine wall time:   {wall:.3f} s (median of {args.runs}; min {min(walls):.3f}, max {max(walls):.3f})")
    print(f"wall / critical:    {wall / critical:.3f}  (aim: <= 1.05)")
    print(f"wall / sequential:  {wall / sequential:.3f}")
    print(f"at AWS scale:       ~{wall * args.scale / 60:.1f} min, against {sequential * args.scale / 60:.1f} min "
          "one stack after another")
    return 0


if __name__ == "__main__":
    sys.exit(main())
