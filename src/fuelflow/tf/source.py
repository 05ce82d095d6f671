"""What a Terraform directory declares (variables, providers, guarded resources, module calls), read
with python-hcl2 before terraform runs, to write the files and var-files that directory accepts."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import hcl2

from fuelflow.config import Environment


def tf_files(root: Path) -> list[Path]:
    """The configuration files of one directory, override files excluded."""
    return sorted(p for p in root.glob("*.tf") if p.name != "override.tf" and not p.name.endswith("_override.tf"))


def _hcl_files(root: Path) -> dict[str, Any]:
    """Every `*.tf` file of one directory, parsed (files that do not parse are left out)."""
    parsed: dict[str, Any] = {}
    for path in tf_files(root):
        try:
            parsed[path.name] = load(path)
        except Exception:  # python-hcl2 lags Terraform's grammar; terraform itself will judge the file
            continue
    return parsed


def load(path: Path) -> dict[str, Any]:
    """One `.tf` file as python-hcl2 reads it (block labels keep their quotes: see `label`)."""
    with path.open() as fh:
        doc: dict[str, Any] = hcl2.load(fh)
    return doc


def label(key: str) -> str:
    """A block label or expression as written, without python-hcl2's quotes."""
    return key.strip('"')


def declared_variables(root: Path) -> set[str] | None:
    """Variable names a root declares; None when a file could not be read (then pass everything)."""
    names: set[str] = set()
    files = _hcl_files(root)
    if len(files) != len(tf_files(root)):
        return None
    for doc in files.values():
        for block in doc.get("variable", []):
            names.update(label(k) for k in block if not k.startswith("__"))
    return names


def aws_provider_aliases(root: Path) -> list[str | None]:
    """`provider "aws"` configurations of a root: None for the default one, else the alias."""
    aliases: list[str | None] = []
    for doc in _hcl_files(root).values():
        for block in doc.get("provider", []):
            for name, body in block.items():
                if label(name) == "aws":
                    aliases.append(label(str(body.get("alias")))
                                   if isinstance(body, dict) and body.get("alias") else None)
    return aliases


def guarded_resources(root: Path) -> list[tuple[str, str]]:
    """Buckets and DynamoDB tables declared in one directory (the ones teardown must unguard)."""
    found: list[tuple[str, str]] = []
    for doc in _hcl_files(root).values():
        for block in doc.get("resource", []):
            for rtype, named in block.items():
                if label(rtype) in ("aws_s3_bucket", "aws_dynamodb_table"):
                    found.extend((label(rtype), label(n)) for n in named if not n.startswith("__"))
    return found


def local_module_dirs(root: Path) -> list[Path]:
    """Directories of the modules a root calls by relative path."""
    dirs: list[Path] = []
    for doc in _hcl_files(root).values():
        for block in doc.get("module", []):
            for body in block.values():
                source = label(str(body.get("source", ""))) if isinstance(body, dict) else ""
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
