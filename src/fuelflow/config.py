"""Environment settings: `environments/<env>.yaml` loaded into a typed, validated model.

This file is the one source of truth for every per-environment fact. It is turned into
CloudFormation parameters (`cfn_parameters`) and a Terraform var-file (`tf_vars`); see docs/contract.md.
Everything is validated before any AWS call, and every problem names the key and the fix.
"""

from __future__ import annotations

import ipaddress
import json
import re
from dataclasses import asdict, dataclass, field
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any, NoReturn

import yaml

from fuelflow.errors import InputError

ENV_DIR = "environments"
ENV_NAMES = ("dev", "prod")
PROJECT_RE = re.compile(r"^[a-z][a-z0-9-]{1,20}$")
REGION_RE = re.compile(r"^[a-z]{2}(-gov)?-[a-z]+-\d$")
TAG_KEY_RE = re.compile(r"^[\w.:/=+\-@ ]{1,128}$")
MONITORING_INTERVALS = (0, 1, 5, 10, 15, 30, 60)
MAX_INSTANCES = 4
MAX_ADMIN_CIDRS = 2


@dataclass(frozen=True)
class Network:
    """The dedicated VPC (docs/decisions.md section 2)."""

    vpc_cidr: str
    public_subnet_cidrs: tuple[str, str]
    private_subnet_cidrs: tuple[str, str]


@dataclass(frozen=True)
class Ec2:
    """The web tier."""

    instance_type: str
    instance_count: int
    root_volume_size: int
    admin_ssh_cidrs: tuple[str, ...] = ()


@dataclass(frozen=True)
class Rds:
    """The MySQL database."""

    instance_class: str
    engine_version: str
    allocated_storage: int
    max_allocated_storage: int
    multi_az: bool
    backup_retention_days: int
    deletion_protection: bool
    monitoring_interval: int


@dataclass(frozen=True)
class S3:
    """Bucket lifecycle settings."""

    log_expiration_days: int
    noncurrent_version_expiration_days: int


@dataclass(frozen=True)
class Logs:
    """CloudWatch Logs settings."""

    retention_days: int


@dataclass(frozen=True)
class Environment:
    """One environment (dev or prod), validated."""

    name: str
    project: str
    region: str
    tags: dict[str, str]
    network: Network
    ec2: Ec2
    rds: Rds
    s3: S3
    logs: Logs
    source: Path = field(default=Path(), compare=False)

    def stack_name(self, part: str) -> str:
        """`fuel-flow-<part>-<env>`."""
        return f"{self.project}-{part}-{self.name}"

    @property
    def is_prod(self) -> bool:
        return self.name == "prod"

    def cfn_parameters(self) -> dict[str, str]:
        """Every CloudFormation parameter this environment defines (flat; see docs/contract.md).

        Each stack is given only the parameters its template declares.
        """
        n, e, r = self.network, self.ec2, self.rds
        admin = [*e.admin_ssh_cidrs, "", ""][:MAX_ADMIN_CIDRS]
        return {
            "ProjectName": self.project,
            "Environment": self.name,
            "VpcCidr": n.vpc_cidr,
            "PublicSubnet1Cidr": n.public_subnet_cidrs[0],
            "PublicSubnet2Cidr": n.public_subnet_cidrs[1],
            "PrivateSubnet1Cidr": n.private_subnet_cidrs[0],
            "PrivateSubnet2Cidr": n.private_subnet_cidrs[1],
            "InstanceType": e.instance_type,
            "InstanceCount": str(e.instance_count),
            "RootVolumeSize": str(e.root_volume_size),
            "AdminSshCidr1": admin[0],
            "AdminSshCidr2": admin[1],
            "DBInstanceClass": r.instance_class,
            "DBEngineVersion": r.engine_version,
            "DBAllocatedStorage": str(r.allocated_storage),
            "DBMaxAllocatedStorage": str(r.max_allocated_storage),
            "DBMultiAZ": _bool(r.multi_az),
            "DBBackupRetentionDays": str(r.backup_retention_days),
            "DBDeletionProtection": _bool(r.deletion_protection),
            "DBMonitoringInterval": str(r.monitoring_interval),
            "LogExpirationDays": str(self.s3.log_expiration_days),
            "NoncurrentVersionExpirationDays": str(self.s3.noncurrent_version_expiration_days),
            "LogRetentionDays": str(self.logs.retention_days),
        }

    def stack_tags(self) -> dict[str, str]:
        """Tags put on every stack (CloudFormation propagates them to the resources)."""
        return {**self.tags, "Project": self.project, "Environment": self.name, "ManagedBy": "fuelflow"}

    def tf_vars(self) -> dict[str, Any]:
        """The Terraform root module's variables (rendered into a `-var-file`)."""
        return {
            "environment": self.name,
            "project_name": self.project,
            "region": self.region,
            "tags": self.stack_tags(),
            "network": _plain(asdict(self.network)),
            "ec2": _plain(asdict(self.ec2)),
            "rds": _plain(asdict(self.rds)),
            "s3": _plain(asdict(self.s3)),
            "log_retention_days": self.logs.retention_days,
        }

    def write_tf_vars(self, path: Path) -> Path:
        """Write `tf_vars()` as a `.tfvars.json` file."""
        path.write_text(json.dumps(self.tf_vars(), indent=2) + "\n")
        return path


def _bool(value: bool) -> str:
    return "true" if value else "false"


def _plain(value: Any) -> Any:
    """Tuples to lists, recursively, for JSON."""
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


# --------------------------------------------------------------------------------------------- loading


def environment_path(project_dir: Path, name: str) -> Path:
    """Where environment `name` lives in a project."""
    return project_dir / ENV_DIR / f"{name}.yaml"


def available_environments(project_dir: Path) -> list[str]:
    """The environment files present in a project."""
    return sorted(p.stem for p in (project_dir / ENV_DIR).glob("*.yaml"))


def load_environment(project_dir: Path, name: str) -> Environment:
    """Load and validate `environments/<name>.yaml`; raise InputError naming the problem and the fix."""
    if not re.fullmatch(r"[a-z][a-z0-9-]{0,15}", name or ""):
        raise InputError(f"invalid environment name {name!r}", "use a lower-case name such as dev or prod")
    path = environment_path(project_dir, name)
    if not path.is_file():
        known = ", ".join(available_environments(project_dir)) or "none"
        raise InputError(
            f"unknown environment {name!r} (no {path})",
            f"use one of: {known}, or create {ENV_DIR}/{name}.yaml",
        )
    try:
        raw = yaml.safe_load(path.read_text())
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" line {mark.line + 1}" if mark is not None else ""
        raise InputError(f"{path}{where}: malformed YAML", "fix the YAML syntax") from exc
    return parse_environment(raw, path, expected_name=name)


def parse_environment(raw: Any, source: Path, expected_name: str | None = None) -> Environment:
    """Validate a parsed environment document."""
    v = _Validator(source)
    doc = v.mapping(raw, "")
    name = v.string(doc, "name", pattern=re.compile(r"^[a-z][a-z0-9-]{0,15}$"))
    if expected_name is not None and name != expected_name:
        v.fail("name", f"is {name!r} but the file is {expected_name}.yaml", f"set name: {expected_name}")
    if name not in ENV_NAMES:
        v.fail("name", f"{name!r} is not a known environment", f"use one of {', '.join(ENV_NAMES)}")
    project = v.string(doc, "project", pattern=PROJECT_RE)
    region = v.string(doc, "region", pattern=REGION_RE)
    tags = v.tags(doc, "tags")

    net = v.mapping(doc.get("network"), "network")
    vpc = v.cidr(net, "network.vpc_cidr", "vpc_cidr", min_prefix=16, max_prefix=24)
    public = v.subnets(net, "network.public_subnet_cidrs", "public_subnet_cidrs", vpc)
    private = v.subnets(net, "network.private_subnet_cidrs", "private_subnet_cidrs", vpc)
    all_subnets = [ipaddress.ip_network(c) for c in (*public, *private)]
    for i, a in enumerate(all_subnets):
        for b in all_subnets[i + 1 :]:
            if a.overlaps(b):
                v.fail("network", f"subnets {a} and {b} overlap", "give every subnet its own range")

    ec2 = v.mapping(doc.get("ec2"), "ec2")
    instance_type = v.string(ec2, "ec2.instance_type", key="instance_type")
    if instance_type not in ec2_instance_types(region):
        v.fail("ec2.instance_type", f"{instance_type!r} is not an EC2 instance type in {region}",
               "use a valid type such as t3.micro or t4g.small")
    admin = v.list_of(ec2, "ec2.admin_ssh_cidrs", "admin_ssh_cidrs", default=[])
    if len(admin) > MAX_ADMIN_CIDRS:
        v.fail("ec2.admin_ssh_cidrs", f"lists {len(admin)} CIDRs", f"list at most {MAX_ADMIN_CIDRS}")
    for i, c in enumerate(admin):
        net_c = v.cidr({"x": c}, f"ec2.admin_ssh_cidrs[{i}]", "x", min_prefix=8, max_prefix=32)
        if ipaddress.ip_network(net_c).prefixlen == 0:
            v.fail(f"ec2.admin_ssh_cidrs[{i}]", "opens SSH to the whole internet", "list your office/VPN range")

    rds = v.mapping(doc.get("rds"), "rds")
    instance_class = v.string(rds, "rds.instance_class", key="instance_class")
    if instance_class not in rds_instance_classes(region, "mysql"):
        v.fail("rds.instance_class", f"{instance_class!r} is not a MySQL DB instance class in {region}",
               "use a valid class such as db.t3.micro or db.t4g.small")
    allocated = v.integer(rds, "rds.allocated_storage", "allocated_storage", 20, 16384)
    max_allocated = v.integer(rds, "rds.max_allocated_storage", "max_allocated_storage", 20, 16384)
    if max_allocated < allocated:
        v.fail("rds.max_allocated_storage", f"({max_allocated}) is below allocated_storage ({allocated})",
               "set it to at least allocated_storage")
    interval = v.integer(rds, "rds.monitoring_interval", "monitoring_interval", 0, 60)
    if interval not in MONITORING_INTERVALS:
        v.fail("rds.monitoring_interval", f"is {interval}",
               f"use one of {', '.join(map(str, MONITORING_INTERVALS))}")

    s3 = v.mapping(doc.get("s3"), "s3")
    logs = v.mapping(doc.get("logs"), "logs")
    retention = v.integer(logs, "logs.retention_days", "retention_days", 1, 3653)
    if retention not in LOG_RETENTION_DAYS:
        v.fail("logs.retention_days", f"is {retention}",
               f"use a CloudWatch Logs retention: {', '.join(map(str, LOG_RETENTION_DAYS))}")

    env = Environment(
        name=name,
        project=project,
        region=region,
        tags=tags,
        network=Network(vpc, public, private),
        ec2=Ec2(
            instance_type=instance_type,
            instance_count=v.integer(ec2, "ec2.instance_count", "instance_count", 1, MAX_INSTANCES),
            root_volume_size=v.integer(ec2, "ec2.root_volume_size", "root_volume_size", 8, 1024),
            admin_ssh_cidrs=tuple(admin),
        ),
        rds=Rds(
            instance_class=instance_class,
            engine_version=v.string(rds, "rds.engine_version", key="engine_version",
                                    pattern=re.compile(r"^8\.0(\.\d+)?$"), hint='use "8.0" or "8.0.<minor>"'),
            allocated_storage=allocated,
            max_allocated_storage=max_allocated,
            multi_az=v.boolean(rds, "rds.multi_az", "multi_az"),
            backup_retention_days=v.integer(rds, "rds.backup_retention_days", "backup_retention_days", 1, 35),
            deletion_protection=v.boolean(rds, "rds.deletion_protection", "deletion_protection"),
            monitoring_interval=interval,
        ),
        s3=S3(
            log_expiration_days=v.integer(s3, "s3.log_expiration_days", "log_expiration_days", 1, 3650),
            noncurrent_version_expiration_days=v.integer(
                s3, "s3.noncurrent_version_expiration_days", "noncurrent_version_expiration_days", 1, 3650
            ),
        ),
        logs=Logs(retention_days=retention),
        source=source,
    )
    if env.is_prod and not env.rds.deletion_protection:
        v.fail("rds.deletion_protection", "is false in prod", "set rds.deletion_protection: true")
    return env


LOG_RETENTION_DAYS = (1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192,
                      2557, 2922, 3288, 3653)


@cache
def ec2_instance_types(region: str) -> frozenset[str]:
    """EC2 instance types offered in `region`, from cfn-lint's resource-schema data."""
    data = _cfnlint_json("aws_ec2_instance", "instancetype_enum.json")
    return frozenset(data.get(region, data.get("us-east-1", {})).get("enum", []))


@cache
def rds_instance_classes(region: str, engine: str) -> frozenset[str]:
    """DB instance classes offered for `engine` in `region`, from cfn-lint's data."""
    data = _cfnlint_json("aws_rds_dbinstance", "dbinstanceclass_enum.json")
    classes: set[str] = set()
    for rule in data.get(region, data.get("us-east-1", {})).get("allOf", []):
        if rule.get("if", {}).get("properties", {}).get("Engine", {}).get("const") == engine:
            classes.update(rule.get("then", {}).get("properties", {}).get("DBInstanceClass", {}).get("enum", []))
    return frozenset(classes)


def _cfnlint_json(folder: str, name: str) -> dict[str, Any]:
    pkg = f"cfnlint.data.schemas.extensions.{folder}"
    result: dict[str, Any] = json.loads(resources.files(pkg).joinpath(name).read_text())
    return result


class _Validator:
    """Small helpers that turn a bad value into InputError("<file>: <key> ...", fix)."""

    def __init__(self, source: Path) -> None:
        self.source = source

    def fail(self, key: str, problem: str, fix: str) -> NoReturn:
        raise InputError(f"{self.source}: {key} {problem}", fix)

    def mapping(self, value: Any, key: str) -> dict[str, Any]:
        if not isinstance(value, dict):
            self.fail(key or "document", "must be a mapping",
                      f"see environments/dev.yaml for the layout of {key or 'the file'}")
        return value

    def _get(self, doc: dict[str, Any], full: str, key: str | None) -> Any:
        k = key or full
        if k not in doc or doc[k] is None:
            self.fail(full, "is missing", f"add {full} (see environments/dev.yaml)")
        return doc[k]

    def string(self, doc: dict[str, Any], full: str, key: str | None = None,
               pattern: re.Pattern[str] | None = None, hint: str | None = None) -> str:
        value = self._get(doc, full, key)
        if not isinstance(value, str):
            self.fail(full, f"must be a string, got {value!r}", f"quote the value of {full}")
        if pattern is not None and not pattern.fullmatch(value):
            self.fail(full, f"{value!r} is not valid", hint or f"it must match {pattern.pattern}")
        return value

    def integer(self, doc: dict[str, Any], full: str, key: str, low: int, high: int) -> int:
        value = self._get(doc, full, key)
        if isinstance(value, bool) or not isinstance(value, int):
            self.fail(full, f"must be a whole number, got {value!r}", f"set {full} to a number from {low} to {high}")
        if not low <= value <= high:
            self.fail(full, f"is {value}", f"set {full} to a number from {low} to {high}")
        return value

    def boolean(self, doc: dict[str, Any], full: str, key: str) -> bool:
        value = self._get(doc, full, key)
        if not isinstance(value, bool):
            self.fail(full, f"must be true or false, got {value!r}", f"set {full}: true or false")
        return value

    def list_of(self, doc: dict[str, Any], full: str, key: str, default: list[Any] | None = None) -> list[Any]:
        value = doc.get(key, default)
        if value is None:
            value = []
        if not isinstance(value, list):
            self.fail(full, f"must be a list, got {value!r}", f"write {full} as [a, b]")
        return value

    def cidr(self, doc: dict[str, Any], full: str, key: str, min_prefix: int, max_prefix: int) -> str:
        value = self._get(doc, full, key)
        try:
            net = ipaddress.IPv4Network(str(value), strict=True)
        except ValueError:
            self.fail(full, f"{value!r} is not a valid IPv4 CIDR", "write it as a.b.c.d/n with the host bits zero")
        if not min_prefix <= net.prefixlen <= max_prefix and net.prefixlen != 0:
            self.fail(full, f"{value} has prefix /{net.prefixlen}", f"use a prefix from /{min_prefix} to /{max_prefix}")
        return str(net)

    def subnets(self, doc: dict[str, Any], full: str, key: str, vpc: str) -> tuple[str, str]:
        values = self.list_of(doc, full, key)
        if len(values) != 2:
            self.fail(full, f"lists {len(values)} CIDRs", "list exactly two, one per availability zone")
        out = [self.cidr({"x": c}, f"{full}[{i}]", "x", 16, 28) for i, c in enumerate(values)]
        for c in out:
            if not ipaddress.ip_network(c).subnet_of(ipaddress.ip_network(vpc)):  # type: ignore[arg-type]
                self.fail(full, f"{c} is outside the VPC {vpc}", "pick subnet ranges inside network.vpc_cidr")
        return out[0], out[1]

    def tags(self, doc: dict[str, Any], key: str) -> dict[str, str]:
        value = doc.get(key) or {}
        if not isinstance(value, dict):
            self.fail(key, "must be a mapping of tag names to values", "write tags as Name: value lines")
        out: dict[str, str] = {}
        for k, val in value.items():
            if not isinstance(k, str) or not TAG_KEY_RE.fullmatch(k) or k.lower().startswith("aws:"):
                self.fail(f"tags.{k}", "is not a valid tag key",
                          "use letters, digits and + - = . _ : / @ (no aws: prefix)")
            if isinstance(val, (dict, list)) or val is None or len(str(val)) > 256:
                self.fail(f"tags.{k}", "must be a short string", "give the tag a value of at most 256 characters")
            out[k] = str(val)
        if len(out) > 40:
            self.fail(key, f"has {len(out)} tags", "keep at most 40 (AWS allows 50 including ours)")
        return out
