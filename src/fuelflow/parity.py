"""Parity of the two IaC paths: one normalised model of the architecture from cloudformation/, one from
terraform/, compared leaf by leaf (docs/decisions.md section 1: both paths describe the same resources with the
same settings).

How each side is read, and why:

* CloudFormation: every template is decoded with cfn-lint's loader and *evaluated* the way CloudFormation
  would for one environment: parameters from `Environment.cfn_parameters()` (template defaults for the
  rest), pseudo parameters (a real-looking account, `CFN_ACCOUNT_ID`, so that the rds template's
  `IsLocalEmulator` condition is false and the real-AWS shape is compared), conditions, `Ref`, `Fn::Sub`,
  `Fn::If`, `Fn::Join`, `Fn::Select`, `Fn::GetAZs`... `Fn::ImportValue` is resolved through the exporting
  template's output, so an import ends where the other engine's reference ends: at a resource.
* Terraform: `terraform test` with a `mock_provider "aws"` plans the real root module (the environment's
  var-file; every expression, `count`, `for_each`, `jsonencode`, `templatefile` evaluated by Terraform
  itself) with no AWS account and no emulator, in a throw-away copy of terraform/; `terraform test -json
  -verbose` prints each run's plan (`test_plan`). `terraform plan` against moto would give the same values
  but needs an emulator running and still leaves ids and ARNs unknown. Those (known only after apply) are
  made symbolic instead: a second run block overrides every resource's `id` / `arn` with a unique
  placeholder the provider's validators accept (`sg-f0f0...`, `arn:aws:fuelflow:...`, `override_resource`
  with `override_during = plan`), so `security_group_id`, `bucket`, `referenced_security_group_id`... say
  *which* resource they point at. The first run block tells which attributes are really configured (a
  computed value the mock invents is not a setting). Needs terraform and hashicorp/aws: a filesystem
  mirror from `FUELFLOW_TF_PLUGIN_DIR` or found at run time, else the registry.
* Without terraform there is no Terraform model: evaluating HCL expressions by hand would be a second,
  unfaithful Terraform. The check then reports that it could not run (validate: "not run"; tests: skipped
  with the reason).

Both sides then become the same flat model (`Model`): paths such as `rds.db.backup_retention_days` or
`security_groups.web.rules` with plain values; references become symbols (`sg:web`, `bucket:app-data`,
`arn:bucket:app-data/*`, `role:ec2`, `subnet:10.10.0.0/24`), the account id becomes `<account>`. What is
deliberately not compared: tags, descriptions, IAM policy / statement names (Sid), rule ids, names that
docs/contract.md does not fix (launch template, parameter group), user data, and how settings are split
into resources (one lifecycle rule or two, one policy or three: the *effective* set is compared).
"""

from __future__ import annotations

import ast
import json
import operator
import os
import re
import shutil
import subprocess
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import hcl2

from fuelflow.config import Environment, load_environment
from fuelflow.errors import FuelflowError, InputError

CFN_DIR = "cloudformation"
TF_DIR = "terraform"
# A placeholder account that is nobody's: not moto's 123456789012, so templates take their real-AWS branch.
CFN_ACCOUNT_ID = "111122223333"
TF_ACCOUNT_ID = CFN_ACCOUNT_ID
PARTITION = "aws"
PLUGIN_DIR_ENV = "FUELFLOW_TF_PLUGIN_DIR"
TERRAFORM_ENV = "FUELFLOW_TERRAFORM"
TF_TIMEOUT = 300
# AWS's documented defaults for settings a template may leave out (compared as if written).
DB_DEFAULTS: dict[str, Any] = {
    "port": 3306,  # mysql
    "ca_certificate": "rds-ca-rsa2048-g1",  # default CA of new DB instances since 2024
    "performance_insights": False,
    "multi_az": False,
    "copy_tags_to_snapshot": False,
    "deletion_protection": False,
    "iam_auth": False,
    "storage_encrypted": False,
    "monitoring_interval": 0,
    "auto_minor_version_upgrade": True,
}
ABSENT = None  # a path one model does not have


# ============================================================================================ public API


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


def compare(project_dir: Path, env_name: str = "dev", *, plugin_dir: Path | None = None) -> list[Difference]:
    """Build both models for environment `env_name` and return their differences (empty: parity).

    `plugin_dir`: the provider mirror (`fuelflow validate --plugin-dir`); default $FUELFLOW_TF_PLUGIN_DIR,
    else one found at run time, else the registry. Raises InputError when terraform or the AWS provider is
    not available, FuelflowError when a template or the Terraform configuration cannot be evaluated.
    """
    project_dir = Path(project_dir)
    return compare_models(cloudformation_model(project_dir, env_name),
                          terraform_model(project_dir, env_name, plugin_dir=plugin_dir))


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
    m = re.match(rf"{CFN_DIR}/([a-z0-9]+)[^/]*\.ya?ml$", file) or re.match(rf"{TF_DIR}/modules/([^/]+)/", file)
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


def cloudformation_model(project_dir: Path, env_name: str = "dev") -> Model:
    """The normalised model of cloudformation/*.yaml evaluated for one environment."""
    project_dir = Path(project_dir)
    env = load_environment(project_dir, env_name)
    project = _CfnProject(project_dir, env)
    resources = project.resources()
    return _build(resources, _Context(env, CFN_ACCOUNT_ID, "cloudformation"))


def terraform_model(project_dir: Path, env_name: str = "dev", *, plugin_dir: Path | None = None) -> Model:
    """The normalised model of terraform/ (root module) planned for one environment with a mock provider."""
    project_dir = Path(project_dir)
    env = load_environment(project_dir, env_name)
    resources, ssm = _terraform_resources(project_dir, env, plugin_dir)
    return _build(resources, _Context(env, TF_ACCOUNT_ID, "terraform"), ssm)


# ============================================================================================ formatting


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


def _num(value: Any) -> Any:
    """A number from a CloudFormation string or a Terraform number; other values unchanged."""
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, str) and re.fullmatch(r"-?\d+", value.strip()):
        return int(value)
    if isinstance(value, str) and re.fullmatch(r"-?\d+\.\d+", value.strip()):
        value = float(value)
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def _bool(value: Any) -> Any:
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    return value


# ============================================================================================ resources


@dataclass
class _Res:
    """One resource (or resource instance) of either engine, evaluated, before normalisation.

    `kind` is engine-neutral (KINDS), `props` the evaluated properties (CloudFormation names or Terraform
    attributes, references to other resources as tokens «engine:key[#attr]»), `source` its file, `extra`
    resource attributes outside the properties (DeletionPolicy).
    """

    engine: str  # "cfn" | "tf"
    type: str
    key: str  # logical id or address
    props: dict[str, Any]
    source: str
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def kind(self) -> str:
        return KINDS.get(self.type, self.type)

    def token(self, attr: str | None = None) -> str:
        base = f"{self.engine}:{self.key}"
        return f"«{base}#{attr}»" if attr else f"«{base}»"


KINDS = {
    "AWS::S3::Bucket": "bucket", "aws_s3_bucket": "bucket",
    "AWS::S3::BucketPolicy": "bucket-policy", "aws_s3_bucket_policy": "bucket-policy",
    "AWS::EC2::SecurityGroup": "sg", "aws_security_group": "sg",
    "AWS::EC2::SecurityGroupIngress": "sg-ingress", "AWS::EC2::SecurityGroupEgress": "sg-egress",
    "AWS::IAM::Role": "role", "aws_iam_role": "role",
    "AWS::IAM::InstanceProfile": "instance-profile", "aws_iam_instance_profile": "instance-profile",
    "AWS::IAM::Policy": "policy", "AWS::IAM::ManagedPolicy": "policy", "aws_iam_policy": "policy",
    "AWS::EC2::VPC": "vpc", "aws_vpc": "vpc",
    "AWS::EC2::Subnet": "subnet", "aws_subnet": "subnet",
    "AWS::EC2::InternetGateway": "igw", "aws_internet_gateway": "igw",
    "AWS::EC2::NatGateway": "nat", "aws_nat_gateway": "nat",
    "AWS::EC2::RouteTable": "route-table", "aws_route_table": "route-table",
    "AWS::EC2::Route": "route", "aws_route": "route",
    "AWS::EC2::SubnetRouteTableAssociation": "rt-association", "aws_route_table_association": "rt-association",
    "AWS::EC2::VPCEndpoint": "vpc-endpoint", "aws_vpc_endpoint": "vpc-endpoint",
    "AWS::EC2::LaunchTemplate": "launch-template", "aws_launch_template": "launch-template",
    "AWS::EC2::Instance": "instance", "aws_instance": "instance",
    "AWS::RDS::DBInstance": "db", "aws_db_instance": "db",
    "AWS::RDS::DBSubnetGroup": "db-subnet-group", "aws_db_subnet_group": "db-subnet-group",
    "AWS::RDS::DBParameterGroup": "db-parameter-group", "aws_db_parameter_group": "db-parameter-group",
    "AWS::Logs::LogGroup": "log-group", "aws_cloudwatch_log_group": "log-group",
    "AWS::CloudWatch::Alarm": "alarm", "aws_cloudwatch_metric_alarm": "alarm",
}


# ============================================================================================ CloudFormation


class _NoValue:
    """AWS::NoValue: the property disappears."""


NO_VALUE = _NoValue()
_SUB_VAR = re.compile(r"\$\{([^}!][^}]*)\}")


class _CfnStack:
    """One template evaluated for one environment."""

    def __init__(self, project: _CfnProject, path: Path) -> None:
        from cfnlint.decode import decode_str  # heavy import, only when needed

        self.project = project
        self.rel = f"{CFN_DIR}/{path.name}"
        template, matches = decode_str(path.read_text())
        if template is None or matches:
            detail = "; ".join(str(m) for m in matches) if matches else "empty"
            raise InputError(f"{self.rel}: cannot be loaded ({detail})", "fix the template (cfn-lint shows where)")
        self.template: dict[str, Any] = template
        self.part = path.stem.split("-", 1)[0]
        env = project.env
        self.pseudo = {
            "AWS::AccountId": CFN_ACCOUNT_ID,
            "AWS::Region": env.region,
            "AWS::Partition": PARTITION,
            "AWS::URLSuffix": "amazonaws.com",
            "AWS::StackName": env.stack_name(self.part),
            "AWS::StackId": f"arn:{PARTITION}:cloudformation:{env.region}:{CFN_ACCOUNT_ID}:stack/"
                            f"{env.stack_name(self.part)}/00000000-0000-0000-0000-000000000000",
            "AWS::NotificationARNs": [],
        }
        given = env.cfn_parameters()
        self.params: dict[str, Any] = {}
        for name, spec in (self.template.get("Parameters") or {}).items():
            value = given.get(name, spec.get("Default"))
            if value is None:
                value = f"«param:{name}»"
            if str(spec.get("Type", "")).startswith("AWS::SSM::Parameter::Value"):
                value = f"ssm:{value}"
            self.params[name] = value
        self.resources_spec: dict[str, Any] = self.template.get("Resources") or {}
        self._conditions: dict[str, bool] = {}
        self._props: dict[str, dict[str, Any]] = {}
        self._resolving: set[str] = set()

    # ------------------------------------------------------------------ conditions
    def condition(self, name: str) -> bool:
        if name not in self._conditions:
            spec = (self.template.get("Conditions") or {}).get(name)
            if spec is None:
                raise InputError(f"{self.rel}: unknown condition {name}", "declare it under Conditions")
            self._conditions[name] = self._cond(spec)
        return self._conditions[name]

    def _cond(self, spec: Any) -> bool:
        if isinstance(spec, dict) and len(spec) == 1:
            (fn, arg), = spec.items()
            if fn == "Fn::Equals":
                a, b = (_cfn_str(self.resolve(x)) for x in arg)
                return a == b
            if fn == "Fn::Not":
                return not self._cond(arg[0])
            if fn == "Fn::And":
                return all(self._cond(x) for x in arg)
            if fn == "Fn::Or":
                return any(self._cond(x) for x in arg)
            if fn == "Condition":
                return self.condition(str(arg))
        raise InputError(f"{self.rel}: cannot evaluate condition {spec!r}", "use Fn::Equals/Not/And/Or/Condition")

    def active(self, logical: str) -> bool:
        cond = self.resources_spec.get(logical, {}).get("Condition")
        return cond is None or self.condition(str(cond))

    # ------------------------------------------------------------------ intrinsic functions
    def resolve(self, value: Any) -> Any:
        if isinstance(value, dict):
            if len(value) == 1:
                (key, arg), = value.items()
                if key == "Ref" or key.startswith("Fn::") or key == "Condition":
                    return self._intrinsic(key, arg)
            out: dict[str, Any] = {}
            for k, v in value.items():
                r = self.resolve(v)
                if r is not NO_VALUE:
                    out[str(k)] = r
            return out
        if isinstance(value, list):
            return [r for r in (self.resolve(v) for v in value) if r is not NO_VALUE]
        if isinstance(value, str):
            return str(value)
        if isinstance(value, bool):
            return bool(value)
        if isinstance(value, int):
            return int(value)
        if isinstance(value, float):
            return float(value)
        return value

    def _intrinsic(self, fn: str, arg: Any) -> Any:
        if fn == "Ref":
            return self.ref(str(arg))
        if fn == "Fn::GetAtt":
            logical, attr = (arg.split(".", 1) if isinstance(arg, str) else (arg[0], self.resolve(arg[1])))
            return self.getatt(str(logical), str(attr))
        if fn == "Fn::Sub":
            text, variables = (arg, {}) if isinstance(arg, str) else (arg[0], arg[1])
            local = {str(k): self.resolve(v) for k, v in variables.items()}
            return self._sub(str(text), local)
        if fn == "Fn::Join":
            sep, items = arg
            return str(sep).join(_flat_str(self.resolve(items)))
        if fn == "Fn::Select":
            index, items = self.resolve(arg[0]), self.resolve(arg[1])
            return items[int(index)]
        if fn == "Fn::Split":
            sep, text = arg
            return str(self.resolve(text)).split(str(sep))
        if fn == "Fn::GetAZs":
            region = self.resolve(arg) or self.pseudo["AWS::Region"]
            return [f"{region}{c}" for c in "abcdef"]
        if fn == "Fn::If":
            cond, yes, no = arg
            return self.resolve(yes if self.condition(str(cond)) else no)
        if fn == "Fn::ImportValue":
            return self.project.import_value(str(self.resolve(arg)))
        if fn == "Fn::Base64":
            return self.resolve(arg)
        if fn == "Fn::FindInMap":
            name, k1, k2 = (self.resolve(x) for x in arg)
            return self.resolve(self.template["Mappings"][name][k1][k2])
        if fn == "Condition":
            return self.condition(str(arg))
        return f"«cfn:{self.rel}:unsupported {fn}»"

    def _sub(self, text: str, local: dict[str, Any]) -> str:
        def one(match: re.Match[str]) -> str:
            name = match.group(1).strip()
            if name in local:
                return str(local[name])
            if "." in name and name.split(".", 1)[0] in self.resources_spec:
                logical, attr = name.split(".", 1)
                return str(self.getatt(logical, attr))
            return str(self.ref(name))

        return _SUB_VAR.sub(one, text).replace("${!", "${")

    def ref(self, name: str) -> Any:
        if name == "AWS::NoValue":
            return NO_VALUE
        if name in self.pseudo:
            return self.pseudo[name]
        if name in self.params:
            return self.params[name]
        if name in self.resources_spec:
            return self._physical(name, None)
        raise InputError(f"{self.rel}: Ref to unknown {name}", "declare the parameter or resource")

    def getatt(self, logical: str, attr: str) -> Any:
        if logical not in self.resources_spec:
            raise InputError(f"{self.rel}: Fn::GetAtt of unknown resource {logical}", "fix the logical id")
        return self._physical(logical, attr)

    def props(self, logical: str) -> dict[str, Any]:
        if logical not in self._props:
            if logical in self._resolving:
                return {}
            self._resolving.add(logical)
            try:
                raw = self.resources_spec[logical].get("Properties") or {}
                self._props[logical] = self.resolve(raw)
            finally:
                self._resolving.discard(logical)
        return self._props[logical]

    def _physical(self, logical: str, attr: str | None) -> Any:
        """What Ref / Fn::GetAtt of a resource yields: its name when that is knowable, else a token."""
        rtype = str(self.resources_spec[logical].get("Type", ""))
        p = self.props(logical)
        acct, part = CFN_ACCOUNT_ID, PARTITION
        named: dict[str, tuple[str, Callable[[Any], str] | None]] = {
            "AWS::S3::Bucket": ("BucketName", lambda n: f"arn:{part}:s3:::{n}"),
            "AWS::IAM::Role": ("RoleName", lambda n: f"arn:{part}:iam::{acct}:role{p.get('Path', '/')}{n}"),
            "AWS::IAM::InstanceProfile": (
                "InstanceProfileName", lambda n: f"arn:{part}:iam::{acct}:instance-profile{p.get('Path', '/')}{n}"),
            "AWS::Logs::LogGroup": ("LogGroupName", None),
            "AWS::RDS::DBInstance": ("DBInstanceIdentifier", None),
            "AWS::RDS::DBSubnetGroup": ("DBSubnetGroupName", None),
        }
        if rtype in named:
            prop, arn = named[rtype]
            name = p.get(prop)
            if name is not None and attr is None:
                return name
            if name is not None and attr == "Arn" and arn is not None:
                return arn(name)
        if rtype == "AWS::EC2::VPC" and attr == "CidrBlock" and "CidrBlock" in p:
            return p["CidrBlock"]
        if rtype == "AWS::EC2::SecurityGroup" and attr == "GroupId":
            attr = None
        return _Res("cfn", rtype, f"{self.rel}#{logical}", {}, self.rel).token(attr)

    # ------------------------------------------------------------------ outputs
    def exports(self) -> dict[str, str]:
        """Export name -> output logical id (active outputs only)."""
        out: dict[str, str] = {}
        for logical, spec in (self.template.get("Outputs") or {}).items():
            if "Export" not in spec:
                continue
            cond = spec.get("Condition")
            if cond is not None and not self.condition(str(cond)):
                continue
            out[str(self.resolve(spec["Export"]["Name"]))] = str(logical)
        return out

    def output(self, logical: str) -> Any:
        return self.resolve(self.template["Outputs"][logical]["Value"])

    def resources(self) -> list[_Res]:
        out = []
        for logical, spec in self.resources_spec.items():
            if not self.active(logical):
                continue
            extra = {k: spec[k] for k in ("DeletionPolicy", "UpdateReplacePolicy") if k in spec}
            out.append(_Res("cfn", str(spec.get("Type")), f"{self.rel}#{logical}", self.props(logical), self.rel,
                            extra))
        return out


class _CfnProject:
    """All templates of a project, so that Fn::ImportValue can follow the exporting template."""

    def __init__(self, project_dir: Path, env: Environment) -> None:
        self.env = env
        paths = sorted((project_dir / CFN_DIR).glob("*.yaml")) + sorted((project_dir / CFN_DIR).glob("*.yml"))
        if not paths:
            raise InputError(f"no templates in {project_dir / CFN_DIR}", "run from the project directory")
        self.stacks = [_CfnStack(self, p) for p in paths]
        self._exports: dict[str, tuple[_CfnStack, str]] | None = None

    def import_value(self, name: str) -> Any:
        if self._exports is None:
            self._exports = {}
            for stack in self.stacks:
                for export, logical in stack.exports().items():
                    self._exports[export] = (stack, logical)
        if name not in self._exports:
            return f"«import:{name}»"
        stack, logical = self._exports[name]
        return stack.output(logical)

    def resources(self) -> list[_Res]:
        return [r for stack in self.stacks for r in stack.resources()]


def _cfn_str(value: Any) -> str:
    """How CloudFormation compares values in Fn::Equals: as strings, booleans lower-case."""
    return str(value).lower() if isinstance(value, bool) else str(value)


def _flat_str(items: Any) -> list[str]:
    return [str(i) for i in (items if isinstance(items, list) else [items])]


# ============================================================================================ Terraform


def find_terraform() -> str:
    """The terraform binary: $FUELFLOW_TERRAFORM, else `terraform` on PATH."""
    explicit = os.environ.get(TERRAFORM_ENV)
    if explicit:
        if not (Path(explicit).is_file() and os.access(explicit, os.X_OK)):
            raise InputError(f"{TERRAFORM_ENV}={explicit} is not an executable file",
                             "point it at the terraform binary, or unset it to use terraform on PATH")
        return explicit
    found = shutil.which("terraform")
    if found is None:
        raise InputError("terraform is not installed (not on PATH)",
                         f"install Terraform >= 1.10 or set {TERRAFORM_ENV}=/path/to/terraform")
    return found


def _holds_aws_provider(path: Path) -> bool:
    return (path / "registry.terraform.io" / "hashicorp" / "aws").is_dir()


def plugin_dir_candidates() -> Iterator[Path]:
    """Where a provider mirror may be, searched at run time (no machine path is assumed).

    Terraform's implied local mirror directories first, then any `registry.terraform.io` directory up to
    three levels below the usual roots of machine images (/opt, /usr/local, /srv, the home directory).
    """
    home = Path.home()
    data_home = Path(os.environ.get("XDG_DATA_HOME") or home / ".local" / "share")
    data_dirs = [Path(d) for d in (os.environ.get("XDG_DATA_DIRS") or "/usr/local/share:/usr/share").split(":") if d]
    yield home / ".terraform.d" / "plugins"
    yield data_home / "terraform" / "plugins"
    for d in data_dirs:
        yield d / "terraform" / "plugins"
    for root in (Path("/opt"), Path("/usr/local"), Path("/srv"), home):
        for depth in range(3):
            pattern = "/".join(["*"] * depth + ["registry.terraform.io"])
            try:
                for hit in sorted(root.glob(pattern)):
                    yield hit.parent
            except OSError:
                continue


def find_plugin_dir(explicit: Path | None = None) -> Path | None:
    """The filesystem mirror holding hashicorp/aws: `explicit`, else $FUELFLOW_TF_PLUGIN_DIR, else one found at
    run time; None: use the registry. A mirror named but empty is an input error, not a silent fallback."""
    for given, source in ((explicit, "--plugin-dir"), (os.environ.get(PLUGIN_DIR_ENV), PLUGIN_DIR_ENV)):
        if given:
            path = Path(given).expanduser()
            if not _holds_aws_provider(path):
                raise InputError(f"{source} {given} holds no registry.terraform.io/hashicorp/aws",
                                 "point it at a provider mirror (terraform providers mirror <dir>)")
            return path
    return next((p for p in plugin_dir_candidates() if _holds_aws_provider(p)), None)


def terraform_available() -> str | None:
    """None if the Terraform side can be built here, else the reason it cannot."""
    try:
        find_terraform()
    except InputError as exc:
        return exc.one_line()
    if find_plugin_dir() is None:
        return (f"no filesystem mirror of hashicorp/aws found (set {PLUGIN_DIR_ENV}); "
                "the registry would be needed")
    return None


def _unquote(label: str) -> str:
    return label[1:-1] if len(label) >= 2 and label[0] == label[-1] == '"' else label


@dataclass
class _TfModule:
    """One module directory as python-hcl2 reads it: where each block is, variables' defaults."""

    dir: Path
    rel: str
    blocks: dict[tuple[str, str, str], str]  # (mode, type, name) -> file
    variables: dict[str, Any]
    calls: dict[str, tuple[str, dict[str, Any]]]  # module name -> (source, arguments)
    data_args: dict[tuple[str, str], dict[str, Any]]


def _read_tf_module(dir_: Path, project_dir: Path) -> _TfModule:
    blocks: dict[tuple[str, str, str], str] = {}
    variables: dict[str, Any] = {}
    calls: dict[str, tuple[str, dict[str, Any]]] = {}
    data_args: dict[tuple[str, str], dict[str, Any]] = {}
    for tf in sorted(dir_.glob("*.tf")):
        rel = tf.relative_to(project_dir).as_posix()
        try:
            with tf.open() as fh:
                doc = hcl2.load(fh)
        except Exception as exc:  # python-hcl2 raises lark errors of many kinds
            raise InputError(f"{rel}: cannot be parsed ({exc.__class__.__name__})", "run terraform fmt/validate") \
                from exc
        for mode in ("resource", "data"):
            for entry in doc.get(mode, []):
                for rtype, named in entry.items():
                    for name, body in named.items():
                        blocks[(mode, _unquote(rtype), _unquote(name))] = rel
                        if mode == "data":
                            data_args[(_unquote(rtype), _unquote(name))] = body
        for entry in doc.get("variable", []):
            for name, body in entry.items():
                variables[_unquote(name)] = body.get("default")
        for entry in doc.get("module", []):
            for name, body in entry.items():
                calls[_unquote(name)] = (_unquote(str(body.get("source", ""))), body)
    return _TfModule(dir_, dir_.relative_to(project_dir).as_posix(), blocks, variables, calls, data_args)


def _tf_modules(project_dir: Path) -> dict[str, _TfModule]:
    """Module address ("" for the root, "module.s3", ...) -> module, following local sources."""
    out: dict[str, _TfModule] = {}
    project_dir = project_dir.resolve()

    def walk(address: str, dir_: Path) -> None:
        module = _read_tf_module(dir_, project_dir)
        out[address] = module
        for name, (source, _args) in module.calls.items():
            if source.startswith("."):
                walk(f"{address}.module.{name}".lstrip("."), (dir_ / source).resolve())

    walk("", (project_dir / TF_DIR).resolve())
    return out


_TF_STATIC = re.compile(r'^"(.*)"$', re.S)


def _static_string(value: Any, module: _TfModule, parent: _TfModule | None, call_args: dict[str, Any]) -> str | None:
    """A string attribute that is a literal or `var.x` (module argument or default); None otherwise."""
    if not isinstance(value, str):
        return None
    m = _TF_STATIC.match(value)
    if m and "${" not in m.group(1):
        return m.group(1)
    m = re.fullmatch(r"\$\{var\.(\w+)\}", value)
    if m:
        name = m.group(1)
        if name in call_args:
            return _static_string(call_args[name], parent or module, None, {})
        return _static_string(module.variables.get(name), module, None, {})
    return None


# Id prefixes of the resource types whose ids the provider validates when another resource uses them.
_ID_PREFIX = {
    "aws_launch_template": "lt-", "aws_security_group": "sg-", "aws_subnet": "subnet-", "aws_vpc": "vpc-",
    "aws_instance": "i-", "aws_route_table": "rtb-", "aws_internet_gateway": "igw-", "aws_nat_gateway": "nat-",
    "aws_vpc_endpoint": "vpce-", "aws_eip": "eipalloc-", "aws_network_interface": "eni-", "aws_ebs_volume": "vol-",
    "aws_ec2_managed_prefix_list": "pl-", "aws_db_instance": "db-", "aws_kms_key": "key-",
}


def _cli_config(work: Path, plugin_dir: Path | None) -> Path:
    config = work / "cli.tfrc"
    if plugin_dir is not None:
        config.write_text(
            "provider_installation {\n"
            f"  filesystem_mirror {{\n    path    = {json.dumps(str(plugin_dir))}\n"
            '    include = ["registry.terraform.io/*/*"]\n  }\n'
            '  direct {\n    exclude = ["registry.terraform.io/*/*"]\n  }\n'
            "}\n")
    else:
        config.write_text("")
    return config


def _run(cmd: list[str], cwd: Path, env: dict[str, str], what: str) -> str:
    try:
        proc = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=TF_TIMEOUT,
                              check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise FuelflowError(f"parity: {what} failed to run ({exc})", "check the terraform installation") from exc
    if proc.returncode != 0:
        raise FuelflowError(f"parity: {what} failed: {_tf_errors(proc.stdout + proc.stderr)}",
                            "run `fuelflow validate` (terraform validate) for details")
    return proc.stdout


def _tf_errors(output: str) -> str:
    messages = []
    for line in output.splitlines():
        try:
            msg = json.loads(line)
        except ValueError:
            if line.strip().startswith(("Error", "│ Error")):
                messages.append(line.strip("│ ").strip())
            continue
        diag = msg.get("diagnostic") if isinstance(msg, dict) else None
        if isinstance(diag, dict) and diag.get("severity") == "error":
            messages.append(f"{diag.get('summary')}: {diag.get('detail', '')}".strip(": "))
        elif isinstance(msg, dict) and msg.get("@level") == "error":
            messages.append(str(msg.get("@message")))
    return " / ".join(messages[:3]) or output.strip()[-500:]


def _hcl_string(text: str) -> str:
    return json.dumps(text)


def _test_file(env: Environment, runs: dict[str, list[tuple[str, str, dict[str, str]]]]) -> str:
    """A .tftest.hcl with a mocked AWS provider and plan-only run blocks (name -> overrides)."""
    azs = ", ".join(_hcl_string(f"{env.region}{c}") for c in "abcdef")
    lines = [
        'mock_provider "aws" {',
        f'  mock_data "aws_caller_identity" {{\n    defaults = {{ account_id = "{TF_ACCOUNT_ID}" }}\n  }}',
        f'  mock_data "aws_region" {{\n    defaults = {{ name = "{env.region}", id = "{env.region}" }}\n  }}',
        f'  mock_data "aws_partition" {{\n    defaults = {{ partition = "{PARTITION}", '
        'dns_suffix = "amazonaws.com" }\n  }',
        f'  mock_data "aws_availability_zones" {{\n    defaults = {{ names = [{azs}] }}\n  }}',
        "}",
    ]
    for run, overrides in runs.items():
        lines += [f'run "{run}" {{', "  command = plan"]
        for block, target, values in overrides:
            body = ", ".join(f"{k} = {_hcl_string(v)}" for k, v in values.items())
            lines += [f"  {block} {{", f"    target          = {target}", "    override_during = plan",
                      f"    values          = {{ {body} }}", "  }"]
        lines.append("}")
    return "\n".join(lines) + "\n"


def _test_plans(tf: str, work: Path, env_vars: dict[str, str], var_file: Path, test_file: str,
                runs: list[str]) -> dict[str, list[dict[str, Any]]]:
    """Run the test file; the resource changes of each run's plan."""
    tests = work / "tests"
    tests.mkdir(exist_ok=True)
    name = "fuelflow_parity.tftest.hcl"
    (tests / name).write_text(test_file)
    out = _run([tf, "test", "-json", "-verbose", f"-filter=tests/{name}", f"-var-file={var_file}"], work, env_vars,
               "terraform test (mock-provider plan)")
    plans: dict[str, list[dict[str, Any]]] = {}
    for line in out.splitlines():
        if '"test_plan"' in line:
            msg = json.loads(line)
            if msg.get("type") == "test_plan" and msg.get("@testrun") in runs:
                plans[msg["@testrun"]] = msg["test_plan"].get("resource_changes", [])
    missing = [r for r in runs if r not in plans]
    if missing:
        raise FuelflowError(f"parity: terraform test printed no plan for {', '.join(missing)}: {_tf_errors(out)}",
                            "check that `terraform test -json -verbose` works in terraform/")
    return plans


_PLACEHOLDER = re.compile(r"(?:arn:[a-z-]+:fuelflow:[a-z0-9-]*:\d*:|[a-z]+-)f0f0[0-9a-f]{13}")


def _replace_placeholders(value: Any, tokens: dict[str, str]) -> Any:
    if isinstance(value, dict):
        return {k: _replace_placeholders(v, tokens) for k, v in value.items()}
    if isinstance(value, list):
        return [_replace_placeholders(v, tokens) for v in value]
    if isinstance(value, str):
        return _PLACEHOLDER.sub(lambda m: tokens.get(m.group(0), m.group(0)), value)
    return value


def _merge(after: Any, unknown: Any, symbolic: Any) -> Any:
    """Planned value: configured values from the plain plan, tokens from the symbolic plan, None otherwise."""
    if unknown is True:
        return symbolic if "«tf:" in json.dumps(symbolic, ensure_ascii=False) else None
    if isinstance(after, dict) or isinstance(unknown, dict):
        a = after if isinstance(after, dict) else {}
        u = unknown if isinstance(unknown, dict) else {}
        s = symbolic if isinstance(symbolic, dict) else {}
        return {k: _merge(a.get(k), u.get(k), s.get(k)) for k in set(a) | set(u)}
    if isinstance(after, list) or isinstance(unknown, list):
        a_list = after if isinstance(after, list) else []
        u_list = unknown if isinstance(unknown, list) else []
        s_list = symbolic if isinstance(symbolic, list) else []
        n = max(len(a_list), len(u_list))
        return [_merge(a_list[i] if i < len(a_list) else None, u_list[i] if i < len(u_list) else None,
                       s_list[i] if i < len(s_list) else None) for i in range(n)]
    return after


def _ssm_tokens(modules: dict[str, _TfModule]) -> dict[str, str]:
    """Token of each SSM parameter data source -> "ssm:<parameter name>" (how templates name the AMI too)."""
    out: dict[str, str] = {}
    for maddr, module in modules.items():
        parent = modules.get(maddr.rpartition(".module.")[0] if ".module." in maddr else "") if maddr else None
        call_args = parent.calls[maddr.rsplit(".", 1)[-1]][1] if parent is not None else {}
        for (rtype, name), args in module.data_args.items():
            if rtype == "aws_ssm_parameter":
                path = _static_string(args.get("name"), module, parent, call_args)
                out[f"«tf:{maddr}.data.{rtype}.{name}»".replace("«tf:.", "«tf:")] = f"ssm:{path or '?'}"
    return out


def _terraform_resources(project_dir: Path, env: Environment,
                         explicit_plugin_dir: Path | None = None) -> tuple[list[_Res], dict[str, str]]:
    """The planned resource instances, and what the SSM parameter data sources' tokens stand for."""
    tf_dir = project_dir / TF_DIR
    if not (tf_dir / "main.tf").is_file():
        raise InputError(f"no Terraform root module in {tf_dir}", "run from the project directory")
    tf = find_terraform()
    plugin_dir = find_plugin_dir(explicit_plugin_dir)
    modules = _tf_modules(project_dir)
    with tempfile.TemporaryDirectory(prefix="fuelflow-parity-") as tmp:
        work = Path(tmp) / "terraform"
        shutil.copytree(tf_dir, work, ignore=shutil.ignore_patterns(
            ".terraform", "tests", "*.tfstate", "*.tfstate.*", "*.tfplan", "*_override.tf", "*_override.tf.json"))
        var_file = env.write_tf_vars(Path(tmp) / "parity.tfvars.json")
        env_vars = {**os.environ, "TF_CLI_CONFIG_FILE": str(_cli_config(Path(tmp), plugin_dir)),
                    "CHECKPOINT_DISABLE": "1", "TF_IN_AUTOMATION": "1", "TF_INPUT": "0"}
        for key in ("TF_DATA_DIR", "TF_WORKSPACE", "TF_CLI_ARGS", "TF_CLI_ARGS_test", "TF_CLI_ARGS_init"):
            env_vars.pop(key, None)
        _run([tf, "init", "-backend=false", "-input=false", "-no-color"], work, env_vars, "terraform init")
        # Placeholders the provider's validators accept (lt-..., sg-..., arn:...), unique, mapped back below.
        tokens: dict[str, str] = {}

        def placeholder(prefix: str, internal: str) -> str:
            text = f"{prefix}f0f0{len(tokens):013x}"
            tokens[text] = internal
            return text

        data_overrides: list[tuple[str, str, dict[str, str]]] = []
        for maddr, module in modules.items():
            for (mode, rtype, name) in module.blocks:
                if mode == "data" and rtype == "aws_ssm_parameter":
                    addr = f"{maddr}.data.{rtype}.{name}".lstrip(".")
                    value = placeholder("ami-", f"«tf:{addr}»")
                    data_overrides.append(("override_data", addr, {"value": value, "insecure_value": value}))

        def resource_overrides(instances: list[tuple[str, str]]) -> list[tuple[str, str, dict[str, str]]]:
            out = list(data_overrides)
            for addr, rtype in instances:
                arn = placeholder(f"arn:{PARTITION}:fuelflow:{env.region}:{TF_ACCOUNT_ID}:", f"«tf:{addr}#arn»")
                ident = placeholder(_ID_PREFIX.get(rtype, "fftok-"), f"«tf:{addr}»")
                out.append(("override_resource", addr, {"id": ident, "arn": arn}))
            return out

        # First the plain plan (which resource instances exist), then the symbolic one (their ids and
        # ARNs overridden with placeholders that name them).
        runs = {"plain": data_overrides}
        plans = _test_plans(tf, work, env_vars, var_file, _test_file(env, runs), list(runs))
        managed = [c for c in plans["plain"] if c.get("mode") == "managed"]
        actual = [(c["address"], c["type"]) for c in managed]
        runs = {"symbolic": resource_overrides(actual)}
        plans.update(_test_plans(tf, work, env_vars, var_file, _test_file(env, runs), ["symbolic"]))
        symbolic = {c["address"]: _replace_placeholders(c.get("change", {}).get("after"), tokens)
                    for c in plans["symbolic"]}
    out = []
    for change in managed:
        addr = change["address"]
        sym = symbolic.get(addr)
        after = _replace_placeholders(change["change"].get("after"), tokens)
        values = _merge(after, change["change"].get("after_unknown"), sym)
        owner = modules.get(change.get("module_address", ""))
        source = owner.blocks.get(("resource", change["type"], change["name"]), owner.rel) if owner else TF_DIR
        out.append(_Res("tf", change["type"], addr, values or {}, source))
    return out, _ssm_tokens(modules)


# ============================================================================================ normalisation


@dataclass
class _Context:
    env: Environment
    account: str
    side: str

    @property
    def project(self) -> str:
        return self.env.project

    def core(self, name: Any, suffix: str = "") -> str:
        """`<project>-<core><suffix>-<env>` -> core."""
        text = str(name)
        pre, post = f"{self.project}-", f"-{self.env.name}"
        if text.startswith(pre) and text.endswith(post):
            text = text[len(pre):-len(post)]
        if suffix and text.endswith(suffix):
            text = text[: -len(suffix)]
        return text

    def bucket_core(self, name: Any) -> str:
        text = str(name)
        tail = f"-{self.env.name}-{self.account}-{self.env.region}"
        if text.startswith(f"{self.project}-") and text.endswith(tail):
            return text[len(self.project) + 1: -len(tail)]
        return text


class _Symbols:
    """Tokens and literal names/ARNs -> engine-neutral symbols."""

    def __init__(self, ctx: _Context) -> None:
        self.ctx = ctx
        self.tokens: dict[str, str] = {}
        self.exact: dict[str, str] = {}
        self.prefixes: list[tuple[str, str]] = []

    def token(self, token: str, symbol: str) -> None:
        self.tokens[token] = symbol

    def literal(self, text: Any, symbol: str, prefix: bool = False) -> None:
        if isinstance(text, str) and "«" not in text:
            self.exact[text] = symbol
            if prefix:
                self.prefixes.append((text + "/", symbol + "/"))

    def norm(self, value: Any) -> Any:
        if isinstance(value, dict):
            return {k: self.norm(v) for k, v in value.items()}
        if isinstance(value, list):
            return [self.norm(v) for v in value]
        if not isinstance(value, str):
            return value
        if value.startswith("{") and value.endswith("}"):  # a JSON policy document (Terraform's jsonencode)
            try:
                return self.norm(json.loads(value))
            except ValueError:
                pass
        text = re.sub(r"«[^»]*»", lambda m: self.tokens.get(m.group(0), m.group(0).strip("«»")), value)
        if text in self.exact:
            return self.exact[text]
        for pre, sym in self.prefixes:
            if text.startswith(pre):
                return sym + text[len(pre):]
        return text.replace(self.ctx.account, "<account>")


def _tags(props: dict[str, Any], engine: str) -> dict[str, str]:
    tags = props.get("Tags") if engine == "cfn" else props.get("tags")
    if isinstance(tags, list):
        return {str(t.get("Key")): str(t.get("Value")) for t in tags if isinstance(t, dict)}
    return {str(k): str(v) for k, v in (tags or {}).items()}


def _first(value: Any) -> dict[str, Any]:
    """Terraform nested blocks are lists of one dict."""
    if isinstance(value, list) and value and isinstance(value[0], dict):
        return value[0]
    return value if isinstance(value, dict) else {}


def _names(resources: list[_Res]) -> dict[str, list[_Res]]:
    by_kind: dict[str, list[_Res]] = {}
    for r in resources:
        by_kind.setdefault(r.kind, []).append(r)
    return by_kind


def _name_of(r: _Res) -> Any:
    """The resource's own name, per engine and kind."""
    cfn_names = {"bucket": "BucketName", "sg": "GroupName", "role": "RoleName",
                 "instance-profile": "InstanceProfileName", "launch-template": "LaunchTemplateName",
                 "db": "DBInstanceIdentifier", "log-group": "LogGroupName",
                 "alarm": "AlarmName", "db-subnet-group": "DBSubnetGroupName", "policy": "PolicyName",
                 "db-parameter-group": "DBParameterGroupName"}
    tf_names = {"bucket": "bucket", "sg": "name", "role": "name", "instance-profile": "name",
                "launch-template": "name", "db": "identifier", "log-group": "name", "alarm": "alarm_name",
                "db-subnet-group": "name", "policy": "name", "db-parameter-group": "name"}
    table = cfn_names if r.engine == "cfn" else tf_names
    return r.props.get(table.get(r.kind, "")) if r.kind in table else None


def _register(resources: list[_Res], ctx: _Context,
              extra_tokens: dict[str, str] | None = None) -> tuple[_Symbols, dict[str, str]]:
    """Give every resource a symbol; return the symbol table and resource key -> symbol."""
    syms = _Symbols(ctx)
    of: dict[str, str] = {}
    cfn = ctx.side == "cloudformation"
    subnet_cidr: dict[str, str] = {}
    for r in resources:
        name = _name_of(r)
        kind = r.kind
        sym: str | None = None
        if kind == "bucket":
            sym = f"bucket:{ctx.bucket_core(name)}"
            syms.literal(name, sym)
            syms.literal(f"arn:{PARTITION}:s3:::{name}", f"arn:{sym}", prefix=True)
        elif kind == "sg":
            sym = f"sg:{ctx.core(name, '-sg')}"
        elif kind == "role":
            sym = f"role:{ctx.core(name, '-role')}"
            syms.literal(name, sym)
            path = r.props.get("Path" if cfn else "path") or "/"
            syms.literal(f"arn:{PARTITION}:iam::{ctx.account}:role{path}{name}", f"arn:{sym}")
        elif kind == "instance-profile":
            sym = f"instance-profile:{ctx.core(name, '-profile')}"
            syms.literal(name, sym)
            path = r.props.get("Path" if cfn else "path") or "/"
            syms.literal(f"arn:{PARTITION}:iam::{ctx.account}:instance-profile{path}{name}", f"arn:{sym}")
        elif kind == "policy":
            sym = f"policy:{ctx.core(name)}"
            syms.literal(f"arn:{PARTITION}:iam::{ctx.account}:policy/{name}", f"arn:{sym}")
        elif kind == "subnet":
            cidr = r.props.get("CidrBlock" if cfn else "cidr_block")
            sym = f"subnet:{cidr}"
            subnet_cidr[r.key] = str(cidr)
        elif kind in ("vpc", "igw", "nat"):
            sym = kind
        elif kind == "launch-template":
            sym = f"launch-template:{ctx.core(name, '-lt')}"
        elif kind == "instance":
            tag = _tags(r.props, r.engine).get("Name")
            sym = f"instance:{ctx.core(tag)}" if tag else f"instance:{r.key}"
        elif kind == "db":
            sym = f"db:{ctx.core(name)}"
        elif kind in ("db-subnet-group", "db-parameter-group"):
            sym = f"{kind}:{r.key}"
            if name:
                syms.literal(name, sym)
        elif kind == "log-group":
            sym = f"log-group:{name}"
        if sym is None:
            sym = f"{kind}:{r.key}"
        of[r.key] = sym
        syms.token(r.token(), sym)
        syms.token(r.token("Arn" if cfn else "arn"), f"arn:{sym}")
    # Route tables are named by the subnets associated with them (the one thing both engines share).
    assoc: dict[str, list[str]] = {}
    for r in resources:
        if r.kind == "rt-association":
            rt = r.props.get("RouteTableId" if cfn else "route_table_id")
            subnet = r.props.get("SubnetId" if cfn else "subnet_id")
            key = next((k for k in subnet_cidr if isinstance(subnet, str) and _tok_key(subnet) == k), None)
            if isinstance(rt, str) and key:
                assoc.setdefault(_tok_key(rt), []).append(subnet_cidr[key])
    for r in resources:
        if r.kind == "route-table":
            cidrs = sorted(assoc.get(r.key, []))
            sym = "route-table:" + ("+".join(cidrs) if cidrs else f"unassociated {r.key}")
            of[r.key] = sym
            syms.token(r.token(), sym)
    for token, target in (extra_tokens or {}).items():
        syms.token(token, target)
    return syms, of


def _tok_key(text: str) -> str:
    """The resource key inside a token ("«cfn:file#Logical»" -> "file#Logical")."""
    m = re.fullmatch(r"«(?:cfn|tf):([^»#]*(?:#[^»#.]*)?)(?:[#.][^»]*)?»", text)
    if not m:
        return ""
    key = m.group(1)
    return key


# ============================================================================================ model building


def _build(resources: list[_Res], ctx: _Context, extra_tokens: dict[str, str] | None = None) -> Model:
    syms, of = _register(resources, ctx, extra_tokens)
    for r in resources:
        r.props = syms.norm(r.props)
    model = Model(ctx.side)
    by_kind = _names(resources)
    by_sym = {of[r.key]: r for r in resources}
    cfn = ctx.side == "cloudformation"
    builders = _CFN_BUILDERS if cfn else _TF_BUILDERS
    for builder in builders:
        builder(model, by_kind, by_sym, of, ctx)
    return model


Builder = Callable[[Model, dict[str, list[_Res]], dict[str, _Res], dict[str, str], _Context], None]


# ------------------------------------------------------------------ shared formatting


def _policy_doc(doc: Any) -> dict[str, Any]:
    if isinstance(doc, str):
        try:
            parsed = json.loads(doc)
        except ValueError:
            return {}
        return parsed if isinstance(parsed, dict) else {}
    return doc if isinstance(doc, dict) else {}


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def _principal(p: Any) -> str:
    if p is None:
        return ""
    if isinstance(p, str):
        return p
    parts: list[str] = []
    for k, v in sorted(p.items()):
        parts.extend(f"{k}={x}" for x in sorted(map(str, _as_list(v))))
    return ",".join(parts)


def _condition(c: Any) -> str:
    if not isinstance(c, dict):
        return ""
    parts = []
    for op, kv in sorted(c.items()):
        for key, val in sorted((kv or {}).items()):
            vals = sorted(str(v).lower() if isinstance(v, bool) else str(v) for v in _as_list(val))
            parts.append(f"{op} {key}={'|'.join(vals)}")
    return "; ".join(parts)


def _statements(doc: Any, with_principal: bool) -> set[str]:
    """One element per (effect, action, resource) of a policy document; Sids ignored."""
    out: set[str] = set()
    for st in _as_list(_policy_doc(doc).get("Statement")):
        if not isinstance(st, dict):
            continue
        effect = st.get("Effect", "?")
        actions = [a for a in _as_list(st.get("Action"))] or [f"NOT {a}" for a in _as_list(st.get("NotAction"))]
        resources = _as_list(st.get("Resource")) or [f"NOT {x}" for x in _as_list(st.get("NotResource"))] or ["-"]
        cond = _condition(st.get("Condition"))
        who = f" for {_principal(st.get('Principal'))}" if with_principal and "Principal" in st else ""
        for action in actions:
            for res in resources:
                line = f"{effect} {action}" + (f" on {res}" if res != "-" else "") + who
                out.add(line + (f" if {cond}" if cond else ""))
    return out


_PROTOCOLS = {"-1": "all", "all": "all", "6": "tcp", "17": "udp", "1": "icmp", "58": "icmpv6"}


def _rule(direction: str, protocol: Any, from_port: Any, to_port: Any, peer: Any) -> str:
    proto = _PROTOCOLS.get(str(protocol).lower(), str(protocol).lower())
    if proto == "all":
        ports = "all ports"
    elif proto.startswith("icmp"):
        ports = f"type {_num(from_port)} code {_num(to_port)}"
    else:
        f, t = _num(from_port), _num(to_port)
        ports = f"port {f}" if f == t else f"ports {f}-{t}"
    word = "from" if direction == "ingress" else "to"
    return f"{direction} {proto} {ports} {word} {peer}"


def _is_no_egress_sentinel(protocol: Any, from_port: Any, to_port: Any, cidr: Any) -> bool:
    """The "matches nothing" rule (icmp 252/86 to 255.255.255.255/32, as AWS CDK writes) = no egress at all."""
    return (_PROTOCOLS.get(str(protocol), str(protocol)) == "icmp" and _num(from_port) == 252
            and _num(to_port) == 86 and cidr == "255.255.255.255/32")


def _lifecycle_action(kind: str, detail: str, filt: str, status: Any) -> str:
    state = "" if str(status) == "Enabled" else f" ({status})"
    return f"{kind} {detail} [{filt}]{state}"


_ARITH: dict[type[ast.operator], Callable[[float, float], float]] = {
    ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul, ast.Div: operator.truediv,
}


def _evaluate(node: ast.AST, variable: str, x: float) -> float:
    """Arithmetic of numbers and one metric id (metric math), nothing else."""
    if isinstance(node, ast.Expression):
        return _evaluate(node.body, variable, x)
    if isinstance(node, ast.Constant) and isinstance(node.value, (int, float)) and not isinstance(node.value, bool):
        return float(node.value)
    if isinstance(node, ast.Name) and node.id == variable:
        return x
    if isinstance(node, ast.BinOp) and type(node.op) in _ARITH:
        return _ARITH[type(node.op)](_evaluate(node.left, variable, x), _evaluate(node.right, variable, x))
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        return -_evaluate(node.operand, variable, x)
    raise ValueError("not plain arithmetic")


def _linear(expression: str, variable: str) -> tuple[float, float] | None:
    """(offset, slope) when the metric-math expression is linear in `variable`, else None."""
    try:
        tree = ast.parse(expression, mode="eval")
        f0, f1, f2 = (_evaluate(tree, variable, x) for x in (0.0, 1.0, 2.0))
    except (ValueError, SyntaxError, ZeroDivisionError):
        return None
    slope = f1 - f0
    if slope == 0 or abs((f2 - f0) - 2 * slope) > 1e-9 * abs(slope):
        return None
    return f0, slope


_FLIP = {"GreaterThanThreshold": "LessThanThreshold", "LessThanThreshold": "GreaterThanThreshold",
         "GreaterThanOrEqualToThreshold": "LessThanOrEqualToThreshold",
         "LessThanOrEqualToThreshold": "GreaterThanOrEqualToThreshold"}


def _put_alarm(model: Model, name: str, source: str, a: dict[str, Any]) -> None:
    """Alarm leaves. Metric math that is linear in one metric becomes the equivalent plain threshold on that
    metric (`100 * free / (20 * 1073741824) < 10` is `free < 2147483648`), so both ways of writing an alarm
    compare by what they watch."""
    math = a.pop("math", None)
    if math:
        metrics = [q for q in math if q.get("expression") is None]
        shown = [q for q in math if q.get("expression") is not None and q.get("return_data") is not False]
        line = _linear(str(shown[0]["expression"]), str(metrics[0]["id"])) \
            if len(metrics) == 1 and len(shown) == 1 and a.get("threshold") is not None else None
        if line is not None:
            offset, slope = line
            a.update({k: metrics[0].get(k) for k in ("namespace", "metric", "statistic", "period", "dimensions")})
            a["threshold"] = (float(a["threshold"]) - offset) / slope
            if slope < 0:
                a["comparison"] = _FLIP.get(str(a["comparison"]), a["comparison"])
        else:
            a["math"] = " ; ".join(sorted(json.dumps(q, sort_keys=True, default=str) for q in math))
    for key, value in a.items():
        if key == "dimensions":
            value = ", ".join(f"{k}={v}" for k, v in sorted((value or {}).items()))
        elif key == "threshold" and value is not None:
            value = _num(float(value))
        else:
            value = _num(value)
        model.put(f"alarms.{name}.{key}", value, source)


# ------------------------------------------------------------------ CloudFormation builders


def _cfn_network(model: Model, by: dict[str, list[_Res]], by_sym: dict[str, _Res], of: dict[str, str],
                 ctx: _Context) -> None:
    for r in by.get("vpc", []):
        model.put("network.vpc.cidr", r.props.get("CidrBlock"), r.source)
        model.put("network.vpc.dns_support", _bool(r.props.get("EnableDnsSupport", True)), r.source)
        model.put("network.vpc.dns_hostnames", _bool(r.props.get("EnableDnsHostnames", False)), r.source)
    attachments = [r for r in _all(by)
                   if r.type == "AWS::EC2::VPCGatewayAttachment" and r.props.get("InternetGatewayId")]
    for r in by.get("igw", []):
        model.put("network.internet_gateway.attached", bool(attachments), r.source)
    for r in by.get("nat", []):
        model.add("network.nat_gateways", of[r.key], r.source)
    for r in by.get("subnet", []):
        base = f"network.subnets[{r.props.get('CidrBlock')}]"
        model.put(f"{base}.availability_zone", r.props.get("AvailabilityZone"), r.source)
        model.put(f"{base}.public_ip_on_launch", _bool(r.props.get("MapPublicIpOnLaunch", False)), r.source)
    for r in by.get("route-table", []):
        model.put(f"network.route_tables[{_key(of[r.key])}].routes", frozenset(), r.source)
    for r in by.get("route", []):
        target = next((str(r.props[k]) for k in ("GatewayId", "NatGatewayId", "InstanceId", "NetworkInterfaceId",
                                                  "TransitGatewayId", "VpcPeeringConnectionId", "VpcEndpointId")
                       if r.props.get(k)), "?")
        dest = r.props.get("DestinationCidrBlock") or r.props.get("DestinationIpv6CidrBlock")
        model.add(f"network.route_tables[{_key(r.props.get('RouteTableId'))}].routes", f"{dest} -> {target}", r.source)
    for r in by.get("vpc-endpoint", []):
        base = f"network.endpoints[{r.props.get('ServiceName')}]"
        model.put(f"{base}.type", r.props.get("VpcEndpointType", "Gateway"), r.source)
        model.put(f"{base}.route_tables", sorted(map(str, _as_list(r.props.get("RouteTableIds")))), r.source)
        model.put(f"{base}.subnets", sorted(map(str, _as_list(r.props.get("SubnetIds")))), r.source)
        if r.props.get("PolicyDocument"):
            model.put(f"{base}.policy", frozenset(_statements(r.props["PolicyDocument"], True)), r.source)


def _key(symbol: Any) -> str:
    """"route-table:10.10.0.0/24+10.10.1.0/24" -> "10.10.0.0/24+10.10.1.0/24" (the part after the kind)."""
    return str(symbol).split(":", 1)[-1]


def _all(by: dict[str, list[_Res]]) -> list[_Res]:
    return [r for rs in by.values() for r in rs]


def _cfn_buckets(model: Model, by: dict[str, list[_Res]], by_sym: dict[str, _Res], of: dict[str, str],
                 ctx: _Context) -> None:
    for r in by.get("bucket", []):
        base = f"buckets.{of[r.key].split(':', 1)[1]}"
        p = r.props
        rules = _as_list(p.get("BucketEncryption", {}).get("ServerSideEncryptionConfiguration"))
        sse = _first(rules).get("ServerSideEncryptionByDefault", {})
        model.put(f"{base}.encryption.algorithm", sse.get("SSEAlgorithm"), r.source)
        model.put(f"{base}.encryption.kms_key", sse.get("KMSMasterKeyID"), r.source)
        model.put(f"{base}.encryption.bucket_key", _bool(_first(rules).get("BucketKeyEnabled")), r.source)
        model.put(f"{base}.versioning", p.get("VersioningConfiguration", {}).get("Status", "Disabled"), r.source)
        pab = p.get("PublicAccessBlockConfiguration", {})
        for cfn_key, key in (("BlockPublicAcls", "block_public_acls"), ("BlockPublicPolicy", "block_public_policy"),
                             ("IgnorePublicAcls", "ignore_public_acls"),
                             ("RestrictPublicBuckets", "restrict_public_buckets")):
            model.put(f"{base}.public_access_block.{key}", _bool(pab.get(cfn_key, False)), r.source)
        ownership = _first(p.get("OwnershipControls", {}).get("Rules")).get("ObjectOwnership")
        model.put(f"{base}.ownership", ownership, r.source)
        log = p.get("LoggingConfiguration")
        model.put(f"{base}.logging.target", (log or {}).get("DestinationBucketName"), r.source)
        model.put(f"{base}.logging.prefix", (log or {}).get("LogFilePrefix"), r.source)
        model.put(f"{base}.lifecycle", frozenset(), r.source)
        for rule in _as_list(p.get("LifecycleConfiguration", {}).get("Rules")):
            for action in _cfn_lifecycle(rule):
                model.add(f"{base}.lifecycle", action, r.source)
        model.put(f"{base}.policy", frozenset(), r.source)
    for r in by.get("bucket-policy", []):
        bucket = str(r.props.get("Bucket", "?")).split(":", 1)[-1]
        for st in _statements(r.props.get("PolicyDocument"), True):
            model.add(f"buckets.{bucket}.policy", st, r.source)


def _cfn_lifecycle(rule: dict[str, Any]) -> list[str]:
    filt = _lifecycle_filter(rule.get("Prefix"), rule.get("TagFilters"), rule.get("ObjectSizeGreaterThan"),
                             rule.get("ObjectSizeLessThan"))
    status = rule.get("Status")
    out = []
    if rule.get("ExpirationInDays") is not None:
        out.append(_lifecycle_action("expire", f"after {_num(rule['ExpirationInDays'])} days", filt, status))
    if rule.get("ExpirationDate") is not None:
        out.append(_lifecycle_action("expire", f"on {rule['ExpirationDate']}", filt, status))
    if _bool(rule.get("ExpiredObjectDeleteMarker")) is True:
        out.append(_lifecycle_action("remove", "expired delete markers", filt, status))
    nve = rule.get("NoncurrentVersionExpiration") or {}
    days = nve.get("NoncurrentDays", rule.get("NoncurrentVersionExpirationInDays"))
    if days is not None:
        keep = f", keep {_num(nve['NewerNoncurrentVersions'])}" if nve.get("NewerNoncurrentVersions") else ""
        out.append(_lifecycle_action("expire noncurrent versions", f"after {_num(days)} days{keep}", filt, status))
    abort = rule.get("AbortIncompleteMultipartUpload") or {}
    if abort.get("DaysAfterInitiation") is not None:
        out.append(_lifecycle_action("abort incomplete multipart uploads",
                                     f"after {_num(abort['DaysAfterInitiation'])} days", filt, status))
    for t in _as_list(rule.get("Transitions")):
        out.append(_lifecycle_action("transition", f"to {t.get('StorageClass')} after "
                                     f"{_num(t.get('TransitionInDays'))} days", filt, status))
    for t in _as_list(rule.get("NoncurrentVersionTransitions")):
        out.append(_lifecycle_action("transition noncurrent versions", f"to {t.get('StorageClass')} after "
                                     f"{_num(t.get('TransitionInDays'))} days", filt, status))
    return out


def _lifecycle_filter(prefix: Any, tags: Any, larger: Any, smaller: Any) -> str:
    parts = []
    if prefix:
        parts.append(f"prefix {prefix}")
    for t in _as_list(tags):
        if isinstance(t, dict):
            parts.append(f"tag {t.get('Key', t.get('key'))}={t.get('Value', t.get('value'))}")
    if larger is not None:
        parts.append(f"size > {_num(larger)}")
    if smaller is not None:
        parts.append(f"size < {_num(smaller)}")
    return ", ".join(parts) or "all objects"


def _cfn_security_groups(model: Model, by: dict[str, list[_Res]], by_sym: dict[str, _Res], of: dict[str, str],
                         ctx: _Context) -> None:
    def peer(rule: dict[str, Any], direction: str) -> str:
        keys = (("CidrIp", "CidrIpv6", "SourceSecurityGroupId", "SourcePrefixListId", "SourceSecurityGroupName")
                if direction == "ingress" else
                ("CidrIp", "CidrIpv6", "DestinationSecurityGroupId", "DestinationPrefixListId"))
        return next((str(rule[k]) for k in keys if rule.get(k)), "?")

    for r in by.get("sg", []):
        base = f"security_groups.{of[r.key].split(':', 1)[1]}"
        model.put(f"{base}.rules", frozenset(), r.source)
        model.put(f"{base}.vpc", r.props.get("VpcId"), r.source)
        for rule in _as_list(r.props.get("SecurityGroupIngress")):
            model.add(f"{base}.rules", _rule("ingress", rule.get("IpProtocol"), rule.get("FromPort"),
                                             rule.get("ToPort"), peer(rule, "ingress")), r.source)
        egress = r.props.get("SecurityGroupEgress")
        if egress is None:  # CloudFormation keeps AWS's default allow-all egress rule
            model.add(f"{base}.rules", _rule("egress", "-1", None, None, "0.0.0.0/0"), r.source)
        for rule in _as_list(egress):
            if _is_no_egress_sentinel(rule.get("IpProtocol"), rule.get("FromPort"), rule.get("ToPort"),
                                      rule.get("CidrIp")):
                continue
            model.add(f"{base}.rules", _rule("egress", rule.get("IpProtocol"), rule.get("FromPort"),
                                             rule.get("ToPort"), peer(rule, "egress")), r.source)
    for kind, direction in (("sg-ingress", "ingress"), ("sg-egress", "egress")):
        for r in by.get(kind, []):
            group = str(r.props.get("GroupId", "?")).split(":", 1)[-1]
            model.add(f"security_groups.{group}.rules", _rule(direction, r.props.get("IpProtocol"),
                                                              r.props.get("FromPort"), r.props.get("ToPort"),
                                                              peer(r.props, direction)), r.source)


def _cfn_iam(model: Model, by: dict[str, list[_Res]], by_sym: dict[str, _Res], of: dict[str, str],
             ctx: _Context) -> None:
    for r in by.get("role", []):
        base = f"iam.roles.{of[r.key].split(':', 1)[1]}"
        model.put(f"{base}.trust", frozenset(_statements(r.props.get("AssumeRolePolicyDocument"), True)), r.source)
        model.put(f"{base}.managed_policies", frozenset(), r.source)
        model.put(f"{base}.permissions", frozenset(), r.source)
        model.put(f"{base}.path", r.props.get("Path", "/"), r.source)
        model.put(f"{base}.permissions_boundary", r.props.get("PermissionsBoundary"), r.source)
        model.put(f"{base}.max_session_duration", _num(r.props.get("MaxSessionDuration", 3600)), r.source)
        for arn in _as_list(r.props.get("ManagedPolicyArns")):
            if str(arn).startswith(("arn:policy:", "policy:")):
                policy = by_sym.get(str(arn).removeprefix("arn:"))
                if policy is not None:
                    for st in _statements(policy.props.get("PolicyDocument"), False):
                        model.add(f"{base}.permissions", st, policy.source)
                    continue
            model.add(f"{base}.managed_policies", str(arn), r.source)
        for pol in _as_list(r.props.get("Policies")):
            for st in _statements(pol.get("PolicyDocument"), False):
                model.add(f"{base}.permissions", st, r.source)
    for r in by.get("policy", []):
        for role in _as_list(r.props.get("Roles")):
            for st in _statements(r.props.get("PolicyDocument"), False):
                model.add(f"iam.roles.{str(role).split(':', 1)[-1]}.permissions", st, r.source)
    for r in by.get("instance-profile", []):
        base = f"iam.instance_profiles.{of[r.key].split(':', 1)[1]}"
        model.put(f"{base}.roles", sorted(map(str, _as_list(r.props.get("Roles")))), r.source)


def _cfn_ec2(model: Model, by: dict[str, list[_Res]], by_sym: dict[str, _Res], of: dict[str, str],
             ctx: _Context) -> None:
    lts: dict[str, dict[str, Any]] = {}
    for r in by.get("launch-template", []):
        sym = of[r.key]
        d = r.props.get("LaunchTemplateData", {})
        profile = d.get("IamInstanceProfile", {})
        meta = d.get("MetadataOptions", {})
        settings: dict[str, Any] = {
            "instance_type": d.get("InstanceType"),
            "image": d.get("ImageId"),
            "instance_profile": _strip_arn(profile.get("Arn") or profile.get("Name")),
            "security_groups": sorted(map(str, _as_list(d.get("SecurityGroupIds")))),
            "metadata.http_endpoint": meta.get("HttpEndpoint", "enabled"),
            "metadata.http_tokens": meta.get("HttpTokens", "optional"),
            "metadata.hop_limit": _num(meta.get("HttpPutResponseHopLimit", 1)),
            "metadata.instance_tags": meta.get("InstanceMetadataTags", "disabled"),
            "detailed_monitoring": _bool(d.get("Monitoring", {}).get("Enabled", False)),
            "key_pair": d.get("KeyName"),
        }
        for bdm in _as_list(d.get("BlockDeviceMappings")):
            ebs = bdm.get("Ebs", {})
            dev = f"volumes.{bdm.get('DeviceName')}"
            settings[f"{dev}.type"] = ebs.get("VolumeType")
            settings[f"{dev}.size"] = _num(ebs.get("VolumeSize"))
            settings[f"{dev}.encrypted"] = _bool(ebs.get("Encrypted", False))
            settings[f"{dev}.kms_key"] = ebs.get("KmsKeyId")
            settings[f"{dev}.delete_on_termination"] = _bool(ebs.get("DeleteOnTermination", True))
        lts[sym] = settings
        for key, value in settings.items():
            model.put(f"ec2.launch_templates.{sym.split(':', 1)[1]}.{key}", value, r.source)
    instances = by.get("instance", [])
    for r in instances:
        lt_ref = r.props.get("LaunchTemplate", {})
        lt = str(lt_ref.get("LaunchTemplateId") or lt_ref.get("LaunchTemplateName") or "")
        base = f"ec2.instances.{of[r.key].split(':', 1)[1]}"
        lt_settings = lts.get(lt, {})
        model.put(f"{base}.launch_template", lt or None, r.source)
        model.put(f"{base}.subnet", r.props.get("SubnetId"), r.source)
        model.put(f"{base}.instance_type", r.props.get("InstanceType") or lt_settings.get("instance_type"), r.source)
        model.put(f"{base}.image", r.props.get("ImageId") or lt_settings.get("image"), r.source)
    if instances:
        model.put("ec2.instance_count", len(instances), instances[0].source)


def _strip_arn(value: Any) -> Any:
    """"arn:instance-profile:ec2" -> "instance-profile:ec2": a launch template may name a profile either way."""
    if isinstance(value, str) and value.startswith("arn:") and not value.startswith(f"arn:{PARTITION}:"):
        return value[4:]
    return value


def _cfn_rds(model: Model, by: dict[str, list[_Res]], by_sym: dict[str, _Res], of: dict[str, str],
             ctx: _Context) -> None:
    for r in by.get("db", []):
        p = r.props
        base = f"rds.{of[r.key].split(':', 1)[1]}"
        settings = {
            "engine": p.get("Engine"), "engine_version": p.get("EngineVersion"),
            "instance_class": p.get("DBInstanceClass"), "db_name": p.get("DBName"),
            "master_username": p.get("MasterUsername"),
            "manage_master_password": _bool(p.get("ManageMasterUserPassword", False)),
            "port": _num(p.get("Port")), "storage_type": p.get("StorageType"),
            "allocated_storage": _num(p.get("AllocatedStorage")),
            "max_allocated_storage": _num(p.get("MaxAllocatedStorage")),
            "storage_encrypted": _bool(p.get("StorageEncrypted")), "kms_key": p.get("KmsKeyId"),
            "multi_az": _bool(p.get("MultiAZ")), "publicly_accessible": _bool(p.get("PubliclyAccessible")),
            "backup_retention_days": _num(p.get("BackupRetentionPeriod", 1)),
            "deletion_protection": _bool(p.get("DeletionProtection")),
            "final_snapshot_on_delete": r.extra.get("DeletionPolicy", "Snapshot") == "Snapshot",
            "copy_tags_to_snapshot": _bool(p.get("CopyTagsToSnapshot")),
            "auto_minor_version_upgrade": _bool(p.get("AutoMinorVersionUpgrade")),
            "iam_auth": _bool(p.get("EnableIAMDatabaseAuthentication")),
            "ca_certificate": p.get("CACertificateIdentifier"),
            "log_exports": sorted(map(str, _as_list(p.get("EnableCloudwatchLogsExports")))),
            "monitoring_interval": _num(p.get("MonitoringInterval")),
            "monitoring_role": p.get("MonitoringRoleArn"),
            "performance_insights": _bool(p.get("EnablePerformanceInsights")),
            "security_groups": sorted(map(str, _as_list(p.get("VPCSecurityGroups")))),
        }
        if settings["performance_insights"]:
            settings["performance_insights_retention"] = _num(p.get("PerformanceInsightsRetentionPeriod", 7))
        group = by_sym.get(str(p.get("DBSubnetGroupName")))
        settings["subnets"] = sorted(map(str, _as_list(group.props.get("SubnetIds")))) if group else None
        params = by_sym.get(str(p.get("DBParameterGroupName")))
        settings["parameter_group.family"] = params.props.get("Family") if params else None
        _put_db(model, base, settings, r.source)
        if params:
            for name, value in (params.props.get("Parameters") or {}).items():
                model.put(f"{base}.parameters.{name}", str(value), params.source)


def _put_db(model: Model, base: str, settings: dict[str, Any], source: str) -> None:
    for key, value in settings.items():
        if value is None and key in DB_DEFAULTS:
            value = DB_DEFAULTS[key]
        model.put(f"{base}.{key}", value, source)


def _cfn_logs(model: Model, by: dict[str, list[_Res]], by_sym: dict[str, _Res], of: dict[str, str],
              ctx: _Context) -> None:
    for r in by.get("log-group", []):
        base = f"logs.log_groups[{r.props.get('LogGroupName')}]"
        model.put(f"{base}.retention_days", _num(r.props.get("RetentionInDays")), r.source)
        model.put(f"{base}.kms_key", r.props.get("KmsKeyId"), r.source)
    for r in by.get("alarm", []):
        p = r.props
        math = None
        if p.get("Metrics"):
            math = []
            for q in _as_list(p["Metrics"]):
                stat = q.get("MetricStat") or {}
                metric = stat.get("Metric") or {}
                math.append({"id": q.get("Id"), "expression": q.get("Expression"),
                             "return_data": _bool(q.get("ReturnData", True)),
                             "namespace": metric.get("Namespace"), "metric": metric.get("MetricName"),
                             "statistic": stat.get("Stat"), "period": _num(stat.get("Period")),
                             "dimensions": {d.get("Name"): d.get("Value") for d in _as_list(metric.get("Dimensions"))}})
        _put_alarm(model, str(p.get("AlarmName")), r.source, {
            "namespace": p.get("Namespace"), "metric": p.get("MetricName"),
            "statistic": p.get("Statistic") or p.get("ExtendedStatistic"), "period": _num(p.get("Period")),
            "evaluation_periods": _num(p.get("EvaluationPeriods")),
            "datapoints_to_alarm": _num(p.get("DatapointsToAlarm", p.get("EvaluationPeriods"))),
            "threshold": p.get("Threshold"), "comparison": p.get("ComparisonOperator"),
            "treat_missing_data": p.get("TreatMissingData", "missing"),
            "dimensions": {d.get("Name"): d.get("Value") for d in _as_list(p.get("Dimensions"))},
            "actions": sorted(map(str, _as_list(p.get("AlarmActions")))), "math": math,
        })


_CFN_BUILDERS: list[Builder] = [_cfn_network, _cfn_buckets, _cfn_security_groups, _cfn_iam, _cfn_ec2, _cfn_rds,
                                _cfn_logs]


# ------------------------------------------------------------------ Terraform builders


def _tf_network(model: Model, by: dict[str, list[_Res]], by_sym: dict[str, _Res], of: dict[str, str],
                ctx: _Context) -> None:
    for r in by.get("vpc", []):
        model.put("network.vpc.cidr", r.props.get("cidr_block"), r.source)
        dns = r.props.get("enable_dns_support")
        model.put("network.vpc.dns_support", True if dns is None else dns, r.source)
        model.put("network.vpc.dns_hostnames", bool(r.props.get("enable_dns_hostnames")), r.source)
    attachments = [r for r in _all(by) if r.type == "aws_internet_gateway_attachment"]
    for r in by.get("igw", []):
        model.put("network.internet_gateway.attached", bool(r.props.get("vpc_id") or attachments), r.source)
    for r in by.get("nat", []):
        model.add("network.nat_gateways", of[r.key], r.source)
    for r in by.get("subnet", []):
        base = f"network.subnets[{r.props.get('cidr_block')}]"
        model.put(f"{base}.availability_zone", r.props.get("availability_zone"), r.source)
        model.put(f"{base}.public_ip_on_launch", bool(r.props.get("map_public_ip_on_launch")), r.source)
    for r in by.get("route-table", []):
        base = f"network.route_tables[{_key(of[r.key])}].routes"
        model.put(base, frozenset(), r.source)
        for route in _as_list(r.props.get("route")):
            target = next((str(route[k]) for k in ("gateway_id", "nat_gateway_id", "network_interface_id",
                                                    "transit_gateway_id", "vpc_peering_connection_id",
                                                    "vpc_endpoint_id") if route.get(k)), "?")
            model.add(base, f"{route.get('cidr_block') or route.get('ipv6_cidr_block')} -> {target}", r.source)
    for r in by.get("route", []):
        target = next((str(r.props[k]) for k in ("gateway_id", "nat_gateway_id", "network_interface_id",
                                                  "transit_gateway_id", "vpc_peering_connection_id",
                                                  "vpc_endpoint_id") if r.props.get(k)), "?")
        dest = r.props.get("destination_cidr_block") or r.props.get("destination_ipv6_cidr_block")
        model.add(f"network.route_tables[{_key(r.props.get('route_table_id'))}].routes", f"{dest} -> {target}",
                  r.source)
    for r in by.get("vpc-endpoint", []):
        base = f"network.endpoints[{r.props.get('service_name')}]"
        model.put(f"{base}.type", r.props.get("vpc_endpoint_type") or "Gateway", r.source)
        model.put(f"{base}.route_tables", sorted(map(str, _as_list(r.props.get("route_table_ids")))), r.source)
        model.put(f"{base}.subnets", sorted(map(str, _as_list(r.props.get("subnet_ids")))), r.source)
        if r.props.get("policy"):
            model.put(f"{base}.policy", frozenset(_statements(r.props["policy"], True)), r.source)


def _bucket_of(r: _Res) -> str:
    return str(r.props.get("bucket", "?")).split(":", 1)[-1]


def _tf_buckets(model: Model, by: dict[str, list[_Res]], by_sym: dict[str, _Res], of: dict[str, str],
                ctx: _Context) -> None:
    for r in by.get("bucket", []):
        base = f"buckets.{of[r.key].split(':', 1)[1]}"
        for key in ("encryption.algorithm", "encryption.kms_key", "ownership", "logging.target", "logging.prefix"):
            model.put(f"{base}.{key}", None, r.source)
        model.put(f"{base}.encryption.bucket_key", None, r.source)
        model.put(f"{base}.versioning", "Disabled", r.source)
        for key in ("block_public_acls", "block_public_policy", "ignore_public_acls", "restrict_public_buckets"):
            model.put(f"{base}.public_access_block.{key}", False, r.source)
        model.put(f"{base}.lifecycle", frozenset(), r.source)
        model.put(f"{base}.policy", frozenset(), r.source)
        if r.props.get("policy"):
            for st in _statements(r.props["policy"], True):
                model.add(f"{base}.policy", st, r.source)
    for r in _all(by):
        if not r.type.startswith("aws_s3_bucket_"):
            continue
        base = f"buckets.{_bucket_of(r)}"
        p = r.props
        if r.type == "aws_s3_bucket_server_side_encryption_configuration":
            rule = _first(p.get("rule"))
            sse = _first(rule.get("apply_server_side_encryption_by_default"))
            model.put(f"{base}.encryption.algorithm", sse.get("sse_algorithm"), r.source)
            model.put(f"{base}.encryption.kms_key", sse.get("kms_master_key_id"), r.source)
            model.put(f"{base}.encryption.bucket_key", rule.get("bucket_key_enabled"), r.source)
        elif r.type == "aws_s3_bucket_versioning":
            model.put(f"{base}.versioning", _first(p.get("versioning_configuration")).get("status"), r.source)
        elif r.type == "aws_s3_bucket_public_access_block":
            for key in ("block_public_acls", "block_public_policy", "ignore_public_acls", "restrict_public_buckets"):
                model.put(f"{base}.public_access_block.{key}", bool(p.get(key)), r.source)
        elif r.type == "aws_s3_bucket_ownership_controls":
            model.put(f"{base}.ownership", _first(p.get("rule")).get("object_ownership"), r.source)
        elif r.type == "aws_s3_bucket_logging":
            model.put(f"{base}.logging.target", p.get("target_bucket"), r.source)
            model.put(f"{base}.logging.prefix", p.get("target_prefix"), r.source)
        elif r.type == "aws_s3_bucket_lifecycle_configuration":
            for rule in _as_list(p.get("rule")):
                for action in _tf_lifecycle(rule):
                    model.add(f"{base}.lifecycle", action, r.source)
        elif r.type == "aws_s3_bucket_policy":
            for st in _statements(p.get("policy"), True):
                model.add(f"{base}.policy", st, r.source)


def _tf_lifecycle(rule: dict[str, Any]) -> list[str]:
    f = _first(rule.get("filter"))
    and_ = _first(f.get("and"))
    tags = [{"Key": k, "Value": v} for k, v in (and_.get("tags") or {}).items()]
    tag = _first(f.get("tag"))
    if tag:
        tags.append({"Key": tag.get("key"), "Value": tag.get("value")})
    filt = _lifecycle_filter(f.get("prefix") or and_.get("prefix") or rule.get("prefix"), tags,
                             f.get("object_size_greater_than") or and_.get("object_size_greater_than"),
                             f.get("object_size_less_than") or and_.get("object_size_less_than"))
    status = rule.get("status")
    out = []
    exp = _first(rule.get("expiration"))
    if exp.get("days") is not None:
        out.append(_lifecycle_action("expire", f"after {_num(exp['days'])} days", filt, status))
    if exp.get("date"):
        out.append(_lifecycle_action("expire", f"on {exp['date']}", filt, status))
    if exp.get("expired_object_delete_marker") is True:
        out.append(_lifecycle_action("remove", "expired delete markers", filt, status))
    nve = _first(rule.get("noncurrent_version_expiration"))
    if nve.get("noncurrent_days") is not None:
        keep = f", keep {_num(nve['newer_noncurrent_versions'])}" if nve.get("newer_noncurrent_versions") else ""
        out.append(_lifecycle_action("expire noncurrent versions", f"after {_num(nve['noncurrent_days'])} days{keep}",
                                     filt, status))
    abort = _first(rule.get("abort_incomplete_multipart_upload"))
    if abort.get("days_after_initiation") is not None:
        out.append(_lifecycle_action("abort incomplete multipart uploads",
                                     f"after {_num(abort['days_after_initiation'])} days", filt, status))
    for t in _as_list(rule.get("transition")):
        out.append(_lifecycle_action("transition", f"to {t.get('storage_class')} after {_num(t.get('days'))} days",
                                     filt, status))
    for t in _as_list(rule.get("noncurrent_version_transition")):
        out.append(_lifecycle_action("transition noncurrent versions",
                                     f"to {t.get('storage_class')} after {_num(t.get('noncurrent_days'))} days",
                                     filt, status))
    return out


def _tf_security_groups(model: Model, by: dict[str, list[_Res]], by_sym: dict[str, _Res], of: dict[str, str],
                        ctx: _Context) -> None:
    for r in by.get("sg", []):
        base = f"security_groups.{of[r.key].split(':', 1)[1]}"
        model.put(f"{base}.rules", frozenset(), r.source)
        model.put(f"{base}.vpc", r.props.get("vpc_id"), r.source)
        for direction in ("ingress", "egress"):
            for rule in _as_list(r.props.get(direction)):
                for peer in _tf_inline_peers(rule, of[r.key]):
                    model.add(f"{base}.rules", _rule(direction, rule.get("protocol"), rule.get("from_port"),
                                                     rule.get("to_port"), peer), r.source)
    for r in _all(by):
        p = r.props
        if r.type in ("aws_vpc_security_group_ingress_rule", "aws_vpc_security_group_egress_rule"):
            direction = "ingress" if r.type.endswith("ingress_rule") else "egress"
            group = str(p.get("security_group_id", "?")).split(":", 1)[-1]
            peer = next((str(p[k]) for k in ("cidr_ipv4", "cidr_ipv6", "referenced_security_group_id",
                                              "prefix_list_id") if p.get(k)), "?")
            model.add(f"security_groups.{group}.rules", _rule(direction, p.get("ip_protocol"), p.get("from_port"),
                                                              p.get("to_port"), peer), r.source)
        elif r.type == "aws_security_group_rule":
            group = str(p.get("security_group_id", "?")).split(":", 1)[-1]
            rule = {"cidr_blocks": p.get("cidr_blocks"), "ipv6_cidr_blocks": p.get("ipv6_cidr_blocks"),
                    "security_groups": [p["source_security_group_id"]] if p.get("source_security_group_id") else [],
                    "prefix_list_ids": p.get("prefix_list_ids"), "self": p.get("self")}
            for peer in _tf_inline_peers(rule, f"sg:{group}"):
                if _is_no_egress_sentinel(p.get("protocol"), p.get("from_port"), p.get("to_port"), peer):
                    continue
                model.add(f"security_groups.{group}.rules", _rule(str(p.get("type")), p.get("protocol"),
                                                                  p.get("from_port"), p.get("to_port"), peer),
                          r.source)


def _tf_inline_peers(rule: dict[str, Any], own: str) -> list[str]:
    peers = [str(c) for key in ("cidr_blocks", "ipv6_cidr_blocks", "security_groups", "prefix_list_ids")
             for c in _as_list(rule.get(key))]
    if rule.get("self"):
        peers.append(own)
    return peers


def _tf_iam(model: Model, by: dict[str, list[_Res]], by_sym: dict[str, _Res], of: dict[str, str],
            ctx: _Context) -> None:
    for r in by.get("role", []):
        base = f"iam.roles.{of[r.key].split(':', 1)[1]}"
        p = r.props
        model.put(f"{base}.trust", frozenset(_statements(p.get("assume_role_policy"), True)), r.source)
        model.put(f"{base}.managed_policies", frozenset(), r.source)
        model.put(f"{base}.permissions", frozenset(), r.source)
        model.put(f"{base}.path", p.get("path") or "/", r.source)
        model.put(f"{base}.permissions_boundary", p.get("permissions_boundary"), r.source)
        model.put(f"{base}.max_session_duration", _num(p.get("max_session_duration") or 3600), r.source)
        for arn in _as_list(p.get("managed_policy_arns")):
            _tf_attach(model, base, str(arn), by_sym, r.source)
        for pol in _as_list(p.get("inline_policy")):
            for st in _statements(pol.get("policy"), False):
                model.add(f"{base}.permissions", st, r.source)
    for r in by.get("instance-profile", []):
        base = f"iam.instance_profiles.{of[r.key].split(':', 1)[1]}"
        model.put(f"{base}.roles", [str(r.props.get("role"))] if r.props.get("role") else [], r.source)
    for r in _all(by):
        p = r.props
        if r.type == "aws_iam_role_policy":
            for st in _statements(p.get("policy"), False):
                model.add(f"iam.roles.{str(p.get('role')).split(':', 1)[-1]}.permissions", st, r.source)
        elif r.type == "aws_iam_role_policy_attachment":
            _tf_attach(model, f"iam.roles.{str(p.get('role')).split(':', 1)[-1]}", str(p.get("policy_arn")), by_sym,
                       r.source)
        elif r.type == "aws_iam_policy_attachment":
            for role in _as_list(p.get("roles")):
                _tf_attach(model, f"iam.roles.{str(role).split(':', 1)[-1]}", str(p.get("policy_arn")), by_sym,
                           r.source)


def _tf_attach(model: Model, base: str, arn: str, by_sym: dict[str, _Res], source: str) -> None:
    if arn.startswith("arn:policy:") and arn[4:] in by_sym:
        policy = by_sym[arn[4:]]
        for st in _statements(policy.props.get("policy"), False):
            model.add(f"{base}.permissions", st, policy.source)
        return
    model.add(f"{base}.managed_policies", arn, source)


def _tf_ec2(model: Model, by: dict[str, list[_Res]], by_sym: dict[str, _Res], of: dict[str, str],
            ctx: _Context) -> None:
    lts: dict[str, dict[str, Any]] = {}
    for r in by.get("launch-template", []):
        p = r.props
        sym = of[r.key]
        profile = _first(p.get("iam_instance_profile"))
        meta = _first(p.get("metadata_options"))
        monitoring = _first(p.get("monitoring"))
        settings: dict[str, Any] = {
            "instance_type": p.get("instance_type"),
            "image": p.get("image_id"),
            "instance_profile": _strip_arn(profile.get("arn") or profile.get("name")),
            "security_groups": sorted(map(str, _as_list(p.get("vpc_security_group_ids")))),
            "metadata.http_endpoint": meta.get("http_endpoint") or "enabled",
            "metadata.http_tokens": meta.get("http_tokens") or "optional",
            "metadata.hop_limit": _num(meta.get("http_put_response_hop_limit") or 1),
            "metadata.instance_tags": meta.get("instance_metadata_tags") or "disabled",
            "detailed_monitoring": bool(monitoring.get("enabled")),
            "key_pair": p.get("key_name"),
        }
        for bdm in _as_list(p.get("block_device_mappings")):
            ebs = _first(bdm.get("ebs"))
            dev = f"volumes.{bdm.get('device_name')}"
            settings[f"{dev}.type"] = ebs.get("volume_type")
            settings[f"{dev}.size"] = _num(ebs.get("volume_size"))
            settings[f"{dev}.encrypted"] = _bool(ebs.get("encrypted")) is True
            settings[f"{dev}.kms_key"] = ebs.get("kms_key_id")
            dot = _bool(ebs.get("delete_on_termination"))
            settings[f"{dev}.delete_on_termination"] = True if dot is None else dot
        lts[sym] = settings
        for key, value in settings.items():
            model.put(f"ec2.launch_templates.{sym.split(':', 1)[1]}.{key}", value, r.source)
    instances = by.get("instance", [])
    for r in instances:
        lt_ref = _first(r.props.get("launch_template"))
        lt = str(lt_ref.get("id") or lt_ref.get("name") or "")
        lt_settings = lts.get(lt, {})
        base = f"ec2.instances.{of[r.key].split(':', 1)[1]}"
        model.put(f"{base}.launch_template", lt or None, r.source)
        model.put(f"{base}.subnet", r.props.get("subnet_id"), r.source)
        model.put(f"{base}.instance_type", r.props.get("instance_type") or lt_settings.get("instance_type"), r.source)
        model.put(f"{base}.image", r.props.get("ami") or lt_settings.get("image"), r.source)
    if instances:
        model.put("ec2.instance_count", len(instances), instances[0].source)


def _tf_rds(model: Model, by: dict[str, list[_Res]], by_sym: dict[str, _Res], of: dict[str, str],
            ctx: _Context) -> None:
    for r in by.get("db", []):
        p = r.props
        base = f"rds.{of[r.key].split(':', 1)[1]}"
        settings: dict[str, Any] = {
            "engine": p.get("engine"), "engine_version": p.get("engine_version"),
            "instance_class": p.get("instance_class"), "db_name": p.get("db_name"),
            "master_username": p.get("username"),
            "manage_master_password": bool(p.get("manage_master_user_password")),
            "port": _num(p.get("port")), "storage_type": p.get("storage_type"),
            "allocated_storage": _num(p.get("allocated_storage")),
            "max_allocated_storage": _num(p.get("max_allocated_storage")),
            "storage_encrypted": p.get("storage_encrypted"), "kms_key": p.get("kms_key_id"),
            "multi_az": p.get("multi_az"), "publicly_accessible": p.get("publicly_accessible"),
            "backup_retention_days": _num(p.get("backup_retention_period") if p.get("backup_retention_period")
                                          is not None else 1),
            "deletion_protection": p.get("deletion_protection"),
            "final_snapshot_on_delete": not p.get("skip_final_snapshot"),
            "copy_tags_to_snapshot": p.get("copy_tags_to_snapshot"),
            "auto_minor_version_upgrade": p.get("auto_minor_version_upgrade"),
            "iam_auth": p.get("iam_database_authentication_enabled"),
            "ca_certificate": p.get("ca_cert_identifier"),
            "log_exports": sorted(map(str, _as_list(p.get("enabled_cloudwatch_logs_exports")))),
            "monitoring_interval": _num(p.get("monitoring_interval")),
            "monitoring_role": p.get("monitoring_role_arn"),
            "performance_insights": p.get("performance_insights_enabled"),
            "security_groups": sorted(map(str, _as_list(p.get("vpc_security_group_ids")))),
        }
        if settings["performance_insights"]:
            settings["performance_insights_retention"] = _num(p.get("performance_insights_retention_period") or 7)
        group = by_sym.get(str(p.get("db_subnet_group_name")))
        settings["subnets"] = sorted(map(str, _as_list(group.props.get("subnet_ids")))) if group else None
        params = by_sym.get(str(p.get("parameter_group_name")))
        settings["parameter_group.family"] = params.props.get("family") if params else None
        _put_db(model, base, settings, r.source)
        if params:
            for prm in _as_list(params.props.get("parameter")):
                model.put(f"{base}.parameters.{prm.get('name')}", str(prm.get("value")), params.source)


def _tf_logs(model: Model, by: dict[str, list[_Res]], by_sym: dict[str, _Res], of: dict[str, str],
             ctx: _Context) -> None:
    for r in by.get("log-group", []):
        base = f"logs.log_groups[{r.props.get('name')}]"
        model.put(f"{base}.retention_days", _num(r.props.get("retention_in_days")), r.source)
        model.put(f"{base}.kms_key", r.props.get("kms_key_id"), r.source)
    for r in by.get("alarm", []):
        p = r.props
        math = None
        if p.get("metric_query"):
            math = []
            for q in _as_list(p["metric_query"]):
                metric = _first(q.get("metric"))
                math.append({"id": q.get("id"), "expression": q.get("expression") or None,
                             "return_data": bool(q.get("return_data")),
                             "namespace": metric.get("namespace"), "metric": metric.get("metric_name"),
                             "statistic": metric.get("stat"), "period": _num(metric.get("period")),
                             "dimensions": metric.get("dimensions") or {}})
        _put_alarm(model, str(p.get("alarm_name")), r.source, {
            "namespace": p.get("namespace"), "metric": p.get("metric_name"),
            "statistic": p.get("statistic") or p.get("extended_statistic"), "period": _num(p.get("period")),
            "evaluation_periods": _num(p.get("evaluation_periods")),
            "datapoints_to_alarm": _num(p.get("datapoints_to_alarm") or p.get("evaluation_periods")),
            "threshold": p.get("threshold"), "comparison": p.get("comparison_operator"),
            "treat_missing_data": p.get("treat_missing_data") or "missing",
            "dimensions": p.get("dimensions") or {},
            "actions": sorted(map(str, _as_list(p.get("alarm_actions")))), "math": math,
        })


_TF_BUILDERS: list[Builder] = [_tf_network, _tf_buckets, _tf_security_groups, _tf_iam, _tf_ec2, _tf_rds, _tf_logs]
