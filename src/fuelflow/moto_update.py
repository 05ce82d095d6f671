"""CloudFormation stack updates on the emulator, done the way CloudFormation does them (moto_fixes 18-22).

moto's own update diffs the raw template JSON (parameters and conditions ignored), replaces or skips resources
at random (many models have no update), never rolls back and turns any exception into a 500. Here an update:

1. evaluates the new template with its new parameters and conditions (moto's own ResourceMap and clean_json);
2. walks the resources in dependency order: a resource whose condition turned true is added, false removed;
   one whose *resolved* properties changed (also through a changed parameter, or a Ref/GetAtt to a replaced
   resource) is modified: replaced when a changed property is one of the type's `createOnlyProperties` in
   AWS's provider schema (shipped with cfn-lint), else updated in place through moto's backend methods;
3. deletes what was removed or replaced last (cleanup), keeping DeletionPolicy/UpdateReplacePolicy Retain;
4. on any exception, undoes what it did (deletes what it created, puts the previous properties back) and
   leaves the stack UPDATE_ROLLBACK_COMPLETE with the failing resource's event carrying the reason.

The same walk, without touching anything, is what a change set describes (Add / Modify / Remove, Replacement,
Scope, Details). Stack tags are the stack's tags merged under each resource's own tags, as CloudFormation does.
"""

from __future__ import annotations

import copy
import functools
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from fuelflow.templates import references

SCHEMA_REGION = "us-east-1"  # the provider schemas' createOnlyProperties are the same in every region
REPLACE_REASON = "Requested update requires the creation of a new physical resource; hence creating one."
NAMED_REPLACEMENT = ("CloudFormation cannot update a stack when a custom-named resource requires replacing. "
                     "Rename {name} and update the stack again.")


@functools.cache
def create_only(resource_type: str) -> frozenset[str]:
    """Top-level properties whose change replaces the resource, from AWS's provider schema (via cfn-lint)."""
    from cfnlint.schema import PROVIDER_SCHEMA_MANAGER

    try:
        schema = PROVIDER_SCHEMA_MANAGER.get_resource_schema(SCHEMA_REGION, resource_type).schema
    except Exception:  # an unknown type: CloudFormation would refuse it; nothing is replaced here
        return frozenset()
    return frozenset(p.split("/")[2] for p in schema.get("createOnlyProperties", []) if p.startswith("/properties/"))


# ------------------------------------------------------------------------------------------------ evaluation


def dependency_order(resources: dict[str, Any]) -> list[str]:
    """Logical ids, each after the resources it refers to or DependsOn (template order otherwise)."""
    deps: dict[str, set[str]] = {}
    for lid, body in resources.items():
        depends = body.get("DependsOn") or []
        depends = [depends] if isinstance(depends, str) else list(depends)
        deps[lid] = (references({k: v for k, v in body.items() if k != "DependsOn"}) | set(depends)) & set(resources)
        deps[lid].discard(lid)
    ordered: list[str] = []
    placed: set[str] = set()

    def visit(lid: str, path: tuple[str, ...]) -> None:
        if lid in placed or lid in path:
            return
        for dep in sorted(deps[lid]):
            visit(dep, (*path, lid))
        placed.add(lid)
        ordered.append(lid)

    for lid in resources:
        visit(lid, ())
    return ordered


def identity(value: Any) -> str:
    """What a moto model object (a Ref that moto resolves to the object itself) stands for: its id or name."""
    if isinstance(value, InPlace):
        value = value.resource
    for attr in ("physical_resource_id", "subnet_name", "name", "id"):
        found = getattr(value, attr, None)
        if isinstance(found, str):
            return found
    return repr(value)


def normalise(value: Any) -> Any:
    """A value as CloudFormation compares it: scalars as strings ("true", "20"), None dropped."""
    if isinstance(value, dict):
        return {k: normalise(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [normalise(v) for v in value]
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, (str, int, float)):
        return str(value)
    return identity(value)


def changed_properties(old: dict[str, Any], new: dict[str, Any]) -> list[str]:
    """Top-level property names whose resolved value differs."""
    a, b = normalise(old), normalise(new)
    return sorted(k for k in set(a) | set(b) if a.get(k) != b.get(k))


class Pending:
    """A resource about to be created or replaced: its id and attributes are not known yet."""

    def __init__(self, logical_id: str) -> None:
        self.logical_id = logical_id

    @property
    def physical_resource_id(self) -> str:
        return f"{{new {self.logical_id}}}"

    def get_cfn_attribute(self, attribute: str) -> str:
        return f"{{new {self.logical_id}.{attribute}}}"

    def is_created(self) -> bool:
        return True


class InPlace:
    """A resource about to be updated in place: same id; attributes as they will be afterwards."""

    def __init__(self, resource: Any, resource_type: str, changed: list[str]) -> None:
        self.resource, self.resource_type, self.changed = resource, resource_type, changed

    @property
    def physical_resource_id(self) -> Any:
        return self.resource.physical_resource_id

    def get_cfn_attribute(self, attribute: str) -> Any:
        value = self.resource.get_cfn_attribute(attribute)
        if (self.resource_type == "AWS::EC2::LaunchTemplate" and attribute == "LatestVersionNumber"
                and "LaunchTemplateData" in self.changed):
            return int(value) + 1  # an updated launch template gets a new version
        return value

    def is_created(self) -> bool:
        return True


@dataclass
class Decision:
    """What an update does to one resource (one line of a change set)."""

    logical_id: str
    resource_type: str
    action: str  # Add | Modify | Remove
    replacement: str | None = None  # "True" | "False" (Modify only)
    properties: list[str] = field(default_factory=list)
    tags: bool = False  # the resource's tags change (stack tags or its own Tags)
    physical_id: str | None = None

    @property
    def scope(self) -> list[str]:
        scope = ["Properties"] if [p for p in self.properties if p != "Tags"] else []
        return scope + (["Tags"] if self.tags or "Tags" in self.properties else [])

    def details(self) -> list[dict[str, Any]]:
        out = []
        for name in self.properties:
            recreate = "Always" if name in create_only(self.resource_type) else "Never"
            out.append({"Target": {"Attribute": "Tags" if name == "Tags" else "Properties", "Name": name,
                                   "RequiresRecreation": recreate},
                        "Evaluation": "Static", "ChangeSource": "DirectModification"})
        if self.tags and "Tags" not in self.properties:
            out.append({"Target": {"Attribute": "Tags", "RequiresRecreation": "Never"},
                        "Evaluation": "Static", "ChangeSource": "DirectModification"})
        return out


class UpdateFailed(Exception):
    """A resource could not be updated; `logical_id` names it, the message is CloudFormation's reason."""

    def __init__(self, logical_id: str, resource_type: str, reason: str) -> None:
        super().__init__(reason)
        self.logical_id, self.resource_type, self.reason = logical_id, resource_type, reason


def physical_id(resource: Any) -> str | None:
    """A resource's physical id, None for the models moto gives none (a SecurityGroupIngress)."""
    value = getattr(resource, "physical_resource_id", None)
    return value if isinstance(value, str) else None


def error_text(exc: BaseException) -> str:
    """An exception as a one-line reason (moto's errors keep theirs in `message`)."""
    message = getattr(exc, "message", None) or str(exc) or type(exc).__name__
    code = getattr(exc, "error_type", None)
    return f"{code}: {message}" if code and code not in str(message) else str(message)


# ------------------------------------------------------------------------------------------------ tags


def own_tags(resource_type: str, props: dict[str, Any]) -> dict[str, str]:
    """The tags a resource declares itself (a launch template: its launch-template TagSpecification)."""
    if resource_type == "AWS::EC2::LaunchTemplate":
        return {t["Key"]: str(t.get("Value", "")) for s in props.get("TagSpecifications") or []
                if s.get("ResourceType") == "launch-template" for t in s.get("Tags") or []}
    tags = props.get("Tags")
    if isinstance(tags, dict):
        return {str(k): str(v) for k, v in tags.items()}
    return {t["Key"]: str(t.get("Value", "")) for t in tags or [] if isinstance(t, dict) and "Key" in t}


def _tagger(resource_type: str, resource: Any, account_id: str, region_name: str
            ) -> tuple[Callable[[dict[str, str]], Any], Callable[[list[str]], Any]] | None:
    """(add tags, remove keys) for a resource whose tags the emulator can set; None for other types."""
    from moto.ec2.models.core import TaggedEC2Resource
    from moto.utilities.utils import get_partition

    if isinstance(resource, TaggedEC2Resource):
        from moto.ec2.models import ec2_backends

        ec2 = ec2_backends[account_id][region_name]
        rid = str(getattr(resource, "physical_resource_id", None) or getattr(resource, "id", ""))
        return (lambda tags: ec2.create_tags([rid], tags)), \
            (lambda keys: ec2.delete_tags([rid], dict.fromkeys(keys)))  # type: ignore[arg-type]  # None: any value
    if resource_type == "AWS::S3::Bucket":
        from moto.s3.models import s3_backends

        s3 = s3_backends[account_id][get_partition(region_name)]

        def put(tags: dict[str, str]) -> None:
            current = s3.get_bucket_tagging(resource.name).get("Tags", [])
            s3.put_bucket_tagging(resource.name, {**{t["Key"]: t["Value"] for t in current}, **tags})

        def remove(keys: list[str]) -> None:
            current = s3.get_bucket_tagging(resource.name).get("Tags", [])
            s3.put_bucket_tagging(resource.name, {t["Key"]: t["Value"] for t in current if t["Key"] not in keys})

        return put, remove
    if resource_type == "AWS::Logs::LogGroup":
        from moto.logs.models import logs_backends

        logs = logs_backends[account_id][region_name]
        return (lambda tags: logs.tag_log_group(resource.name, tags)), \
            (lambda keys: logs.untag_log_group(resource.name, keys))
    if resource_type in ("AWS::RDS::DBInstance", "AWS::RDS::DBSubnetGroup", "AWS::RDS::DBParameterGroup"):
        from moto.rds.models import rds_backends

        rds = rds_backends[account_id][region_name]
        arn = getattr(resource, "arn", None) or getattr(resource, "db_instance_arn", None)
        if not arn:
            return None
        return (lambda tags: rds.add_tags_to_resource(arn, [{"Key": k, "Value": v} for k, v in tags.items()])), \
            (lambda keys: rds.remove_tags_from_resource(arn, keys))
    if resource_type == "AWS::IAM::Role":
        from moto.iam.models import iam_backends

        iam = iam_backends[account_id][get_partition(region_name)]
        return (lambda tags: iam.tag_role(resource.name, [{"Key": k, "Value": v} for k, v in tags.items()])), \
            (lambda keys: iam.untag_role(resource.name, keys))
    if resource_type == "AWS::CloudWatch::Alarm":
        from moto.cloudwatch.models import cloudwatch_backends

        cw = cloudwatch_backends[account_id][region_name]
        return (lambda tags: cw.tag_resource(resource.arn, tags)), (lambda keys: cw.untag_resource(resource.arn, keys))
    return None


def taggable(resource_type: str, resource: Any) -> bool:
    from moto.ec2.models.core import TaggedEC2Resource

    return isinstance(resource, TaggedEC2Resource) or resource_type in (
        "AWS::S3::Bucket", "AWS::Logs::LogGroup", "AWS::RDS::DBInstance", "AWS::RDS::DBSubnetGroup",
        "AWS::RDS::DBParameterGroup", "AWS::IAM::Role", "AWS::CloudWatch::Alarm")


def user_stack_tags(tags: dict[str, str] | None) -> dict[str, str]:
    """The stack tags CloudFormation propagates (its own aws:* tags are not the user's)."""
    return {k: str(v) for k, v in (tags or {}).items() if not k.startswith("aws:")}


def sync_tags(resource_type: str, resource: Any, wanted: dict[str, str], before: dict[str, str],
              account_id: str, region_name: str) -> None:
    """Make the resource carry `wanted`, dropping the keys of `before` it no longer has."""
    tagger = _tagger(resource_type, resource, account_id, region_name)
    if tagger is None:
        return
    add, remove = tagger
    gone = [k for k in before if k not in wanted]
    if gone:
        remove(gone)
    changed = {k: v for k, v in wanted.items() if before.get(k) != v}
    if changed:
        add(changed)


# ------------------------------------------------------------------------------------------------ in place

Updater = Callable[[Any, dict[str, Any], dict[str, Any], list[str], str, str], list[str]]
_UPDATERS: dict[str, Updater] = {}


def updater(resource_type: str) -> Callable[[Updater], Updater]:
    def register(fn: Updater) -> Updater:
        _UPDATERS[resource_type] = fn
        return fn

    return register


def _bool(value: Any) -> bool:
    return value is True or str(value).lower() == "true"


@updater("AWS::EC2::LaunchTemplate")
def _launch_template(obj: Any, old: dict[str, Any], new: dict[str, Any], changed: list[str], account_id: str,
                     region_name: str) -> list[str]:
    from moto.ec2.models.launch_templates import LaunchTemplate

    if "LaunchTemplateData" in changed or "VersionDescription" in changed:
        LaunchTemplate.update_from_cloudformation_json(obj, obj.name, {"Properties": copy.deepcopy(new)},
                                                       account_id, region_name)
        obj.default_version_number = obj.latest_version_number  # CloudFormation makes the new version default
    return [c for c in changed if c not in ("LaunchTemplateData", "VersionDescription", "TagSpecifications")]


@updater("AWS::EC2::Instance")
def _instance(obj: Any, old: dict[str, Any], new: dict[str, Any], changed: list[str], account_id: str,
              region_name: str) -> list[str]:
    from moto.ec2.models import ec2_backends

    ec2 = ec2_backends[account_id][region_name]
    if "InstanceType" in changed and new.get("InstanceType"):
        ec2.modify_instance_attribute(obj.id, "instance_type", new["InstanceType"])
    if "SecurityGroupIds" in changed and new.get("SecurityGroupIds"):
        ec2.modify_instance_security_groups(obj.id, list(new["SecurityGroupIds"]))
    return [c for c in changed if c not in ("InstanceType", "SecurityGroupIds")]


@updater("AWS::RDS::DBParameterGroup")
def _db_parameter_group(obj: Any, old: dict[str, Any], new: dict[str, Any], changed: list[str], account_id: str,
                        region_name: str) -> list[str]:
    """Parameters change in place (ModifyDBParameterGroup); one the template drops goes back to its default."""
    if "Parameters" in changed:
        wanted = {str(k): str(v) for k, v in (new.get("Parameters") or {}).items()}
        for name in [n for n in obj.parameters if n not in wanted]:
            del obj.parameters[name]
        obj.update_parameters([{"ParameterName": k, "ParameterValue": v, "ApplyMethod": "immediate"}
                               for k, v in wanted.items()])
    return [c for c in changed if c != "Parameters"]


# CloudFormation property -> (moto DBInstance attribute / ModifyDBInstance argument, conversion)
_DB_FIELDS: dict[str, tuple[str, Callable[[Any], Any]]] = {
    "DBInstanceClass": ("db_instance_class", str),
    "AllocatedStorage": ("allocated_storage", int),
    "MaxAllocatedStorage": ("max_allocated_storage", int),
    "MultiAZ": ("multi_az", _bool),
    "BackupRetentionPeriod": ("backup_retention_period", int),
    "DeletionProtection": ("deletion_protection", _bool),
    "MonitoringInterval": ("monitoring_interval", int),
    "MonitoringRoleArn": ("monitoring_role_arn", str),
    "EngineVersion": ("engine_version", str),
    "DBParameterGroupName": ("db_parameter_group_name", str),
    "VPCSecurityGroups": ("vpc_security_group_ids", list),
    "PubliclyAccessible": ("publicly_accessible", _bool),
    "AutoMinorVersionUpgrade": ("auto_minor_version_upgrade", _bool),
    "EnableIAMDatabaseAuthentication": ("enable_iam_database_authentication", _bool),
    "EnableCloudwatchLogsExports": ("enabled_cloudwatch_logs_exports", list),
    "CACertificateIdentifier": ("ca_certificate_identifier", str),
    "CopyTagsToSnapshot": ("copy_tags_to_snapshot", _bool),
    "StorageType": ("storage_type", str),
    "Iops": ("iops", int),
    "StorageThroughput": ("storage_throughput", int),
    "PreferredBackupWindow": ("preferred_backup_window", str),
    "PreferredMaintenanceWindow": ("preferred_maintenance_window", str),
}


@updater("AWS::RDS::DBInstance")
def _db_instance(obj: Any, old: dict[str, Any], new: dict[str, Any], changed: list[str], account_id: str,
                 region_name: str) -> list[str]:
    from moto.rds.models import rds_backends

    kwargs: dict[str, Any] = {}
    cleared: list[str] = []
    for prop in changed:
        if prop not in _DB_FIELDS:
            continue
        attr, convert = _DB_FIELDS[prop]
        if new.get(prop) is None:
            cleared.append(attr)
        else:
            kwargs[attr] = convert(new[prop])
    rds_backends[account_id][region_name].modify_db_instance(obj.db_instance_identifier, {**kwargs,
                                                                                         "apply_immediately": True})
    for attr in cleared:  # ModifyDBInstance ignores None; a property the template dropped is unset
        setattr(obj, attr, 0 if attr == "monitoring_interval" else None)
    if "MonitoringInterval" in changed and int(new.get("MonitoringInterval") or 0) == 0:
        obj.monitoring_role_arn = None
    return [c for c in changed if c not in _DB_FIELDS]


@updater("AWS::Logs::LogGroup")
def _log_group(obj: Any, old: dict[str, Any], new: dict[str, Any], changed: list[str], account_id: str,
               region_name: str) -> list[str]:
    from moto.logs.models import logs_backends

    logs = logs_backends[account_id][region_name]
    if "RetentionInDays" in changed:
        if new.get("RetentionInDays") is None:
            logs.delete_retention_policy(obj.name)
        else:
            logs.put_retention_policy(obj.name, int(new["RetentionInDays"]))  # type: ignore[arg-type]  # API: int
    return [c for c in changed if c != "RetentionInDays"]


def _moto_update(resource_type: str) -> Updater:
    """An updater that calls the model's own update_from_cloudformation_json (it must keep the resource)."""

    def run(obj: Any, old: dict[str, Any], new: dict[str, Any], changed: list[str], account_id: str,
            region_name: str) -> list[str]:
        from moto.cloudformation.parsing import resource_class_from_type

        cls = resource_class_from_type(resource_type)
        result = cls.update_from_cloudformation_json(original_resource=obj, new_resource_name=obj.physical_resource_id,
                                                     cloudformation_json={"Properties": copy.deepcopy(new)},
                                                     account_id=account_id, region_name=region_name)
        if result is not obj and getattr(result, "physical_resource_id", None) != obj.physical_resource_id:
            raise RuntimeError(f"moto replaced {resource_type} {obj.physical_resource_id} in an in-place update")
        return []

    return run


for _type in ("AWS::S3::Bucket", "AWS::CloudWatch::Alarm", "AWS::S3::BucketPolicy",
              # fuelflow.moto_fixes 61, 62 and 64 give these an in-place update; moto's own for the dashboard
              # and the SSM parameter puts the same name back (the parameter's version starts again at 1).
              "AWS::SNS::Topic", "AWS::SNS::TopicPolicy", "AWS::CloudWatch::CompositeAlarm",
              "AWS::CloudWatch::Dashboard", "AWS::SSM::Parameter"):
    _UPDATERS[_type] = _moto_update(_type)


def _rule_key(rule: dict[str, Any]) -> str:
    keep = ("IpProtocol", "FromPort", "ToPort", "CidrIp", "CidrIpv6", "SourceSecurityGroupId",
            "DestinationSecurityGroupId", "SourcePrefixListId", "DestinationPrefixListId")
    return json.dumps(normalise({k: rule.get(k) for k in keep}), sort_keys=True)


def _rule_args(rule: dict[str, Any], peer: str) -> dict[str, Any]:
    described = {"Description": rule["Description"]} if rule.get("Description") else {}
    ranges = [{key: rule[key], **described} for key in ("CidrIp", "CidrIpv6") if rule.get(key)]
    peers = [{"GroupId": rule[f"{peer}SecurityGroupId"], **described}] if rule.get(f"{peer}SecurityGroupId") else []
    prefixes = [{"PrefixListId": rule[f"{peer}PrefixListId"], **described}] if rule.get(f"{peer}PrefixListId") else []
    ports = (None, None) if str(rule["IpProtocol"]) == "-1" else (rule.get("FromPort"), rule.get("ToPort"))
    return {"ip_protocol": str(rule["IpProtocol"]), "from_port": ports[0], "to_port": ports[1],
            "ip_ranges": ranges, "source_groups": peers, "prefix_list_ids": prefixes}


def _revoke(revoke: Any, obj: Any, rule: dict[str, Any], peer: str) -> None:
    """Revoke one rule. moto keeps no Description on the group peers of rules its own create made inline
    (and matches revokes on the description), so such a rule is revoked as stored, without it."""
    from moto.ec2.exceptions import InvalidPermissionNotFoundError

    try:
        revoke(obj.id, vpc_id=obj.vpc_id, **_rule_args(rule, peer))
    except InvalidPermissionNotFoundError:
        if not rule.get(f"{peer}SecurityGroupId") or not rule.get("Description"):
            raise
        args = _rule_args(rule, peer)
        args["source_groups"] = [{k: v for k, v in g.items() if k != "Description"} for g in args["source_groups"]]
        revoke(obj.id, vpc_id=obj.vpc_id, **args)


@updater("AWS::EC2::SecurityGroup")
def _security_group(obj: Any, old: dict[str, Any], new: dict[str, Any], changed: list[str], account_id: str,
                    region_name: str) -> list[str]:
    """Rules are added and revoked one by one; moto's own update deleted the group and made a new one."""
    from moto.ec2.models import ec2_backends

    ec2 = ec2_backends[account_id][region_name]
    allow_all = {"IpProtocol": "-1", "CidrIp": "0.0.0.0/0"}
    for prop, peer, authorize, revoke in (
            ("SecurityGroupIngress", "Source", ec2.authorize_security_group_ingress,
             ec2.revoke_security_group_ingress),
            ("SecurityGroupEgress", "Destination", ec2.authorize_security_group_egress,
             ec2.revoke_security_group_egress)):
        if prop not in changed:
            continue
        default = [allow_all] if prop == "SecurityGroupEgress" else []
        before = {_rule_key(r): r for r in old.get(prop) or default}
        after = {_rule_key(r): r for r in new.get(prop) or default}
        for key, rule in before.items():
            if key not in after:
                _revoke(revoke, obj, rule, peer)
        for key, rule in after.items():
            if key not in before:
                authorize(obj.id, vpc_id=obj.vpc_id, **_rule_args(rule, peer))
    return [c for c in changed if c not in ("SecurityGroupIngress", "SecurityGroupEgress")]


@updater("AWS::IAM::Role")
def _role(obj: Any, old: dict[str, Any], new: dict[str, Any], changed: list[str], account_id: str,
          region_name: str) -> list[str]:
    from moto.iam.models import Role, iam_backends
    from moto.utilities.utils import get_partition

    iam = iam_backends[account_id][get_partition(region_name)]
    if {"Description", "MaxSessionDuration", "ManagedPolicyArns"} & set(changed):
        Role.update_from_cloudformation_json(obj, obj.name, {"Properties": copy.deepcopy(new)}, account_id,
                                             region_name)
    if "AssumeRolePolicyDocument" in changed:
        document = new["AssumeRolePolicyDocument"]
        iam.update_assume_role_policy(obj.name, document if isinstance(document, str) else json.dumps(document))
    if "Policies" in changed:
        wanted = {p["PolicyName"]: p["PolicyDocument"] for p in new.get("Policies") or []}
        for name in [p["PolicyName"] for p in old.get("Policies") or []]:
            if name not in wanted:
                iam.delete_role_policy(obj.name, name)
        for name, document in wanted.items():
            iam.put_role_policy(obj.name, name, document if isinstance(document, str) else json.dumps(document))
    return [c for c in changed if c not in ("Description", "MaxSessionDuration", "ManagedPolicyArns",
                                            "AssumeRolePolicyDocument", "Policies")]


def revoke_ingress(resource: Any, account_id: str, region_name: str) -> None:
    """Delete an AWS::EC2::SecurityGroupIngress: revoke its rule (nothing to do when the group is gone)."""
    from moto.ec2.models import ec2_backends

    props = resource.properties or {}
    group = resource.security_group
    ec2 = ec2_backends[account_id][region_name]
    if ec2.get_security_group_from_id(group.id) is None:
        return
    ec2.revoke_security_group_ingress(group.id, vpc_id=group.vpc_id, **_rule_args(props, "Source"))


def update_in_place(resource_type: str, obj: Any, old: dict[str, Any], new: dict[str, Any], changed: list[str],
                    account_id: str, region_name: str) -> list[str]:
    """Apply `changed` to the live resource; the properties the emulator could not apply."""
    rest = [c for c in changed if c != "Tags"]
    if not rest:
        return []
    run = _UPDATERS.get(resource_type)
    if run is None:
        return rest
    return run(obj, old, new, rest, account_id, region_name)


# ------------------------------------------------------------------------------------------------ the update


def props_of(resource_map: Any, logical_id: str) -> dict[str, Any]:
    """The resolved properties a resource was created or last updated with."""
    recorded = getattr(resource_map, "_fuelflow_props", {})
    if logical_id in recorded:
        return dict(recorded[logical_id])
    from moto.cloudformation.parsing import clean_json

    body = resource_map._resource_json_map[logical_id]
    return dict(clean_json(copy.deepcopy(body.get("Properties") or {}), resource_map) or {})


def record_props(resource_map: Any, logical_id: str, props: dict[str, Any]) -> None:
    if not hasattr(resource_map, "_fuelflow_props"):
        resource_map._fuelflow_props = {}
    resource_map._fuelflow_props[logical_id] = _plain(props)


def _plain(value: Any) -> Any:
    """A copy of resolved properties in which moto objects are replaced by their id or name."""
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    return identity(value)


class StackUpdate:
    """One update of one moto stack to a new template, parameters and tags."""

    def __init__(self, stack: Any, template: dict[str, Any], parameters: dict[str, Any] | None,
                 tags: dict[str, str] | None) -> None:
        self.stack = stack
        self.template = template
        self.parameters = dict(parameters if parameters is not None else stack.parameters)
        self.tags = dict(tags) if tags is not None else dict(stack.tags)
        self.old_map = stack.resource_map
        self.account_id, self.region_name = stack.account_id, stack.region_name
        self.old_tags = user_stack_tags(self.old_map.tags)
        self.new_tags = user_stack_tags(self.tags)
        self.created: list[tuple[str, Any, dict[str, Any]]] = []
        self.updated: list[tuple[str, Any, dict[str, Any], dict[str, Any], list[str]]] = []
        self.cleanup: list[tuple[str, Any, dict[str, Any]]] = []

    # ---------------------------------------------------------------------------------- evaluation

    def new_map(self) -> Any:
        from moto.cloudformation.models import cloudformation_backends
        from moto.cloudformation.parsing import ResourceMap

        exports = cloudformation_backends[self.account_id][self.region_name].exports
        resource_map = ResourceMap(self.stack.stack_id, self.stack.name, self.parameters, self.tags,
                                   region_name=self.region_name, account_id=self.account_id,
                                   template=self.template, cross_stack_resources=exports)
        resource_map.load_mapping()  # load() without validate_outputs, which fails on attributes fixes add
        resource_map.transform_mapping()
        resource_map.load_parameters()
        resource_map.load_conditions()
        resource_map._resource_json_map = self.template.get("Resources") or {}
        resource_map.tags.update({"aws:cloudformation:stack-name": self.stack.name,
                                  "aws:cloudformation:stack-id": self.stack.stack_id})
        return resource_map

    @staticmethod
    def active(resource_map: Any, resources: dict[str, Any]) -> list[str]:
        from moto.cloudformation.parsing import get_model_map

        models = get_model_map()
        out = []
        for lid, body in resources.items():
            condition = body.get("Condition")
            if condition and not resource_map.lazy_condition_map[condition]:
                continue
            if body.get("Type") in models or str(body.get("Type", "")).startswith("Custom::"):
                out.append(lid)
        return out

    def old_active(self) -> set[str]:
        return {lid for lid in self.old_map._resource_json_map if lid in self.old_map._parsed_resources
                and self.old_map._parsed_resources[lid] is not None}

    def _resolve(self, resource_map: Any, logical_id: str) -> dict[str, Any]:
        from moto.cloudformation.parsing import clean_json

        body = self.template["Resources"][logical_id]
        return dict(clean_json(copy.deepcopy(body.get("Properties") or {}), resource_map) or {})

    def _tags_change(self, resource_type: str, resource: Any) -> bool:
        return self.old_tags != self.new_tags and taggable(resource_type, resource)

    def walk(self, execute: bool) -> list[Decision]:
        """Decide (and with `execute`, do) what happens to every resource, in dependency order."""
        resources = self.template.get("Resources") or {}
        resource_map = self.new_map()
        new_active = self.active(resource_map, resources)
        old_active = self.old_active()
        decisions: list[Decision] = []
        self.map = resource_map
        for lid in dependency_order({k: resources[k] for k in new_active}):
            rtype = resources[lid]["Type"]
            if lid not in old_active or self.old_map._resource_json_map[lid].get("Type") != rtype:
                if lid in old_active:  # same id, another type: the old one goes, as in CloudFormation
                    decisions.append(self._remove(lid, execute))
                decisions.append(Decision(lid, rtype, "Add"))
                if execute:
                    self._create(lid, rtype, resource_map, replacing=False)
                else:
                    resource_map._parsed_resources[lid] = Pending(lid)
                continue
            old_obj = self.old_map._parsed_resources[lid]
            old_props = props_of(self.old_map, lid)
            try:
                new_props = self._resolve(resource_map, lid)
            except Exception as exc:
                raise UpdateFailed(lid, rtype, error_text(exc)) from exc
            changed = changed_properties(old_props, new_props)
            tags = self._tags_change(rtype, old_obj)
            if not changed and not tags:
                resource_map._parsed_resources[lid] = old_obj
                record_props(resource_map, lid, old_props)
                continue
            replace = [c for c in changed if c in create_only(rtype)]
            decision = Decision(lid, rtype, "Modify", "True" if replace else "False", changed, tags,
                                physical_id(old_obj))
            decisions.append(decision)
            if not execute:
                resource_map._parsed_resources[lid] = Pending(lid) if replace else InPlace(old_obj, rtype, changed)
            elif replace:
                self._replace(lid, rtype, old_obj, old_props, new_props, resource_map)
            else:
                self._update(lid, rtype, old_obj, old_props, new_props, changed, resource_map)
        for lid in sorted(old_active - set(new_active)):
            decisions.append(self._remove(lid, execute))
        return decisions

    # ---------------------------------------------------------------------------------- execution

    def _event(self, logical_id: str, resource_type: str, status: str, reason: str | None = None,
               physical_id: str | None = None) -> None:
        from moto.cloudformation.models import Event

        self.stack.events.append(Event(stack_id=self.stack.stack_id, stack_name=self.stack.name,
                                       logical_resource_id=logical_id, physical_resource_id=physical_id or "",
                                       resource_type=resource_type, resource_status=status,
                                       resource_status_reason=reason, resource_properties=None))

    def _create(self, lid: str, rtype: str, resource_map: Any, replacing: bool) -> Any:
        self._event(lid, rtype, "CREATE_IN_PROGRESS" if not replacing else "UPDATE_IN_PROGRESS",
                    REPLACE_REASON if replacing else None)
        try:
            obj = resource_map[lid]  # moto's lazy map creates it (and fix 21 tags it)
        except Exception as exc:
            raise UpdateFailed(lid, rtype, error_text(exc)) from exc
        if obj is not None:
            self.created.append((lid, obj, self.template["Resources"][lid]))
        self._event(lid, rtype, "CREATE_COMPLETE" if not replacing else "UPDATE_COMPLETE",
                    physical_id=physical_id(obj))
        return obj

    def _replace(self, lid: str, rtype: str, old_obj: Any, old_props: dict[str, Any], new_props: dict[str, Any],
                 resource_map: Any) -> None:
        from moto.cloudformation.parsing import resource_class_from_type

        name_prop = resource_class_from_type(rtype).cloudformation_name_type()
        if name_prop and new_props.get(name_prop) is not None and \
                normalise(new_props.get(name_prop)) == normalise(old_props.get(name_prop)):
            raise UpdateFailed(lid, rtype, NAMED_REPLACEMENT.format(name=name_prop))
        self._create(lid, rtype, resource_map, replacing=True)
        self.cleanup.append((lid, old_obj, self.old_map._resource_json_map[lid]))

    def _update(self, lid: str, rtype: str, old_obj: Any, old_props: dict[str, Any], new_props: dict[str, Any],
                changed: list[str], resource_map: Any) -> None:
        self._event(lid, rtype, "UPDATE_IN_PROGRESS", physical_id=physical_id(old_obj))
        try:  # a resource whose update raised is taken as unchanged: moto's calls change all or nothing
            skipped = update_in_place(rtype, old_obj, old_props, new_props, changed, self.account_id,
                                      self.region_name)
            self.updated.append((lid, old_obj, old_props, new_props, changed))
            self._retag(rtype, old_obj, old_props, new_props, self.old_tags, self.new_tags)
        except Exception as exc:
            raise UpdateFailed(lid, rtype, error_text(exc)) from exc
        resource_map._parsed_resources[lid] = old_obj
        record_props(resource_map, lid, new_props)
        note = f"the emulator does not apply changes to {', '.join(skipped)}" if skipped else None
        self._event(lid, rtype, "UPDATE_COMPLETE", note, physical_id(old_obj))

    def _retag(self, rtype: str, obj: Any, old_props: dict[str, Any], new_props: dict[str, Any],
               old_stack: dict[str, str], new_stack: dict[str, str]) -> None:
        before = {**old_stack, **own_tags(rtype, old_props)}
        wanted = {**new_stack, **own_tags(rtype, new_props)}
        if rtype == "AWS::S3::Bucket":  # moto's own bucket update has just put the template's Tags back alone
            sync_tags(rtype, obj, wanted, {}, self.account_id, self.region_name)
        elif before != wanted:
            sync_tags(rtype, obj, wanted, before, self.account_id, self.region_name)

    def _remove(self, lid: str, execute: bool) -> Decision:
        body = self.old_map._resource_json_map[lid]
        obj = self.old_map._parsed_resources.get(lid)
        if execute:
            self.cleanup.append((lid, obj, body))
        return Decision(lid, body["Type"], "Remove", physical_id=physical_id(obj))

    def _delete(self, obj: Any, body: dict[str, Any]) -> None:
        if body.get("Type") == "AWS::EC2::SecurityGroupIngress":
            revoke_ingress(obj, self.account_id, self.region_name)
        else:
            self.old_map._delete_resource(obj, body)

    def _run_cleanup(self) -> None:
        """Delete what was removed or replaced, dependents first; a failure is an event, not a rollback."""
        order = dependency_order(self.old_map._resource_json_map)
        pending = sorted(self.cleanup, key=lambda item: -order.index(item[0]) if item[0] in order else 0)
        for _attempt in range(5):
            left = []
            for lid, obj, body in pending:
                replaced = any(lid == c[0] for c in self.created)
                policy = body.get("UpdateReplacePolicy" if replaced else "DeletionPolicy")
                if policy == "Retain" or obj is None:
                    self._event(lid, body["Type"], "DELETE_SKIPPED", physical_id=physical_id(obj))
                    continue
                try:
                    self._delete(obj, body)
                except Exception as exc:
                    left.append((lid, obj, body, exc))
                else:
                    self._event(lid, body["Type"], "DELETE_COMPLETE", physical_id=physical_id(obj))
            if not left:
                return
            pending = [(lid, obj, body) for lid, obj, body, _exc in left]
        for lid, obj, body, error in left:
            self._event(lid, body["Type"], "DELETE_FAILED", error_text(error), physical_id(obj))

    def _roll_back(self) -> None:
        """Undo: delete what this update created, put back the properties and tags it changed."""
        for _lid, obj, body in reversed(self.created):
            self._delete(obj, body)
        for lid, obj, old_props, new_props, changed in reversed(self.updated):
            rtype = self.old_map._resource_json_map[lid]["Type"]
            update_in_place(rtype, obj, new_props, old_props, changed, self.account_id, self.region_name)
            self._retag(rtype, obj, new_props, old_props, self.new_tags, self.old_tags)

    def run(self, template_body: str) -> None:
        """Carry the update out; on failure roll back to UPDATE_ROLLBACK_COMPLETE (or _FAILED)."""
        stack = self.stack
        stack.status = "UPDATE_IN_PROGRESS"
        stack._add_stack_event("UPDATE_IN_PROGRESS", resource_status_reason="User Initiated")
        try:
            self.walk(execute=True)
        except Exception as exc:
            failure = exc if isinstance(exc, UpdateFailed) else UpdateFailed(stack.name, "AWS::CloudFormation::Stack",
                                                                             error_text(exc))
            self._event(failure.logical_id, failure.resource_type, "UPDATE_FAILED", failure.reason)
            stack._add_stack_event("UPDATE_ROLLBACK_IN_PROGRESS",
                                   resource_status_reason=f"The following resource(s) failed to update: "
                                                          f"[{failure.logical_id}]. {failure.reason}")
            try:
                self._roll_back()
            except Exception as rollback_exc:
                stack.status = "UPDATE_ROLLBACK_FAILED"
                stack._add_stack_event("UPDATE_ROLLBACK_FAILED", resource_status_reason=error_text(rollback_exc))
                return
            stack.status = "UPDATE_ROLLBACK_COMPLETE"
            stack._add_stack_event("UPDATE_ROLLBACK_COMPLETE")
            return
        stack._add_stack_event("UPDATE_COMPLETE_CLEANUP_IN_PROGRESS")
        self._run_cleanup()
        stack.template = template_body
        stack.template_dict = self.template
        stack.description = self.template.get("Description")
        stack.parameters = self.parameters
        stack.tags = self.tags
        stack.resource_map = self.map
        stack.output_map = stack._create_output_map()
        stack.status = "UPDATE_COMPLETE"
        stack._add_stack_event("UPDATE_COMPLETE")


def plan(stack: Any, template: dict[str, Any], parameters: dict[str, Any] | None,
         tags: dict[str, str] | None) -> list[Decision]:
    """What updating `stack` would do, without doing it."""
    return StackUpdate(stack, template, parameters, tags).walk(execute=False)


def changes_of(decisions: Iterable[Decision]) -> list[Any]:
    """Decisions as moto change-set Change objects, with Replacement, Scope and Details."""
    from moto.cloudformation.models import Change

    out = []
    for d in decisions:
        change = Change(d.action, d.logical_id, d.resource_type)
        change.physical_resource_id = d.physical_id  # type: ignore[attr-defined]
        if d.action == "Modify":
            change.replacement = d.replacement  # type: ignore[attr-defined]
            change.scope = d.scope  # type: ignore[attr-defined]
            change.details = d.details()  # type: ignore[attr-defined]
        out.append(change)
    return out
