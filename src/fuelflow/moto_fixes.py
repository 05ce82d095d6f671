"""Fidelity fixes for the embedded emulator (moto 5.x), applied in this process only.

Each fix makes moto do what AWS documents, where moto's CloudFormation engine or EC2 model falls short
in a way that would break this architecture locally. None of them changes what the tool sends or how
it reads answers: with `--target aws` nothing here runs. What moto still does not model is reported by
the tool as such (see `emulator.skipped_resource_types` and the audit's "not checked").

1. Change sets see and publish exports. moto creates the stack of a CREATE change set without the
   account's exports (its Fn::ImportValue fails) and executes a change set without rebuilding the stack's
   outputs or registering its exports.
2. `Ref` to an `AWS::RDS::DBParameterGroup` yields its name (moto returned the model object).
3. `AWS::RDS::DBInstance` keeps the properties moto's CloudFormation engine drops: VPCSecurityGroups,
   ManageMasterUserPassword (the secret is created in moto's Secrets Manager, as RDS does),
   EnableCloudwatchLogsExports, MonitoringInterval/MonitoringRoleArn, DeletionProtection and
   EnableIAMDatabaseAuthentication; and `Fn::GetAtt DB.MasterUserSecret.SecretArn` answers.
4. An instance's primary network interface, created at launch, is deleted on termination (the AWS
   default), so a VPC whose instances are terminated can be deleted.
5. Deleting a stack deletes its route tables, routes, subnet associations, internet gateway (and its
   attachment) and VPC endpoints; moto's CloudFormation engine had no delete for them, so the VPC could
   never be deleted.
6. `AWS::S3::Bucket` keeps VersioningConfiguration, PublicAccessBlockConfiguration, OwnershipControls,
   LifecycleConfiguration (CloudFormation's rule shape mapped to the S3 API's: Id -> ID, ExpirationInDays ->
   Expiration.Days, NoncurrentVersionExpiration(InDays), AbortIncompleteMultipartUpload, Transitions,
   Prefix/TagFilters -> Filter, which is `{"Prefix": ""}` when the rule names neither) and
   LoggingConfiguration (DestinationBucketName defaults to the bucket itself, as documented). An update
   applies them again and removes the public access block, ownership controls, lifecycle and logging a
   template no longer declares (versioning, which S3 cannot switch off, stays as it is).
7. S3 accepts a log target bucket whose policy grants `logging.s3.amazonaws.com` `s3:PutObject` through a
   wildcard that covers the log prefix (`.../access-logs/*` for `access-logs/app-data/`): moto compared the
   policy's Resource literally (and only as a single string), so the documented policy was refused, and it
   failed outright on a statement whose Principal is the string "*" (the usual TLS-only Deny).
8. `AWS::S3::BucketPolicy` exists: moto had no model for it (it warned and skipped it). Its Ref is the bucket
   name; create/update put the policy, delete removes it (nothing to do if the bucket is already gone).
9. Requests to the emulator count as TLS requests for `aws:SecureTransport`: AWS's endpoints are HTTPS, the
   emulator's plain HTTP stands for them. moto evaluates no `Bool` condition, so a TLS-only bucket policy
   (Deny when `aws:SecureTransport` is "false") denied every object request on the bucket.
10. An `AWS::EC2::Instance` with a LaunchTemplate is launched from it, as EC2 does: the template's
    MetadataOptions (IMDSv2), BlockDeviceMappings (merged with the instance's, device by device, EBS
    DeleteOnTermination defaulting to true), ImageId/InstanceType/KeyName/UserData where the instance names
    none, SecurityGroupIds, IamInstanceProfile and instance/volume TagSpecifications, plus the
    `aws:ec2launchtemplate:id`/`version` tags EC2 adds. The instance's own SecurityGroupIds (which moto
    ignored, with or without a template) are its security groups. Skipped whole on a moto whose
    CloudFormation engine reads LaunchTemplate itself.
11. `AWS::IAM::Role` attaches its ManagedPolicyArns (moto dropped them); an update attaches/detaches the
    difference, and a delete detaches them first (moto refuses to delete a role with attached policies).
12. `AWS::CloudWatch::Alarm` exists (moto had no model for it): a metric alarm through moto's PutMetricAlarm,
    metric-math `Metrics` included; Ref is the alarm name, `Fn::GetAtt Alarm.Arn` its ARN.
13. `AWS::EC2::SecurityGroup` keeps its SecurityGroupEgress rules: they replace the default allow-all egress
    rule, as in EC2 (moto kept allow-all and dropped the declared rules).
14. RunInstances with a launch template (the API path Terraform uses) takes the template's MetadataOptions,
    BlockDeviceMappings and IamInstanceProfile, as EC2 does; moto ignored the first and the last and added its
    own unencrypted /dev/sda1.
15. DescribeDBParameters reports the parameters a user set with `Source: user` (the provider keeps only those;
    without it every plan shows the parameter group changing).
16. A launch template's own tags stay on the template, not in its LaunchTemplateData (moto copied them there,
    so every Terraform plan replaced the instances).
17. A security group rule that references another group keeps its Description.
18. Stack updates (UpdateStack and UPDATE change sets) are done as CloudFormation does them, by
    `fuelflow.moto_update`: the new template is evaluated with its new parameters AND conditions (moto diffed raw
    template JSON and ignored both); a resource whose condition turns true is added, false removed; one whose
    resolved properties change (also through a parameter, or a Ref/GetAtt to a replaced resource) is replaced when
    a changed property is in its type's `createOnlyProperties` (AWS's provider schema, from cfn-lint) - a
    custom-named one then fails as on AWS - and otherwise updated in place through moto's backend calls (launch
    template: a new default version; DB instance: ModifyDBInstance; log group retention; bucket settings (fix 6);
    security group rules one by one, where moto deleted and recreated the group; role policies; alarms; DB
    parameter group parameters; tags).
    Removed and replaced resources are deleted last (Retain policies kept). Every resource gets its events.
19. An UPDATE change set lists Add / Modify / Remove with Replacement, Scope and Details from the same evaluation
    (moto listed nothing for a parameter change), fails with the reason when the template cannot be evaluated,
    and a change of the stack tags alone is a change (moto answered "No updates are to be performed").
20. An exception while a change set executes never becomes a 500 or a half-made stack: a failed update is
    undone (what it created deleted, what it changed put back) and ends UPDATE_ROLLBACK_COMPLETE with the failing
    resource's UPDATE_FAILED event carrying the reason (UPDATE_ROLLBACK_FAILED if undoing fails too); a failed
    create ends ROLLBACK_COMPLETE. The emulator logs what it caught, with the traceback (`fuelflow local`).
21. Stack tags propagate to the stack's resources on create and update (EC2 resources, buckets, log groups, RDS,
    roles, alarms), under the resource's own tags, as CloudFormation does; moto dropped them on the change-set
    path and never updated them ("TODO" in moto).
22. `AWS::EC2::SecurityGroupIngress` revokes its rule when the resource is deleted or replaced (moto had no
    delete: a removed SSH rule stayed open).
23. The YAML short form `!Condition X` (inside `!Or`/`!And`/`!Not`) is read as the condition reference it is;
    moto read it as `Fn::Condition`, always false, so servers 3 and 4's condition never held (instance_count 3
    created servers 1 and 3 only).
24. `AWS::RDS::DBInstance` keeps MaxAllocatedStorage (the storage autoscaling ceiling) and
    CACertificateIdentifier, which moto's CloudFormation engine dropped.
25. A bucket policy statement conditioned on `aws:PrincipalArn` (the Deny that keeps the application roles from
    deleting logs and backups, DECISIONS 17.3) applies only to those principals. moto evaluates no condition,
    so it applied to every caller and the emulator's own credentials (never one of those roles) could not
    delete an object.
30. IMPORT change sets (resource import), which moto ignored (it made a second stack and created the buckets
    anew, failing on BucketAlreadyExists): CreateChangeSet with ChangeSetType IMPORT checks CloudFormation's
    rules (every resource to import is in the template with a DeletionPolicy; its identifier, BucketName for
    AWS::S3::Bucket, names a bucket that exists and no live stack holds; no other resource is created, changed
    or removed; Outputs unchanged; the stack, if any, is in a state that allows it) and lists Import changes.
    Executing it adopts each existing bucket into the stack's resource map, applies the template's properties
    to it, and records IMPORT_IN_PROGRESS/IMPORT_COMPLETE events and the stack's IMPORT_COMPLETE; a failure
    rolls the import back (IMPORT_FAILED, IMPORT_ROLLBACK_COMPLETE). Only AWS::S3::Bucket is importable here.
31. A stack whose delete fails stays, DELETE_FAILED, with a DELETE_FAILED event and its own reason for each
    resource that failed (not for what a remaining resource still uses: CloudFormation never tries those), its
    outputs and exports as they were, and only the resources it still holds. moto dropped the stack (status
    showed it gone while its database still existed) and listing it recreated what had been deleted.
32. `DeletionPolicy: Snapshot` on an `AWS::RDS::DBInstance` takes a final snapshot
    (`<stack>-<logical id>-<random>`, lower case) before the delete, as CloudFormation does; moto took none.
33. RDS refuses to delete a DB parameter group or subnet group that a DB instance still uses
    (InvalidDBParameterGroupState / InvalidDBSubnetGroupStateFault); moto deleted them and its later
    DescribeDBInstances failed (500).
40. A launch template's tags are read live: moto answered DescribeLaunchTemplates with the tags the template
    was created with, so CreateTags/DeleteTags on it (how the AWS provider changes them) never showed, and every
    Terraform plan after a tag change updated the template again and, through its new version, replaced the
    instances.
41. A new DB instance gets AWS's default certificate authority, rds-ca-rsa2048-g1 (moto: the retired
    "rds-ca-default"). The AWS provider compares the CreateDBInstance answer with `ca_cert_identifier` and, on a
    difference, sends a ModifyDBInstance and waits for the instance again: 80 s more of every Terraform DB create.
50. `Fn::GetAtt` on a load balancer answers LoadBalancerFullName (the `app/<name>/<id>` CloudWatch dimension),
    CanonicalHostedZoneID and SecurityGroups (moto raised NotImplementedError), and on a target group
    TargetGroupFullName, TargetGroupName and LoadBalancerArns (moto's target group had no Fn::GetAtt at all).
51. `AWS::ElasticLoadBalancingV2::LoadBalancer` keeps LoadBalancerAttributes (access logs, deletion protection,
    dropped invalid header fields), Type, IpAddressType and Tags; `...::TargetGroup` keeps TargetGroupAttributes
    (deregistration delay, stickiness), HealthCheckEnabled and Tags. moto's CloudFormation engine dropped them.
52. Target groups and listeners are deleted with their stack or when an update removes them (moto had no delete
    for either: a destroyed environment kept its target group).
53. `AWS::AutoScaling::ScalingPolicy` exists (moto had no model: the group never got its target-tracking
    policy); Ref is the policy ARN.
54. `AWS::CertificateManager::Certificate` exists (moto had no model), requested through moto's ACM with its
    tags; ACM's DNS validation is not modelled.
55. An `AWS::AutoScaling::AutoScalingGroup`'s MetricsCollection is enabled (moto dropped it).
56. DescribePolicies answers `Enabled` (true unless PutScalingPolicy said false) and no empty
    PredictiveScalingConfiguration: the AWS provider planned a change to every scaling policy after each apply.
57. CreateLoadBalancer without a Scheme makes an internet-facing load balancer (moto stored none: the AWS provider
    leaves Scheme out for `internal = false`, and DescribeLoadBalancers then answered no Scheme).
58. DeleteLoadBalancer refuses a load balancer whose deletion protection is on (OperationNotPermitted), as ELB
    does; moto deleted it, so a production destroy that forgot the load balancer's protection passed here only.
60. `AWS::SNS::Subscription` exists (moto had no model for it: an e-mail subscription was silently skipped):
    SNS Subscribe on create, Unsubscribe on delete; Ref is the subscription ARN.
61. `AWS::SNS::TopicPolicy` exists (moto had no model: the topic kept SNS's default policy): SetTopicAttributes
    Policy on each of its Topics; delete puts SNS's default policy back (nothing to do if the topic is gone).
62. `AWS::CloudWatch::CompositeAlarm` exists (moto had no model, though its API has PutCompositeAlarm): the
    alarm through moto's PutMetricAlarm with the AlarmRule, as its PutCompositeAlarm does; Ref is the name,
    `Fn::GetAtt X.Arn` its ARN.
63. `AWS::SSM::Parameter` takes its Tags as CloudFormation writes them, a key-value map (moto passed the map
    where its PutParameter wants a list and the stack failed with "string indices must be integers").
64. `AWS::SNS::Topic` keeps its Tags (moto set them as a plain attribute, so ListTagsForResource was empty), and
    an update of a topic changes its attributes in place (moto deleted and re-created it, which dropped its
    subscriptions and policy).
65. `AWS::KMS::Key` takes its Tags as CloudFormation writes them (Key/Value; moto passed them to CreateKey, which
    wants TagKey/TagValue, and the stack failed with KeyError 'TagKey') and a KeyPolicy object (moto stored the
    object where GetKeyPolicy returns a JSON document).
66. PutCompositeAlarm answers (moto's CloudWatch stores composite alarms, a rule instead of a metric, and lists
    them under CompositeAlarms, but had no PutCompositeAlarm action: the AWS provider's
    `aws_cloudwatch_composite_alarm` got a 500) through its PutMetricAlarm handler, which reads the AlarmRule.
70. RDS keeps Performance Insights (EnablePerformanceInsights and its retention period) on create, read-replica
    create, modify and the CloudFormation resource, and DescribeDBInstances reports it; moto dropped both, so a
    class that offers Performance Insights always read back "off" (`fuelflow.moto_fixes_edge`).
71. An output whose Condition is false exports nothing: moto evaluated every exported output, so one behind a
    conditioned-out resource failed the stack (`Fn::GetAtt` "references undefined resource": the read replica's
    endpoint with the replica off) or published a bogus export (`Ref`).
72. An `AWS::EC2::FlowLog` is deleted with its stack or when an update removes it (flow logs switched off); moto
    had no delete for it, so the flow log outlived its stack.
80. `AWS::EC2::Subnet` keeps MapPublicIpOnLaunch and `AWS::EC2::SubnetRouteTableAssociation` shows in the route
    table's associations (moto dropped the first and recorded the second aside, so the public subnets read back
    private, bound to the main table without the internet route: Prowler's vpc_subnet_separate_private_public).
81. DescribeDBInstances answers EnhancedMonitoringResourceArn when enhanced monitoring is on (moto never did:
    Prowler's rds_instance_enhanced_monitoring_enabled).
82. An encrypted DB instance without a KmsKeyId gets RDS's default key, alias/aws/rds, so its snapshots (automated
    ones included) read back encrypted, as in RDS (Prowler's rds_snapshots_encrypted).
83. The secret RDS creates for the password it manages has rotation on, every 7 days, as RDS sets it up (moto: off;
    Prowler's secretsmanager_automatic_rotation_enabled). 80-83 are in `fuelflow.moto_fixes_prowler`.

Each fix from 6 on leaves alone what a later moto does itself: a setting moto already set, a resource type
it already models (8, 12), an engine that already reads LaunchTemplate (10), declared egress it already kept.

Self-check: these patch moto's private internals, so `apply()` reports each fix as applied, not needed (moto
already does it: 2, 5, 8, 10, 12, 22, 23, 24, 50, 52, 53, 54, 70, 72, 81 look before patching) or failed (its
patch target moved: the fix patches nothing and the audit controls it lists are "not checked"), and
`version_problem()` says when the installed moto is not TESTED_MOTO. tests/test_moto_without_fixes.py shows, per
fix, moto's own behaviour without it on a plain moto server: when one of those tests fails, moto does it itself
and the fix can go.

Not done here (moto models them too thinly to be worth it, or nothing in this architecture reads them):
`AWS::SecretsManager::Secret` and `AWS::EC2::SecurityGroupEgress` resources (the templates declare egress
inline), ingress rule Descriptions, S3 lifecycle ObjectSize filters and a logging TargetObjectKeyFormat
(moto's S3 has no field for them), a launch template's NetworkInterfaces, RDS/DynamoDB settings beyond fix 3.
"""

from __future__ import annotations

import contextlib
import json
import re
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any, Literal

# The moto these fixes were written against; constraints.txt pins the same (a test keeps them equal).
TESTED_MOTO = "5.2.5"

FixStatus = Literal["applied", "not_needed", "failed"]

_REPORTS: list[FixReport] = []
_MODELS: list[type] = []  # CloudFormation models added here; moto finds them as weakly held subclasses


class NotNeeded(Exception):
    """Raised by a fix, before it patches anything, when the installed moto already does what it adds."""


@dataclass(frozen=True)
class Fix:
    """One fix: what it makes moto do, and the audit controls that read what it makes true."""

    number: int
    name: str
    apply: Callable[[], None]
    controls: tuple[str, ...] = ()


@dataclass(frozen=True)
class FixReport:
    """How a fix went at start-up: applied, not needed (moto does it itself) or failed (moto changed)."""

    number: int
    name: str
    status: FixStatus
    detail: str = ""
    controls: tuple[str, ...] = ()

    def line(self) -> str:
        text = f"fix {self.number:>2} {self.status.replace('_', ' '):<10} {self.name}"
        return text + (f": {self.detail}" if self.detail else "")

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "controls": list(self.controls)}


def _bool(value: Any) -> bool:
    return value is True or str(value).lower() == "true"


def _require(owner: Any, *names: str) -> None:
    """Check, before a fix patches anything, that moto still has what the fix calls later (at deploy time)."""
    missing = [n for n in names if not hasattr(owner, n)]
    if missing:
        raise AttributeError(f"{owner.__module__}.{owner.__name__} has no {', '.join(missing)}")


def moto_version() -> str:
    import moto

    return str(getattr(moto, "__version__", "unknown"))


def version_problem() -> str | None:
    """One line when the installed moto is not the one the fixes were written against (None when it is)."""
    installed = moto_version()
    if installed == TESTED_MOTO:
        return None
    return (f"moto {installed} is installed but the emulator fixes were written against moto {TESTED_MOTO}: "
            "check the fix report, or run `bash scripts/bootstrap.sh` (it installs the pinned versions)")


def run_fix(fix: Fix) -> FixReport:
    """Run one fix; a moto whose patch target moved or changed makes it `failed`, never a crash.

    Every fix looks up all it patches before it assigns anything, so a failure leaves moto as it was.
    """
    try:
        fix.apply()
    except NotNeeded as exc:
        return FixReport(fix.number, fix.name, "not_needed", str(exc), fix.controls)
    except Exception as exc:
        return FixReport(fix.number, fix.name, "failed", f"{type(exc).__name__}: {exc}", fix.controls)
    return FixReport(fix.number, fix.name, "applied", "", fix.controls)


def apply() -> list[FixReport]:
    """Apply every fix once (they are process-wide); return the report (the same list on later calls)."""
    if not _REPORTS:
        _REPORTS.extend(run_fix(fix) for fix in FIXES)
    return list(_REPORTS)


def reports() -> list[FixReport]:
    """The start-up report, or [] when the fixes were never applied in this process."""
    return list(_REPORTS)


def failed_fixes() -> list[FixReport]:
    """The fixes that failed in this process: what depends on them is not true on this emulator."""
    return [r for r in _REPORTS if r.status == "failed"]


def unchecked_controls(fix_reports: list[FixReport] | None = None) -> dict[str, str]:
    """Audit control id -> why it cannot be checked on this emulator (a fix it depends on failed)."""
    reasons: dict[str, str] = {}
    for report in (failed_fixes() if fix_reports is None else [r for r in fix_reports if r.status == "failed"]):
        for control in report.controls:
            reasons.setdefault(control, f"the emulator fix '{report.name}' failed ({report.detail})")
    return reasons


def _fix_change_sets() -> None:
    from moto.cloudformation.models import CloudFormationBackend, Stack, cloudformation_backends

    original_init = Stack.__init__

    def stack_init(self: Any, *args: Any, **kwargs: Any) -> None:
        if not kwargs.get("cross_stack_resources") and "account_id" in kwargs and "region_name" in kwargs:
            backend = cloudformation_backends[kwargs["account_id"]][kwargs["region_name"]]
            kwargs["cross_stack_resources"] = backend.exports
        original_init(self, *args, **kwargs)

    original_execute = CloudFormationBackend.execute_change_set

    def execute_change_set(self: Any, change_set_name: str, stack_name: str | None = None) -> None:
        original_execute(self, change_set_name, stack_name)
        change_set = self.change_sets.get(change_set_name) or next(
            (cs for cs in self.change_sets.values() if cs.change_set_name == change_set_name), None)
        if change_set is None:
            return
        stack = self.stacks[change_set.stack_id]
        stack._parse_template()  # the change set's template, which moto set but did not parse
        stack.output_map = stack._create_output_map()
        for export in stack.exports:
            self.exports[export.name] = export

    Stack.__init__ = stack_init  # type: ignore[method-assign]
    CloudFormationBackend.execute_change_set = execute_change_set  # type: ignore[method-assign]


def _fix_parameter_group_ref() -> None:
    from moto.rds.models import DBParameterGroup

    if "physical_resource_id" in DBParameterGroup.__dict__:
        raise NotNeeded("moto defines its physical resource id")
    DBParameterGroup.physical_resource_id = property(lambda self: self.name)  # type: ignore[attr-defined]


def _fix_db_instance_properties() -> None:
    from moto.rds.models import DBInstance, MasterUserSecret

    original_create = DBInstance.create_from_cloudformation_json.__func__  # type: ignore[attr-defined]

    def create_from_cloudformation_json(cls: Any, resource_name: str, cloudformation_json: Any, account_id: str,
                                        region_name: str, **kwargs: Any) -> Any:
        props = cloudformation_json.get("Properties", {})
        db = original_create(cls, resource_name, cloudformation_json, account_id, region_name, **kwargs)
        if props.get("VPCSecurityGroups"):
            db.vpc_security_group_ids = list(props["VPCSecurityGroups"])
        if "EnableCloudwatchLogsExports" in props:
            db.enabled_cloudwatch_logs_exports = list(props["EnableCloudwatchLogsExports"])
        if "DeletionProtection" in props:
            db.deletion_protection = _bool(props["DeletionProtection"])
        if "EnableIAMDatabaseAuthentication" in props:
            db.enable_iam_database_authentication = _bool(props["EnableIAMDatabaseAuthentication"])
        if int(props.get("MonitoringInterval", 0) or 0) > 0:
            db.monitoring_interval = int(props["MonitoringInterval"])
            db.monitoring_role_arn = props.get("MonitoringRoleArn")
        if _bool(props.get("ManageMasterUserPassword")) and getattr(db, "master_user_secret", None) is None:
            db.manage_master_user_password = True
            db.master_user_secret = MasterUserSecret(db, (props.get("MasterUserSecret") or {}).get("KmsKeyId"))
        return db

    original_getatt = DBInstance.get_cfn_attribute

    def get_cfn_attribute(self: Any, attribute_name: str) -> Any:
        if attribute_name == "MasterUserSecret.SecretArn" and getattr(self, "master_user_secret", None):
            return self.master_user_secret.secret_arn
        return original_getatt(self, attribute_name)

    DBInstance.create_from_cloudformation_json = classmethod(create_from_cloudformation_json)  # type: ignore[assignment,arg-type]
    DBInstance.get_cfn_attribute = get_cfn_attribute  # type: ignore[method-assign]


def _fix_primary_nic_delete_on_termination() -> None:
    from moto.ec2.models.instances import Instance

    original = Instance.prep_nics

    def prep_nics(self: Any, nic_spec: list[dict[str, Any]], *args: Any, **kwargs: Any) -> None:
        original(self, nic_spec, *args, **kwargs)
        given = {int(n.get("DeviceIndex", 0)): n for n in nic_spec or []}
        primary = self.nics.get(0)
        spec = given.get(0, {})
        if primary is not None and "NetworkInterfaceId" not in spec and "DeleteOnTermination" not in spec:
            primary.delete_on_termination = True

    Instance.prep_nics = prep_nics  # type: ignore[method-assign]


def _fix_network_deletes() -> None:
    from moto.ec2.models import EC2Backend, ec2_backends
    from moto.ec2.models.internet_gateways import InternetGateway
    from moto.ec2.models.route_tables import Route, RouteTable
    from moto.ec2.models.subnets import SubnetRouteTableAssociation
    from moto.ec2.models.vpcs import VPCEndPoint
    from moto.ec2.models.vpn_gateway import VPCGatewayAttachment

    _require(EC2Backend, "get_route_table", "delete_route", "delete_route_table", "detach_internet_gateway",
             "delete_internet_gateway", "delete_vpc_endpoints")

    def ec2(account_id: str, region_name: str) -> Any:
        return ec2_backends[account_id][region_name]

    def delete_association(self: Any, account_id: str, region_name: str) -> None:
        table = ec2(account_id, region_name).get_route_table(self.route_table_id)
        for association_id, subnet_id in list(table._associations.items()):
            if subnet_id == self.subnet_id:
                table._associations.pop(association_id)

    def delete_attachment(self: Any, account_id: str, region_name: str) -> None:
        if str(self.gateway_id).startswith("igw-"):
            ec2(account_id, region_name).detach_internet_gateway(self.gateway_id, self.vpc_id)

    deletes: dict[type, Any] = {
        SubnetRouteTableAssociation: delete_association,
        Route: lambda self, a, r: ec2(a, r).delete_route(self.route_table.id, self.destination_cidr_block),
        RouteTable: lambda self, a, r: ec2(a, r).delete_route_table(self.id),
        VPCGatewayAttachment: delete_attachment,
        InternetGateway: lambda self, a, r: ec2(a, r).delete_internet_gateway(self.id),
        VPCEndPoint: lambda self, a, r: ec2(a, r).delete_vpc_endpoints([self.id]),
    }
    def idempotent(delete: Any) -> Any:
        def run(self: Any, account_id: str, region_name: str) -> None:
            try:
                delete(self, account_id, region_name)
            except Exception as exc:  # already gone with its parent (a route with its table): done
                if "NotFound" not in str(exc) and "does not exist" not in str(exc):
                    raise

        return run

    missing = {model: delete for model, delete in deletes.items() if "delete" not in model.__dict__}
    if not missing:
        raise NotNeeded("moto deletes them itself")
    for model, delete in missing.items():  # a later moto that implements one keeps its own
        model.delete = idempotent(delete)  # type: ignore[attr-defined]


# ------------------------------------------------------------------------------------------------ S3


def _cfn_lifecycle_rule(rule: dict[str, Any]) -> dict[str, Any]:
    """One CloudFormation `LifecycleConfiguration.Rules` item in the S3 API's shape (what moto's S3 parses)."""
    api: dict[str, Any] = {"Status": rule.get("Status", "Enabled")}
    if rule.get("Id") is not None:
        api["ID"] = rule["Id"]
    tags = [{"Key": t["Key"], "Value": t.get("Value", "")} for t in rule.get("TagFilters") or []]
    prefix = rule.get("Prefix")
    if tags and (prefix is not None or len(tags) > 1):
        api["Filter"] = {"And": {**({"Prefix": prefix} if prefix is not None else {}), "Tag": tags}}
    elif tags:
        api["Filter"] = {"Tag": tags[0]}
    else:
        api["Filter"] = {"Prefix": prefix or ""}
    expiration: dict[str, Any] = {}
    if rule.get("ExpirationInDays") is not None:
        expiration["Days"] = int(rule["ExpirationInDays"])
    if rule.get("ExpirationDate") is not None:
        expiration["Date"] = rule["ExpirationDate"]
    if rule.get("ExpiredObjectDeleteMarker") is not None:
        expiration["ExpiredObjectDeleteMarker"] = _bool(rule["ExpiredObjectDeleteMarker"])
    if expiration:
        api["Expiration"] = expiration
    transitions = list(rule.get("Transitions") or []) + ([rule["Transition"]] if rule.get("Transition") else [])
    if transitions:
        api["Transition"] = [{k: v for k, v in (("StorageClass", t.get("StorageClass")),
                                                ("Days", t.get("TransitionInDays")),
                                                ("Date", t.get("TransitionDate"))) if v is not None}
                             for t in transitions]
    noncurrent = rule.get("NoncurrentVersionExpiration") or {}
    days = noncurrent.get("NoncurrentDays", rule.get("NoncurrentVersionExpirationInDays"))
    if days is not None:
        api["NoncurrentVersionExpiration"] = {"NoncurrentDays": int(days)}
        if noncurrent.get("NewerNoncurrentVersions") is not None:
            api["NoncurrentVersionExpiration"]["NewerNoncurrentVersions"] = int(noncurrent["NewerNoncurrentVersions"])
    nv_transitions = list(rule.get("NoncurrentVersionTransitions") or []) + (
        [rule["NoncurrentVersionTransition"]] if rule.get("NoncurrentVersionTransition") else [])
    if nv_transitions:
        api["NoncurrentVersionTransition"] = [
            {k: v for k, v in (("StorageClass", t.get("StorageClass")), ("NoncurrentDays", t.get("TransitionInDays")),
                               ("NewerNoncurrentVersions", t.get("NewerNoncurrentVersions"))) if v is not None}
            for t in nv_transitions]
    if (rule.get("AbortIncompleteMultipartUpload") or {}).get("DaysAfterInitiation") is not None:
        api["AbortIncompleteMultipartUpload"] = {
            "DaysAfterInitiation": int(rule["AbortIncompleteMultipartUpload"]["DaysAfterInitiation"])}
    return api


def _apply_bucket_properties(backend: Any, bucket: Any, props: dict[str, Any], *, created: bool) -> None:
    """Put what moto's CloudFormation engine left out. On create only settings still unset (a moto that sets
    one itself keeps its own); on update all of them, removing what the template no longer declares."""
    name = bucket.name
    status = (props.get("VersioningConfiguration") or {}).get("Status")
    if status and not (created and bucket.versioning_status):
        backend.put_bucket_versioning(name, status)

    pab = props.get("PublicAccessBlockConfiguration")
    if pab and not (created and bucket.public_access_block is not None):
        backend.put_public_access_block(name, {k: _bool(v) for k, v in pab.items()})
    elif pab is None and not created:
        bucket.public_access_block = None

    rules = (props.get("OwnershipControls") or {}).get("Rules") or []
    if rules and not (created and bucket.ownership_rule):
        backend.put_bucket_ownership_controls(name, ownership=rules[0]["ObjectOwnership"])
    elif not rules and not created:
        backend.delete_bucket_ownership_controls(name)

    lifecycle = (props.get("LifecycleConfiguration") or {}).get("Rules") or []
    if lifecycle and not (created and bucket.rules):
        backend.put_bucket_lifecycle(name, [_cfn_lifecycle_rule(r) for r in lifecycle])
    elif not lifecycle and not created:
        backend.delete_bucket_lifecycle(name)

    logging_config = props.get("LoggingConfiguration")
    if logging_config is not None and not (created and bucket.logging):
        backend.put_bucket_logging(name, {"TargetBucket": logging_config.get("DestinationBucketName") or name,
                                          "TargetPrefix": logging_config.get("LogFilePrefix") or ""})
    elif logging_config is None and not created:
        backend.put_bucket_logging(name, {})


def _fix_bucket_properties() -> None:
    from moto.s3.models import FakeBucket, S3Backend, s3_backends
    from moto.utilities.utils import get_partition

    _require(S3Backend, "put_bucket_versioning", "put_public_access_block", "put_bucket_ownership_controls",
             "delete_bucket_ownership_controls", "put_bucket_lifecycle", "delete_bucket_lifecycle",
             "put_bucket_logging")

    original_create = FakeBucket.create_from_cloudformation_json.__func__  # type: ignore[attr-defined]
    original_update = FakeBucket.update_from_cloudformation_json.__func__  # type: ignore[attr-defined]

    def create_from_cloudformation_json(cls: Any, resource_name: str, cloudformation_json: Any, account_id: str,
                                        region_name: str, **kwargs: Any) -> Any:
        bucket = original_create(cls, resource_name, cloudformation_json, account_id, region_name, **kwargs)
        _apply_bucket_properties(s3_backends[account_id][get_partition(region_name)], bucket,
                                 cloudformation_json.get("Properties") or {}, created=True)
        return bucket

    def update_from_cloudformation_json(cls: Any, original_resource: Any, new_resource_name: str,
                                        cloudformation_json: Any, account_id: str, region_name: str) -> Any:
        bucket = original_update(cls, original_resource, new_resource_name, cloudformation_json, account_id,
                                 region_name)
        if bucket is original_resource:  # updated in place; a replacement was created through the fix above
            _apply_bucket_properties(s3_backends[account_id][get_partition(region_name)], bucket,
                                     cloudformation_json.get("Properties") or {}, created=False)
        return bucket

    FakeBucket.create_from_cloudformation_json = classmethod(create_from_cloudformation_json)  # type: ignore[assignment,arg-type]
    FakeBucket.update_from_cloudformation_json = classmethod(update_from_cloudformation_json)  # type: ignore[assignment]


def _iam_pattern_matches(pattern: str, value: str) -> bool:
    """IAM's wildcard match: `*` any run of characters, `?` any one; case-sensitive (ARNs, resources)."""
    regex = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
    return re.fullmatch(regex, value) is not None


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return list(value) if isinstance(value, list) else [value]


def _fix_log_delivery_policy() -> None:
    from moto.s3.models import FakeBucket

    original = FakeBucket._log_permissions_enabled_policy

    def allows_log_delivery(target_bucket: Any, target_prefix: str | None) -> bool:
        try:
            if original(target_bucket=target_bucket, target_prefix=target_prefix):
                return True
        except AttributeError:  # moto reads every Principal as a dict; `"Principal": "*"` is a string
            pass
        try:
            statements = _as_list(json.loads(target_bucket.policy.decode())["Statement"])
        except (AttributeError, KeyError, TypeError, ValueError):
            return False
        # Every key the logs can get must be covered: match the literal "<prefix>*" against the pattern.
        keys = f"arn:{target_bucket.partition}:s3:::{target_bucket.name}/{target_prefix or ''}*"
        for stmt in statements:
            principal = stmt.get("Principal")
            services = _as_list(principal.get("Service")) if isinstance(principal, dict) else []
            if (stmt.get("Effect") == "Allow" and "logging.s3.amazonaws.com" in services
                    and any(_iam_pattern_matches(a.lower(), "s3:putobject") for a in _as_list(stmt.get("Action")))
                    and any(_iam_pattern_matches(r, keys) for r in _as_list(stmt.get("Resource")))):
                return True
        return False

    FakeBucket._log_permissions_enabled_policy = staticmethod(allows_log_delivery)  # type: ignore[method-assign]


def _fix_bucket_policy_model() -> None:
    from moto.cloudformation import parsing
    from moto.core.common_models import CloudFormationModel
    from moto.s3.exceptions import MissingBucket
    from moto.s3.models import S3Backend, s3_backends
    from moto.utilities.utils import get_partition

    _require(S3Backend, "put_bucket_policy", "delete_bucket_policy")

    for cached in (parsing.get_model_list, parsing.get_model_map, parsing.get_name_type_map):
        cached.cache_clear()
    if "AWS::S3::BucketPolicy" in parsing.get_model_map():
        raise NotNeeded("moto models it itself")

    class BucketPolicy(CloudFormationModel):
        """AWS::S3::BucketPolicy: the policy lives on moto's bucket; this only remembers which bucket."""

        def __init__(self, account_id: str, region_name: str, bucket_name: str) -> None:
            self.account_id, self.region_name, self.bucket_name = account_id, region_name, bucket_name

        @staticmethod
        def cloudformation_name_type() -> str:
            return ""

        @staticmethod
        def cloudformation_type() -> str:
            return "AWS::S3::BucketPolicy"

        @classmethod
        def has_cfn_attr(cls, attr: str) -> bool:
            return False

        @property
        def physical_resource_id(self) -> str:
            return self.bucket_name

        def is_created(self) -> bool:
            return True

        @classmethod
        def create_from_cloudformation_json(cls, resource_name: str, cloudformation_json: Any, account_id: str,
                                            region_name: str, **kwargs: Any) -> BucketPolicy:
            props = cloudformation_json["Properties"]
            document = props["PolicyDocument"]
            text = document if isinstance(document, str) else json.dumps(document, separators=(",", ":"))
            s3_backends[account_id][get_partition(region_name)].put_bucket_policy(props["Bucket"], text.encode())
            return cls(account_id, region_name, props["Bucket"])

        @classmethod
        def update_from_cloudformation_json(cls, original_resource: Any, new_resource_name: str,
                                            cloudformation_json: Any, account_id: str,
                                            region_name: str) -> BucketPolicy:
            new = cls.create_from_cloudformation_json(new_resource_name, cloudformation_json, account_id, region_name)
            if original_resource.bucket_name != new.bucket_name:
                original_resource.delete(account_id, region_name)
            return new

        @classmethod
        def delete_from_cloudformation_json(cls, resource_name: str, cloudformation_json: Any, account_id: str,
                                            region_name: str) -> None:
            cls(account_id, region_name, resource_name).delete(account_id, region_name)

        def delete(self, account_id: str, region_name: str) -> None:
            with contextlib.suppress(MissingBucket):  # deleted with its bucket: nothing left to do
                s3_backends[account_id][get_partition(region_name)].delete_bucket_policy(self.bucket_name)

    _MODELS.append(BucketPolicy)
    for cached in (parsing.get_model_list, parsing.get_model_map, parsing.get_name_type_map):
        cached.cache_clear()


def _only_without_tls(statement: dict[str, Any]) -> bool:
    """True for a statement that applies only to requests not sent over TLS (aws:SecureTransport false)."""
    condition = statement.get("Condition")
    if not isinstance(condition, dict) or not isinstance(condition.get("Bool"), dict):
        return False
    values = _as_list(condition["Bool"].get("aws:SecureTransport"))
    return bool(values) and all(str(v).lower() == "false" for v in values)


def _only_for_named_principals(statement: dict[str, Any]) -> bool:
    """True for a statement whose condition limits it to principals named by aws:PrincipalArn."""
    condition = statement.get("Condition")
    if not isinstance(condition, dict):
        return False
    return any(isinstance(keys, dict) and any(str(k).lower() == "aws:principalarn" for k in keys)
               for keys in condition.values())


# Bucket policy statements the emulator leaves out when it judges a request (fixes 9 and 25).
_IGNORED_STATEMENTS: list[Callable[[dict[str, Any]], bool]] = []


def _ignore_bucket_policy_statements(predicate: Callable[[dict[str, Any]], bool]) -> None:
    """Judge object requests without the statements `predicate` picks (installed once, shared by fixes)."""
    from moto.iam.access_control import IAMPolicy
    from moto.s3.models import FakeBucket

    _IGNORED_STATEMENTS.append(predicate)
    if getattr(FakeBucket.get_permission, "_fuelflow_filtered", False):
        return
    original = FakeBucket.get_permission

    def get_permission(self: Any, action: str, resource: str) -> Any:
        if self.policy is None:
            return original(self, action, resource)
        try:
            document = json.loads(self.policy.decode())
            statements = _as_list(document["Statement"])
        except (AttributeError, KeyError, TypeError, ValueError):
            return original(self, action, resource)
        kept = [s for s in statements if not (isinstance(s, dict) and any(p(s) for p in _IGNORED_STATEMENTS))]
        if len(kept) == len(statements):
            return original(self, action, resource)
        return IAMPolicy(json.dumps({**document, "Statement": kept})).is_action_permitted(action, resource)

    get_permission._fuelflow_filtered = True  # type: ignore[attr-defined]
    FakeBucket.get_permission = get_permission  # type: ignore[method-assign]


def _fix_tls_requests() -> None:
    _ignore_bucket_policy_statements(_only_without_tls)


def _fix_principal_conditions() -> None:
    """The emulator's callers are the account's own credentials, never a role a statement names by
    aws:PrincipalArn (the tests never sign as an assumed application role)."""
    _ignore_bucket_policy_statements(_only_for_named_principals)


# ------------------------------------------------------------------------------------------------ EC2


def _ebs_mapping(mapping: dict[str, Any]) -> dict[str, Any]:
    """A block device mapping with EC2's types and defaults (DeleteOnTermination true for EBS)."""
    ebs = dict(mapping["Ebs"])
    if ebs.get("VolumeSize") is not None:
        ebs["VolumeSize"] = int(ebs["VolumeSize"])
    ebs["Encrypted"] = _bool(ebs.get("Encrypted", False))
    ebs["DeleteOnTermination"] = _bool(ebs.get("DeleteOnTermination", True))
    return {**mapping, "Ebs": ebs}


def _tag_spec(specs: Any, resource_type: str) -> dict[str, str]:
    return {t["Key"]: t.get("Value", "") for s in specs or [] if s.get("ResourceType") == resource_type
            for t in s.get("Tags", [])}


def _fix_launch_template_instances() -> None:
    import inspect

    from moto.ec2.models import EC2Backend, ec2_backends
    from moto.ec2.models.instances import Instance, MetadataOptions

    _require(EC2Backend, "_get_template_from_args", "get_security_group_from_id", "describe_volumes",
             "associate_iam_instance_profile")

    original = Instance.create_from_cloudformation_json.__func__  # type: ignore[attr-defined]
    if "LaunchTemplate" in inspect.getsource(original):
        raise NotNeeded("moto's CloudFormation engine reads LaunchTemplate itself")

    def create_from_cloudformation_json(cls: Any, resource_name: str, cloudformation_json: Any, account_id: str,
                                        region_name: str, **kwargs: Any) -> Any:
        props = cloudformation_json.get("Properties") or {}
        backend = ec2_backends[account_id][region_name]
        version = backend._get_template_from_args(props["LaunchTemplate"]) if props.get("LaunchTemplate") else None
        data: dict[str, Any] = dict(version.data or {}) if version is not None else {}
        merged = dict(props)
        for key in ("ImageId", "InstanceType", "KeyName", "UserData"):
            if merged.get(key) is None and data.get(key) is not None:
                merged[key] = data[key]
        devices = {m["DeviceName"]: m for m in data.get("BlockDeviceMappings") or []}
        devices.update({m["DeviceName"]: m for m in props.get("BlockDeviceMappings") or []})
        if devices:
            merged["BlockDeviceMappings"] = [_ebs_mapping(m) for m in devices.values() if m.get("Ebs")]
        instance = original(cls, resource_name, {**cloudformation_json, "Properties": merged}, account_id,
                            region_name, **kwargs)

        group_ids = props.get("SecurityGroupIds") or (
            [] if props.get("SecurityGroups") or props.get("NetworkInterfaces") else data.get("SecurityGroupIds"))
        groups = [g for g in (backend.get_security_group_from_id(i) for i in group_ids or []) if g is not None]
        if groups and not props.get("SecurityGroups"):
            instance.security_groups = groups
            primary = instance.nics.get(0)
            if primary is not None:
                primary._group_set = list(groups)
        if version is None:
            return instance

        own_tags = {t["Key"] for t in props.get("Tags") or []}
        instance.add_tags({k: v for k, v in _tag_spec(data.get("TagSpecifications"), "instance").items()
                           if k not in own_tags})
        instance.add_tags({"aws:ec2launchtemplate:id": version.template.id,
                           "aws:ec2launchtemplate:version": str(version.number)})
        volume_tags = _tag_spec(data.get("TagSpecifications"), "volume")
        if volume_tags:
            for _, device in instance.get_block_device_mapping:
                for volume in backend.describe_volumes(volume_ids=[device.volume_id]):
                    volume.add_tags(volume_tags)
        if data.get("MetadataOptions"):
            instance.metadata_options = MetadataOptions(data["MetadataOptions"])
        profile = data.get("IamInstanceProfile") or {}
        if profile and not props.get("IamInstanceProfile"):
            backend.associate_iam_instance_profile(instance_id=instance.id,
                                                   iam_instance_profile_name=profile.get("Name"),
                                                   iam_instance_profile_arn=profile.get("Arn"))
        return instance

    Instance.create_from_cloudformation_json = classmethod(create_from_cloudformation_json)  # type: ignore[assignment,arg-type]


def _fix_security_group_egress() -> None:
    from moto.ec2.models import EC2Backend, ec2_backends
    from moto.ec2.models.security_groups import SecurityGroup

    _require(EC2Backend, "authorize_security_group_egress")

    original = SecurityGroup.create_from_cloudformation_json.__func__  # type: ignore[attr-defined]

    def allow_all(rule: Any) -> bool:
        return rule.ip_protocol == "-1" and rule.ip_range in ({"CidrIp": "0.0.0.0/0"}, {"CidrIpv6": "::/0"})

    def create_from_cloudformation_json(cls: Any, resource_name: str, cloudformation_json: Any, account_id: str,
                                        region_name: str, **kwargs: Any) -> Any:
        group = original(cls, resource_name, cloudformation_json, account_id, region_name, **kwargs)
        egress = (cloudformation_json.get("Properties") or {}).get("SecurityGroupEgress") or []
        if not egress or not all(allow_all(r) for r in group.egress_rules):
            return group  # nothing declared, or a moto that applied the declared rules itself
        backend = ec2_backends[account_id][region_name]
        group.egress_rules = []
        for rule in egress:
            described = {"Description": rule["Description"]} if rule.get("Description") else {}
            ranges = [{key: rule[key], **described} for key in ("CidrIp", "CidrIpv6") if rule.get(key)]
            peers = [{"GroupId": rule["DestinationSecurityGroupId"], **described}] \
                if rule.get("DestinationSecurityGroupId") else []
            prefixes = [{"PrefixListId": rule["DestinationPrefixListId"], **described}] \
                if rule.get("DestinationPrefixListId") else []
            backend.authorize_security_group_egress(
                group.id, str(rule["IpProtocol"]), rule.get("FromPort"), rule.get("ToPort"), ranges,
                source_groups=peers, prefix_list_ids=prefixes, vpc_id=group.vpc_id)
        return group

    SecurityGroup.create_from_cloudformation_json = classmethod(create_from_cloudformation_json)  # type: ignore[assignment,arg-type]


# ------------------------------------------------------------------------------------------------ IAM


def _fix_role_managed_policies() -> None:
    from moto.iam.models import IAMBackend, Role, iam_backends
    from moto.utilities.utils import get_partition

    _require(IAMBackend, "attach_role_policy", "detach_role_policy")

    original_create = Role.create_from_cloudformation_json.__func__  # type: ignore[attr-defined]
    original_update = Role.update_from_cloudformation_json.__func__  # type: ignore[attr-defined]
    original_delete = Role.delete_from_cloudformation_json.__func__  # type: ignore[attr-defined]

    def iam(account_id: str, region_name: str) -> Any:
        return iam_backends[account_id][get_partition(region_name)]

    def sync(role: Any, props: dict[str, Any], account_id: str, region_name: str, *, detach: bool) -> None:
        wanted = list(dict.fromkeys(props.get("ManagedPolicyArns") or []))
        backend = iam(account_id, region_name)
        for arn in wanted:
            if arn not in role.managed_policies:
                backend.attach_role_policy(arn, role.name)
        for arn in [a for a in role.managed_policies if detach and a not in wanted]:
            backend.detach_role_policy(arn, role.name)

    def create_from_cloudformation_json(cls: Any, resource_name: str, cloudformation_json: Any, account_id: str,
                                        region_name: str, **kwargs: Any) -> Any:
        role = original_create(cls, resource_name, cloudformation_json, account_id, region_name, **kwargs)
        sync(role, cloudformation_json.get("Properties") or {}, account_id, region_name, detach=False)
        return role

    def update_from_cloudformation_json(cls: Any, original_resource: Any, new_resource_name: str,
                                        cloudformation_json: Any, account_id: str, region_name: str) -> Any:
        role = original_update(cls, original_resource, new_resource_name, cloudformation_json, account_id,
                               region_name)
        sync(role, cloudformation_json.get("Properties") or {}, account_id, region_name, detach=True)
        return role

    def delete_from_cloudformation_json(cls: Any, resource_name: str, cloudformation_json: Any, account_id: str,
                                        region_name: str) -> None:
        backend = iam(account_id, region_name)
        for role in [r for r in backend.roles.values() if r.name == resource_name]:
            for arn in list(role.managed_policies):
                backend.detach_role_policy(arn, role.name)
        original_delete(cls, resource_name, cloudformation_json, account_id, region_name)

    Role.create_from_cloudformation_json = classmethod(create_from_cloudformation_json)  # type: ignore[assignment,arg-type]
    Role.update_from_cloudformation_json = classmethod(update_from_cloudformation_json)  # type: ignore[assignment]
    Role.delete_from_cloudformation_json = classmethod(delete_from_cloudformation_json)  # type: ignore[assignment]


# ------------------------------------------------------------------------------------------------ CloudWatch


def _metric_data_queries(metrics: list[Any]) -> list[Any]:
    """CloudFormation's `Metrics` (metric math) as moto's MetricDataQuery objects, as its PutMetricAlarm builds."""
    from moto.cloudwatch.models import Dimension, Metric, MetricDataQuery, MetricStat

    queries = []
    for metric in metrics:
        stat: Any = metric.get("MetricStat") or {}
        inner: Any = stat.get("Metric") or {}
        metric_stat = None
        if inner.get("MetricName"):
            dimensions = [Dimension(d.get("Name"), d.get("Value")) for d in inner.get("Dimensions", [])]
            metric_stat = MetricStat(metric=Metric(metric_name=inner["MetricName"], namespace=inner.get("Namespace"),
                                                   dimensions=dimensions),
                                     period=stat.get("Period"), stat=stat.get("Stat"), unit=stat.get("Unit"))
        queries.append(MetricDataQuery(query_id=metric.get("Id"), label=metric.get("Label"),
                                       period=metric.get("Period"), return_data=metric.get("ReturnData"),
                                       expression=metric.get("Expression"), metric_stat=metric_stat))
    return queries


def _fix_alarm_model() -> None:
    from moto.cloudformation import parsing
    from moto.cloudformation.exceptions import UnformattedGetAttTemplateException
    from moto.cloudwatch.models import CloudWatchBackend, cloudwatch_backends
    from moto.core.common_models import CloudFormationModel

    _require(CloudWatchBackend, "put_metric_alarm", "delete_alarms")

    for cached in (parsing.get_model_list, parsing.get_model_map, parsing.get_name_type_map):
        cached.cache_clear()
    if "AWS::CloudWatch::Alarm" in parsing.get_model_map():
        raise NotNeeded("moto models it itself")

    def number(value: Any, kind: type) -> Any:
        return None if value is None else kind(value)

    class MetricAlarm(CloudFormationModel):
        """AWS::CloudWatch::Alarm: the alarm lives in moto's CloudWatch; this remembers its name and ARN."""

        def __init__(self, name: str, arn: str) -> None:
            self.name, self.arn = name, arn

        @staticmethod
        def cloudformation_name_type() -> str:
            return "AlarmName"

        @staticmethod
        def cloudformation_type() -> str:
            return "AWS::CloudWatch::Alarm"

        @classmethod
        def has_cfn_attr(cls, attr: str) -> bool:
            return attr == "Arn"

        def get_cfn_attribute(self, attribute_name: str) -> str:
            if attribute_name == "Arn":
                return self.arn
            raise UnformattedGetAttTemplateException()

        @property
        def physical_resource_id(self) -> str:
            return self.name

        def is_created(self) -> bool:
            return True

        @classmethod
        def create_from_cloudformation_json(cls, resource_name: str, cloudformation_json: Any, account_id: str,
                                            region_name: str, **kwargs: Any) -> MetricAlarm:
            p = cloudformation_json["Properties"]
            alarm = cloudwatch_backends[account_id][region_name].put_metric_alarm(
                name=p.get("AlarmName") or resource_name, namespace=p.get("Namespace"),
                metric_name=p.get("MetricName"),
                metric_data_queries=_metric_data_queries(p["Metrics"]) if p.get("Metrics") else None,
                comparison_operator=p["ComparisonOperator"], evaluation_periods=int(p["EvaluationPeriods"]),
                datapoints_to_alarm=number(p.get("DatapointsToAlarm"), int), period=number(p.get("Period"), int),
                threshold=number(p.get("Threshold"), float),
                statistic=p.get("Statistic"), extended_statistic=p.get("ExtendedStatistic"),
                description=p.get("AlarmDescription"), dimensions=list(p.get("Dimensions") or []),
                alarm_actions=list(p.get("AlarmActions") or []), ok_actions=list(p.get("OKActions") or []),
                insufficient_data_actions=list(p.get("InsufficientDataActions") or []), unit=p.get("Unit"),
                actions_enabled=_bool(p.get("ActionsEnabled", True)), treat_missing_data=p.get("TreatMissingData"),
                evaluate_low_sample_count_percentile=p.get("EvaluateLowSampleCountPercentile"),
                threshold_metric_id=p.get("ThresholdMetricId"), tags=list(p.get("Tags") or []))
            return cls(alarm.name, alarm.alarm_arn)

        @classmethod
        def update_from_cloudformation_json(cls, original_resource: Any, new_resource_name: str,
                                            cloudformation_json: Any, account_id: str,
                                            region_name: str) -> MetricAlarm:
            new = cls.create_from_cloudformation_json(new_resource_name, cloudformation_json, account_id, region_name)
            if new.name != original_resource.name:
                original_resource.delete(account_id, region_name)
            return new

        @classmethod
        def delete_from_cloudformation_json(cls, resource_name: str, cloudformation_json: Any, account_id: str,
                                            region_name: str) -> None:
            cloudwatch_backends[account_id][region_name].delete_alarms([resource_name])

        def delete(self, account_id: str, region_name: str) -> None:
            cloudwatch_backends[account_id][region_name].delete_alarms([self.name])

    _MODELS.append(MetricAlarm)
    for cached in (parsing.get_model_list, parsing.get_model_map, parsing.get_name_type_map):
        cached.cache_clear()


def _fix_run_instances_from_launch_template() -> None:
    from moto.ec2.models import EC2Backend
    from moto.ec2.models.instances import InstanceBackend

    original = InstanceBackend.run_instances
    _require(EC2Backend, "_get_template_from_args", "associate_iam_instance_profile")

    def run_instances(self: Any, image_id: str, count: int, user_data: Any, security_group_names: list[str],
                      **kwargs: Any) -> Any:
        if kwargs.get("launch_template"):
            data = self._get_template_from_args(kwargs["launch_template"]).data or {}
            if not kwargs.get("metadata_options") and data.get("MetadataOptions"):
                kwargs["metadata_options"] = dict(data["MetadataOptions"])
            if "block_device_mappings" not in kwargs and data.get("BlockDeviceMappings"):
                kwargs["block_device_mappings"] = [_ebs_mapping(m) for m in data["BlockDeviceMappings"]
                                                   if m.get("Ebs")]
            profile = data.get("IamInstanceProfile") or {}
            asked = kwargs.get("iam_instance_profile_name") or kwargs.get("iam_instance_profile_arn")
            if profile and not asked:
                reservation = original(self, image_id, count, user_data, security_group_names, **kwargs)
                for instance in reservation.instances:  # moto's RunInstances ignores the template's profile
                    self.associate_iam_instance_profile(instance_id=instance.id,
                                                        iam_instance_profile_name=profile.get("Name"),
                                                        iam_instance_profile_arn=profile.get("Arn"))
                return reservation
        return original(self, image_id, count, user_data, security_group_names, **kwargs)

    InstanceBackend.run_instances = run_instances  # type: ignore[method-assign]


def _fix_db_parameter_source() -> None:
    from moto.rds.models import DBParameterGroup

    original = DBParameterGroup.update_parameters

    def update_parameters(self: Any, new_parameters: Any) -> None:
        original(self, [{"Source": "user", **p} for p in new_parameters])

    DBParameterGroup.update_parameters = update_parameters  # type: ignore[method-assign]


def _fix_launch_template_own_tags() -> None:
    from moto.ec2.models.launch_templates import LaunchTemplateVersion

    original = LaunchTemplateVersion.__init__

    def init(self: Any, template: Any, number: int, data: dict[str, Any], description: str) -> None:
        specs = data.get("TagSpecifications")
        if specs:
            data = {**data, "TagSpecifications": [t for t in specs if t.get("ResourceType") != "launch-template"]}
        original(self, template, number, data, description)

    LaunchTemplateVersion.__init__ = init  # type: ignore[method-assign]


def _fix_group_rule_description() -> None:
    from moto.ec2.models.security_groups import SecurityGroupRule

    SecurityGroupRule.description = property(  # type: ignore[assignment,method-assign]
        lambda self: self.ip_range.get("Description") or self.source_group.get("Description"))


# ------------------------------------------------------------------------------------------------ stack updates


def _find_change_set(backend: Any, change_set_name: str) -> Any:
    return backend.change_sets.get(change_set_name) or next(
        (cs for cs in backend.change_sets.values() if cs.change_set_name == change_set_name), None)


def _fix_stack_updates() -> None:
    import copy

    from moto.cloudformation import parsing
    from moto.cloudformation.models import CloudFormationBackend, Stack

    from fuelflow import moto_update

    _require(parsing.ResourceMap, "_delete_resource", "load", "load_conditions")
    _require(Stack, "_create_output_map", "_add_stack_event", "parse_template")
    for name in ("clean_json", "parse_and_create_resource", "get_model_map", "resource_class_from_type"):
        if not hasattr(parsing, name):
            raise AttributeError(f"moto.cloudformation.parsing has no {name}")

    original_create = parsing.parse_and_create_resource

    def parse_and_create_resource(logical_id: str, resource_json: dict[str, Any], resources_map: Any,
                                  account_id: str, region_name: str) -> Any:
        resource = original_create(logical_id, resource_json, resources_map, account_id, region_name)
        if resource is not None:  # what an update compares the new properties with
            props = parsing.clean_json(copy.deepcopy(resource_json.get("Properties") or {}), resources_map)
            moto_update.record_props(resources_map, logical_id, props or {})
        return resource

    previous_execute = CloudFormationBackend.execute_change_set

    def execute_change_set(self: Any, change_set_name: str, stack_name: str | None = None) -> None:
        change_set = _find_change_set(self, change_set_name)
        if change_set is None or change_set.change_set_type != "UPDATE":
            return previous_execute(self, change_set_name, stack_name)
        stack = self.stacks[change_set.stack_id]
        before = [e.name for e in stack.exports]
        moto_update.StackUpdate(stack, change_set.template_dict, change_set.parameters, change_set.tags
                                ).run(change_set.template)
        change_set.execution_status = "EXECUTE_COMPLETE"
        if stack.status == "UPDATE_COMPLETE":
            for name in before:
                self.exports.pop(name, None)
            for export in stack.exports:
                self.exports[export.name] = export
        return None

    def update(self: Any, template: str, role_arn: str | None = None, parameters: dict[str, Any] | None = None,
               tags: dict[str, str] | None = None) -> None:
        moto_update.StackUpdate(self, Stack.parse_template(template), parameters, tags).run(template)
        self.role_arn = role_arn

    parsing.parse_and_create_resource = parse_and_create_resource
    CloudFormationBackend.execute_change_set = execute_change_set  # type: ignore[method-assign]
    Stack.update = update  # type: ignore[method-assign]


def _fix_change_set_changes() -> None:
    from moto.cloudformation.models import ChangeSet, CloudFormationBackend
    from moto.cloudformation.responses import CloudFormationResponse

    from fuelflow import moto_update

    _require(ChangeSet, "diff")
    _require(CloudFormationResponse, "_validate_different_update", "_get_param")
    original_diff = ChangeSet.diff
    original_create = CloudFormationBackend.create_change_set

    def diff(self: Any) -> list[Any]:
        if self.change_set_type != "UPDATE":
            return original_diff(self)
        try:
            return moto_update.changes_of(moto_update.plan(self.stack, self.template_dict, self.parameters,
                                                           self.tags))
        except Exception as exc:  # the change set FAILS with the reason, as CloudFormation's does
            self.fuelflow_failure = moto_update.error_text(exc)
            return []

    def create_change_set(self: Any, *args: Any, **kwargs: Any) -> tuple[str, str]:
        change_set_id, stack_id = original_create(self, *args, **kwargs)
        change_set = self.change_sets[change_set_id]
        failure = getattr(change_set, "fuelflow_failure", None)
        if failure:
            change_set.status, change_set.execution_status = "FAILED", "UNAVAILABLE"
            change_set.status_reason = failure
        elif change_set.status == "FAILED" and change_set.tags is not None and \
                moto_update.user_stack_tags(change_set.tags) != moto_update.user_stack_tags(change_set.stack.tags):
            change_set.status, change_set.execution_status = "CREATE_COMPLETE", "AVAILABLE"  # stack tags change
            change_set.status_reason = None
        return change_set_id, stack_id

    original_validate = CloudFormationResponse._validate_different_update

    def validate_different_update(self: Any, incoming_params: Any, stack_body: str, old_stack: Any) -> None:
        tags = {t["Key"]: t["Value"] for t in self._get_param("Tags", []) or []}
        if tags and moto_update.user_stack_tags(tags) != moto_update.user_stack_tags(old_stack.tags):
            return  # only the stack tags change: that is an update (moto compared template and parameters)
        original_validate(self, incoming_params, stack_body, old_stack)

    ChangeSet.diff = diff  # type: ignore[method-assign]
    CloudFormationBackend.create_change_set = create_change_set  # type: ignore[method-assign]
    CloudFormationResponse._validate_different_update = validate_different_update  # type: ignore[method-assign]


def _fix_failed_execution() -> None:
    import logging

    from moto.cloudformation.models import CloudFormationBackend

    from fuelflow import moto_update

    log = logging.getLogger("fuelflow.emulator")
    previous_execute = CloudFormationBackend.execute_change_set

    def execute_change_set(self: Any, change_set_name: str, stack_name: str | None = None) -> None:
        try:
            return previous_execute(self, change_set_name, stack_name)
        except Exception as exc:
            change_set = _find_change_set(self, change_set_name)
            if change_set is None:
                raise
            stack = self.stacks[change_set.stack_id]
            reason = moto_update.error_text(exc)
            log.warning("change set %s of %s failed (%s); the stack is rolled back", change_set.change_set_name,
                        stack.name, reason, exc_info=True)
            change_set.execution_status = "EXECUTE_FAILED"
            if change_set.change_set_type == "CREATE":
                stack._add_stack_event("CREATE_FAILED", resource_status_reason=reason)
                stack._add_stack_event("ROLLBACK_IN_PROGRESS", resource_status_reason=reason)
                try:
                    stack.resource_map.delete()
                except Exception as cleanup:
                    log.warning("rollback of %s left resources behind: %s", stack.name,
                                moto_update.error_text(cleanup))
                # moto's resource map is lazy: listing the stack's resources would create the rest of them
                # (and fail again). A rolled-back create holds nothing.
                stack.resource_map._resource_json_map = {}
                stack.status = "ROLLBACK_COMPLETE"
                stack._add_stack_event("ROLLBACK_COMPLETE")
            else:
                stack.status = "UPDATE_ROLLBACK_FAILED"
                stack._add_stack_event("UPDATE_ROLLBACK_FAILED", resource_status_reason=reason)
            stack.stack_status_reason = reason
            return None

    CloudFormationBackend.execute_change_set = execute_change_set  # type: ignore[method-assign]


def _fix_stack_tags() -> None:
    from moto.cloudformation import parsing

    from fuelflow import moto_update

    previous = parsing.parse_and_create_resource

    def parse_and_create_resource(logical_id: str, resource_json: dict[str, Any], resources_map: Any,
                                  account_id: str, region_name: str) -> Any:
        resource = previous(logical_id, resource_json, resources_map, account_id, region_name)
        stack_tags = moto_update.user_stack_tags(getattr(resources_map, "tags", None))
        rtype = resource_json.get("Type", "")
        if resource is not None and stack_tags and moto_update.taggable(rtype, resource):
            own = moto_update.own_tags(rtype, moto_update.props_of(resources_map, logical_id))
            moto_update.sync_tags(rtype, resource, {**stack_tags, **own}, own, account_id, region_name)
        return resource

    parsing.parse_and_create_resource = parse_and_create_resource


def _fix_ingress_delete() -> None:
    from moto.ec2.models.security_groups import SecurityGroupIngress

    from fuelflow import moto_update

    if "delete" in SecurityGroupIngress.__dict__:
        raise NotNeeded("moto deletes it itself")
    SecurityGroupIngress.delete = lambda self, account_id, region_name: moto_update.revoke_ingress(  # type: ignore[attr-defined]
        self, account_id, region_name)


def _fix_condition_short_form() -> None:
    import importlib

    from moto.cloudformation import utils

    original = utils.yaml_tag_constructor
    probe = original(None, "!Condition", type("Node", (), {"value": "X"})())
    if probe == {"Condition": "X"}:
        raise NotNeeded("moto reads !Condition itself")

    def yaml_tag_constructor(loader: Any, tag: Any, node: Any) -> Any:
        if tag == "!Condition":  # a condition reference inside Fn::And/Or/Not, as the long form {"Condition": X}
            return {"Condition": node.value}
        return original(loader, tag, node)

    for name in ("moto.cloudformation.utils", "moto.cloudformation.models", "moto.cloudformation.responses"):
        module = importlib.import_module(name)
        if getattr(module, "yaml_tag_constructor", None) is original:
            module.yaml_tag_constructor = yaml_tag_constructor  # type: ignore[attr-defined]


def _fix_db_instance_storage_ceiling() -> None:
    import inspect

    from moto.rds.models import DBInstance

    original = DBInstance.create_from_cloudformation_json.__func__  # type: ignore[attr-defined]
    source = inspect.getsource(DBInstance.create_from_cloudformation_json)
    kept = {prop: attr for prop, attr in (("MaxAllocatedStorage", "max_allocated_storage"),
                                          ("CACertificateIdentifier", "ca_certificate_identifier"))
            if prop not in source}
    if not kept:
        raise NotNeeded("moto keeps them itself")

    def create_from_cloudformation_json(cls: Any, resource_name: str, cloudformation_json: Any, account_id: str,
                                        region_name: str, **kwargs: Any) -> Any:
        db = original(cls, resource_name, cloudformation_json, account_id, region_name, **kwargs)
        props = cloudformation_json.get("Properties") or {}
        for prop, attr in kept.items():
            if props.get(prop) is not None:
                setattr(db, attr, int(props[prop]) if prop == "MaxAllocatedStorage" else str(props[prop]))
        return db

    DBInstance.create_from_cloudformation_json = classmethod(create_from_cloudformation_json)  # type: ignore[assignment,arg-type]
def _fix_launch_template_live_tags() -> None:
    from moto.ec2.models.launch_templates import LaunchTemplate

    if isinstance(LaunchTemplate.__dict__.get("tags"), property):
        raise NotNeeded("moto reads a launch template's tags live")
    _require(LaunchTemplate, "get_tags")
    LaunchTemplate.tags = property(  # type: ignore[assignment]
        lambda self: self.get_tags(), lambda self, value: None)  # __init__ assigns a snapshot: ignored


RDS_DEFAULT_CA = "rds-ca-rsa2048-g1"  # the CA RDS gives a new DB instance that names none


def _fix_db_instance_default_ca() -> None:
    import inspect

    from moto.rds.models import DBInstance, RDSBackend

    default = inspect.signature(DBInstance.__init__).parameters["ca_certificate_identifier"].default
    if default == RDS_DEFAULT_CA:
        raise NotNeeded(f"moto's default CA is {RDS_DEFAULT_CA}")
    original = RDSBackend.create_db_instance

    def create_db_instance(self: Any, db_kwargs: dict[str, Any]) -> Any:
        if not db_kwargs.get("ca_certificate_identifier"):
            db_kwargs = {**db_kwargs, "ca_certificate_identifier": RDS_DEFAULT_CA}
        return original(self, db_kwargs)

    RDSBackend.create_db_instance = create_db_instance  # type: ignore[method-assign]


# The order is the numbering of the module docstring. `controls`: the audit controls (fuelflow.audit) that read
# what the fix makes true on the emulator; when the fix fails they are "not checked" there, not passed or failed.
_S3_READS = ("FF-S3-001", "FF-S3-002", "FF-S3-003", "FF-S3-004", "FF-S3-005", "FF-S3-006",
             "FF-TF-001", "FF-TF-002", "FF-TF-003", "FF-TF-004")
# ------------------------------------------------------------------------- 30-39: recreate after destroy

IMPORTABLE = {"AWS::S3::Bucket": "BucketName"}  # resource type -> its import identifier (what AWS documents)
IMPORTABLE_STATUSES = {"CREATE_COMPLETE", "UPDATE_COMPLETE", "UPDATE_ROLLBACK_COMPLETE", "IMPORT_COMPLETE",
                       "IMPORT_ROLLBACK_COMPLETE", "REVIEW_IN_PROGRESS"}


def _cfn_template(body: Any) -> dict[str, Any]:
    from moto.cloudformation.models import Stack

    if isinstance(body, dict):
        return body
    return Stack.parse_template(body) or {}


def _bucket_owner_stack(backend: Any, name: str) -> str | None:
    """The live stack whose resources hold the bucket `name` (None: no stack owns it)."""
    for stack in backend.stacks.values():
        if stack.status == "DELETE_COMPLETE":
            continue
        for resource in stack.resource_map._parsed_resources.values():
            if getattr(resource, "cf_resource_type", type(resource).__name__) in ("AWS::S3::Bucket", "FakeBucket") \
                    and getattr(resource, "name", None) == name and hasattr(resource, "versioning_status"):
                return str(stack.name)
    return None


def _import_change_set(backend: Any, stack_name: str, change_set_name: str, template: str,
                       parameters: dict[str, str], description: str, tags: dict[str, str],
                       to_import: list[dict[str, Any]]) -> tuple[str, str]:
    """CreateChangeSet with ChangeSetType IMPORT, checked as CloudFormation checks it."""
    from moto.cloudformation.exceptions import ValidationError
    from moto.cloudformation.models import Change, ChangeSet, Stack
    from moto.cloudformation.utils import generate_changeset_id, generate_stack_id
    from moto.s3.models import s3_backends
    from moto.utilities.utils import get_partition

    stack = next((s for s in backend.stacks.values() if s.name == stack_name and s.status != "DELETE_COMPLETE"),
                 None)
    if stack is not None and stack.status not in IMPORTABLE_STATUSES:
        raise ValidationError(message=f"Stack:{stack.stack_id} is in {stack.status} state and can not be updated.")
    new = _cfn_template(template)
    resources = new.get("Resources") or {}
    existing = dict(stack.template_dict.get("Resources") or {}) if stack is not None and stack.template_dict else {}
    wanted = {r["LogicalResourceId"]: r for r in to_import}
    if not wanted:
        raise ValidationError(message="ResourcesToImport must name at least one resource")
    s3 = s3_backends[backend.account_id][get_partition(backend.region_name)]
    for lid, item in wanted.items():
        res = resources.get(lid)
        if res is None or res.get("Type") != item.get("ResourceType"):
            raise ValidationError(message=f"Resource {lid} of type {item.get('ResourceType')} is not in the template")
        if lid in existing:
            raise ValidationError(message=f"Resource {lid} already belongs to the stack")
        if "DeletionPolicy" not in res:
            raise ValidationError(message=f"The following resource(s) to import [{lid}] must have DeletionPolicy "
                                          "attribute specified in the template.")
        key = IMPORTABLE.get(res["Type"])
        identifier = item.get("ResourceIdentifier") or {}
        if key is None or key not in identifier:
            raise ValidationError(message=f"Resource type {res['Type']} cannot be imported on this emulator "
                                          f"(identifier {key or 'unknown'})")
        if identifier[key] not in s3.buckets:
            raise ValidationError(message=f"Resources [{lid}] do not exist: no bucket {identifier[key]}")
        owner = _bucket_owner_stack(backend, identifier[key])
        if owner is not None:
            raise ValidationError(message=f"{identifier[key]} already exists in stack {owner}")
    others = sorted(lid for lid in resources if lid not in wanted and lid not in existing)
    if others:
        raise ValidationError(message="As part of the import operation, you cannot create new resources: "
                                      + ", ".join(others))
    changed = sorted(lid for lid, res in existing.items() if resources.get(lid) != res)
    if changed:
        raise ValidationError(message="As part of the import operation, you cannot modify or remove "
                                      "resources: " + ", ".join(changed))
    before = (stack.template_dict or {}).get("Outputs") if stack is not None else None
    if new.get("Outputs") != before:
        raise ValidationError(message="As part of the import operation, you cannot modify or add [Outputs]")
    if stack is None:
        stack_cls: Any = Stack  # abstract for mypy (CloudFormationModel), concrete in moto
        stack = stack_cls(stack_id=generate_stack_id(stack_name, backend.region_name, backend.account_id),
                      name=stack_name, template={}, parameters=parameters, account_id=backend.account_id,
                      region_name=backend.region_name, tags=tags)
        backend.stacks[stack.stack_id] = stack
        stack.status = "REVIEW_IN_PROGRESS"
        stack._add_stack_event("REVIEW_IN_PROGRESS", resource_status_reason="User Initiated")
    change_set: Any = ChangeSet(change_set_type="IMPORT",
                           change_set_id=generate_changeset_id(change_set_name, backend.region_name,
                                                               backend.account_id),
                           change_set_name=change_set_name, stack=stack, template=template, parameters=parameters,
                           description=description, tags=tags)
    change_set.changes = [Change("Import", lid, resources[lid]["Type"]) for lid in wanted]
    change_set.resources_to_import = {lid: item["ResourceIdentifier"][IMPORTABLE[resources[lid]["Type"]]]
                                      for lid, item in wanted.items()}
    change_set.status, change_set.execution_status = "CREATE_COMPLETE", "AVAILABLE"
    backend.change_sets[change_set.change_set_id] = change_set
    return change_set.change_set_id, stack.stack_id


def _execute_import(backend: Any, change_set: Any) -> None:
    """Adopt each bucket into the stack's resource map, apply the template's properties, IMPORT_COMPLETE;
    a failure rolls the import back (IMPORT_ROLLBACK_COMPLETE, the resource's IMPORT_FAILED event)."""
    stack = backend.stacks[change_set.stack_id]
    stack._add_stack_event("IMPORT_IN_PROGRESS", resource_status_reason="User Initiated")
    stack.status = "IMPORT_IN_PROGRESS"
    kept = dict(stack.resource_map._parsed_resources) if stack.template_dict else {}
    before = (stack.template, stack.resource_map, stack.output_map)
    try:
        _adopt_resources(backend, stack, change_set, kept)
    except Exception as exc:  # CloudFormation rolls a failed import back: the stack is as it was
        reason = str(getattr(exc, "message", "") or exc)
        stack.template, stack.resource_map, stack.output_map = before
        stack._parse_template() if stack.template else None
        stack._add_stack_event("IMPORT_ROLLBACK_IN_PROGRESS", resource_status_reason=reason)
        stack._add_stack_event("IMPORT_ROLLBACK_COMPLETE")
        stack.status = "IMPORT_ROLLBACK_COMPLETE"
        change_set.execution_status = "EXECUTE_FAILED"
        return
    change_set.execution_status = "EXECUTE_COMPLETE"
    stack.status = "IMPORT_COMPLETE"
    stack._add_stack_event("IMPORT_COMPLETE")


def _propagate_stack_tags(stack: Any, lid: str, rtype: str, account_id: str, region_name: str) -> None:
    """An imported resource gets the stack's tags under its own, as a created one does (fix 21)."""
    from fuelflow import moto_update

    resource = stack.resource_map._parsed_resources.get(lid)
    stack_tags = moto_update.user_stack_tags(stack.tags)
    if resource is not None and stack_tags and moto_update.taggable(rtype, resource):
        own = moto_update.own_tags(rtype, moto_update.props_of(stack.resource_map, lid))
        moto_update.sync_tags(rtype, resource, {**stack_tags, **own}, own, account_id, region_name)


def _adopt_resources(backend: Any, stack: Any, change_set: Any, kept: dict[str, Any]) -> None:
    from moto.cloudformation.models import Event
    from moto.cloudformation.parsing import parse_and_update_resource
    from moto.s3.models import s3_backends
    from moto.utilities.utils import get_partition

    stack.template = change_set.template
    stack._parse_template()
    stack.parameters = change_set.parameters or stack.parameters
    if change_set.tags:
        stack.tags = change_set.tags
    stack.resource_map = stack._create_resource_map()
    stack.resource_map._parsed_resources.update(kept)
    s3 = s3_backends[backend.account_id][get_partition(backend.region_name)]
    resources = stack.template_dict["Resources"]
    for lid, name in change_set.resources_to_import.items():
        def event(status: str, reason: str | None = None, lid: str = lid, name: str = name) -> None:
            stack.events.append(Event(stack_id=stack.stack_id, stack_name=stack.name, logical_resource_id=lid,
                                      physical_resource_id=name, resource_type=resources[lid]["Type"],
                                      resource_status=status, resource_status_reason=reason,
                                      resource_properties=None))

        event("IMPORT_IN_PROGRESS", "Resource import started.")
        bucket: Any = s3.buckets[name]
        bucket.logical_resource_id = lid
        bucket.cf_resource_type = resources[lid]["Type"]
        stack.resource_map._parsed_resources[lid] = bucket
        try:
            updated = parse_and_update_resource(lid, resources[lid], stack.resource_map, backend.account_id,
                                                backend.region_name)
        except Exception as exc:
            event("IMPORT_FAILED", str(getattr(exc, "message", "") or exc))
            raise
        if updated is not None:
            stack.resource_map._parsed_resources[lid] = updated
        _propagate_stack_tags(stack, lid, resources[lid]["Type"], backend.account_id, backend.region_name)
        event("IMPORT_COMPLETE", "Resource import completed.")
    stack.output_map = stack._create_output_map()
    for export in stack.exports:
        backend.exports[export.name] = export


def _fix_import_change_sets() -> None:
    from moto.cloudformation.models import CloudFormationBackend
    from moto.cloudformation.responses import CloudFormationResponse

    _require(CloudFormationBackend, "create_change_set", "execute_change_set")
    _require(CloudFormationResponse, "create_change_set")
    original_response = CloudFormationResponse.create_change_set
    original_execute = CloudFormationBackend.execute_change_set

    def create_change_set(self: Any) -> Any:
        from moto.core.responses import ActionResult

        if self._get_param("ChangeSetType", "CREATE") != "IMPORT":
            return original_response(self)
        to_import = [{"LogicalResourceId": r.get("LogicalResourceId"), "ResourceType": r.get("ResourceType"),
                      "ResourceIdentifier": dict(r.get("ResourceIdentifier") or {})}
                     for r in self._get_param("ResourcesToImport", []) or []]
        parameters = {p["ParameterKey"]: p.get("ParameterValue", "") for p in self._get_param("Parameters", []) or []}
        tags = {t["Key"]: t["Value"] for t in self._get_param("Tags", []) or []}
        change_set_id, stack_id = _import_change_set(
            self.cloudformation_backend, self._get_param("StackName"), self._get_param("ChangeSetName"),
            self._get_param("TemplateBody"), parameters, self._get_param("Description"), tags, to_import)
        return ActionResult({"Id": change_set_id, "StackId": stack_id})

    def execute_change_set(self: Any, change_set_name: str, stack_name: str | None = None) -> None:
        change_set = self.change_sets.get(change_set_name) or next(
            (cs for cs in self.change_sets.values() if cs.change_set_name == change_set_name), None)
        if change_set is not None and change_set.change_set_type == "IMPORT":
            _execute_import(self, change_set)
            return
        original_execute(self, change_set_name, stack_name)

    CloudFormationResponse.create_change_set = create_change_set  # type: ignore[method-assign]
    CloudFormationBackend.execute_change_set = execute_change_set  # type: ignore[method-assign]


def _refers_to(resource_json: dict[str, Any], logical_id: str) -> bool:
    """True when a template resource uses `logical_id` (Ref, Fn::GetAtt, ${Id} / ${Id.Attr} or DependsOn);
    `${DBSlowQuerySeconds}` does not use `DB`."""
    text = json.dumps(resource_json)
    depends = resource_json.get("DependsOn") or []
    return (f'"Ref": "{logical_id}"' in text or f'["{logical_id}", ' in text
            or "${" + logical_id + "}" in text or "${" + logical_id + "." in text
            or logical_id in ([depends] if isinstance(depends, str) else depends))


class _FrozenOutputs(dict):  # type: ignore[type-arg]
    """A stack's outputs and exports as evaluated before a delete that failed half-way."""

    def __init__(self, outputs: dict[str, Any], exports: list[Any]) -> None:
        super().__init__(outputs)
        self.exports = exports


def _fix_failed_stack_delete() -> None:
    """A stack whose delete fails stays, DELETE_FAILED, with the failing resource's event and reason."""
    from moto.cloudformation.models import CloudFormationBackend, Event, Stack
    from moto.cloudformation.parsing import ResourceMap

    _require(Stack, "delete", "_add_stack_event")
    _require(ResourceMap, "_delete_resource")
    original_delete = CloudFormationBackend.delete_stack

    def delete_stack(self: Any, name_or_stack_id: str) -> None:
        stack = self.stacks.get(name_or_stack_id) or next(
            (s for s in self.stacks.values() if s.name == name_or_stack_id), None)
        if stack is None:
            return original_delete(self, name_or_stack_id)
        outputs = _FrozenOutputs({k: stack.output_map[k] for k in list(stack.output_map)}, stack.exports)
        try:
            original_delete(self, stack.stack_id)
        except Exception as exc:  # the resource map gave up: AWS keeps the stack, DELETE_FAILED
            reason = str(getattr(exc, "message", "") or exc)
            declared = stack.template_dict.get("Resources") or {}
            left = [lid for lid, res in stack.resource_map._parsed_resources.items()
                    if hasattr(res, "logical_resource_id") and lid in declared
                    and declared[lid].get("DeletionPolicy") != "Retain"]
            # CloudFormation deletes dependents first: what a remaining resource still uses was never tried.
            failed = [lid for lid in left if not any(_refers_to(declared[other], lid) for other in left)]
            errors = getattr(stack.resource_map, "_fuelflow_delete_errors", {})
            for lid in failed:
                res = stack.resource_map._parsed_resources[lid]
                stack.events.append(Event(
                    stack_id=stack.stack_id, stack_name=stack.name, logical_resource_id=lid,
                    physical_resource_id=getattr(res, "physical_resource_id", lid),
                    resource_type=declared[lid]["Type"], resource_status="DELETE_FAILED",
                    resource_status_reason=errors.get(lid, reason), resource_properties=None))
            left = failed
            stack.status = "DELETE_FAILED"
            rm = stack.resource_map  # what was deleted is no longer the stack's (listing it must not recreate it)
            rm._resource_json_map = {lid: j for lid, j in rm._resource_json_map.items() if lid in rm._parsed_resources}
            stack.output_map = outputs  # as they were: the resources they name may be gone
            stack.events = [e for e in stack.events if not (e.logical_resource_id == stack.name
                                                              and e.resource_status == "DELETE_COMPLETE")]
            stack._add_stack_event("DELETE_FAILED", resource_status_reason=f"The following resource(s) failed to "
                                   f"delete: [{', '.join(sorted(left))}]. {reason}")
            self.deleted_stacks.pop(stack.stack_id, None)
            self.stacks[stack.stack_id] = stack
            for export in stack.exports:
                self.exports[export.name] = export
        return None

    original_map_delete = ResourceMap.delete

    def delete_resources(self: Any) -> None:
        current = type(self)._delete_resource  # whatever deletes a resource now (fix 32 included)
        errors = self.__dict__.setdefault("_fuelflow_delete_errors", {})

        def recording(parsed_resource: Any, resource_json: dict[str, Any]) -> None:
            try:
                current(self, parsed_resource, resource_json)
            except Exception as exc:  # remembered per resource: its DELETE_FAILED event gives its own reason
                errors[getattr(parsed_resource, "logical_resource_id", "")] = str(getattr(exc, "message", "") or exc)
                raise

        self._delete_resource = recording
        try:
            original_map_delete(self)
        finally:
            del self._delete_resource

    CloudFormationBackend.delete_stack = delete_stack  # type: ignore[method-assign]
    ResourceMap.delete = delete_resources  # type: ignore[method-assign]


def _fix_rds_groups_in_use() -> None:
    """RDS refuses to delete a DB parameter group or subnet group that a DB instance still uses."""
    from moto.rds.exceptions import RDSClientError
    from moto.rds.models import RDSBackend

    _require(RDSBackend, "delete_db_parameter_group", "delete_subnet_group")
    original_parameter_group = RDSBackend.delete_db_parameter_group
    original_subnet_group = RDSBackend.delete_subnet_group

    def delete_db_parameter_group(self: Any, db_parameter_group_name: str) -> Any:
        users = [db.db_instance_identifier for db in self.databases.values()
                 if getattr(db, "db_parameter_group_name", None) == db_parameter_group_name]
        if users:
            raise RDSClientError("InvalidDBParameterGroupState",
                                 f"One or more database instances are still members of this parameter group "
                                 f"{db_parameter_group_name}, so the group cannot be deleted")
        return original_parameter_group(self, db_parameter_group_name)

    def delete_subnet_group(self: Any, subnet_name: str) -> Any:
        users = [db.db_instance_identifier for db in self.databases.values()
                 if getattr(getattr(db, "db_subnet_group", None), "name", None) == subnet_name]
        if users:
            raise RDSClientError("InvalidDBSubnetGroupStateFault",
                                 f"Cannot delete the subnet group '{subnet_name}' because at least one database "
                                 f"instance: {users[0]} is still using it.")
        return original_subnet_group(self, subnet_name)

    RDSBackend.delete_db_parameter_group = delete_db_parameter_group  # type: ignore[method-assign]
    RDSBackend.delete_subnet_group = delete_subnet_group  # type: ignore[method-assign]


def _fix_snapshot_deletion_policy() -> None:
    """DeletionPolicy Snapshot on an AWS::RDS::DBInstance takes a final snapshot before the delete."""
    import random
    import string

    from moto.cloudformation.parsing import ResourceMap
    from moto.rds.models import DBInstance, rds_backends

    _require(ResourceMap, "_delete_resource")
    original = ResourceMap._delete_resource

    def _delete_resource(self: Any, parsed_resource: Any, resource_json: dict[str, Any]) -> None:
        if isinstance(parsed_resource, DBInstance) and resource_json.get("DeletionPolicy") == "Snapshot":
            suffix = "".join(random.choices(string.ascii_lowercase + string.digits, k=12))
            stack_name = str(self._parsed_resources.get("AWS::StackName", "stack"))
            snapshot = f"{stack_name}-{getattr(parsed_resource, 'logical_resource_id', 'db')}-{suffix}".lower()
            rds_backends[self._account_id][self._region_name].delete_db_instance(
                parsed_resource.db_instance_identifier, final_db_snapshot_identifier=snapshot)
            return
        original(self, parsed_resource, resource_json)

    ResourceMap._delete_resource = _delete_resource  # type: ignore[method-assign]



# ------------------------------------------------------------------------------------------------ SNS, SSM, composite


def _clear_model_caches() -> None:
    from moto.cloudformation import parsing

    for cached in (parsing.get_model_list, parsing.get_model_map, parsing.get_name_type_map):
        cached.cache_clear()


def _model_exists(resource_type: str) -> bool:
    from moto.cloudformation import parsing

    _clear_model_caches()
    return resource_type in parsing.get_model_map()


def _fix_sns_subscription_model() -> None:
    from moto.core.common_models import CloudFormationModel
    from moto.sns.exceptions import SNSNotFoundError
    from moto.sns.models import SNSBackend, sns_backends

    _require(SNSBackend, "subscribe", "unsubscribe")
    if _model_exists("AWS::SNS::Subscription"):
        raise NotNeeded("moto models it itself")

    class Subscription(CloudFormationModel):
        """AWS::SNS::Subscription: the subscription lives in moto's SNS; this remembers its ARN."""

        def __init__(self, arn: str) -> None:
            self.arn = arn

        @staticmethod
        def cloudformation_name_type() -> str:
            return ""

        @staticmethod
        def cloudformation_type() -> str:
            return "AWS::SNS::Subscription"

        @classmethod
        def has_cfn_attr(cls, attr: str) -> bool:
            return False

        @property
        def physical_resource_id(self) -> str:
            return self.arn

        def is_created(self) -> bool:
            return True

        @classmethod
        def create_from_cloudformation_json(cls, resource_name: str, cloudformation_json: Any, account_id: str,
                                            region_name: str, **kwargs: Any) -> Subscription:
            p = cloudformation_json["Properties"]
            topic_arn = str(p["TopicArn"])
            backend = sns_backends[account_id][topic_arn.split(":")[3] or region_name]
            return cls(backend.subscribe(topic_arn, str(p["Endpoint"]), str(p["Protocol"])).arn)

        @classmethod
        def update_from_cloudformation_json(cls, original_resource: Any, new_resource_name: str,
                                            cloudformation_json: Any, account_id: str,
                                            region_name: str) -> Subscription:
            original_resource.delete(account_id, region_name)
            return cls.create_from_cloudformation_json(new_resource_name, cloudformation_json, account_id, region_name)

        @classmethod
        def delete_from_cloudformation_json(cls, resource_name: str, cloudformation_json: Any, account_id: str,
                                            region_name: str) -> None:
            cls(resource_name).delete(account_id, region_name)

        def delete(self, account_id: str, region_name: str) -> None:
            with contextlib.suppress(SNSNotFoundError, KeyError):  # gone with its topic
                sns_backends[account_id][self.arn.split(":")[3] or region_name].unsubscribe(self.arn)

    _MODELS.append(Subscription)
    _clear_model_caches()


def _fix_sns_topic_policy_model() -> None:
    from moto.core.common_models import CloudFormationModel
    from moto.sns.exceptions import TopicNotFound
    from moto.sns.models import SNSBackend, Topic, sns_backends

    _require(SNSBackend, "get_topic")
    _require(Topic, "_create_default_topic_policy")
    if _model_exists("AWS::SNS::TopicPolicy"):
        raise NotNeeded("moto models it itself")

    def topic_of(arn: str, account_id: str, region_name: str) -> Any:
        return sns_backends[account_id][arn.split(":")[3] or region_name].get_topic(arn)

    class TopicPolicy(CloudFormationModel):
        """AWS::SNS::TopicPolicy: the policy lives on moto's topics; this remembers which topics."""

        def __init__(self, topics: list[str]) -> None:
            self.topics = topics

        @staticmethod
        def cloudformation_name_type() -> str:
            return ""

        @staticmethod
        def cloudformation_type() -> str:
            return "AWS::SNS::TopicPolicy"

        @classmethod
        def has_cfn_attr(cls, attr: str) -> bool:
            return attr == "Id"

        @property
        def physical_resource_id(self) -> str:
            return ",".join(self.topics)

        def is_created(self) -> bool:
            return True

        @classmethod
        def create_from_cloudformation_json(cls, resource_name: str, cloudformation_json: Any, account_id: str,
                                            region_name: str, **kwargs: Any) -> TopicPolicy:
            p = cloudformation_json["Properties"]
            document = p["PolicyDocument"]
            text = document if isinstance(document, str) else json.dumps(document, separators=(",", ":"))
            topics = [str(t) for t in _as_list(p["Topics"])]
            for arn in topics:
                topic_of(arn, account_id, region_name).policy = text
            return cls(topics)

        @classmethod
        def update_from_cloudformation_json(cls, original_resource: Any, new_resource_name: str,
                                            cloudformation_json: Any, account_id: str,
                                            region_name: str) -> TopicPolicy:
            new = cls.create_from_cloudformation_json(new_resource_name, cloudformation_json, account_id, region_name)
            TopicPolicy([t for t in original_resource.topics if t not in new.topics]).delete(account_id, region_name)
            return new

        @classmethod
        def delete_from_cloudformation_json(cls, resource_name: str, cloudformation_json: Any, account_id: str,
                                            region_name: str) -> None:
            cls(resource_name.split(",")).delete(account_id, region_name)

        def delete(self, account_id: str, region_name: str) -> None:
            for arn in self.topics:
                with contextlib.suppress(TopicNotFound, KeyError, IndexError):  # deleted with its topic
                    topic = topic_of(arn, account_id, region_name)
                    topic._policy_json = topic._create_default_topic_policy(
                        arn.split(":")[3], arn.split(":")[4], arn.split(":")[5])

    _MODELS.append(TopicPolicy)
    _clear_model_caches()


def _fix_composite_alarm_model() -> None:
    from moto.cloudformation.exceptions import UnformattedGetAttTemplateException
    from moto.cloudwatch.models import CloudWatchBackend, cloudwatch_backends
    from moto.core.common_models import CloudFormationModel

    _require(CloudWatchBackend, "put_metric_alarm", "delete_alarms")
    if _model_exists("AWS::CloudWatch::CompositeAlarm"):
        raise NotNeeded("moto models it itself")

    class CompositeAlarm(CloudFormationModel):
        """AWS::CloudWatch::CompositeAlarm: the alarm lives in moto's CloudWatch (a rule instead of a metric)."""

        def __init__(self, name: str, arn: str) -> None:
            self.name, self.arn = name, arn

        @staticmethod
        def cloudformation_name_type() -> str:
            return "AlarmName"

        @staticmethod
        def cloudformation_type() -> str:
            return "AWS::CloudWatch::CompositeAlarm"

        @classmethod
        def has_cfn_attr(cls, attr: str) -> bool:
            return attr == "Arn"

        def get_cfn_attribute(self, attribute_name: str) -> str:
            if attribute_name == "Arn":
                return self.arn
            raise UnformattedGetAttTemplateException()

        @property
        def physical_resource_id(self) -> str:
            return self.name

        def is_created(self) -> bool:
            return True

        @classmethod
        def create_from_cloudformation_json(cls, resource_name: str, cloudformation_json: Any, account_id: str,
                                            region_name: str, **kwargs: Any) -> CompositeAlarm:
            p = cloudformation_json["Properties"]
            # What moto's own PutCompositeAlarm passes: no metric, a rule.
            alarm = cloudwatch_backends[account_id][region_name].put_metric_alarm(
                name=p.get("AlarmName") or resource_name, namespace=None, metric_name=None,  # type: ignore[arg-type]
                comparison_operator=None, evaluation_periods=None, period=None, threshold=None,  # type: ignore[arg-type]
                statistic=None, description=p.get("AlarmDescription"), dimensions=[],  # type: ignore[arg-type]
                alarm_actions=list(p.get("AlarmActions") or []), ok_actions=list(p.get("OKActions") or []),
                insufficient_data_actions=list(p.get("InsufficientDataActions") or []),
                actions_enabled=_bool(p.get("ActionsEnabled", True)), rule=str(p["AlarmRule"]),
                tags=list(p.get("Tags") or []))
            return cls(alarm.name, alarm.alarm_arn)

        @classmethod
        def update_from_cloudformation_json(cls, original_resource: Any, new_resource_name: str,
                                            cloudformation_json: Any, account_id: str,
                                            region_name: str) -> CompositeAlarm:
            new = cls.create_from_cloudformation_json(new_resource_name, cloudformation_json, account_id, region_name)
            if new.name != original_resource.name:
                original_resource.delete(account_id, region_name)
            return new

        @classmethod
        def delete_from_cloudformation_json(cls, resource_name: str, cloudformation_json: Any, account_id: str,
                                            region_name: str) -> None:
            cloudwatch_backends[account_id][region_name].delete_alarms([resource_name])

        def delete(self, account_id: str, region_name: str) -> None:
            cloudwatch_backends[account_id][region_name].delete_alarms([self.name])

    _MODELS.append(CompositeAlarm)
    _clear_model_caches()


def _fix_ssm_parameter_tag_map() -> None:
    from moto.ssm.models import Parameter

    original = Parameter.create_from_cloudformation_json.__func__  # type: ignore[attr-defined]

    def create_from_cloudformation_json(cls: Any, /, resource_name: str, cloudformation_json: Any, account_id: str,
                                        region_name: str, **kwargs: Any) -> Any:
        props = cloudformation_json.get("Properties") or {}
        tags = props.get("Tags")
        if isinstance(tags, dict):
            listed = [{"Key": str(k), "Value": str(v)} for k, v in tags.items()]
            cloudformation_json = {**cloudformation_json, "Properties": {**props, "Tags": listed}}
        return original(cls, resource_name, cloudformation_json, account_id, region_name, **kwargs)

    Parameter.create_from_cloudformation_json = classmethod(create_from_cloudformation_json)  # type: ignore[assignment]


def _fix_sns_topic_tags_and_update() -> None:
    from moto.sns.models import SNSBackend, Topic, sns_backends

    _require(SNSBackend, "create_topic", "tag_resource")
    original_create = Topic.create_from_cloudformation_json.__func__  # type: ignore[attr-defined]

    def create_from_cloudformation_json(cls: Any, /, resource_name: str, cloudformation_json: Any, account_id: str,
                                        region_name: str, **kwargs: Any) -> Any:
        props = dict(cloudformation_json.get("Properties") or {})
        tags = props.pop("Tags", None)
        topic = original_create(cls, resource_name, {**cloudformation_json, "Properties": props}, account_id,
                                region_name, **kwargs)
        if tags:
            sns_backends[account_id][region_name].tag_resource(
                topic.arn, {str(t["Key"]): str(t.get("Value", "")) for t in tags})
        return topic

    def update_from_cloudformation_json(cls: Any, /, original_resource: Any, new_resource_name: str,
                                        cloudformation_json: Any, account_id: str, region_name: str) -> Any:
        props = dict(cloudformation_json.get("Properties") or {})
        wanted_name = props.get("TopicName") or original_resource.name
        if wanted_name != original_resource.name or _bool(props.get("FifoTopic")) != _bool(
                getattr(original_resource, "fifo_topic", False)):
            original_resource.delete(account_id, region_name)
            return create_from_cloudformation_json(cls, new_resource_name, cloudformation_json, account_id,
                                                   region_name)
        backend = sns_backends[account_id][region_name]
        for key in ("DisplayName", "KmsMasterKeyId", "DeliveryPolicy"):
            backend.set_topic_attribute(original_resource.arn, camelcase(key), str(props.get(key) or ""))
        return original_resource

    def camelcase(key: str) -> str:
        return re.sub(r"(?<!^)(?=[A-Z])", "_", key).lower()

    Topic.create_from_cloudformation_json = classmethod(create_from_cloudformation_json)  # type: ignore[assignment]
    Topic.update_from_cloudformation_json = classmethod(update_from_cloudformation_json)  # type: ignore[assignment]


def _fix_kms_key_cloudformation_shape() -> None:
    from moto.kms.models import Key

    original = Key.create_from_cloudformation_json.__func__  # type: ignore[attr-defined]

    def create_from_cloudformation_json(cls: Any, /, resource_name: str, cloudformation_json: Any, account_id: str,
                                        region_name: str, **kwargs: Any) -> Any:
        props = dict(cloudformation_json.get("Properties") or {})
        props["Tags"] = [{"TagKey": str(t["Key"]), "TagValue": str(t.get("Value", ""))}
                         for t in props.get("Tags") or [] if isinstance(t, dict) and "Key" in t]
        if isinstance(props.get("KeyPolicy"), dict):
            props["KeyPolicy"] = json.dumps(props["KeyPolicy"], separators=(",", ":"))
        return original(cls, resource_name, {**cloudformation_json, "Properties": props}, account_id, region_name,
                        **kwargs)

    Key.create_from_cloudformation_json = classmethod(create_from_cloudformation_json)  # type: ignore[assignment]


def _fix_put_composite_alarm() -> None:
    from moto.cloudwatch.responses import CloudWatchResponse

    _require(CloudWatchResponse, "put_metric_alarm")
    if hasattr(CloudWatchResponse, "put_composite_alarm"):
        raise NotNeeded("moto answers PutCompositeAlarm itself")
    CloudWatchResponse.put_composite_alarm = CloudWatchResponse.put_metric_alarm  # type: ignore[attr-defined]


from fuelflow import (  # noqa: E402 - fixes 50-59, 70-79 and 80-89 import NotNeeded from here
    moto_fixes_edge,
    moto_fixes_prowler,
    moto_fixes_web,
)

FIXES: tuple[Fix, ...] = (
    Fix(1, "change sets see and publish exports", _fix_change_sets),
    Fix(2, "Ref to a DB parameter group yields its name", _fix_parameter_group_ref, ("FF-RDS-004",)),
    Fix(3, "DB instances keep security groups, managed secret, log exports, monitoring, protection",
        _fix_db_instance_properties, ("FF-RDS-002", "FF-RDS-005", "FF-RDS-007", "FF-SG-003")),
    Fix(4, "an instance's primary network interface is deleted with it", _fix_primary_nic_delete_on_termination),
    Fix(5, "stack deletes remove route tables, routes, gateways and endpoints", _fix_network_deletes),
    Fix(6, "buckets keep versioning, public access block, ownership, lifecycle and logging", _fix_bucket_properties,
        ("FF-S3-001", "FF-S3-003", "FF-S3-005", "FF-S3-006")),
    Fix(7, "log target buckets are judged by their policy's wildcards", _fix_log_delivery_policy),
    Fix(8, "AWS::S3::BucketPolicy is created", _fix_bucket_policy_model, ("FF-S3-004",)),
    Fix(9, "requests to the emulator count as TLS for bucket policies", _fix_tls_requests, _S3_READS),
    Fix(10, "instances launch from their launch template (IMDSv2, encrypted root, groups, profile)",
        _fix_launch_template_instances, ("FF-EC2-001", "FF-EC2-002")),
    Fix(11, "roles attach their ManagedPolicyArns", _fix_role_managed_policies, ("FF-IAM-001", "FF-IAM-002")),
    Fix(12, "AWS::CloudWatch::Alarm is created", _fix_alarm_model),
    Fix(13, "security groups keep their declared egress rules", _fix_security_group_egress),
    Fix(14, "RunInstances takes a launch template's metadata options, volumes and instance profile",
        _fix_run_instances_from_launch_template, ("FF-EC2-001", "FF-EC2-002")),
    Fix(15, "DB parameters a user set report Source user", _fix_db_parameter_source),
    Fix(16, "a launch template's own tags stay off its data", _fix_launch_template_own_tags),
    Fix(17, "security group rules that reference a group keep their description", _fix_group_rule_description),
    Fix(18, "stack updates evaluate parameters and conditions, replace per the schemas, update in place",
        _fix_stack_updates),
    Fix(19, "update change sets list Add/Modify/Remove with Replacement, Scope and Details", _fix_change_set_changes),
    Fix(20, "a change set whose execution fails rolls the stack back instead of answering 500",
        _fix_failed_execution),
    Fix(21, "stack tags propagate to the stack's resources", _fix_stack_tags),
    Fix(22, "AWS::EC2::SecurityGroupIngress revokes its rule when deleted", _fix_ingress_delete),
    Fix(23, "the YAML short form !Condition is read as a condition reference", _fix_condition_short_form),
    Fix(24, "DB instances keep MaxAllocatedStorage and CACertificateIdentifier", _fix_db_instance_storage_ceiling),
    Fix(25, "bucket policy statements conditioned on aws:PrincipalArn apply only to those principals",
        _fix_principal_conditions),
    Fix(30, "IMPORT change sets adopt existing buckets", _fix_import_change_sets),
    Fix(31, "a stack whose delete fails stays DELETE_FAILED with its resources", _fix_failed_stack_delete),
    Fix(32, "DeletionPolicy Snapshot takes a final DB snapshot", _fix_snapshot_deletion_policy),
    Fix(33, "DB parameter and subnet groups in use cannot be deleted", _fix_rds_groups_in_use),
    Fix(40, "a launch template's tags read back as last tagged", _fix_launch_template_live_tags),
    Fix(41, "a new DB instance gets RDS's default certificate authority", _fix_db_instance_default_ca),
    Fix(50, "Fn::GetAtt answers a load balancer's and a target group's names and zone",
        moto_fixes_web.fix_elbv2_attributes),
    Fix(51, "load balancers and target groups keep their attributes, type and tags",
        moto_fixes_web.fix_elbv2_properties, ("FF-ALB-002", "FF-ALB-003")),
    Fix(52, "target groups and listeners are deleted with their stack", moto_fixes_web.fix_elbv2_deletes),
    Fix(53, "AWS::AutoScaling::ScalingPolicy is created", moto_fixes_web.fix_scaling_policy_model),
    Fix(54, "AWS::CertificateManager::Certificate is created", moto_fixes_web.fix_certificate_model),
    Fix(55, "Auto Scaling groups keep their MetricsCollection", moto_fixes_web.fix_asg_metrics_collection),
    Fix(56, "scaling policies read back Enabled and no empty predictive configuration",
        moto_fixes_web.fix_scaling_policy_read_back),
    Fix(57, "a load balancer created without a Scheme is internet-facing",
        moto_fixes_web.fix_load_balancer_default_scheme),
    Fix(58, "a load balancer with deletion protection on cannot be deleted",
        moto_fixes_web.fix_load_balancer_deletion_protection),
    Fix(60, "AWS::SNS::Subscription is created", _fix_sns_subscription_model),
    Fix(61, "AWS::SNS::TopicPolicy is created", _fix_sns_topic_policy_model),
    Fix(62, "AWS::CloudWatch::CompositeAlarm is created", _fix_composite_alarm_model, ("FF-MON-001", "FF-MON-003")),
    Fix(63, "AWS::SSM::Parameter takes its Tags as a map", _fix_ssm_parameter_tag_map),
    Fix(64, "AWS::SNS::Topic keeps its tags and updates in place", _fix_sns_topic_tags_and_update),
    Fix(65, "AWS::KMS::Key takes CloudFormation's tags and a policy object", _fix_kms_key_cloudformation_shape,
        ("FF-MON-002",)),
    Fix(66, "PutCompositeAlarm answers", _fix_put_composite_alarm,
        ("FF-MON-003",)),
    Fix(70, "DB instances keep and report Performance Insights", moto_fixes_edge.fix_performance_insights),
    Fix(71, "an output whose Condition is false exports nothing", moto_fixes_edge.fix_conditional_exports),
    Fix(72, "AWS::EC2::FlowLog is deleted with its stack", moto_fixes_edge.fix_flow_log_delete),
    Fix(80, "subnets keep MapPublicIpOnLaunch and their route table associations",
        moto_fixes_prowler.fix_subnet_public_ip_and_associations),
    Fix(81, "DB instances answer their enhanced monitoring resource ARN",
        moto_fixes_prowler.fix_enhanced_monitoring_arn),
    Fix(82, "an encrypted DB instance without a key gets RDS's default key; its snapshots are encrypted",
        moto_fixes_prowler.fix_encrypted_instance_default_key),
    Fix(83, "the secret RDS manages for the master password rotates every 7 days",
        moto_fixes_prowler.fix_managed_secret_rotation),
)
