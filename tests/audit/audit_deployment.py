"""Builds an environment's resources on the emulator through boto3, for the audit tests.

Resources are created the way Terraform creates them (API calls), shaped and named as in docs/contract.md.
Every environment gets its own project name, so tests share the emulator without colliding.
"""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Any

import yaml

from fuelflow.audit import Engine, Names, Result, Status, run_audit
from fuelflow.aws import AwsContext
from fuelflow.config import Environment, parse_environment

AMI = "ami-12c6146b"
ADMIN_CIDR = "203.0.113.0/24"


def env_doc(project: str, name: str = "dev", **sections: dict[str, Any]) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "name": name, "project": project, "region": "us-east-1", "tags": {"Owner": "tests"},
        "tier": "production" if name == "prod" else "development",
        "network": {"vpc_cidr": "10.10.0.0/16", "public_subnet_cidrs": ["10.10.0.0/24", "10.10.1.0/24"],
                    "private_subnet_cidrs": ["10.10.10.0/24", "10.10.11.0/24"], "flow_logs": False},
        "ec2": {"instance_type": "t3.micro", "instance_count": 1, "root_volume_size": 20, "admin_ssh_cidrs": []},
        "rds": {"instance_class": "db.t3.micro", "engine_version": "8.0", "allocated_storage": 20,
                "max_allocated_storage": 100, "multi_az": name == "prod", "backup_retention_days": 7,
                "deletion_protection": name == "prod", "monitoring_interval": 60,
                "read_replica": False, "slow_query_seconds": 2},
        "s3": {"log_expiration_days": 90, "noncurrent_version_expiration_days": 30},
        "logs": {"retention_days": 30},
        "web": {"load_balancer": False, "min_size": 1, "desired_capacity": 1, "max_size": 2, "cpu_target": 60,
                "min_healthy_percentage": 50, "health_check_path": "/health.html", "deregistration_delay": 30,
                "stickiness": False, "certificate_arn": "", "domain_name": "", "hosted_zone_id": ""},
        "edge": {"cloudfront": False, "waf": False, "waf_rate_limit": 2000, "dns_record": False},
        "monitoring": {"alarm_emails": [], "web_cpu_percent": 80, "db_cpu_percent": 80, "db_free_storage_mib": 2048,
                       "db_freeable_memory_mib": 64, "db_connections": 60, "alb_5xx_count": 10,
                       "alb_response_time_seconds": 2},
    }
    # Settings the production profile added: dev's values (environments/dev.yaml), unless a test overrides them.
    repo_dev = yaml.safe_load((Path(__file__).resolve().parents[2] / "environments" / "dev.yaml").read_text())
    for section, values in repo_dev.items():
        if isinstance(values, dict) and section != "tags":
            doc[section] = {**values, **doc.get(section, {})}
    for key, values in sections.items():
        doc[key] = {**doc[key], **values}
    return doc


def make_env(name: str = "dev", **sections: dict[str, Any]) -> Environment:
    """A distinct environment per test: a unique project name keeps the shared emulator's resources apart."""
    project = "t" + uuid.uuid4().hex[:12]
    return parse_environment(env_doc(project, name, **sections), Path(f"environments/{name}.yaml"))


def trust(service: str, condition: dict[str, Any] | None = None) -> str:
    statement: dict[str, Any] = {"Effect": "Allow", "Principal": {"Service": service}, "Action": "sts:AssumeRole"}
    if condition:
        statement["Condition"] = condition
    return json.dumps({"Version": "2012-10-17", "Statement": [statement]})


def policy(*statements: dict[str, Any]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


class Deployment:
    """Creates an environment's resources through boto3, compliant unless told otherwise."""

    def __init__(self, aws: AwsContext, env: Environment) -> None:
        self.aws, self.env = aws, env
        self.names = Names(env.project, env.name, aws.account_id(), aws.region)
        self.s3, self.ec2, self.rds, self.iam = (aws.client(s) for s in ("s3", "ec2", "rds", "iam"))
        self.vpc_id = self.ec2.describe_vpcs(Filters=[{"Name": "isDefault", "Values": ["true"]}])["Vpcs"][0]["VpcId"]
        self.web_sg = ""
        self.db_sg = ""

    # -- S3
    def bucket(self, name: str, *, pab: dict[str, bool] | bool | None = True, encryption: bool = True,
               versioning: str | None = "Enabled", tls_policy: dict[str, Any] | bool | None = True,
               ownership: str | None = "BucketOwnerEnforced", lifecycle: bool | None = None,
               abort_multipart: bool = True, extra_statements: list[dict[str, Any]] | None = None) -> str:
        self.s3.create_bucket(Bucket=name)
        if pab:
            flags = dict.fromkeys(("BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy",
                                   "RestrictPublicBuckets"), True)
            self.s3.put_public_access_block(Bucket=name, PublicAccessBlockConfiguration=(
                flags if pab is True else {**flags, **pab}))
        if encryption:
            self.s3.put_bucket_encryption(Bucket=name, ServerSideEncryptionConfiguration={
                "Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}]})
        if versioning:
            self.s3.put_bucket_versioning(Bucket=name, VersioningConfiguration={"Status": versioning})
        if tls_policy:
            arn = f"arn:aws:s3:::{name}"
            statement = tls_policy if isinstance(tls_policy, dict) else {
                "Sid": "DenyInsecureTransport", "Effect": "Deny", "Principal": "*", "Action": "s3:*",
                "Resource": [arn, f"{arn}/*"], "Condition": {"Bool": {"aws:SecureTransport": "false"}}}
            self.s3.put_bucket_policy(Bucket=name, Policy=policy(statement, *(extra_statements or [])))
        elif extra_statements:
            self.s3.put_bucket_policy(Bucket=name, Policy=policy(*extra_statements))
        if ownership:
            self.s3.put_bucket_ownership_controls(Bucket=name, OwnershipControls={
                "Rules": [{"ObjectOwnership": ownership}]})
        rules: list[dict[str, Any]] = []
        if lifecycle is not None:
            rules.append({"ID": "expire-logs", "Status": "Enabled" if lifecycle else "Disabled",
                          "Filter": {"Prefix": ""}, "Expiration": {"Days": self.env.s3.log_expiration_days}})
        if abort_multipart:
            rules.append({"ID": "abort-incomplete-multipart-uploads", "Status": "Enabled", "Filter": {"Prefix": ""},
                          "AbortIncompleteMultipartUpload": {"DaysAfterInitiation": 7}})
        if rules:
            self.s3.put_bucket_lifecycle_configuration(Bucket=name, LifecycleConfiguration={"Rules": rules})
        return name

    def application_denies(self, part: str, *, roles: tuple[str, ...] | None = None) -> list[dict[str, Any]]:
        """The logs/backups bucket policy's Deny statements for the EC2 and Lambda roles (DECISIONS 17.3)."""
        arn = self.names.bucket_arn(self.names.buckets[part])
        named = roles if roles is not None else self.names.application_roles
        who = {"ArnLike": {"aws:PrincipalArn": [self.names.role_arn(r) for r in named]}}
        out = [{"Sid": "DenyApplicationRolesDeleting", "Effect": "Deny", "Principal": "*",
                "Action": ["s3:DeleteObject", "s3:DeleteObjectVersion"], "Resource": f"{arn}/*", "Condition": who}]
        if part == "logs":
            out.append({"Sid": "DenyApplicationRolesOverwritingAccessLogs", "Effect": "Deny", "Principal": "*",
                        "Action": "s3:PutObject", "Resource": [f"{arn}/access-logs/*", f"{arn}/alb/*"],
                        "Condition": who})
        return out

    def buckets(self, **overrides: dict[str, Any]) -> None:
        """The three application buckets as the s3 template makes them; overrides per part."""
        defaults: dict[str, dict[str, Any]] = {
            "app-data": {}, "logs": {"versioning": None, "lifecycle": True,
                                     "extra_statements": self.application_denies("logs")},
            "backups": {"extra_statements": self.application_denies("backups")}}
        for part, name in self.names.buckets.items():
            self.bucket(name, **{**defaults[part], **overrides.get(part, {})})

    def state(self, *, pitr: bool = True, **bucket: Any) -> None:
        self.bucket(self.names.state_bucket, ownership=None, **bucket)
        ddb = self.aws.client("dynamodb")
        ddb.create_table(TableName=self.names.lock_table, BillingMode="PAY_PER_REQUEST",
                         KeySchema=[{"AttributeName": "LockID", "KeyType": "HASH"}],
                         AttributeDefinitions=[{"AttributeName": "LockID", "AttributeType": "S"}])
        if pitr:
            ddb.update_continuous_backups(TableName=self.names.lock_table,
                                          PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": True})

    # -- network
    def endpoint_policy(self) -> dict[str, Any]:
        """The S3 gateway endpoint policy both engines write (DECISIONS 17.1)."""
        n = self.names
        return {"Version": "2012-10-17", "Statement": [
            {"Sid": "ProjectBuckets", "Effect": "Allow", "Principal": "*",
             "Action": ["s3:ListBucket", "s3:GetBucketLocation", "s3:GetObject", "s3:PutObject", "s3:DeleteObject"],
             "Resource": [a for b in n.buckets.values() for a in (n.bucket_arn(b), n.bucket_arn(b) + "/*")],
             "Condition": {"StringEquals": {"aws:PrincipalAccount": n.account}}},
            {"Sid": "AwsOwnedReadOnlyBuckets", "Effect": "Allow", "Principal": "*", "Action": "s3:GetObject",
             "Resource": [n.bucket_arn(b) + "/*" for b in n.aws_read_only_buckets]}]}

    def network(self, *, close_default_sg: bool = True, endpoint: dict[str, Any] | bool | None = True) -> str:
        """The environment's own VPC (tagged as both engines tag it) with its S3 gateway endpoint.
        endpoint: True (the policy both engines write), a policy of the test's, False/None (moto's default
        allow-all policy / no endpoint at all: None)."""
        vpc = self.ec2.create_vpc(CidrBlock="10.10.0.0/16", TagSpecifications=[{"ResourceType": "vpc", "Tags": [
            {"Key": "Project", "Value": self.env.project}, {"Key": "Environment", "Value": self.env.name}]}])
        vpc_id = str(vpc["Vpc"]["VpcId"])
        if close_default_sg:
            group = self.ec2.describe_security_groups(Filters=[{"Name": "vpc-id", "Values": [vpc_id]},
                                                               {"Name": "group-name", "Values": ["default"]}])
            for g in group["SecurityGroups"]:
                if g.get("IpPermissions"):
                    self.ec2.revoke_security_group_ingress(GroupId=g["GroupId"], IpPermissions=g["IpPermissions"])
                if g.get("IpPermissionsEgress"):
                    self.ec2.revoke_security_group_egress(GroupId=g["GroupId"],
                                                          IpPermissions=g["IpPermissionsEgress"])
        if endpoint is not None:
            table = self.ec2.create_route_table(VpcId=vpc_id)["RouteTable"]["RouteTableId"]
            params: dict[str, Any] = {"VpcId": vpc_id, "ServiceName": f"com.amazonaws.{self.aws.region}.s3",
                                      "VpcEndpointType": "Gateway", "RouteTableIds": [table]}
            if endpoint:
                params["PolicyDocument"] = json.dumps(self.endpoint_policy() if endpoint is True else endpoint)
            self.ec2.create_vpc_endpoint(**params)
        return vpc_id

    def security_groups(self, *, web_rules: list[dict[str, Any]] | None = None,
                        db_rules: list[dict[str, Any]] | None = None) -> None:
        self.web_sg = self.ec2.create_security_group(GroupName=self.names.web_sg, Description="web",
                                                     VpcId=self.vpc_id)["GroupId"]
        self.db_sg = self.ec2.create_security_group(GroupName=self.names.db_sg, Description="db",
                                                    VpcId=self.vpc_id)["GroupId"]
        web = web_rules if web_rules is not None else [tcp(80, "0.0.0.0/0"), tcp(443, "0.0.0.0/0")]
        db = db_rules if db_rules is not None else [
            {"IpProtocol": "tcp", "FromPort": 3306, "ToPort": 3306, "UserIdGroupPairs": [{"GroupId": self.web_sg}]}]
        if web:
            self.ec2.authorize_security_group_ingress(GroupId=self.web_sg, IpPermissions=web)
        if db:
            self.ec2.authorize_security_group_ingress(GroupId=self.db_sg, IpPermissions=db)

    # -- RDS
    def database(self, *, require_tls: str | None = "1", **overrides: Any) -> dict[str, Any]:
        group = f"{self.names.project}-mysql80-{self.names.env}"
        if require_tls is not None:
            self.rds.create_db_parameter_group(DBParameterGroupName=group, DBParameterGroupFamily="mysql8.0",
                                               Description="TLS only")
            self.rds.modify_db_parameter_group(DBParameterGroupName=group, Parameters=[{
                "ParameterName": "require_secure_transport", "ParameterValue": require_tls,
                "ApplyMethod": "immediate"}])
        if not self.db_sg:
            self.security_groups()
        params: dict[str, Any] = {
            "DBInstanceIdentifier": self.names.db_instance, "DBInstanceClass": "db.t3.micro", "Engine": "mysql",
            "EngineVersion": "8.0.39", "AllocatedStorage": 20, "DBName": "fuelflow",
            "MasterUsername": "fuelflow_admin", "ManageMasterUserPassword": True, "StorageEncrypted": True,
            "PubliclyAccessible": False, "VpcSecurityGroupIds": [self.db_sg],
            "EnableCloudwatchLogsExports": ["error", "general", "slowquery"],
            "BackupRetentionPeriod": self.env.rds.backup_retention_days,
            "DeletionProtection": self.env.rds.deletion_protection,
        }
        if require_tls is not None:
            params["DBParameterGroupName"] = group
        params.update(overrides)
        params = {k: v for k, v in params.items() if v is not None}
        return dict(self.rds.create_db_instance(**params)["DBInstance"])

    # -- EC2
    def instance_profile(self, name: str | None = None, role: str | None = None) -> str:
        """An instance profile (the contract's, holding the EC2 role, unless told otherwise); its name."""
        name = name or self.names.instance_profile
        role = role or self.names.role("ec2")
        try:
            self.iam.get_role(RoleName=role)
        except self.iam.exceptions.NoSuchEntityException:
            self.iam.create_role(RoleName=role, AssumeRolePolicyDocument=trust("ec2.amazonaws.com"))
        self.iam.create_instance_profile(InstanceProfileName=name)
        self.iam.add_role_to_instance_profile(InstanceProfileName=name, RoleName=role)
        return name

    def instance(self, *, tokens: str = "required", encrypted: bool = True, profile: str | bool = True,
                 **overrides: Any) -> str:
        """profile: True (the contract's instance profile, made if missing), a profile name, or False (none)."""
        if not self.web_sg:
            self.security_groups()
        if profile is True:
            try:
                self.iam.get_instance_profile(InstanceProfileName=self.names.instance_profile)
            except self.iam.exceptions.NoSuchEntityException:
                self.instance_profile()
            profile = self.names.instance_profile
        if profile:
            overrides.setdefault("IamInstanceProfile", {"Name": profile})
        params: dict[str, Any] = {
            "ImageId": AMI, "MinCount": 1, "MaxCount": 1, "InstanceType": "t3.micro",
            "SecurityGroupIds": [self.web_sg], "MetadataOptions": {"HttpTokens": tokens, "HttpEndpoint": "enabled"},
            "BlockDeviceMappings": [{"DeviceName": "/dev/xvda", "Ebs": {"VolumeSize": 20, "Encrypted": encrypted}}],
            "TagSpecifications": [{"ResourceType": "instance", "Tags": [
                {"Key": "Project", "Value": self.env.project}, {"Key": "Environment", "Value": self.env.name}]}],
        }
        params.update(overrides)
        params = {k: v for k, v in params.items() if v is not None}
        return str(self.ec2.run_instances(**params)["Instances"][0]["InstanceId"])

    # -- IAM
    def roles(self, *, ec2_statements: list[dict[str, Any]] | None = None, ec2_managed: tuple[str, ...] = (
              "arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore",), ec2_trust: str | None = None,
              lambda_trust: str | None = None, monitoring_trust: str | None = None) -> None:
        n = self.names
        app, logs, backups = (n.bucket_arn(n.buckets[p]) for p in ("app-data", "logs", "backups"))
        source = {"StringEquals": {"aws:SourceAccount": n.account}}
        ec2_role, monitoring_role, lambda_role = n.roles
        statements = ec2_statements if ec2_statements is not None else [
            {"Sid": "Buckets", "Effect": "Allow", "Action": "s3:ListBucket", "Resource": [app, logs, backups]},
            {"Sid": "AppData", "Effect": "Allow", "Action": ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"],
             "Resource": f"{app}/*"},
            {"Sid": "Backups", "Effect": "Allow", "Action": ["s3:GetObject", "s3:PutObject"],
             "Resource": f"{backups}/*"},
            {"Sid": "OwnLogs", "Effect": "Allow", "Action": "s3:PutObject", "Resource": f"{logs}/app/*"},
            {"Sid": "DbSecret", "Effect": "Allow", "Action": "secretsmanager:GetSecretValue",
             "Resource": f"arn:aws:secretsmanager:us-east-1:{n.account}:secret:rds!db-*"},
            {"Sid": "Logs", "Effect": "Allow", "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
             "Resource": f"arn:aws:logs:us-east-1:{n.account}:log-group:/{n.project}/{n.env}/*"},
            {"Sid": "Metrics", "Effect": "Allow", "Action": ["cloudwatch:PutMetricData", "ec2:DescribeTags"],
             "Resource": "*"},
        ]
        try:
            self.iam.get_role(RoleName=ec2_role)
            self.iam.update_assume_role_policy(RoleName=ec2_role,
                                               PolicyDocument=ec2_trust or trust("ec2.amazonaws.com"))
        except self.iam.exceptions.NoSuchEntityException:
            self.iam.create_role(RoleName=ec2_role, AssumeRolePolicyDocument=ec2_trust or trust("ec2.amazonaws.com"))
        self.iam.put_role_policy(RoleName=ec2_role, PolicyName="app", PolicyDocument=policy(*statements))
        for arn in ec2_managed:
            self.iam.attach_role_policy(RoleName=ec2_role, PolicyArn=arn)
        self.iam.create_role(RoleName=monitoring_role, AssumeRolePolicyDocument=monitoring_trust or trust(
            "monitoring.rds.amazonaws.com", source))
        self.iam.attach_role_policy(RoleName=monitoring_role,
                                    PolicyArn="arn:aws:iam::aws:policy/service-role/AmazonRDSEnhancedMonitoringRole")
        self.iam.create_role(RoleName=lambda_role, AssumeRolePolicyDocument=lambda_trust or trust(
            "lambda.amazonaws.com", source))
        self.iam.attach_role_policy(RoleName=lambda_role,
                                    PolicyArn="arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole")
        self.iam.put_role_policy(RoleName=lambda_role, PolicyName="data", PolicyDocument=policy(
            {"Effect": "Allow", "Action": "s3:GetObject", "Resource": f"{app}/*"}))

    # -- logs
    def log_groups(self, retention: int | None = None, skip: int = 0) -> None:
        logs = self.aws.client("logs")
        for name in self.names.log_groups[skip:]:
            logs.create_log_group(logGroupName=name)
            days = retention if retention is not None else self.env.logs.retention_days
            if days:
                logs.put_retention_policy(logGroupName=name, retentionInDays=days)

    def monitoring(self, *, key: str = "own", cloudwatch_may_use_key: bool = True, ok_actions: bool = True,
                   composite: bool = True, composite_covers_all: bool = True) -> str:
        """The topic, its key, two alarms and the composite, as the monitoring stack/module makes them.
        key: "own" (a customer managed key), "aws" (alias/aws/sns) or "none" (unencrypted)."""
        kms, sns, cw = (self.aws.client(s) for s in ("kms", "sns", "cloudwatch"))
        root = f"arn:aws:iam::{self.names.account}:root"
        statements: list[dict[str, Any]] = [
            {"Sid": "Admin", "Effect": "Allow", "Principal": {"AWS": root}, "Action": "kms:*", "Resource": "*"}]
        if cloudwatch_may_use_key:
            statements.append({"Sid": "CloudWatch", "Effect": "Allow",
                               "Principal": {"Service": "cloudwatch.amazonaws.com"},
                               "Action": ["kms:Decrypt", "kms:GenerateDataKey*"], "Resource": "*"})
        attributes = {}
        if key == "own":
            attributes["KmsMasterKeyId"] = kms.create_key(Policy=policy(*statements))["KeyMetadata"]["Arn"]
        elif key == "aws":
            attributes["KmsMasterKeyId"] = "alias/aws/sns"
        topic = str(sns.create_topic(Name=self.names.alerts_topic, Attributes=attributes)["TopicArn"])
        names = [f"{self.names.alarm_prefix}rds-cpu-high", f"{self.names.alarm_prefix}rds-storage-low"]
        for i, name in enumerate(names):
            cw.put_metric_alarm(AlarmName=name, Namespace="AWS/RDS", MetricName="CPUUtilization",
                                Statistic="Average", Period=300, EvaluationPeriods=2, Threshold=80,
                                Dimensions=[{"Name": "DBInstanceIdentifier", "Value": self.names.db_instance}],
                                ComparisonOperator="GreaterThanThreshold",
                                AlarmActions=[topic], OKActions=[topic] if ok_actions or i == 0 else [])
        if composite:
            rule = " OR ".join(f'ALARM("{n}")' for n in (names if composite_covers_all else names[:1]))
            cw.put_composite_alarm(AlarmName=self.names.unhealthy_alarm, AlarmRule=rule, ActionsEnabled=True,
                                   AlarmActions=[topic], OKActions=[topic])
        return topic

    def everything(self, *, state: bool = True) -> None:
        self.buckets()
        self.network()
        self.security_groups()
        self.database()
        self.roles()
        self.instance()
        self.log_groups()
        self.monitoring()
        if state:
            self.state()


def tcp(port: int, cidr: str) -> dict[str, Any]:
    key, rng = ("Ipv6Ranges", "CidrIpv6") if ":" in cidr else ("IpRanges", "CidrIp")
    return {"IpProtocol": "tcp", "FromPort": port, "ToPort": port, key: [{rng: cidr}]}



def results(dep: Deployment, control_id: str, engine: Engine = "terraform") -> dict[str, Result]:
    """One control's results, by resource name (the resource label for security groups and instances)."""
    report = run_audit(dep.aws, dep.env, engine, only=[control_id])
    assert report.results, f"{control_id} produced no result"
    assert {r.control_id for r in report.results} == {control_id}
    return {r.resource: r for r in report.results}


def statuses(found: dict[str, Result]) -> dict[str, Status]:
    return {k: r.status for k, r in found.items()}


def sg_key(found: dict[str, Result], name: str) -> Result:
    return next(r for k, r in found.items() if k.startswith(name + " ("))
