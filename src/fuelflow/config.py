"""Environment settings: `environments/<env>.yaml` loaded into a typed, validated model.

The file is the one source of truth for every per-environment fact; the limits it is checked against are
the contract's (`contract.yaml`). It is turned into CloudFormation parameters (`cfn_parameters`) and a
Terraform var-file (`tf_vars`); see docs/contract.md. Everything is validated before any AWS call, and every
problem names the key and the fix.
"""

from __future__ import annotations

import difflib
import gzip
import importlib.util
import ipaddress
import json
import re
from dataclasses import asdict, dataclass, field
from functools import cache
from pathlib import Path
from typing import Any, NoReturn

import yaml

from fuelflow import contract, names
from fuelflow.contract import Setting
from fuelflow.errors import InputError

ENV_DIR = "environments"
LIST_TYPES = ("cidr_list", "email_list")  # a list setting is one CloudFormation parameter per item


@dataclass(frozen=True)
class Network:
    """The dedicated VPC (docs/decisions.md section 2)."""

    vpc_cidr: str
    public_subnet_cidrs: tuple[str, str]
    private_subnet_cidrs: tuple[str, str]
    flow_logs: bool = False


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
    read_replica: bool = False
    slow_query_seconds: int = 2


@dataclass(frozen=True)
class Web:
    """The production web tier: an Application Load Balancer and an Auto Scaling group (`load_balancer`).

    Off, the web tier is `ec2.instance_count` static instances serving HTTP; on, the group's sizes rule.
    """

    load_balancer: bool
    min_size: int
    desired_capacity: int
    max_size: int
    cpu_target: int
    min_healthy_percentage: int
    health_check_path: str
    deregistration_delay: int
    stickiness: bool
    certificate_arn: str = ""
    domain_name: str = ""
    hosted_zone_id: str = ""

    @property
    def has_certificate(self) -> bool:
        """HTTPS is served (and HTTP redirects to it) when a certificate is given or requested for the domain."""
        return bool(self.certificate_arn or self.domain_name)


@dataclass(frozen=True)
class Edge:
    """Options in front of the load balancer, each off by default."""

    cloudfront: bool
    waf: bool
    waf_rate_limit: int
    dns_record: bool


@dataclass(frozen=True)
class Monitoring:
    """Who hears the alarms, and their thresholds."""

    web_cpu_percent: int
    db_cpu_percent: int
    db_free_storage_mib: int
    db_freeable_memory_mib: int
    db_connections: int
    alb_5xx_count: int
    alb_response_time_seconds: int
    alarm_emails: tuple[str, ...] = ()


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
    """One environment, validated. Any name the contract allows; `tier` says how carefully it is treated."""

    name: str
    project: str
    region: str
    tier: str
    tags: dict[str, str]
    network: Network
    ec2: Ec2
    rds: Rds
    s3: S3
    logs: Logs
    web: Web
    edge: Edge
    monitoring: Monitoring
    source: Path = field(default=Path(), compare=False)

    @property
    def names(self) -> names.Names:
        """Every AWS name of this environment (account unknown until deployed)."""
        return names.Names(self.project, self.name, region=self.region)

    def stack_name(self, part: str) -> str:
        """`<project>-<part>-<env>`."""
        return self.names.stack(part)

    @property
    def is_production(self) -> bool:
        """`tier: production`: destroy needs --force and the typed name; deletion protection required."""
        return self.tier == "production"

    def cfn_parameters(self) -> dict[str, str]:
        """Every CloudFormation parameter this environment defines (flat; see docs/contract.md).

        Each stack is given only the parameters its template declares.
        """
        out = {contract.identifier("project").cfn or "": self.project,
               contract.identifier("environment").cfn or "": self.name}
        for spec in contract.settings().values():
            value = getattr(getattr(self, spec.section), spec.field)
            if spec.type in LIST_TYPES:  # one parameter per item; "" = none
                out.update(zip(spec.cfn, [*value, *[""] * len(spec.cfn)], strict=False))
            else:
                out[spec.cfn[0]] = _bool(value) if isinstance(value, bool) else str(value)
        return out

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
            "web": _plain(asdict(self.web)),
            "edge": _plain(asdict(self.edge)),
            "monitoring": _plain(asdict(self.monitoring)),
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


def require_project(project_dir: Path) -> None:
    """InputError unless `project_dir` holds environments/ (the folder every command reads first)."""
    if not (project_dir / ENV_DIR).is_dir():
        raise InputError(f"no fuelflow project in {project_dir} ({ENV_DIR}/ not found)",
                         "run from the repository root or pass -C DIR")


def available_environments(project_dir: Path) -> list[str]:
    """The environment files present in a project."""
    return sorted(p.stem for p in (project_dir / ENV_DIR).glob("*.yaml"))


def load_environment(project_dir: Path, name: str) -> Environment:
    """Load and validate `environments/<name>.yaml`; raise InputError naming the problem and the fix."""
    rule = contract.identifier("environment")
    if not (re.fullmatch(rule.pattern, name or "") and rule.min_length <= len(name) <= rule.max_length):
        raise InputError(f"invalid environment name {name!r}",
                         f"use {rule.min_length}..{rule.max_length} lower-case letters, digits and single hyphens, "
                         "starting with a letter (e.g. staging, pr-142)")
    require_project(project_dir)
    path = environment_path(project_dir, name)
    if not path.is_file():
        known = ", ".join(available_environments(project_dir)) or "none"
        raise InputError(
            f"unknown environment {name!r} (no {path})",
            f"use one of: {known}, or create it: fuelflow env new {name} --from <one of them>",
        )
    try:
        raw = contract.safe_load(path.read_text())
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" line {mark.line + 1}" if mark is not None else ""
        raise InputError(f"{path}{where}: malformed YAML", "fix the YAML syntax") from exc
    return parse_environment(raw, path, expected_name=name)


def parse_environment(raw: Any, source: Path, expected_name: str | None = None) -> Environment:
    """Validate a parsed environment document against the contract (contract.yaml)."""
    v = _Validator(source)
    doc = v.mapping(raw, "")
    v.known_keys(doc)
    name = v.identifier(doc, "name", "environment")
    if expected_name is not None and name != expected_name:
        v.fail("name", f"is {name!r} but the file is {expected_name}.yaml", f"set name: {expected_name}")
    project = v.identifier(doc, "project", "project")
    region = v.identifier(doc, "region", "region")
    tiers = contract.tiers()
    tier = v.string(doc, "tier", hint=f"set tier: to one of {', '.join(tiers)}")
    if tier not in tiers:
        v.fail("tier", f"{tier!r} is not a tier", f"set tier: to one of {', '.join(tiers)}")
    tags = v.tags(doc, "tags")

    values: dict[str, Any] = {}
    for key, spec in contract.settings().items():
        values[key] = v.setting(v.mapping(doc.get(spec.section), spec.section), spec, region, values)

    vpc = ipaddress.ip_network(values["network.vpc_cidr"])
    subnets = [ipaddress.ip_network(c) for k in ("network.public_subnet_cidrs", "network.private_subnet_cidrs")
               for c in values[k]]
    for c in subnets:
        if not c.subnet_of(vpc):  # type: ignore[arg-type]
            v.fail("network", f"subnet {c} is outside the VPC {vpc}", "pick subnet ranges inside network.vpc_cidr")
    for i, a in enumerate(subnets):
        for b in subnets[i + 1 :]:
            if a.overlaps(b):
                v.fail("network", f"subnets {a} and {b} overlap", "give every subnet its own range")
    for key, required in tiers[tier].get("requires", {}).items():
        if values[key] != required:
            v.fail(key, f"is {_yaml(values[key])} but tier is {tier}",
                   f"set {key}: {_yaml(required)} (or tier: to another tier)")
    for key, problem, fix in _option_conflicts(values):
        v.fail(key, problem, fix)
    too_long = names.overflowing(project, name, region)
    if too_long:
        worst = max(too_long, key=lambda t: len(t.name) - t.limit)
        v.fail("name", f"{name!r} with project {project!r} makes {len(too_long)} AWS name(s) too long: the "
               f"{worst.kind} name {worst.name} has {len(worst.name)} characters, the limit is {worst.limit}",
               f"shorten name or project by {len(worst.name) - worst.limit} character(s)")

    def section(prefix: str) -> dict[str, Any]:
        return {k.split(".", 1)[1]: val for k, val in values.items() if k.startswith(prefix + ".")}

    net = section("network")
    return Environment(
        name=name,
        project=project,
        region=region,
        tier=tier,
        tags=tags,
        network=Network(net["vpc_cidr"], (net["public_subnet_cidrs"][0], net["public_subnet_cidrs"][1]),
                        (net["private_subnet_cidrs"][0], net["private_subnet_cidrs"][1]), net["flow_logs"]),
        ec2=Ec2(**{**section("ec2"), "admin_ssh_cidrs": tuple(values["ec2.admin_ssh_cidrs"])}),
        rds=Rds(**section("rds")),
        s3=S3(**section("s3")),
        logs=Logs(**section("logs")),
        web=Web(**section("web")),
        edge=Edge(**section("edge")),
        monitoring=Monitoring(**{**section("monitoring"), "alarm_emails": tuple(values["monitoring.alarm_emails"])}),
        source=source,
    )


def _option_conflicts(values: dict[str, Any]) -> list[tuple[str, str, str]]:
    """Settings that are each valid but do not work together: (key, problem, fix), in file order."""
    out: list[tuple[str, str, str]] = []
    lb, domain, zone = values["web.load_balancer"], values["web.domain_name"], values["web.hosted_zone_id"]
    if bool(domain) != bool(zone):
        key, other = ("web.hosted_zone_id", "web.domain_name") if domain else ("web.domain_name", "web.hosted_zone_id")
        out.append((key, f"is empty but {other} is set",
                    "give both (the certificate is validated and the record written in that hosted zone) or neither"))
    for option in ("edge.cloudfront", "edge.waf", "edge.dns_record"):
        if values[option] and not lb:
            out.append((option, "is true but web.load_balancer is false",
                        f"set web.load_balancer: true (the {option.split('.')[1]} option sits in front of the load "
                        "balancer) or turn the option off"))
    if values["edge.dns_record"] and not domain:
        out.append(("edge.dns_record", "is true but web.domain_name is empty",
                    "set web.domain_name and web.hosted_zone_id, or edge.dns_record: false"))
    if values["edge.cloudfront"] and not (values["web.certificate_arn"] or domain):
        out.append(("edge.cloudfront", "is true but the load balancer has no certificate",
                    "set web.certificate_arn or web.domain_name: CloudFront reaches the load balancer over HTTPS only"))
    return out


def _yaml(value: Any) -> str:
    return _bool(value) if isinstance(value, bool) else str(value)


@cache
def known_regions() -> frozenset[str]:
    """Every region of every partition in botocore's bundled endpoint data (`endpoints.json`; no network call)."""
    data = json.loads(_package_data("botocore", "data", "endpoints.json"))
    return frozenset(str(r) for p in data["partitions"] for r in p.get("regions", {}))


def nearest(word: str, candidates: Any) -> str | None:
    """The candidate closest to `word` (difflib), or None when nothing is close."""
    found = difflib.get_close_matches(word, sorted(candidates), n=1, cutoff=0.6)
    return found[0] if found else None


def check_region(region: str, where: str) -> str:
    """`region` if botocore knows it; else InputError naming `where` and the nearest region."""
    rule = contract.identifier("region")
    if not re.fullmatch(rule.pattern, region):
        raise InputError(f"{where} {region!r} is not a region code", f"use a region code like {rule.example}")
    if region not in known_regions():
        guess = nearest(region, known_regions())
        raise InputError(f"{where} {region!r} is not an AWS region",
                         f"did you mean {guess}?" if guess else f"use a region code like {rule.example}")
    return region


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
    result: dict[str, Any] = json.loads(_package_data("cfnlint", "data", "schemas", "extensions", folder, name))
    return result


def _package_data(package: str, *parts: str) -> str:
    """A data file shipped inside an installed package (or its `.gz` form), read without importing the package:
    importing botocore.loaders or cfnlint costs a tenth of a second, or more, of every command's start."""
    spec = importlib.util.find_spec(package)  # a top-level package: found, not executed
    if spec is None or not spec.submodule_search_locations:
        raise InputError(f"{package} is not installed", "reinstall fuelflow (bash scripts/bootstrap.sh)")
    path = Path(next(iter(spec.submodule_search_locations)), *parts)
    if path.is_file():
        return path.read_text(encoding="utf-8")
    return gzip.decompress(path.with_name(path.name + ".gz").read_bytes()).decode("utf-8")


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

    def cidr(self, value: Any, full: str, min_prefix: int, max_prefix: int, hint: str = "") -> str:
        try:
            net = ipaddress.IPv4Network(str(value), strict=True)
        except ValueError:
            self.fail(full, f"{value!r} is not a valid IPv4 CIDR", "write it as a.b.c.d/n with the host bits zero")
        if not min_prefix <= net.prefixlen <= max_prefix:
            self.fail(full, f"{value} has prefix /{net.prefixlen}",
                      f"use a prefix from /{min_prefix} to /{max_prefix}" + (f" ({hint})" if hint else ""))
        return str(net)

    def known_keys(self, doc: dict[str, Any]) -> None:
        """Refuse a key the contract does not define (a typo would otherwise be ignored), naming the nearest."""
        keys = contract.document_keys()
        unknown = [(str(k), "", keys[""]) for k in doc if k not in keys[""]]
        for section, fields in keys.items():
            if section and isinstance(doc.get(section), dict):
                unknown += [(f"{section}.{k}", f"{section}.", fields) for k in doc[section] if k not in fields]
        if unknown:
            key, prefix, allowed = unknown[0]
            guess = nearest(key.removeprefix(prefix), allowed)
            self.fail(key, "is not a setting" + (f" (and {len(unknown) - 1} more unknown keys)" if len(unknown) > 1
                                                 else ""),
                      f"did you mean {prefix}{guess}?" if guess else
                      f"remove it; {'the file' if not prefix else prefix.rstrip('.')} holds "
                      f"{', '.join(sorted(prefix + k for k in allowed))} (docs/contract.md)")

    def identifier(self, doc: dict[str, Any], full: str, which: str) -> str:
        rule = contract.identifier(which)
        value = self.string(doc, full, hint=f"use a value like {rule.example}")
        if not re.fullmatch(rule.pattern, value):
            self.fail(full, f"{value!r} is not valid",
                      f"use lower-case letters, digits and single hyphens, starting with a letter (like {rule.example})"
                      if which != "region" else f"use a region code like {rule.example}")
        if not rule.min_length <= len(value) <= rule.max_length:
            self.fail(full, f"{value!r} has {len(value)} characters",
                      f"use {rule.min_length} to {rule.max_length} characters")
        if which == "region":  # the pattern is the templates' rule; this is the extra check against botocore's data
            check_region(value, f"{self.source}: {full}")
        return value

    def setting(self, doc: dict[str, Any], spec: Setting, region: str, seen: dict[str, Any]) -> Any:
        """One contract setting: its type, limits and (for instance types and DB classes) the region's offer."""
        full, key = spec.key, spec.field
        if spec.type == "boolean":
            return self.boolean(doc, full, key)
        if spec.type == "integer":
            assert spec.min is not None and spec.max is not None
            number = self.integer(doc, full, key, spec.min, spec.max)
            if spec.greater_than is not None and number <= seen[spec.greater_than]:
                other = spec.greater_than
                self.fail(full, f"({number}) must be greater than {other} ({seen[other]})",
                          f"set {full} to at least {seen[other] + 1}")
            if spec.at_least is not None and number < seen[spec.at_least]:
                other = spec.at_least
                self.fail(full, f"({number}) must not be less than {other} ({seen[other]})",
                          f"set {full} to at least {seen[other]}, or lower {other}")
            return number
        if spec.type == "cidr":
            assert spec.min_prefix is not None and spec.max_prefix is not None
            return self.cidr(self._get(doc, full, key), full, spec.min_prefix, spec.max_prefix)
        if spec.type == "cidr_list":
            return self.cidr_list(doc, spec)
        if spec.type == "email_list":
            return self.email_list(doc, spec)
        if spec.optional and doc.get(key) is None:
            return ""
        if spec.type == "choice":
            value = self._get(doc, full, key)
            allowed = [v for v in spec.values if full != "ec2.instance_type" or v in ec2_instance_types(region)]
            if isinstance(value, bool) or value not in allowed:
                what = f"not an EC2 instance type supported in {region}" if full == "ec2.instance_type" else \
                    "not an allowed value"
                self.fail(full, f"{value!r} is {what}",
                          f"{spec.hint or 'use one of'}: {', '.join(map(str, allowed))}")
            return value
        value = self.string(doc, full, key=key, pattern=re.compile(spec.pattern) if spec.pattern else None,
                            hint=spec.hint or f"it must match {spec.pattern}")
        if full == "rds.instance_class" and value not in rds_instance_classes(region, "mysql"):
            self.fail(full, f"{value!r} is not a MySQL DB instance class in {region}",
                      "use a class offered there, such as db.t3.micro or db.t4g.small")
        return value

    def cidr_list(self, doc: dict[str, Any], spec: Setting) -> list[str]:
        full = spec.key
        if not spec.optional and doc.get(spec.field) is None:
            self.fail(full, "is missing", f"add {full} (see environments/dev.yaml)")
        values = self.list_of(doc, full, spec.field)
        if spec.count is not None and len(values) != spec.count:
            self.fail(full, f"lists {len(values)} CIDRs", f"list exactly {spec.count}, one per availability zone")
        if spec.max_count is not None and len(values) > spec.max_count:
            self.fail(full, f"lists {len(values)} CIDRs", f"list at most {spec.max_count}")
        assert spec.min_prefix is not None and spec.max_prefix is not None
        out = [self.cidr(c, f"{full}[{i}]", spec.min_prefix, spec.max_prefix, spec.hint) for i, c in enumerate(values)]
        if len(set(out)) != len(out):
            self.fail(full, "lists a CIDR twice", "list each range once")
        return out

    def email_list(self, doc: dict[str, Any], spec: Setting) -> list[str]:
        full = spec.key
        values = self.list_of(doc, full, spec.field)
        if spec.max_count is not None and len(values) > spec.max_count:
            self.fail(full, f"lists {len(values)} addresses", f"list at most {spec.max_count}")
        assert spec.pattern is not None
        for i, value in enumerate(values):
            if not isinstance(value, str) or not re.fullmatch(spec.pattern, value):
                self.fail(f"{full}[{i}]", f"{value!r} is not an e-mail address", "write it as name@example.com")
        if len(set(values)) != len(values):
            self.fail(full, "lists an address twice", "list each address once")
        return list(values)

    def tags(self, doc: dict[str, Any], key: str) -> dict[str, str]:
        rules = contract.tags()
        value = doc.get(key) or {}
        if not isinstance(value, dict):
            self.fail(key, "must be a mapping of tag names to values", "write tags as Name: value lines")
        out: dict[str, str] = {}
        for k, val in value.items():
            if not isinstance(k, str) or not re.fullmatch(rules["key_pattern"], k) or k.lower().startswith("aws:"):
                self.fail(f"tags.{k}", "is not a valid tag key",
                          "use letters, digits and + - = . _ : / @ (no aws: prefix)")
            if isinstance(val, (dict, list)) or val is None or len(str(val)) > rules["max_value_length"]:
                self.fail(f"tags.{k}", "must be a short string",
                          f"give the tag a value of at most {rules['max_value_length']} characters")
            out[k] = str(val)
        if len(out) > rules["max_count"]:
            self.fail(key, f"has {len(out)} tags", f"keep at most {rules['max_count']} (AWS allows 50 including ours)")
        return out
