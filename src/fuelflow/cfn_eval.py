"""CloudFormation templates evaluated the way CloudFormation would for one environment, before anything
is deployed: parameters from `Environment.cfn_parameters()` (template defaults for the rest), pseudo
parameters, conditions, `Ref`, `Fn::GetAtt`, `Fn::Sub`, `Fn::If`, `Fn::Join`, `Fn::Select`, `Fn::Split`,
`Fn::GetAZs`, `Fn::FindInMap`; `Fn::ImportValue` follows the exporting template's output.

What only a deployment knows (a security group's id, an unnamed resource's ARN) stays symbolic: an
`opaque()` string naming the resource, so it survives `Fn::Sub` and `Fn::Join` and can be traced back.
A parameter of an `AWS::SSM::Parameter::Value<...>` type evaluates to `ssm:<parameter name>`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fuelflow.config import Environment
from fuelflow.errors import InputError
from fuelflow.templates import SUB_VAR, TEMPLATE_DIR, Template, discover_templates

PARTITION = "aws"


def opaque(key: str, attr: str | None = None, engine: str = "cfn") -> str:
    """A value known only after deployment: «engine:key» or «engine:key#attr» (key: `file#LogicalId`)."""
    return f"«{engine}:{key}#{attr}»" if attr else f"«{engine}:{key}»"


@dataclass
class EvaluatedResource:
    """One active resource of a template, its properties evaluated (AWS::NoValue dropped).

    `policies` holds the resource attributes outside its properties (DeletionPolicy, UpdateReplacePolicy).
    """

    template: str  # cloudformation/<file>
    logical_id: str
    type: str
    properties: dict[str, Any]
    policies: dict[str, Any] = field(default_factory=dict)

    @property
    def key(self) -> str:
        return f"{self.template}#{self.logical_id}"


class _NoValue:
    """AWS::NoValue: the property disappears."""


NO_VALUE = _NoValue()


class StackEvaluation:
    """One template evaluated for one environment."""

    def __init__(self, project: ProjectEvaluation, template: Template,
                 parameters: Mapping[str, str] | None = None) -> None:
        """`parameters`: the stack's own (default: the environment's CloudFormation parameters)."""
        self.project = project
        self.rel = f"{TEMPLATE_DIR}/{template.path.name}"
        self.template: dict[str, Any] = template.data
        self.part = template.part
        env, account = project.env, project.account_id
        self.pseudo = {
            "AWS::AccountId": account,
            "AWS::Region": env.region,
            "AWS::Partition": PARTITION,
            "AWS::URLSuffix": "amazonaws.com",
            "AWS::StackName": env.stack_name(self.part),
            "AWS::StackId": f"arn:{PARTITION}:cloudformation:{env.region}:{account}:stack/"
                            f"{env.stack_name(self.part)}/00000000-0000-0000-0000-000000000000",
            "AWS::NotificationARNs": [],
        }
        given = env.cfn_parameters() if parameters is None else parameters
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

        return SUB_VAR.sub(one, text).replace("${!", "${")

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
        acct, part = self.project.account_id, PARTITION
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
        return opaque(f"{self.rel}#{logical}", attr)

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

    def resources(self) -> list[EvaluatedResource]:
        """The active resources (those whose Condition holds), evaluated."""
        out = []
        for logical, spec in self.resources_spec.items():
            if not self.active(logical):
                continue
            extra = {k: spec[k] for k in ("DeletionPolicy", "UpdateReplacePolicy") if k in spec}
            out.append(EvaluatedResource(self.rel, str(logical), str(spec.get("Type")), self.props(logical), extra))
        return out


class ProjectEvaluation:
    """All templates of a project for one environment, so that Fn::ImportValue can follow the exporting
    template. `account_id` stands in for AWS::AccountId (no account is asked)."""

    def __init__(self, templates: list[Template], env: Environment, account_id: str) -> None:
        self.env = env
        self.account_id = account_id
        self.stacks = [StackEvaluation(self, t) for t in templates]
        self._exports: dict[str, tuple[StackEvaluation, str]] | None = None

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

    def resources(self) -> list[EvaluatedResource]:
        return [r for stack in self.stacks for r in stack.resources()]


def active_resources(env: Environment, template: Template, parameters: Mapping[str, str],
                     account_id: str = "123456789012") -> dict[str, bool]:
    """Each resource of one stack -> whether CloudFormation creates it with these parameters (its Condition)."""
    stack = StackEvaluation(ProjectEvaluation([], env, account_id), template, parameters)
    return {str(logical): stack.active(str(logical)) for logical in stack.resources_spec}


def _cfn_str(value: Any) -> str:
    """How CloudFormation compares values in Fn::Equals: as strings, booleans lower-case."""
    return str(value).lower() if isinstance(value, bool) else str(value)


def _flat_str(items: Any) -> list[str]:
    return [str(i) for i in (items if isinstance(items, list) else [items])]


def evaluate_project(project_dir: Path, env: Environment, account_id: str) -> ProjectEvaluation:
    """Every template of `<project>/cloudformation/` evaluated for `env`."""
    return ProjectEvaluation(discover_templates(project_dir), env, account_id)
