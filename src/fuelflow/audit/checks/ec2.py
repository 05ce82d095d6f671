"""EC2: the security groups (FF-SG), the instances (FF-EC2) and the VPC's default group and S3 endpoint (FF-VPC)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from fuelflow.audit.checks.common import NOT_FOUND, each
from fuelflow.audit.checks.rds import db_verdict
from fuelflow.audit.context import AuditContext, Unanswerable
from fuelflow.audit.policy import as_list, parse_policy, statements
from fuelflow.audit.registry import Verdict, control, failed, not_checked, passed


def _port_range(perm: dict[str, Any]) -> tuple[int, int]:
    if str(perm.get("IpProtocol")) == "-1":
        return 0, 65535
    return int(perm.get("FromPort", 0)), int(perm.get("ToPort", 65535))


def _covers_tcp(perm: dict[str, Any], port: int) -> bool:
    proto = str(perm.get("IpProtocol"))
    low, high = _port_range(perm)
    return proto in ("-1", "tcp", "6") and low <= port <= high


def _sources(perm: dict[str, Any]) -> list[str]:
    """Every source of an ingress permission: CIDRs, prefix lists and security groups."""
    return ([r["CidrIp"] for r in perm.get("IpRanges", [])]
            + [r["CidrIpv6"] for r in perm.get("Ipv6Ranges", [])]
            + [r["PrefixListId"] for r in perm.get("PrefixListIds", [])]
            + [p["GroupId"] for p in perm.get("UserIdGroupPairs", [])])


def _describe_perm(perm: dict[str, Any]) -> str:
    proto = str(perm.get("IpProtocol"))
    low, high = _port_range(perm)
    ports = "all traffic" if proto == "-1" else f"{proto} {low}" if low == high else f"{proto} {low}-{high}"
    return f"{ports} from {', '.join(_sources(perm)) or 'nowhere'}"


def _sg_arn(ctx: AuditContext, group: dict[str, Any]) -> str:
    return str(group.get("SecurityGroupArn") or ctx.names.arn("ec2", f"security-group/{group['GroupId']}"))


def _sg_label(group: dict[str, Any]) -> str:
    return f"{group.get('GroupName')} ({group['GroupId']})"


@control("FF-SG-001", "No SSH from the internet", "high",
         "DECISIONS 5: no SSH from the internet (0.0.0.0/0 or ::/0); shell access via SSM Session Manager",
         "Port 22 open to the world invites credential stuffing; SSM needs no inbound port at all.",
         checkov=("CKV_AWS_24",), aws_config="restricted-ssh",
         prowler="ec2_securitygroup_allow_ingress_from_internet_to_tcp_port_22")
def check_no_public_ssh(ctx: AuditContext) -> Iterator[Verdict]:
    groups: dict[str, dict[str, Any]] = {}
    for name in (ctx.names.web_sg, ctx.names.db_sg):
        try:
            found = ctx.security_groups(name)
        except Unanswerable as exc:
            yield not_checked(name, exc.reason)
            continue
        if not found:
            yield failed(name, f"security group {NOT_FOUND}")
        groups.update({g["GroupId"]: g for g in found})
    # Groups attached to the environment's instances count too, whatever their name.
    try:
        attached = {sg["GroupId"] for inst in ctx.instances() for sg in inst.get("SecurityGroups", [])}
        for group_id in sorted(attached - groups.keys()):
            group = ctx.security_group_by_id(group_id)
            if group is not None:
                groups[group_id] = group
    except Unanswerable as exc:
        yield not_checked("EC2 instances", f"security groups of the instances: {exc.reason}")
    for group in groups.values():
        open_ssh = [p for p in group.get("IpPermissions", []) if _covers_tcp(p, 22)
                    and ({"0.0.0.0/0", "::/0"} & set(_sources(p)))]
        if open_ssh:
            yield failed(_sg_label(group), "SSH open to the internet: " + "; ".join(map(_describe_perm, open_ssh)),
                         _sg_arn(ctx, group))
        else:
            yield passed(_sg_label(group), "no SSH from 0.0.0.0/0 or ::/0", _sg_arn(ctx, group))


@control("FF-SG-002", "The web security group opens only HTTP, HTTPS and listed SSH ranges", "medium",
         "architecture: Security groups with minimal required access; DECISIONS 5: port 22 only to listed CIDRs",
         "Every extra open port is attack surface; the web tier needs 80 and 443 and nothing else.",
         checkov=("CKV_AWS_277", "CKV_AWS_24"), aws_config="vpc-sg-open-only-to-authorized-ports",
         prowler="ec2_securitygroup_allow_ingress_from_internet_to_all_ports")
def check_web_sg_minimal(ctx: AuditContext) -> Iterator[Verdict]:
    admin = set(ctx.env.ec2.admin_ssh_cidrs)
    try:
        groups = ctx.security_groups(ctx.names.web_sg)
    except Unanswerable as exc:
        yield not_checked(ctx.names.web_sg, exc.reason)
        return
    if not groups:
        yield failed(ctx.names.web_sg, f"security group {NOT_FOUND}")
    for group in groups:
        extra: list[str] = []
        for perm in group.get("IpPermissions", []):
            low, high = _port_range(perm)
            proto = str(perm.get("IpProtocol"))
            web = proto in ("tcp", "6") and low == high and low in (80, 443)
            ssh = proto in ("tcp", "6") and low == high == 22
            if web:
                continue
            if ssh:
                stray = [s for s in _sources(perm) if s not in admin]
                if stray:
                    extra.append(f"tcp 22 from {', '.join(stray)} (not in ec2.admin_ssh_cidrs)")
                continue
            extra.append(_describe_perm(perm))
        if extra:
            yield failed(_sg_label(group), "also open: " + "; ".join(extra), _sg_arn(ctx, group))
        else:
            ssh_note = f", SSH from {', '.join(sorted(admin))}" if admin else ", no SSH"
            yield passed(_sg_label(group), f"only HTTP/HTTPS{ssh_note}", _sg_arn(ctx, group))


@control("FF-SG-003", "The database is reachable only from the web security group", "high",
         "DECISIONS 2: RDS accepts 3306 only from the web tier's security group (stricter than the VPC CIDR)",
         "A CIDR rule admits anything that lands in the range; a security-group rule admits only the web tier.",
         checkov=(), aws_config=None,
         prowler=None)
def check_db_only_from_web(ctx: AuditContext) -> Iterator[Verdict]:
    try:
        web_ids = {g["GroupId"] for g in ctx.security_groups(ctx.names.web_sg)}
        db_groups = ctx.security_groups(ctx.names.db_sg)
    except Unanswerable as exc:
        yield not_checked(ctx.names.db_sg, exc.reason)
        return
    if not db_groups:
        yield failed(ctx.names.db_sg, f"security group {NOT_FOUND}")
        return
    for group in db_groups:
        wrong = [p for p in group.get("IpPermissions", [])
                 if not (str(p.get("IpProtocol")) in ("tcp", "6") and _port_range(p) == (3306, 3306)
                         and _sources(p) and set(_sources(p)) <= web_ids)]
        if wrong:
            yield failed(_sg_label(group), "admits more than MySQL from the web tier: "
                         + "; ".join(map(_describe_perm, wrong)), _sg_arn(ctx, group))
        elif not web_ids:
            yield failed(_sg_label(group), f"web security group {ctx.names.web_sg} {NOT_FOUND}", _sg_arn(ctx, group))
        else:
            yield passed(_sg_label(group), "only tcp 3306 from the web security group", _sg_arn(ctx, group))

    def judge(db: dict[str, Any], name: str, arn: str) -> Verdict:
        attached = {g["VpcSecurityGroupId"] for g in db.get("VpcSecurityGroups", [])}
        db_ids = {g["GroupId"] for g in db_groups}
        if attached and attached <= db_ids:
            return passed(name, f"attached only to {ctx.names.db_sg}", arn)
        others = sorted(attached - db_ids)
        if not attached & db_ids:
            return failed(name,
                          f"not attached to {ctx.names.db_sg} (attached: {', '.join(others) or 'none'})", arn)
        return failed(name, f"also attached to {', '.join(others)}, which the audit does not vouch for", arn)

    yield from db_verdict(ctx, judge)


def _instance_verdicts(ctx: AuditContext, judge: Callable[[dict[str, Any], str, str], Verdict],
                       ) -> Iterator[Verdict]:
    """Run `judge(instance, instance_id, arn)` on each of the environment's instances, or fail them as not found."""
    try:
        found = ctx.instances()
    except Unanswerable as exc:
        yield not_checked("EC2 instances", exc.reason)
        return
    if not found:
        yield failed("EC2 instances", f"no instance {NOT_FOUND} (looked for tags Project={ctx.env.project}, "
                     f"Environment={ctx.env.name} and members of {ctx.names.web_sg})")
        return
    by_id = {i["InstanceId"]: i for i in found}
    arns = {k: ctx.names.arn("ec2", f"instance/{k}") for k in by_id}
    yield from each(arns.items(), lambda k: judge(by_id[k], k, arns[k]))


@control("FF-EC2-001", "EC2 instances require IMDSv2", "high",
         "DECISIONS 5: IMDSv2 required (via a launch template)",
         "IMDSv1 lets an SSRF bug in the web app read the instance role's credentials.",
         checkov=("CKV_AWS_79",), aws_config="ec2-imdsv2-check",
         prowler="ec2_instance_imdsv2_enabled")
def check_imdsv2(ctx: AuditContext) -> Iterator[Verdict]:
    def judge(inst: dict[str, Any], instance_id: str, arn: str) -> Verdict:
        options = inst.get("MetadataOptions") or {}
        if options.get("HttpTokens") == "required":
            return passed(instance_id, "IMDSv2 required", arn)
        if options.get("HttpEndpoint") == "disabled":
            return passed(instance_id, "instance metadata service disabled", arn)
        return failed(instance_id,
                      f"IMDSv1 allowed (HttpTokens={options.get('HttpTokens', 'unset')})", arn)

    yield from _instance_verdicts(ctx, judge)


@control("FF-EC2-002", "EC2 volumes are encrypted", "medium",
         "DECISIONS 5: encrypted root volumes",
         "An unencrypted volume leaks data through snapshots and decommissioned disks.",
         checkov=("CKV_AWS_8", "CKV_AWS_3"), aws_config="encrypted-volumes",
         prowler="ec2_ebs_volume_encryption")
def check_ebs_encrypted(ctx: AuditContext) -> Iterator[Verdict]:
    def judge(inst: dict[str, Any], instance_id: str, arn: str) -> Verdict:
        devices = {m["Ebs"]["VolumeId"]: m["DeviceName"] for m in inst.get("BlockDeviceMappings", []) if "Ebs" in m}
        if not devices:
            return not_checked(instance_id, "the target reports no EBS volume for this instance", arn)
        volumes = ctx.pages("ec2", "describe_volumes", "Volumes", VolumeIds=sorted(devices)) or []
        plain = [v for v in volumes if not v.get("Encrypted")]
        if not plain:
            return passed(instance_id, f"{len(volumes)} volume(s), all encrypted", arn)
        return failed(instance_id, "unencrypted: " + ", ".join(f"{v['VolumeId']} ({devices[v['VolumeId']]})"
                                                               for v in plain), arn)

    yield from _instance_verdicts(ctx, judge)


@control("FF-EC2-003", "Every web instance runs with the project's instance profile", "medium",
         "architecture: IAM roles for the web tier; DECISIONS 5.2: the instance role reads the DB secret and "
         "ships logs; DECISIONS 17.5: every web instance runs with the project's instance profile",
         "An instance without the project's profile has either no credentials (the CloudWatch agent, SSM and the "
         "application's S3 and secret reads fail silently) or someone else's role.",
         checkov=("CKV2_AWS_41",), aws_config="ec2-instance-profile-attached",
         prowler="ec2_instance_profile_attached")
def check_instance_profile(ctx: AuditContext) -> Iterator[Verdict]:
    wanted, role = ctx.names.instance_profile, ctx.names.role("ec2")

    def judge(inst: dict[str, Any], instance_id: str, arn: str) -> Verdict:
        attached = str((inst.get("IamInstanceProfile") or {}).get("Arn") or "")
        if not attached:
            return failed(instance_id, f"runs without an instance profile (expected {wanted})", arn)
        name = attached.rsplit("/", 1)[-1]
        if name != wanted:
            return failed(instance_id, f"runs with instance profile {name}, not {wanted}", arn)
        profile = ctx.cached(("instance-profile", name), lambda: ctx.call(
            "iam", "get_instance_profile", missing=("NoSuchEntity",), InstanceProfileName=name))
        if profile is None:
            return failed(instance_id, f"instance profile {name} {NOT_FOUND}", arn)
        roles = [r.get("RoleName") for r in profile.get("InstanceProfile", {}).get("Roles", [])]
        if roles != [role]:
            return failed(instance_id, f"instance profile {name} holds {', '.join(map(str, roles)) or 'no role'}, "
                          f"not {role}", arn)
        return passed(instance_id, f"instance profile {name} with role {role}", arn)

    yield from _instance_verdicts(ctx, judge)


def _vpc_verdicts(ctx: AuditContext, judge: Callable[[dict[str, Any], str, str], Verdict]) -> Iterator[Verdict]:
    """Run `judge(vpc, vpc_id, arn)` on each of the environment's VPCs, or fail them as not found."""
    try:
        found = ctx.vpcs()
    except Unanswerable as exc:
        yield not_checked("VPC", exc.reason)
        return
    if not found:
        yield failed("VPC", f"VPC {NOT_FOUND} (looked for tags Project={ctx.env.project}, "
                     f"Environment={ctx.env.name})")
        return
    by_id = {v["VpcId"]: v for v in found}
    arns = {k: ctx.names.arn("ec2", f"vpc/{k}") for k in by_id}
    yield from each(arns.items(), lambda k: judge(by_id[k], k, arns[k]))


@control("FF-VPC-001", "The VPC's default security group has no rules", "medium",
         "DECISIONS 17.4: the default security group is closed (Terraform manages it empty; `fuelflow deploy` "
         "revokes its rules after the CloudFormation network stack)",
         "Anything launched into the VPC without a group lands in the default one; open, it lets such a resource "
         "talk to every other member and to the internet.",
         checkov=("CKV2_AWS_12",), aws_config="vpc-default-security-group-closed",
         prowler="ec2_securitygroup_default_restrict_traffic")
def check_default_sg_closed(ctx: AuditContext) -> Iterator[Verdict]:
    def judge(vpc: dict[str, Any], vpc_id: str, arn: str) -> Verdict:
        groups = ctx.pages("ec2", "describe_security_groups", "SecurityGroups", Filters=[
            {"Name": "vpc-id", "Values": [vpc_id]}, {"Name": "group-name", "Values": ["default"]}]) or []
        if not groups:
            return not_checked(vpc_id, "the target reports no default security group for this VPC", arn)
        group = groups[0]
        rules = ([f"ingress {_describe_perm(p)}" for p in group.get("IpPermissions", [])]
                 + [f"egress {_describe_perm(p).replace(' from ', ' to ')}"
                    for p in group.get("IpPermissionsEgress", [])])
        if rules:
            return failed(_sg_label(group), f"default security group of {vpc_id} still has rules: "
                          + "; ".join(rules), _sg_arn(ctx, group))
        return passed(_sg_label(group), f"default security group of {vpc_id} has no rules", _sg_arn(ctx, group))

    yield from _vpc_verdicts(ctx, judge)


def _endpoint_problems(ctx: AuditContext, document: dict[str, Any]) -> list[str]:
    """Why an S3 endpoint policy lets data leave for buckets other than the project's (empty when it does not)."""
    project = {a for b in ctx.names.buckets.values() for a in (ctx.names.bucket_arn(b), ctx.names.bucket_arn(b) + "/*")}
    aws_owned = {ctx.names.bucket_arn(b) + "/*" for b in ctx.names.aws_read_only_buckets}
    problems: list[str] = []
    for s in statements(document):
        if s.get("Effect") != "Allow":
            continue
        if "NotResource" in s or "NotAction" in s:
            problems.append("an Allow with NotResource/NotAction")
            continue
        actions = [str(a) for a in as_list(s.get("Action"))]
        for resource in map(str, as_list(s.get("Resource"))):
            if resource in project:
                continue
            if resource in aws_owned:
                writes = [a for a in actions if a.lower() not in ("s3:getobject", "s3:getobjectversion")]
                if writes:
                    problems.append(f"{', '.join(writes)} on AWS-owned {resource}")
                continue
            where = "every bucket" if resource in ("*", ctx.names.bucket_arn("*")) else resource
            problems.append(f"{', '.join(actions)} on {where}")
    return problems


@control("FF-VPC-002", "The S3 gateway endpoint reaches only the project's buckets", "high",
         "DECISIONS 17.1: the endpoint policy admits the project's three buckets and read-only access to the "
         "AWS-owned buckets the servers need (package repositories, CloudWatch agent, SSM Agent)",
         "The default endpoint policy allows any principal any action on any bucket: a compromised server could "
         "copy data out to a bucket of the attacker's, unseen, over the AWS network.",
         checkov=(), aws_config=None,
         prowler="vpc_endpoint_connections_trust_boundaries")
def check_s3_endpoint_policy(ctx: AuditContext) -> Iterator[Verdict]:
    service = f"com.amazonaws.{ctx.names.region}.s3"

    def judge(vpc: dict[str, Any], vpc_id: str, arn: str) -> Verdict:
        endpoints = ctx.pages("ec2", "describe_vpc_endpoints", "VpcEndpoints", Filters=[
            {"Name": "vpc-id", "Values": [vpc_id]}, {"Name": "service-name", "Values": [service]}]) or []
        if not endpoints:
            return failed(vpc_id, f"no S3 gateway endpoint {NOT_FOUND} in {vpc_id}", arn)
        problems: list[str] = []
        for endpoint in endpoints:
            found = _endpoint_problems(ctx, parse_policy(endpoint.get("PolicyDocument") or "{}"))
            problems += [f"{endpoint['VpcEndpointId']}: {p}" for p in found]
        if problems:
            return failed(vpc_id, "the S3 endpoint lets data out: " + "; ".join(problems), arn)
        ids = ", ".join(e["VpcEndpointId"] for e in endpoints)
        return passed(vpc_id, f"{ids}: only the project's buckets, AWS-owned ones read-only", arn)

    yield from _vpc_verdicts(ctx, judge)
