"""A project that differs from the repository only by its environments/dev.yaml: how a user changes a setting."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[1]


def project_with(base: Path, changes: dict[str, Any], name: str = "dev") -> Path:
    """`base` made a project whose environments/<name>.yaml is the repository's with `changes` (dotted keys, None
    removes one);
    cloudformation/ and terraform/ are the repository's own (symlinks)."""
    base.mkdir(parents=True, exist_ok=True)
    for part in ("cloudformation", "terraform"):
        if not (base / part).exists():
            (base / part).symlink_to(ROOT / part)
    (base / "environments").mkdir(exist_ok=True)
    doc = yaml.safe_load((ROOT / "environments" / f"{name}.yaml").read_text())
    for key, value in changes.items():
        *path, last = key.split(".")
        target = doc
        for part in path:
            target = target[part]
        if value is None:
            target.pop(last, None)
        else:
            target[last] = value
    (base / "environments" / f"{name}.yaml").write_text(yaml.safe_dump(doc, sort_keys=False))
    return base
