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
        ("network.public_subnet_cidrs", ["10.10.0.0/24"], "list exactly two"),
        ("network.private_subnet_cidrs", ["10.99.0.0/24", "10.10.11.0/24"], "outside the VPC"),
        ("network.private_subnet_cidrs", ["10.10.0.0/24", "10.10.11.0/24"], "overlap"),
        ("ec2.admin_ssh_cidrs", ["0.0.0.0/0"], "whole internet"),
        ("ec2.admin_ssh_cidrs", ["1.2.3.4/32", "5.6.7.8/32", "9.9.9.9/32"], "at most 2"),
        ("ec2.instance_count", 9, "from 1 to 4"),
        ("ec2.instance_count", "two", "whole number"),
        ("rds.multi_az", "yes", "true or false"),
        ("rds.max_allocated_storage", 10, "from 20 to"),
        ("rds.monitoring_interval", 7, "use one of"),
        ("rds.backup_retention_days", 0, "from 1 to 35"),
        ("rds.engine_version", "5.7", "8.0"),
        ("logs.retention_days", 31, "CloudWatch Logs retention"),
        ("region", "mars-1", "not valid"),
        ("project", "Fuel_Flow", "not valid"),
        ("name", "prod", "file is dev.yaml"),
        ("rds", _DELETE, "rds must be a mapping"),
        ("tags", {"aws:owner": "x"}, "not a valid tag key"),
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
