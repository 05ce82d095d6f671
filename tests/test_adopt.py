"""fuelflow.adopt without AWS: the names it looks for (the contract's) and the IMPORT template it builds (AWS's
rules for resource import)."""

from __future__ import annotations

from pathlib import Path

from fuelflow.adopt import Retained, import_template, retained_in, tf_bucket_addresses
from fuelflow.config import load_environment
from fuelflow.names import Names
from fuelflow.plan import build_plan

ACCOUNT, REGION = "123456789012", "eu-west-1"


def s3_plan(project_dir: Path, env: str = "dev"):  # type: ignore[no-untyped-def]
    plan = build_plan(project_dir, load_environment(project_dir, env), ["s3"], REGION)
    return plan.stacks[f"fuel-flow-s3-{env}"]


def test_retained_buckets_are_named_by_the_contract(project_dir: Path) -> None:
    names = Names("fuel-flow", "dev", ACCOUNT, REGION)
    found = retained_in(s3_plan(project_dir), ACCOUNT, REGION)
    assert found == {"AppDataBucket": ("AWS::S3::Bucket", names.bucket("app-data")),
                     "LogsBucket": ("AWS::S3::Bucket", names.bucket("logs")),
                     "BackupsBucket": ("AWS::S3::Bucket", names.bucket("backups"))}
    addresses = tf_bucket_addresses(project_dir / "terraform" / "modules" / "s3")
    assert {names.bucket(purpose) for purpose in addresses.values()} == {n for _t, n in found.values()}


def test_import_template_holds_only_what_is_imported(project_dir: Path) -> None:
    sp = s3_plan(project_dir)
    items = [Retained(sp.name, lid, rtype, name) for lid, (rtype, name) in retained_in(sp, ACCOUNT, REGION).items()]
    doc = import_template(sp, items, None)
    assert set(doc["Resources"]) == {"AppDataBucket", "LogsBucket", "BackupsBucket"}
    assert "Outputs" not in doc  # an import may not add outputs: the update after it does
    assert set(doc["Parameters"]) == set(sp.template.parameters)
    for lid, res in doc["Resources"].items():
        assert res["DeletionPolicy"] == "Retain", lid  # every imported resource needs one
        assert "DependsOn" not in res  # the bucket policies are not part of the import
        assert "BucketName" in res["Properties"]  # the import identifier
    # access logging waits for the log bucket's policy (DependsOn): left to the update that follows
    assert "LoggingConfiguration" not in doc["Resources"]["AppDataBucket"]["Properties"]
    assert doc["Resources"]["LogsBucket"]["Properties"]["LifecycleConfiguration"]


def test_import_into_a_live_stack_keeps_its_template(project_dir: Path) -> None:
    sp = s3_plan(project_dir)
    (rtype, name) = retained_in(sp, ACCOUNT, REGION)["BackupsBucket"]
    deployed = {"Resources": {"LogsBucket": {"Type": "AWS::S3::Bucket", "DeletionPolicy": "Retain"}},
                "Outputs": {"LogsBucketName": {"Value": {"Ref": "LogsBucket"}}}}
    doc = import_template(sp, [Retained(sp.name, "BackupsBucket", rtype, name)], deployed)
    assert doc["Outputs"] == deployed["Outputs"] and doc["Resources"]["LogsBucket"] == deployed["Resources"][
        "LogsBucket"]
    assert set(doc["Resources"]) == {"LogsBucket", "BackupsBucket"}
    # it waits for LogsBucketPolicy, which is not in the stack yet: its logging comes with the update
    assert "LoggingConfiguration" not in doc["Resources"]["BackupsBucket"]["Properties"]
    assert doc["Resources"]["BackupsBucket"]["Properties"]["VersioningConfiguration"] == {"Status": "Enabled"}
