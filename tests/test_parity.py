"""Parity of cloudformation/ and terraform/ (DECISIONS.md section 1): both describe the same architecture.

`test_engines_describe_the_same_architecture` is the check itself; it fails with one readable line per
difference, naming both files. The other tests prove the comparer: they change a throw-away copy of the
project on one side only and expect exactly that change to be reported, with its path and both files.

The Terraform side is a real `terraform test` plan with a mock provider (fuelflow.parity); without terraform
or the hashicorp/aws provider those tests skip loudly, naming what is missing.
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Callable
from functools import cache
from pathlib import Path

import pytest

from fuelflow import parity
from fuelflow.errors import InputError
from fuelflow.parity import Difference, Model, normalise
from fuelflow.tf import toolchain

ROOT = Path(__file__).resolve().parents[1]
ENVS = ("dev", "prod")

TERRAFORM_MISSING = parity.terraform_available()
needs_terraform = pytest.mark.skipif(
    TERRAFORM_MISSING is not None,
    reason=f"SKIPPED: the Terraform model needs terraform and the hashicorp/aws provider: {TERRAFORM_MISSING}")


@cache
def _plan_model(project: Path, env: str) -> Model:
    return parity.terraform_model(project, env)


def _tf_model(project: Path, env: str = "dev") -> Model:
    """The Terraform model (tests that use it are marked needs_terraform)."""
    return _plan_model(project, env)


def _copy_project(dest: Path) -> Path:
    for part in ("cloudformation", "environments"):
        shutil.copytree(ROOT / part, dest / part)
    shutil.copytree(ROOT / "terraform", dest / "terraform",
                    ignore=shutil.ignore_patterns(".terraform", "*.tfstate*", "tests"))
    return dest


def _edit(path: Path, pattern: str, replacement: str | Callable[[re.Match[str]], str], count: int = 1) -> None:
    """Change a file of the copy; fail loudly if the text to change is gone (the project moved on)."""
    text = path.read_text()
    new, n = re.subn(pattern, replacement, text, count=count, flags=re.S | re.M)
    assert n, f"{path}: nothing matches {pattern!r}; update this test to the new layout"
    path.write_text(new)


def _new(before: list[Difference], after: list[Difference]) -> set[Difference]:
    return set(after) - set(before)


# ============================================================================================ the check


@pytest.mark.terraform
@needs_terraform
@pytest.mark.parametrize("env", ENVS)
def test_engines_describe_the_same_architecture(env: str) -> None:
    diffs = parity.compare_models(parity.cloudformation_model(ROOT, env), _plan_model(ROOT, env))
    assert not diffs, f"{len(diffs)} difference(s) between the engines ({env}):\n" + "\n".join(map(str, diffs))


# ============================================================================================ the models


def test_cloudformation_model_is_the_real_aws_shape() -> None:
    """Evaluated for a real account (not moto's 123456789012): the TLS parameter group is attached."""
    model = parity.cloudformation_model(ROOT, "dev")
    assert model.values["rds.db.parameters.require_secure_transport"] == "1"
    assert model.values["rds.db.parameter_group.family"] == "mysql8.0"


def test_cloudformation_model_follows_imports_to_the_exporting_resource() -> None:
    model = parity.cloudformation_model(ROOT, "dev")
    perms = model.values["iam.roles.ec2.permissions"]
    assert "Allow s3:GetObject on arn:bucket:app-data/*" in perms  # s3 export -> GetAtt AppDataBucket.Arn
    assert model.values["security_groups.db.rules"] >= {"ingress tcp port 3306 from sg:web"}  # network export
    assert model.values["rds.db.monitoring_role"] == "arn:role:rds-monitoring"  # iam export
    assert model.values["rds.db.subnets"] == ["subnet:10.10.10.0/24", "subnet:10.10.11.0/24"]  # network


def test_model_covers_what_the_issue_asks_for() -> None:
    """Buckets, security groups, IAM per role, DB settings, instances, log groups, alarms."""
    paths = set(parity.cloudformation_model(ROOT, "dev").values)
    for expected in (
        "buckets.app-data.encryption.algorithm", "buckets.app-data.versioning", "buckets.logs.lifecycle",
        "buckets.backups.public_access_block.restrict_public_buckets", "buckets.app-data.ownership",
        "buckets.app-data.policy", "buckets.app-data.logging.target",
        "security_groups.web.rules", "security_groups.db.rules",
        "iam.roles.ec2.trust", "iam.roles.ec2.managed_policies", "iam.roles.ec2.permissions",
        "iam.roles.rds-monitoring.trust", "iam.roles.lambda.permissions", "iam.instance_profiles.ec2.roles",
        "rds.db.engine_version", "rds.db.instance_class", "rds.db.storage_encrypted", "rds.db.multi_az",
        "rds.db.backup_retention_days", "rds.db.log_exports", "rds.db.monitoring_interval",
        "rds.db.manage_master_password", "rds.db.publicly_accessible", "rds.db.deletion_protection",
        "rds.db.iam_auth", "rds.db.copy_tags_to_snapshot", "rds.db.parameters.require_secure_transport",
        "ec2.instance_count", "ec2.launch_templates.web.metadata.http_tokens",
        "ec2.launch_templates.web.metadata.hop_limit", "ec2.launch_templates.web.volumes./dev/xvda.encrypted",
        "ec2.launch_templates.web.instance_profile", "ec2.instances.web-1.subnet",
        "logs.log_groups[/fuel-flow/dev/system].retention_days",
        "alarms.fuel-flow-dev-rds-storage-low.threshold", "network.vpc.cidr",
        # monitoring: the topic, its key, policy and subscriptions, both actions, composite, dashboard, agent config
        "sns.topics.alerts.kms_key", "sns.topics.alerts.policy", "sns.topics.alerts.subscriptions",
        "kms.keys.alerts.policy", "kms.keys.alerts.rotation", "kms.aliases[alias/fuel-flow-dev-alerts].target",
        "alarms.fuel-flow-dev-rds-memory-low.ok_actions", "alarms.fuel-flow-dev-unhealthy.rule",
        "alarms.fuel-flow-dev-unhealthy.ok_actions", "dashboards[fuel-flow-dev].body",
        "ssm.parameters[/fuel-flow/dev/cloudwatch-agent].value",
    ):
        assert expected in paths


def test_monitoring_references_compare_by_what_they_name() -> None:
    """Ref of a topic is its ARN, of an alarm its name: the actions, the topic's key and the composite rule
    read the same whichever engine wrote them."""
    values = parity.cloudformation_model(ROOT, "dev").values
    assert values["alarms.fuel-flow-dev-rds-cpu-high.ok_actions"] == ["arn:topic:alerts"]
    assert values["sns.topics.alerts.kms_key"] == "arn:kms-key:alerts"
    assert values["kms.aliases[alias/fuel-flow-dev-alerts].target"] == "kms-key:alerts"
    assert "ALARM fuel-flow-dev-ec2-cpu-high-1" in values["alarms.fuel-flow-dev-unhealthy.rule"]
    assert '"arn:alarm:fuel-flow-dev-unhealthy"' in values["dashboards[fuel-flow-dev].body"]
    assert normalise.alarm_rule('ALARM("a") OR ALARM(b)') == normalise.alarm_rule('ALARM("b") OR ALARM("a")')
    assert normalise.alarm_rule('ALARM("a") AND ALARM("b")') == 'ALARM("a") AND ALARM("b")'  # kept as written


@pytest.mark.terraform
@needs_terraform
def test_environment_drives_both_engines_alike(tmp_path: Path) -> None:
    """A second instance and an SSH CIDR: CloudFormation conditions and Terraform count/for_each agree."""
    project = _copy_project(tmp_path)
    env_file = project / "environments" / "dev.yaml"
    _edit(env_file, r"^(\s*)instance_count: \d+", r"\g<1>instance_count: 2")
    _edit(env_file, r"^(\s*)admin_ssh_cidrs: \[\]", r"\g<1>admin_ssh_cidrs: [203.0.113.0/24]")
    cfn, tf = parity.cloudformation_model(project, "dev"), _tf_model(project)
    for model in (cfn, tf):
        assert model.values["ec2.instance_count"] == 2
        assert model.values["ec2.instances.web-2.subnet"] == "subnet:10.10.1.0/24"
        assert "ingress tcp port 22 from 203.0.113.0/24" in model.values["security_groups.web.rules"]
        assert model.values["alarms.fuel-flow-dev-ec2-cpu-high-2.dimensions"] == "InstanceId=instance:web-2"
    baseline = parity.compare_models(parity.cloudformation_model(ROOT, "dev"), _tf_model(ROOT))
    assert _new(baseline, parity.compare_models(cfn, tf)) == set()


# ============================================================================================ the comparer


@pytest.mark.terraform
@needs_terraform
def test_reports_a_changed_bucket_encryption_in_cloudformation(tmp_path: Path) -> None:
    project = _copy_project(tmp_path)
    _edit(project / "cloudformation" / "s3-buckets.yaml",
          r"(\n  AppDataBucket:\n.*?SSEAlgorithm: )AES256", r"\1aws:kms")
    tf = _tf_model(ROOT)
    before = parity.compare_models(parity.cloudformation_model(ROOT, "dev"), tf)
    after = parity.compare_models(parity.cloudformation_model(project, "dev"), tf)
    (diff,) = _new(before, after)
    assert diff.path == "buckets.app-data.encryption.algorithm"
    assert (diff.cloudformation, diff.terraform) == ("aws:kms", "AES256")
    assert str(diff) == ("buckets.app-data.encryption.algorithm: cloudformation/s3-buckets.yaml says aws:kms, "
                         "terraform/modules/s3/main.tf says AES256")


@pytest.mark.terraform
@needs_terraform
def test_reports_an_iam_action_added_in_cloudformation(tmp_path: Path) -> None:
    project = _copy_project(tmp_path)
    _edit(project / "cloudformation" / "iam-roles.yaml",
          r"(\n  LambdaRole:\n.*?- s3:GetObject\n)(\s*)", r"\1\2- s3:PutObjectAcl\n\2")
    tf = _tf_model(ROOT)
    before = parity.compare_models(parity.cloudformation_model(ROOT, "dev"), tf)
    new = _new(before, parity.compare_models(parity.cloudformation_model(project, "dev"), tf))
    # the first statement with s3:GetObject is app-data's (the logs and backups grants are narrower, DECISIONS 17.3)
    assert {(d.path, d.cloudformation, d.terraform, d.member) for d in new} == {
        ("iam.roles.lambda.permissions", "Allow s3:PutObjectAcl on arn:bucket:app-data/*", None, True)}
    for d in new:
        assert str(d) == (f"iam.roles.lambda.permissions: cloudformation/iam-roles.yaml has {d.cloudformation}, "
                          "terraform/modules/iam/main.tf does not")


def _mutate_terraform(project: Path) -> None:
    """Drop the web tier's HTTPS egress rule and pin the backup retention to 14 days, in Terraform only."""
    network = project / "terraform" / "modules" / "network" / "security_groups.tf"
    _edit(network, r'^resource "aws_vpc_security_group_egress_rule" "[a-z_]+" \{\n(?:(?!^\}).)*?'
               r"from_port\s*=\s*443\b(?:(?!^\}).)*?^\}\n", "")
    _edit(project / "terraform" / "modules" / "rds" / "main.tf",
          r"^(\s*backup_retention_period\s*=\s*)[^\n]*$", r"\g<1>14")


def _assert_terraform_mutations_reported(before: list[Difference], after: list[Difference]) -> None:
    new = {str(d) for d in _new(before, after)}
    assert new == {
        "security_groups.web.rules: cloudformation/network.yaml has egress tcp port 443 to 0.0.0.0/0, "
        "terraform/modules/network/security_groups.tf does not",
        "rds.db.backup_retention_days: cloudformation/rds-database.yaml says 7, "
        "terraform/modules/rds/main.tf says 14",
    }


@pytest.mark.terraform
@needs_terraform
def test_reports_terraform_changes_through_compare(tmp_path: Path) -> None:
    """End to end: compare() on a project whose Terraform lost a rule and changed a setting."""
    project = _copy_project(tmp_path)
    _mutate_terraform(project)
    before = parity.compare_models(parity.cloudformation_model(ROOT, "dev"), _plan_model(ROOT, "dev"))
    _assert_terraform_mutations_reported(before, parity.compare(project, "dev"))


@pytest.mark.terraform
@needs_terraform
def test_reports_monitoring_changes_on_either_side(tmp_path: Path) -> None:
    """CloudWatch may no longer use the key (Terraform); the composite alarm lost its OK actions (CloudFormation)."""
    project = _copy_project(tmp_path)
    _edit(project / "terraform" / "modules" / "monitoring" / "main.tf",
          r'(Action\s*=\s*)\["kms:Decrypt", "kms:GenerateDataKey\*"\]', r'\1["kms:Decrypt"]')
    _edit(project / "cloudformation" / "monitoring.yaml",
          r"(\n  UnhealthyAlarm:\n.*?)\n      OKActions: \[!Ref AlertsTopic\]", r"\1")
    before = parity.compare_models(parity.cloudformation_model(ROOT, "dev"), _plan_model(ROOT, "dev"))
    new = {str(d) for d in parity.compare(project, "dev")} - {str(d) for d in before}  # lists: unhashable
    assert new == {
        "kms.keys.alerts.policy: cloudformation/monitoring.yaml has Allow kms:GenerateDataKey* on * for "
        "Service=cloudwatch.amazonaws.com if StringEquals aws:SourceAccount=<account>, "
        "terraform/modules/monitoring/main.tf does not",
        "alarms.fuel-flow-dev-unhealthy.ok_actions: cloudformation/monitoring.yaml says [], "
        "terraform/modules/monitoring/main.tf says [arn:topic:alerts]",
    }


def test_differences_read_as_one_line_naming_both_files() -> None:
    cfn, tf = Model("cloudformation"), Model("terraform")
    cfn.put("rds.db.backup_retention_days", "7", "cloudformation/rds-database.yaml")
    tf.put("rds.db.backup_retention_days", 14, "terraform/modules/rds/main.tf")
    cfn.put("rds.db.port", "3306", "cloudformation/rds-database.yaml")  # "3306" and 3306 are the same
    tf.put("rds.db.port", 3306, "terraform/modules/rds/main.tf")
    cfn.put("security_groups.web.rules", frozenset({"ingress tcp port 80 from 0.0.0.0/0"}),
            "cloudformation/ec2-instances.yaml")
    tf.put("security_groups.web.rules", frozenset({"egress tcp port 80 to 0.0.0.0/0"}),
           "terraform/modules/ec2/main.tf")
    cfn.put("logs.log_groups[/aws/rds/x].retention_days", 30, "cloudformation/rds-database.yaml")
    assert [str(d) for d in parity.compare_models(cfn, tf)] == [
        "logs.log_groups[/aws/rds/x].retention_days: cloudformation/rds-database.yaml says 30, "
        "terraform/modules/rds/main.tf says (absent)",
        "rds.db.backup_retention_days: cloudformation/rds-database.yaml says 7, terraform/modules/rds/main.tf says 14",
        "security_groups.web.rules: cloudformation/ec2-instances.yaml has ingress tcp port 80 from 0.0.0.0/0, "
        "terraform/modules/ec2/main.tf does not",
        "security_groups.web.rules: terraform/modules/ec2/main.tf has egress tcp port 80 to 0.0.0.0/0, "
        "cloudformation/ec2-instances.yaml does not",
    ]


def test_metric_math_alarm_compares_as_the_plain_threshold_it_means() -> None:
    assert normalise._linear("100 * free / (20 * 1073741824)", "free") == pytest.approx((0.0, 100 / (20 * 2**30)))
    assert normalise._linear("free * free", "free") is None
    model = Model("cloudformation")
    normalise.put_alarm(model, "a", "f", {
        "threshold": 10, "comparison": "LessThanThreshold", "math": [
            {"id": "free", "expression": None, "return_data": False, "namespace": "AWS/RDS",
             "metric": "FreeStorageSpace", "statistic": "Minimum", "period": 300, "dimensions": {}},
            {"id": "pct", "expression": "100 * free / (20 * 1073741824)", "return_data": True},
        ]})
    assert model.values["alarms.a.threshold"] == 2 * 2**30
    assert model.values["alarms.a.metric"] == "FreeStorageSpace"


def test_no_egress_sentinel_means_no_egress() -> None:
    model = parity.cloudformation_model(ROOT, "dev")
    assert not any(r.startswith("egress") for r in model.values["security_groups.db.rules"])


def test_missing_terraform_is_an_input_error(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv(toolchain.TERRAFORM_ENV, str(tmp_path / "no-terraform"))
    assert parity.terraform_available() is not None
    with pytest.raises(InputError, match="not an executable"):
        parity.compare(ROOT, "dev")


@pytest.mark.terraform
@needs_terraform
def test_switched_on_options_describe_the_same_architecture(tmp_path: Path) -> None:
    """Flow logs and the read replica (off in dev) compared with their switches on: the same resources."""
    import yaml

    project = _copy_project(tmp_path)
    doc = yaml.safe_load((project / "environments" / "dev.yaml").read_text())
    doc["network"]["flow_logs"], doc["rds"]["read_replica"], doc["rds"]["slow_query_seconds"] = True, True, 9
    (project / "environments" / "dev.yaml").write_text(yaml.safe_dump(doc, sort_keys=False))
    cfn = parity.cloudformation_model(project, "dev")
    assert cfn.values["network.flow_logs[vpc].traffic"] == "ALL"
    assert cfn.values["rds.db-replica.replica_of"] == "db"
    assert cfn.values["rds.db.parameters.long_query_time"] == "9"
    diffs = parity.compare_models(cfn, parity.terraform_model(project, "dev"))
    assert not diffs, "\n".join(map(str, diffs))
