"""The Terraform path: run `terraform` on a work copy of terraform/ for one environment and target.

Why a work copy: `--target local` needs an override file that points the AWS provider at the emulator
(the `tflocal` approach), and every environment/target pair needs its own `.terraform/` (backend
settings, module links). Neither may land in the source tree. So each run mirrors `terraform/` into
`.fuelflow/tf/<env>-<target>/terraform/` (gitignored) and runs `terraform -chdir=` there; modules keep
their relative `../modules` / `./modules` paths because the whole directory is copied.

State layout: one S3 bucket and one DynamoDB lock table per environment (terraform/bootstrap creates
them), the default workspace, and one key per root: `<project>/<env>/terraform.tfstate` for the main
root, `<project>/<env>/bootstrap.tfstate` for the bootstrap root's own state.

Backend settings live in a `-backend-config` file: for `--target aws` it is
`terraform/backends/<env>.s3.tfbackend` (generated, since the bucket name holds the account id, and
meant to be committed so that plain `terraform init -backend-config=backends/<env>.s3.tfbackend` works);
for `--target local` it is written into the work dir only, because it names the emulator's endpoint.

Providers: with a filesystem mirror (`--plugin-dir`, `FUELFLOW_TF_PLUGIN_DIR`, or a well-known place
that holds one), a CLI config in `.fuelflow/tf/` installs the mirrored providers from it and everything
else from the registry; without one, Terraform uses the registry as usual.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import subprocess
import sys
import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import botocore.exceptions

from fuelflow.aws import AwsContext
from fuelflow.config import Environment
from fuelflow.confirm import approve, guard_destroy, require_confirmation
from fuelflow.emulator import LOCAL_CREDENTIALS
from fuelflow.errors import DeployError, FuelflowError, InputError
from fuelflow.output import Ui

TERRAFORM_DIR = "terraform"
BOOTSTRAP_DIR = "bootstrap"
BACKENDS_DIR = "backends"
WORK_DIR = Path(".fuelflow") / "tf"
WORK_DIR_ENV = "FUELFLOW_TF_WORK_DIR"  # elsewhere than <project>/.fuelflow/tf (tests, CI caches)
MIN_VERSION = (1, 10)  # S3-native locking (use_lockfile)
TERRAFORM_ENV = "FUELFLOW_TERRAFORM"  # path of the terraform binary, when it is not on PATH
PLUGIN_DIR_ENV = "FUELFLOW_TF_PLUGIN_DIR"
INSTALL_FIX = (f"install Terraform >= {MIN_VERSION[0]}.{MIN_VERSION[1]} "
               "(https://developer.hashicorp.com/terraform/install) and put it on PATH, "
               f"or set {TERRAFORM_ENV}=/path/to/terraform")
AWS_PROVIDER = "registry.terraform.io/hashicorp/aws"

# Files fuelflow writes into the work copy; never into terraform/ itself (.gitignore lists the pattern).
PROVIDER_OVERRIDE = "fuelflow_override.tf"
BACKEND_OVERRIDE = "fuelflow_backend_override.tf"
TEARDOWN_OVERRIDE = "fuelflow_teardown_override.tf"
PLAN_FILE = "fuelflow.tfplan"
LOCAL_STATE = "terraform.tfstate"

# Services whose endpoint the local override redirects to the emulator (provider `endpoints` keys).
LOCAL_ENDPOINT_SERVICES = (
    "acm", "apigateway", "autoscaling", "cloudformation", "cloudtrail", "cloudwatch", "dynamodb", "ec2",
    "ecr", "ecs", "elb", "elbv2", "events", "iam", "kms", "lambda", "logs", "rds", "route53", "s3",
    "s3control", "secretsmanager", "sns", "sqs", "ssm", "sts",
)
# Resources whose replacement or deletion loses data: a plan that does so is called out.
STATEFUL_TYPES = ("aws_db_instance", "aws_rds_cluster", "aws_s3_bucket", "aws_dynamodb_table",
                  "aws_ebs_volume", "aws_secretsmanager_secret")


# ------------------------------------------------------------------------------------ terraform binary


def find_terraform() -> str:
    """The terraform binary: $FUELFLOW_TERRAFORM, else `terraform` on PATH. InputError (exit 2) if neither."""
    explicit = os.environ.get(TERRAFORM_ENV)
    if explicit:
        if Path(explicit).is_file() and os.access(explicit, os.X_OK):
            return explicit
        raise InputError(f"{TERRAFORM_ENV}={explicit} is not an executable file", INSTALL_FIX)
    found = shutil.which("terraform")
    if found is None:
        raise InputError("terraform is not installed (not found on PATH)", INSTALL_FIX)
    return found


def terraform_version(binary: str) -> tuple[int, ...]:
    """`terraform version -json` as a tuple; InputError when it is older than MIN_VERSION."""
    try:
        proc = subprocess.run([binary, "version", "-json"], capture_output=True, text=True, timeout=60,
                              check=False, env={**os.environ, "CHECKPOINT_DISABLE": "1"})
        text = json.loads(proc.stdout)["terraform_version"]
    except (OSError, ValueError, KeyError, subprocess.TimeoutExpired) as exc:
        raise InputError(f"could not run {binary} version", INSTALL_FIX) from exc
    version = tuple(int(p) for p in re.findall(r"\d+", text)[:3])
    if version[:2] < MIN_VERSION:
        raise InputError(f"terraform {text} is too old (S3 state locking needs >= 1.10)", INSTALL_FIX)
    return version


# ------------------------------------------------------------------------------------ provider mirror


def plugin_dir_candidates() -> list[Path]:
    """Well-known places a provider mirror may live, searched when none is given.

    Terraform's own implied local mirrors (per the CLI configuration docs) first, then the places
    machine images and CI runners conventionally unpack one.
    """
    home = Path.home()
    data_home = Path(os.environ.get("XDG_DATA_HOME") or home / ".local" / "share")
    data_dirs = [Path(d) for d in (os.environ.get("XDG_DATA_DIRS") or "/usr/local/share:/usr/share").split(":")
                 if d]
    return [
        home / ".terraform.d" / "plugins",
        data_home / "terraform" / "plugins",
        *(d / "terraform" / "plugins" for d in data_dirs),
        Path("/opt/tf-plugins"),
        Path("/opt/terraform/plugins"),
    ]


def mirror_providers(path: Path) -> list[str]:
    """Provider addresses (`host/namespace/type`) a filesystem mirror holds, packed or unpacked layout."""
    found: list[str] = []
    if not path.is_dir():
        return found
    for type_dir in sorted(path.glob("*/*/*")):
        if not type_dir.is_dir():
            continue
        unpacked = any(v.is_dir() and re.fullmatch(r"\d+\.\d+\.\d+.*", v.name) for v in type_dir.iterdir())
        packed = any(type_dir.glob("terraform-provider-*.zip"))
        if unpacked or packed:
            found.append("/".join(type_dir.relative_to(path).parts))
    return found


def resolve_plugin_dir(explicit: str | Path | None = None) -> Path | None:
    """The provider mirror to use: `explicit` (--plugin-dir), else $FUELFLOW_TF_PLUGIN_DIR, else the first
    well-known place that holds hashicorp/aws; None means "use the registry".

    A mirror that was asked for by name but holds no provider is an input error, not a silent fallback.
    """
    for given, source in ((explicit, "--plugin-dir"), (os.environ.get(PLUGIN_DIR_ENV), PLUGIN_DIR_ENV)):
        if given:
            path = Path(given).expanduser().resolve()
            if not mirror_providers(path):
                raise InputError(
                    f"{source} {path} is not a Terraform provider mirror",
                    "point it at a directory laid out as registry.terraform.io/hashicorp/aws/<version>/<os_arch>/ "
                    "(see `terraform providers mirror`)",
                )
            return path
    for candidate in plugin_dir_candidates():
        if AWS_PROVIDER in mirror_providers(candidate):
            return candidate
    return None


def _hcl(value: Any, indent: int = 0) -> str:
    """A Python value as an HCL expression (strings, numbers, bools, lists, maps)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return str(value)
    if isinstance(value, str):
        return json.dumps(value)
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_hcl(v) for v in value) + "]"
    if isinstance(value, dict):
        pad = "  " * (indent + 1)
        width = max((len(k) for k in value), default=0)
        body = "".join(f"{pad}{k.ljust(width)} = {_hcl(v, indent + 1)}\n" for k, v in value.items())
        return "{\n" + body + "  " * indent + "}"
    raise TypeError(f"cannot render {type(value).__name__} as HCL")


def _attributes(values: dict[str, Any], indent: int = 0) -> str:
    pad = "  " * indent
    width = max((len(k) for k in values), default=0)
    return "".join(f"{pad}{k.ljust(width)} = {_hcl(v, indent)}\n" for k, v in values.items())


def render_cli_config(plugin_dir: Path, providers: Sequence[str], base: str = "") -> str:
    """A Terraform CLI config: mirrored providers from `plugin_dir`, all others from their registry.

    `base` is the user's own CLI config (credentials, plugin cache...), kept as it is.
    """
    lines = [
        "# Written by fuelflow: providers found in the filesystem mirror come from it, all others",
        "# from their registry as usual. Regenerated on every run; edit your own CLI config instead.",
        "provider_installation {",
        "  filesystem_mirror {",
        f"    path    = {_hcl(str(plugin_dir))}",
        f"    include = {_hcl(list(providers))}",
        "  }",
        "  direct {",
        f"    exclude = {_hcl(list(providers))}",
        "  }",
        "}",
    ]
    head = f"{base.rstrip()}\n\n" if base.strip() else ""
    return head + "\n".join(lines) + "\n"


def _user_cli_config() -> Path | None:
    configured = os.environ.get("TF_CLI_CONFIG_FILE")
    path = Path(configured).expanduser() if configured else Path.home() / ".terraformrc"
    return path if path.is_file() else None


def write_cli_config(work_dir: Path, plugin_dir: Path | None, ui: Ui | None = None) -> Path | None:
    """Write the CLI config for `plugin_dir` into `work_dir`; return its path (None: keep Terraform's own).

    The user's CLI config is carried over; if it already says how to install providers, ours would
    clash with it, so the mirror replaces that part (with a warning).
    """
    if plugin_dir is None:
        return None
    base = ""
    user = _user_cli_config()
    if user is not None:
        base = user.read_text()
        if re.search(r"^\s*provider_installation\b", base, re.MULTILINE):
            if ui is not None:
                ui.warn(f"{user} has its own provider_installation; using the mirror {plugin_dir} instead")
            base = ""
    work_dir.mkdir(parents=True, exist_ok=True)
    path = work_dir / "terraformrc"
    path.write_text(render_cli_config(plugin_dir, mirror_providers(plugin_dir), base))
    return path


# ------------------------------------------------------------------------------------ generated files


def render_local_override(endpoint_url: str, aliases: Sequence[str | None] = (None,)) -> str:
    """The provider override for `--target local` (what tflocal writes): every AWS call goes to the
    emulator, with the emulator's fixed credentials and no account or metadata checks.

    One block per `provider "aws"` configuration of the root (aliases included): an override file may
    only override blocks that exist.
    """
    blocks = ["# Written by fuelflow for --target local; never committed (see .gitignore).\n"]
    endpoints = {service: endpoint_url for service in LOCAL_ENDPOINT_SERVICES}
    for alias in aliases:
        settings: dict[str, Any] = {}
        if alias:
            settings["alias"] = alias
        settings.update({
            "access_key": LOCAL_CREDENTIALS["aws_access_key_id"],
            "secret_key": LOCAL_CREDENTIALS["aws_secret_access_key"],
            "s3_use_path_style": True,
            "skip_credentials_validation": True,
            "skip_metadata_api_check": True,
            "skip_region_validation": True,
        })
        blocks.append('provider "aws" {\n' + _attributes(settings, 1) + "\n  endpoints {\n"
                      + _attributes(endpoints, 2) + "  }\n}\n")
    return "\n".join(blocks)


def render_backend_override(kind: str) -> str:
    """Force the root's backend: `local` (bootstrap, first apply) or an `s3` block to fill by -backend-config."""
    body = f'  backend "{kind}" {{\n    path = "{LOCAL_STATE}"\n  }}\n' if kind == "local" else '  backend "s3" {}\n'
    return "# Written by fuelflow: which backend this run uses.\nterraform {\n" + body + "}\n"


def render_teardown_override(resources: Sequence[tuple[str, str]]) -> str:
    """Lift the guards of the state backend's resources, for `unbootstrap` only (after its own checks).

    Override files merge lifecycle settings argument by argument, so `prevent_destroy = false` here
    wins over the module's `true` without editing the module.
    """
    parts = ["# Written by fuelflow tf unbootstrap: the guards below are lifted for this teardown only.\n"]
    for rtype, name in resources:
        if rtype == "aws_s3_bucket":
            body = "  force_destroy = true\n\n  lifecycle {\n    prevent_destroy = false\n  }\n"
        else:
            body = "  deletion_protection_enabled = false\n"
        parts.append(f'resource "{rtype}" "{name}" {{\n{body}}}\n')
    return "\n".join(parts)


@dataclass(frozen=True)
class StateBackend:
    """Where one environment's Terraform state lives (docs/contract.md, "Terraform state")."""

    bucket: str
    lock_table: str
    region: str
    key: str
    bootstrap_key: str

    @classmethod
    def for_env(cls, env: Environment, account_id: str, region: str) -> StateBackend:
        prefix = f"{env.project}/{env.name}"
        return cls(
            bucket=f"{env.project}-tfstate-{env.name}-{account_id}-{region}",
            lock_table=f"{env.project}-tflock-{env.name}",
            region=region,
            key=f"{prefix}/terraform.tfstate",
            bootstrap_key=f"{prefix}/bootstrap.tfstate",
        )

    def settings(self, endpoint_url: str | None = None) -> dict[str, Any]:
        """The S3 backend's settings; with an endpoint, also those an emulator needs."""
        values: dict[str, Any] = {
            "bucket": self.bucket,
            "key": self.key,
            "region": self.region,
            "encrypt": True,
            "use_lockfile": True,  # S3-native lock (Terraform >= 1.10) ...
            "dynamodb_table": self.lock_table,  # ... and the LockID table, for tools that only know it
        }
        if endpoint_url:
            values.update({
                "endpoints": {"s3": endpoint_url, "dynamodb": endpoint_url, "sts": endpoint_url,
                              "iam": endpoint_url},
                "use_path_style": True,
                "skip_credentials_validation": True,
                "skip_requesting_account_id": True,
                "skip_metadata_api_check": True,
                "skip_region_validation": True,
            })
        return values


def render_backend_config(backend: StateBackend, endpoint_url: str | None = None) -> str:
    """A `-backend-config` file (`*.s3.tfbackend`) for the main root."""
    where = (f"the emulator at {endpoint_url} (regenerated on every run)" if endpoint_url
             else "AWS; generated by `fuelflow tf bootstrap`, safe to commit (no secrets)")
    return (f"# Terraform S3 backend for {backend.key} in {where}.\n"
            f"# terraform init -backend-config=<this file>\n" + _attributes(backend.settings(endpoint_url)))


def _tf_files(root: Path) -> list[Path]:
    """The configuration files of one directory, override files excluded."""
    return sorted(p for p in root.glob("*.tf") if p.name != "override.tf" and not p.name.endswith("_override.tf"))


def _hcl_files(root: Path) -> dict[str, Any]:
    """Every `*.tf` file of one directory, parsed (files that do not parse are left out)."""
    import hcl2

    parsed: dict[str, Any] = {}
    for path in _tf_files(root):
        try:
            with path.open() as fh:
                parsed[path.name] = hcl2.load(fh)
        except Exception:  # python-hcl2 lags Terraform's grammar; terraform itself will judge the file
            continue
    return parsed


def _label(key: str) -> str:
    return key.strip('"')


def declared_variables(root: Path) -> set[str] | None:
    """Variable names a root declares; None when a file could not be read (then pass everything)."""
    names: set[str] = set()
    files = _hcl_files(root)
    if len(files) != len(_tf_files(root)):
        return None
    for doc in files.values():
        for block in doc.get("variable", []):
            names.update(_label(k) for k in block if not k.startswith("__"))
    return names


def aws_provider_aliases(root: Path) -> list[str | None]:
    """`provider "aws"` configurations of a root: None for the default one, else the alias."""
    aliases: list[str | None] = []
    for doc in _hcl_files(root).values():
        for block in doc.get("provider", []):
            for name, body in block.items():
                if _label(name) == "aws":
                    aliases.append(_label(str(body.get("alias")))
                                   if isinstance(body, dict) and body.get("alias") else None)
    return aliases


def guarded_resources(root: Path) -> list[tuple[str, str]]:
    """Buckets and DynamoDB tables declared in one directory (the ones teardown must unguard)."""
    found: list[tuple[str, str]] = []
    for doc in _hcl_files(root).values():
        for block in doc.get("resource", []):
            for rtype, named in block.items():
                if _label(rtype) in ("aws_s3_bucket", "aws_dynamodb_table"):
                    found.extend((_label(rtype), _label(n)) for n in named if not n.startswith("__"))
    return found


def local_module_dirs(root: Path) -> list[Path]:
    """Directories of the modules a root calls by relative path."""
    dirs: list[Path] = []
    for doc in _hcl_files(root).values():
        for block in doc.get("module", []):
            for body in block.values():
                source = _label(str(body.get("source", ""))) if isinstance(body, dict) else ""
                if source.startswith(("./", "../")):
                    dirs.append((root / source).resolve())
    return dirs


def tf_vars_for(env: Environment, root: Path, region: str | None = None) -> dict[str, Any]:
    """The environment's variables that `root` declares (Terraform warns about the others)."""
    values = env.tf_vars()
    if region:
        values["region"] = region
    declared = declared_variables(root)
    return values if declared is None else {k: v for k, v in values.items() if k in declared}


def _changes(plan: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    for change in plan.get("resource_changes", []):
        if change.get("mode") != "managed":
            continue
        actions = change.get("change", {}).get("actions", [])
        if "create" in actions and "delete" in actions:
            yield "replace", change
        elif actions in (["create"], ["update"], ["delete"]):
            yield actions[0], change


def plan_summary(plan: dict[str, Any]) -> dict[str, list[str]]:
    """`terraform show -json <plan>` reduced to the addresses per action: create, update, replace, delete."""
    summary: dict[str, list[str]] = {"create": [], "update": [], "replace": [], "delete": []}
    for kind, change in _changes(plan):
        summary[kind].append(change["address"])
    return summary


def _any_true(value: Any) -> bool:
    """`after_unknown` marks unknown values with true, nested like the value itself."""
    if isinstance(value, dict):
        return any(_any_true(v) for v in value.values())
    if isinstance(value, list):
        return any(_any_true(v) for v in value)
    return value is True


def plan_details(plan: dict[str, Any]) -> list[dict[str, Any]]:
    """Per changed resource: its action and which attributes change (what forces a replacement)."""
    details = []
    for kind, change in _changes(plan):
        body = change.get("change", {})
        before, after = body.get("before") or {}, body.get("after") or {}
        unknown = body.get("after_unknown") or {}
        changed = sorted(k for k in set(before) | set(after) | set(unknown)
                         if before.get(k) != after.get(k) or _any_true(unknown.get(k)))
        details.append({"address": change["address"], "type": change.get("type"), "action": kind,
                        "attributes": changed if kind in ("update", "replace") else [],
                        "replace_paths": body.get("replace_paths", [])})
    return details


def data_loss(plan: dict[str, Any]) -> list[str]:
    """Stateful resources (databases, buckets, tables...) a plan replaces or deletes: "replace <address>"."""
    return [f"{kind} {change['address']}" for kind, change in _changes(plan)
            if kind in ("replace", "delete") and change.get("type") in STATEFUL_TYPES]


def _state_resources(module: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """Managed resources of `terraform show -json` state values, child modules included."""
    for resource in module.get("resources", []):
        if resource.get("mode") == "managed":
            yield resource
    for child in module.get("child_modules", []):
        yield from _state_resources(child)


def redact_outputs(raw: dict[str, Any]) -> dict[str, Any]:
    """`terraform output -json` to {name: value}, sensitive values replaced (never printed)."""
    return {name: "(sensitive)" if o.get("sensitive") else o.get("value") for name, o in raw.items()}


# ------------------------------------------------------------------------------------ work copy


_KEEP = {".terraform", ".terraform.lock.hcl", LOCAL_STATE, f"{LOCAL_STATE}.backup"}
_IGNORE = shutil.ignore_patterns(".terraform", "*.tfstate", "*.tfstate.*", "*.tfplan", "*_override.tf",
                                 "override.tf", "*_override.tf.json", "override.tf.json")


def _clear(directory: Path) -> None:
    for path in directory.iterdir():
        if path.name in _KEEP:
            continue
        if path.is_dir() and not path.is_symlink():
            _clear(path)
            with contextlib.suppress(OSError):
                path.rmdir()
        else:
            path.unlink()


def sync_tree(src: Path, dst: Path) -> Path:
    """Make `dst` a copy of `src`, keeping Terraform's own files in `dst` (`.terraform/`, the lock file
    when `src` has none, local state of an interrupted bootstrap). Override files are never copied."""
    if dst.is_dir():
        _clear(dst)
    shutil.copytree(src, dst, ignore=_IGNORE, dirs_exist_ok=True, symlinks=False)
    return dst


# ------------------------------------------------------------------------------------ running terraform


_ANSI = re.compile(r"\x1b\[[0-9;]*m")
_NO_COLOR_COMMANDS = {"init", "plan", "apply", "destroy", "output", "show", "validate", "refresh", "import"}


def error_summary(stderr: str) -> str:
    """The `Error:` lines of Terraform's diagnostics, joined (the message of our one red line)."""
    errors: list[str] = []
    lines = [raw.strip().lstrip("│").strip() for raw in _ANSI.sub("", stderr).splitlines()]
    for i, line in enumerate(lines):
        if not line.startswith("Error: "):
            continue
        text = line[7:].strip()
        if text.endswith(":"):  # "Error loading state:" - the substance is on the next line
            detail = next((ln for ln in lines[i + 1:] if ln), "")
            text = f"{text} {detail}"
        if text not in errors:
            errors.append(text)
    if errors:
        return "; ".join(errors[:3]) + (f" (and {len(errors) - 3} more)" if len(errors) > 3 else "")
    tail = [ln.strip() for ln in _ANSI.sub("", stderr).splitlines() if ln.strip()]
    return tail[-1] if tail else "no error message"


@dataclass
class RunResult:
    code: int
    stdout: str
    stderr: str


@dataclass
class Terraform:
    """One terraform binary plus the environment its subprocesses get."""

    binary: str
    env: dict[str, str]
    color: bool = False
    stream_to_stderr: bool = False  # --output json: keep stdout for our JSON

    def run(self, root: Path, *args: str, capture: bool = False, ok: Sequence[int] = (0,)) -> RunResult:
        """Run `terraform -chdir=root args...`; its output streams through while it runs.

        `capture` keeps stdout for the caller instead of printing it. An exit code outside `ok` raises
        DeployError with Terraform's own error lines.
        """
        argv = [self.binary, f"-chdir={root}", *args]
        if not self.color and args and args[0] in _NO_COLOR_COMMANDS:
            argv.insert(3, "-no-color")
        proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                env=self.env, text=True, errors="replace", bufsize=1)
        out: list[str] = []
        err: list[str] = []
        sink_out = None if capture else (sys.stderr if self.stream_to_stderr else sys.stdout)
        pumps = [threading.Thread(target=_pump, args=(proc.stdout, out, sink_out), daemon=True),
                 threading.Thread(target=_pump, args=(proc.stderr, err, sys.stderr), daemon=True)]
        for t in pumps:
            t.start()
        try:
            code = proc.wait()
        except KeyboardInterrupt:
            # Terraform got the same SIGINT: let it stop gracefully (release locks, write state).
            proc.wait()
            raise
        finally:
            for t in pumps:
                t.join()
        result = RunResult(code, "".join(out), "".join(err))
        if code not in ok:
            raise DeployError(f"terraform {args[0] if args else ''} failed in {_short(root)}: "
                              f"{error_summary(result.stderr)}", "see Terraform's output above")
        return result


def _pump(stream: IO[str] | None, keep: list[str], sink: IO[str] | None) -> None:
    if stream is None:
        return
    for line in iter(stream.readline, ""):
        keep.append(line)
        if sink is not None:
            sink.write(line)
            sink.flush()
    stream.close()


def _short(root: Path) -> str:
    parts = root.parts
    return "/".join(parts[parts.index(TERRAFORM_DIR):]) if TERRAFORM_DIR in parts else str(root)


@dataclass
class StateStore:
    """The state backend seen through boto3: what exists, what the state files hold."""

    aws: AwsContext
    backend: StateBackend

    def bucket_exists(self) -> bool:
        try:
            self.aws.client("s3").head_bucket(Bucket=self.backend.bucket)
            return True
        except botocore.exceptions.ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in ("404", "NoSuchBucket", "NotFound"):
                return False
            raise DeployError(f"cannot read the state bucket {self.backend.bucket}: {exc}",
                              "check your permissions on it") from exc

    def table_exists(self) -> bool:
        client = self.aws.client("dynamodb")
        try:
            client.describe_table(TableName=self.backend.lock_table)
            return True
        except client.exceptions.ResourceNotFoundException:
            return False

    def read_state(self, key: str) -> dict[str, Any] | None:
        """A state file from the bucket, or None when it (or the bucket) is not there."""
        try:
            body = self.aws.client("s3").get_object(Bucket=self.backend.bucket, Key=key)["Body"].read()
        except botocore.exceptions.ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in ("NoSuchKey", "NoSuchBucket", "404"):
                return None
            raise
        state: dict[str, Any] = json.loads(body)
        return state

    def states_with_resources(self) -> dict[str, int]:
        """State files in the bucket (other than the bootstrap's own) that still track resources."""
        found: dict[str, int] = {}
        paginator = self.aws.client("s3").get_paginator("list_objects_v2")
        for page in paginator.paginate(Bucket=self.backend.bucket):
            for obj in page.get("Contents", []):
                key = obj["Key"]
                if key == self.backend.bootstrap_key or not key.endswith(".tfstate"):
                    continue
                try:
                    state = self.read_state(key)
                except ValueError:  # not a state file after all
                    continue
                count = len(state.get("resources", [])) if state else 0
                if count:
                    found[key] = count
        return found

    def empty_bucket(self) -> int:
        """Delete every object version and delete marker of the state bucket; return how many.

        Done here rather than by the provider's force_destroy: it runs while versioning is still on,
        which the emulator needs (moto fails deleting delete markers once versioning is suspended).
        """
        s3 = self.aws.client("s3")
        count = 0
        for page in s3.get_paginator("list_object_versions").paginate(Bucket=self.backend.bucket):
            objects = [{"Key": v["Key"], "VersionId": v["VersionId"]}
                       for v in page.get("Versions", []) + page.get("DeleteMarkers", [])]
            if not objects:
                continue
            errors = s3.delete_objects(Bucket=self.backend.bucket,
                                       Delete={"Objects": objects, "Quiet": True}).get("Errors", [])
            if errors:
                raise DeployError(f"could not empty {self.backend.bucket}: {errors[0].get('Message')}",
                                  "check your permissions on the bucket, then run unbootstrap again")
            count += len(objects)
        return count


# ------------------------------------------------------------------------------------ one environment


@dataclass
class TfSession:
    """Terraform for one environment on one target: the work copy, the files it needs, the runner."""

    env: Environment
    aws: AwsContext
    project_dir: Path
    ui: Ui
    work_dir: Path  # .fuelflow/tf
    tf: Terraform
    backend: StateBackend
    last_plan_details: list[dict[str, Any]] = field(default_factory=list, repr=False)
    _synced: bool = field(default=False, repr=False)

    # -------- paths

    @property
    def target(self) -> str:
        return "local" if self.aws.is_local else "aws"

    @property
    def env_dir(self) -> Path:
        return self.work_dir / f"{self.env.name}-{self.target}"

    @property
    def root(self) -> Path:
        return self.env_dir / TERRAFORM_DIR

    @property
    def bootstrap_root(self) -> Path:
        return self.root / BOOTSTRAP_DIR

    @property
    def local_endpoint(self) -> str | None:
        """The emulator the generated files point at; None for real AWS."""
        return self.aws.endpoint_url if self.aws.is_local else None

    @property
    def backend_file(self) -> Path:
        """Where the backend config lives: the source tree for AWS (committed), the work dir for local."""
        if self.local_endpoint is None:
            return self.project_dir / TERRAFORM_DIR / BACKENDS_DIR / f"{self.env.name}.s3.tfbackend"
        return self.env_dir / f"{self.env.name}.s3.tfbackend"

    @property
    def store(self) -> StateStore:
        return StateStore(self.aws, self.backend)

    @property
    def ephemeral(self) -> bool:
        """True when this command started the emulator: everything in it is forgotten at exit."""
        return self.aws.emulator is not None

    # -------- preparing

    def sync(self) -> None:
        """Copy terraform/ into the work dir (once per session) and write the target's overrides."""
        if self._synced:
            return
        source = self.project_dir / TERRAFORM_DIR
        if not list(source.glob("*.tf")):
            raise InputError(f"no Terraform root module in {source}",
                             "run from the project directory or pass --project-dir")
        sync_tree(source, self.root)
        for root in (self.root, self.bootstrap_root):
            if root.is_dir() and self.local_endpoint:
                aliases = aws_provider_aliases(root) or [None]
                (root / PROVIDER_OVERRIDE).write_text(render_local_override(self.local_endpoint, aliases))
        self._synced = True

    def var_file(self, root: Path) -> Path:
        """The environment's var-file for `root` (Environment.write_tf_vars when the root takes them all)."""
        name = "bootstrap" if root == self.bootstrap_root else "main"
        path = self.env_dir / f"{self.env.name}.{name}.tfvars.json"
        values = tf_vars_for(self.env, root, self.aws.region)
        if values == self.env.tf_vars():
            return self.env.write_tf_vars(path)
        path.write_text(json.dumps(values, indent=2) + "\n")
        return path

    def write_backend_file(self) -> Path:
        path = self.backend_file
        path.parent.mkdir(parents=True, exist_ok=True)
        text = render_backend_config(self.backend, self.local_endpoint)
        if not path.is_file() or path.read_text() != text:
            path.write_text(text)
        return path

    def set_backend(self, root: Path, kind: str | None) -> None:
        """Force `root`'s backend to `kind` ("local"/"s3") with an override; None: as the root declares."""
        override = root / BACKEND_OVERRIDE
        if kind is None:
            override.unlink(missing_ok=True)
        else:
            override.write_text(render_backend_override(kind))

    # -------- terraform commands

    def init(self, root: Path, *, remote_key: str | None, migrate: bool = False) -> None:
        """`terraform init` with the S3 backend at `remote_key`, or local state when it is None."""
        args = ["init", "-input=false"]
        if remote_key is not None:
            args += [f"-backend-config={self.write_backend_file()}", f"-backend-config=key={remote_key}"]
        args += ["-migrate-state", "-force-copy"] if migrate else ["-reconfigure"]
        self.tf.run(root, *args)

    def plan(self, root: Path, *, destroy: bool = False, summarize: bool = True) -> dict[str, list[str]] | None:
        """Plan into a file; return the summary of changes ({} unless `summarize`), or None when there
        are none."""
        plan_file = root / PLAN_FILE
        args = ["plan", "-input=false", "-lock-timeout=60s", "-detailed-exitcode", f"-out={PLAN_FILE}",
                f"-var-file={self.var_file(root)}"]
        if destroy:
            args.append("-destroy")
        try:
            code = self.tf.run(root, *args, ok=(0, 2)).code
        except FuelflowError:
            plan_file.unlink(missing_ok=True)
            raise
        if code == 0:
            plan_file.unlink(missing_ok=True)
            return None
        if not summarize:
            return {}
        shown = json.loads(self.tf.run(root, "show", "-json", PLAN_FILE, capture=True).stdout)
        if not destroy:
            for what in data_loss(shown):
                self.ui.warn(f"this plan will {what}: the data it holds is lost")
        self.last_plan_details = plan_details(shown)
        return plan_summary(shown)

    def apply_plan(self, root: Path) -> None:
        try:
            self.tf.run(root, "apply", "-input=false", "-lock-timeout=60s", PLAN_FILE)
        finally:
            (root / PLAN_FILE).unlink(missing_ok=True)

    def outputs(self, root: Path) -> dict[str, Any]:
        raw: dict[str, Any] = json.loads(self.tf.run(root, "output", "-json", capture=True).stdout or "{}")
        return raw

    def nonempty_buckets(self, root: Path) -> dict[str, list[str]]:
        """Buckets in `root`'s state that hold objects: {bucket: [its state addresses]}.

        The modules never let Terraform empty a bucket (force_destroy = false); destroy keeps such a
        bucket, with its settings (policy, encryption, public access block...), by removing it from
        the state instead of failing on it.
        """
        shown = json.loads(self.tf.run(root, "show", "-json", capture=True).stdout or "{}")
        resources = list(_state_resources(shown.get("values", {}).get("root_module", {})))
        buckets = {r["values"].get("bucket"): r["address"] for r in resources if r.get("type") == "aws_s3_bucket"}
        s3 = self.aws.client("s3")
        kept: dict[str, list[str]] = {}
        for name, address in buckets.items():
            if not name:
                continue
            try:
                page = s3.list_object_versions(Bucket=name, MaxKeys=1)
            except botocore.exceptions.ClientError:  # already gone: nothing to keep
                continue
            if page.get("Versions") or page.get("DeleteMarkers"):
                kept[name] = [address] + [r["address"] for r in resources
                                          if r.get("type", "").startswith("aws_s3_bucket_")
                                          and r["values"].get("bucket") == name]
        return kept

    def require_backend(self) -> None:
        """The state backend must exist; in a fresh embedded emulator it is bootstrapped on the spot."""
        if self.store.bucket_exists():
            return
        if self.ephemeral:
            self.ui.progress("bootstrapping the Terraform state backend in the embedded emulator")
            bootstrap(self)
            return
        raise InputError(
            f"the Terraform state backend of {self.env.name} does not exist (no bucket {self.backend.bucket})",
            f"run `fuelflow tf bootstrap --env {self.env.name}` with the same target options first",
        )


def open_session(env: Environment, aws_ctx: AwsContext, project_dir: Path, ui: Ui, *,
                 plugin_dir: str | Path | None = None, work_dir: Path | None = None) -> TfSession:
    """Everything a Terraform command needs, checked before anything runs (exit 2 on bad input)."""
    binary = find_terraform()
    terraform_version(binary)
    work = Path(work_dir or os.environ.get(WORK_DIR_ENV) or project_dir / WORK_DIR).resolve()
    work.mkdir(parents=True, exist_ok=True)
    cli_config = write_cli_config(work, resolve_plugin_dir(plugin_dir), ui)
    sub_env = dict(os.environ)
    sub_env.update({"TF_IN_AUTOMATION": "1", "TF_INPUT": "0", "CHECKPOINT_DISABLE": "1",
                    "AWS_REGION": aws_ctx.region, "AWS_DEFAULT_REGION": aws_ctx.region})
    if cli_config is not None:
        sub_env["TF_CLI_CONFIG_FILE"] = str(cli_config)
    if aws_ctx.is_local:
        for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN"):
            sub_env.pop(name, None)
        sub_env["AWS_ACCESS_KEY_ID"] = LOCAL_CREDENTIALS["aws_access_key_id"]
        sub_env["AWS_SECRET_ACCESS_KEY"] = LOCAL_CREDENTIALS["aws_secret_access_key"]
    elif aws_ctx.target.profile:
        sub_env["AWS_PROFILE"] = aws_ctx.target.profile
    runner = Terraform(binary, sub_env, color=bool(ui.rich), stream_to_stderr=ui.output == "json")
    backend = StateBackend.for_env(env, aws_ctx.account_id(), aws_ctx.region)
    return TfSession(env, aws_ctx, project_dir.resolve(), ui, work, runner, backend)


@contextlib.contextmanager
def _locked(session: TfSession) -> Iterator[TfSession]:
    """One fuelflow command at a time per work dir (two would overwrite each other's files)."""
    session.env_dir.mkdir(parents=True, exist_ok=True)
    with (session.env_dir / ".lock").open("w") as fh:
        try:
            import fcntl

            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except ImportError:  # pragma: no cover - not POSIX: no lock
            pass
        except OSError as exc:
            raise InputError(f"another fuelflow command is using {session.env_dir}",
                             "wait for it to finish") from exc
        yield session


def _summary_line(summary: dict[str, list[str]] | None) -> str:
    if not summary:
        return "no changes"
    return ", ".join(f"{len(v)} to {k}" for k, v in summary.items() if v) or "no resource changes"


# ------------------------------------------------------------------------------------ the operations


def bootstrap(s: TfSession) -> dict[str, Any]:
    """Create the state backend through terraform/bootstrap (cloudposse's tfstate-backend procedure):
    apply with local state, then `init -migrate-state` into the bucket just created. Idempotent: once
    the bootstrap state is in the bucket, a rerun plans against it and changes nothing.
    """
    s.sync()
    root = s.bootstrap_root
    if not root.is_dir():
        raise InputError(f"{s.project_dir / TERRAFORM_DIR / BOOTSTRAP_DIR} is missing",
                         "restore terraform/bootstrap (the root that applies modules/terraform-state)")
    local_state = root / LOCAL_STATE
    resumed = local_state.is_file() and bool(json.loads(local_state.read_text() or "{}").get("resources"))
    changed = False
    if not resumed and s.store.read_state(s.backend.bootstrap_key) is not None:
        # Already bootstrapped: plan against the migrated state, apply only a drift.
        s.set_backend(root, "s3")
        s.init(root, remote_key=s.backend.bootstrap_key)
        if s.plan(root, summarize=False) is not None:
            s.ui.progress("the state backend differs from terraform/bootstrap: applying")
            s.apply_plan(root)
            changed = True
    else:
        if not resumed and s.store.bucket_exists():
            raise InputError(
                f"the bucket {s.backend.bucket} exists but holds no bootstrap state ({s.backend.bootstrap_key})",
                "import it into terraform/bootstrap (terraform import) or remove it, then run bootstrap again",
            )
        if not resumed:
            local_state.unlink(missing_ok=True)
            (root / f"{LOCAL_STATE}.backup").unlink(missing_ok=True)
        s.set_backend(root, "local")
        s.init(root, remote_key=None)
        if s.plan(root, summarize=False) is not None:
            s.apply_plan(root)
        s.ui.progress(f"moving the bootstrap state into s3://{s.backend.bucket}/{s.backend.bootstrap_key}")
        s.set_backend(root, "s3")
        try:
            s.init(root, remote_key=s.backend.bootstrap_key, migrate=True)
        except DeployError as exc:
            if s.local_endpoint and "403" in exc.message:
                raise DeployError(exc.message, "the emulator refuses objects in a bucket with a TLS-only policy "
                                  "(moto ignores aws:SecureTransport conditions); run an emulator that treats "
                                  "its clients as TLS clients") from exc
            raise
        if s.store.read_state(s.backend.bootstrap_key) is None:
            raise DeployError("the bootstrap state did not arrive in the bucket",
                              f"the local copy is kept in {local_state}; run bootstrap again")
        local_state.unlink(missing_ok=True)
        (root / f"{LOCAL_STATE}.backup").unlink(missing_ok=True)
        changed = True
    _check_bootstrap_outputs(s, s.outputs(root))
    backend_file = s.write_backend_file()
    return {
        "environment": s.env.name,
        "target": s.target,
        "bucket": s.backend.bucket,
        "lock_table": s.backend.lock_table,
        "region": s.backend.region,
        "state_key": s.backend.key,
        "backend_config": str(backend_file),
        "changed": changed,
    }


def _check_bootstrap_outputs(s: TfSession, outputs: dict[str, Any]) -> None:
    """The bootstrap root and this tool must agree on the names (docs/contract.md)."""
    config = outputs.get("backend_config", {}).get("value") or {}
    expected = {"bucket": s.backend.bucket, "dynamodb_table": s.backend.lock_table, "key": s.backend.key}
    wrong = {k: config[k] for k, v in expected.items() if k in config and config[k] != v}
    if wrong:
        raise DeployError(f"terraform/bootstrap's backend_config disagrees with docs/contract.md: {wrong}",
                          f"expected {expected}")


def unbootstrap(s: TfSession, *, force: bool, auto_approve: bool) -> dict[str, Any]:
    """Delete the state backend. Refuses while any state in the bucket still tracks resources, unless
    `force`; asks first (typed environment name) unless `auto_approve`."""
    s.sync()
    root = s.bootstrap_root
    local_state = root / LOCAL_STATE
    resumed = local_state.is_file() and bool(json.loads(local_state.read_text() or "{}").get("resources"))
    if not resumed and not s.store.bucket_exists():
        if s.store.table_exists():
            raise InputError(f"the lock table {s.backend.lock_table} exists without its bucket",
                             "delete it by hand (it is not tracked by any state fuelflow can find)")
        return {"environment": s.env.name, "deleted": [], "message": "no state backend: nothing to do"}
    live = {} if resumed else s.store.states_with_resources()
    if live and not force:
        held = ", ".join(f"{k} ({n} resources)" for k, n in sorted(live.items()))
        raise InputError(f"the state bucket {s.backend.bucket} still holds state: {held}",
                         f"destroy first (`fuelflow tf destroy --env {s.env.name}`), "
                         "or pass --force to delete that state and leave those resources unmanaged")
    approve(s.ui, auto_approve, "unbootstrap",
             f"Delete the Terraform state bucket {s.backend.bucket} (all versions) and lock table "
             f"{s.backend.lock_table}?", expected=s.env.name)
    if not resumed:
        if s.store.read_state(s.backend.bootstrap_key) is None:
            raise InputError(f"the bucket {s.backend.bucket} holds no bootstrap state",
                             "it was not created by `fuelflow tf bootstrap`; delete it by hand")
        s.set_backend(root, "s3")
        s.init(root, remote_key=s.backend.bootstrap_key)
        s.ui.progress("moving the bootstrap state out of the bucket it is about to delete")
        s.set_backend(root, "local")
        s.init(root, remote_key=None, migrate=True)
    else:
        s.set_backend(root, "local")
        s.init(root, remote_key=None)
    for directory in [root, *local_module_dirs(root)]:
        guarded = guarded_resources(directory)
        if guarded:
            (directory / TEARDOWN_OVERRIDE).write_text(render_teardown_override(guarded))
    if s.plan(root, summarize=False) is not None:  # records force_destroy, lifts deletion protection
        s.apply_plan(root)
    if s.store.bucket_exists():
        s.ui.progress(f"emptied {s.backend.bucket}: {s.store.empty_bucket()} object versions deleted")
    if s.plan(root, destroy=True, summarize=False) is not None:
        s.apply_plan(root)
    local_state.unlink(missing_ok=True)
    (root / f"{LOCAL_STATE}.backup").unlink(missing_ok=True)
    s.backend_file.unlink(missing_ok=True)
    return {"environment": s.env.name, "deleted": [s.backend.bucket, s.backend.lock_table],
            "message": "state backend deleted"}


def prepare_main(s: TfSession) -> Path:
    """The main root, initialised against the environment's state."""
    s.sync()
    s.require_backend()
    s.set_backend(s.root, None)
    s.init(s.root, remote_key=s.backend.key)
    return s.root


# Public API (the CLI and the `--engine terraform` paths of deploy/destroy/status/outputs call these).


def tf_bootstrap(env: Environment, aws_ctx: AwsContext, project_dir: Path, ui: Ui, *,
                 plugin_dir: str | Path | None = None, work_dir: Path | None = None) -> dict[str, Any]:
    """Create (or confirm) the environment's state backend; write its backend config file."""
    s = open_session(env, aws_ctx, project_dir, ui, plugin_dir=plugin_dir, work_dir=work_dir)
    with _locked(s):
        return bootstrap(s)


def tf_unbootstrap(env: Environment, aws_ctx: AwsContext, project_dir: Path, ui: Ui, *, force: bool = False,
                   auto_approve: bool = False, plugin_dir: str | Path | None = None,
                   work_dir: Path | None = None) -> dict[str, Any]:
    """Delete the state backend (guarded: see `unbootstrap`)."""
    require_confirmation(ui, auto_approve, "unbootstrap")
    s = open_session(env, aws_ctx, project_dir, ui, plugin_dir=plugin_dir, work_dir=work_dir)
    with _locked(s):
        return unbootstrap(s, force=force, auto_approve=auto_approve)


def tf_plan(env: Environment, aws_ctx: AwsContext, project_dir: Path, ui: Ui, *, destroy: bool = False,
            plugin_dir: str | Path | None = None, work_dir: Path | None = None) -> dict[str, Any]:
    """Show what apply (or destroy) would change; {"changes": bool, "create": [...], ...}."""
    s = open_session(env, aws_ctx, project_dir, ui, plugin_dir=plugin_dir, work_dir=work_dir)
    with _locked(s):
        root = prepare_main(s)
        summary = s.plan(root, destroy=destroy)
        (root / PLAN_FILE).unlink(missing_ok=True)
    return {"environment": env.name, "changes": summary is not None,
            **(summary or {"create": [], "update": [], "replace": [], "delete": []}),
            "details": s.last_plan_details if summary is not None else []}


def tf_deploy(env: Environment, aws_ctx: AwsContext, project_dir: Path, ui: Ui, auto_approve: bool = False,
              *, plugin_dir: str | Path | None = None, work_dir: Path | None = None) -> dict[str, Any]:
    """Plan, ask (unless auto_approve, or in a throwaway emulator), apply the saved plan; return the
    outputs (sensitive values redacted)."""
    auto_approve = auto_approve or aws_ctx.emulator is not None
    require_confirmation(ui, auto_approve, "apply")
    s = open_session(env, aws_ctx, project_dir, ui, plugin_dir=plugin_dir, work_dir=work_dir)
    with _locked(s):
        root = prepare_main(s)
        summary = s.plan(root)
        if summary is None:
            ui.progress(f"{env.name}: no changes")
        else:
            try:
                approve(ui, auto_approve, "apply", f"Apply these changes to {env.name} ({_summary_line(summary)})?")
            except FuelflowError:
                (root / PLAN_FILE).unlink(missing_ok=True)
                raise
            s.apply_plan(root)
        return redact_outputs(s.outputs(root))


def tf_destroy(env: Environment, aws_ctx: AwsContext, project_dir: Path, ui: Ui, auto_approve: bool = False,
               *, force: bool = False, confirm_name: str | None = None, plugin_dir: str | Path | None = None,
               work_dir: Path | None = None) -> dict[str, Any]:
    """Plan a destroy, guard it, apply it. The state backend stays; non-empty buckets are kept.

    Guarded as the CloudFormation path is: prod, or a plan that deletes data (a database, a table...),
    needs `force` and the environment's name typed (or `confirm_name` without a terminal); anything
    else a y/N question, skipped with `auto_approve` or in a throwaway emulator.
    """
    ephemeral = aws_ctx.emulator is not None
    require_confirmation(ui, auto_approve or ephemeral or confirm_name is not None, "destroy")
    s = open_session(env, aws_ctx, project_dir, ui, plugin_dir=plugin_dir, work_dir=work_dir)
    with _locked(s):
        root = prepare_main(s)
        summary = s.plan(root, destroy=True)
        if summary is None:
            ui.progress(f"{env.name}: nothing to destroy")
            return {"environment": env.name, "destroyed": [], "retained": []}
        kept = s.nonempty_buckets(root)
        forget = [address for addresses in kept.values() for address in addresses]
        if kept:
            ui.warn(f"not empty, so kept with their data and settings (they leave the Terraform state): "
                    f"{', '.join(sorted(kept))}")
        data = [d["address"] for d in s.last_plan_details if d["action"] == "delete"
                and d["type"] in STATEFUL_TYPES and d["address"] not in forget]
        question = (f"Destroy {len(summary['delete']) - len(forget)} resources of {env.name}"
                    f"{f' and keep {len(kept)} non-empty buckets' if kept else ''}?")
        try:
            guard_destroy(ui, env, auto_approve or ephemeral, force, confirm_name, data, question)
        except FuelflowError:
            (root / PLAN_FILE).unlink(missing_ok=True)
            raise
        if forget:
            (root / PLAN_FILE).unlink(missing_ok=True)
            s.tf.run(root, "state", "rm", "-lock-timeout=60s", *forget)
            second = s.plan(root, destroy=True)
            if second is not None and not set(second["delete"]) <= set(summary["delete"]):
                (root / PLAN_FILE).unlink(missing_ok=True)
                extra = sorted(set(second["delete"]) - set(summary["delete"]))
                raise DeployError(f"the destroy plan changed after it was confirmed: {', '.join(extra)}",
                                  "run destroy again and review the new plan")
            if second is None:
                return {"environment": env.name, "destroyed": [], "retained": sorted(kept)}
            summary = second
        s.apply_plan(root)
        return {"environment": env.name, "destroyed": summary["delete"], "retained": sorted(kept)}


def tf_outputs(env: Environment, aws_ctx: AwsContext, project_dir: Path, ui: Ui, *,
               plugin_dir: str | Path | None = None, work_dir: Path | None = None) -> dict[str, Any]:
    """The main root's outputs, sensitive values redacted."""
    s = open_session(env, aws_ctx, project_dir, ui, plugin_dir=plugin_dir, work_dir=work_dir)
    with _locked(s):
        return redact_outputs(s.outputs(prepare_main(s)))


def tf_status(env: Environment, aws_ctx: AwsContext, project_dir: Path, ui: Ui, *,
              plugin_dir: str | Path | None = None, work_dir: Path | None = None) -> dict[str, Any]:
    """Where the state is and what it tracks, read straight from the bucket: needs no terraform binary.

    (`project_dir`, `ui`, `plugin_dir` and `work_dir` are accepted for a uniform signature.)
    """
    store = StateStore(aws_ctx, StateBackend.for_env(env, aws_ctx.account_id(), aws_ctx.region))
    bucket = store.bucket_exists()
    state = store.read_state(store.backend.key) if bucket else None
    resources = [r for r in (state or {}).get("resources", []) if r.get("mode") == "managed"]
    return {
        "environment": env.name,
        "target": "local" if aws_ctx.is_local else "aws",
        "bucket": store.backend.bucket,
        "bucket_exists": bucket,
        "lock_table": store.backend.lock_table,
        "lock_table_exists": store.table_exists(),
        "state_key": store.backend.key,
        "state_exists": state is not None,
        "serial": (state or {}).get("serial"),
        "resources": sum(len(r.get("instances", [])) for r in resources),
        "resource_types": sorted({r["type"] for r in resources}),
        "outputs": redact_outputs((state or {}).get("outputs", {})),
    }


# ------------------------------------------------------------------------------------ shared printing


def show_mapping(ui: Ui, title: str, data: dict[str, Any]) -> None:
    """A name/value table on a terminal, plain lines when piped, the mapping itself with --output json."""
    if ui.output == "json":
        ui.json(data)
        return
    ui.table(title, ["name", "value"], [(k, v if isinstance(v, str) else json.dumps(v)) for k, v in data.items()])


def run_engine_command(action: str, env: Environment, aws_ctx: AwsContext, project_dir: Path, ui: Ui, *,
                       yes: bool = False, force: bool = False, confirm_name: str | None = None,
                       plugin_dir: str | Path | None = None, work_dir: Path | None = None) -> None:
    """`deploy|destroy|status|outputs --engine terraform`: carry the action out and print its result."""
    where: dict[str, Any] = {"plugin_dir": plugin_dir, "work_dir": work_dir}
    if action == "deploy":
        show_mapping(ui, f"{env.name} outputs", tf_deploy(env, aws_ctx, project_dir, ui, yes, **where))
    elif action == "destroy":
        result = tf_destroy(env, aws_ctx, project_dir, ui, yes, force=force, confirm_name=confirm_name, **where)
        if ui.output == "json":
            ui.json({"ok": True, **result})
            return
        ui.info(f"{env.name}: destroyed {len(result['destroyed'])} resources"
                + (f"; kept (not empty): {', '.join(result['retained'])}" if result["retained"] else ""))
    elif action == "status":
        show_mapping(ui, f"{env.name} Terraform state", tf_status(env, aws_ctx, project_dir, ui, **where))
    elif action == "outputs":
        show_mapping(ui, f"{env.name} outputs", tf_outputs(env, aws_ctx, project_dir, ui, **where))
    else:
        raise InputError(f"--engine terraform has no {action!r} command", "use fuelflow tf --help")
