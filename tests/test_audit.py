"""`fuelflow audit` against the embedded emulator: for every control a compliant and a non-compliant resource.

Resources are created through boto3 the way Terraform creates them (API calls), shaped and named as in
docs/contract.md. Every test uses its own project name, so tests share the emulator without colliding.
Where moto cannot express a state, the test asserts "not checked" and says why.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import botocore.client
import botocore.exceptions
import pytest
import yaml
from botocore.parsers import ResponseParserError

from fuelflow import audit
from fuelflow.audit import CONTROLS, AuditContext, Engine, Names, ReadOnlyViolation, Result, Status, run_audit
from fuelflow.aws import AwsContext, Target, connect
from fuelflow.cli import main
from fuelflow.config import Environment, parse_environment
from fuelflow.emulator import Emulator
from fuelflow.errors import InputError

pytestmark = pytest.mark.emulator

AMI = "ami-12c6146b"
ADMIN_CIDR = "203.0.113.0/24"


def env_doc(project: str, name: str = "dev", **sections: dict[str, Any]) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "name": name, "project": project, "region": "us-east-1", "tags": {"Owner": "tests"},
        "network": {"vpc_cidr": "10.10.0.0/16", "public_subnet_cidrs": ["10.10.0.0/24", "10.10.1.0/24"],
                    "private_subnet_cidrs": ["10.10.10.0/24", "10.10.11.0/24"]},
        "ec2": {"instance_type": "t3.micro", "instance_count": 1, "root_volume_size": 20, "admin_ssh_cidrs": []},
        "rds": {"instance_class": "db.t3.micro", "engine_version": "8.0", "allocated_storage": 20,
                "max_allocated_storage": 100, "multi_az": name == "prod", "backup_retention_days": 7,
                "deletion_protection": name == "prod", "monitoring_interval": 60},
        "s3": {"log_expiration_days": 90, "noncurrent_version_expiration_days": 30},
        "logs": {"retention_days": 30},
    }
    for key, values in sections.items():
        doc[key] = {**doc[key], **values}
    return doc


def make_env(name: str = "dev", **sections: dict[str, Any]) -> Environment:
    """A distinct environment per test: a unique project name keeps the shared emulator's resources apart."""
    project = "t" + uuid.uuid4().hex[:12]
    return parse_environment(env_doc(project, name, **sections), Path(f"environments/{name}.yaml"))


def trust(service: str) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"Service": service}, "Action": "sts:AssumeRole"}]})


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
               ownership: str | None = "BucketOwnerEnforced", lifecycle: bool | None = None) -> str:
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
            self.s3.put_bucket_policy(Bucket=name, Policy=policy(statement))
        if ownership:
            self.s3.put_bucket_ownership_controls(Bucket=name, OwnershipControls={
                "Rules": [{"ObjectOwnership": ownership}]})
        if lifecycle is not None:
            self.s3.put_bucket_lifecycle_configuration(Bucket=name, LifecycleConfiguration={"Rules": [{
                "ID": "expire-logs", "Status": "Enabled" if lifecycle else "Disabled", "Filter": {"Prefix": ""},
                "Expiration": {"Days": self.env.s3.log_expiration_days}}]})
        return name

    def buckets(self, **overrides: dict[str, Any]) -> None:
        """The three application buckets as the s3 template makes them; overrides per part."""
        defaults: dict[str, dict[str, Any]] = {"app-data": {}, "logs": {"versioning": None, "lifecycle": True},
                                               "backups": {}}
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
    def instance(self, *, tokens: str = "required", encrypted: bool = True, **overrides: Any) -> str:
        if not self.web_sg:
            self.security_groups()
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
              "arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore",), ec2_trust: str | None = None) -> None:
        n = self.names
        app, backups = (n.bucket_arn(n.buckets[p]) for p in ("app-data", "backups"))
        ec2_role, monitoring_role, lambda_role = n.roles
        statements = ec2_statements if ec2_statements is not None else [
            {"Sid": "Buckets", "Effect": "Allow", "Action": "s3:ListBucket", "Resource": [app, backups]},
            {"Sid": "Objects", "Effect": "Allow", "Action": ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"],
             "Resource": [f"{app}/*", f"{backups}/*"]},
            {"Sid": "DbSecret", "Effect": "Allow", "Action": "secretsmanager:GetSecretValue",
             "Resource": f"arn:aws:secretsmanager:us-east-1:{n.account}:secret:rds!db-*"},
            {"Sid": "Logs", "Effect": "Allow", "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
             "Resource": f"arn:aws:logs:us-east-1:{n.account}:log-group:/{n.project}/{n.env}/*"},
            {"Sid": "Metrics", "Effect": "Allow", "Action": ["cloudwatch:PutMetricData", "ec2:DescribeTags"],
             "Resource": "*"},
        ]
        self.iam.create_role(RoleName=ec2_role, AssumeRolePolicyDocument=ec2_trust or trust("ec2.amazonaws.com"))
        self.iam.put_role_policy(RoleName=ec2_role, PolicyName="app", PolicyDocument=policy(*statements))
        for arn in ec2_managed:
            self.iam.attach_role_policy(RoleName=ec2_role, PolicyArn=arn)
        self.iam.create_role(RoleName=monitoring_role, AssumeRolePolicyDocument=trust("monitoring.rds.amazonaws.com"))
        self.iam.attach_role_policy(RoleName=monitoring_role,
                                    PolicyArn="arn:aws:iam::aws:policy/service-role/AmazonRDSEnhancedMonitoringRole")
        self.iam.create_role(RoleName=lambda_role, AssumeRolePolicyDocument=trust("lambda.amazonaws.com"))
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

    def everything(self, *, state: bool = True) -> None:
        self.buckets()
        self.security_groups()
        self.database()
        self.instance()
        self.roles()
        self.log_groups()
        if state:
            self.state()


def tcp(port: int, cidr: str) -> dict[str, Any]:
    key, rng = ("Ipv6Ranges", "CidrIpv6") if ":" in cidr else ("IpRanges", "CidrIp")
    return {"IpProtocol": "tcp", "FromPort": port, "ToPort": port, key: [{rng: cidr}]}


@pytest.fixture(scope="module")
def aws(emulator: Emulator) -> AwsContext:
    """One AwsContext for the module (overrides conftest's per-test one): building boto3 clients costs
    about a second per test otherwise. Tests stay apart through their unique project names."""
    return connect(Target(kind="local", endpoint_url=emulator.endpoint_url), "us-east-1")


@pytest.fixture
def dep(aws: AwsContext) -> Deployment:
    return Deployment(aws, make_env())


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


# ============================================================================================ the registry


def test_every_control_is_described_and_mapped() -> None:
    ids = [c.id for c in CONTROLS]
    assert len(ids) == len(set(ids))
    for c in CONTROLS:
        assert c.id.startswith("FF-") and c.title and c.proves and c.why
        assert c.severity in ("critical", "high", "medium", "low")
        assert all(x.startswith(("CKV_AWS_", "CKV2_AWS_")) for x in c.checkov)


@pytest.mark.parametrize("item", [
    "All S3 buckets block public access", "S3 encryption at rest enabled", "RDS encryption at rest enabled",
    "Database passwords in Secrets Manager", "IAM roles with least privilege",
    "Security groups with minimal required access", "Terraform state encryption enabled",
    "Versioning enabled for critical buckets", "CloudWatch logs export enabled", "Automated backups configured",
    "IMDSv2 required", "no SSH from the internet", "TLS-only bucket policy", "RDS is private", "TLS required",
    "deletion protection", "LockID table", "no * actions on * resources", "only from the web tier",
])
def test_every_promise_has_a_control(item: str) -> None:
    """The architecture checklist and DECISIONS.md section 5, item by item."""
    assert any(item.lower() in c.proves.lower() for c in CONTROLS), item


# ============================================================================================ S3


def test_s3_public_access_block(dep: Deployment) -> None:
    n = dep.names.buckets
    dep.buckets(logs={"pab": {"BlockPublicPolicy": False}}, backups={"pab": None})
    found = results(dep, "FF-S3-001")
    assert found[n["app-data"]].status is Status.PASSED
    assert found[n["logs"]].status is Status.FAILED and "BlockPublicPolicy" in found[n["logs"]].detail
    assert found[n["backups"]].status is Status.FAILED and "no public access block" in found[n["backups"]].detail
    assert found[n["app-data"]].arn == f"arn:aws:s3:::{n['app-data']}"


def test_s3_missing_bucket_is_a_finding(dep: Deployment) -> None:
    n = dep.names.buckets
    dep.bucket(n["app-data"])
    found = results(dep, "FF-S3-001")
    assert found[n["logs"]].status is Status.FAILED and found[n["logs"]].detail == "bucket not found"


def test_s3_encryption(dep: Deployment) -> None:
    # On AWS every bucket has had SSE-S3 by default since 2023, so only the emulator can express the
    # non-compliant state; the check still has to flag it.
    n = dep.names.buckets
    dep.buckets(backups={"encryption": False})
    found = results(dep, "FF-S3-002")
    assert found[n["app-data"]].status is Status.PASSED and "AES256" in found[n["app-data"]].detail
    assert found[n["backups"]].status is Status.FAILED


def test_s3_versioning(dep: Deployment) -> None:
    n = dep.names.buckets
    dep.buckets(backups={"versioning": "Suspended"})
    found = results(dep, "FF-S3-003")
    assert set(found) == {n["app-data"], n["backups"]}  # the logs bucket is not versioned on purpose
    assert found[n["app-data"]].status is Status.PASSED
    assert found[n["backups"]].status is Status.FAILED and "suspended" in found[n["backups"]].detail


def test_s3_versioning_never_enabled(dep: Deployment) -> None:
    n = dep.names.buckets
    dep.buckets(**{"app-data": {"versioning": None}})
    assert results(dep, "FF-S3-003")[n["app-data"]].status is Status.FAILED


def test_s3_tls_only_policy(dep: Deployment) -> None:
    n = dep.names.buckets
    logs_arn = f"arn:aws:s3:::{n['logs']}"
    objects_only = {"Effect": "Deny", "Principal": "*", "Action": "s3:*", "Resource": f"{logs_arn}",
                    "Condition": {"Bool": {"aws:SecureTransport": "false"}}}
    dep.buckets(logs={"tls_policy": objects_only}, backups={"tls_policy": None})
    found = results(dep, "FF-S3-004")
    assert found[n["app-data"]].status is Status.PASSED
    assert found[n["logs"]].status is Status.FAILED  # denies on the bucket but not on its objects
    assert found[n["backups"]].status is Status.FAILED and "no bucket policy" in found[n["backups"]].detail


def test_s3_ownership(dep: Deployment) -> None:
    n = dep.names.buckets
    dep.buckets(logs={"ownership": "ObjectWriter"}, backups={"ownership": None})
    found = results(dep, "FF-S3-005")
    assert found[n["app-data"]].status is Status.PASSED
    assert found[n["logs"]].status is Status.FAILED and "ObjectWriter" in found[n["logs"]].detail
    assert found[n["backups"]].status is Status.FAILED


@pytest.mark.parametrize(("lifecycle", "expected"), [(True, Status.PASSED), (False, Status.FAILED),
                                                     (None, Status.FAILED)])
def test_s3_logs_lifecycle(dep: Deployment, lifecycle: bool | None, expected: Status) -> None:
    dep.buckets(logs={"lifecycle": lifecycle})
    found = results(dep, "FF-S3-006")
    assert statuses(found) == {dep.names.buckets["logs"]: expected}


def test_missing_bucket_settings_are_findings_whichever_engine_deployed(dep: Deployment) -> None:
    """The embedded emulator models PublicAccessBlock, versioning, bucket policies, ownership and lifecycle
    for CloudFormation too (fuelflow.moto_fixes), so a missing setting is a finding under either engine."""
    n = dep.names.buckets
    bare: dict[str, Any] = {"pab": None, "versioning": None, "tls_policy": None, "ownership": None,
                            "lifecycle": None}
    dep.buckets(**{"app-data": bare, "logs": bare, "backups": {"versioning": "Suspended"}})
    for engine in ("cloudformation", "terraform"):
        report = run_audit(dep.aws, dep.env, engine,
                           only=["FF-S3-001", "FF-S3-003", "FF-S3-004", "FF-S3-005", "FF-S3-006"])
        app = [r for r in report.results if r.resource == n["app-data"]]
        assert app and all(r.status is Status.FAILED for r in app), engine
        backups = next(r for r in report.results if r.resource == n["backups"] and r.control_id == "FF-S3-003")
        assert backups.status is Status.FAILED


# ============================================================================================ RDS


def test_rds_encrypted(aws: AwsContext) -> None:
    good, bad = Deployment(aws, make_env()), Deployment(aws, make_env())
    good.database()
    bad.database(StorageEncrypted=False)
    assert results(good, "FF-RDS-001")[good.names.db_instance].status is Status.PASSED
    r = results(bad, "FF-RDS-001")[bad.names.db_instance]
    assert r.status is Status.FAILED and r.arn and r.arn.endswith(f":db:{bad.names.db_instance}")


def test_rds_password_in_secrets_manager(aws: AwsContext) -> None:
    good, bad = Deployment(aws, make_env()), Deployment(aws, make_env())
    good.database()
    bad.database(ManageMasterUserPassword=None, MasterUserPassword="not-a-secret-123")
    r = results(good, "FF-RDS-002")[good.names.db_instance]
    assert r.status is Status.PASSED and "Secrets Manager" in r.detail
    r = results(bad, "FF-RDS-002")[bad.names.db_instance]
    assert r.status is Status.FAILED and "ManageMasterUserPassword" in r.detail


def test_rds_not_public(aws: AwsContext) -> None:
    good, bad, silent = (Deployment(aws, make_env()) for _ in range(3))
    good.database()
    bad.database(PubliclyAccessible=True)
    silent.database(PubliclyAccessible=None)
    assert results(good, "FF-RDS-003")[good.names.db_instance].status is Status.PASSED
    assert results(bad, "FF-RDS-003")[bad.names.db_instance].status is Status.FAILED
    # moto reports no PubliclyAccessible at all when it was not given (AWS always reports it): the audit
    # cannot tell, so it says so instead of assuming the default.
    r = results(silent, "FF-RDS-003")[silent.names.db_instance]
    assert r.status is Status.NOT_CHECKED and "PubliclyAccessible" in r.detail


@pytest.mark.parametrize(("tls", "expected", "words"), [
    ("1", Status.PASSED, "require_secure_transport=1"),
    ("0", Status.FAILED, "= 0"),
    (None, Status.FAILED, "default parameter group"),
])
def test_rds_requires_tls(dep: Deployment, tls: str | None, expected: Status, words: str) -> None:
    dep.database(require_tls=tls)
    r = results(dep, "FF-RDS-004")[dep.names.db_instance]
    assert r.status is expected and words in r.detail


@pytest.mark.parametrize(("exports", "expected"), [
    (["error", "general", "slowquery"], Status.PASSED), (["error"], Status.FAILED), (None, Status.FAILED)])
def test_rds_log_exports(dep: Deployment, exports: list[str] | None, expected: Status) -> None:
    dep.database(EnableCloudwatchLogsExports=exports)
    r = results(dep, "FF-RDS-005")[dep.names.db_instance]
    assert r.status is expected
    if exports == ["error"]:
        assert "general, slowquery" in r.detail


@pytest.mark.parametrize(("days", "expected"), [(7, Status.PASSED), (14, Status.PASSED), (3, Status.FAILED),
                                                (0, Status.FAILED)])
def test_rds_automated_backups(dep: Deployment, days: int, expected: Status) -> None:
    dep.database(BackupRetentionPeriod=days)
    assert results(dep, "FF-RDS-006")[dep.names.db_instance].status is expected


def test_rds_deletion_protection_in_prod(aws: AwsContext) -> None:
    good, bad = Deployment(aws, make_env("prod")), Deployment(aws, make_env("prod"))
    good.database()
    bad.database(DeletionProtection=False)
    assert results(good, "FF-RDS-007")[good.names.db_instance].status is Status.PASSED
    assert results(bad, "FF-RDS-007")[bad.names.db_instance].status is Status.FAILED
    dev = Deployment(aws, make_env("dev"))
    dev.database(DeletionProtection=False)
    r = results(dev, "FF-RDS-007")[dev.names.db_instance]
    assert r.status is Status.NOT_APPLICABLE and "prod" in r.detail


def test_missing_rds_settings_are_findings_whichever_engine_deployed(aws: AwsContext) -> None:
    """Log exports, the managed password, deletion protection and the TLS parameter group are modelled by
    the embedded emulator for CloudFormation too (fuelflow.moto_fixes): missing, they are findings."""
    dep = Deployment(aws, make_env("prod"))
    dep.database(EnableCloudwatchLogsExports=None, ManageMasterUserPassword=None, MasterUserPassword="x" * 12,
                 DeletionProtection=False, require_tls=None)
    only = ["FF-RDS-002", "FF-RDS-004", "FF-RDS-005", "FF-RDS-007"]
    for engine in ("cloudformation", "terraform"):
        report = run_audit(aws, dep.env, engine, only=only)
        assert [r.status for r in report.results] == [Status.FAILED] * 4, engine


def test_rds_missing_instance_is_a_finding(dep: Deployment) -> None:
    dep.buckets()
    r = results(dep, "FF-RDS-001")[dep.names.db_instance]
    assert r.status is Status.FAILED and "not found" in r.detail


# ============================================================================================ network


@pytest.mark.parametrize("rule", [tcp(22, "0.0.0.0/0"), tcp(22, "::/0"),
                                  {"IpProtocol": "-1", "IpRanges": [{"CidrIp": "0.0.0.0/0"}]},
                                  {"IpProtocol": "tcp", "FromPort": 0, "ToPort": 65535,
                                   "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}])
def test_no_ssh_from_the_internet_flags(dep: Deployment, rule: dict[str, Any]) -> None:
    dep.security_groups(web_rules=[tcp(443, "0.0.0.0/0"), rule])
    found = results(dep, "FF-SG-001")
    web, db = sg_key(found, dep.names.web_sg), sg_key(found, dep.names.db_sg)
    assert web.status is Status.FAILED and "SSH open to the internet" in web.detail
    assert db.status is Status.PASSED
    assert web.arn and web.arn.endswith(f"security-group/{dep.web_sg}")


def test_no_ssh_from_the_internet_passes_admin_range(aws: AwsContext) -> None:
    dep = Deployment(aws, make_env(ec2={"admin_ssh_cidrs": [ADMIN_CIDR]}))
    dep.security_groups(web_rules=[tcp(80, "0.0.0.0/0"), tcp(22, ADMIN_CIDR)])
    assert set(statuses(results(dep, "FF-SG-001")).values()) == {Status.PASSED}


def test_no_ssh_covers_groups_attached_to_instances(dep: Deployment) -> None:
    dep.security_groups()
    rogue = dep.ec2.create_security_group(GroupName=f"{dep.names.project}-rogue", Description="x",
                                          VpcId=dep.vpc_id)["GroupId"]
    dep.ec2.authorize_security_group_ingress(GroupId=rogue, IpPermissions=[tcp(22, "0.0.0.0/0")])
    dep.instance(SecurityGroupIds=[dep.web_sg, rogue])
    found = results(dep, "FF-SG-001")
    assert sg_key(found, f"{dep.names.project}-rogue").status is Status.FAILED


@pytest.mark.parametrize(("rules", "expected", "words"), [
    ([tcp(80, "0.0.0.0/0"), tcp(443, "0.0.0.0/0"), tcp(443, "::/0")], Status.PASSED, "only HTTP/HTTPS"),
    ([tcp(443, "0.0.0.0/0"), tcp(8080, "0.0.0.0/0")], Status.FAILED, "tcp 8080 from 0.0.0.0/0"),
    ([tcp(443, "0.0.0.0/0"), tcp(22, "198.51.100.0/24")], Status.FAILED, "not in ec2.admin_ssh_cidrs"),
    ([tcp(443, "0.0.0.0/0"), tcp(22, ADMIN_CIDR)], Status.PASSED, f"SSH from {ADMIN_CIDR}"),
    ([{"IpProtocol": "tcp", "FromPort": 80, "ToPort": 443, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}],
     Status.FAILED, "tcp 80-443"),
])
def test_web_security_group_is_minimal(aws: AwsContext, rules: list[dict[str, Any]], expected: Status,
                                       words: str) -> None:
    dep = Deployment(aws, make_env(ec2={"admin_ssh_cidrs": [ADMIN_CIDR]}))
    dep.security_groups(web_rules=rules)
    r = sg_key(results(dep, "FF-SG-002"), dep.names.web_sg)
    assert r.status is expected and words in r.detail


def test_database_reachable_only_from_web(dep: Deployment) -> None:
    dep.database()
    found = results(dep, "FF-SG-003")
    assert sg_key(found, dep.names.db_sg).status is Status.PASSED
    assert found[dep.names.db_instance].status is Status.PASSED


def test_database_open_to_the_vpc_cidr_is_flagged(dep: Deployment) -> None:
    # The architecture document's own rule ("3306 from VPC CIDR only") is what DECISIONS 2 tightens.
    dep.security_groups(db_rules=[tcp(3306, "10.10.0.0/16")])
    dep.database()
    r = sg_key(results(dep, "FF-SG-003"), dep.names.db_sg)
    assert r.status is Status.FAILED and "10.10.0.0/16" in r.detail


def test_database_with_an_extra_security_group_is_flagged(dep: Deployment) -> None:
    dep.security_groups()
    extra = dep.ec2.create_security_group(GroupName=f"{dep.names.project}-extra", Description="x",
                                          VpcId=dep.vpc_id)["GroupId"]
    dep.database(VpcSecurityGroupIds=[dep.db_sg, extra])
    r = results(dep, "FF-SG-003")[dep.names.db_instance]
    assert r.status is Status.FAILED and extra in r.detail


def test_database_outside_the_db_group(dep: Deployment) -> None:
    dep.security_groups()
    other = dep.ec2.create_security_group(GroupName=f"{dep.names.project}-other", Description="x",
                                          VpcId=dep.vpc_id)["GroupId"]
    dep.database(VpcSecurityGroupIds=[other])
    assert results(dep, "FF-SG-003")[dep.names.db_instance].status is Status.FAILED
    assert results(dep, "FF-SG-003", "cloudformation")[dep.names.db_instance].status is Status.FAILED


# ============================================================================================ EC2


def test_imdsv2(aws: AwsContext) -> None:
    good, bad = Deployment(aws, make_env()), Deployment(aws, make_env())
    good_id = good.instance()
    bad_id = bad.instance(tokens="optional")
    assert results(good, "FF-EC2-001")[good_id].status is Status.PASSED
    r = results(bad, "FF-EC2-001")[bad_id]
    assert r.status is Status.FAILED and "HttpTokens=optional" in r.detail
    assert r.arn and r.arn.endswith(f":instance/{bad_id}")


@pytest.mark.parametrize(("tokens", "expected"), [("required", Status.PASSED), ("optional", Status.FAILED)])
def test_imdsv2_from_a_launch_template(dep: Deployment, tokens: str, expected: Status) -> None:
    """An instance launched from a launch template takes its MetadataOptions (as Terraform launches them)."""
    dep.security_groups()
    lt = dep.ec2.create_launch_template(LaunchTemplateName=f"{dep.names.project}-web-lt-{tokens}",
                                        LaunchTemplateData={"ImageId": AMI, "MetadataOptions": {"HttpTokens": tokens}},
                                        )["LaunchTemplate"]["LaunchTemplateId"]
    iid = dep.instance(MetadataOptions=None, BlockDeviceMappings=None, ImageId=None,
                       LaunchTemplate={"LaunchTemplateId": lt})
    assert results(dep, "FF-EC2-001")[iid].status is expected


def test_no_instance_is_a_finding(dep: Deployment) -> None:
    dep.security_groups()
    r = results(dep, "FF-EC2-001")["EC2 instances"]
    assert r.status is Status.FAILED and "no instance" in r.detail


def test_ebs_encryption(aws: AwsContext) -> None:
    good, bad = Deployment(aws, make_env()), Deployment(aws, make_env())
    good_id = good.instance()
    bad_id = bad.instance(encrypted=False)
    assert results(good, "FF-EC2-002")[good_id].status is Status.PASSED
    r = results(bad, "FF-EC2-002")[bad_id]
    assert r.status is Status.FAILED and "/dev/xvda" in r.detail


@pytest.mark.parametrize(("encrypted", "expected"), [(True, Status.PASSED), (False, Status.FAILED)])
def test_ebs_from_a_launch_template(dep: Deployment, encrypted: bool, expected: Status) -> None:
    """The launch template's volumes are the instance's volumes (no extra default root volume)."""
    dep.security_groups()
    volume = {"DeviceName": "/dev/xvda", "Ebs": {"Encrypted": encrypted, "VolumeSize": 20}}
    lt = dep.ec2.create_launch_template(LaunchTemplateName=f"{dep.names.project}-web-lt-{encrypted}",
                                        LaunchTemplateData={"ImageId": AMI, "BlockDeviceMappings": [volume]},
                                        )["LaunchTemplate"]["LaunchTemplateId"]
    iid = dep.instance(BlockDeviceMappings=None, ImageId=None, LaunchTemplate={"LaunchTemplateId": lt})
    assert results(dep, "FF-EC2-002")[iid].status is expected


# ============================================================================================ IAM


def test_least_privilege_passes_the_contract_roles(dep: Deployment) -> None:
    dep.roles()
    found = results(dep, "FF-IAM-001")
    assert set(found) == set(dep.names.roles)
    assert set(statuses(found).values()) == {Status.PASSED}


@pytest.mark.parametrize(("change", "words"), [
    ({"ec2_statements": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]}, "whole-service actions s3:*"),
    ({"ec2_statements": [{"Effect": "Allow", "Action": "secretsmanager:GetSecretValue", "Resource": "*"}]},
     "secretsmanager:GetSecretValue on every resource"),
    ({"ec2_statements": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::someone-else/*"}]},
     "beyond the environment's buckets"),
    ({"ec2_statements": [{"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"}]}, "NotAction"),
    ({"ec2_managed": ("arn:aws:iam::aws:policy/AmazonS3FullAccess",)}, "AmazonS3FullAccess grants full access"),
    ({"ec2_trust": policy({"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "sts:AssumeRole"})},
     "trust policy"),
])
def test_least_privilege_flags(dep: Deployment, change: dict[str, Any], words: str) -> None:
    dep.roles(**change)
    found = results(dep, "FF-IAM-001")
    ec2_role = next(iter(dep.names.roles))
    assert found[ec2_role].status is Status.FAILED and words in found[ec2_role].detail
    others = {k: v for k, v in statuses(found).items() if k != ec2_role}
    assert set(others.values()) == {Status.PASSED}


def test_no_star_on_star(dep: Deployment) -> None:
    dep.roles(ec2_statements=[{"Effect": "Allow", "Action": "*", "Resource": "*"}])
    found = results(dep, "FF-IAM-002")
    ec2_role, monitoring, lam = dep.names.roles
    assert found[ec2_role].status is Status.FAILED and "inline policy app" in found[ec2_role].detail
    assert found[monitoring].status is Status.PASSED and found[lam].status is Status.PASSED


def test_no_star_on_star_through_a_managed_policy(dep: Deployment) -> None:
    dep.roles(ec2_managed=("arn:aws:iam::aws:policy/AdministratorAccess",))
    ec2_role = next(iter(dep.names.roles))
    r = results(dep, "FF-IAM-002")[ec2_role]
    assert r.status is Status.FAILED and "AdministratorAccess" in r.detail


def test_roles_without_managed_policies_are_judged_by_their_inline_policies(dep: Deployment) -> None:
    dep.roles(ec2_managed=())
    ec2_role = next(iter(dep.names.roles))
    for engine in ("cloudformation", "terraform"):
        assert results(dep, "FF-IAM-002", engine)[ec2_role].status is Status.PASSED


@pytest.mark.parametrize(("document", "expected"), [
    ({"Statement": []}, {"Statement": []}),
    ('{"Statement": [{"Effect": "Allow"}]}', {"Statement": [{"Effect": "Allow"}]}),
    ("{'Statement': [{'Effect': 'Allow'}]}", {"Statement": [{"Effect": "Allow"}]}),  # moto CloudFormation
])
def test_parse_policy(document: Any, expected: dict[str, Any]) -> None:
    assert audit.parse_policy(document) == expected


@pytest.mark.parametrize("document", ["__import__('os')", "[1, 2]", None, "{not json"])
def test_parse_policy_refuses_what_it_cannot_read(document: Any) -> None:
    with pytest.raises(audit.Unanswerable):
        audit.parse_policy(document)


def test_inline_policy_as_python_literal_is_judged(dep: Deployment, monkeypatch: pytest.MonkeyPatch) -> None:
    """After a CloudFormation deploy, moto returns inline policies as Python literal text, not JSON."""
    dep.roles(ec2_statements=[{"Effect": "Allow", "Action": "*", "Resource": "*"}])
    iam = dep.aws.client("iam")
    real = iam.get_role_policy

    def as_literal(**kwargs: Any) -> Any:
        response = real(**kwargs)
        return {**response, "PolicyDocument": repr(response["PolicyDocument"])}

    monkeypatch.setattr(iam, "get_role_policy", as_literal)
    ec2_role = next(iter(dep.names.roles))
    assert results(dep, "FF-IAM-002")[ec2_role].status is Status.FAILED


def test_missing_role_is_a_finding(dep: Deployment) -> None:
    dep.buckets()
    found = results(dep, "FF-IAM-001")
    assert all(r.status is Status.FAILED and "not found" in r.detail for r in found.values())


# ============================================================================================ logs


@pytest.mark.parametrize(("retention", "skip", "expected"), [
    (None, 0, Status.PASSED), (0, 0, Status.FAILED), (7, 0, Status.FAILED), (None, 1, Status.FAILED)])
def test_log_group_retention(dep: Deployment, retention: int | None, skip: int, expected: Status) -> None:
    dep.log_groups(retention=retention, skip=skip)
    found = results(dep, "FF-LOG-001")
    first = dep.names.log_groups[0]
    assert found[first].status is expected
    assert found[dep.names.log_groups[-1]].status is (Status.PASSED if skip else expected)


# ============================================================================================ Terraform state


@pytest.mark.parametrize(("control_id", "bucket", "words"), [
    ("FF-TF-001", {"encryption": False}, "no default server-side encryption"),
    ("FF-TF-002", {"versioning": "Suspended"}, "suspended"),
    ("FF-TF-003", {"pab": {"RestrictPublicBuckets": False}}, "RestrictPublicBuckets"),
    ("FF-TF-004", {"tls_policy": None}, "no bucket policy"),
])
def test_state_bucket(aws: AwsContext, control_id: str, bucket: dict[str, Any], words: str) -> None:
    good, bad = Deployment(aws, make_env()), Deployment(aws, make_env())
    good.state()
    bad.state(**bucket)
    assert results(good, control_id)[good.names.state_bucket].status is Status.PASSED
    r = results(bad, control_id)[bad.names.state_bucket]
    assert r.status is Status.FAILED and words in r.detail


def test_lock_table_pitr(aws: AwsContext) -> None:
    good, bad, none = (Deployment(aws, make_env()) for _ in range(3))
    good.state()
    bad.state(pitr=False)
    none.bucket(none.names.state_bucket)
    assert results(good, "FF-TF-005")[good.names.lock_table].status is Status.PASSED
    assert results(bad, "FF-TF-005")[bad.names.lock_table].status is Status.FAILED
    r = results(none, "FF-TF-005")[none.names.lock_table]
    assert r.status is Status.FAILED and "not found" in r.detail


def test_state_controls_do_not_apply_to_cloudformation(dep: Deployment) -> None:
    dep.buckets()
    report = run_audit(dep.aws, dep.env, "cloudformation",
                       only=["FF-TF-001", "FF-TF-002", "FF-TF-003", "FF-TF-004", "FF-TF-005"])
    assert [r.status for r in report.results] == [Status.NOT_APPLICABLE] * 5
    assert report.results[0].resource == dep.names.state_bucket
    assert report.results[-1].resource == dep.names.lock_table
    assert "only with --engine terraform" in report.results[0].detail


# ============================================================================================ the whole audit


def test_compliant_environment_passes_everything(dep: Deployment) -> None:
    dep.everything()
    report = run_audit(dep.aws, dep.env, "terraform")
    bad = [r for r in report.results if r.status is not Status.PASSED and r.control_id != "FF-RDS-007"]
    assert bad == []
    assert {r.control_id for r in report.results} == {c.id for c in CONTROLS}
    assert report.exit_code == 0


def test_audit_is_read_only(dep: Deployment, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every operation the audit sends is a Get/List/Describe/Head, across every control and both engines."""
    dep.everything()
    dep.instance(tokens="optional")  # make some controls take their failure paths too
    called: list[str] = []
    real = botocore.client.BaseClient._make_api_call

    def record(self: Any, operation_name: str, api_params: dict[str, Any]) -> Any:
        called.append(operation_name)
        return real(self, operation_name, api_params)

    monkeypatch.setattr(botocore.client.BaseClient, "_make_api_call", record)
    run_audit(dep.aws, dep.env, "terraform")
    run_audit(dep.aws, dep.env, "cloudformation")
    assert called
    assert [op for op in called if not op.startswith(("Get", "List", "Describe", "Head"))] == []
    assert {"GetPublicAccessBlock", "DescribeDBInstances", "DescribeInstances", "GetRolePolicy",
            "DescribeContinuousBackups", "DescribeDBParameters", "DescribeLogGroups"} <= set(called)


def test_read_only_guard_refuses_writes(dep: Deployment) -> None:
    ctx = AuditContext(dep.aws, dep.env, "terraform", dep.names)
    with pytest.raises(ReadOnlyViolation):
        ctx.client("s3").create_bucket(Bucket=f"{dep.names.project}-sneaky")
    ctx.close()  # the guard comes off the shared client again
    assert f"{dep.names.project}-sneaky" not in {b["Name"] for b in dep.s3.list_buckets()["Buckets"]}
    dep.s3.create_bucket(Bucket=f"{dep.names.project}-allowed")


def test_nothing_deployed_is_input_error(aws: AwsContext) -> None:
    env = make_env()
    with pytest.raises(InputError) as exc:
        run_audit(aws, env, "terraform")
    assert exc.value.one_line() == (f"environment dev is not deployed on the local emulator at {aws.endpoint_url} "
                                    "(us-east-1): run fuelflow deploy --env dev --engine terraform")


def test_partly_deployed_fails_what_is_missing(dep: Deployment) -> None:
    dep.buckets()
    report = run_audit(dep.aws, dep.env, "cloudformation")
    by_control = {r.control_id: r for r in report.results}
    assert by_control["FF-S3-001"].status is Status.PASSED
    for cid in ("FF-RDS-001", "FF-EC2-001", "FF-IAM-001", "FF-SG-002", "FF-LOG-001"):
        assert by_control[cid].status is Status.FAILED and "not found" in by_control[cid].detail
    assert report.exit_code == 3


@pytest.mark.parametrize(("error", "words"), [
    (botocore.exceptions.ClientError({"Error": {"Code": "AccessDenied", "Message": "no"}}, "GetPublicAccessBlock"),
     "access denied to GetPublicAccessBlock"),
    (ResponseParserError("<html>500</html>"), "does not implement GetPublicAccessBlock"),
    (botocore.exceptions.ClientError({"Error": {"Code": "InternalError", "Message": "boom"},
                                      "ResponseMetadata": {"HTTPStatusCode": 500}}, "GetPublicAccessBlock"),
     "does not implement GetPublicAccessBlock"),
])
def test_unanswerable_calls_are_not_checked(dep: Deployment, monkeypatch: pytest.MonkeyPatch,
                                            error: Exception, words: str) -> None:
    dep.buckets()

    def refuse(**_: Any) -> Any:
        raise error

    monkeypatch.setattr(dep.aws.client("s3"), "get_public_access_block", refuse)
    found = results(dep, "FF-S3-001")
    assert {r.status for r in found.values()} == {Status.NOT_CHECKED}
    assert all(words in r.detail for r in found.values())


# ============================================================================================ CLI


@pytest.fixture
def project(tmp_path: Path) -> Iterator[tuple[Path, str]]:
    """A project directory whose environments/dev.yaml and prod.yaml use a unique project name."""
    name = "t" + uuid.uuid4().hex[:12]
    (tmp_path / "environments").mkdir()
    for env in ("dev", "prod"):
        (tmp_path / "environments" / f"{env}.yaml").write_text(yaml.safe_dump(env_doc(name, env)))
    yield tmp_path, name


def cli(project_dir: Path, emulator: Emulator, *args: str) -> int:
    return int(main(["-C", str(project_dir), "audit", "--endpoint-url", emulator.endpoint_url, *args]))


def deployed(aws: AwsContext, project_dir: Path, env: str = "dev") -> Deployment:
    from fuelflow.config import load_environment

    return Deployment(aws, load_environment(project_dir, env))


def test_cli_json_all_pass_exits_0(aws: AwsContext, emulator: Emulator, project: tuple[Path, str],
                                   capsys: pytest.CaptureFixture[str]) -> None:
    deployed(aws, project[0]).everything()
    assert cli(project[0], emulator, "--engine", "terraform", "-o", "json") == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["summary"] == {"passed": len(doc["results"]) - 1, "failed": 0, "not_checked": 0,
                              "not_applicable": 1}  # FF-RDS-007 in dev
    row = next(r for r in doc["results"] if r["control"] == "FF-S3-001")
    assert row["checkov"] == ["CKV_AWS_53", "CKV_AWS_54", "CKV_AWS_55", "CKV_AWS_56"]
    assert row["aws_config_rule"] == "s3-bucket-level-public-access-prohibited"
    assert {"severity", "status", "resource", "arn", "detail", "title", "proves"} <= row.keys()


def test_cli_findings_exit_3_with_sarif(aws: AwsContext, emulator: Emulator, project: tuple[Path, str],
                                        capsys: pytest.CaptureFixture[str]) -> None:
    dep = deployed(aws, project[0])
    dep.buckets(backups={"pab": {"BlockPublicAcls": False}})
    dep.security_groups(web_rules=[tcp(443, "0.0.0.0/0"), tcp(22, "0.0.0.0/0")])
    dep.database(PubliclyAccessible=None)
    assert cli(project[0], emulator, "-o", "sarif") == 3
    captured = capsys.readouterr()
    doc = json.loads(captured.out)
    assert doc["version"] == "2.1.0" and doc["$schema"].endswith("sarif-2.1.0.json")
    run = doc["runs"][0]
    rules = run["tool"]["driver"]["rules"]
    assert [r["id"] for r in rules] == [c.id for c in CONTROLS]
    for res in run["results"]:
        assert rules[res["ruleIndex"]]["id"] == res["ruleId"]
        assert res["locations"][0]["logicalLocations"][0]["fullyQualifiedName"]
        assert (res["kind"], res["level"]) in {("fail", "error"), ("fail", "warning"), ("fail", "note"),
                                               ("review", "none")}
    failed = {res["ruleId"]: res for res in run["results"] if res["kind"] == "fail"}
    assert failed["FF-S3-001"]["level"] == "error"
    assert failed["FF-S3-001"]["locations"][0]["logicalLocations"][0]["fullyQualifiedName"] == \
        f"arn:aws:s3:::{dep.names.buckets['backups']}"
    assert failed["FF-SG-001"]["level"] == "error" and "SSH" in failed["FF-SG-001"]["message"]["text"]
    assert any(res["ruleId"] == "FF-RDS-003" and res["kind"] == "review" for res in run["results"])
    assert run["properties"]["summary"]["failed"] > 0
    assert "failed" in captured.err  # the summary line goes to stderr, stdout stays one document


def test_cli_table(aws: AwsContext, emulator: Emulator, project: tuple[Path, str],
                   capsys: pytest.CaptureFixture[str]) -> None:
    deployed(aws, project[0]).buckets()
    assert cli(project[0], emulator) == 3
    out = capsys.readouterr().out
    assert "FF-S3-001" in out and "FF-TF-001" in out
    last = out.strip().splitlines()[-1]
    assert last.endswith("not applicable") and "passed" in last and "failed" in last and "not checked" in last


def test_cli_not_deployed_exits_2(emulator: Emulator, project: tuple[Path, str],
                                  capsys: pytest.CaptureFixture[str]) -> None:
    assert cli(project[0], emulator, "--env", "prod") == 2
    err = capsys.readouterr().err
    assert "environment prod is not deployed on the local emulator" in err
    assert "run fuelflow deploy --env prod" in err
    assert "Traceback" not in err


@pytest.mark.parametrize("args", [("--env", "staging"), ("--output", "xml"), ("--engine", "pulumi")])
def test_cli_bad_input_exits_2(emulator: Emulator, project: tuple[Path, str], args: tuple[str, ...]) -> None:
    assert cli(project[0], emulator, *args) == 2


def test_cli_is_registered() -> None:
    from fuelflow.cli import cli as group

    assert "audit" in group.commands
    assert audit.__name__ == "fuelflow.audit"
