"""The emulator fixes behind recreate-after-destroy (fuelflow.moto_fixes 30-33), one small stack each, read back
through boto3 as AWS shows it: resource import and its rules, a failed delete, the final snapshot, RDS groups in
use. tests/test_moto_without_fixes.py shows what moto does without them."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from typing import Any

import boto3
import botocore.exceptions
import pytest

from fuelflow.emulator import Emulator

pytestmark = pytest.mark.emulator
Client = Callable[[str], Any]
DB_PROPS = {"DBInstanceClass": "db.t3.micro", "Engine": "mysql", "AllocatedStorage": "20",
            "MasterUsername": "admin", "MasterUserPassword": "password123"}


@pytest.fixture(scope="module")
def client(emulator: Emulator) -> Client:
    def make(service: str) -> Any:
        return boto3.client(service, endpoint_url=emulator.endpoint_url, region_name="us-east-1",
                            aws_access_key_id="test", aws_secret_access_key="test")

    return make


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


def bucket_template(bucket: str, policy: str | None = "Retain", **extra: Any) -> dict[str, Any]:
    resource: dict[str, Any] = {"Type": "AWS::S3::Bucket", "Properties": {"BucketName": bucket, **extra}}
    if policy:
        resource["DeletionPolicy"] = policy
    return {"Resources": {"Kept": resource}}


def import_change_set(client: Client, stack: str, bucket: str, body: dict[str, Any]) -> str:
    arn: str = client("cloudformation").create_change_set(
        StackName=stack, ChangeSetName="imp", ChangeSetType="IMPORT", TemplateBody=json.dumps(body),
        ResourcesToImport=[{"ResourceType": "AWS::S3::Bucket", "LogicalResourceId": "Kept",
                            "ResourceIdentifier": {"BucketName": bucket}}])["Id"]
    return arn


def test_import_adopts_an_existing_bucket_with_its_data(client: Client) -> None:
    cfn, s3, bucket, stack = client("cloudformation"), client("s3"), unique("kept"), unique("imp")
    s3.create_bucket(Bucket=bucket)
    s3.put_object(Bucket=bucket, Key="k", Body=b"data")
    arn = import_change_set(client, stack, bucket, bucket_template(
        bucket, VersioningConfiguration={"Status": "Enabled"}))
    changes = cfn.describe_change_set(ChangeSetName=arn, StackName=stack)["Changes"]
    assert [(c["ResourceChange"]["Action"], c["ResourceChange"]["LogicalResourceId"]) for c in changes] == [
        ("Import", "Kept")]
    cfn.execute_change_set(ChangeSetName=arn, StackName=stack)
    assert cfn.describe_stacks(StackName=stack)["Stacks"][0]["StackStatus"] == "IMPORT_COMPLETE"
    resources = cfn.describe_stack_resources(StackName=stack)["StackResources"]
    assert [(r["LogicalResourceId"], r["PhysicalResourceId"]) for r in resources] == [("Kept", bucket)]
    assert s3.get_bucket_versioning(Bucket=bucket)["Status"] == "Enabled"  # the template's properties applied
    assert s3.get_object(Bucket=bucket, Key="k")["Body"].read() == b"data"
    events = {(e["LogicalResourceId"], e["ResourceStatus"]) for e in
              cfn.describe_stack_events(StackName=stack)["StackEvents"]}
    assert {("Kept", "IMPORT_IN_PROGRESS"), ("Kept", "IMPORT_COMPLETE"), (stack, "IMPORT_COMPLETE")} <= events
    # owned now: a second stack cannot import it
    with pytest.raises(botocore.exceptions.ClientError, match=f"already exists in stack {stack}"):
        import_change_set(client, unique("imp"), bucket, bucket_template(bucket))


@pytest.mark.parametrize(("case", "message"), [
    ("no deletion policy", "must have DeletionPolicy"),
    ("missing bucket", "do not exist"),
    ("creates another resource", "cannot create new resources"),
    ("adds outputs", "cannot modify or add [Outputs]"),
])
def test_import_refuses_what_cloudformation_refuses(client: Client, case: str, message: str) -> None:
    bucket = unique("kept")
    client("s3").create_bucket(Bucket=bucket)
    body = bucket_template(bucket, policy=None if case == "no deletion policy" else "Retain")
    if case == "missing bucket":
        body = bucket_template(unique("never"))
        bucket = body["Resources"]["Kept"]["Properties"]["BucketName"]
    if case == "creates another resource":
        body["Resources"]["Other"] = {"Type": "AWS::S3::Bucket"}
    if case == "adds outputs":
        body["Outputs"] = {"Name": {"Value": {"Ref": "Kept"}}}
    with pytest.raises(botocore.exceptions.ClientError, match=re_escape(message)):
        import_change_set(client, unique("imp"), bucket, body)


def re_escape(text: str) -> str:
    import re

    return re.escape(text)


def test_a_failed_delete_leaves_the_stack_delete_failed_with_its_reason(client: Client) -> None:
    cfn, rds, db, stack = client("cloudformation"), client("rds"), unique("db"), unique("fail")
    cfn.create_stack(StackName=stack, TemplateBody=json.dumps({"Resources": {"DB": {
        "Type": "AWS::RDS::DBInstance", "Properties": {"DBInstanceIdentifier": db, **DB_PROPS}}}}))
    rds.modify_db_instance(DBInstanceIdentifier=db, DeletionProtection=True, ApplyImmediately=True)
    cfn.delete_stack(StackName=stack)
    assert cfn.describe_stacks(StackName=stack)["Stacks"][0]["StackStatus"] == "DELETE_FAILED"
    failed = [e for e in cfn.describe_stack_events(StackName=stack)["StackEvents"]
              if e["LogicalResourceId"] == "DB" and e["ResourceStatus"] == "DELETE_FAILED"]
    assert "deletion protection" in failed[0]["ResourceStatusReason"]
    assert [r["PhysicalResourceId"] for r in cfn.describe_stack_resources(StackName=stack)["StackResources"]] == [db]
    rds.modify_db_instance(DBInstanceIdentifier=db, DeletionProtection=False, ApplyImmediately=True)
    cfn.delete_stack(StackName=stack)  # once the cause is gone, a second delete completes
    with pytest.raises(botocore.exceptions.ClientError, match="does not exist"):
        cfn.describe_stacks(StackName=stack)
    with pytest.raises(botocore.exceptions.ClientError, match="DBInstanceNotFound"):
        rds.describe_db_instances(DBInstanceIdentifier=db)


def test_snapshot_policy_takes_a_final_snapshot_and_groups_in_use_stay(client: Client) -> None:
    cfn, rds, db, stack = client("cloudformation"), client("rds"), unique("db"), unique("snap")
    cfn.create_stack(StackName=stack, TemplateBody=json.dumps({"Resources": {"DB": {
        "Type": "AWS::RDS::DBInstance", "DeletionPolicy": "Snapshot",
        "Properties": {"DBInstanceIdentifier": db, **DB_PROPS}}}}))
    cfn.delete_stack(StackName=stack)
    snaps = rds.describe_db_snapshots(DBInstanceIdentifier=db, SnapshotType="manual")["DBSnapshots"]
    assert [s["DBSnapshotIdentifier"].startswith(f"{stack}-db-") for s in snaps] == [True]

    group, db2 = unique("params"), unique("db")
    rds.create_db_parameter_group(DBParameterGroupName=group, DBParameterGroupFamily="mysql8.0", Description="d")
    rds.create_db_instance(DBInstanceIdentifier=db2, DBParameterGroupName=group, AllocatedStorage=20,
                           **{k: v for k, v in DB_PROPS.items() if k != "AllocatedStorage"})
    with pytest.raises(botocore.exceptions.ClientError, match="InvalidDBParameterGroupState"):
        rds.delete_db_parameter_group(DBParameterGroupName=group)
    assert rds.describe_db_instances(DBInstanceIdentifier=db2)["DBInstances"]
