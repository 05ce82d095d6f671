"""The cost model's data: the neutral list of priced resources, the price table, the usage assumptions, the
lines of an estimate. Loading a table or a usage file checks it and turns a problem into one InputError."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from fuelflow.config import nearest
from fuelflow.errors import InputError

PACKAGE = "fuelflow.cost"


@dataclass(frozen=True)
class Resource:
    """One resource either engine would create, in neutral terms: `kind` (KINDS in pricers), `group` (the
    CloudFormation stack part or the Terraform module: ec2, rds, ...), `name` (logical id or address) and
    the attributes its pricer reads."""

    kind: str
    group: str
    name: str
    attrs: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Line:
    """One priced line: `quantity` of `meter` (in `unit`) at `unit_price` a month. `key` is the meter's
    sub-key (instance type, class, volume type) where it has one; `assumption` names the usage values used."""

    group: str
    resource: str
    item: str
    meter: str
    quantity: float
    unit: str
    unit_price: float
    key: str | None = None
    assumption: str | None = None

    @property
    def monthly(self) -> float:
        return self.quantity * self.unit_price

    def to_json(self) -> dict[str, Any]:
        return {"group": self.group, "resource": self.resource, "item": self.item, "meter": self.meter,
                "key": self.key, "quantity": round(self.quantity, 6), "unit": self.unit,
                "unit_price": self.unit_price, "monthly": round(self.monthly, 4), "assumption": self.assumption}


@dataclass(frozen=True)
class FreeTier:
    meter: str
    quantity: float
    unit: str
    scope: str
    match: tuple[str, ...] = ()


@dataclass(frozen=True)
class PriceTable:
    """A dated price table: region -> meter -> price (or sub-key -> price)."""

    version: str
    path: str
    hours_per_month: float
    sources: Mapping[str, Mapping[str, str]]
    regions: Mapping[str, Mapping[str, Any]]
    free_tier: tuple[FreeTier, ...]

    def region(self, region: str) -> RegionPrices:
        if region not in self.regions:
            raise InputError(f"region {region!r} is not in the price table {self.path} (it has "
                             f"{', '.join(sorted(self.regions))})",
                             "use --region with one of those, or --prices FILE with a table for that region")
        return RegionPrices(self, region, self.regions[region])

    def source(self, meter: str) -> str:
        info = self.sources.get(meter.split(".", 1)[0], {})
        return str(info.get("note") or info.get("url") or "")


@dataclass(frozen=True)
class RegionPrices:
    table: PriceTable
    region: str
    prices: Mapping[str, Any]

    @property
    def hours(self) -> float:
        return self.table.hours_per_month

    def get(self, meter: str, key: str | None = None) -> float:
        value = self.prices.get(meter)
        if value is None:
            raise InputError(f"the price table {self.table.path} has no {meter} price for {self.region}",
                             "add it to the table, or pass --prices FILE with a complete table")
        if isinstance(value, Mapping):
            if key not in value:
                what = {"ec2.instance_hour": "EC2 instance type", "rds.instance_hour": "DB instance class"}.get(
                    meter, meter)
                raise InputError(f"unknown {what} {key!r}: no price in {self.table.path} for {self.region}",
                                 f"use one of {', '.join(sorted(map(str, value)))}, or add its price to the table")
            return float(value[key])
        return float(value)


def _number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value) and value >= 0


def default_prices_path() -> Path:
    """The newest shipped table (files are named by date)."""
    folder = Path(str(resources.files(PACKAGE) / "prices"))
    return sorted(folder.glob("*.yaml"))[-1]


def _read_yaml(path: Path, what: str, flag: str) -> Any:
    try:
        return yaml.safe_load(path.read_text())
    except FileNotFoundError:
        raise InputError(f"{flag} {path}: no such file", f"give the path of a {what}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"{flag} {path}: cannot be read ({exc.__class__.__name__})",
                         f"give the path of a {what}") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" line {mark.line + 1}" if mark is not None else ""
        raise InputError(f"{flag} {path}:{where} is not valid YAML", f"fix the {what}") from None


def load_prices(path: Path | None = None) -> PriceTable:
    """The price table at `path` (default: the newest shipped one), checked."""
    explicit = path is not None
    path = Path(path) if path is not None else default_prices_path()
    flag = "--prices" if explicit else "price table"
    doc = _read_yaml(path, "price table (see fuelflow/cost/prices/)", flag)

    def bad(problem: str) -> InputError:
        return InputError(f"{flag} {path}: {problem}", "use the shape of the shipped table (fuelflow/cost/prices/)")

    if not isinstance(doc, dict) or not isinstance(doc.get("regions"), dict) or not doc["regions"]:
        raise bad("no `regions:` mapping")
    for region, meters in doc["regions"].items():
        if not isinstance(meters, dict):
            raise bad(f"regions.{region} is not a mapping of meters")
        for meter, value in meters.items():
            values = value.values() if isinstance(value, dict) else [value]
            if not all(_number(v) for v in values):
                raise bad(f"regions.{region}.{meter} is not a non-negative number (or a mapping of them)")
    hours = doc.get("hours_per_month", 730)
    if not _number(hours) or not hours:
        raise bad("hours_per_month is not a positive number")
    free = []
    for i, ft in enumerate(doc.get("free_tier") or []):
        if not isinstance(ft, dict) or not isinstance(ft.get("meter"), str) or not _number(ft.get("quantity")):
            raise bad(f"free_tier[{i}] needs meter and quantity")
        free.append(FreeTier(ft["meter"], float(ft["quantity"]), str(ft.get("unit", "")), str(ft.get("scope", "")),
                             tuple(map(str, ft.get("match") or ()))))
    sources = doc.get("sources") or {}
    if not isinstance(sources, dict):
        raise bad("sources is not a mapping")
    return PriceTable(str(doc.get("version", path.stem)), str(path), float(hours), sources, doc["regions"],
                      tuple(free))


# ---------------------------------------------------------------------------------------------- usage

TIERS_KEY, ENVS_KEY = "tiers", "environments"


@dataclass
class Usage:
    """The usage assumptions for one environment; records which ones an estimate used."""

    values: dict[str, float]
    overridden: set[str] = field(default_factory=set)
    used: set[str] = field(default_factory=set)

    def get(self, name: str) -> float:
        self.used.add(name)
        return self.values[name]

    def say(self, *names: str) -> str:
        """`a = 1, b = 2` for the assumption column (a value from --usage is marked)."""
        return ", ".join(f"{n} = {_fmt(self.values[n])}" + (" (--usage)" if n in self.overridden else "")
                         for n in names)


def _fmt(v: float) -> str:
    return str(int(v)) if float(v).is_integer() else f"{v:g}"


def _layers(doc: dict[str, Any], tier: str, env: str, where: str, known: set[str]) -> dict[str, float]:
    out: dict[str, float] = {}
    layers: list[tuple[str, Any]] = [("", {k: v for k, v in doc.items() if k not in (TIERS_KEY, ENVS_KEY)})]
    tiers, envs = doc.get(TIERS_KEY) or {}, doc.get(ENVS_KEY) or {}
    for what, section in ((TIERS_KEY, tiers), (ENVS_KEY, envs)):
        if not isinstance(section, dict):
            raise InputError(f"{where}: {what} is not a mapping", f"write {what}: {{<name>: {{key: value}}}}")
        for name, body in section.items():
            if not isinstance(body, dict):
                raise InputError(f"{where}: {what}.{name} is not a mapping", "give it key: value lines")
    layers += [(f"{TIERS_KEY}.{tier}.", tiers.get(tier) or {}), (f"{ENVS_KEY}.{env}.", envs.get(env) or {})]
    for prefix, body in layers:
        for key, value in body.items():
            if known and key not in known:
                guess = nearest(str(key), known)
                raise InputError(f"{where}: unknown usage key {prefix}{key}",
                                 f"did you mean {guess}?" if guess else "see fuelflow/cost/usage.yaml for the keys")
            if not _number(value):
                raise InputError(f"{where}: {prefix}{key} is {value!r}, not a non-negative number",
                                 "give a number (GB, requests or a ratio, as usage.yaml says)")
            out[str(key)] = float(value)
    return out


def load_usage(tier: str, env: str, path: Path | None = None) -> Usage:
    """The shipped assumptions for this tier/environment, then `path`'s (the --usage file) on top."""
    default = Path(str(resources.files(PACKAGE) / "usage.yaml"))
    doc = yaml.safe_load(default.read_text())
    base = _layers(doc, tier, env, str(default), set())
    usage = Usage(dict(base))
    if path is not None:
        given = _read_yaml(Path(path), "usage file (see fuelflow/cost/usage.yaml)", "--usage")
        if given is None:
            given = {}
        if not isinstance(given, dict):
            raise InputError(f"--usage {path}: is not a mapping of usage keys", "write key: number lines")
        extra = _layers(given, tier, env, f"--usage {path}", set(base))
        usage.values.update(extra)
        usage.overridden.update(extra)
    return usage


# -------------------------------------------------------------------------------------------- document


@dataclass(frozen=True)
class DocumentLine:
    item: str
    usd: float
    covers: tuple[str, ...]


def document_estimate() -> dict[str, tuple[float, list[DocumentLine]]]:
    """The original architecture document's estimate: environment -> (total, lines)."""
    doc = yaml.safe_load((resources.files(PACKAGE) / "document.yaml").read_text())
    return {env: (float(body["total"]), [DocumentLine(str(x["item"]), float(x["usd"]), tuple(x["covers"]))
                                         for x in body["lines"]])
            for env, body in doc["environments"].items()}
