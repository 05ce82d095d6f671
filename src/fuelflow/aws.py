"""Where commands act: the embedded emulator (`--target local`, the default) or a real account (`--target aws`).

Every boto3 client the tool makes comes from `AwsContext.client`, with adaptive retries so that
throttling is absorbed by botocore instead of sleeps in our code.
"""

from __future__ import annotations

import atexit
from dataclasses import dataclass, field
from typing import Any, Literal

import boto3
import botocore.exceptions
from botocore.config import Config

from fuelflow import moto_fixes
from fuelflow.emulator import LOCAL_CREDENTIALS, STATUS_PATH, Emulator, emulator_status, is_reachable
from fuelflow.errors import InputError
from fuelflow.moto_fixes import FixReport

TargetKind = Literal["local", "aws"]
RETRY_CONFIG = Config(retries={"mode": "adaptive", "max_attempts": 10}, connect_timeout=10, read_timeout=60)


@dataclass(frozen=True)
class Target:
    """What the user asked for on the command line."""

    kind: TargetKind = "local"
    region: str | None = None
    profile: str | None = None
    endpoint_url: str | None = None


@dataclass
class AwsContext:
    """A boto3 session bound to one target and region, and the emulator it started, if any."""

    session: boto3.Session
    region: str
    endpoint_url: str | None
    target: Target
    emulator: Emulator | None = None
    fix_reports: list[FixReport] = field(default_factory=list)  # the emulator's fidelity fixes (local only)
    moto_problem: str | None = None  # the emulator's moto is not the one the fixes were written against
    _clients: dict[str, Any] = field(default_factory=dict, repr=False)

    def client(self, service: str) -> Any:
        """A cached client for `service` with the target's endpoint and retry settings."""
        if service not in self._clients:
            self._clients[service] = self.session.client(
                service, region_name=self.region, endpoint_url=self.endpoint_url, config=RETRY_CONFIG
            )
        return self._clients[service]

    @property
    def is_local(self) -> bool:
        return self.target.kind == "local"

    @property
    def target_args(self) -> str:
        """The options that point another command at this same target (for the fixes our messages print):
        ` --endpoint-url URL` for a running emulator, ` --target aws [--profile P] [--region R]` for AWS,
        '' for the embedded emulator (nothing outlives this command there)."""
        if self.target.kind == "aws":
            return (" --target aws" + (f" --profile {self.target.profile}" if self.target.profile else "")
                    + (f" --region {self.target.region}" if self.target.region else ""))
        if self.emulator is None and self.endpoint_url:
            return f" --endpoint-url {self.endpoint_url}"
        return ""

    def account_id(self) -> str:
        ident: dict[str, str] = self.client("sts").get_caller_identity()
        return ident["Account"]

    def close(self) -> None:
        if self.emulator is not None:
            self.emulator.stop()
            self.emulator = None


_started: list[Emulator] = []


def _stop_started() -> None:
    for emu in _started:
        emu.stop()


atexit.register(_stop_started)


def connect(target: Target, default_region: str) -> AwsContext:
    """Open the target. For `local` without an endpoint, start the embedded emulator.

    Raises InputError (exit 2) for an unreachable endpoint or missing credentials, before any call
    that changes anything.
    """
    region = target.region or default_region
    if target.kind == "local":
        emulator = None
        endpoint = target.endpoint_url
        if endpoint is None:
            emulator = Emulator().start()
            _started.append(emulator)
            endpoint = emulator.endpoint_url
        elif not is_reachable(endpoint):
            raise InputError(f"no emulator answers at {endpoint}",
                             "start one with `fuelflow local` or drop --endpoint-url to use the embedded one")
        if emulator is not None:
            reports, problem = moto_fixes.reports(), moto_fixes.version_problem()
        else:
            reports, problem = _foreign_check(endpoint)
        session = boto3.Session(region_name=region, **LOCAL_CREDENTIALS)
        return AwsContext(session, region, endpoint, target, emulator, reports, problem)

    if target.kind != "aws":
        raise InputError(f"unknown target {target.kind!r}", "use --target local or --target aws")
    try:
        session = boto3.Session(profile_name=target.profile, region_name=region)
    except botocore.exceptions.ProfileNotFound as exc:
        raise InputError(f"AWS profile {target.profile!r} not found",
                         "check ~/.aws/config or pass another --profile") from exc
    if session.get_credentials() is None:
        raise InputError("no AWS credentials found for --target aws",
                         "run `aws configure` or `aws sso login`, or set AWS_PROFILE / --profile")
    if target.endpoint_url and not is_reachable(target.endpoint_url):
        raise InputError(f"nothing answers at {target.endpoint_url}", "check --endpoint-url")
    return AwsContext(session, region, target.endpoint_url, target)


def _foreign_check(endpoint: str) -> tuple[list[FixReport], str | None]:
    """The fix report of the `fuelflow local` at `endpoint`; InputError (exit 2, before any change) for another
    emulator: a plain moto server or LocalStack lacks the fixes, and a deploy would fail half-way through."""
    status = emulator_status(endpoint)
    if status is None:
        raise InputError(
            f"{endpoint} answers, but it is not `fuelflow local` (no {STATUS_PATH}): a plain moto server or "
            "LocalStack lacks the emulator fixes this architecture needs (change sets that publish exports, "
            "S3 bucket policies and settings, CloudWatch alarms, instances from launch templates, ...)",
            "run `fuelflow local` and pass its URL to --endpoint-url, or drop --endpoint-url to use the embedded "
            "emulator")
    reports = [FixReport(int(r["number"]), str(r["name"]), r["status"], str(r.get("detail", "")),
                         tuple(r.get("controls", ()))) for r in status.get("fixes", [])]
    problem = None
    if status.get("moto") != status.get("tested_moto"):
        problem = (f"the emulator at {endpoint} runs moto {status.get('moto')}; its fixes were written against "
                   f"moto {status.get('tested_moto')}")
    return reports, problem
