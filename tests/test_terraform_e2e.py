"""The Terraform path end to end on the emulator: bootstrap the state backend, apply dev once, read
every promised setting back through boto3, plan again (no changes), destroy, tear the backend down.

One apply per test session (module-scoped fixtures, used in file order). Timings go to the
"fuelflow figures" section at the end of the run; nothing asserts on them. The emulator's fidelity
fixes (fuelflow.moto_fixes: TLS requests, parameter Source, launch-template tags, rule descriptions)
are what let the plan after apply come out empty.
"""

from __future__ import annotations

import contextlib
import io
import json
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from env_copy import project_with
from fuelflow.aws import AwsContext, Target, connect
from fuelflow.cli import main
from fuelflow.config import Environment, load_environment
from fuelflow.emulator import Emulator
from fuelflow.errors import InputError
from fuelflow.output import Ui
from fuelflow.tf import ops, session, state, toolchain

ROOT = Path(__file__).resolve().parents[1]


def _missing() -> str | None:
    """What this machine lacks for a real terraform run, said exactly; None when nothing is missing."""
    try:
        toolchain.terraform_version(toolchain.find_terraform())
    except InputError as exc:
        return str(exc.one_line())
    try:
        mirror = toolchain.resolve_plugin_dir(None)
    except InputError as exc:
        return str(exc.one_line())
    if mirror is None:
        looked = ", ".join(str(p) for p in toolchain.plugin_dir_candidates())
        return (f"no filesystem mirror holding {toolchain.AWS_PROVIDER} (no registry offline): set "
                f"{toolchain.PLUGIN_DIR_ENV}; looked in {looked}")
    for needed in ("terraform/backend.tf", "terraform/bootstrap"):
        if not (ROOT / needed).exists():
            return f"{needed} is missing"
    return None


MISSING = _missing()
pytestmark = [pytest.mark.terraform, pytest.mark.emulator,
              pytest.mark.skipif(MISSING is not None, reason=f"Terraform end-to-end tests need: {MISSING}")]


# ------------------------------------------------------------------------------ helpers

def _denies_only_insecure_transport(statement: dict[str, Any]) -> bool:
    condition = statement.get("Condition") or {}
    if statement.get("Effect") != "Deny" or list(condition) != ["Bool"]:
        return False
    values = {k.lower(): str(v).lower() for k, v in condition["Bool"].items()}
    return values == {"aws:securetransport": "false"}


# ------------------------------------------------------------------------------ the session under test


@dataclass
class Lab:
    env: Environment
    aws: AwsContext
    work_dir: Path
    ui: Ui
    record: Callable[[str, str], None]
    times: dict[str, float] = field(default_factory=dict)

    def timed(self, name: str, call: Callable[[], Any]) -> Any:
        start = time.monotonic()
        try:
            return call()
        finally:
            self.times[name] = time.monotonic() - start
            figures = ", ".join(f"{k} {v:.0f}s" for k, v in self.times.items())
            self.record("terraform on the emulator", figures)
            print(f"\n{name}: {self.times[name]:.1f}s")

    @property
    def backend(self) -> state.StateBackend:
        return state.StateBackend.for_env(self.env, self.aws.account_id(), self.aws.region)

    def client(self, service: str) -> Any:
        return self.aws.client(service)


@pytest.fixture(scope="module")
def lab(fresh_emulator: Emulator, tmp_path_factory: pytest.TempPathFactory,
        ci_summary: Callable[[str, str], None]) -> Lab:
    env = load_environment(ROOT, "dev")
    aws = connect(Target(kind="local", endpoint_url=fresh_emulator.endpoint_url), env.region)
    return Lab(env, aws, tmp_path_factory.mktemp("tf-work"), Ui(rich=False), ci_summary)


def run(lab: Lab, function: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    return function(lab.env, lab.aws, ROOT, lab.ui, *args, work_dir=lab.work_dir, **kwargs)


@pytest.fixture(scope="module")
def bootstrapped(lab: Lab) -> dict[str, Any]:
    result: dict[str, Any] = lab.timed("bootstrap", lambda: run(lab, ops.tf_bootstrap))
    return result


@pytest.fixture(scope="module")
def deployed(lab: Lab, bootstrapped: dict[str, Any]) -> dict[str, Any]:
    outputs: dict[str, Any] = lab.timed("apply", lambda: run(lab, ops.tf_deploy, True))
    return outputs


@pytest.fixture(scope="module")
def destroyed(lab: Lab, deployed: dict[str, Any]) -> dict[str, Any]:
    result: dict[str, Any] = lab.timed("destroy", lambda: run(lab, ops.tf_destroy, True, force=True,
                                                                  confirm_name="dev"))
    return result


def tls_only(policy: str) -> bool:
    return any(_denies_only_insecure_transport(s) and s.get("Action") in ("s3:*", ["s3:*"])
               for s in json.loads(policy)["Statement"])


def check_bucket(lab: Lab, bucket: str, versioned: bool) -> None:
    s3 = lab.client("s3")
    rule = s3.get_bucket_encryption(Bucket=bucket)["ServerSideEncryptionConfiguration"]["Rules"][0]
    assert rule["ApplyServerSideEncryptionByDefault"]["SSEAlgorithm"] in ("AES256", "aws:kms")
    block = s3.get_public_access_block(Bucket=bucket)["PublicAccessBlockConfiguration"]
    assert block == dict.fromkeys(("BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy",
                                   "RestrictPublicBuckets"), True)
    assert tls_only(s3.get_bucket_policy(Bucket=bucket)["Policy"]), f"{bucket} is not TLS-only"
    controls = s3.get_bucket_ownership_controls(Bucket=bucket)["OwnershipControls"]["Rules"]
    assert controls == [{"ObjectOwnership": "BucketOwnerEnforced"}]
    assert (s3.get_bucket_versioning(Bucket=bucket).get("Status") == "Enabled") is versioned


# ------------------------------------------------------------------------------ the state backend


def test_bootstrap_creates_the_state_backend(lab: Lab, bootstrapped: dict[str, Any]) -> None:
    b = lab.backend
    assert bootstrapped["changed"] is True
    assert (bootstrapped["bucket"], bootstrapped["lock_table"]) == (b.bucket, b.lock_table)
    check_bucket(lab, b.bucket, versioned=True)
    # The bootstrap's own state moved into the bucket it created (cloudposse's procedure).
    assert lab.client("s3").head_object(Bucket=b.bucket, Key=b.bootstrap_key)["ContentLength"] > 0
    table = lab.client("dynamodb").describe_table(TableName=b.lock_table)["Table"]
    assert table["KeySchema"] == [{"AttributeName": "LockID", "KeyType": "HASH"}]
    assert table["AttributeDefinitions"] == [{"AttributeName": "LockID", "AttributeType": "S"}]
    assert table["SSEDescription"]["Status"] == "ENABLED"
    backups = lab.client("dynamodb").describe_continuous_backups(TableName=b.lock_table)
    assert backups["ContinuousBackupsDescription"]["PointInTimeRecoveryDescription"][
        "PointInTimeRecoveryStatus"] == "ENABLED"
    config = Path(bootstrapped["backend_config"]).read_text()
    assert f'"{b.lock_table}"' in config and "use_lockfile" in config
    assert lab.work_dir in Path(bootstrapped["backend_config"]).parents  # local: never in the source tree
    # The lock table's throttling alarm notifies the backend's own topic, encrypted with a key CloudWatch may use.
    topic_name = f"{lab.env.project}-tfstate-{lab.env.name}-alerts"
    topic = f"arn:aws:sns:{lab.aws.region}:{lab.aws.account_id()}:{topic_name}"
    (alarm,) = lab.client("cloudwatch").describe_alarms(AlarmNames=[f"{b.lock_table}-throttled"])["MetricAlarms"]
    assert (alarm["AlarmActions"], alarm["OKActions"], alarm["ActionsEnabled"]) == ([topic], [topic], True)
    assert (alarm["Threshold"], alarm["ComparisonOperator"], alarm["TreatMissingData"]) == (
        1.0, "GreaterThanOrEqualToThreshold", "notBreaching")
    watched = {q["MetricStat"]["Metric"]["MetricName"]: q["MetricStat"]["Metric"]["Dimensions"]
               for q in alarm["Metrics"] if "MetricStat" in q}
    assert watched == {m: [{"Name": "TableName", "Value": b.lock_table}]
                       for m in ("ReadThrottleEvents", "WriteThrottleEvents")}
    key = lab.client("sns").get_topic_attributes(TopicArn=topic)["Attributes"]["KmsMasterKeyId"]
    meta = lab.client("kms").describe_key(KeyId=key)["KeyMetadata"]
    assert meta["KeyManager"] == "CUSTOMER" and meta["KeyState"] == "Enabled"
    assert lab.client("kms").get_key_rotation_status(KeyId=meta["KeyId"])["KeyRotationEnabled"] is True
    key_policy = json.loads(lab.client("kms").get_key_policy(KeyId=meta["KeyId"], PolicyName="default")["Policy"])
    assert any(st.get("Principal") == {"Service": "cloudwatch.amazonaws.com"} and st["Effect"] == "Allow"
               for st in key_policy["Statement"])
    topic_policy = json.loads(lab.client("sns").get_topic_attributes(TopicArn=topic)["Attributes"]["Policy"])
    assert {st["Sid"] for st in topic_policy["Statement"]} == {
        "CloudWatchAlarmsOfThisAccountPublish", "AccountManagesTheTopic", "DenyWithoutTls"}
    aliases = lab.client("kms").list_aliases(KeyId=meta["KeyId"])["Aliases"]
    assert [a["AliasName"] for a in aliases] == [f"alias/{topic_name}"]


def test_bootstrap_twice_changes_nothing(lab: Lab, bootstrapped: dict[str, Any]) -> None:
    again = lab.timed("bootstrap again", lambda: run(lab, ops.tf_bootstrap))
    assert again["changed"] is False
    assert {k: v for k, v in again.items() if k != "changed"} == {
        k: v for k, v in bootstrapped.items() if k != "changed"}


# ------------------------------------------------------------------------------ apply dev, read it back


def test_apply_outputs_follow_the_contract(lab: Lab, deployed: dict[str, Any]) -> None:
    suffix = f"dev-{lab.aws.account_id()}-{lab.aws.region}"
    assert deployed["app_data_bucket_name"] == f"fuel-flow-app-data-{suffix}"
    assert deployed["logs_bucket_name"] == f"fuel-flow-logs-{suffix}"
    assert deployed["backups_bucket_name"] == f"fuel-flow-backups-{suffix}"
    assert deployed["db_instance_identifier"] == "fuel-flow-db-dev"
    assert deployed["ec2_role_name"] == "fuel-flow-ec2-role-dev"
    assert len(deployed["instance_ids"]) == lab.env.ec2.instance_count
    tfstate = state.StateStore(lab.aws, lab.backend).read_state(lab.backend.key)
    assert tfstate is not None and tfstate["resources"], "the state lives in the bucket, under the env's key"


def test_buckets_are_locked_down(lab: Lab, deployed: dict[str, Any]) -> None:
    check_bucket(lab, deployed["app_data_bucket_name"], versioned=True)
    check_bucket(lab, deployed["backups_bucket_name"], versioned=True)
    check_bucket(lab, deployed["logs_bucket_name"], versioned=False)
    rules = lab.client("s3").get_bucket_lifecycle_configuration(Bucket=deployed["logs_bucket_name"])["Rules"]
    assert any(r.get("Expiration", {}).get("Days") == lab.env.s3.log_expiration_days for r in rules)


def test_database_settings(lab: Lab, deployed: dict[str, Any]) -> None:
    db = lab.client("rds").describe_db_instances(DBInstanceIdentifier=deployed["db_instance_identifier"])[
        "DBInstances"][0]
    rds = lab.env.rds
    assert db["StorageEncrypted"] is True and db["PubliclyAccessible"] is False
    assert set(db["EnabledCloudwatchLogsExports"]) == {"error", "general", "slowquery"}
    assert db["MonitoringInterval"] == rds.monitoring_interval
    assert db["MonitoringRoleArn"] == deployed["rds_monitoring_role_arn"]
    assert db["MasterUserSecret"]["SecretArn"] == deployed["db_secret_arn"]  # RDS keeps the password
    assert (db["DBInstanceClass"], db["MultiAZ"], db["BackupRetentionPeriod"], db["DeletionProtection"]) == (
        rds.instance_class, rds.multi_az, rds.backup_retention_days, rds.deletion_protection)
    assert [g["VpcSecurityGroupId"] for g in db["VpcSecurityGroups"]] == [deployed["db_sg_id"]]
    groups = lab.client("logs").describe_log_groups(logGroupNamePrefix="/aws/rds/instance/fuel-flow-db-dev/")
    assert {g["retentionInDays"] for g in groups["logGroups"]} == {lab.env.logs.retention_days}


def test_launch_template_requires_imdsv2_and_encrypts(lab: Lab, deployed: dict[str, Any]) -> None:
    data = lab.client("ec2").describe_launch_template_versions(
        LaunchTemplateId=deployed["launch_template_id"], Versions=["$Latest"])["LaunchTemplateVersions"][0][
        "LaunchTemplateData"]
    assert data["MetadataOptions"]["HttpTokens"] == "required"
    assert all(m["Ebs"]["Encrypted"] for m in data["BlockDeviceMappings"])
    assert data["BlockDeviceMappings"][0]["Ebs"]["VolumeSize"] == lab.env.ec2.root_volume_size


def test_instances_run_with_the_launch_template_profile(lab: Lab, deployed: dict[str, Any]) -> None:
    """As on EC2 (and as the CloudFormation path does): RunInstances takes the template's instance profile."""
    reservations = lab.client("ec2").describe_instances(
        Filters=[{"Name": "instance-state-name", "Values": ["running"]}])["Reservations"]
    instances = [i for r in reservations for i in r["Instances"]]
    assert instances
    assert {i.get("IamInstanceProfile", {}).get("Arn") for i in instances} == {deployed["ec2_instance_profile_arn"]}
    assert {i["MetadataOptions"]["HttpTokens"] for i in instances} == {"required"}


def test_security_group_rules(lab: Lab, deployed: dict[str, Any]) -> None:
    ec2 = lab.client("ec2")

    def ingress(group: str) -> list[dict[str, Any]]:
        rules = ec2.describe_security_group_rules(Filters=[{"Name": "group-id", "Values": [group]}])[
            "SecurityGroupRules"]
        return [r for r in rules if not r["IsEgress"]]

    web = ingress(deployed["web_sg_id"])
    assert {(r["FromPort"], r.get("CidrIpv4")) for r in web} == {(80, "0.0.0.0/0")}  # no 443: nothing listens
    assert not any(r["FromPort"] <= 22 <= r["ToPort"] for r in web)  # no SSH: SSM Session Manager
    db = ingress(deployed["db_sg_id"])
    assert [(r["FromPort"], r["ToPort"], r.get("ReferencedGroupInfo", {}).get("GroupId")) for r in db] == [
        (3306, 3306, deployed["web_sg_id"])]
    assert not any(r.get("CidrIpv4") for r in db)


def test_roles_are_least_privilege(lab: Lab, deployed: dict[str, Any]) -> None:
    iam = lab.client("iam")
    role = deployed["ec2_role_name"]
    attached = {p["PolicyName"] for p in iam.list_attached_role_policies(RoleName=role)["AttachedPolicies"]}
    assert attached == {"AmazonSSMManagedInstanceCore"}
    statements = []
    for name in iam.list_role_policies(RoleName=role)["PolicyNames"]:
        document = iam.get_role_policy(RoleName=role, PolicyName=name)["PolicyDocument"]
        document = json.loads(document) if isinstance(document, str) else document
        statements += document["Statement"]
    for s in statements:
        actions = s["Action"] if isinstance(s["Action"], list) else [s["Action"]]
        resources = s["Resource"] if isinstance(s["Resource"], list) else [s["Resource"]]
        assert "*" not in actions and "*" not in resources, s
    s3_resources = {r for s in statements for r in (s["Resource"] if isinstance(s["Resource"], list)
                                                    else [s["Resource"]]) if r.startswith("arn:aws:s3:::")}
    assert s3_resources and all(r.startswith("arn:aws:s3:::fuel-flow-") for r in s3_resources)
    secret = [s for s in statements if "secretsmanager:GetSecretValue" in s["Action"]]
    assert secret and all("rds!db-" in r for s in secret for r in s["Resource"])
    monitoring = iam.list_attached_role_policies(RoleName="fuel-flow-rds-monitoring-role-dev")["AttachedPolicies"]
    assert [p["PolicyName"] for p in monitoring] == ["AmazonRDSEnhancedMonitoringRole"]


def test_plan_after_apply_has_no_changes(lab: Lab, deployed: dict[str, Any]) -> None:
    """`plan -detailed-exitcode` exits 0: what was applied reads back exactly as the code says."""
    result = lab.timed("plan (no changes)", lambda: run(lab, ops.tf_plan))
    assert result["changes"] is False, f"plan after apply wants changes: {json.dumps(result['details'], indent=1)}"


def test_unbootstrap_refuses_while_state_tracks_resources(lab: Lab, deployed: dict[str, Any]) -> None:
    with pytest.raises(InputError, match="still holds state") as err:
        run(lab, ops.tf_unbootstrap, auto_approve=True)
    assert "--force" in str(err.value.fix)
    assert state.StateStore(lab.aws, lab.backend).bucket_exists()


def test_destroy_refuses_to_delete_the_database_without_force(lab: Lab, deployed: dict[str, Any]) -> None:
    with pytest.raises(InputError, match=r"refusing to destroy dev: it deletes .*aws_db_instance") as err:
        run(lab, ops.tf_destroy, True)
    assert "--force" in str(err.value.fix)
    db = lab.client("rds").describe_db_instances(DBInstanceIdentifier=deployed["db_instance_identifier"])
    assert db["DBInstances"][0]["DBInstanceStatus"] == "available"


def test_cli_reads_outputs_and_status(lab: Lab, deployed: dict[str, Any], monkeypatch: pytest.MonkeyPatch,
                                      capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv(session.WORK_DIR_ENV, str(lab.work_dir))
    common = ["--env", "dev", "--endpoint-url", str(lab.aws.endpoint_url), "-o", "json"]
    capsys.readouterr()
    assert main(["-C", str(ROOT), "tf", "output", *common]) == 0
    assert json.loads(capsys.readouterr().out) == deployed
    assert main(["-C", str(ROOT), "outputs", "--engine", "terraform", *common]) == 0  # the lead's wiring
    assert json.loads(capsys.readouterr().out) == deployed
    assert main(["-C", str(ROOT), "tf", "status", *common]) == 0
    status = json.loads(capsys.readouterr().out)
    assert status["state_exists"] and status["resources"] > 40 and status["outputs"] == deployed


def test_audit_passes_every_control_after_a_terraform_deploy(lab: Lab, deployed: dict[str, Any],
                                                             capsys: pytest.CaptureFixture[str]) -> None:
    """issue 4: after a Terraform-engine deploy of dev on the emulator, every control passes (the state
    bucket and lock table included); dev's deletion protection is the one control that does not apply."""
    capsys.readouterr()
    code = main(["-C", str(ROOT), "audit", "--env", "dev", "--engine", "terraform",
                 "--endpoint-url", str(lab.aws.endpoint_url), "-o", "json"])
    report = json.loads(capsys.readouterr().out)
    bad = [(r["control"], r["resource"], r["status"], r["detail"]) for r in report["results"]
           if r["status"] not in ("passed", "not_applicable")]
    assert code == 0 and bad == []
    not_applicable = {r["control"] for r in report["results"] if r["status"] == "not_applicable"}
    # dev: deletion protection (production tier only) and the switched-off options (load balancer, flow logs,
    # read replica, WAF) are not applicable; FF-IAM-003 on the EC2 role only (DECISIONS 17.2)
    assert not_applicable == {"FF-RDS-007", "FF-ALB-001", "FF-ALB-002", "FF-ALB-003", "FF-ALB-004", "FF-LOG-002",
                              "FF-RDS-008", "FF-WAF-001", "FF-IAM-003"}
    assert [r["resource"] for r in report["results"] if (r["control"], r["status"]) == ("FF-IAM-003",
                                                                                       "not_applicable")] == [
        deployed["ec2_role_name"]]
    assert {r["control"] for r in report["results"]} >= {f"FF-TF-00{i}" for i in range(1, 6)}


# ------------------------------------------------------------------------------ day two: change every setting
# Two applies through the CLI (`deploy --engine terraform`, then `tf apply`), each changing what can change
# together, each read back through boto3; then `tf plan` shows nothing left to do. The fixed settings
# (network CIDRs, region) are refused without running terraform. tests/test_lifecycle_tf.py has the rest.

DAY_TWO_A: dict[str, Any] = {
    "tags.Owner": "data-team", "tags.Extra": "lifecycle", "ec2.instance_type": "t3.small", "ec2.instance_count": 2,
    "ec2.root_volume_size": 30, "ec2.admin_ssh_cidrs": ["203.0.113.0/24"], "rds.instance_class": "db.t3.small",
    "rds.allocated_storage": 30, "rds.max_allocated_storage": 200, "rds.multi_az": True,
    "rds.backup_retention_days": 14, "rds.monitoring_interval": 30, "rds.deletion_protection": True,
    "s3.log_expiration_days": 120, "s3.noncurrent_version_expiration_days": 45, "logs.retention_days": 60,
}
# From A: count down, SSH ranges swapped (one rule replaced, one added), protection and monitoring off again,
# Multi-AZ off, another retention, a tag removed (None: the key is dropped).
DAY_TWO_B: dict[str, Any] = {
    **DAY_TWO_A, "tags.Extra": None, "ec2.instance_count": 1,
    "ec2.admin_ssh_cidrs": ["198.51.100.0/24", "192.0.2.0/24"], "rds.multi_az": False,
    "rds.backup_retention_days": 21, "rds.monitoring_interval": 0, "rds.deletion_protection": False,
}


@dataclass
class Changed:
    env: Environment
    code: int
    outputs: dict[str, Any]
    log: str


def _cli_deploy(lab: Lab, base: Path, changes: dict[str, Any], command: list[str], name: str) -> Changed:
    project = project_with(base, changes)
    out, err = io.StringIO(), io.StringIO()
    with pytest.MonkeyPatch.context() as mp, contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        mp.setenv(session.WORK_DIR_ENV, str(lab.work_dir))
        code = lab.timed(name, lambda: main(["-C", str(project), *command, "--env", "dev", "--endpoint-url",
                                             str(lab.aws.endpoint_url), "--yes", "-o", "json"]))
    log = err.getvalue()
    print(log[-4000:])
    text = out.getvalue().strip()  # the JSON outputs (lab.timed prints its figure after them)
    outputs = json.JSONDecoder().raw_decode(text)[0] if text.startswith("{") else {}
    return Changed(load_environment(project, "dev"), code, outputs, log)


@pytest.fixture(scope="module")
def changed_a(lab: Lab, deployed: dict[str, Any], tmp_path_factory: pytest.TempPathFactory) -> Changed:
    return _cli_deploy(lab, tmp_path_factory.mktemp("day-two-a"), DAY_TWO_A, ["deploy", "--engine", "terraform"],
                       "apply A (day two)")


@pytest.fixture(scope="module")
def changed_b(lab: Lab, changed_a: Changed, tmp_path_factory: pytest.TempPathFactory) -> Changed:
    return _cli_deploy(lab, tmp_path_factory.mktemp("day-two-b"), DAY_TWO_B, ["tf", "apply"], "apply B (day two)")


def _running(lab: Lab) -> list[dict[str, Any]]:
    reservations = lab.client("ec2").describe_instances(Filters=[
        {"Name": "instance-state-name", "Values": ["running"]}, {"Name": "tag:Environment", "Values": ["dev"]}])
    return [i for r in reservations["Reservations"] for i in r["Instances"]]


def _ssh_ranges(lab: Lab, group: str) -> set[str]:
    rules = lab.client("ec2").describe_security_group_rules(Filters=[{"Name": "group-id", "Values": [group]}])[
        "SecurityGroupRules"]
    return {r["CidrIpv4"] for r in rules if not r["IsEgress"] and r["FromPort"] == 22}


def _db(lab: Lab) -> dict[str, Any]:
    db: dict[str, Any] = lab.client("rds").describe_db_instances(DBInstanceIdentifier="fuel-flow-db-dev")[
        "DBInstances"][0]
    return db


def _retentions(lab: Lab) -> set[int | None]:
    groups = lab.client("logs").describe_log_groups()["logGroups"]
    return {g.get("retentionInDays") for g in groups if g["logGroupName"].startswith(("/fuel-flow/dev/",
                                                                                       "/aws/rds/instance/fuel-flow"))}


def _check_common(lab: Lab, changed: Changed, deployed: dict[str, Any]) -> None:
    """What A set and B keeps: instance type, volume size, DB class and storage, retention, lifecycle, tags."""
    env = changed.env
    assert changed.code == 0, changed.log[-3000:]
    running = _running(lab)
    assert len(running) == env.ec2.instance_count
    assert {i["InstanceType"] for i in running} == {env.ec2.instance_type}
    ec2 = lab.client("ec2")
    template = deployed["launch_template_id"]
    data = ec2.describe_launch_template_versions(LaunchTemplateId=template, Versions=["$Default"])[
        "LaunchTemplateVersions"][0]["LaunchTemplateData"]
    assert data["InstanceType"] == env.ec2.instance_type
    assert data["BlockDeviceMappings"][0]["Ebs"]["VolumeSize"] == env.ec2.root_volume_size
    volumes = ec2.describe_volumes(Filters=[{"Name": "attachment.instance-id",
                                             "Values": [i["InstanceId"] for i in running]}])["Volumes"]
    assert {v["Size"] for v in volumes} == {env.ec2.root_volume_size}
    assert _ssh_ranges(lab, deployed["web_sg_id"]) == set(env.ec2.admin_ssh_cidrs)
    db, rds = _db(lab), env.rds
    assert (db["DBInstanceClass"], db["AllocatedStorage"], db["MaxAllocatedStorage"], db["MultiAZ"],
            db["BackupRetentionPeriod"], db["MonitoringInterval"], db["DeletionProtection"]) == (
        rds.instance_class, rds.allocated_storage, rds.max_allocated_storage, rds.multi_az,
        rds.backup_retention_days, rds.monitoring_interval, rds.deletion_protection)
    assert _retentions(lab) == {env.logs.retention_days}
    s3 = lab.client("s3")
    logs_rules = s3.get_bucket_lifecycle_configuration(Bucket=deployed["logs_bucket_name"])["Rules"]
    assert {r.get("Expiration", {}).get("Days") for r in logs_rules} - {None} == {env.s3.log_expiration_days}
    backup_rules = s3.get_bucket_lifecycle_configuration(Bucket=deployed["backups_bucket_name"])["Rules"]
    assert {r.get("NoncurrentVersionExpiration", {}).get("NoncurrentDays") for r in backup_rules} - {None} == {
        env.s3.noncurrent_version_expiration_days}
    expected = env.stack_tags()
    vpc_tags = {t["Key"]: t["Value"] for t in ec2.describe_vpcs(VpcIds=[deployed["vpc_id"]])["Vpcs"][0]["Tags"]}
    db_tags = {t["Key"]: t["Value"] for t in db["TagList"]}
    bucket_tags = {t["Key"]: t["Value"] for t in s3.get_bucket_tagging(Bucket=deployed["logs_bucket_name"])["TagSet"]}
    instance_tags = [{t["Key"]: t["Value"] for t in i["Tags"]} for i in running]
    for tags in (vpc_tags, db_tags, bucket_tags, *instance_tags):
        assert {k: tags.get(k) for k in expected} == expected
        assert "Extra" in tags if "Extra" in expected else "Extra" not in tags


def test_day_two_a_changes_every_setting_that_updates(lab: Lab, deployed: dict[str, Any], changed_a: Changed) -> None:
    _check_common(lab, changed_a, deployed)
    # The deploy named each change, and the instances' replacement (a new launch template version), first.
    assert "REPLACE module.ec2.aws_instance.web[0] (deleted and created anew; forced by: launch_template.0.version)" \
        in changed_a.log
    assert re.search(r"update module\.rds\.aws_db_instance\.this in place: .*instance_class", changed_a.log)
    assert "create module.ec2.aws_instance.web[1]" in changed_a.log


def test_day_two_plan_of_b_shows_the_monthly_cost_change(lab: Lab, changed_a: Changed, tmp_path: Path) -> None:
    """`fuelflow tf plan` ends with the cost of what it would apply (issue 11): planned on top of A, B's plan prices
    the state's `before` and the plan's `after` — the same totals `fuelflow cost` gives A and B from the templates."""
    from fuelflow.cost import cloudformation_resources
    from fuelflow.cost.delta import compare

    assert changed_a.code == 0, changed_a.log[-3000:]
    project = project_with(tmp_path, DAY_TWO_B)
    env_b = load_environment(project, "dev")
    result = lab.timed("plan B on A (cost)", lambda: ops.tf_plan(env_b, lab.aws, project, lab.ui,
                                                                 work_dir=lab.work_dir))
    cost = result["cost"]
    expected = compare(cloudformation_resources(project, changed_a.env), cloudformation_resources(project, env_b),
                       env_b)
    assert cost["monthly_before"] == pytest.approx(expected.before, abs=0.01)
    assert cost["monthly_after"] == pytest.approx(expected.after, abs=0.01)
    assert cost["monthly_change"] < 0  # one server fewer, Multi-AZ and enhanced monitoring off
    changed = {(r["group"], r["resource"]) for r in cost["resources"]}
    assert any(g == "rds" and name.endswith("aws_db_instance.this") for g, name in changed), changed  # Multi-AZ off
    assert any(name.endswith("aws_instance.web[1]") for _, name in changed), changed  # the second server goes


def test_day_two_b_counts_down_and_turns_settings_back(lab: Lab, deployed: dict[str, Any], changed_b: Changed) -> None:
    _check_common(lab, changed_b, deployed)
    alarms = lab.client("cloudwatch").describe_alarms(AlarmNamePrefix="fuel-flow-dev-ec2-cpu-high-")["MetricAlarms"]
    assert [a["Dimensions"] for a in alarms] == [[{"Name": "InstanceId", "Value": i["InstanceId"]}]
                                                 for i in _running(lab)]  # count down: one instance, one alarm
    assert changed_b.outputs["instance_ids"] == [i["InstanceId"] for i in _running(lab)]


def test_day_two_plan_afterwards_has_no_changes(lab: Lab, changed_b: Changed, tmp_path: Path) -> None:
    project = project_with(tmp_path, DAY_TWO_B)
    env = load_environment(project, "dev")
    assert env == changed_b.env
    result = lab.timed("plan after day two", lambda: ops.tf_plan(env, lab.aws, project, lab.ui,
                                                                 work_dir=lab.work_dir))
    assert result["changes"] is False, f"plan after day two wants changes: {json.dumps(result['details'], indent=1)}"


def test_day_two_a_new_vpc_cidr_is_refused_before_terraform_runs(lab: Lab, changed_b: Changed, tmp_path: Path,
                                                                 capsys: pytest.CaptureFixture[str],
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    store = state.StateStore(lab.aws, lab.backend)
    serial = (store.read_state(lab.backend.key) or {}).get("serial")
    project = project_with(tmp_path, {"network.vpc_cidr": "10.30.0.0/16",
                                      "network.public_subnet_cidrs": ["10.30.0.0/24", "10.30.1.0/24"],
                                      "network.private_subnet_cidrs": ["10.30.10.0/24", "10.30.11.0/24"]})
    monkeypatch.setenv(session.WORK_DIR_ENV, str(lab.work_dir))
    capsys.readouterr()
    code = main(["-C", str(project), "tf", "plan", "--env", "dev", "--endpoint-url", str(lab.aws.endpoint_url)])
    err = " ".join(capsys.readouterr().err.split())
    assert code == 2
    assert ("network.vpc_cidr cannot change on a deployed environment (10.10.0.0/16 -> 10.30.0.0/16) (and "
            "network.public_subnet_cidrs, network.private_subnet_cidrs): it replaces the VPC and the database in "
            "it; destroy (buckets are kept) and deploy again") in err
    assert (store.read_state(lab.backend.key) or {}).get("serial") == serial


# ------------------------------------------------------------------------------ destroy, then the backend


def test_destroy_leaves_only_what_is_retained(lab: Lab, deployed: dict[str, Any], destroyed: dict[str, Any]) -> None:
    kept = set(destroyed["retained"])
    s3 = lab.client("s3")
    buckets = {b["Name"] for b in s3.list_buckets()["Buckets"]}
    assert buckets == {lab.backend.bucket} | kept
    assert kept <= {deployed["app_data_bucket_name"], deployed["logs_bucket_name"], deployed["backups_bucket_name"]}
    for bucket in kept:  # kept because it holds data, and kept locked down
        page = s3.list_object_versions(Bucket=bucket, MaxKeys=1)
        assert page.get("Versions") or page.get("DeleteMarkers")
        check_bucket(lab, bucket, versioned=bucket != deployed["logs_bucket_name"])
    ec2 = lab.client("ec2")
    states = {i["State"]["Name"] for r in ec2.describe_instances()["Reservations"] for i in r["Instances"]}
    assert states <= {"terminated"}
    assert lab.client("rds").describe_db_instances()["DBInstances"] == []
    assert {g["GroupName"] for g in ec2.describe_security_groups()["SecurityGroups"]} <= {"default"}
    assert [v for v in ec2.describe_vpcs()["Vpcs"] if not v["IsDefault"]] == []
    assert [r["RoleName"] for r in lab.client("iam").list_roles()["Roles"]
            if r["RoleName"].startswith("fuel-flow-")] == []
    assert lab.client("logs").describe_log_groups()["logGroups"] == []
    # the state backend stays, and with it its lock table's throttling alarm
    assert [a["AlarmName"] for a in lab.client("cloudwatch").describe_alarms()["MetricAlarms"]] == [
        f"{lab.env.project}-tflock-{lab.env.name}-throttled"]
    assert lab.client("cloudwatch").describe_alarms()["CompositeAlarms"] == []
    tfstate = state.StateStore(lab.aws, lab.backend).read_state(lab.backend.key)
    assert tfstate is not None and tfstate["resources"] == []
    table = lab.client("dynamodb").describe_table(TableName=lab.backend.lock_table)["Table"]
    assert table["TableStatus"] == "ACTIVE"  # the state backend stays


def test_unbootstrap_after_destroy_removes_the_backend(lab: Lab, destroyed: dict[str, Any]) -> None:
    result = lab.timed("unbootstrap", lambda: run(lab, ops.tf_unbootstrap, auto_approve=True))
    assert result["deleted"] == [lab.backend.bucket, lab.backend.lock_table]
    assert not state.StateStore(lab.aws, lab.backend).bucket_exists()
    assert not state.StateStore(lab.aws, lab.backend).table_exists()
    again = run(lab, ops.tf_unbootstrap, auto_approve=True)
    assert again["deleted"] == []
