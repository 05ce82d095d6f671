"""The CloudFormation path end to end on the embedded emulator: deploy dev, re-deploy (no changes),
outputs, status, destroy (retained resources reported). Through the CLI, as a user runs it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import boto3
import pytest

from cli_process import run_in_process as run
from fuelflow.cli import main
from fuelflow.emulator import Emulator

pytestmark = pytest.mark.emulator

# what dev deploys; the edge stack creates nothing in dev (edge options off) and is only reported
DEPLOYED = [f"fuel-flow-{p}-dev" for p in ("network", "iam", "s3", "ec2", "rds", "monitoring")]
EDGE = "fuel-flow-edge-dev"


@pytest.fixture(scope="module")
def deployed(fresh_emulator: Emulator, project_dir: Path) -> dict[str, Any]:
    """Deploy dev once for the module (through the library entry point the CLI uses)."""
    pytest.MonkeyPatch().chdir(project_dir)
    import io
    import sys
    from contextlib import redirect_stderr, redirect_stdout

    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        code = main(["deploy", "--env", "dev", "--endpoint-url", fresh_emulator.endpoint_url, "--yes",
                     "--output", "json"])
    assert code == 0, err.getvalue()[-3000:]
    sys.stderr.write(err.getvalue()[-500:])
    return {"report": json.loads(out.getvalue()), "log": err.getvalue(), "endpoint": fresh_emulator.endpoint_url}


def cfn(endpoint: str) -> Any:
    return boto3.client("cloudformation", endpoint_url=endpoint, region_name="us-east-1",
                        aws_access_key_id="test", aws_secret_access_key="test")


def test_deploy_creates_every_stack_with_outputs(deployed: dict[str, Any]) -> None:
    stacks = {s["stack"]: s for s in deployed["report"]["stacks"]}
    assert set(stacks) == set(DEPLOYED) | {EDGE}
    # the edge stack would create nothing in dev (its options are off): reported, never created
    edge = stacks.pop(EDGE)
    assert (edge["action"], edge["status"]) == ("nothing to deploy", "NOT_DEPLOYED")
    assert edge["reason"].startswith("edge options off")
    assert EDGE not in {s["StackName"] for s in cfn(deployed["endpoint"]).describe_stacks()["Stacks"]}
    assert {s["action"] for s in stacks.values()} == {"created"}
    assert {s["status"] for s in stacks.values()} == {"CREATE_COMPLETE"}
    assert stacks["fuel-flow-network-dev"]["outputs"]["VpcCidr"] == "10.10.0.0/16"
    assert stacks["fuel-flow-s3-dev"]["outputs"]["AppDataBucketName"].startswith("fuel-flow-app-data-dev-")
    assert stacks["fuel-flow-rds-dev"]["outputs"]["DBPort"] == "3306"
    # RDS keeps the password in Secrets Manager (ManageMasterUserPassword); the template never sees it
    secret_arn = stacks["fuel-flow-rds-dev"]["outputs"]["DBSecretArn"]
    sm = boto3.client("secretsmanager", endpoint_url=deployed["endpoint"], region_name="us-east-1",
                      aws_access_key_id="test", aws_secret_access_key="test")
    assert sm.describe_secret(SecretId=secret_arn)["Name"].startswith("rds!db-")
    # the order was derived from the imports: network and s3 first; ec2 and rds both once network and iam are
    # complete, without waiting for each other (the web security group is the network stack's)
    log = deployed["log"]
    assert log.index("fuel-flow-iam-dev: creating") > log.index("fuel-flow-s3-dev: CREATE_COMPLETE")
    for tier in ("ec2", "rds"):
        assert log.index(f"fuel-flow-{tier}-dev: creating") > log.index("fuel-flow-iam-dev: CREATE_COMPLETE")
        assert log.index(f"fuel-flow-{tier}-dev: creating") > log.index("fuel-flow-network-dev: CREATE_COMPLETE")
    assert log.index("fuel-flow-rds-dev: creating") < log.index("fuel-flow-ec2-dev: CREATE_COMPLETE")
    # the monitoring stack imports from ec2 and rds: it comes after both
    assert log.index("fuel-flow-monitoring-dev: creating") > log.index("fuel-flow-rds-dev: CREATE_COMPLETE")


def test_exports_and_imports_resolved(deployed: dict[str, Any]) -> None:
    client = cfn(deployed["endpoint"])
    # moto also lists exports of outputs whose Condition is false (without a value): skip those.
    exports = {e["Name"]: e["Value"] for e in client.list_exports()["Exports"] if "Value" in e}
    stacks = {s["stack"]: s for s in deployed["report"]["stacks"]}
    vpc = stacks["fuel-flow-network-dev"]["outputs"]["VpcId"]
    assert exports["fuel-flow-network-dev-VpcId"] == vpc
    # the web security group (network stack, imported by ec2 and rds) lives in the stack's VPC
    ec2 = boto3.client("ec2", endpoint_url=deployed["endpoint"], region_name="us-east-1",
                       aws_access_key_id="test", aws_secret_access_key="test")
    sg_id = stacks["fuel-flow-network-dev"]["outputs"]["WebSecurityGroupId"]
    sg = ec2.describe_security_groups(GroupIds=[sg_id])["SecurityGroups"][0]
    assert sg["VpcId"] == vpc
    for name in exports:
        owner = name.rsplit("-", 1)[0]
        assert owner in stacks, f"export {name} is not named ${{AWS::StackName}}-<Name>"


def test_redeploy_is_no_changes(deployed: dict[str, Any], capsys: pytest.CaptureFixture[str]) -> None:
    code, data, err = run(capsys, "deploy", "--endpoint-url", deployed["endpoint"], "--yes", "--output", "json")
    assert code == 0, err
    actions = {s["stack"]: s["action"] for s in data["stacks"]}
    assert actions.pop(EDGE) == "nothing to deploy"
    assert set(actions) == set(DEPLOYED) and set(actions.values()) == {"unchanged"}
    code, data, err = run(capsys, "diff", "--endpoint-url", deployed["endpoint"], "--output", "json")
    assert code == 0, err
    kinds = {s["stack"]: s["kind"] for s in data["stacks"]}
    assert kinds.pop(EDGE) == "skip"
    assert set(kinds) == set(DEPLOYED) and set(kinds.values()) == {"none"}


def test_status_and_outputs(deployed: dict[str, Any], capsys: pytest.CaptureFixture[str]) -> None:
    code, data, _ = run(capsys, "status", "--endpoint-url", deployed["endpoint"], "--output", "json")
    assert code == 0
    status = {s["stack"]: s for s in data["stacks"]}
    edge = status.pop(EDGE)
    assert edge["status"] == "NOT_DEPLOYED" and edge["reason"].startswith("nothing to deploy: edge options off")
    assert set(status) == set(DEPLOYED) and {s["status"] for s in status.values()} == {"CREATE_COMPLETE"}
    code, data, err = run(capsys, "outputs", "--endpoint-url", deployed["endpoint"], "--output", "json")
    assert code == 0 and data["fuel-flow-ec2-dev"]["Instance1Id"].startswith("i-")
    assert set(data) == set(DEPLOYED) and "warning" not in err, err  # the edge is not "missing": it has nothing


def test_audit_after_a_cloudformation_deploy_finds_nothing(deployed: dict[str, Any],
                                                           capsys: pytest.CaptureFixture[str]) -> None:
    """The templates deserve no finding; whatever the target cannot answer must say why, never "passed"."""
    code, data, err = run(capsys, "audit", "--endpoint-url", deployed["endpoint"], "--output", "json")
    assert code == 0, err
    summary = data["summary"]
    assert summary["failed"] == 0
    assert summary["passed"] >= 30
    for r in data["results"]:
        if r["status"] in ("not_checked", "not_applicable"):
            assert r["detail"], f"{r['control']} on {r['resource']} says {r['status']} without a reason"
    # DECISIONS 17: the deployer closed the default group; the templates' endpoint policy, bucket denies,
    # multipart rules and instance profile are what the emulator reports back
    for r in data["results"]:
        if r["control"] in ("FF-VPC-001", "FF-VPC-002", "FF-S3-007", "FF-S3-008", "FF-EC2-003"):
            assert r["status"] == "passed", r


def test_changed_parameter_is_an_update(deployed: dict[str, Any], tmp_path: Path, project_dir: Path,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    """A user's own copy of the project is what gets deployed: change a setting there, see the diff."""
    import shutil

    copy = tmp_path / "proj"
    shutil.copytree(project_dir / "environments", copy / "environments")
    shutil.copytree(project_dir / "cloudformation", copy / "cloudformation")
    env_file = copy / "environments" / "dev.yaml"
    env_file.write_text(env_file.read_text().replace("retention_days: 30", "retention_days: 14"))
    code, data, err = run(capsys, "-C", str(copy), "diff", "--endpoint-url", deployed["endpoint"],
                          "--output", "json")
    assert code == 0, err
    kinds = {s["stack"]: s["kind"] for s in data["stacks"]}
    assert kinds["fuel-flow-ec2-dev"] == "update"
    ec2 = next(s for s in data["stacks"] if s["stack"] == "fuel-flow-ec2-dev")
    assert "LogRetentionDays 30 -> 14" in ec2["note"]
    # rds keeps its log groups as long: updated the same way; the network stack takes the setting for its flow-log
    # group, which dev does not create (network.flow_logs off): a parameter-only update, no resource changes
    rds = next(s for s in data["stacks"] if s["stack"] == "fuel-flow-rds-dev")
    assert kinds["fuel-flow-rds-dev"] == "update" and "LogRetentionDays 30 -> 14" in rds["note"]
    network = next(s for s in data["stacks"] if s["stack"] == "fuel-flow-network-dev")
    assert kinds["fuel-flow-network-dev"] == "update" and network["changes"] == []
    assert "LogRetentionDays 30 -> 14; no resource changes listed" in network["note"]
    # the stacks that do not take the setting are untouched; the edge stays skipped
    assert kinds["fuel-flow-s3-dev"] == kinds["fuel-flow-iam-dev"] == kinds["fuel-flow-monitoring-dev"] == "none"
    assert kinds[EDGE] == "skip"


def test_diff_ends_with_the_monthly_cost_change(deployed: dict[str, Any], tmp_path: Path, project_dir: Path,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    """The deployed stacks' templates and parameters (read back from CloudFormation) priced against the
    changed project: a bigger instance type costs exactly its hourly difference."""
    import shutil

    code, data, err = run(capsys, "diff", "--endpoint-url", deployed["endpoint"], "--output", "json")
    assert code == 0, err
    assert data["cost"]["monthly_before"] == data["cost"]["monthly_after"] == 35.44  # as `fuelflow cost`
    assert data["cost"]["resources"] == []
    copy = tmp_path / "proj"
    shutil.copytree(project_dir / "environments", copy / "environments")
    shutil.copytree(project_dir / "cloudformation", copy / "cloudformation")
    env_file = copy / "environments" / "dev.yaml"
    env_file.write_text(env_file.read_text().replace("instance_type: t3.micro", "instance_type: t3.small"))
    code, data, err = run(capsys, "-C", str(copy), "diff", "--endpoint-url", deployed["endpoint"],
                          "--output", "json")
    assert code == 0, err
    cost = data["cost"]
    assert cost["monthly_change"] == round(730 * (0.0208 - 0.0104), 2)  # 7.59
    assert cost["resources"] == [{"group": "ec2", "resource": "Instance1", "monthly_before": 12.84,
                                  "monthly_after": 20.43, "monthly_change": 7.59}]
    code, out, err = run(capsys, "-C", str(copy), "diff", "--endpoint-url", deployed["endpoint"])
    assert code == 0, err
    assert "monthly cost: $35.44 -> $43.03 (+$7.59/month)" in out + err


def test_destroy_needs_force_then_removes_stacks_and_reports_retained(
        deployed: dict[str, Any], capsys: pytest.CaptureFixture[str]) -> None:
    endpoint = deployed["endpoint"]
    code, _, err = run(capsys, "destroy", "--endpoint-url", endpoint, "--yes")
    assert code == 2 and "--force" in err, err  # the database would be deleted
    assert len(cfn(endpoint).describe_stacks()["Stacks"]) == len(DEPLOYED)  # nothing was touched

    code, _, err = run(capsys, "destroy", "--endpoint-url", endpoint, "--force", "--confirm", "prod")
    assert code == 2 and "does not match" in err

    code, data, err = run(capsys, "destroy", "--endpoint-url", endpoint, "--force", "--confirm", "dev",
                          "--output", "json")
    assert code == 0, err
    actions = {s["stack"]: s["action"] for s in data["stacks"]}
    assert actions.pop(EDGE) == "absent"  # never deployed: nothing to delete
    assert set(actions) == set(DEPLOYED) and set(actions.values()) == {"deleted"}
    live = [s for s in cfn(endpoint).describe_stacks()["Stacks"] if s["StackStatus"] != "DELETE_COMPLETE"]
    assert live == []
    s3 = boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1",
                      aws_access_key_id="test", aws_secret_access_key="test")
    buckets = {b["Name"] for b in s3.list_buckets()["Buckets"]}
    retained = " ".join(data["retained"])
    # Whatever the emulator did with DeletionPolicy Retain, the report must match reality.
    for kind in ("app-data", "logs", "backups"):
        name = next((b for b in buckets if b.startswith(f"fuel-flow-{kind}-dev-")), None)
        if name:
            assert name in retained
        else:
            assert any(kind in n for n in data["notes"])
    # the database: a final snapshot, or an honest note that the emulator took none
    assert data["snapshots"] or any("no final snapshot" in n for n in data["notes"])
