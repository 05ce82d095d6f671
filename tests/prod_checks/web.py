"""The web tier behind a load balancer (web.load_balancer), read back on either engine after a deploy.

Each check takes the boto3 context bound to the emulator (`aws.client(...)`) and the loaded Environment; with
`web.load_balancer: false` they check that the static instances are the web tier instead.
"""

from __future__ import annotations

from typing import Any

from fuelflow.config import Environment

TLS12_POLICY = "ELBSecurityPolicy-TLS13-1-2-2021-06"


def _lb(aws: Any, env: Environment) -> dict[str, Any]:
    found = aws.client("elbv2").describe_load_balancers(Names=[env.names.load_balancer])["LoadBalancers"]
    assert len(found) == 1, found
    return dict(found[0])


def _group(aws: Any, name: str) -> dict[str, Any]:
    groups = aws.client("ec2").describe_security_groups(
        Filters=[{"Name": "tag:Name", "Values": [name]}])["SecurityGroups"]  # CloudFormation: no GroupName
    assert len(groups) == 1, (name, groups)
    return dict(groups[0])


def check_load_balancer_is_internet_facing_in_both_public_subnets(aws: Any, env: Environment) -> None:
    if not env.web.load_balancer:
        lbs = aws.client("elbv2").describe_load_balancers()["LoadBalancers"]
        assert all(lb["LoadBalancerName"] != env.names.load_balancer for lb in lbs)
        return
    lb = _lb(aws, env)
    assert (lb["Scheme"], lb["Type"]) == ("internet-facing", "application")
    subnets = aws.client("ec2").describe_subnets(SubnetIds=[z["SubnetId"] for z in lb["AvailabilityZones"]])
    assert sorted(s["CidrBlock"] for s in subnets["Subnets"]) == sorted(env.network.public_subnet_cidrs)
    assert lb["SecurityGroups"] == [_group(aws, env.names.alb_sg)["GroupId"]]
    attrs = {a["Key"]: a["Value"] for a in aws.client("elbv2").describe_load_balancer_attributes(
        LoadBalancerArn=lb["LoadBalancerArn"])["Attributes"]}
    assert attrs["routing.http.drop_invalid_header_fields.enabled"] == "true"
    assert (attrs["access_logs.s3.enabled"], attrs["access_logs.s3.prefix"]) == ("true", f"alb/{env.name}")
    # the logs bucket (its name carries the account, which `env.names` does not know)
    assert attrs["access_logs.s3.bucket"].startswith(f"{env.project}-logs-{env.name}-")
    assert attrs["access_logs.s3.bucket"].endswith(f"-{env.region}")
    assert attrs["deletion_protection.enabled"] == str(env.rds.deletion_protection).lower()


def check_listeners_follow_the_certificate(aws: Any, env: Environment) -> None:
    if not env.web.load_balancer:
        return
    elb = aws.client("elbv2")
    lb = _lb(aws, env)
    listeners = {(x["Protocol"], x["Port"]): x for x in elb.describe_listeners(
        LoadBalancerArn=lb["LoadBalancerArn"])["Listeners"]}
    tg = elb.describe_target_groups(Names=[env.names.target_group])["TargetGroups"][0]["TargetGroupArn"]
    if env.web.certificate_arn or env.web.domain_name:
        assert set(listeners) == {("HTTPS", 443), ("HTTP", 80)}
        https = listeners[("HTTPS", 443)]
        assert https["SslPolicy"] == TLS12_POLICY
        if env.web.certificate_arn:
            assert [c["CertificateArn"] for c in https["Certificates"]] == [env.web.certificate_arn]
        assert https["DefaultActions"][0]["TargetGroupArn"] == tg
        [redirect] = listeners[("HTTP", 80)]["DefaultActions"]
        assert redirect["Type"] == "redirect"
        assert (redirect["RedirectConfig"]["Protocol"], redirect["RedirectConfig"]["Port"],
                redirect["RedirectConfig"]["StatusCode"]) == ("HTTPS", "443", "HTTP_301")
    else:  # no certificate: HTTP only, forwarding
        assert set(listeners) == {("HTTP", 80)}
        [forward] = listeners[("HTTP", 80)]["DefaultActions"]
        assert (forward["Type"], forward["TargetGroupArn"]) == ("forward", tg)


def check_target_group_health_check_and_draining(aws: Any, env: Environment) -> None:
    if not env.web.load_balancer:
        return
    elb = aws.client("elbv2")
    tg = elb.describe_target_groups(Names=[env.names.target_group])["TargetGroups"][0]
    assert (tg["Protocol"], tg["Port"], tg["TargetType"]) == ("HTTP", 80, "instance")
    assert (tg["HealthCheckPath"], tg["HealthCheckProtocol"], tg["Matcher"]["HttpCode"]) == (
        env.web.health_check_path, "HTTP", "200")
    attrs = {a["Key"]: a["Value"] for a in elb.describe_target_group_attributes(
        TargetGroupArn=tg["TargetGroupArn"])["Attributes"]}
    assert attrs["deregistration_delay.timeout_seconds"] == str(env.web.deregistration_delay)
    assert attrs["stickiness.enabled"] == str(env.web.stickiness).lower()


def check_auto_scaling_group_sizes_and_scaling_policy(aws: Any, env: Environment) -> None:
    asg = aws.client("autoscaling")
    groups = asg.describe_auto_scaling_groups(AutoScalingGroupNames=[env.names.asg])["AutoScalingGroups"]
    if not env.web.load_balancer:
        assert groups == []
        return
    [group] = groups
    assert (group["MinSize"], group["DesiredCapacity"], group["MaxSize"]) == (
        env.web.min_size, env.web.desired_capacity, env.web.max_size)
    assert group["HealthCheckType"] == "ELB"
    tg = aws.client("elbv2").describe_target_groups(Names=[env.names.target_group])["TargetGroups"][0]
    assert group["TargetGroupARNs"] == [tg["TargetGroupArn"]]
    subnets = aws.client("ec2").describe_subnets(SubnetIds=group["VPCZoneIdentifier"].split(","))["Subnets"]
    assert sorted(s["CidrBlock"] for s in subnets) == sorted(env.network.public_subnet_cidrs)
    assert len(group["Instances"]) == env.web.desired_capacity
    [policy] = asg.describe_policies(AutoScalingGroupName=env.names.asg)["ScalingPolicies"]
    assert policy["PolicyType"] == "TargetTrackingScaling"
    tracking = policy["TargetTrackingConfiguration"]
    assert tracking["PredefinedMetricSpecification"]["PredefinedMetricType"] == "ASGAverageCPUUtilization"
    assert tracking["TargetValue"] == float(env.web.cpu_target)


def check_security_group_chain(aws: Any, env: Environment) -> None:
    """Internet -> ALB (80, 443) -> instances (80 from the ALB's group only); no instance port to the internet."""
    web = _group(aws, env.names.web_sg)
    ingress = web["IpPermissions"]
    assert not any(r.get("FromPort") == 443 for r in ingress), "nothing listens on 443 on the instances"
    if not env.web.load_balancer:
        assert [(r["FromPort"], [x["CidrIp"] for x in r["IpRanges"]]) for r in ingress
                if r["FromPort"] == 80] == [(80, ["0.0.0.0/0"])]
        return
    alb = _group(aws, env.names.alb_sg)
    assert sorted((r["FromPort"], r["IpRanges"][0]["CidrIp"]) for r in alb["IpPermissions"]) == [
        (80, "0.0.0.0/0"), (443, "0.0.0.0/0")]
    assert all(not r["IpRanges"] and not r.get("Ipv6Ranges") for r in ingress), "no CIDR may reach an instance"
    http = [r for r in ingress if r["FromPort"] == 80]
    assert [[p["GroupId"] for p in r["UserIdGroupPairs"]] for r in http] == [[alb["GroupId"]]]
    # and no static instance of the environment is left running next to the group's
    ec2 = aws.client("ec2")
    names = [t["Value"] for r in ec2.describe_instances(Filters=[
        {"Name": "instance-state-name", "Values": ["pending", "running"]},
        {"Name": "tag:Environment", "Values": [env.name]}])["Reservations"]
        for i in r["Instances"] for t in i.get("Tags", []) if t["Key"] == "Name"]
    assert not [n for n in names if n.startswith(f"{env.project}-web-") and n[len(env.project) + 5:].split("-")[0]
                .isdigit()], names
