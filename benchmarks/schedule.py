"""Benchmark (b): the engine's schedule under AWS-like creation times.

A scripted fake CloudFormation (tests/fake_cfn.py) makes each stack take a realistic duration, scaled
down by --scale, and the engine's polling is scaled by the same factor. Prints the wall time against
the graph's critical path (the best any scheduler can do) and against the sequential sum, for the current
templates and for the graph before the web security groups moved into the network stack (issue 12: the
templates of the commit before the move, from git), each figure with its target beside it.

    .venv/bin/python benchmarks/schedule.py [--env dev] [--scale 200] [--runs 5]
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from fake_cfn import FakeCloudFormation  # noqa: E402
from fuelflow.config import load_environment  # noqa: E402
from fuelflow.engine import Engine, PollConfig  # noqa: E402
from fuelflow.plan import Plan, build_plan  # noqa: E402

# Typical CloudFormation create times in us-east-1, seconds (single-AZ db.t3.micro takes 6-10 minutes).
AWS_SECONDS = {"network": 45.0, "s3": 25.0, "iam": 35.0, "ec2": 110.0, "rds": 540.0}


CRITICAL_PATH_CUT = 0.15  # issue 12: the critical path drops by about 15 %


def templates_before_the_move(into: Path) -> Path | None:
    """A project dir with the templates of the commit before the web SG left the ec2 stack (None: no git)."""
    git = shutil.which("git")
    if git is None:
        return None
    found = subprocess.run([git, "-C", str(ROOT), "log", "-1", "--format=%H", "-S", "WebSshIngress1:", "--",
                            "cloudformation/ec2-instances.yaml"], capture_output=True, text=True)
    if found.returncode or not found.stdout.strip():
        return None
    (into / "cloudformation").mkdir(parents=True)
    (into / "environments").symlink_to(ROOT / "environments")
    for path in sorted((ROOT / "cloudformation").glob("*.yaml")):
        shown = subprocess.run([git, "-C", str(ROOT), "show", f"{found.stdout.strip()}~1:cloudformation/{path.name}"],
                               capture_output=True, text=True, check=True)
        (into / "cloudformation" / path.name).write_text(shown.stdout)
    return into


def measure(plan: Plan, scale: float, runs: int) -> dict[str, float]:
    durations = {sp.name: AWS_SECONDS.get(sp.part, 60.0) / scale for sp in plan.ordered() if not sp.nothing}
    default = PollConfig()
    poll = PollConfig(initial=default.initial / scale, factor=default.factor,
                      maximum=default.maximum / scale, timeout=600)
    walls = []
    for _ in range(runs):
        fake = FakeCloudFormation(durations=durations)
        engine = Engine(lambda _s, f=fake: f, poll=poll)
        states = engine.check_states(plan, False)
        previews = engine.preview(plan, states)
        t0 = time.perf_counter()
        report = engine.deploy(plan, previews, states)
        walls.append(time.perf_counter() - t0)
        assert report.ok, report.to_dict()
    return {"critical": plan.graph.critical_path({n: durations.get(n, 0.0) for n in plan.graph.nodes}),
            "sequential": sum(durations.values()), "wall": statistics.median(walls), "min": min(walls),
            "max": max(walls)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--env", default="dev")
    parser.add_argument("--scale", type=float, default=200.0, help="divide AWS durations and polling by this")
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()

    env = load_environment(ROOT, args.env)
    plan = build_plan(ROOT, env)
    now = measure(plan, args.scale, args.runs)
    with tempfile.TemporaryDirectory() as tmp:
        old_project = templates_before_the_move(Path(tmp))
        old_plan = build_plan(old_project, env) if old_project else None
        before = measure(old_plan, args.scale, args.runs) if old_plan else None

    to_min = args.scale / 60
    print(f"stack durations (s, scaled 1/{args.scale:g}; AWS-like create times): "
          + ", ".join(f"{sp.part}={AWS_SECONDS.get(sp.part, 60.0) / args.scale:.3f}"
                      for sp in plan.ordered() if not sp.nothing))
    if old_plan and before:
        print(f"before (web SG in the ec2 stack) waves: {old_plan.to_dict()['waves']}")
    print(f"now    (web SG in the network stack) waves: {plan.to_dict()['waves']}")
    print(f"engine wall time:   {now['wall']:.3f} s (median of {args.runs}; min {now['min']:.3f}, "
          f"max {now['max']:.3f})")
    print(f"wall / critical:    {now['wall'] / now['critical']:.3f}  (target: <= 1.05)")
    if before:
        target = before["critical"] * (1 - CRITICAL_PATH_CUT)
        cut = 1 - now["critical"] / before["critical"]
        print(f"critical path:      {before['critical']:.3f} s -> {now['critical']:.3f} s scaled "
              f"(~{before['critical'] * to_min:.1f} -> ~{now['critical'] * to_min:.1f} min at AWS scale): "
              f"-{cut:.1%}  (target: about -{CRITICAL_PATH_CUT:.0%}, <= ~{target:.3f} s / "
              f"~{target * to_min:.1f} min)")
        print(f"wall / sequential:  {before['wall'] / before['sequential']:.3f} -> "
              f"{now['wall'] / now['sequential']:.3f}  (target: lower than before)")
        print(f"engine wall time:   {before['wall']:.3f} s -> {now['wall']:.3f} s "
              f"(~{before['wall'] * to_min:.1f} -> ~{now['wall'] * to_min:.1f} min at AWS scale)")
    else:
        print(f"critical path:      {now['critical']:.3f} s (before: not measured, no git history)")
        print(f"wall / sequential:  {now['wall'] / now['sequential']:.3f}")
    print(f"at AWS scale:       ~{now['wall'] * to_min:.1f} min, against {now['sequential'] * to_min:.1f} min "
          "one stack after another")
    return 0


if __name__ == "__main__":
    sys.exit(main())
