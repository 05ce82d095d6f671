"""The project's environment files as a set: list them, and write a new one from an existing one.

A new environment is a copy of another file with its name, region and network changed: the VPC range is the
first one (same size as the source's) that overlaps no other environment file, and the subnets keep their
places inside it. The result is validated like any environment file before it is written.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from fuelflow import contract
from fuelflow.config import (
    ENV_DIR,
    available_environments,
    check_region,
    environment_path,
    load_environment,
    parse_environment,
    require_project,
)
from fuelflow.errors import FuelflowError, InputError

PRIVATE_RANGE = ipaddress.IPv4Network("10.0.0.0/8")


@dataclass(frozen=True)
class EnvSummary:
    """One environment file, as `fuelflow env list` shows it."""

    name: str
    region: str
    tier: str
    vpc_cidr: str
    error: str = ""

    def to_dict(self) -> dict[str, str]:
        return {"name": self.name, "region": self.region, "tier": self.tier, "vpc_cidr": self.vpc_cidr,
                "error": self.error}


def summaries(project_dir: Path) -> list[EnvSummary]:
    """Every environment file; an invalid one is listed with its error, not skipped."""
    require_project(project_dir)
    out = []
    for name in available_environments(project_dir):
        try:
            env = load_environment(project_dir, name)
        except FuelflowError as exc:
            raw = _raw(environment_path(project_dir, name))
            network = raw.get("network") if isinstance(raw.get("network"), dict) else {}
            out.append(EnvSummary(name, str(raw.get("region", "?")), str(raw.get("tier", "?")),
                                  str((network or {}).get("vpc_cidr", "?")), exc.one_line()))
            continue
        out.append(EnvSummary(env.name, env.region, env.tier, env.network.vpc_cidr))
    return out


def _raw(path: Path) -> dict[str, Any]:
    try:
        data = contract.safe_load(path.read_text())
    except (OSError, yaml.YAMLError):
        return {}
    return data if isinstance(data, dict) else {}


def used_ranges(project_dir: Path, skip: str | None = None) -> list[ipaddress.IPv4Network]:
    """The VPC ranges of every environment file (valid or not), so a new one overlaps none."""
    ranges = []
    for name in available_environments(project_dir):
        if name == skip:
            continue
        network = _raw(environment_path(project_dir, name)).get("network")
        try:
            ranges.append(ipaddress.IPv4Network(str((network or {}).get("vpc_cidr")), strict=False))
        except (ValueError, AttributeError):
            continue
    return ranges


def free_vpc_range(prefix: int, used: list[ipaddress.IPv4Network]) -> ipaddress.IPv4Network:
    """The first range of this size in 10.0.0.0/8 that overlaps none of `used` (10.0/16 itself is skipped:
    it is what a default VPC or a peered office network most often takes)."""
    for candidate in PRIVATE_RANGE.subnets(new_prefix=prefix):
        if candidate.network_address < ipaddress.IPv4Address("10.1.0.0"):
            continue
        if not any(candidate.overlaps(u) for u in used):
            return candidate
    raise InputError(f"no free /{prefix} VPC range is left in 10.0.0.0/8",
                     "set network.vpc_cidr of the new environment file by hand")


def _moved(cidr: str, old_vpc: ipaddress.IPv4Network, new_vpc: ipaddress.IPv4Network) -> str:
    net = ipaddress.IPv4Network(cidr)
    offset = int(net.network_address) - int(old_vpc.network_address)
    return f"{ipaddress.IPv4Address(int(new_vpc.network_address) + offset)}/{net.prefixlen}"


@dataclass(frozen=True)
class NewEnvironment:
    """What `env new` wrote and what the operator should look at before deploying."""

    path: Path
    name: str
    source: str
    region: str
    tier: str
    vpc_cidr: str
    review: list[str]

    def to_dict(self) -> dict[str, Any]:
        return {"path": str(self.path), "name": self.name, "from": self.source, "region": self.region,
                "tier": self.tier, "vpc_cidr": self.vpc_cidr, "review": self.review}


def new_environment(project_dir: Path, name: str, source: str, region: str | None = None) -> NewEnvironment:
    """Write environments/<name>.yaml from environments/<source>.yaml; refuse to overwrite anything."""
    rule = contract.identifier("environment")
    if not (re.fullmatch(rule.pattern, name) and rule.min_length <= len(name) <= rule.max_length):
        raise InputError(f"invalid environment name {name!r}",
                         f"use {rule.min_length}..{rule.max_length} lower-case letters, digits and single hyphens, "
                         "starting with a letter (e.g. staging, pr-142)")
    target = environment_path(project_dir, name)
    if target.exists():
        raise InputError(f"{target} already exists", f"edit it, or pick another name than {name}")
    base = load_environment(project_dir, source)
    if region is not None:
        check_region(region, "--region")
    old_vpc = ipaddress.IPv4Network(base.network.vpc_cidr)
    new_vpc = free_vpc_range(old_vpc.prefixlen, used_ranges(project_dir))
    text = base.source.read_text()
    replacements = {base.network.vpc_cidr: str(new_vpc)}
    for cidr in (*base.network.public_subnet_cidrs, *base.network.private_subnet_cidrs):
        replacements[cidr] = _moved(cidr, old_vpc, new_vpc)
    for old, new in replacements.items():
        text = re.sub(rf"(?<![\d.]){re.escape(old)}(?![\d/])", new, text)
    text = re.sub(rf"(?m)^name:[ \t]*{re.escape(source)}[ \t]*$", f"name: {name}", text)
    if region is not None:
        text = re.sub(r"(?m)^region:\s*\S+", f"region: {region}", text)
    # tag values that carry the source's name (Environment: dev, CostCenter: fuel-flow-dev)
    text = re.sub(rf"(?m)^([ \t]+\w[\w.:/=+\-@ ]*:[ \t]*)(\S*-)?{re.escape(source)}[ \t]*$", rf"\g<1>\g<2>{name}", text)
    env = parse_environment(contract.safe_load(text), target, expected_name=name)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        with target.open("x") as handle:  # exclusive: a second `env new` of the same name at once loses cleanly
            handle.write(text)
    except FileExistsError as exc:
        raise InputError(f"{target} already exists", f"edit it, or pick another name than {name}") from exc
    except OSError as exc:
        raise InputError(f"cannot write {target}: {exc.strerror}", f"check the permissions of {target.parent}") from exc
    review = [
        f"tier: {env.tier} (copied from {source}; production requires deletion protection and Multi-AZ)",
        f"sizes: ec2 {env.ec2.instance_count} x {env.ec2.instance_type}, rds {env.rds.instance_class} "
        f"{env.rds.allocated_storage} GiB, multi_az {str(env.rds.multi_az).lower()}",
        f"network: VPC {env.network.vpc_cidr} (overlaps no other file in {ENV_DIR}/); change it if it must "
        "not overlap a network outside this project",
        f"tags: {', '.join(f'{k}={v}' for k, v in env.tags.items()) or 'none'}",
        f"region: {env.region}" + ("" if region is None else f" (was {base.region})"),
    ]
    if env.ec2.admin_ssh_cidrs:
        review.append(f"SSH is open to {', '.join(env.ec2.admin_ssh_cidrs)} (copied from {source})")
    return NewEnvironment(target, name, source, env.region, env.tier, env.network.vpc_cidr, review)
