"""EC2 controls (checks/ec2.py): security groups and instances, against the emulator."""

from __future__ import annotations

from typing import Any

import pytest
from audit_deployment import ADMIN_CIDR, AMI, Deployment, make_env, results, sg_key, statuses, tcp

from fuelflow.audit import Status
from fuelflow.aws import AwsContext


@pytest.mark.emulator
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


@pytest.mark.emulator
def test_no_ssh_from_the_internet_passes_admin_range(aws: AwsContext) -> None:
    dep = Deployment(aws, make_env(ec2={"admin_ssh_cidrs": [ADMIN_CIDR]}))
    dep.security_groups(web_rules=[tcp(80, "0.0.0.0/0"), tcp(22, ADMIN_CIDR)])
    assert set(statuses(results(dep, "FF-SG-001")).values()) == {Status.PASSED}


@pytest.mark.emulator
def test_no_ssh_covers_groups_attached_to_instances(dep: Deployment) -> None:
    dep.security_groups()
    rogue = dep.ec2.create_security_group(GroupName=f"{dep.names.project}-rogue", Description="x",
                                          VpcId=dep.vpc_id)["GroupId"]
    dep.ec2.authorize_security_group_ingress(GroupId=rogue, IpPermissions=[tcp(22, "0.0.0.0/0")])
    dep.instance(SecurityGroupIds=[dep.web_sg, rogue])
    found = results(dep, "FF-SG-001")
    assert sg_key(found, f"{dep.names.project}-rogue").status is Status.FAILED


@pytest.mark.emulator
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


@pytest.mark.emulator
def test_database_reachable_only_from_web(dep: Deployment) -> None:
    dep.database()
    found = results(dep, "FF-SG-003")
    assert sg_key(found, dep.names.db_sg).status is Status.PASSED
    assert found[dep.names.db_instance].status is Status.PASSED


@pytest.mark.emulator
def test_database_open_to_the_vpc_cidr_is_flagged(dep: Deployment) -> None:
    # The architecture document's own rule ("3306 from VPC CIDR only") is what DECISIONS 2 tightens.
    dep.security_groups(db_rules=[tcp(3306, "10.10.0.0/16")])
    dep.database()
    r = sg_key(results(dep, "FF-SG-003"), dep.names.db_sg)
    assert r.status is Status.FAILED and "10.10.0.0/16" in r.detail


@pytest.mark.emulator
def test_database_with_an_extra_security_group_is_flagged(dep: Deployment) -> None:
    dep.security_groups()
    extra = dep.ec2.create_security_group(GroupName=f"{dep.names.project}-extra", Description="x",
                                          VpcId=dep.vpc_id)["GroupId"]
    dep.database(VpcSecurityGroupIds=[dep.db_sg, extra])
    r = results(dep, "FF-SG-003")[dep.names.db_instance]
    assert r.status is Status.FAILED and extra in r.detail


@pytest.mark.emulator
def test_database_outside_the_db_group(dep: Deployment) -> None:
    dep.security_groups()
    other = dep.ec2.create_security_group(GroupName=f"{dep.names.project}-other", Description="x",
                                          VpcId=dep.vpc_id)["GroupId"]
    dep.database(VpcSecurityGroupIds=[other])
    assert results(dep, "FF-SG-003")[dep.names.db_instance].status is Status.FAILED
    assert results(dep, "FF-SG-003", "cloudformation")[dep.names.db_instance].status is Status.FAILED


@pytest.mark.emulator
def test_imdsv2(aws: AwsContext) -> None:
    good, bad = Deployment(aws, make_env()), Deployment(aws, make_env())
    good_id = good.instance()
    bad_id = bad.instance(tokens="optional")
    assert results(good, "FF-EC2-001")[good_id].status is Status.PASSED
    r = results(bad, "FF-EC2-001")[bad_id]
    assert r.status is Status.FAILED and "HttpTokens=optional" in r.detail
    assert r.arn and r.arn.endswith(f":instance/{bad_id}")


@pytest.mark.emulator
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


@pytest.mark.emulator
def test_no_instance_is_a_finding(dep: Deployment) -> None:
    dep.security_groups()
    r = results(dep, "FF-EC2-001")["EC2 instances"]
    assert r.status is Status.FAILED and "no instance" in r.detail


@pytest.mark.emulator
def test_ebs_encryption(aws: AwsContext) -> None:
    good, bad = Deployment(aws, make_env()), Deployment(aws, make_env())
    good_id = good.instance()
    bad_id = bad.instance(encrypted=False)
    assert results(good, "FF-EC2-002")[good_id].status is Status.PASSED
    r = results(bad, "FF-EC2-002")[bad_id]
    assert r.status is Status.FAILED and "/dev/xvda" in r.detail


@pytest.mark.emulator
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
