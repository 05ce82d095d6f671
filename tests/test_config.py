"""The environment model: the real files load, and every kind of bad value is refused with the fix."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
import yaml

from fuelflow.config import load_environment, parse_environment
from fuelflow.errors import ExitCode, InputError


@pytest.fixture
def dev_doc(project_dir: Path) -> dict[str, Any]:
    return yaml.safe_load((project_dir / "environments" / "dev.yaml").read_text())


def test_real_environments_load_with_the_documented_sizes(project_dir: Path) -> None:
    dev = load_environment(project_dir, "dev")
    prod = load_environment(project_dir, "prod")
    assert (dev.ec2.instance_type, dev.ec2.instance_count) == ("t3.micro", 1)
    assert (dev.rds.instance_class, dev.rds.multi_az) == ("db.t3.micro", False)
    assert (prod.ec2.instance_type, prod.ec2.instance_count) == ("t3.small", 2)
    assert (prod.rds.instance_class, prod.rds.multi_az, prod.rds.deletion_protection) == ("db.t3.small", True, True)
    assert dev.ec2.admin_ssh_cidrs == () and prod.ec2.admin_ssh_cidrs == ()
    assert dev.stack_name("iam") == "fuel-flow-iam-dev"


def test_cfn_parameters_and_tf_vars_come_from_the_same_values(project_dir: Path) -> None:
    env = load_environment(project_dir, "prod")
    params, tfv = env.cfn_parameters(), env.tf_vars()
    assert params["InstanceType"] == tfv["ec2"]["instance_type"] == "t3.small"
    assert params["InstanceCount"] == str(tfv["ec2"]["instance_count"]) == "2"
    assert params["DBMultiAZ"] == "true" and tfv["rds"]["multi_az"] is True
    assert params["PublicSubnet2Cidr"] == tfv["network"]["public_subnet_cidrs"][1]
    assert params["AdminSshCidr1"] == "" and tfv["ec2"]["admin_ssh_cidrs"] == []
    assert tfv["tags"]["Environment"] == "prod" and tfv["tags"]["ManagedBy"] == "fuelflow"


def _mutate(doc: dict[str, Any], dotted: str, value: Any) -> dict[str, Any]:
    doc = copy.deepcopy(doc)
    node = doc
    *path, last = dotted.split(".")
    for key in path:
        node = node[key]
    if value is _DELETE:
        del node[last]
    else:
        node[last] = value
    return doc


_DELETE = object()


@pytest.mark.parametrize(
    ("key", "value", "needle"),
    [
        ("ec2.instance_type", "t3.gigantic", "not an EC2 instance type"),
        ("rds.instance_class", "db.x9.huge", "not a MySQL DB instance class"),
        ("network.vpc_cidr", "10.10.0.0/33", "not a valid IPv4 CIDR"),
        ("network.vpc_cidr", "10.10.0.1/16", "not a valid IPv4 CIDR"),
        ("network.public_subnet_cidrs", ["10.10.0.0/24"], "list exactly 2"),
        ("network.private_subnet_cidrs", ["10.99.0.0/24", "10.10.11.0/24"], "outside the VPC"),
        ("network.private_subnet_cidrs", ["10.10.0.0/24", "10.10.11.0/24"], "overlap"),
        ("ec2.admin_ssh_cidrs", ["0.0.0.0/0"], "whole internet"),
        ("ec2.admin_ssh_cidrs", ["1.2.3.4/32", "5.6.7.8/32", "9.9.9.9/32"], "at most 2"),
        ("ec2.instance_count", 9, "from 1 to 4"),
        ("ec2.instance_count", "two", "whole number"),
        ("rds.multi_az", "yes", "true or false"),
        ("rds.max_allocated_storage", 10, "from 21 to"),
        ("rds.monitoring_interval", 7, "use one of"),
        ("rds.backup_retention_days", 0, "from 1 to 35"),
        ("rds.engine_version", "5.7", "8.0"),
        ("logs.retention_days", 31, "CloudWatch Logs supports"),
        ("region", "mars-1", "not valid"),
        ("project", "Fuel_Flow", "not valid"),
        ("name", "prod", "file is dev.yaml"),
        ("rds", _DELETE, "rds must be a mapping"),
        ("tags", {"aws:owner": "x"}, "not a valid tag key"),
        ("ec2.admin_ssh_cidrs", ["0.0.0.0/1", "128.0.0.0/1"], "prefix from /8"),
        ("ec2.admin_ssh_cidrs", ["1.2.3.4/32", "1.2.3.4/32"], "twice"),
        ("rds.allocated_storage", 100, "max_allocated_storage (100) must be greater than rds.allocated_storage"),
        ("network.vpc_cidr", "10.10.0.0/25", "prefix from /16 to /24"),
        ("ec2.root_volume_size", 2048, "from 8 to 1024"),
        ("tier", "gold", "not a tier"),
        ("tier", _DELETE, "tier is missing"),
        ("project", "fuel--flow", "single hyphens"),
        ("project", "fuel-flow-", "single hyphens"),
        ("web.min_size", 3, "web.desired_capacity (1) must not be less than web.min_size (3)"),
        ("web.max_size", 0, "from 1 to 10"),
        ("web.health_check_path", "health.html", "not valid"),
        ("web.certificate_arn", "arn:aws:iam::123456789012:server-certificate/x", "ACM certificate"),
        ("web.domain_name", "www.example.com", "web.hosted_zone_id is empty but web.domain_name is set"),
        ("web.hosted_zone_id", "Z123ABC", "web.domain_name is empty but web.hosted_zone_id is set"),
        ("edge.waf", True, "edge.waf is true but web.load_balancer is false"),
        ("edge.waf_rate_limit", 50, "from 100 to"),
        ("monitoring.alarm_emails", ["ops.example.com"], "not an e-mail address"),
        ("monitoring.alarm_emails", ["a@example.com", "b@example.com", "c@example.com"], "at most 2"),
        ("monitoring.alarm_emails", ["a@example.com", "a@example.com"], "twice"),
        ("rds.slow_query_seconds", 0, "from 1 to 60"),
        ("network.flow_logs", "on", "true or false"),
    ],
)
def test_bad_values_are_refused_with_the_key_and_a_fix(dev_doc: dict[str, Any], key: str, value: Any,
                                                       needle: str) -> None:
    with pytest.raises(InputError) as err:
        parse_environment(_mutate(dev_doc, key, value), Path("environments/dev.yaml"), expected_name="dev")
    assert needle in err.value.one_line()
    assert err.value.fix, "every input error must say how to fix it"
    assert err.value.exit_code == ExitCode.USAGE


def test_prod_without_deletion_protection_is_refused(project_dir: Path) -> None:
    doc = yaml.safe_load((project_dir / "environments" / "prod.yaml").read_text())
    doc["rds"]["deletion_protection"] = False
    with pytest.raises(InputError, match="deletion_protection"):
        parse_environment(doc, Path("prod.yaml"), expected_name="prod")


def test_unknown_and_malformed_files(tmp_path: Path) -> None:
    (tmp_path / "environments").mkdir()
    with pytest.raises(InputError, match="unknown environment 'qa'"):
        load_environment(tmp_path, "qa")
    (tmp_path / "environments" / "dev.yaml").write_text("name: dev\n  bad: [indent\n")
    with pytest.raises(InputError, match="malformed YAML"):
        load_environment(tmp_path, "dev")
    with pytest.raises(InputError, match="invalid environment name"):
        load_environment(tmp_path, "../etc")


def test_production_tier_requires_multi_az_and_protection_whatever_the_name(dev_doc: dict[str, Any]) -> None:
    doc = _mutate(dev_doc, "tier", "production")
    with pytest.raises(InputError, match=r"rds\.deletion_protection is false but tier is production"):
        parse_environment(doc, Path("environments/dev.yaml"), expected_name="dev")
    doc["rds"]["deletion_protection"] = True
    with pytest.raises(InputError, match=r"rds\.multi_az is false but tier is production"):
        parse_environment(doc, Path("environments/dev.yaml"), expected_name="dev")
    doc["rds"]["multi_az"] = True
    assert parse_environment(doc, Path("environments/dev.yaml"), expected_name="dev").is_production


def test_any_name_that_fits_the_contract_is_an_environment(dev_doc: dict[str, Any]) -> None:
    for name in ("staging", "pr-142", "qa2"):
        env = parse_environment({**dev_doc, "name": name}, Path(f"environments/{name}.yaml"), expected_name=name)
        assert env.stack_name("rds") == f"fuel-flow-rds-{name}" and not env.is_production


def test_a_name_that_would_overflow_an_aws_limit_is_refused_naming_the_limit(dev_doc: dict[str, Any]) -> None:
    # <project>-app-data-<env>-<12-digit account>-<region> must stay within S3's 63 characters.
    doc = {**dev_doc, "project": "fuel-flow-web", "name": "feature-abcdefgh", "region": "ap-southeast-2"}
    with pytest.raises(InputError) as err:
        parse_environment(doc, Path("environments/feature-abcdefgh.yaml"), expected_name="feature-abcdefgh")
    line = err.value.one_line()
    assert "S3 bucket name fuel-flow-web-app-data-feature-abcdefgh-123456789012-ap-southeast-2" in line
    assert "has 67 characters, the limit is 63" in line and "shorten name or project by 4" in line
    # the load balancer's 32 characters (production profile) are checked too
    doc = {**dev_doc, "project": "fuel-flow-web", "name": "feature-abcdefgh"}
    with pytest.raises(InputError, match="load balancer name fuel-flow-web-alb-feature-abcdefgh has 34"):
        parse_environment(doc, Path("x.yaml"))
    assert parse_environment({**doc, "name": "feature-abcdef"}, Path("x.yaml")).name == "feature-abcdef"


def test_edge_options_need_what_they_sit_on(dev_doc: dict[str, Any]) -> None:
    """Each edge option is refused with the setting it needs, and accepted once that is set."""
    doc = _mutate(_mutate(dev_doc, "web.load_balancer", True), "edge.dns_record", True)
    with pytest.raises(InputError, match=r"edge\.dns_record is true but web\.domain_name is empty"):
        parse_environment(doc, Path("environments/dev.yaml"))
    doc = _mutate(_mutate(doc, "web.domain_name", "www.example.com"), "web.hosted_zone_id", "Z123ABC")
    doc = _mutate(doc, "edge.cloudfront", True)
    env = parse_environment(doc, Path("environments/dev.yaml"))
    assert env.web.has_certificate and env.edge.cloudfront and env.edge.dns_record
    doc = _mutate(_mutate(_mutate(doc, "web.domain_name", ""), "web.hosted_zone_id", ""), "edge.dns_record", False)
    with pytest.raises(InputError, match=r"edge\.cloudfront is true but the load balancer has no certificate"):
        parse_environment(doc, Path("environments/dev.yaml"))


def test_the_production_profile_reaches_both_engines(project_dir: Path) -> None:
    """prod's web tier, edge and alarm settings become the same values as parameters and as variables."""
    env = load_environment(project_dir, "prod")
    params, tf = env.cfn_parameters(), env.tf_vars()
    assert (params["LoadBalancer"], params["WebMinSize"], params["WebDesiredCapacity"], params["WebMaxSize"]) == \
        ("true", "2", "2", "4")
    assert (tf["web"]["load_balancer"], tf["web"]["min_size"], tf["web"]["max_size"]) == (True, 2, 4)
    assert params["FlowLogs"] == "true" and tf["network"]["flow_logs"] is True
    assert (params["AlarmEmail1"], params["AlarmEmail2"], tf["monitoring"]["alarm_emails"]) == ("", "", [])
    assert params["AlarmDbConnections"] == str(tf["monitoring"]["db_connections"]) == "120"
    assert params["Waf"] == params["CloudFront"] == params["DnsRecord"] == "false"
