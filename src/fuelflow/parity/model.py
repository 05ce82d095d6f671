"""The two models and their comparison: flat paths to plain values, each path traced to the file behind it;
a difference reads as one line naming both files."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fuelflow.templates import TEMPLATE_DIR as CFN_DIR
from fuelflow.templates import part_of
from fuelflow.tf.workcopy import TERRAFORM_DIR as TF_DIR

ABSENT = None  # a path one model does not have


@dataclass(frozen=True)
class Difference:
    """One place where the two models disagree; `str()` is a readable line naming both files.

    `member` differences concern one element of a set (a rule, a statement): `cloudformation` or
    `terraform` holds the element, the other side is None.
    """

    path: str
    cloudformation: Any
    terraform: Any
    cloudformation_file: str
    terraform_file: str
    member: bool = False

    def __str__(self) -> str:
        cfn, tf = self.cloudformation_file, self.terraform_file
        if self.member:
            if self.cloudformation is not None:
                return f"{self.path}: {cfn} has {_fmt(self.cloudformation)}, {tf} does not"
            return f"{self.path}: {tf} has {_fmt(self.terraform)}, {cfn} does not"
        return f"{self.path}: {cfn} says {_fmt(self.cloudformation)}, {tf} says {_fmt(self.terraform)}"


@dataclass
class Model:
    """The architecture as one engine describes it: flat paths to values, and the file behind each path.

    A value is a scalar, a list (order matters) or a frozenset (order does not; compared element-wise).
    """

    side: str
    values: dict[str, Any] = field(default_factory=dict)
    sources: dict[str, str] = field(default_factory=dict)

    def put(self, path: str, value: Any, source: str) -> None:
        if isinstance(value, set):
            value = frozenset(value)
        if isinstance(value, frozenset) and isinstance(self.values.get(path), frozenset):
            value = self.values[path] | value
        self.values[path] = value
        self.sources.setdefault(path, source)
        parts = path.split(".")
        for i in range(1, len(parts)):
            self.sources.setdefault(".".join(parts[:i]), source)

    def add(self, path: str, member: str, source: str) -> None:
        """Add one element to the set at `path`."""
        self.put(path, frozenset({member}), source)

    def file_for(self, path: str) -> str:
        """The file that defines `path`, or its nearest ancestor; the engine's directory if none."""
        parts = path.split(".")
        for i in range(len(parts), 0, -1):
            found = self.sources.get(".".join(parts[:i]))
            if found:
                return found
        return CFN_DIR + "/" if self.side == "cloudformation" else TF_DIR + "/"


def compare_models(cfn: Model, tf: Model) -> list[Difference]:
    """The differences between two models, sorted by path."""
    out: list[Difference] = []
    for path in sorted(set(cfn.values) | set(tf.values)):
        a, b = cfn.values.get(path, ABSENT), tf.values.get(path, ABSENT)
        fa, fb = cfn.file_for(path), tf.file_for(path)
        if path not in cfn.values:  # missing on one side: name the file that mirrors the other side's
            fa = _counterpart(fb, cfn) or fa
        if path not in tf.values:
            fb = _counterpart(fa, tf) or fb
        if isinstance(a, frozenset) or isinstance(b, frozenset):
            sa = a if isinstance(a, frozenset) else frozenset()
            sb = b if isinstance(b, frozenset) else frozenset()
            out.extend(Difference(path, m, None, fa, fb, member=True) for m in sorted(sa - sb, key=str))
            out.extend(Difference(path, None, m, fa, fb, member=True) for m in sorted(sb - sa, key=str))
        elif _canon(a) != _canon(b):
            out.append(Difference(path, a, b, fa, fb))
    return out


def _part(file: str) -> str | None:
    """The architecture part a file belongs to: cloudformation/rds-database.yaml and terraform/modules/rds/* -> rds."""
    if re.match(rf"{CFN_DIR}/[^/]+\.ya?ml$", file):
        return part_of(Path(file))
    m = re.match(rf"{TF_DIR}/modules/([^/]+)/", file)
    return m.group(1) if m else None


def _counterpart(file: str, model: Model) -> str | None:
    """The file of `model` that describes the same part as `file` (the most used one), if any."""
    part = _part(file)
    if part is None:
        return None
    counts: dict[str, int] = {}
    for source in model.sources.values():
        if _part(source) == part:
            counts[source] = counts.get(source, 0) + 1
    return max(sorted(counts), key=lambda f: counts[f]) if counts else None


def _fmt(value: Any) -> str:
    if value is None:
        return "(absent)"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return value if value and not value.isspace() else repr(value)
    if isinstance(value, (list, tuple, frozenset)):
        return "[" + ", ".join(_fmt(v) for v in value) + "]"
    return str(value)


def _canon(value: Any) -> Any:
    """Compare 7 and "7" and 7.0 alike (CloudFormation passes numbers as strings)."""
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, str) and re.fullmatch(r"-?\d+(\.\d+)?", value):
        return float(value)
    if isinstance(value, (list, tuple)):
        return [_canon(v) for v in value]
    return value
