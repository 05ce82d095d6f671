"""The CloudFormation model: cloudformation/ evaluated for one environment (fuelflow.cfn_eval), with the
placeholder account so that the templates take their real-AWS branch, normalised."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fuelflow.cfn_eval import evaluate_project
from fuelflow.config import load_environment
from fuelflow.parity import normalise as norm
from fuelflow.parity import web
from fuelflow.parity.model import Model


def cloudformation_model(project_dir: Path, env_name: str = "dev") -> Model:
    """The normalised model of cloudformation/*.yaml evaluated for one environment."""
    project_dir = Path(project_dir)
    env = load_environment(project_dir, env_name)
    resources = [norm.Resource("cfn", r.type, r.key, r.properties, r.template, r.policies)
                 for r in evaluate_project(project_dir, env, norm.ACCOUNT_ID).resources()]
    return norm.build(resources, norm.Context(env, norm.ACCOUNT_ID, "cloudformation"), _CFN_BUILDERS)


def _cfn_network(model: Model, by: norm.ByKind, by_sym: norm.BySymbol, of: dict[str, str],
                 ctx: norm.Context) -> None:
    for r in by.get("vpc", []):
        model.put("network.vpc.cidr", r.props.get("CidrBlock"), r.source)
        model.put("network.vpc.dns_support", norm.as_bool(r.props.get("EnableDnsSupport", True)), r.source)
        model.put("network.vpc.dns_hostnames", norm.as_bool(r.props.get("EnableDnsHostnames", False)), r.source)
    attachments = [r for r in norm.every(by)
                   if r.type == "AWS::EC2::VPCGatewayAttachment" and r.props.get("InternetGatewayId")]
    for r in by.get("igw", []):
        model.put("network.internet_gateway.attached", bool(attachments), r.source)
    for r in by.get("nat", []):
        model.add("network.nat_gateways", of[r.key], r.source)
    for r in by.get("subnet", []):
        base = f"network.subnets[{r.props.get('CidrBlock')}]"
        model.put(f"{base}.availability_zone", r.props.get("AvailabilityZone"), r.source)
        model.put(f"{base}.public_ip_on_launch", norm.as_bool(r.props.get("MapPublicIpOnLaunch", False)), r.source)
    for r in by.get("route-table", []):
        model.put(f"network.route_tables[{norm.symbol_key(of[r.key])}].routes", frozenset(), r.source)
    for r in by.get("route", []):
        target = next((str(r.props[k]) for k in ("GatewayId", "NatGatewayId", "InstanceId", "NetworkInterfaceId",
                                                  "TransitGatewayId", "VpcPeeringConnectionId", "VpcEndpointId")
                       if r.props.get(k)), "?")
        dest = r.props.get("DestinationCidrBlock") or r.props.get("DestinationIpv6CidrBlock")
        table = norm.symbol_key(r.props.get("RouteTableId"))
        model.add(f"network.route_tables[{table}].routes", f"{dest} -> {target}", r.source)
    for r in by.get("flow-log", []):
        p = r.props
        norm.put_flow_log(model, r.source, p.get("ResourceId"), {
            "resource_type": p.get("ResourceType"), "traffic": p.get("TrafficType"),
            "destination_type": p.get("LogDestinationType", "cloud-watch-logs"),
            "log_group": norm.log_group_ref(p.get("LogGroupName") or p.get("LogDestination")),
            "role": p.get("DeliverLogsPermissionArn"), "max_aggregation_interval": p.get("MaxAggregationInterval", 600),
            "log_format": p.get("LogFormat")})
    for r in by.get("vpc-endpoint", []):
        base = f"network.endpoints[{r.props.get('ServiceName')}]"
        model.put(f"{base}.type", r.props.get("VpcEndpointType", "Gateway"), r.source)
        model.put(f"{base}.route_tables", sorted(map(str, norm.as_list(r.props.get("RouteTableIds")))), r.source)
        model.put(f"{base}.subnets", sorted(map(str, norm.as_list(r.props.get("SubnetIds")))), r.source)
        if r.props.get("PolicyDocument"):
            model.put(f"{base}.policy", frozenset(norm.statements(r.props["PolicyDocument"], True)), r.source)


def _cfn_buckets(model: Model, by: norm.ByKind, by_sym: norm.BySymbol, of: dict[str, str],
                 ctx: norm.Context) -> None:
    for r in by.get("bucket", []):
        base = f"buckets.{of[r.key].split(':', 1)[1]}"
        p = r.props
        rules = norm.as_list(p.get("BucketEncryption", {}).get("ServerSideEncryptionConfiguration"))
        sse = norm.first_block(rules).get("ServerSideEncryptionByDefault", {})
        model.put(f"{base}.encryption.algorithm", sse.get("SSEAlgorithm"), r.source)
        model.put(f"{base}.encryption.kms_key", sse.get("KMSMasterKeyID"), r.source)
        bucket_key = norm.as_bool(norm.first_block(rules).get("BucketKeyEnabled"))
        model.put(f"{base}.encryption.bucket_key", bucket_key, r.source)
        model.put(f"{base}.versioning", p.get("VersioningConfiguration", {}).get("Status", "Disabled"), r.source)
        pab = p.get("PublicAccessBlockConfiguration", {})
        for cfn_key, key in (("BlockPublicAcls", "block_public_acls"), ("BlockPublicPolicy", "block_public_policy"),
                             ("IgnorePublicAcls", "ignore_public_acls"),
                             ("RestrictPublicBuckets", "restrict_public_buckets")):
            model.put(f"{base}.public_access_block.{key}", norm.as_bool(pab.get(cfn_key, False)), r.source)
        ownership = norm.first_block(p.get("OwnershipControls", {}).get("Rules")).get("ObjectOwnership")
        model.put(f"{base}.ownership", ownership, r.source)
        log = p.get("LoggingConfiguration")
        model.put(f"{base}.logging.target", (log or {}).get("DestinationBucketName"), r.source)
        model.put(f"{base}.logging.prefix", (log or {}).get("LogFilePrefix"), r.source)
        model.put(f"{base}.lifecycle", frozenset(), r.source)
        for rule in norm.as_list(p.get("LifecycleConfiguration", {}).get("Rules")):
            for action in _cfn_lifecycle(rule):
                model.add(f"{base}.lifecycle", action, r.source)
        model.put(f"{base}.policy", frozenset(), r.source)
    for r in by.get("bucket-policy", []):
        bucket = str(r.props.get("Bucket", "?")).split(":", 1)[-1]
        for st in norm.statements(r.props.get("PolicyDocument"), True):
            model.add(f"buckets.{bucket}.policy", st, r.source)


def _cfn_lifecycle(rule: dict[str, Any]) -> list[str]:
    filt = norm.lifecycle_filter(rule.get("Prefix"), rule.get("TagFilters"), rule.get("ObjectSizeGreaterThan"),
                             rule.get("ObjectSizeLessThan"))
    status = rule.get("Status")
    out = []
    if rule.get("ExpirationInDays") is not None:
        out.append(norm.lifecycle_action("expire", f"after {norm.num(rule['ExpirationInDays'])} days", filt, status))
    if rule.get("ExpirationDate") is not None:
        out.append(norm.lifecycle_action("expire", f"on {rule['ExpirationDate']}", filt, status))
    if norm.as_bool(rule.get("ExpiredObjectDeleteMarker")) is True:
        out.append(norm.lifecycle_action("remove", "expired delete markers", filt, status))
    nve = rule.get("NoncurrentVersionExpiration") or {}
    days = nve.get("NoncurrentDays", rule.get("NoncurrentVersionExpirationInDays"))
    if days is not None:
        keep = f", keep {norm.num(nve['NewerNoncurrentVersions'])}" if nve.get("NewerNoncurrentVersions") else ""
        out.append(norm.lifecycle_action("expire noncurrent versions", f"after {norm.num(days)} days{keep}", filt,
                                         status))
    abort = rule.get("AbortIncompleteMultipartUpload") or {}
    if abort.get("DaysAfterInitiation") is not None:
        out.append(norm.lifecycle_action("abort incomplete multipart uploads",
                                     f"after {norm.num(abort['DaysAfterInitiation'])} days", filt, status))
    for t in norm.as_list(rule.get("Transitions")):
        out.append(norm.lifecycle_action("transition", f"to {t.get('StorageClass')} after "
                                     f"{norm.num(t.get('TransitionInDays'))} days", filt, status))
    for t in norm.as_list(rule.get("NoncurrentVersionTransitions")):
        out.append(norm.lifecycle_action("transition noncurrent versions", f"to {t.get('StorageClass')} after "
                                     f"{norm.num(t.get('TransitionInDays'))} days", filt, status))
    return out


def _cfn_security_groups(model: Model, by: norm.ByKind, by_sym: norm.BySymbol, of: dict[str, str],
                         ctx: norm.Context) -> None:
    def peer(rule: dict[str, Any], direction: str) -> str:
        keys = (("CidrIp", "CidrIpv6", "SourceSecurityGroupId", "SourcePrefixListId", "SourceSecurityGroupName")
                if direction == "ingress" else
                ("CidrIp", "CidrIpv6", "DestinationSecurityGroupId", "DestinationPrefixListId"))
        return next((str(rule[k]) for k in keys if rule.get(k)), "?")

    for r in by.get("sg", []):
        base = f"security_groups.{of[r.key].split(':', 1)[1]}"
        model.put(f"{base}.rules", frozenset(), r.source)
        model.put(f"{base}.vpc", r.props.get("VpcId"), r.source)
        for rule in norm.as_list(r.props.get("SecurityGroupIngress")):
            model.add(f"{base}.rules", norm.rule_line("ingress", rule.get("IpProtocol"), rule.get("FromPort"),
                                             rule.get("ToPort"), peer(rule, "ingress")), r.source)
        egress = r.props.get("SecurityGroupEgress")
        if egress is None:  # CloudFormation keeps AWS's default allow-all egress rule
            model.add(f"{base}.rules", norm.rule_line("egress", "-1", None, None, "0.0.0.0/0"), r.source)
        for rule in norm.as_list(egress):
            if norm.is_no_egress_sentinel(rule.get("IpProtocol"), rule.get("FromPort"), rule.get("ToPort"),
                                      rule.get("CidrIp")):
                continue
            model.add(f"{base}.rules", norm.rule_line("egress", rule.get("IpProtocol"), rule.get("FromPort"),
                                             rule.get("ToPort"), peer(rule, "egress")), r.source)
    for kind, direction in (("sg-ingress", "ingress"), ("sg-egress", "egress")):
        for r in by.get(kind, []):
            group = str(r.props.get("GroupId", "?")).split(":", 1)[-1]
            model.add(f"security_groups.{group}.rules", norm.rule_line(direction, r.props.get("IpProtocol"),
                                                              r.props.get("FromPort"), r.props.get("ToPort"),
                                                              peer(r.props, direction)), r.source)


def _cfn_iam(model: Model, by: norm.ByKind, by_sym: norm.BySymbol, of: dict[str, str],
             ctx: norm.Context) -> None:
    for r in by.get("role", []):
        base = f"iam.roles.{of[r.key].split(':', 1)[1]}"
        model.put(f"{base}.trust", frozenset(norm.statements(r.props.get("AssumeRolePolicyDocument"), True)), r.source)
        model.put(f"{base}.managed_policies", frozenset(), r.source)
        model.put(f"{base}.permissions", frozenset(), r.source)
        model.put(f"{base}.path", r.props.get("Path", "/"), r.source)
        model.put(f"{base}.permissions_boundary", r.props.get("PermissionsBoundary"), r.source)
        model.put(f"{base}.max_session_duration", norm.num(r.props.get("MaxSessionDuration", 3600)), r.source)
        for arn in norm.as_list(r.props.get("ManagedPolicyArns")):
            if str(arn).startswith(("arn:policy:", "policy:")):
                policy = by_sym.get(str(arn).removeprefix("arn:"))
                if policy is not None:
                    for st in norm.statements(policy.props.get("PolicyDocument"), False):
                        model.add(f"{base}.permissions", st, policy.source)
                    continue
            model.add(f"{base}.managed_policies", str(arn), r.source)
        for pol in norm.as_list(r.props.get("Policies")):
            for st in norm.statements(pol.get("PolicyDocument"), False):
                model.add(f"{base}.permissions", st, r.source)
    for r in by.get("policy", []):
        for role in norm.as_list(r.props.get("Roles")):
            for st in norm.statements(r.props.get("PolicyDocument"), False):
                model.add(f"iam.roles.{str(role).split(':', 1)[-1]}.permissions", st, r.source)
    for r in by.get("instance-profile", []):
        base = f"iam.instance_profiles.{of[r.key].split(':', 1)[1]}"
        model.put(f"{base}.roles", sorted(map(str, norm.as_list(r.props.get("Roles")))), r.source)


def _cfn_ec2(model: Model, by: norm.ByKind, by_sym: norm.BySymbol, of: dict[str, str],
             ctx: norm.Context) -> None:
    lts: dict[str, dict[str, Any]] = {}
    for r in by.get("launch-template", []):
        sym = of[r.key]
        d = r.props.get("LaunchTemplateData", {})
        profile = d.get("IamInstanceProfile", {})
        meta = d.get("MetadataOptions", {})
        settings: dict[str, Any] = {
            "instance_type": d.get("InstanceType"),
            "image": d.get("ImageId"),
            "instance_profile": norm.strip_arn(profile.get("Arn") or profile.get("Name")),
            "security_groups": sorted(map(str, norm.as_list(d.get("SecurityGroupIds")))),
            "metadata.http_endpoint": meta.get("HttpEndpoint", "enabled"),
            "metadata.http_tokens": meta.get("HttpTokens", "optional"),
            "metadata.hop_limit": norm.num(meta.get("HttpPutResponseHopLimit", 1)),
            "metadata.instance_tags": meta.get("InstanceMetadataTags", "disabled"),
            "detailed_monitoring": norm.as_bool(d.get("Monitoring", {}).get("Enabled", False)),
            "key_pair": d.get("KeyName"),
        }
        for bdm in norm.as_list(d.get("BlockDeviceMappings")):
            ebs = bdm.get("Ebs", {})
            dev = f"volumes.{bdm.get('DeviceName')}"
            settings[f"{dev}.type"] = ebs.get("VolumeType")
            settings[f"{dev}.size"] = norm.num(ebs.get("VolumeSize"))
            settings[f"{dev}.encrypted"] = norm.as_bool(ebs.get("Encrypted", False))
            settings[f"{dev}.kms_key"] = ebs.get("KmsKeyId")
            settings[f"{dev}.delete_on_termination"] = norm.as_bool(ebs.get("DeleteOnTermination", True))
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


def _cfn_rds(model: Model, by: norm.ByKind, by_sym: norm.BySymbol, of: dict[str, str],
             ctx: norm.Context) -> None:
    for r in by.get("db", []):
        p = r.props
        base = f"rds.{of[r.key].split(':', 1)[1]}"
        settings = {
            "engine": p.get("Engine"), "engine_version": p.get("EngineVersion"),
            "instance_class": p.get("DBInstanceClass"), "db_name": p.get("DBName"),
            "master_username": p.get("MasterUsername"),
            "manage_master_password": norm.as_bool(p.get("ManageMasterUserPassword", False)),
            "port": norm.num(p.get("Port")), "storage_type": p.get("StorageType"),
            "allocated_storage": norm.num(p.get("AllocatedStorage")),
            "max_allocated_storage": norm.num(p.get("MaxAllocatedStorage")),
            "storage_encrypted": norm.as_bool(p.get("StorageEncrypted")), "kms_key": p.get("KmsKeyId"),
            "multi_az": norm.as_bool(p.get("MultiAZ")),
            "publicly_accessible": norm.as_bool(p.get("PubliclyAccessible")),
            "backup_retention_days": norm.num(p.get("BackupRetentionPeriod", 1)),
            "deletion_protection": norm.as_bool(p.get("DeletionProtection")),
            "final_snapshot_on_delete": r.extra.get("DeletionPolicy", "Snapshot") == "Snapshot",
            "copy_tags_to_snapshot": norm.as_bool(p.get("CopyTagsToSnapshot")),
            "auto_minor_version_upgrade": norm.as_bool(p.get("AutoMinorVersionUpgrade")),
            "iam_auth": norm.as_bool(p.get("EnableIAMDatabaseAuthentication")),
            "ca_certificate": p.get("CACertificateIdentifier"),
            "log_exports": sorted(map(str, norm.as_list(p.get("EnableCloudwatchLogsExports")))),
            "monitoring_interval": norm.num(p.get("MonitoringInterval")),
            "monitoring_role": p.get("MonitoringRoleArn"),
            "performance_insights": norm.as_bool(p.get("EnablePerformanceInsights")),
            "security_groups": sorted(map(str, norm.as_list(p.get("VPCSecurityGroups")))),
            "replica_of": ctx.core(p["SourceDBInstanceIdentifier"]) if p.get("SourceDBInstanceIdentifier") else None,
        }
        if settings["performance_insights"]:
            settings["performance_insights_retention"] = norm.num(p.get("PerformanceInsightsRetentionPeriod", 7))
        group = by_sym.get(str(p.get("DBSubnetGroupName")))
        settings["subnets"] = sorted(map(str, norm.as_list(group.props.get("SubnetIds")))) if group else None
        params = by_sym.get(str(p.get("DBParameterGroupName")))
        settings["parameter_group.family"] = params.props.get("Family") if params else None
        norm.put_db(model, base, settings, r.source)
        if params:
            for name, value in (params.props.get("Parameters") or {}).items():
                model.put(f"{base}.parameters.{name}", str(value), params.source)


def _cfn_logs(model: Model, by: norm.ByKind, by_sym: norm.BySymbol, of: dict[str, str],
              ctx: norm.Context) -> None:
    for r in by.get("log-group", []):
        base = f"logs.log_groups[{r.props.get('LogGroupName')}]"
        model.put(f"{base}.retention_days", norm.num(r.props.get("RetentionInDays")), r.source)
        model.put(f"{base}.kms_key", r.props.get("KmsKeyId"), r.source)
    for r in by.get("alarm", []):
        p = r.props
        math = None
        if p.get("Metrics"):
            math = []
            for q in norm.as_list(p["Metrics"]):
                stat = q.get("MetricStat") or {}
                metric = stat.get("Metric") or {}
                math.append({"id": q.get("Id"), "expression": q.get("Expression"),
                             "return_data": norm.as_bool(q.get("ReturnData", True)),
                             "namespace": metric.get("Namespace"), "metric": metric.get("MetricName"),
                             "statistic": stat.get("Stat"), "period": norm.num(stat.get("Period")),
                             "dimensions": {d.get("Name"): d.get("Value")
                                            for d in norm.as_list(metric.get("Dimensions"))}})
        norm.put_alarm(model, str(p.get("AlarmName")), r.source, {
            "namespace": p.get("Namespace"), "metric": p.get("MetricName"),
            "statistic": p.get("Statistic") or p.get("ExtendedStatistic"), "period": norm.num(p.get("Period")),
            "evaluation_periods": norm.num(p.get("EvaluationPeriods")),
            "datapoints_to_alarm": norm.num(p.get("DatapointsToAlarm", p.get("EvaluationPeriods"))),
            "threshold": p.get("Threshold"), "comparison": p.get("ComparisonOperator"),
            "treat_missing_data": p.get("TreatMissingData", "missing"),
            "dimensions": {d.get("Name"): d.get("Value") for d in norm.as_list(p.get("Dimensions"))},
            "actions": sorted(map(str, norm.as_list(p.get("AlarmActions")))),
            "ok_actions": sorted(map(str, norm.as_list(p.get("OKActions")))),
            "actions_enabled": norm.as_bool(p.get("ActionsEnabled", True)),
            "description": p.get("AlarmDescription"), "math": math,
        })


_CFN_FIELDS = {
    "kms-key": {"description": "Description", "rotation": "EnableKeyRotation", "deletion_window": "PendingWindowInDays",
                "policy": "KeyPolicy"},
    "kms-alias": {"name": "AliasName", "target": "TargetKeyId"},
    "topic": {"display_name": "DisplayName", "kms_key": "KmsMasterKeyId"},
    "topic-policy": {"topics": "Topics", "policy": "PolicyDocument"},
    "subscription": {"topic": "TopicArn", "protocol": "Protocol", "endpoint": "Endpoint"},
    "composite-alarm": {"name": "AlarmName", "description": "AlarmDescription", "rule": "AlarmRule",
                        "actions_enabled": "ActionsEnabled", "actions": "AlarmActions", "ok_actions": "OKActions"},
    "dashboard": {"name": "DashboardName", "body": "DashboardBody"},
    "ssm-parameter": {"name": "Name", "type": "Type", "tier": "Tier", "description": "Description", "value": "Value"},
}


def _cfn_monitoring(model: Model, by: norm.ByKind, by_sym: norm.BySymbol, of: dict[str, str],
                    ctx: norm.Context) -> None:
    norm.put_monitoring(model, by, of, ctx, _CFN_FIELDS)


_CFN_BUILDERS: list[norm.Builder] = [_cfn_network, _cfn_buckets, _cfn_security_groups, _cfn_iam, _cfn_ec2, _cfn_rds,
                                _cfn_logs, _cfn_monitoring, web.cfn_web]
