"""From evaluated resources of either engine to one engine-neutral `Model`: references become symbols
(`sg:web`, `bucket:app-data`, `arn:bucket:app-data/*`, `role:ec2`, `subnet:10.10.0.0/24`), the account id
becomes `<account>`, and settings are written the same way whichever engine holds them (rules, policy
statements, lifecycle actions, alarms, database settings with AWS defaults filled in)."""

from __future__ import annotations

import ast
import json
import operator
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from fuelflow.cfn_eval import PARTITION, opaque
from fuelflow.config import Environment
from fuelflow.parity.model import Model

# A placeholder account that is nobody's: not moto's 123456789012, so templates take their real-AWS branch.
ACCOUNT_ID = "111122223333"
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


def num(value: Any) -> Any:
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


def as_bool(value: Any) -> Any:
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    return value


@dataclass
class Resource:
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
        return opaque(self.key, attr, self.engine)


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
    "AWS::CloudWatch::CompositeAlarm": "composite-alarm", "aws_cloudwatch_composite_alarm": "composite-alarm",
    "AWS::CloudWatch::Dashboard": "dashboard", "aws_cloudwatch_dashboard": "dashboard",
    "AWS::SNS::Topic": "topic", "aws_sns_topic": "topic",
    "AWS::SNS::TopicPolicy": "topic-policy", "aws_sns_topic_policy": "topic-policy",
    "AWS::SNS::Subscription": "subscription", "aws_sns_topic_subscription": "subscription",
    "AWS::KMS::Key": "kms-key", "aws_kms_key": "kms-key",
    "AWS::KMS::Alias": "kms-alias", "aws_kms_alias": "kms-alias",
    "AWS::SSM::Parameter": "ssm-parameter", "aws_ssm_parameter": "ssm-parameter",
    "AWS::EC2::FlowLog": "flow-log", "aws_flow_log": "flow-log",
    # web tier behind a load balancer (fuelflow.parity.web)
    "AWS::ElasticLoadBalancingV2::LoadBalancer": "lb", "aws_lb": "lb",
    "AWS::ElasticLoadBalancingV2::TargetGroup": "target-group", "aws_lb_target_group": "target-group",
    "AWS::ElasticLoadBalancingV2::Listener": "listener", "aws_lb_listener": "listener",
    "AWS::AutoScaling::AutoScalingGroup": "asg", "aws_autoscaling_group": "asg",
    "AWS::AutoScaling::ScalingPolicy": "scaling-policy", "aws_autoscaling_policy": "scaling-policy",
    "AWS::CertificateManager::Certificate": "certificate", "aws_acm_certificate": "certificate",
}

DIMENSION_ATTRS = {
    "AWS::ElasticLoadBalancingV2::LoadBalancer": "LoadBalancerFullName", "aws_lb": "arn_suffix",
    "aws_alb": "arn_suffix", "AWS::ElasticLoadBalancingV2::TargetGroup": "TargetGroupFullName",
    "aws_lb_target_group": "arn_suffix", "aws_alb_target_group": "arn_suffix",
}


@dataclass
class Context:
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

    def env_core(self, name: Any) -> str:
        """`<project>-<env>-<core>` -> core (the monitoring resources' names)."""
        text = str(name)
        pre = f"{self.project}-{self.env.name}-"
        return text[len(pre):] if text.startswith(pre) else text

    def bucket_core(self, name: Any) -> str:
        text = str(name)
        tail = f"-{self.env.name}-{self.account}-{self.env.region}"
        if text.startswith(f"{self.project}-") and text.endswith(tail):
            return text[len(self.project) + 1: -len(tail)]
        return text


class _Symbols:
    """Tokens and literal names/ARNs -> engine-neutral symbols."""

    def __init__(self, ctx: Context) -> None:
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


def first_block(value: Any) -> dict[str, Any]:
    """Terraform nested blocks are lists of one dict."""
    if isinstance(value, list) and value and isinstance(value[0], dict):
        return value[0]
    return value if isinstance(value, dict) else {}


def _names(resources: list[Resource]) -> dict[str, list[Resource]]:
    by_kind: dict[str, list[Resource]] = {}
    for r in resources:
        by_kind.setdefault(r.kind, []).append(r)
    return by_kind


def _name_of(r: Resource) -> Any:
    """The resource's own name, per engine and kind."""
    cfn_names = {"bucket": "BucketName", "sg": "GroupName", "role": "RoleName",
                 "instance-profile": "InstanceProfileName", "launch-template": "LaunchTemplateName",
                 "db": "DBInstanceIdentifier", "log-group": "LogGroupName",
                 "alarm": "AlarmName", "db-subnet-group": "DBSubnetGroupName", "policy": "PolicyName",
                 "db-parameter-group": "DBParameterGroupName", "topic": "TopicName",
                 "composite-alarm": "AlarmName", "dashboard": "DashboardName", "kms-alias": "AliasName",
                 "ssm-parameter": "Name", "lb": "Name", "target-group": "Name",
                 "asg": "AutoScalingGroupName"}
    tf_names = {"bucket": "bucket", "sg": "name", "role": "name", "instance-profile": "name",
                "launch-template": "name", "db": "identifier", "log-group": "name", "alarm": "alarm_name",
                "db-subnet-group": "name", "policy": "name", "db-parameter-group": "name", "topic": "name",
                "composite-alarm": "alarm_name", "dashboard": "dashboard_name", "kms-alias": "name",
                "ssm-parameter": "name", "lb": "name", "target-group": "name", "asg": "name"}
    table = cfn_names if r.engine == "cfn" else tf_names
    return r.props.get(table.get(r.kind, "")) if r.kind in table else None


def _register(resources: list[Resource], ctx: Context,
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
        elif kind == "sg":  # the web tier's groups carry their name in the Name tag only (no GroupName)
            sym = f"sg:{ctx.core(name or _tags(r.props, r.engine).get('Name'), '-sg')}"
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
        elif kind in ("alarm", "composite-alarm") and name:
            sym = f"alarm:{name}"
            syms.literal(f"arn:{PARTITION}:cloudwatch:{ctx.env.region}:{ctx.account}:alarm:{name}", f"arn:{sym}")
        elif kind == "topic" and name:
            sym = f"topic:{ctx.env_core(name)}"
            syms.literal(f"arn:{PARTITION}:sns:{ctx.env.region}:{ctx.account}:{name}", f"arn:{sym}")
        elif kind == "kms-key":
            tag = _tags(r.props, r.engine).get("Name")
            sym = f"kms-key:{ctx.env_core(tag)}" if tag else None
        elif kind in ("lb", "target-group", "asg"):
            sym = f"{kind}:{ctx.core(name)}"
            if kind == "asg":  # referenced by name (a scaling policy's group)
                syms.literal(name, sym)
        elif kind == "listener":
            sym = f"listener:{r.props.get('Port' if cfn else 'port')}"
        elif kind in ("scaling-policy", "certificate"):
            sym = kind  # one of each in this architecture
        if sym is None:
            sym = f"{kind}:{r.key}"
        of[r.key] = sym
        syms.token(r.token(), sym)
        # CloudFormation's Fn::GetAtt LogGroup.Arn ends with ":*" (every stream); Terraform's arn does not.
        arn_suffix = ":*" if cfn and kind == "log-group" else ""
        syms.token(r.token("Arn" if cfn else "arn"), f"arn:{sym}{arn_suffix}")
        # What Ref (CloudFormation) / id (Terraform) of these types is: an ARN, or the resource's name.
        if kind == "topic":
            syms.token(r.token(), f"arn:{sym}")
        elif kind in ("alarm", "composite-alarm", "ssm-parameter", "dashboard") and name:
            syms.token(r.token(), str(name))
        elif kind == "kms-key" and not cfn:
            syms.token(r.token("key_id"), sym)
        # The CloudWatch dimension of a load balancer / target group (app/<name>/<id>): CloudFormation's
        # LoadBalancerFullName / TargetGroupFullName, Terraform's arn_suffix (terraform.py overrides it).
        if r.type in DIMENSION_ATTRS:
            syms.token(r.token(DIMENSION_ATTRS[r.type]), f"dimension:{sym}")
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


ByKind = dict[str, list[Resource]]  # kind -> resources
BySymbol = dict[str, Resource]  # symbol -> resource
Builder = Callable[[Model, ByKind, BySymbol, dict[str, str], Context], None]


def build(resources: list[Resource], ctx: Context, builders: list[Builder],
           extra_tokens: dict[str, str] | None = None) -> Model:
    """Symbols for every resource, references normalised, then each engine's builders fill the model."""
    syms, of = _register(resources, ctx, extra_tokens)
    for r in resources:
        r.props = syms.norm(r.props)
    model = Model(ctx.side)
    by_kind = _names(resources)
    by_sym = {of[r.key]: r for r in resources}
    for builder in builders:
        builder(model, by_kind, by_sym, of, ctx)
    return model


# ------------------------------------------------------------------ shared formatting


def _policy_doc(doc: Any) -> dict[str, Any]:
    if isinstance(doc, str):
        try:
            parsed = json.loads(doc)
        except ValueError:
            return {}
        return parsed if isinstance(parsed, dict) else {}
    return doc if isinstance(doc, dict) else {}


def as_list(value: Any) -> list[Any]:
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
        parts.extend(f"{k}={x}" for x in sorted(map(str, as_list(v))))
    return ",".join(parts)


def _condition(c: Any) -> str:
    if not isinstance(c, dict):
        return ""
    parts = []
    for op, kv in sorted(c.items()):
        for key, val in sorted((kv or {}).items()):
            vals = sorted(str(v).lower() if isinstance(v, bool) else str(v) for v in as_list(val))
            parts.append(f"{op} {key}={'|'.join(vals)}")
    return "; ".join(parts)


def statements(doc: Any, with_principal: bool) -> set[str]:
    """One element per (effect, action, resource) of a policy document; Sids ignored."""
    out: set[str] = set()
    for st in as_list(_policy_doc(doc).get("Statement")):
        if not isinstance(st, dict):
            continue
        effect = st.get("Effect", "?")
        actions = [a for a in as_list(st.get("Action"))] or [f"NOT {a}" for a in as_list(st.get("NotAction"))]
        resources = as_list(st.get("Resource")) or [f"NOT {x}" for x in as_list(st.get("NotResource"))] or ["-"]
        cond = _condition(st.get("Condition"))
        who = f" for {_principal(st.get('Principal'))}" if with_principal and "Principal" in st else ""
        for action in actions:
            for res in resources:
                line = f"{effect} {action}" + (f" on {res}" if res != "-" else "") + who
                out.add(line + (f" if {cond}" if cond else ""))
    return out


_PROTOCOLS = {"-1": "all", "all": "all", "6": "tcp", "17": "udp", "1": "icmp", "58": "icmpv6"}


def rule_line(direction: str, protocol: Any, from_port: Any, to_port: Any, peer: Any) -> str:
    proto = _PROTOCOLS.get(str(protocol).lower(), str(protocol).lower())
    if proto == "all":
        ports = "all ports"
    elif proto.startswith("icmp"):
        ports = f"type {num(from_port)} code {num(to_port)}"
    else:
        f, t = num(from_port), num(to_port)
        ports = f"port {f}" if f == t else f"ports {f}-{t}"
    word = "from" if direction == "ingress" else "to"
    return f"{direction} {proto} {ports} {word} {peer}"


def is_no_egress_sentinel(protocol: Any, from_port: Any, to_port: Any, cidr: Any) -> bool:
    """The "matches nothing" rule (icmp 252/86 to 255.255.255.255/32, as AWS CDK writes) = no egress at all."""
    return (_PROTOCOLS.get(str(protocol), str(protocol)) == "icmp" and num(from_port) == 252
            and num(to_port) == 86 and cidr == "255.255.255.255/32")


def lifecycle_action(kind: str, detail: str, filt: str, status: Any) -> str:
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


def put_alarm(model: Model, name: str, source: str, a: dict[str, Any]) -> None:
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
            value = num(float(value))
        else:
            value = num(value)
        model.put(f"alarms.{name}.{key}", value, source)


_RULE_TERM = re.compile(r'ALARM\(\s*"?([^")]+?)"?\s*\)')


def alarm_rule(rule: Any) -> Any:
    """A composite rule that only ORs ALARM() terms compares as the set of alarms it names (order is
    immaterial); any other rule as written."""
    text = str(rule or "")
    terms = _RULE_TERM.findall(text)
    if terms and _RULE_TERM.sub("X", text).replace(" ", "") == "OR".join(["X"] * len(terms)):
        return frozenset(f"ALARM {t.rpartition(':alarm:')[2] or t}" for t in terms)
    return text


def canonical_json(value: Any) -> Any:
    """A JSON document (already parsed by the symbol pass, or still text) as one canonical string."""
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            return value
    return json.dumps(value, sort_keys=True, separators=(",", ":"))


def put_monitoring(model: Model, by: ByKind, of: dict[str, str], ctx: Context,
                   field_names: dict[str, dict[str, str]]) -> None:
    """The monitoring resources (topic, its key and alias, policy, subscriptions, composite alarm, dashboard,
    SSM parameters) from either engine; `field_names[kind][neutral]` is the engine's property name."""
    def get(r: Resource, field: str, default: Any = None) -> Any:
        value = r.props.get(field_names[r.kind][field])
        return default if value is None else value

    for r in by.get("kms-key", []):
        base = f"kms.keys.{symbol_key(of[r.key])}"
        model.put(f"{base}.description", get(r, "description"), r.source)
        model.put(f"{base}.rotation", as_bool(get(r, "rotation", False)), r.source)
        model.put(f"{base}.deletion_window_days", num(get(r, "deletion_window", 30)), r.source)
        model.put(f"{base}.policy", frozenset(statements(get(r, "policy"), True)), r.source)
    for r in by.get("kms-alias", []):
        model.put(f"kms.aliases[{get(r, 'name')}].target", get(r, "target"), r.source)
    for r in by.get("topic", []):
        base = f"sns.topics.{symbol_key(of[r.key])}"
        model.put(f"{base}.display_name", get(r, "display_name"), r.source)
        model.put(f"{base}.kms_key", get(r, "kms_key"), r.source)
        model.put(f"{base}.policy", frozenset(), r.source)
        model.put(f"{base}.subscriptions", frozenset(), r.source)
    for r in by.get("topic-policy", []):
        for topic in as_list(get(r, "topics")):
            for st in statements(get(r, "policy"), True):
                model.add(f"sns.topics.{symbol_key(str(topic).removeprefix('arn:'))}.policy", st, r.source)
    for r in by.get("subscription", []):
        topic = symbol_key(str(get(r, "topic")).removeprefix("arn:"))
        model.add(f"sns.topics.{topic}.subscriptions", f"{get(r, 'protocol')} {get(r, 'endpoint')}", r.source)
    for r in by.get("composite-alarm", []):
        base = f"alarms.{get(r, 'name')}"
        model.put(f"{base}.description", get(r, "description"), r.source)
        model.put(f"{base}.rule", alarm_rule(get(r, "rule")), r.source)
        model.put(f"{base}.actions_enabled", as_bool(get(r, "actions_enabled", True)), r.source)
        model.put(f"{base}.actions", sorted(map(str, as_list(get(r, "actions")))), r.source)
        model.put(f"{base}.ok_actions", sorted(map(str, as_list(get(r, "ok_actions")))), r.source)
    for r in by.get("dashboard", []):
        model.put(f"dashboards[{get(r, 'name')}].body", canonical_json(get(r, "body")), r.source)
    for r in by.get("ssm-parameter", []):
        base = f"ssm.parameters[{get(r, 'name')}]"
        model.put(f"{base}.type", get(r, "type"), r.source)
        model.put(f"{base}.tier", get(r, "tier", "Standard"), r.source)
        model.put(f"{base}.description", get(r, "description"), r.source)
        model.put(f"{base}.value", canonical_json(get(r, "value")), r.source)


def symbol_key(symbol: Any) -> str:
    """"route-table:10.10.0.0/24+10.10.1.0/24" -> "10.10.0.0/24+10.10.1.0/24" (the part after the kind)."""
    return str(symbol).split(":", 1)[-1]


def every(by: dict[str, list[Resource]]) -> list[Resource]:
    return [r for rs in by.values() for r in rs]


def lifecycle_filter(prefix: Any, tags: Any, larger: Any, smaller: Any) -> str:
    parts = []
    if prefix:
        parts.append(f"prefix {prefix}")
    for t in as_list(tags):
        if isinstance(t, dict):
            parts.append(f"tag {t.get('Key', t.get('key'))}={t.get('Value', t.get('value'))}")
    if larger is not None:
        parts.append(f"size > {num(larger)}")
    if smaller is not None:
        parts.append(f"size < {num(smaller)}")
    return ", ".join(parts) or "all objects"


def strip_arn(value: Any) -> Any:
    """"arn:instance-profile:ec2" -> "instance-profile:ec2": a launch template may name a profile either way."""
    if isinstance(value, str) and value.startswith("arn:") and not value.startswith(f"arn:{PARTITION}:"):
        return value[4:]
    return value


def put_db(model: Model, base: str, settings: dict[str, Any], source: str) -> None:
    for key, value in settings.items():
        if value is None and key in DB_DEFAULTS:
            value = DB_DEFAULTS[key]
        model.put(f"{base}.{key}", value, source)


def log_group_ref(value: Any) -> Any:
    """A flow log's destination, written as the log group's symbol whether given by name or by ARN."""
    if value is None:
        return None
    text = str(value).removesuffix(":*")
    if text.startswith("arn:log-group:"):
        return text[len("arn:"):]
    return text if text.startswith("log-group:") else f"log-group:{text}"


def put_flow_log(model: Model, source: str, resource: Any, settings: dict[str, Any]) -> None:
    """network.flow_logs[<vpc>].<setting>."""
    for key, value in settings.items():
        model.put(f"network.flow_logs[{resource}].{key}", num(value), source)
