"""Prowler, the independent audit: run it against an emulator, keep its FAILs on the environment's resources,
and hold them against the reviewed exceptions file (`security/exceptions.yaml`).

Prowler lives in a virtual environment of its own (`.venv-prowler`, created by `bash scripts/bootstrap.sh
--test`; it pins its own boto3). It is run offline: the emulator's endpoint through AWS_ENDPOINT_URL, dummy
credentials, only the services this architecture uses, and every other address behind a proxy that does not
exist (127.0.0.1:9), so a check that would fetch something from the internet fails at once instead of reaching
out (Prowler's version check runs only for `prowler --version`; its region list is bundled).

`python -m fuelflow.audit.prowler --env dev` deploys the environment on a fresh embedded emulator (or reads
the one at --endpoint-url), runs Prowler and prints its counts: checks run, FAIL total, FAIL on project
resources, and those by exception kind (accepted, emulator, pending) or unexplained. Exit 0 when every FAIL on
a project resource is explained and no exception is stale, 3 otherwise (2: bad input).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fuelflow.audit.exceptions import KINDS, Exception_, Exceptions
from fuelflow.audit.exceptions import load as load_exceptions
from fuelflow.audit.names import Names
from fuelflow.errors import ExitCode, FuelflowError, InputError

PROWLER_ENV = "FUELFLOW_PROWLER"
PROWLER_FIX = ("install it: bash scripts/bootstrap.sh --test (creates .venv-prowler), or point FUELFLOW_PROWLER "
               "at a prowler")
# The AWS services this architecture uses (Prowler's names: `cloudwatch` covers CloudWatch Logs, `vpc` the
# VPC-level checks). The edge stack's CloudFront/WAF/Route 53 are off in dev and prod today; add them here
# when an environment turns them on (route53 would need EXCLUDED_CHECKS below: it fetches AWS's IP ranges).
SERVICES = ("cloudformation", "cloudwatch", "ec2", "elbv2", "autoscaling", "iam", "kms", "rds", "s3",
            "secretsmanager", "sns", "ssm", "vpc")
# Checks that need the internet (nothing else may be reached while Prowler runs).
EXCLUDED_CHECKS = ("route53_dangling_ip_subdomain_takeover",)
DEAD_PROXY = "http://127.0.0.1:9"  # the discard port: nothing listens, so a request to the internet fails at once
OUTPUT_NAME = "prowler"


def find_prowler(project_dir: Path) -> str | None:
    """FUELFLOW_PROWLER (if set, nothing else is tried), else <project>/.venv-prowler, else PATH."""
    configured = os.environ.get(PROWLER_ENV)
    if configured:
        return configured if Path(configured).exists() else None
    for candidate in (project_dir / ".venv-prowler" / "bin" / "prowler",
                      project_dir / ".venv-prowler" / "Scripts" / "prowler.exe"):
        if candidate.exists():
            return str(candidate)
    return shutil.which("prowler")


def prowler_environment(endpoint_url: str, region: str, base: dict[str, str] | None = None) -> dict[str, str]:
    """The process environment of an offline Prowler run against the emulator at `endpoint_url`."""
    env = {k: v for k, v in (os.environ if base is None else base).items()
           if not k.startswith("AWS_") and k.upper() not in ("HTTP_PROXY", "HTTPS_PROXY", "NO_PROXY", "ALL_PROXY")}
    host = endpoint_url.split("://", 1)[-1].split("/", 1)[0].rsplit(":", 1)[0]
    env.update({
        "AWS_ENDPOINT_URL": endpoint_url,
        "AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test",
        "AWS_DEFAULT_REGION": region, "AWS_REGION": region,
        "AWS_EC2_METADATA_DISABLED": "true",
        # S3 Control and others put the account id in front of the host (123456789012.127.0.0.1): off.
        "AWS_DISABLE_HOST_PREFIX_INJECTION": "true",
        "HTTP_PROXY": DEAD_PROXY, "HTTPS_PROXY": DEAD_PROXY, "http_proxy": DEAD_PROXY, "https_proxy": DEAD_PROXY,
        "NO_PROXY": f"{host},127.0.0.1,localhost", "no_proxy": f"{host},127.0.0.1,localhost",
    })
    return env


def prowler_command(prowler: str, region: str, out_dir: Path, services: Sequence[str] = SERVICES) -> list[str]:
    excluded = [c for c in EXCLUDED_CHECKS if c.split("_", 1)[0] in services]
    return [prowler, "aws", "--services", *services, "--region", region, "--output-formats", "json-ocsf",
            "--output-directory", str(out_dir), "--output-filename", OUTPUT_NAME, "--no-banner", "--no-color",
            "--ignore-exit-code-3", "--log-level", "ERROR", *(["--excluded-check", *excluded] if excluded else [])]


def checks_in_scope(prowler: str, services: Sequence[str] = SERVICES) -> list[str]:
    """The checks Prowler runs for `services`: the check folders of its installed package (each holds
    `<check>.metadata.json`), without EXCLUDED_CHECKS. Read from disk, since `--list-checks` costs 40 s."""
    venv = Path(prowler).resolve().parent.parent
    roots = sorted(venv.glob("lib/python3*/site-packages/prowler/providers/aws/services"))
    found: set[str] = set()
    for root in roots:
        for service in services:
            for folder in (root / service).glob("*/"):
                if (folder / f"{folder.name}.metadata.json").is_file() and folder.name not in EXCLUDED_CHECKS:
                    found.add(folder.name)
    return sorted(found)


@dataclass(frozen=True)
class Finding:
    """One Prowler finding (from its OCSF JSON)."""

    check: str
    status: str  # PASS, FAIL, MANUAL
    severity: str
    uid: str  # the resource's ARN (or Prowler's stand-in for an account-level check)
    name: str
    labels: tuple[str, ...]  # "Key:Value" tags
    detail: str

    @classmethod
    def from_ocsf(cls, raw: dict[str, Any]) -> Finding:
        resource = (raw.get("resources") or [{}])[0]
        return cls(str(raw["metadata"]["event_code"]), str(raw.get("status_code", "")),
                   str(raw.get("severity", "")), str(resource.get("uid") or ""), str(resource.get("name") or ""),
                   tuple(str(label) for label in resource.get("labels") or []),
                   str(raw.get("status_detail") or raw.get("message") or ""))

    @property
    def resources(self) -> tuple[str, ...]:
        """What an exception's resource pattern is matched against: the ARN, the name, each `Key:Value` tag."""
        return (self.uid, self.name, *self.labels)


def read_findings(path: Path) -> list[Finding]:
    try:
        data = json.loads(path.read_text() or "[]")
    except (OSError, json.JSONDecodeError) as exc:
        raise FuelflowError(f"cannot read Prowler's output {path}: {exc}", "run Prowler again") from exc
    return [Finding.from_ocsf(raw) for raw in data]


@dataclass(frozen=True)
class Project:
    """How to recognise the environment's resources among everything the account holds."""

    project: str
    env: str
    anchors: frozenset[str]  # names and ids that only the environment's resources carry

    def owns(self, finding: Finding) -> bool:
        labels = set(finding.labels)
        if {f"Project:{self.project}", f"Environment:{self.env}"} <= labels:
            return True
        text = "\n".join((finding.uid, finding.name, *finding.labels))
        return any(anchor in text for anchor in self.anchors)


def project_anchors(aws: Any, names: Names, parts: Iterable[str]) -> frozenset[str]:
    """Names and ids that mark the environment's resources: the names `fuelflow.names` builds, every physical id
    in its stacks, and what AWS creates inside its VPCs (default network ACL and security group, main route
    table): those carry no tags of ours but are ours all the same. `aws` is a fuelflow.aws.AwsContext."""
    import botocore.exceptions

    anchors = {names.stack(p) for p in parts}
    anchors |= set(names.buckets.values()) | set(names.roles) | set(names.log_groups)
    anchors |= {names.instance_profile, names.db_instance, names.db_replica, names.web_sg, names.db_sg,
                names.alb_sg, names.load_balancer, names.target_group, names.asg, names.log_group_prefix,
                names.alerts_topic, names.flow_log_group, names.flow_logs_role, names.web_acl, names.state_bucket,
                names.lock_table, f"/aws/rds/instance/{names.db_instance}/"}
    cfn = aws.client("cloudformation")
    for part in parts:
        try:
            for page in cfn.get_paginator("list_stack_resources").paginate(StackName=names.stack(part)):
                anchors |= {r["PhysicalResourceId"] for r in page["StackResourceSummaries"]
                            if r.get("PhysicalResourceId")}
        except botocore.exceptions.ClientError:
            continue  # not deployed (or the Terraform path): names and tags still recognise its resources
    ec2 = aws.client("ec2")
    tagged = [{"Name": "tag:Project", "Values": [names.project]}, {"Name": "tag:Environment", "Values": [names.env]}]
    vpcs = {v["VpcId"] for v in ec2.describe_vpcs(Filters=tagged)["Vpcs"]}
    vpcs |= {a for a in anchors if a.startswith("vpc-")}
    if vpcs:
        in_vpc = [{"Name": "vpc-id", "Values": sorted(vpcs)}]
        anchors |= vpcs
        anchors |= {a["NetworkAclId"] for a in ec2.describe_network_acls(Filters=in_vpc)["NetworkAcls"]}
        anchors |= {g["GroupId"] for g in ec2.describe_security_groups(Filters=in_vpc)["SecurityGroups"]}
        anchors |= {t["RouteTableId"] for t in ec2.describe_route_tables(Filters=in_vpc)["RouteTables"]}
        anchors |= {s["SubnetId"] for s in ec2.describe_subnets(Filters=in_vpc)["Subnets"]}
    return frozenset(a for a in anchors if a and len(a) > 3)


@dataclass
class Evaluation:
    """A Prowler run judged against the exceptions file."""

    checks_run: int
    findings: list[Finding]
    project_fails: list[tuple[Finding, Exception_ | None]]
    unused: list[Exception_]
    seconds: float = 0.0
    env: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def fails(self) -> list[Finding]:
        return [f for f in self.findings if f.status == "FAIL"]

    @property
    def unexplained(self) -> list[Finding]:
        return [f for f, e in self.project_fails if e is None]

    def by_kind(self) -> dict[str, int]:
        counted = Counter(e.kind for _, e in self.project_fails if e is not None)
        return {**{k: counted.get(k, 0) for k in KINDS}, "unexplained": len(self.unexplained)}

    @property
    def ok(self) -> bool:
        return not self.unexplained and not self.unused

    def counts(self) -> dict[str, Any]:
        return {
            "environment": self.env, "checks_run": self.checks_run,
            "checks_with_findings": len({f.check for f in self.findings}),
            "findings": len(self.findings), "pass": sum(f.status == "PASS" for f in self.findings),
            "fail": len(self.fails), "fail_on_project_resources": len(self.project_fails),
            "by_kind": self.by_kind(), "unused_exceptions": len(self.unused), "seconds": round(self.seconds, 1),
        }

    def problems(self) -> list[str]:
        """One line per unexplained FAIL (check id, resource, Prowler's reason) and per stale exception."""
        lines = [f"unexplained FAIL {f.check} on {f.uid or f.name}: {f.detail}" for f in self.unexplained]
        lines += [f"stale: {e.label()} matched no FAIL in {self.env}: remove it (fixed?) or correct its pattern"
                  for e in self.unused]
        return lines


def evaluate(findings: list[Finding], exceptions: Exceptions, project: Project, checks_run: int) -> Evaluation:
    project_fails: list[tuple[Finding, Exception_ | None]] = []
    for f in findings:
        if f.status == "FAIL" and project.owns(f):
            project_fails.append((f, exceptions.find("prowler", f.check, project.project, project.env, f.resources)))
    used = [e for _, e in project_fails if e is not None]
    return Evaluation(checks_run, findings, project_fails, exceptions.unused("prowler", project.env, used),
                      env=project.env)


def run_prowler(prowler: str, endpoint_url: str, region: str, work_dir: Path,
                services: Sequence[str] = SERVICES, timeout: float = 1800) -> list[Finding]:
    """Run Prowler against the emulator at `endpoint_url`; its findings (every status)."""
    cmd = prowler_command(prowler, region, work_dir, services)
    try:
        proc = subprocess.run(cmd, env=prowler_environment(endpoint_url, region), capture_output=True, text=True,
                              timeout=timeout, check=False)
    except subprocess.TimeoutExpired as exc:
        raise FuelflowError(f"Prowler did not finish within {timeout:.0f} s", "run it again; is the emulator up?") \
            from exc
    output = work_dir / f"{OUTPUT_NAME}.ocsf.json"
    if proc.returncode != 0 or not output.exists():
        tail = " | ".join((proc.stderr or proc.stdout).strip().splitlines()[-5:])
        raise FuelflowError(f"Prowler failed (exit {proc.returncode}): {tail}", "run the command with --debug")
    return read_findings(output)


@dataclass(frozen=True)
class Scan:
    """One Prowler run: its findings, how many checks it ran, how long it took."""

    findings: list[Finding]
    checks_run: int
    seconds: float


def scan(aws: Any, project_dir: Path, keep: Path | None = None) -> Scan:
    """Run Prowler against the emulator `aws` (a fuelflow.aws.AwsContext) points at. One scan can be judged
    for several environments deployed side by side (`judge`).

    `keep`: a folder for Prowler's own output (OCSF JSON), kept after the run; default a temporary one."""
    if aws.endpoint_url is None:
        raise InputError("the Prowler audit runs against an emulator only", "pass --endpoint-url URL")
    prowler = find_prowler(project_dir)
    if prowler is None:
        raise InputError("prowler not found", PROWLER_FIX)
    started = time.monotonic()
    if keep is not None:
        keep.mkdir(parents=True, exist_ok=True)
        findings = run_prowler(prowler, aws.endpoint_url, aws.region, keep)
    else:
        with tempfile.TemporaryDirectory(prefix="fuelflow-prowler-") as tmp:
            findings = run_prowler(prowler, aws.endpoint_url, aws.region, Path(tmp))
    return Scan(findings, len(checks_in_scope(prowler)), time.monotonic() - started)


def judge(aws: Any, result: Scan, env_name: str, project_name: str, project_dir: Path, exceptions: Exceptions,
          parts: Iterable[str] | None = None) -> Evaluation:
    """The scan's FAILs on this environment's resources, each with the exception that explains it (or none)."""
    from fuelflow.templates import discover_templates

    account = aws.client("sts").get_caller_identity()["Account"]
    names = Names(project_name, env_name, account, aws.region)
    stack_parts = list(parts) if parts is not None else [t.part for t in discover_templates(project_dir)]
    project = Project(project_name, env_name, project_anchors(aws, names, stack_parts))
    evaluation = evaluate(result.findings, exceptions, project, result.checks_run)
    evaluation.seconds = result.seconds
    return evaluation


def audit(aws: Any, env_name: str, project_name: str, project_dir: Path, exceptions: Exceptions | None = None,
          keep: Path | None = None) -> Evaluation:
    """Scan, then judge for one environment."""
    if exceptions is None:
        exceptions = load_exceptions(project_dir / "security" / "exceptions.yaml")
    return judge(aws, scan(aws, project_dir, keep), env_name, project_name, project_dir, exceptions)


def print_report(result: Evaluation, out: Any = sys.stdout) -> None:
    c = result.counts()
    kinds = ", ".join(f"{n} {k}" for k, n in c["by_kind"].items())
    out.write(f"Prowler on {c['environment']}: {c['checks_run']} checks run ({c['checks_with_findings']} with "
              f"findings), {c['findings']} findings, {c['pass']} PASS, {c['fail']} FAIL; "
              f"{c['fail_on_project_resources']} FAIL on project resources: {kinds}; "
              f"{c['unused_exceptions']} stale exceptions; {c['seconds']} s\n")
    for line in result.problems():
        out.write(f"  {line}\n")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m fuelflow.audit.prowler", description=__doc__.split("\n\n")[0])
    parser.add_argument("--env", default="dev")
    parser.add_argument("-C", "--project-dir", type=Path, default=Path.cwd())
    parser.add_argument("--endpoint-url", help="an emulator with the environment deployed (default: deploy it on "
                                               "a fresh embedded emulator)")
    parser.add_argument("-o", "--output", choices=("text", "json"), default="text")
    parser.add_argument("--keep", type=Path, help="keep Prowler's own output (OCSF JSON) in this folder")
    args = parser.parse_args(argv)
    try:
        result = _main(args)
    except FuelflowError as exc:
        sys.stderr.write(f"error: {exc.one_line()}\n")
        return int(exc.exit_code)
    if args.output == "json":
        sys.stdout.write(json.dumps({**result.counts(), "problems": result.problems()}, indent=2) + "\n")
    else:
        print_report(result)
    return int(ExitCode.OK if result.ok else ExitCode.FINDINGS)


def _main(args: argparse.Namespace) -> Evaluation:
    from fuelflow.aws import Target, connect
    from fuelflow.cli import main as cli_main
    from fuelflow.config import load_environment
    from fuelflow.emulator import Emulator

    env = load_environment(args.project_dir, args.env)
    exceptions = load_exceptions(args.project_dir / "security" / "exceptions.yaml")
    if args.endpoint_url:
        return audit(connect(Target(kind="local", endpoint_url=args.endpoint_url), env.region), env.name,
                     env.project, args.project_dir, exceptions, keep=args.keep)
    with Emulator() as emulator:
        with contextlib.redirect_stdout(sys.stderr):  # stdout holds only this script's report
            code = cli_main(["-C", str(args.project_dir), "deploy", "--env", env.name, "--yes", "--endpoint-url",
                             emulator.endpoint_url])
        if code != 0:
            raise FuelflowError(f"deploying {env.name} on the emulator failed (exit {code})", "see the output above")
        return audit(connect(Target(kind="local", endpoint_url=emulator.endpoint_url), env.region), env.name,
                     env.project, args.project_dir, exceptions, keep=args.keep)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
