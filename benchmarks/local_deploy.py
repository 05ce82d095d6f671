"""Benchmark (a): a full local deploy of an environment with `fuelflow deploy`, beside the same
templates deployed one after another with `aws cloudformation deploy`, on the same emulator.

Both run as command-line programs (one process per command, as a user would run them) against one
embedded emulator, emptied before every run. The AWS CLI is installed on first use into
.venv-awscli (it pins its own botocore). Prints the times and their ratio.

    .venv/bin/python benchmarks/local_deploy.py [--env dev] [--runs 3]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

import boto3

from fuelflow.config import load_environment
from fuelflow.emulator import Emulator
from fuelflow.plan import build_plan

ROOT = Path(__file__).resolve().parents[1]
AWSCLI_VENV = ROOT / ".venv-awscli"


def awscli() -> Path:
    aws = AWSCLI_VENV / "bin" / "aws"
    if not aws.exists():
        print("installing the AWS CLI into .venv-awscli ...", file=sys.stderr)
        subprocess.run([sys.executable, "-m", "venv", str(AWSCLI_VENV)], check=True)
        subprocess.run([str(AWSCLI_VENV / "bin" / "pip"), "install", "-q", "awscli"], check=True)
    return aws


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--env", default="dev")
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()

    env = load_environment(ROOT, args.env)
    plan = build_plan(ROOT, env)
    aws = awscli()
    fuelflow = Path(sys.executable).with_name("fuelflow")
    base_env = {**os.environ, "AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test",
                "AWS_DEFAULT_REGION": env.region, "NO_COLOR": "1"}
    base_env.pop("AWS_PROFILE", None)

    ours, theirs = [], []
    with Emulator() as emu:
        def fresh() -> None:
            """Empty the emulator, then wake its backends, so neither tool pays moto's first-use cost."""
            emu.reset()
            session = boto3.Session(aws_access_key_id="test", aws_secret_access_key="test", region_name=env.region)
            for service, call in [("cloudformation", "list_stacks"), ("ec2", "describe_vpcs"),
                                  ("s3", "list_buckets"), ("iam", "list_roles"), ("rds", "describe_db_instances"),
                                  ("logs", "describe_log_groups"), ("ssm", "describe_parameters"),
                                  ("cloudwatch", "describe_alarms")]:
                getattr(session.client(service, endpoint_url=emu.endpoint_url), call)()

        for _ in range(args.runs):
            fresh()
            t0 = time.perf_counter()
            subprocess.run([str(fuelflow), "-C", str(ROOT), "deploy", "--env", env.name, "--yes",
                            "--endpoint-url", emu.endpoint_url], check=True, env=base_env,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            ours.append(time.perf_counter() - t0)

            fresh()
            t0 = time.perf_counter()
            for sp in plan.ordered():  # one after another, in an order that works
                cmd = [str(aws), "--endpoint-url", emu.endpoint_url, "cloudformation", "deploy",
                       "--template-file", str(sp.template.path), "--stack-name", sp.name,
                       "--capabilities", "CAPABILITY_NAMED_IAM", "--no-fail-on-empty-changeset"]
                if sp.parameters:
                    cmd += ["--parameter-overrides", *(f"{k}={v}" for k, v in sp.parameters.items())]
                cmd += ["--tags", *(f"{k}={v}" for k, v in sp.tags.items())]
                subprocess.run(cmd, check=True, env=base_env, stdout=subprocess.DEVNULL)
            theirs.append(time.perf_counter() - t0)

    a, b = statistics.median(ours), statistics.median(theirs)
    print(f"environment: {env.name}, {len(plan.ordered())} stacks, waves {plan.to_dict()['waves']}")
    print(f"fuelflow deploy:                 {a:.2f} s (median of {args.runs}: {', '.join(f'{x:.2f}' for x in ours)})")
    print(f"aws cloudformation deploy x{len(plan.ordered())}:    {b:.2f} s (median of {args.runs}: "
          f"{', '.join(f'{x:.2f}' for x in theirs)})")
    print(f"ratio fuelflow / aws cli:        {a / b:.3f}  (aim: <= 0.35)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
