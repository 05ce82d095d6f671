"""Options and plumbing shared by every command."""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

from fuelflow.errors import InputError
from fuelflow.output import Ui

if TYPE_CHECKING:  # boto3 (fuelflow.aws) and the settings are loaded by the commands that use them
    from fuelflow.aws import AwsContext
    from fuelflow.config import Environment

F = TypeVar("F", bound=Callable[..., Any])


@dataclass
class Settings:
    """Global options (set on the `fuelflow` group)."""

    project_dir: Path
    debug: bool = False


def project_dir_of(ctx: click.Context) -> Path:
    settings: Settings = ctx.find_object(Settings) or Settings(Path.cwd())
    return settings.project_dir


def env_option(f: F) -> F:
    return click.option("--env", "-e", "env", default="dev", show_default=True, metavar="ENV",
                        help="Environment: a file environments/ENV.yaml (`fuelflow env list` shows them).")(f)


def output_option(f: F) -> F:
    return click.option("--output", "-o", type=click.Choice(["table", "json"]), default="table",
                        show_default=True, help="table for people, json for scripts (stdout holds only JSON).")(f)


def engine_option(f: F) -> F:
    return click.option("--engine", type=click.Choice(["cloudformation", "terraform"]), default="cloudformation",
                        show_default=True, help="Which IaC path to drive.")(f)


def target_options(f: F) -> F:
    """--target/--profile/--region/--endpoint-url."""
    options = [
        click.option("--target", "-t", type=click.Choice(["local", "aws"]), default="local", show_default=True,
                     help="local: the embedded AWS emulator on 127.0.0.1 (no account needed). "
                          "aws: your real account, via the standard credential chain."),
        click.option("--profile", default=None, help="AWS profile (with --target aws)."),
        click.option("--region", default=None, help="Region; default: the environment file's region."),
        click.option("--endpoint-url", default=None, metavar="URL",
                     help="Use an emulator that is already running (e.g. from `fuelflow local`)."),
    ]
    for opt in reversed(options):
        f = opt(f)
    return f


LOCAL_HINT = "start `fuelflow local` and pass --endpoint-url http://127.0.0.1:4566 (to the deploy as well)"


def throwaway(target: str, endpoint_url: str | None) -> bool:
    """True when the command would start its own embedded emulator: it is empty, and gone when we exit."""
    return target == "local" and endpoint_url is None


def warn_throwaway(ui: Ui, command: str, env: str) -> None:
    """Say at once that reading a throwaway emulator finds nothing, and how to read a running one."""
    ui.warn(f"{command} reads a throwaway embedded emulator (no --endpoint-url): it is empty by construction, "
            f"so nothing of {env} is deployed in it; {LOCAL_HINT}")


def refuse_throwaway(command: str) -> None:
    """Terraform commands that read a state backend: a throwaway emulator holds none; refuse before starting it."""
    raise InputError(f"{command} needs the Terraform state of a deployed environment, and the embedded emulator "
                     "it would start (no --endpoint-url) is empty by construction", LOCAL_HINT)


def load_env(ctx: click.Context, name: str) -> Environment:
    from fuelflow.config import load_environment

    return load_environment(project_dir_of(ctx), name)


def open_target(env: Environment, target: str, profile: str | None, region: str | None,
                endpoint_url: str | None, ui: Ui) -> AwsContext:
    """Connect; tell the user where the emulator is when we started one."""
    from fuelflow.aws import Target, connect
    from fuelflow.config import check_region

    if target == "local" and profile:
        raise InputError("--profile is for --target aws", "drop --profile, or add --target aws")
    if region is not None:
        check_region(region, "--region")
    aws = connect(Target(kind=target, region=region, profile=profile, endpoint_url=endpoint_url),  # type: ignore[arg-type]
                  env.region)
    if aws.emulator is not None:
        ui.progress(f"started the embedded AWS emulator at {aws.endpoint_url} (it stops when this command ends)")
    warn_emulator_problems(aws, ui)
    return aws


def warn_emulator_problems(aws: AwsContext, ui: Ui) -> None:
    """Say which emulator fixes failed (what they fix is not true here) and a moto other than the pinned one."""
    if aws.moto_problem:
        ui.warn(aws.moto_problem)
    for report in aws.fix_reports:
        if report.status == "failed":
            unchecked = f"; audit controls {', '.join(report.controls)} are not checked" if report.controls else ""
            ui.warn(f"emulator {report.line()}{unchecked}")


def pass_ui(f: F) -> F:
    """Build the Ui from --output and hand it to the command as `ui`."""

    @functools.wraps(f)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        output = kwargs.pop("output", "table")
        return f(*args, ui=Ui(output=output), output=output, **kwargs)

    return wrapper  # type: ignore[return-value]
