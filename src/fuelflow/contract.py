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
    optional: bool = False
    hint: str = ""

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


@dataclass(frozen=True)
class NameRule:
    """How one AWS name is formed, and AWS's limit for it."""

    key: str
    format: str
    max: int
    kind: str
    future: bool = False


@cache
def raw() -> dict[str, Any]:
    """The parsed contract.yaml."""
    data: dict[str, Any] = yaml.safe_load(resources.files("fuelflow").joinpath("contract.yaml").read_text())
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


def cfn_parameter_settings() -> dict[str, Setting]:
    """CloudFormation parameter name -> the setting it carries."""
    return {p: s for s in settings().values() for p in s.cfn}
