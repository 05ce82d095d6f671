"""`fuelflow` command line: parse, call the library, print. Errors become one red line and an exit code."""

from __future__ import annotations

import importlib
import os
import sys
import time
import traceback
from collections.abc import Sequence
from pathlib import Path

import click

from fuelflow import __version__
from fuelflow.commands.common import Settings
from fuelflow.errors import ExitCode, FuelflowError, InputError, Interrupted
from fuelflow.output import Ui

EXIT_CODES_HELP = """\b
Exit codes:
  0  success
  1  an operation failed (stack failed or rolled back, terraform error)
  2  bad input (unknown environment, invalid setting, unreachable endpoint, nothing deployed to read,
     ...): nothing was changed
  3  findings (audit controls failed, validate checks failed or a FUELFLOW_REQUIRE tool missing)
  4  declined at a confirmation prompt: nothing was changed
  130  interrupted (Ctrl-C): the summary says what ran; a second Ctrl-C leaves at once
"""


@click.group(
    help="Deploy, check and run the Fuel Flow AWS infrastructure (CloudFormation or Terraform).\n\n"
    "Runs against the embedded local AWS emulator unless you say --target aws.\n\n" + EXIT_CODES_HELP,
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 110},
)
@click.version_option(__version__, prog_name="fuelflow")
@click.option("--project-dir", "-C", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Project directory holding environments/, cloudformation/ and terraform/ "
                   "(default: the current directory).")
@click.option("--debug", is_flag=True, help="Show Python tracebacks on errors.")
@click.pass_context
def cli(ctx: click.Context, project_dir: Path | None, debug: bool) -> None:
    if project_dir is not None and not project_dir.is_dir():
        raise InputError(f"-C {project_dir}: " + ("not a directory" if project_dir.exists() else "no such directory"),
                         "pass the folder that holds environments/ (the repository root)")
    ctx.obj = Settings(project_dir=(project_dir or Path.cwd()).resolve(), debug=debug)


def _project_regions(project_dir: Path) -> tuple[str, ...]:
    """The regions of the project's environment files (valid ones), else the default region us-east-1."""
    from fuelflow.envfiles import summaries

    try:
        found = {s.region for s in summaries(project_dir) if not s.error}
    except FuelflowError:  # not a project folder: the emulator serves whatever comes
        found = set()
    return tuple(sorted(found)) or ("us-east-1",)


@cli.command("local")
@click.option("--port", type=int, default=4566, show_default=True, help="Port on 127.0.0.1 (0 = any free port).")
@click.pass_context
def local_cmd(ctx: click.Context, port: int) -> None:
    """Run the local AWS emulator in the foreground, so several commands can share it.

    Point other commands at it with --endpoint-url, and the AWS CLI with
    AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test aws --endpoint-url URL ...
    It builds the emulated services for the regions of the project's environments at once, in the background,
    so that the first command does not wait for that.
    """
    from fuelflow import moto_fixes
    from fuelflow.emulator import PRELOAD_SERVICES, Emulator, free_port, log_to_terminal

    settings: Settings = ctx.find_object(Settings) or Settings(Path.cwd())
    regions = _project_regions(settings.project_dir)
    started = time.monotonic()
    emu = Emulator(port=port or free_port(), preload_regions=regions).start()
    log_to_terminal()
    url = emu.endpoint_url
    click.echo(f"AWS emulator listening on {url} (Ctrl-C stops it; everything in it is forgotten)")
    click.echo(f"  fuelflow deploy --endpoint-url {url}")
    click.echo(f"  AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test AWS_DEFAULT_REGION=us-east-1 "
               f"aws --endpoint-url {url} cloudformation list-stacks")
    problem = moto_fixes.version_problem()
    click.echo(f"moto {moto_fixes.moto_version()}, fidelity fixes (what moto lacks for this architecture):"
               if not problem else f"warning: {problem}")
    for report in moto_fixes.reports():
        click.echo(f"  {report.line()}")
    failed = moto_fixes.failed_fixes()
    if failed:
        click.echo(f"warning: {len(failed)} fixes failed: what they fix is not true on this emulator, and audit "
                   f"controls {', '.join(sorted(moto_fixes.unchecked_controls())) or '(none)'} are not checked",
                   err=True)
    try:
        emu.ready.wait()
        click.echo(f"ready: {len(PRELOAD_SERVICES)} services built for {', '.join(regions)} in "
                   f"{time.monotonic() - started:.1f}s")
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        click.echo("stopping the emulator")
    finally:
        emu.stop()


# Commands that live in their own modules (one idea per module).
COMMAND_MODULES = (
    "fuelflow.commands.stacks",
    "fuelflow.commands.tf",
    "fuelflow.commands.audit",
    "fuelflow.commands.validate",
    "fuelflow.commands.env",
    "fuelflow.commands.cost",
)


def load_commands(group: click.Group, modules: Sequence[str] = COMMAND_MODULES) -> dict[str, BaseException]:
    """Add each module's COMMANDS to `group`; return the modules that failed to import, with why.

    A module that does not import is a broken install or a bug: main() refuses to run and names it,
    rather than offering a CLI with commands silently missing.
    """
    broken: dict[str, BaseException] = {}
    for name in modules:
        try:
            module = importlib.import_module(name)
        except Exception as exc:
            broken[name] = exc
            continue
        for command in module.COMMANDS:
            group.add_command(command)
    return broken


BROKEN_COMMANDS = load_commands(cli)


def _broken_line(module: str, exc: BaseException) -> str:
    detail = (str(exc).splitlines() or [""])[0]
    return f"cannot load the commands of {module}: {type(exc).__name__}" + (f": {detail}" if detail else "")


def main(argv: list[str] | None = None) -> int:
    """Entry point: run the CLI, turning FuelflowError into one line and its exit code."""
    debug = "--debug" in (argv if argv is not None else sys.argv[1:])
    if BROKEN_COMMANDS:
        for module, exc in BROKEN_COMMANDS.items():
            if debug:
                traceback.print_exception(type(exc), exc, exc.__traceback__)
            Ui().error(_broken_line(module, exc))
        return int(ExitCode.FAILED)
    try:
        result = cli.main(args=argv, prog_name="fuelflow", standalone_mode=False)
        if isinstance(result, int) and not isinstance(result, bool):  # ctx.exit(n) comes back as n
            return result
    except Interrupted as exc:
        Ui().error(exc.one_line())
        if exc.leave_now and argv is None:  # the real CLI: do not wait for the threads still polling
            sys.stdout.flush()
            sys.stderr.flush()
            os._exit(int(exc.exit_code))
        return int(exc.exit_code)
    except FuelflowError as exc:
        if debug:
            traceback.print_exc()
        Ui().error(exc.one_line())
        return int(exc.exit_code)
    except click.exceptions.Abort as exc:
        if isinstance(exc.__cause__, KeyboardInterrupt):  # click turns Ctrl-C into Abort
            Ui().error("interrupted (Ctrl-C)")
            return int(ExitCode.INTERRUPTED)
        Ui().error("aborted")
        return int(ExitCode.DECLINED)
    except click.exceptions.Exit as exc:
        return int(exc.exit_code)
    except click.ClickException as exc:
        exc.show()
        return int(ExitCode.USAGE)
    except KeyboardInterrupt:
        Ui().error("interrupted (Ctrl-C)")
        return int(ExitCode.INTERRUPTED)
    except Exception as exc:
        code = _aws_error(exc, debug)
        if code is None:
            raise
        return code
    return int(ExitCode.OK)


def _aws_error(exc: Exception, debug: bool) -> int | None:
    """An error of boto3's, as one line and its exit code; None for anything else. botocore is imported only
    by the commands that talk to AWS: when it is not loaded, the error cannot be one of its own."""
    if "botocore.exceptions" not in sys.modules:
        return None
    import botocore.exceptions
    from botocore.parsers import ResponseParserError

    if isinstance(exc, botocore.exceptions.NoCredentialsError):
        if debug:
            traceback.print_exc()
        Ui().error(f"{exc}: run `aws configure` or set AWS_PROFILE (with --target aws)")
        return int(ExitCode.USAGE)
    if isinstance(exc, (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError, ResponseParserError)):
        if debug:
            traceback.print_exc()
        Ui().error(f"{type(exc).__name__}: {str(exc).splitlines()[0]} (run with --debug for details)")
        return int(ExitCode.FAILED)
    return None


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
