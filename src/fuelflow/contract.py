"""The contract (`contract.yaml`): every limit, pattern, allowed value and name the parts share, loaded once.

The environment validator (`config.py`), the name builders (`names.py`), `fuelflow env new` and the tests that
hold the templates and Terraform to the same rules all read it from here; nothing else writes a limit down.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

import yaml


@dataclass(frozen=True)
class Setting:
    """One environment-file setting and its limits (see contract.yaml for the fields)."""

    key: str
    type: str
    cfn: tuple[str, ...]
    tf: str
    min: int | None = None
    max: int | None = None
    values: tuple[Any, ...] = ()
    pattern: str | None = None
    min_prefix: int | None = None
    max_prefix: int | None = None
    count: int | None = None
    max_count: int | None = None
    greater_than: str | None = None
    at_least: str | None = None  # another setting this one may equal but not undercut
    optional: bool = False
    hint: str = ""
    after_deploy: str = "updates"  # "fixed": cannot change once deployed (fixed_reason says why)
    fixed_reason: str = ""

    @property
    def fixed(self) -> bool:
        """True when a deployed environment refuses a change of this setting (src/fuelflow/lifecycle.py)."""
        return self.after_deploy == "fixed"

    @property
    def section(self) -> str:
        return self.key.split(".", 1)[0]

    @property
    def field(self) -> str:
        return self.key.split(".", 1)[1]


@dataclass(frozen=True)
class Identifier:
    """A name part: project, environment or region."""

    key: str
    pattern: str
    tf: str
    cfn: str | None = None
    min_length: int = 1
    max_length: int = 255
    portable_pattern: str | None = None
    example: str = ""
    file_key: str = ""  # its key in an environment file, when not `key`
    after_deploy: str = "updates"  # "fixed": cannot change once deployed (fixed_reason says why)
    fixed_reason: str = ""

    @property
    def document_key(self) -> str:
        return self.file_key or self.key

    @property
    def fixed(self) -> bool:
        return self.after_deploy == "fixed"


@dataclass(frozen=True)
class NameRule:
    """How one AWS name is formed, and AWS's limit for it."""

    key: str
    format: str
    max: int
    kind: str
    future: bool = False


# libyaml's safe loader when PyYAML has it (the same documents, ten times faster than the pure-Python one)
SAFE_LOADER: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def safe_load(text: str) -> Any:
    """yaml.safe_load, through SAFE_LOADER."""
    return yaml.load(text, Loader=SAFE_LOADER)


@cache
def raw() -> dict[str, Any]:
    """The parsed contract.yaml."""
    data: dict[str, Any] = safe_load(resources.files("fuelflow").joinpath("contract.yaml").read_text())
    return data


@cache
def settings() -> dict[str, Setting]:
    """Every environment-file setting, by its dotted key (`ec2.instance_type`)."""
    out: dict[str, Setting] = {}
    for key, spec in raw()["settings"].items():
        spec = dict(spec)
        spec["cfn"] = tuple(spec.get("cfn", ()))
        spec["values"] = tuple(spec.get("values", ()))
        out[key] = Setting(key=key, **spec)
    return out


def setting(key: str) -> Setting:
    return settings()[key]


@cache
def identifiers() -> dict[str, Identifier]:
    """project, environment, region."""
    portable = raw().get("portable_patterns", {})
    return {k: Identifier(key=k, portable_pattern=portable.get(k),
                          **{f: v for f, v in spec.items() if f != "description"})
            for k, spec in raw()["identifiers"].items()}


def identifier(key: str) -> Identifier:
    return identifiers()[key]


@cache
def document_keys() -> dict[str, frozenset[str]]:
    """The keys an environment file may hold: "" -> the top-level keys, <section> -> that section's fields."""
    out: dict[str, set[str]] = {"": {i.document_key for i in identifiers().values()} | set(raw()["document_keys"])}
    for s in settings().values():
        out[""].add(s.section)
        out.setdefault(s.section, set()).add(s.field)
    return {k: frozenset(v) for k, v in out.items()}


@cache
def name_rules() -> dict[str, NameRule]:
    """Every AWS name an environment produces."""
    return {k: NameRule(key=k, **spec) for k, spec in raw()["names"].items()}


def name_placeholders() -> dict[str, str]:
    """Longest assumed values of the fields unknown before deployment (account id, stack part, n)."""
    return {k: str(v) for k, v in raw()["name_placeholders"].items()}


def tiers() -> dict[str, dict[str, Any]]:
    """Environment tiers and what each requires of the settings."""
    return {k: dict(v) for k, v in raw()["tiers"].items()}


def tags() -> dict[str, Any]:
    return dict(raw()["tags"])


def fixed_after_deploy() -> dict[str, str]:
    """Environment-file keys that cannot change once deployed (`after_deploy: fixed`) -> the reason."""
    out = {("name" if i.key == "environment" else i.key): i.fixed_reason for i in identifiers().values() if i.fixed}
    out.update({s.key: s.fixed_reason for s in settings().values() if s.fixed})
    return out


def cfn_parameter_settings() -> dict[str, Setting]:
    """CloudFormation parameter name -> the setting it carries."""
    return {p: s for s in settings().values() for p in s.cfn}


# ----------------------------------------------------------------------------- docs/contract.md tables

BEGIN, END = "<!-- BEGIN CONTRACT (generated: python -m fuelflow.contract docs/contract.md) -->", \
    "<!-- END CONTRACT -->"


def _limits(s: Setting) -> str:
    if s.type == "integer":
        extra = f", > {s.greater_than}" if s.greater_than else f", >= {s.at_least}" if s.at_least else ""
        return f"{s.min}..{s.max}{extra}"
    if s.type == "choice":
        return ", ".join(map(str, s.values))
    if s.type in ("cidr", "cidr_list"):
        count = f"exactly {s.count}" if s.count else f"at most {s.max_count}" if s.max_count else ""
        return f"IPv4, /{s.min_prefix}../{s.max_prefix}" + (f", {count}" if count else "")
    if s.type == "boolean":
        return "true / false"
    if s.type == "email_list":
        return f"e-mail addresses, at most {s.max_count}"
    return f"`{s.pattern}`" + (" (empty: none)" if s.optional else "")


def render_markdown() -> str:
    """The contract as the tables of docs/contract.md (between the markers)."""
    lines = [BEGIN, "", "| environment file | CloudFormation parameter | Terraform variable | limits "
             "| after the first deploy |", "|---|---|---|---|---|"]
    for i in identifiers().values():
        key = i.document_key
        after = f"fixed: {i.fixed_reason}" if i.fixed else "the identity: a new value is another environment"
        lines.append(f"| `{key}` | {i.cfn or '-'} | `{i.tf}` | `{i.portable_pattern or i.pattern}`"
                     + (f", {i.min_length}..{i.max_length} characters" if i.portable_pattern else "")
                     + f" | {after} |")
    for s in settings().values():
        after = f"fixed: {s.fixed_reason}" if s.fixed else "updates"
        lines.append(f"| `{s.key}` | {', '.join(s.cfn)} | `{s.tf}` | {_limits(s)} | {after} |")
    lines += ["", "| tier | what it requires |", "|---|---|"]
    for name, spec in tiers().items():
        lines.append(f"| `{name}` | {' '.join(str(spec['description']).split())} |")
    lines += ["", "| name | format | AWS limit |", "|---|---|---|"]
    for rule in name_rules().values():
        lines.append(f"| {rule.kind}{' (production profile)' if rule.future else ''} | `{rule.format}` | {rule.max} |")
    lines += ["", END]
    return "\n".join(_escape_pipes(line) if line.startswith("| `") else line for line in lines)


def _escape_pipes(row: str) -> str:
    """A `|` inside a code span of a table row (regex alternation) is written `\\|`."""
    parts = row.split("`")
    return "`".join(p.replace("|", "\\|") if i % 2 else p for i, p in enumerate(parts))


def update_markdown(text: str) -> str:
    """`text` with the generated section replaced (or appended when it has none)."""
    if BEGIN in text and END in text:
        head, rest = text.split(BEGIN, 1)
        return head + render_markdown() + rest.split(END, 1)[1]
    return text.rstrip("\n") + "\n\n" + render_markdown() + "\n"


if __name__ == "__main__":
    import sys
    from pathlib import Path

    for arg in sys.argv[1:]:
        path = Path(arg)
        path.write_text(update_markdown(path.read_text()))
