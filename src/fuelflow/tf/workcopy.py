"""The work copy of terraform/: every run (an environment's plan, validate, parity) works on a copy, so
that `.terraform/`, lock files and override files never land in the source tree."""

from __future__ import annotations

import contextlib
import shutil
from pathlib import Path

from fuelflow.tf.render import LOCAL_STATE

TERRAFORM_DIR = "terraform"  # the project's Terraform configuration: <project>/terraform


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
