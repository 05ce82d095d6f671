"""Recreate after destroy on the CloudFormation path (emulator, through the CLI as a user runs it): the retained
buckets are adopted by an IMPORT change set with their data, twice over; a stack left in REVIEW_IN_PROGRESS is
destroyed and deployed again; destroy reports only what happened, and prod is destroyed only on purpose."""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import Any

import boto3
import botocore.exceptions
import pytest

from cli_process import run_in_process as run
from fuelflow.config import load_environment
from fuelflow.emulator import Emulator
from fuelflow.engine import CAPABILITIES, Engine, PollConfig
from fuelflow.plan import build_plan

pytestmark = pytest.mark.emulator

KINDS = ("app-data", "logs", "backups")
# The stacks deploy creates in dev and prod; the edge stack creates nothing there (its options are off), so it is
# never sent ("nothing to deploy").
PARTS = ("network", "s3", "iam", "ec2", "rds", "monitoring")


@pytest.fixture(scope="module")
def endpoint(fresh_emulator: Emulator, project_dir: Path) -> str:
    pytest.MonkeyPatch().chdir(project_dir)
    return fresh_emulator.endpoint_url


def client(endpoint: str, service: str) -> Any:
    return boto3.client(service, endpoint_url=endpoint, region_name="us-east-1",
                        aws_access_key_id="test", aws_secret_access_key="test")


def bucket_names(env: str) -> dict[str, str]:
    return {k: f"fuel-flow-{k}-{env}-123456789012-us-east-1" for k in KINDS}


def live_stacks(endpoint: str) -> dict[str, str]:
    return {s["StackName"]: s["StackStatus"] for s in client(endpoint, "cloudformation").describe_stacks()["Stacks"]
            if s["StackStatus"] != "DELETE_COMPLETE"}


def owned_buckets(endpoint: str, stack: str) -> dict[str, str]:
    resources = client(endpoint, "cloudformation").describe_stack_resources(StackName=stack)["StackResources"]
    return {r["LogicalResourceId"]: r["PhysicalResourceId"] for r in resources
            if r["ResourceType"] == "AWS::S3::Bucket"}


def deploy(capsys: pytest.CaptureFixture[str], endpoint: str, env: str = "dev") -> tuple[Any, str]:
    code, data, err = run(capsys, "deploy", "--env", env, "--endpoint-url", endpoint, "--yes", "--output", "json")
    assert code == 0, err[-3000:]
    return data, err


def destroy(capsys: pytest.CaptureFixture[str], endpoint: str, env: str = "dev", *extra: str) -> Any:
    code, data, err = run(capsys, "destroy", "--env", env, "--endpoint-url", endpoint, "--force", "--confirm", env,
                          *extra, "--output", "json")
    assert code == 0, err[-3000:]
    return data


def test_deploy_after_destroy_adopts_the_buckets_with_their_data_twice(
        endpoint: str, capsys: pytest.CaptureFixture[str]) -> None:
    s3 = client(endpoint, "s3")
    names = bucket_names("dev")
    deploy(capsys, endpoint)
    first = owned_buckets(endpoint, "fuel-flow-s3-dev")
    assert sorted(first.values()) == sorted(names.values())
    s3.put_object(Bucket=names["app-data"], Key="orders/1.json", Body=b'{"litres": 40}')
    s3.put_object(Bucket=names["backups"], Key="db/dump.sql", Body=b"-- dump")

    gone = destroy(capsys, endpoint)
    assert sorted(r.split(" ")[0] for r in gone["retained"]) == sorted(f"s3://{n}" for n in names.values())
    assert any("a later `fuelflow deploy --env dev` adopts" in n for n in gone["notes"])
    assert live_stacks(endpoint) == {}

    code, diff, err = run(capsys, "diff", "--env", "dev", "--endpoint-url", endpoint, "--output", "json")
    assert code == 0, err  # diff shows the adoption deploy will do (it listed the buckets as Add)
    s3_diff = next(s for s in diff["stacks"] if s["stack"] == "fuel-flow-s3-dev")
    assert {c["logical_id"] for c in s3_diff["changes"] if c["action"] == "Import"} == {
        "AppDataBucket", "LogsBucket", "BackupsBucket"}
    assert live_stacks(endpoint) == {}  # and changed nothing

    for cycle in (1, 2):
        code, _, err = run(capsys, "deploy", "--env", "dev", "--endpoint-url", endpoint, "--yes")
        assert code == 0, err[-3000:]
        for name in names.values():  # the preview said what it adopts, and why the buckets are there
            assert f"adopt s3://{name} (kept by the last destroy)" in err
        assert "Import AppDataBucket (AWS::S3::Bucket)" in err
        assert set(live_stacks(endpoint).values()) <= {"CREATE_COMPLETE", "UPDATE_COMPLETE"}, cycle
        assert owned_buckets(endpoint, "fuel-flow-s3-dev") == first  # the same buckets, owned by the stack
        assert s3.get_object(Bucket=names["app-data"], Key="orders/1.json")["Body"].read() == b'{"litres": 40}'
        assert s3.get_object(Bucket=names["backups"], Key="db/dump.sql")["Body"].read() == b"-- dump"
        for name in names.values():  # what the import left out (policies) came with the update after it
            assert "DenyInsecureTransport" in s3.get_bucket_policy(Bucket=name)["Policy"]
            tags = {t["Key"]: t["Value"] for t in s3.get_bucket_tagging(Bucket=name)["TagSet"]}
            assert {"Owner": "platform-team", "CostCenter": "fuel-flow-dev"}.items() <= tags.items()  # stack tags
        assert s3.get_bucket_logging(Bucket=names["app-data"])["LoggingEnabled"]["TargetBucket"] == names["logs"]
        events = client(endpoint, "cloudformation").describe_stack_events(StackName="fuel-flow-s3-dev")["StackEvents"]
        assert {("AppDataBucket", "IMPORT_COMPLETE"), ("fuel-flow-s3-dev", "IMPORT_COMPLETE")} <= {
            (e["LogicalResourceId"], e["ResourceStatus"]) for e in events}
        again, _ = deploy(capsys, endpoint)  # adopted for good: nothing left to do
        assert {s["stack"]: s["action"] for s in again["stacks"]} == {
            **{f"fuel-flow-{part}-dev": "unchanged" for part in PARTS}, "fuel-flow-edge-dev": "nothing to deploy"}
        destroy(capsys, endpoint)
    assert set(names.values()) <= {b["Name"] for b in s3.list_buckets()["Buckets"]}


@pytest.mark.parametrize("executed", [False, True], ids=["never-executed", "create-failed"])
def test_a_stack_left_by_an_unfinished_create_is_destroyed_and_deployed_again(
        endpoint: str, capsys: pytest.CaptureFixture[str], project_dir: Path, executed: bool) -> None:
    """An earlier deploy left the s3 stack behind: its CREATE change set never executed (REVIEW_IN_PROGRESS: the
    run was stopped before it), or executed and failed on the retained buckets (ROLLBACK_COMPLETE). destroy used
    to fail with a raw ClientError, and deploy could not recover."""
    names = bucket_names("dev")
    cfn = client(endpoint, "cloudformation")
    for name in names.values():  # the buckets the first test retained (or make them, when run alone)
        with contextlib.suppress(botocore.exceptions.ClientError):
            client(endpoint, "s3").create_bucket(Bucket=name)
    plan = build_plan(project_dir, load_environment(project_dir, "dev"), ["s3"], None)
    sp = plan.stacks["fuel-flow-s3-dev"]

    def stuck() -> None:
        arn = cfn.create_change_set(
            StackName=sp.name, ChangeSetName="interrupted", ChangeSetType="CREATE", TemplateBody=sp.template.body,
            Parameters=[{"ParameterKey": k, "ParameterValue": v} for k, v in sp.parameters.items()],
            Capabilities=CAPABILITIES)["Id"]
        if executed:  # creating the buckets anew fails: they exist; the emulator rolls back, as CloudFormation does
            cfn.execute_change_set(ChangeSetName=arn, StackName=sp.name)
        assert live_stacks(endpoint) == {sp.name: "ROLLBACK_COMPLETE" if executed else "REVIEW_IN_PROGRESS"}

    stuck()
    code, data, err = run(capsys, "destroy", "--env", "dev", "--endpoint-url", endpoint, "--yes", "--output", "json")
    assert code == 0, err
    assert "ClientError" not in err and live_stacks(endpoint) == {}
    assert data["retained"] == [] and data["snapshots"] == []  # it held nothing: nothing is claimed kept

    stuck()
    deploy(capsys, endpoint)
    assert sorted(owned_buckets(endpoint, sp.name).values()) == sorted(names.values())
    destroy(capsys, endpoint)


def test_prod_is_destroyed_only_on_purpose_and_the_report_is_true(
        endpoint: str, capsys: pytest.CaptureFixture[str], project_dir: Path) -> None:
    rds = client(endpoint, "rds")
    deploy(capsys, endpoint, "prod")
    stacks = live_stacks(endpoint)
    assert set(stacks) == {f"fuel-flow-{part}-prod" for part in PARTS}  # the edge options are off in prod too
    assert rds.describe_db_instances(DBInstanceIdentifier="fuel-flow-db-prod")["DBInstances"][0][
        "DeletionProtection"] is True
    elb = client(endpoint, "elbv2")  # the production tier's load balancer is protected too (issue 9)
    lb_arn = elb.describe_load_balancers(Names=["fuel-flow-alb-prod"])["LoadBalancers"][0]["LoadBalancerArn"]
    assert {a["Key"]: a["Value"] for a in elb.describe_load_balancer_attributes(LoadBalancerArn=lb_arn)[
        "Attributes"]}["deletion_protection.enabled"] == "true"
    with pytest.raises(botocore.exceptions.ClientError, match="OperationNotPermitted"):  # as ELB (emulator fix 58)
        elb.delete_load_balancer(LoadBalancerArn=lb_arn)

    code, _, err = run(capsys, "destroy", "--env", "prod", "--endpoint-url", endpoint, "--force", "--confirm", "prod")
    assert code == 2, err
    assert "deletion protection is on for fuel-flow-db-prod, load balancer fuel-flow-alb-prod" in err
    assert "fuelflow destroy --env prod --force --disable-deletion-protection --confirm prod" in err
    assert "retained" not in err and "final snapshot" not in err
    assert live_stacks(endpoint) == stacks  # nothing was deleted

    code, _, err = run(capsys, "destroy", "--env", "prod", "--endpoint-url", endpoint, "--disable-deletion-protection",
                       "--confirm", "prod")
    assert code == 2 and "needs --force" in err

    # Without the CLI's check, the engine's own report is true: the failed stack, its reason, what it holds.
    env = load_environment(project_dir, "prod")
    plan = build_plan(project_dir, env, [], None)
    eng = Engine(lambda s: client(endpoint, s), None, PollConfig.local(), emulator=True)
    report = eng.destroy(plan, eng.destroy_checks(plan))
    rds_result = next(r for r in report.results if r.stack == "fuel-flow-rds-prod")
    assert rds_result.action == "failed" and rds_result.status == "DELETE_FAILED"
    assert "deletion protection" in rds_result.reason
    assert any(n.startswith("fuel-flow-rds-prod was not deleted; it still holds:")
               and "DB (AWS::RDS::DBInstance) fuel-flow-db-prod" in n for n in report.notes)
    deleted = {r.stack for r in report.results if r.action == "deleted"}
    assert all(r.split("(")[1].split("/")[0] in deleted for r in report.retained)
    assert report.snapshots == []
    code, status, _ = run(capsys, "status", "--env", "prod", "--endpoint-url", endpoint, "--output", "json")
    assert {s["stack"]: s["status"] for s in status["stacks"]}["fuel-flow-rds-prod"] == "DELETE_FAILED"
    assert rds.describe_db_instances(DBInstanceIdentifier="fuel-flow-db-prod")["DBInstances"]

    code, data, err = run(capsys, "destroy", "--env", "prod", "--endpoint-url", endpoint, "--force",
                          "--disable-deletion-protection", "--confirm", "prod", "--output", "json")
    assert code == 0, err[-3000:]
    assert "fuel-flow-db-prod: turning deletion protection off" in err
    assert "fuel-flow-alb-prod: turning deletion protection off" in err  # or the ec2 stack's delete fails
    assert live_stacks(endpoint) == {}
    assert elb.describe_load_balancers()["LoadBalancers"] == []
    with pytest.raises(botocore.exceptions.ClientError, match="DBInstanceNotFound"):
        rds.describe_db_instances(DBInstanceIdentifier="fuel-flow-db-prod")
    assert [s for s in data["snapshots"] if s.startswith("fuel-flow-rds-prod-db-")]  # the final snapshot
    assert rds.describe_db_snapshots(DBSnapshotIdentifier=data["snapshots"][0])["DBSnapshots"]
    kept = {b["Name"] for b in client(endpoint, "s3").list_buckets()["Buckets"]}
    assert set(bucket_names("prod").values()) <= kept  # bucket data is never deleted
    assert sorted(r.split(" ")[0] for r in data["retained"]) == sorted(
        f"s3://{n}" for n in bucket_names("prod").values())
