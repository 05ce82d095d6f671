"""What each engine would create, as one neutral list of priced resources (fuelflow.cost.model.Resource).

CloudFormation: the templates evaluated for the environment (fuelflow.cfn_eval: parameters and conditions
resolved). Terraform: the root module's planned resource instances (fuelflow.parity.terraform: a plan with
the mock provider, offline), or the `before`/`after` values of a real plan's resource_changes. References
between resources are tokens «engine:key[#attr]» (or, in a real plan, ids): `Refs` follows them, so an
instance knows whether its subnet gives it a public IPv4 address and which launch template sizes it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import Any

from fuelflow.cost.model import Resource

# «cfn:cloudformation/file.yaml#Logical[#attr]», «tf:address[#attr]»
_TOKEN = re.compile(r"^«(?:cfn:([^#»]+#[^#»]+)|tf:([^#»]+))(?:#[^»]*)?»$")
PURPOSES = ("app-data", "logs", "backups")


@dataclass(frozen=True)
class Raw:
    """One resource as an engine describes it: its type, key (logical id / address), group, properties."""

    type: str
    key: str
    group: str
    props: Mapping[str, Any]


class Refs:
    """Token (or id) -> the resource it names."""

    def __init__(self, raws: Iterable[Raw], engine: str) -> None:
        self._by: dict[str, Raw] = {}
        for r in raws:
            self._by[r.key] = r
            ident = r.props.get("id")
            if isinstance(ident, str) and ident:
                self._by[f"id:{ident}"] = r
        self.engine = engine

    def get(self, value: Any) -> Raw | None:
        if not isinstance(value, str):
            return None
        m = _TOKEN.match(value)
        if m:
            return self._by.get(m.group(1) or m.group(2))
        return self._by.get(f"id:{value}")


def _bool(value: Any) -> bool:
    return value is True or str(value).lower() == "true"


def _first(value: Any) -> dict[str, Any]:
    if isinstance(value, list):
        return value[0] if value and isinstance(value[0], dict) else {}
    return value if isinstance(value, dict) else {}


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else ([] if value is None else [value])


def bucket_purpose(name: Any, project: str, env: str) -> str:
    """app-data, logs or backups from the bucket name the contract builds; `other` for any other name."""
    for purpose in PURPOSES:
        if str(name).startswith(f"{project}-{purpose}-{env}"):
            return purpose
    return "other"


def _public(subnets: list[Any], refs: Refs, key: str) -> int:
    """1 if any of the subnets gives instances a public IPv4 address (unknown subnet: counted as public)."""
    for s in subnets:
        subnet = refs.get(s)
        if subnet is None or _bool(subnet.props.get(key)):
            return 1
    return 0


# ------------------------------------------------------------------------------------------ CloudFormation


def cfn_group(template: str) -> str:
    """cloudformation/ec2-instances.yaml -> ec2 (the stack part, as fuelflow.templates names it)."""
    return PurePosixPath(template).stem.split("-", 1)[0]


def from_cloudformation(raws: list[Raw], project: str, env: str) -> list[Resource]:
    refs = Refs(raws, "cfn")
    out: list[Resource] = []

    def add(kind: str, r: Raw, **attrs: Any) -> None:
        out.append(Resource(kind, r.group, r.key.split("#", 1)[-1], attrs))

    def lt_data(ref: Any) -> dict[str, Any]:
        lt = refs.get(_first(ref).get("LaunchTemplateId") or _first(ref).get("LaunchTemplateName"))
        return dict(lt.props.get("LaunchTemplateData", {})) if lt else {}

    def volumes(data: Mapping[str, Any]) -> list[tuple[str, float]]:
        return [(str(b["Ebs"].get("VolumeType", "gp2")), float(b["Ebs"].get("VolumeSize", 8)))
                for b in _list(data.get("BlockDeviceMappings")) if isinstance(b, dict) and b.get("Ebs")]

    for r in raws:
        p, t = r.props, r.type
        if t == "AWS::EC2::Instance":
            data = lt_data(p.get("LaunchTemplate"))
            add("ec2_instance", r, instance_type=p.get("InstanceType") or data.get("InstanceType"), count=1,
                volumes=volumes(p) or volumes(data),
                public_ipv4=_public([p.get("SubnetId")], refs, "MapPublicIpOnLaunch"))
        elif t == "AWS::AutoScaling::AutoScalingGroup":
            data = lt_data(p.get("LaunchTemplate"))
            desired = p.get("DesiredCapacity", p.get("MinSize", 0))
            add("ec2_instance", r, instance_type=data.get("InstanceType"), count=int(desired),
                volumes=volumes(data), public_ipv4=_public(_list(p.get("VPCZoneIdentifier")), refs,
                                                           "MapPublicIpOnLaunch"))
        elif t == "AWS::RDS::DBInstance":
            add("rds_instance", r, instance_class=p.get("DBInstanceClass"), multi_az=_bool(p.get("MultiAZ")),
                storage_type=p.get("StorageType"), allocated_gb=float(p.get("AllocatedStorage") or 0),
                backup_retention_days=int(p.get("BackupRetentionPeriod", 1)),
                managed_secret=_bool(p.get("ManageMasterUserPassword")),
                monitoring_interval=int(p.get("MonitoringInterval", 0)),
                replica=bool(p.get("SourceDBInstanceIdentifier")))
        elif t == "AWS::S3::Bucket":
            add("s3_bucket", r, purpose=bucket_purpose(p.get("BucketName"), project, env))
        elif t == "AWS::DynamoDB::Table":
            add("dynamodb_table", r, billing=p.get("BillingMode", "PROVISIONED"))
        elif t == "AWS::SecretsManager::Secret":
            add("secret", r)
        elif t == "AWS::ElasticLoadBalancingV2::LoadBalancer" and p.get("Type", "application") == "application":
            public = p.get("Scheme", "internet-facing") == "internet-facing"
            n = len(_list(p.get("Subnets"))) or len(_list(p.get("SubnetMappings")))
            add("alb", r, public_ipv4=n if public else 0)
        elif t == "AWS::CloudWatch::Alarm":
            metrics = [m for m in _list(p.get("Metrics")) if isinstance(m, dict) and m.get("MetricStat")]
            add("alarm", r, metrics=len(metrics) or 1)
        elif t == "AWS::CloudWatch::CompositeAlarm":
            add("composite_alarm", r)
        elif t == "AWS::CloudWatch::Dashboard":
            add("dashboard", r)
        elif t == "AWS::Logs::LogGroup":
            add("log_group", r, log_name=p.get("LogGroupName", ""), retention_days=p.get("RetentionInDays"))
        elif t == "AWS::EC2::VPCEndpoint":
            add("vpc_endpoint", r, type=p.get("VpcEndpointType", "Gateway"), subnets=len(_list(p.get("SubnetIds"))))
        elif t == "AWS::CloudFront::Distribution":
            add("cloudfront", r)
        elif t == "AWS::WAFv2::WebACL":
            add("waf_acl", r, rules=len(_list(p.get("Rules"))))
        elif t == "AWS::Route53::RecordSet":
            add("route53_record", r, alias=bool(p.get("AliasTarget")))
        elif t == "AWS::SNS::Topic":
            add("sns_topic", r)
        elif t == "AWS::SNS::Subscription" and str(p.get("Protocol")).startswith("email"):
            add("sns_email", r)
        elif t == "AWS::KMS::Key":
            add("kms_key", r)
        else:
            add("free", r, type=t)
    return _with_data_transfer(out)


# ------------------------------------------------------------------------------------------------ Terraform


def tf_group(address: str) -> str:
    """module.ec2.aws_instance.web[0] -> ec2 (the module's name; root resources: root)."""
    parts = address.split(".")
    return parts[1] if parts[0] == "module" and len(parts) > 2 else "root"


def from_terraform(raws: list[Raw], project: str, env: str) -> list[Resource]:
    refs = Refs(raws, "tf")
    out: list[Resource] = []

    def add(kind: str, r: Raw, **attrs: Any) -> None:
        name = r.key.split(".", 2)[-1] if r.key.startswith("module.") else r.key
        out.append(Resource(kind, r.group, name, attrs))

    def lt_of(ref: Any) -> Mapping[str, Any]:
        lt = refs.get(_first(ref).get("id") or _first(ref).get("name"))
        return lt.props if lt else {}

    def volumes(blocks: Any) -> list[tuple[str, float]]:
        out_: list[tuple[str, float]] = []
        for b in _list(blocks):
            ebs = _first(b.get("ebs")) if isinstance(b, dict) else {}
            if ebs:
                out_.append((str(ebs.get("volume_type") or "gp2"), float(ebs.get("volume_size") or 8)))
        return out_

    for r in raws:
        p, t = r.props, r.type
        if t == "aws_instance":
            lt = lt_of(p.get("launch_template"))
            root = volumes([{"ebs": p.get("root_block_device")}]) if p.get("root_block_device") else []
            public = 1 if _bool(p.get("associate_public_ip_address")) else _public([p.get("subnet_id")], refs,
                                                                                    "map_public_ip_on_launch")
            add("ec2_instance", r, instance_type=p.get("instance_type") or lt.get("instance_type"), count=1,
                volumes=root or volumes(lt.get("block_device_mappings")), public_ipv4=public)
        elif t == "aws_autoscaling_group":
            lt = lt_of(p.get("launch_template"))
            desired = p.get("desired_capacity")
            add("ec2_instance", r, instance_type=lt.get("instance_type"),
                count=int(desired if desired is not None else p.get("min_size") or 0),
                volumes=volumes(lt.get("block_device_mappings")),
                public_ipv4=_public(_list(p.get("vpc_zone_identifier")), refs, "map_public_ip_on_launch"))
        elif t == "aws_db_instance":
            add("rds_instance", r, instance_class=p.get("instance_class"), multi_az=_bool(p.get("multi_az")),
                storage_type=p.get("storage_type"), allocated_gb=float(p.get("allocated_storage") or 0),
                backup_retention_days=int(p.get("backup_retention_period") or 0),
                managed_secret=_bool(p.get("manage_master_user_password")),
                monitoring_interval=int(p.get("monitoring_interval") or 0),
                replica=bool(p.get("replicate_source_db")))
        elif t == "aws_s3_bucket":
            add("s3_bucket", r, purpose=bucket_purpose(p.get("bucket"), project, env))
        elif t == "aws_dynamodb_table":
            add("dynamodb_table", r, billing=p.get("billing_mode"))
        elif t == "aws_secretsmanager_secret":
            add("secret", r)
        elif t in ("aws_lb", "aws_alb") and (p.get("load_balancer_type") or "application") == "application":
            n = len(_list(p.get("subnets"))) or len(_list(p.get("subnet_mapping")))
            add("alb", r, public_ipv4=0 if _bool(p.get("internal")) else n)
        elif t == "aws_cloudwatch_metric_alarm":
            metrics = [q for q in _list(p.get("metric_query")) if isinstance(q, dict) and q.get("metric")]
            add("alarm", r, metrics=len(metrics) or 1)
        elif t == "aws_cloudwatch_composite_alarm":
            add("composite_alarm", r)
        elif t == "aws_cloudwatch_dashboard":
            add("dashboard", r)
        elif t == "aws_cloudwatch_log_group":
            add("log_group", r, log_name=p.get("name") or "", retention_days=p.get("retention_in_days") or None)
        elif t == "aws_vpc_endpoint":
            add("vpc_endpoint", r, type=p.get("vpc_endpoint_type") or "Gateway",
                subnets=len(_list(p.get("subnet_ids"))))
        elif t == "aws_cloudfront_distribution":
            add("cloudfront", r)
        elif t == "aws_wafv2_web_acl":
            add("waf_acl", r, rules=len(_list(p.get("rule"))))
        elif t == "aws_route53_record":
            add("route53_record", r, alias=bool(_list(p.get("alias"))))
        elif t == "aws_sns_topic":
            add("sns_topic", r)
        elif t == "aws_sns_topic_subscription" and str(p.get("protocol")).startswith("email"):
            add("sns_email", r)
        elif t == "aws_kms_key":
            add("kms_key", r)
        else:
            add("free", r, type=t)
    return _with_data_transfer(out)


def _with_data_transfer(resources: list[Resource]) -> list[Resource]:
    """The web tier's traffic to the internet: one line, in the group of the first web server."""
    web = next((r for r in resources if r.kind == "ec2_instance" and r.attrs.get("count")), None)
    if web is None:
        return resources
    return [*resources, Resource("data_transfer", web.group, "internet egress (web tier)", {})]
