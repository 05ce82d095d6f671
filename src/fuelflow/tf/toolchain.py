"""The Terraform toolchain: which terraform binary, which provider mirror, which CLI config and which
environment every terraform command gets. `tf` operations, `validate` and `parity` all resolve it here,
so on one machine they cannot disagree about the binary or the mirror.

Providers: with a filesystem mirror (`--plugin-dir`, `FUELFLOW_TF_PLUGIN_DIR`, or a well-known place
that holds one), a generated CLI config installs the mirrored providers from it and everything else
from the registry; without one, Terraform uses the registry as usual.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from fuelflow.errors import DeployError, InputError
from fuelflow.tf.render import hcl_value

MIN_VERSION = (1, 10)  # S3-native locking (use_lockfile)
TERRAFORM_ENV = "FUELFLOW_TERRAFORM"  # path of the terraform binary, when it is not on PATH
PLUGIN_DIR_ENV = "FUELFLOW_TF_PLUGIN_DIR"
INSTALL_FIX = (f"install Terraform >= {MIN_VERSION[0]}.{MIN_VERSION[1]} "
               "(https://developer.hashicorp.com/terraform/install) and put it on PATH, "
               f"or set {TERRAFORM_ENV}=/path/to/terraform")
AWS_PROVIDER = "registry.terraform.io/hashicorp/aws"
MIRROR_HOST = "registry.terraform.io"
CLI_CONFIG = "terraformrc"  # the generated CLI config, in the caller's work directory
# Roots where machine images and CI runners unpack provider mirrors (searched a few levels deep).
MIRROR_ROOTS = (Path("/opt"), Path("/usr/local"), Path("/srv"))

Warn = Callable[[str], None]


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


def checked_terraform() -> str:
    """`find_terraform`, refused when older than MIN_VERSION."""
    binary = find_terraform()
    terraform_version(binary)
    return binary


# ------------------------------------------------------------------------------------ provider mirror


def plugin_dir_candidates() -> list[Path]:
    """Well-known places a provider mirror may live, searched when none is given.

    Terraform's own implied local mirrors (per the CLI configuration docs) first, then any directory
    holding `registry.terraform.io` up to two levels below the roots where machine images unpack one.
    """
    home = Path.home()
    data_home = Path(os.environ.get("XDG_DATA_HOME") or home / ".local" / "share")
    data_dirs = [Path(d) for d in (os.environ.get("XDG_DATA_DIRS") or "/usr/local/share:/usr/share").split(":")
                 if d]
    found = [home / ".terraform.d" / "plugins", data_home / "terraform" / "plugins",
             *(d / "terraform" / "plugins" for d in data_dirs)]
    for root in MIRROR_ROOTS:
        for depth in range(3):
            try:
                found += sorted(hit.parent for hit in root.glob("/".join(["*"] * depth + [MIRROR_HOST])))
            except OSError:
                continue
    return found


def mirror_providers(path: Path) -> list[str]:
    """Provider addresses (`host/namespace/type`) a filesystem mirror holds, packed or unpacked layout."""
    found: list[str] = []
    try:
        if not path.is_dir():
            return found
        for type_dir in sorted(path.glob("*/*/*")):
            if not type_dir.is_dir():
                continue
            unpacked = any(v.is_dir() and re.fullmatch(r"\d+\.\d+\.\d+.*", v.name) for v in type_dir.iterdir())
            packed = any(type_dir.glob("terraform-provider-*.zip"))
            if unpacked or packed:
                found.append("/".join(type_dir.relative_to(path).parts))
    except OSError:  # unreadable: not a mirror we can use
        return []
    return found


def resolve_plugin_dir(explicit: str | Path | None = None) -> Path | None:
    """The provider mirror to use: `explicit` (--plugin-dir), else $FUELFLOW_TF_PLUGIN_DIR, else the first
    well-known place that holds hashicorp/aws; None means "use the registry".

    A mirror that was asked for by name but holds no provider is an input error, not a silent fallback.
    Naming the `registry.terraform.io` directory itself is taken to mean the mirror that holds it.
    """
    for given, source in ((explicit, "--plugin-dir"), (os.environ.get(PLUGIN_DIR_ENV), PLUGIN_DIR_ENV)):
        if given:
            path = Path(given).expanduser().resolve()
            if path.name == MIRROR_HOST:
                path = path.parent
            if not mirror_providers(path):
                raise InputError(
                    f"{source} {path} is not a Terraform provider mirror",
                    f"point it at a directory laid out as {AWS_PROVIDER}/<version>/<os_arch>/ "
                    "(see `terraform providers mirror`)",
                )
            return path
    for candidate in plugin_dir_candidates():
        if AWS_PROVIDER in mirror_providers(candidate):
            return candidate.resolve()
    return None


# ------------------------------------------------------------------------------------ CLI config


def render_cli_config(plugin_dir: Path, providers: Sequence[str], base: str = "") -> str:
    """A Terraform CLI config: mirrored providers from `plugin_dir`, all others from their registry.

    `base` is the user's own CLI config (credentials, plugin cache...), kept as it is.
    """
    lines = [
        "# Written by fuelflow: providers found in the filesystem mirror come from it, all others",
        "# from their registry as usual. Regenerated on every run; edit your own CLI config instead.",
        "provider_installation {",
        "  filesystem_mirror {",
        f"    path    = {hcl_value(str(plugin_dir))}",
        f"    include = {hcl_value(list(providers))}",
        "  }",
        "  direct {",
        f"    exclude = {hcl_value(list(providers))}",
        "  }",
        "}",
    ]
    head = f"{base.rstrip()}\n\n" if base.strip() else ""
    return head + "\n".join(lines) + "\n"


def _user_cli_config() -> Path | None:
    configured = os.environ.get("TF_CLI_CONFIG_FILE")
    path = Path(configured).expanduser() if configured else Path.home() / ".terraformrc"
    return path if path.is_file() else None


def write_cli_config(work_dir: Path, plugin_dir: Path | None, warn: Warn | None = None) -> Path | None:
    """Write the CLI config for `plugin_dir` into `work_dir`; return its path (None: keep Terraform's own).

    The user's CLI config is carried over; if it already says how to install providers, ours would
    clash with it, so the mirror replaces that part (with a warning). Without a mirror, a configured
    TF_CLI_CONFIG_FILE that does not exist is replaced by an empty one (else every command warns).
    """
    configured = os.environ.get("TF_CLI_CONFIG_FILE")
    if plugin_dir is None and not (configured and not Path(configured).expanduser().is_file()):
        return None
    work_dir.mkdir(parents=True, exist_ok=True)
    path = work_dir / CLI_CONFIG
    if plugin_dir is None:
        path.write_text("")
        return path
    base = ""
    user = _user_cli_config()
    if user is not None:
        base = user.read_text()
        if re.search(r"^\s*provider_installation\b", base, re.MULTILINE):
            if warn is not None:
                warn(f"{user} has its own provider_installation; using the mirror {plugin_dir} instead")
            base = ""
    path.write_text(render_cli_config(plugin_dir, mirror_providers(plugin_dir), base))
    return path


# ------------------------------------------------------------------------------------ the toolchain


@dataclass(frozen=True)
class Toolchain:
    """A terraform binary (version checked) and the provider mirror it installs from (None: registry)."""

    binary: str
    plugin_dir: Path | None

    @classmethod
    def resolve(cls, plugin_dir: str | Path | None = None) -> Toolchain:
        """Find both; InputError (exit 2) for a missing or old binary, or a named mirror that is none."""
        return cls(checked_terraform(), resolve_plugin_dir(plugin_dir))

    def env(self, work_dir: Path, warn: Warn | None = None) -> dict[str, str]:
        """The environment of every terraform command: no prompts, no update checks, the mirror's CLI
        config (written into `work_dir`)."""
        env = {**os.environ, "TF_IN_AUTOMATION": "1", "TF_INPUT": "0", "CHECKPOINT_DISABLE": "1"}
        cli_config = write_cli_config(work_dir, self.plugin_dir, warn)
        if cli_config is not None:
            env["TF_CLI_CONFIG_FILE"] = str(cli_config)
        return env

    def capture(self, args: Sequence[str], *, cwd: Path, env: dict[str, str],
                timeout: float) -> subprocess.CompletedProcess[str]:
        """Run `terraform args...` in `cwd` with its output captured; DeployError if it cannot run or
        times out (its exit code is the caller's to judge)."""
        try:
            return subprocess.run([self.binary, *args], cwd=cwd, env=env, capture_output=True, text=True,
                                  timeout=timeout, check=False)
        except subprocess.TimeoutExpired as exc:
            raise DeployError(f"terraform {args[0] if args else ''} timed out after {timeout:.0f} s",
                              "check the terraform installation and the provider mirror") from exc
        except OSError as exc:
            raise DeployError(f"could not run {self.binary}: {exc}", INSTALL_FIX) from exc
