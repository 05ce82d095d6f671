"""The emulator's fidelity fixes (src/fuelflow/moto_fixes.py): after a CloudFormation deploy on the
embedded emulator, what the templates declare reads back through the ordinary boto3 APIs as AWS shows it.

Each test creates a small stack through `create_stack` with a template that uses the property, then reads the
resource back; the last one deploys and destroys the real dev environment through the CLI.
"""

from __future__ import annotations

import contextlib
import io
import json
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import boto3
import botocore.exceptions
import pytest

from fuelflow import moto_fixes
from fuelflow.cli import main
from fuelflow.emulator import Emulator, emulator_status, skipped_resource_types

pytestmark = pytest.mark.emulator

AMI = "ami-12c6146b"
TLS_ONLY = "DenyInsecureTransport"


@pytest.fixture(scope="module")
def client(fresh_emulator: Emulator) -> Callable[[str], Any]:
    def make(service: str) -> Any:
        return boto3.client(service, endpoint_url=fresh_emulator.endpoint_url, region_name="us-east-1",
                            aws_access_key_id="test", aws_secret_access_key="test")

    return make


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


def create(client: Callable[[str], Any], resources: dict[str, Any], outputs: dict[str, Any] | None = None,
           name: str | None = None) -> tuple[str, dict[str, str]]:
    """Create a stack from `resources`; return its name and outputs."""
    name = name or unique("fix")
    body: dict[str, Any] = {"AWSTemplateFormatVersion": "2010-09-09", "Resources": resources}
    if outputs:
        body["Outputs"] = {k: {"Value": v} for k, v in outputs.items()}
    cfn = client("cloudformation")
    cfn.create_stack(StackName=name, TemplateBody=json.dumps(body))
    stack = cfn.describe_stacks(StackName=name)["Stacks"][0]
    assert stack["StackStatus"] == "CREATE_COMPLETE", stack
    return name, {o["OutputKey"]: o["OutputValue"] for o in stack.get("Outputs", [])}


def update(client: Callable[[str], Any], name: str, resources: dict[str, Any]) -> None:
    cfn = client("cloudformation")
    cfn.update_stack(StackName=name, TemplateBody=json.dumps(
        {"AWSTemplateFormatVersion": "2010-09-09", "Resources": resources}))
    assert cfn.describe_stacks(StackName=name)["Stacks"][0]["StackStatus"] == "UPDATE_COMPLETE"


def delete(client: Callable[[str], Any], name: str) -> None:
    cfn = client("cloudformation")
    stack_id = cfn.describe_stacks(StackName=name)["Stacks"][0]["StackId"]
    cfn.delete_stack(StackName=name)
    stacks = cfn.describe_stacks(StackName=stack_id)["Stacks"]  # a deleted stack is found by its id
    assert stacks[0]["StackStatus"] == "DELETE_COMPLETE", stacks[0]


def error_code(call: Callable[..., Any], **kwargs: Any) -> str:
    with pytest.raises(botocore.exceptions.ClientError) as info:
        call(**kwargs)
    return str(info.value.response["Error"]["Code"])


def tls_only(bucket_ref: str) -> dict[str, Any]:
    arn = {"Fn::GetAtt": [bucket_ref, "Arn"]}
    return {"Version": "2012-10-17", "Statement": [{
        "Sid": TLS_ONLY, "Effect": "Deny", "Principal": "*", "Action": "s3:*",
        "Resource": [arn, {"Fn::Join": ["", [arn, "/*"]]}],
        "Condition": {"Bool": {"aws:SecureTransport": "false"}}}]}


# ============================================================================================ the fixes


def test_apply_is_idempotent_and_reports_every_fix() -> None:
    from moto.ec2.models.instances import Instance
    from moto.s3.models import FakeBucket

    first = moto_fixes.apply()
    wrapped = (FakeBucket.create_from_cloudformation_json, Instance.create_from_cloudformation_json)
    assert moto_fixes.apply() == first  # applied once: a second call wraps nothing again
    assert (FakeBucket.create_from_cloudformation_json, Instance.create_from_cloudformation_json) == wrapped
    assert [r.name for r in first] == [f.name for f in moto_fixes.FIXES]
    assert {r.status for r in first} <= {"applied", "not_needed"}  # none failed on the pinned moto


def test_the_emulator_says_it_is_fuelflows(fresh_emulator: Emulator) -> None:
    status = emulator_status(fresh_emulator.endpoint_url)
    assert status is not None and status["moto"] == moto_fixes.moto_version()
    assert [f["status"] for f in status["fixes"]] == [r.status for r in moto_fixes.reports()]


# ============================================================================================ S3


def test_bucket_properties_read_back(client: Callable[[str], Any]) -> None:
    logs, data = unique("fix-logs"), unique("fix-data")
    log_policy = {"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"Service": "logging.s3.amazonaws.com"}, "Action": "s3:PutObject",
        "Resource": {"Fn::Join": ["", [{"Fn::GetAtt": ["Logs", "Arn"]}, "/access-logs/*"]]}}]}
    create(client, {
        "Logs": {"Type": "AWS::S3::Bucket", "Properties": {"BucketName": logs}},
        "LogsPolicy": {"Type": "AWS::S3::BucketPolicy",
                       "Properties": {"Bucket": {"Ref": "Logs"}, "PolicyDocument": log_policy}},
        "Data": {"Type": "AWS::S3::Bucket", "DependsOn": "LogsPolicy", "Properties": {
            "BucketName": data,
            "VersioningConfiguration": {"Status": "Enabled"},
            "PublicAccessBlockConfiguration": {"BlockPublicAcls": True, "BlockPublicPolicy": True,
                                               "IgnorePublicAcls": True, "RestrictPublicBuckets": False},
            "OwnershipControls": {"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]},
            "LoggingConfiguration": {"DestinationBucketName": {"Ref": "Logs"}, "LogFilePrefix": "access-logs/data/"},
            "LifecycleConfiguration": {"Rules": [
                {"Id": "expire", "Status": "Enabled", "ExpirationInDays": 90},
                {"Id": "tmp", "Status": "Disabled", "Prefix": "tmp/", "ExpirationInDays": 1,
                 "AbortIncompleteMultipartUpload": {"DaysAfterInitiation": 2}},
                {"Id": "old", "Status": "Enabled", "NoncurrentVersionExpiration": {"NoncurrentDays": 30},
                 "TagFilters": [{"Key": "class", "Value": "old"}]},
                {"Id": "archive", "Status": "Enabled", "Prefix": "a/",
                 "TagFilters": [{"Key": "class", "Value": "cold"}],
                 "Transitions": [{"StorageClass": "GLACIER", "TransitionInDays": 30}]},
                {"Id": "legacy", "Status": "Enabled", "NoncurrentVersionExpirationInDays": 7},
            ]},
        }},
    })
    s3 = client("s3")
    assert s3.get_bucket_versioning(Bucket=data)["Status"] == "Enabled"
    assert s3.get_public_access_block(Bucket=data)["PublicAccessBlockConfiguration"] == {
        "BlockPublicAcls": True, "IgnorePublicAcls": True, "BlockPublicPolicy": True, "RestrictPublicBuckets": False}
    assert s3.get_bucket_ownership_controls(Bucket=data)["OwnershipControls"]["Rules"] == [
        {"ObjectOwnership": "BucketOwnerEnforced"}]
    assert s3.get_bucket_logging(Bucket=data)["LoggingEnabled"] == {"TargetBucket": logs,
                                                                    "TargetPrefix": "access-logs/data/"}
    rules = {r["ID"]: r for r in s3.get_bucket_lifecycle_configuration(Bucket=data)["Rules"]}
    assert rules["expire"] == {"ID": "expire", "Status": "Enabled", "Filter": {"Prefix": ""},
                               "Expiration": {"Days": 90}}
    assert rules["tmp"] == {"ID": "tmp", "Status": "Disabled", "Filter": {"Prefix": "tmp/"},
                            "Expiration": {"Days": 1}, "AbortIncompleteMultipartUpload": {"DaysAfterInitiation": 2}}
    assert rules["old"] == {"ID": "old", "Status": "Enabled", "Filter": {"Tag": {"Key": "class", "Value": "old"}},
                            "NoncurrentVersionExpiration": {"NoncurrentDays": 30}}
    assert rules["archive"]["Filter"] == {"And": {"Prefix": "a/", "Tags": [{"Key": "class", "Value": "cold"}]}}
    assert rules["archive"]["Transitions"] == [{"Days": 30, "StorageClass": "GLACIER"}]
    assert rules["legacy"]["NoncurrentVersionExpiration"] == {"NoncurrentDays": 7}
    # the logs bucket declares none of these: they stay absent, as on AWS
    assert "Status" not in s3.get_bucket_versioning(Bucket=logs)
    assert error_code(s3.get_bucket_lifecycle_configuration, Bucket=logs) == "NoSuchLifecycleConfiguration"
    assert "LoggingEnabled" not in s3.get_bucket_logging(Bucket=logs)


def test_bucket_update_applies_and_removes_settings(client: Callable[[str], Any]) -> None:
    name = unique("fix-upd")
    full = {"BucketName": name, "VersioningConfiguration": {"Status": "Enabled"},
            "PublicAccessBlockConfiguration": {"BlockPublicAcls": True, "BlockPublicPolicy": True,
                                               "IgnorePublicAcls": True, "RestrictPublicBuckets": True},
            "LifecycleConfiguration": {"Rules": [{"Id": "x", "Status": "Enabled", "ExpirationInDays": 5}]}}
    stack, _ = create(client, {"B": {"Type": "AWS::S3::Bucket", "Properties": full}})
    update(client, stack, {"B": {"Type": "AWS::S3::Bucket", "Properties": {
        "BucketName": name, "VersioningConfiguration": {"Status": "Suspended"},
        "OwnershipControls": {"Rules": [{"ObjectOwnership": "BucketOwnerPreferred"}]}}}})
    s3 = client("s3")
    assert s3.get_bucket_versioning(Bucket=name)["Status"] == "Suspended"
    assert s3.get_bucket_ownership_controls(Bucket=name)["OwnershipControls"]["Rules"] == [
        {"ObjectOwnership": "BucketOwnerPreferred"}]
    assert error_code(s3.get_public_access_block, Bucket=name) == "NoSuchPublicAccessBlockConfiguration"
    assert error_code(s3.get_bucket_lifecycle_configuration, Bucket=name) == "NoSuchLifecycleConfiguration"


def test_bucket_policy_is_created_referenced_and_deleted(client: Callable[[str], Any]) -> None:
    name = unique("fix-pol")
    stack, outputs = create(client, {
        "B": {"Type": "AWS::S3::Bucket", "DeletionPolicy": "Retain", "Properties": {"BucketName": name}},
        "P": {"Type": "AWS::S3::BucketPolicy", "Properties": {"Bucket": {"Ref": "B"}, "PolicyDocument": tls_only("B")}},
    }, outputs={"PolicyRef": {"Ref": "P"}})
    assert outputs["PolicyRef"] == name  # Ref of a bucket policy is its bucket's name
    s3 = client("s3")
    policy = json.loads(s3.get_bucket_policy(Bucket=name)["Policy"])
    assert policy["Statement"] == [{
        "Sid": TLS_ONLY, "Effect": "Deny", "Principal": "*", "Action": "s3:*",
        "Resource": [f"arn:aws:s3:::{name}", f"arn:aws:s3:::{name}/*"],
        "Condition": {"Bool": {"aws:SecureTransport": "false"}}}]
    assert "AWS::S3::BucketPolicy" not in skipped_resource_types()
    resources = client("cloudformation").describe_stack_resources(StackName=stack)["StackResources"]
    assert {r["LogicalResourceId"]: r["PhysicalResourceId"] for r in resources}["P"] == name
    # the SDK reaches AWS over TLS: a TLS-only policy does not lock it out of its own bucket
    s3.put_object(Bucket=name, Key="k", Body=b"x")
    assert s3.get_object(Bucket=name, Key="k")["Body"].read() == b"x"
    s3.delete_object(Bucket=name, Key="k")
    delete(client, stack)
    assert s3.head_bucket(Bucket=name)  # retained
    assert error_code(s3.get_bucket_policy, Bucket=name) == "NoSuchBucketPolicy"  # the policy went with its stack


def test_deny_without_a_tls_condition_still_denies(client: Callable[[str], Any]) -> None:
    """Fix 9 only drops statements that apply to non-TLS requests; every other Deny is enforced as before."""
    name = unique("fix-deny")
    s3 = client("s3")
    s3.create_bucket(Bucket=name)
    s3.put_bucket_policy(Bucket=name, Policy=json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Deny", "Principal": "*", "Action": "s3:PutObject", "Resource": f"arn:aws:s3:::{name}/*"}]}))
    assert error_code(s3.put_object, Bucket=name, Key="k", Body=b"x") in ("403", "AccessDenied")


def test_principal_scoped_deny_spares_the_emulator_caller_only(client: Callable[[str], Any]) -> None:
    """Fix 25: a Deny limited by aws:PrincipalArn to named roles does not hit the emulator's own credentials;
    a Deny on the same bucket without that condition still does."""
    name = unique("fix-principal")
    s3 = client("s3")
    s3.create_bucket(Bucket=name)
    s3.put_object(Bucket=name, Key="k", Body=b"x")
    s3.put_object(Bucket=name, Key="locked/k", Body=b"x")
    s3.put_bucket_policy(Bucket=name, Policy=json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Deny", "Principal": "*", "Action": "s3:DeleteObject", "Resource": f"arn:aws:s3:::{name}/*",
         "Condition": {"ArnLike": {"aws:PrincipalArn": "arn:aws:iam::123456789012:role/app-role"}}},
        {"Effect": "Deny", "Principal": "*", "Action": "s3:DeleteObject",
         "Resource": f"arn:aws:s3:::{name}/locked/*"}]}))
    s3.delete_object(Bucket=name, Key="k")
    assert error_code(s3.head_object, Bucket=name, Key="k") in ("404", "NoSuchKey")
    assert error_code(s3.delete_object, Bucket=name, Key="locked/k") in ("403", "AccessDenied")


def test_log_target_permission_is_still_required(client: Callable[[str], Any]) -> None:
    """Fix 7 widens moto's check to policy wildcards; a target that grants nothing is still refused."""
    source, target, other = unique("fix-src"), unique("fix-tgt"), unique("fix-oth")
    s3 = client("s3")
    for bucket in (source, target, other):
        s3.create_bucket(Bucket=bucket)
    s3.put_bucket_policy(Bucket=target, Policy=json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Deny", "Principal": "*", "Action": "s3:*", "Resource": f"arn:aws:s3:::{target}/*",
         "Condition": {"Bool": {"aws:SecureTransport": "false"}}},
        {"Effect": "Allow", "Principal": {"Service": ["logging.s3.amazonaws.com"]}, "Action": ["s3:PutObject"],
         "Resource": [f"arn:aws:s3:::{target}/logs/*"]}]}))
    status = {"LoggingEnabled": {"TargetBucket": target, "TargetPrefix": "logs/src/"}}
    s3.put_bucket_logging(Bucket=source, BucketLoggingStatus=status)
    assert s3.get_bucket_logging(Bucket=source)["LoggingEnabled"]["TargetPrefix"] == "logs/src/"
    outside = {"LoggingEnabled": {"TargetBucket": target, "TargetPrefix": "elsewhere/"}}
    assert error_code(s3.put_bucket_logging, Bucket=source, BucketLoggingStatus=outside) \
        == "InvalidTargetBucketForLogging"
    nothing = {"LoggingEnabled": {"TargetBucket": other, "TargetPrefix": ""}}
    assert error_code(s3.put_bucket_logging, Bucket=source, BucketLoggingStatus=nothing) \
        == "InvalidTargetBucketForLogging"


# ============================================================================================ EC2


def default_vpc(client: Callable[[str], Any]) -> str:
    vpcs = client("ec2").describe_vpcs(Filters=[{"Name": "isDefault", "Values": ["true"]}])["Vpcs"]
    return str(vpcs[0]["VpcId"])


def test_instance_launches_from_its_launch_template(client: Callable[[str], Any]) -> None:
    iam = client("iam")
    profile = unique("fix-profile")
    arn = iam.create_instance_profile(InstanceProfileName=profile)["InstanceProfile"]["Arn"]
    _, outputs = create(client, {
        "Sg": {"Type": "AWS::EC2::SecurityGroup", "Properties": {
            "GroupName": unique("fix-web"), "GroupDescription": "web", "VpcId": default_vpc(client)}},
        "Lt": {"Type": "AWS::EC2::LaunchTemplate", "Properties": {
            "LaunchTemplateName": unique("fix-lt"),
            "LaunchTemplateData": {
                "ImageId": AMI, "InstanceType": "t3.micro", "IamInstanceProfile": {"Arn": arn},
                "SecurityGroupIds": [{"Fn::GetAtt": ["Sg", "GroupId"]}],
                "MetadataOptions": {"HttpEndpoint": "enabled", "HttpTokens": "required", "HttpPutResponseHopLimit": 2},
                "BlockDeviceMappings": [{"DeviceName": "/dev/xvda", "Ebs": {
                    "VolumeType": "gp3", "VolumeSize": 25, "Encrypted": True, "DeleteOnTermination": True}}],
                "TagSpecifications": [{"ResourceType": "volume", "Tags": [{"Key": "Name", "Value": "root"}]},
                                      {"ResourceType": "instance", "Tags": [{"Key": "Tier", "Value": "web"},
                                                                            {"Key": "Name", "Value": "lt"}]}]}}},
        "Web": {"Type": "AWS::EC2::Instance", "Properties": {  # no ImageId: the template's, as on AWS
            "LaunchTemplate": {"LaunchTemplateId": {"Ref": "Lt"},
                               "Version": {"Fn::GetAtt": ["Lt", "LatestVersionNumber"]}},
            "Tags": [{"Key": "Name", "Value": "web-1"}]}},
    }, outputs={"Instance": {"Ref": "Web"}, "Template": {"Ref": "Lt"}, "Group": {"Fn::GetAtt": ["Sg", "GroupId"]}})
    ec2 = client("ec2")
    inst = ec2.describe_instances(InstanceIds=[outputs["Instance"]])["Reservations"][0]["Instances"][0]
    assert inst["MetadataOptions"]["HttpTokens"] == "required"
    assert inst["MetadataOptions"]["HttpPutResponseHopLimit"] == 2
    assert inst["ImageId"] == AMI and inst["InstanceType"] == "t3.micro"
    assert [g["GroupId"] for g in inst["SecurityGroups"]] == [outputs["Group"]]
    assert [g["GroupId"] for g in inst["NetworkInterfaces"][0]["Groups"]] == [outputs["Group"]]
    assert inst["IamInstanceProfile"]["Arn"] == arn
    tags = {t["Key"]: t["Value"] for t in inst["Tags"]}
    assert tags["aws:ec2launchtemplate:id"] == outputs["Template"] and tags["aws:ec2launchtemplate:version"] == "1"
    assert tags["Tier"] == "web" and tags["Name"] == "web-1"  # the instance's own tag wins over the template's
    assert [m["DeviceName"] for m in inst["BlockDeviceMappings"]] == ["/dev/xvda"]  # no extra default root
    volumes = ec2.describe_volumes(Filters=[{"Name": "attachment.instance-id", "Values": [inst["InstanceId"]]}])
    (volume,) = volumes["Volumes"]
    assert (volume["Encrypted"], volume["VolumeType"], volume["Size"]) == (True, "gp3", 25)
    assert inst["BlockDeviceMappings"][0]["Ebs"]["DeleteOnTermination"] is True
    assert {t["Key"]: t["Value"] for t in volume["Tags"]}["Name"] == "root"


def test_run_instances_takes_the_launch_template_profile(client: Callable[[str], Any]) -> None:
    """Fix 14, the API path Terraform uses: the instance gets the template's IMDSv2 setting and instance profile."""
    ec2 = client("ec2")
    by_name = unique("fix-profile-n")
    client("iam").create_instance_profile(InstanceProfileName=by_name)
    arn = client("iam").create_instance_profile(InstanceProfileName=unique("fix-profile-a"))["InstanceProfile"]["Arn"]
    for profile in ({"Arn": arn}, {"Name": by_name}):
        template = ec2.create_launch_template(LaunchTemplateName=unique("fix-lt"), LaunchTemplateData={
            "ImageId": AMI, "IamInstanceProfile": profile, "MetadataOptions": {"HttpTokens": "required"}},
        )["LaunchTemplate"]["LaunchTemplateId"]
        launched = ec2.run_instances(MinCount=2, MaxCount=2, LaunchTemplate={"LaunchTemplateId": template})
        ids = [i["InstanceId"] for i in launched["Instances"]]
        for inst in (i for r in ec2.describe_instances(InstanceIds=ids)["Reservations"] for i in r["Instances"]):
            assert inst["MetadataOptions"]["HttpTokens"] == "required"
            assert inst["IamInstanceProfile"]["Arn"].endswith(f"/{by_name}") if "Name" in profile \
                else inst["IamInstanceProfile"]["Arn"] == arn
    # a profile given to RunInstances wins over the template's, as on EC2
    other = client("iam").create_instance_profile(InstanceProfileName=unique("fix-profile-o"))["InstanceProfile"]
    launched = ec2.run_instances(MinCount=1, MaxCount=1, LaunchTemplate={"LaunchTemplateId": template},
                                 IamInstanceProfile={"Arn": other["Arn"]})
    inst = ec2.describe_instances(InstanceIds=[launched["Instances"][0]["InstanceId"]])["Reservations"][0]
    assert inst["Instances"][0]["IamInstanceProfile"]["Arn"] == other["Arn"]


def test_instance_security_group_ids_without_a_template(client: Callable[[str], Any]) -> None:
    _, outputs = create(client, {
        "Sg": {"Type": "AWS::EC2::SecurityGroup", "Properties": {
            "GroupName": unique("fix-plain"), "GroupDescription": "plain", "VpcId": default_vpc(client)}},
        "Vm": {"Type": "AWS::EC2::Instance", "Properties": {
            "ImageId": AMI, "SecurityGroupIds": [{"Fn::GetAtt": ["Sg", "GroupId"]}]}},
    }, outputs={"Instance": {"Ref": "Vm"}, "Group": {"Fn::GetAtt": ["Sg", "GroupId"]}})
    inst = client("ec2").describe_instances(InstanceIds=[outputs["Instance"]])["Reservations"][0]["Instances"][0]
    assert [g["GroupId"] for g in inst["SecurityGroups"]] == [outputs["Group"]]
    assert inst["MetadataOptions"]["HttpTokens"] == "optional"  # no template: EC2's default, as before
    assert "aws:ec2launchtemplate:id" not in {t["Key"] for t in inst.get("Tags", [])}


def test_security_group_egress_replaces_allow_all(client: Callable[[str], Any]) -> None:
    vpc = default_vpc(client)
    _, outputs = create(client, {
        "Narrow": {"Type": "AWS::EC2::SecurityGroup", "Properties": {
            "GroupDescription": "narrow", "VpcId": vpc,
            "SecurityGroupEgress": [
                {"Description": "https", "IpProtocol": "tcp", "FromPort": 443, "ToPort": 443, "CidrIp": "0.0.0.0/0"},
                {"IpProtocol": "icmp", "FromPort": 252, "ToPort": 86, "CidrIp": "255.255.255.255/32"}]}},
        "Open": {"Type": "AWS::EC2::SecurityGroup", "Properties": {"GroupDescription": "open", "VpcId": vpc}},
    }, outputs={"Narrow": {"Fn::GetAtt": ["Narrow", "GroupId"]}, "Open": {"Fn::GetAtt": ["Open", "GroupId"]}})
    ec2 = client("ec2")

    def egress(group_id: str) -> list[tuple[Any, ...]]:
        group = ec2.describe_security_groups(GroupIds=[group_id])["SecurityGroups"][0]
        return [(p["IpProtocol"], p.get("FromPort"), p.get("ToPort"), r["CidrIp"], r.get("Description"))
                for p in group["IpPermissionsEgress"] for r in p["IpRanges"]]

    assert sorted(egress(outputs["Narrow"]), key=str) == sorted(
        [("tcp", 443, 443, "0.0.0.0/0", "https"), ("icmp", 252, 86, "255.255.255.255/32", None)], key=str)
    assert egress(outputs["Open"]) == [("-1", None, None, "0.0.0.0/0", None)]  # nothing declared: allow-all


# ============================================================================================ IAM


def test_role_managed_policies_attach_update_and_detach(client: Callable[[str], Any]) -> None:
    name = unique("fix-role")
    ssm = "arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore"
    read = "arn:aws:iam::aws:policy/ReadOnlyAccess"
    trust = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}]}

    def role(*arns: str) -> dict[str, Any]:
        return {"R": {"Type": "AWS::IAM::Role", "Properties": {
            "RoleName": name, "AssumeRolePolicyDocument": trust, "ManagedPolicyArns": list(arns)}}}

    iam = client("iam")

    def attached() -> set[str]:
        return {p["PolicyArn"] for p in iam.list_attached_role_policies(RoleName=name)["AttachedPolicies"]}

    stack, _ = create(client, role(ssm))
    assert attached() == {ssm}
    update(client, stack, role(read))
    assert attached() == {read}
    delete(client, stack)  # moto refuses to delete a role with attached policies: the fix detaches them first
    assert error_code(iam.get_role, RoleName=name) == "NoSuchEntity"


# ============================================================================================ CloudWatch


def test_alarms_are_created_and_deleted(client: Callable[[str], Any]) -> None:
    simple, math = unique("fix-cpu"), unique("fix-storage")
    stack, outputs = create(client, {
        "Cpu": {"Type": "AWS::CloudWatch::Alarm", "Properties": {
            "AlarmName": simple, "AlarmDescription": "cpu", "Namespace": "AWS/EC2", "MetricName": "CPUUtilization",
            "Dimensions": [{"Name": "InstanceId", "Value": "i-123"}], "Statistic": "Average", "Period": 300,
            "EvaluationPeriods": 2, "Threshold": 80, "ComparisonOperator": "GreaterThanThreshold",
            "TreatMissingData": "missing", "Tags": [{"Key": "Project", "Value": "fix"}]}},
        "Storage": {"Type": "AWS::CloudWatch::Alarm", "Properties": {
            "AlarmName": math, "EvaluationPeriods": 1, "Threshold": 10, "ComparisonOperator": "LessThanThreshold",
            "Metrics": [
                {"Id": "free", "ReturnData": False, "MetricStat": {"Metric": {
                    "Namespace": "AWS/RDS", "MetricName": "FreeStorageSpace",
                    "Dimensions": [{"Name": "DBInstanceIdentifier", "Value": "db"}]},
                    "Period": 300, "Stat": "Minimum"}},
                {"Id": "pct", "Label": "free %", "ReturnData": True, "Expression": "100 * free / 21474836480"}]}},
    }, outputs={"Name": {"Ref": "Cpu"}, "Arn": {"Fn::GetAtt": ["Cpu", "Arn"]}})
    assert outputs["Name"] == simple and outputs["Arn"].endswith(f":alarm:{simple}")
    cw = client("cloudwatch")
    alarms = {a["AlarmName"]: a for a in cw.describe_alarms(AlarmNames=[simple, math])["MetricAlarms"]}
    cpu = alarms[simple]
    assert (cpu["Namespace"], cpu["MetricName"], cpu["Statistic"], cpu["Period"], cpu["EvaluationPeriods"],
            cpu["Threshold"], cpu["ComparisonOperator"], cpu["TreatMissingData"]) == (
        "AWS/EC2", "CPUUtilization", "Average", 300, 2, 80.0, "GreaterThanThreshold", "missing")
    assert cpu["Dimensions"] == [{"Name": "InstanceId", "Value": "i-123"}]
    assert cw.list_tags_for_resource(ResourceARN=cpu["AlarmArn"])["Tags"] == [{"Key": "Project", "Value": "fix"}]
    metrics = {m["Id"]: m for m in alarms[math]["Metrics"]}
    assert metrics["free"]["MetricStat"]["Metric"]["MetricName"] == "FreeStorageSpace"
    assert metrics["pct"]["Expression"] == "100 * free / 21474836480"
    assert "AWS::CloudWatch::Alarm" not in skipped_resource_types()
    delete(client, stack)
    assert cw.describe_alarms(AlarmNames=[simple, math])["MetricAlarms"] == []


# ============================================================================================ the real dev environment


def test_dev_environment_reads_back_as_declared(fresh_emulator: Emulator, client: Callable[[str], Any],
                                                project_dir: Path) -> None:
    url = fresh_emulator.endpoint_url
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(["-C", str(project_dir), "deploy", "--endpoint-url", url, "--yes"])
    assert code == 0, err.getvalue()[-3000:]
    assert "does not model" not in out.getvalue() + err.getvalue()  # nothing the templates use was skipped

    s3, ec2, iam = client("s3"), client("ec2"), client("iam")
    suffix = "dev-123456789012-us-east-1"
    app, logs, backups = (f"fuel-flow-{kind}-{suffix}" for kind in ("app-data", "logs", "backups"))
    for bucket in (app, logs, backups):
        assert all(s3.get_public_access_block(Bucket=bucket)["PublicAccessBlockConfiguration"].values())
        assert s3.get_bucket_ownership_controls(Bucket=bucket)["OwnershipControls"]["Rules"] == [
            {"ObjectOwnership": "BucketOwnerEnforced"}]
        statements = json.loads(s3.get_bucket_policy(Bucket=bucket)["Policy"])["Statement"]
        deny = next(s for s in statements if s["Sid"] == TLS_ONLY)
        assert deny["Effect"] == "Deny" and deny["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
    for bucket in (app, backups):
        assert s3.get_bucket_versioning(Bucket=bucket)["Status"] == "Enabled"
        assert s3.get_bucket_logging(Bucket=bucket)["LoggingEnabled"]["TargetBucket"] == logs
    assert s3.get_bucket_logging(Bucket=app)["LoggingEnabled"]["TargetPrefix"] == "access-logs/app-data/"
    rules = {r["ID"]: r for r in s3.get_bucket_lifecycle_configuration(Bucket=logs)["Rules"]}
    assert rules["expire-logs"]["Expiration"] == {"Days": 90} and rules["expire-logs"]["Status"] == "Enabled"
    assert rules["abort-incomplete-multipart-uploads"]["AbortIncompleteMultipartUpload"] == {"DaysAfterInitiation": 7}
    backup_rules = {r["ID"]: r for r in s3.get_bucket_lifecycle_configuration(Bucket=backups)["Rules"]}
    assert backup_rules["expire-noncurrent-versions"]["NoncurrentVersionExpiration"] == {"NoncurrentDays": 30}
    assert backup_rules["abort-incomplete-multipart-uploads"]["AbortIncompleteMultipartUpload"] == {
        "DaysAfterInitiation": 7}

    reservations = ec2.describe_instances(Filters=[{"Name": "tag:Name", "Values": ["fuel-flow-web-1-dev"]}])
    (inst,) = [i for r in reservations["Reservations"] for i in r["Instances"]]
    assert inst["MetadataOptions"]["HttpTokens"] == "required"
    assert inst["MetadataOptions"]["HttpPutResponseHopLimit"] == 1
    web_sg = ec2.describe_security_groups(Filters=[{"Name": "tag:Name", "Values": ["fuel-flow-web-sg-dev"]}])
    assert [g["GroupId"] for g in inst["SecurityGroups"]] == [g["GroupId"] for g in web_sg["SecurityGroups"]]
    assert inst["IamInstanceProfile"]["Arn"].endswith(":instance-profile/fuel-flow-ec2-profile-dev")
    volumes = ec2.describe_volumes(Filters=[{"Name": "attachment.instance-id", "Values": [inst["InstanceId"]]}])
    assert [(v["Encrypted"], v["VolumeType"], v["Size"]) for v in volumes["Volumes"]] == [(True, "gp3", 20)]
    attached = iam.list_attached_role_policies(RoleName="fuel-flow-ec2-role-dev")["AttachedPolicies"]
    assert [p["PolicyName"] for p in attached] == ["AmazonSSMManagedInstanceCore"]
    alarms = client("cloudwatch").describe_alarms(AlarmNamePrefix="fuel-flow-dev-")["MetricAlarms"]
    assert {a["AlarmName"] for a in alarms} == {"fuel-flow-dev-ec2-cpu-high-1", "fuel-flow-dev-rds-cpu-high",
                                                "fuel-flow-dev-rds-storage-low", "fuel-flow-dev-rds-memory-low",
                                                "fuel-flow-dev-rds-connections-high"}

    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(err):
        code = main(["-C", str(project_dir), "destroy", "--endpoint-url", url, "--force", "--confirm", "dev"])
    assert code == 0, err.getvalue()[-3000:]
    assert not [r for r in iam.list_roles()["Roles"] if r["RoleName"].startswith("fuel-flow-")]
    assert client("cloudwatch").describe_alarms(AlarmNamePrefix="fuel-flow-dev-")["MetricAlarms"] == []
    assert error_code(s3.get_bucket_policy, Bucket=app) == "NoSuchBucketPolicy"  # retained bucket, policy deleted


def test_topic_subscription_policy_and_composite_alarm(client: Callable[[str], Any]) -> None:
    """Fixes 60-64: what the monitoring stack declares reads back through SNS, CloudWatch and SSM."""
    topic, composite, param = unique("fix-alerts"), unique("fix-unhealthy"), f"/{unique('fix')}/cloudwatch-agent"
    policy = {"Version": "2012-10-17", "Statement": [{
        "Sid": "CloudWatchPublishes", "Effect": "Allow", "Principal": {"Service": "cloudwatch.amazonaws.com"},
        "Action": "sns:Publish", "Resource": {"Ref": "T"}}]}
    resources: dict[str, Any] = {
        "T": {"Type": "AWS::SNS::Topic", "Properties": {
            "TopicName": topic, "KmsMasterKeyId": "alias/fix", "Tags": [{"Key": "Project", "Value": "fix"}]}},
        "S": {"Type": "AWS::SNS::Subscription", "Properties": {
            "TopicArn": {"Ref": "T"}, "Protocol": "email", "Endpoint": "ops@example.com"}},
        "P": {"Type": "AWS::SNS::TopicPolicy", "Properties": {"Topics": [{"Ref": "T"}], "PolicyDocument": policy}},
        "C": {"Type": "AWS::CloudWatch::CompositeAlarm", "Properties": {
            "AlarmName": composite, "AlarmRule": 'ALARM("a") OR ALARM("b")', "AlarmActions": [{"Ref": "T"}],
            "OKActions": [{"Ref": "T"}]}},
        "Cfg": {"Type": "AWS::SSM::Parameter", "Properties": {
            "Name": param, "Type": "String", "Value": '{"logs": {}}', "Tags": {"Project": "fix"}}},
    }
    stack, outputs = create(client, resources, outputs={"Arn": {"Ref": "T"}, "Sub": {"Ref": "S"},
                                                        "Composite": {"Fn::GetAtt": ["C", "Arn"]}})
    sns, cw, ssm = client("sns"), client("cloudwatch"), client("ssm")
    arn = outputs["Arn"]
    attributes = sns.get_topic_attributes(TopicArn=arn)["Attributes"]
    assert attributes["KmsMasterKeyId"] == "alias/fix"
    assert [s["Sid"] for s in json.loads(attributes["Policy"])["Statement"]] == ["CloudWatchPublishes"]
    assert sns.list_tags_for_resource(ResourceArn=arn)["Tags"] == [{"Key": "Project", "Value": "fix"}]
    subscriptions = sns.list_subscriptions_by_topic(TopicArn=arn)["Subscriptions"]
    assert [(s["Protocol"], s["Endpoint"], s["SubscriptionArn"]) for s in subscriptions] == [
        ("email", "ops@example.com", outputs["Sub"])]
    alarm = cw.describe_alarms(AlarmNames=[composite], AlarmTypes=["CompositeAlarm"])["CompositeAlarms"][0]
    assert (alarm["AlarmRule"], alarm["AlarmActions"], alarm["OKActions"], alarm["AlarmArn"]) == (
        'ALARM("a") OR ALARM("b")', [arn], [arn], outputs["Composite"])
    assert ssm.list_tags_for_resource(ResourceType="Parameter", ResourceId=param)["TagList"] == [
        {"Key": "Project", "Value": "fix"}]

    # An update in place: the topic keeps its subscription, the rule and the key change.
    resources["T"]["Properties"]["KmsMasterKeyId"] = "alias/other"
    resources["C"]["Properties"]["AlarmRule"] = 'ALARM("a")'
    update(client, stack, resources)
    assert sns.get_topic_attributes(TopicArn=arn)["Attributes"]["KmsMasterKeyId"] == "alias/other"
    assert len(sns.list_subscriptions_by_topic(TopicArn=arn)["Subscriptions"]) == 1
    assert cw.describe_alarms(AlarmNames=[composite], AlarmTypes=["CompositeAlarm"])[
        "CompositeAlarms"][0]["AlarmRule"] == 'ALARM("a")'
    for missing in ("AWS::SNS::Subscription", "AWS::SNS::TopicPolicy", "AWS::CloudWatch::CompositeAlarm"):
        assert missing not in skipped_resource_types()
    delete(client, stack)
    assert cw.describe_alarms(AlarmNames=[composite], AlarmTypes=["CompositeAlarm"])["CompositeAlarms"] == []
    assert arn not in [t["TopicArn"] for t in sns.list_topics()["Topics"]]
    assert error_code(ssm.get_parameter, Name=param) == "ParameterNotFound"


def test_put_composite_alarm_reads_back(client: Callable[[str], Any]) -> None:
    """Fix 66: the API call the AWS provider makes for aws_cloudwatch_composite_alarm."""
    cw, topic = client("cloudwatch"), client("sns").create_topic(Name=unique("fix-66"))["TopicArn"]
    name = unique("fix-66-unhealthy")
    cw.put_composite_alarm(AlarmName=name, AlarmRule='ALARM("a") OR ALARM("b")', ActionsEnabled=True,
                           AlarmActions=[topic], OKActions=[topic], Tags=[{"Key": "Project", "Value": "fix"}])
    alarm = cw.describe_alarms(AlarmNames=[name], AlarmTypes=["CompositeAlarm"])["CompositeAlarms"][0]
    assert (alarm["AlarmRule"], alarm["ActionsEnabled"], alarm["AlarmActions"], alarm["OKActions"]) == (
        'ALARM("a") OR ALARM("b")', True, [topic], [topic])
    assert cw.list_tags_for_resource(ResourceARN=alarm["AlarmArn"])["Tags"] == [{"Key": "Project", "Value": "fix"}]
    assert cw.describe_alarms(AlarmNames=[name])["MetricAlarms"] == []  # not a metric alarm
    cw.delete_alarms(AlarmNames=[name])
    assert cw.describe_alarms(AlarmNames=[name], AlarmTypes=["CompositeAlarm"])["CompositeAlarms"] == []


# ------------------------------------------------------------------ fixes 80-82: what Prowler reads back

def test_public_subnets_read_back_public_and_bound_to_their_route_table(client: Callable[[str], Any]) -> None:
    from test_moto_without_fixes import _network

    _, outputs = create(client, _network("10.82.0.0/16"), outputs={"Subnet": {"Ref": "Public"}, "Rt": {"Ref": "Rt"}})
    ec2 = client("ec2")
    assert ec2.describe_subnets(SubnetIds=[outputs["Subnet"]])["Subnets"][0]["MapPublicIpOnLaunch"] is True
    (table,) = ec2.describe_route_tables(
        Filters=[{"Name": "association.subnet-id", "Values": [outputs["Subnet"]]}])["RouteTables"]
    assert table["RouteTableId"] == outputs["Rt"]
    assert any(r.get("GatewayId", "").startswith("igw-") and r.get("DestinationCidrBlock") == "0.0.0.0/0"
               for r in table["Routes"])
    assoc = [a for a in table["Associations"] if a.get("SubnetId") == outputs["Subnet"]]
    assert len(assoc) == 1 and assoc[0]["Main"] is False


def test_encrypted_db_reads_back_its_key_monitoring_arn_and_encrypted_snapshots(client: Callable[[str], Any]) -> None:
    from test_moto_without_fixes import _encrypted_db

    rds = client("rds")
    found = _encrypted_db(rds, monitoring=True)
    assert found["KmsKeyId"] == client("kms").describe_key(KeyId="alias/aws/rds")["KeyMetadata"]["Arn"]
    assert found["EnhancedMonitoringResourceArn"] == (
        f"arn:aws:logs:us-east-1:123456789012:log-group:RDSOSMetrics:log-stream:{found['DbiResourceId']}")
    (snapshot,) = rds.describe_db_snapshots(DBInstanceIdentifier=found["DBInstanceIdentifier"],
                                            SnapshotType="automated")["DBSnapshots"]
    assert snapshot["Encrypted"] is True and snapshot["KmsKeyId"] == found["KmsKeyId"]
    unencrypted = rds.create_db_instance(DBInstanceIdentifier=unique("db"), Engine="mysql",
                                         DBInstanceClass="db.t3.micro", AllocatedStorage=20, MasterUsername="admin",
                                         MasterUserPassword="password123")["DBInstance"]
    assert not unencrypted.get("KmsKeyId") and "EnhancedMonitoringResourceArn" not in unencrypted


def test_a_password_rds_manages_rotates_every_7_days(client: Callable[[str], Any]) -> None:
    rds, db = client("rds"), unique("db")
    rds.create_db_instance(DBInstanceIdentifier=db, Engine="mysql", DBInstanceClass="db.t3.micro", AllocatedStorage=20,
                           MasterUsername="admin", ManageMasterUserPassword=True)
    arn = rds.describe_db_instances(DBInstanceIdentifier=db)["DBInstances"][0]["MasterUserSecret"]["SecretArn"]
    secret = client("secretsmanager").describe_secret(SecretId=arn)
    assert secret["RotationEnabled"] is True and secret["RotationRules"]["AutomaticallyAfterDays"] == 7
