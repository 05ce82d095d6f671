"""fuelflow cost: each pricer against hand-computed figures (us-east-1 list prices of the shipped table), the
CloudFormation path's totals following one environment value, the document's estimate kept in one place,
bad input (exit 2, one line). The Terraform path and the engines' agreement: tests/test_cost_terraform.py."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import yaml

from cli_process import run_captured
from env_copy import ROOT, project_with
from fuelflow.config import load_environment
from fuelflow.cost import cloudformation_resources, estimate, load_prices, load_usage
from fuelflow.cost import pricers as pr
from fuelflow.cost.extract import Raw, from_cloudformation
from fuelflow.cost.model import Resource, document_estimate
from fuelflow.errors import InputError

P = load_prices().region("us-east-1")
H = 730


def usage(tier: str = "development") -> object:
    return load_usage(tier, "dev")


def total(lines: list[object]) -> float:
    return sum(line.monthly for line in lines)  # type: ignore[attr-defined]


def r(kind: str, **attrs: object) -> Resource:
    return Resource(kind, "g", "name", attrs)


# ------------------------------------------------------------------------------------------- pricers


def test_ec2_instances_hours_volumes_and_public_ipv4() -> None:
    lines = pr.ec2_instance(r("ec2_instance", instance_type="t3.small", count=2, volumes=[("gp3", 30)],
                              public_ipv4=1), P, usage())  # type: ignore[arg-type]
    by = {x.meter: x.monthly for x in lines}
    assert by["ec2.instance_hour"] == pytest.approx(2 * 730 * 0.0208)  # 30.368
    assert by["ebs.gb_month"] == pytest.approx(60 * 0.08)  # 4.80
    assert by["ipv4.address_hour"] == pytest.approx(2 * 730 * 0.005)  # 7.30
    private = pr.ec2_instance(r("ec2_instance", instance_type="t3.micro", count=1, volumes=[], public_ipv4=0), P,
                              usage())  # type: ignore[arg-type]
    assert [x.meter for x in private] == ["ec2.instance_hour"]
    assert total(private) == pytest.approx(7.592)


def test_rds_multi_az_doubles_hours_and_storage_and_prices_backup_secret_monitoring() -> None:
    lines = pr.rds_instance(r("rds_instance", instance_class="db.t3.small", multi_az=True, storage_type="gp3",
                              allocated_gb=50, backup_retention_days=7, managed_secret=True,
                              monitoring_interval=60), P, usage())  # type: ignore[arg-type]
    by = {x.meter: x.monthly for x in lines}
    assert by["rds.instance_hour"] == pytest.approx(2 * 730 * 0.034)  # 49.64
    assert by["rds.storage_gb_month"] == pytest.approx(100 * 0.115)  # 11.50
    assert by["rds.backup_gb_month"] == pytest.approx(0.3 * 50 * 0.095)  # 1.425: 30% beyond the free 100%
    assert by["secretsmanager.secret_month"] == pytest.approx(0.40)
    assert by["secretsmanager.api_10k"] == pytest.approx(0.05)
    assert by["cloudwatch.logs_ingest_gb"] == pytest.approx(0.5 * 0.50)  # enhanced monitoring, 60 s
    single = pr.rds_instance(r("rds_instance", instance_class="db.t3.micro", multi_az=False, storage_type="gp3",
                               allocated_gb=20, backup_retention_days=7, monitoring_interval=0, replica=True), P,
                             usage())  # type: ignore[arg-type]
    assert total(single) == pytest.approx(730 * 0.017 + 20 * 0.115)  # a replica: no backups, no secret


def test_unknown_instance_type_and_class_name_the_choices() -> None:
    with pytest.raises(InputError, match=r"unknown EC2 instance type 'x9\.huge'") as exc:
        pr.ec2_instance(r("ec2_instance", instance_type="x9.huge"), P, usage())  # type: ignore[arg-type]
    assert "use one of c6i.large" in exc.value.one_line() and "t3.micro" in exc.value.one_line()
    with pytest.raises(InputError, match=r"unknown DB instance class 'db\.x9\.huge'"):
        pr.rds_instance(r("rds_instance", instance_class="db.x9.huge"), P, usage())  # type: ignore[arg-type]


def test_s3_storage_and_requests_use_the_purpose_assumptions() -> None:
    prod = load_usage("production", "prod")
    lines = pr.s3_bucket(r("s3_bucket", purpose="app-data"), P, prod)
    assert total(lines) == pytest.approx(100 * 0.023 + 100 * 0.005 + 1000 * 0.0004)  # 2.30 + 0.50 + 0.40
    assert "s3.app-data.gb = 100" in (lines[0].assumption or "")
    other = pr.s3_bucket(r("s3_bucket", purpose="weird"), P, usage())  # type: ignore[arg-type]
    assert total(other) == pytest.approx(1 * 0.023 + 1 * 0.005 + 10 * 0.0004)


def test_load_balancer_hours_lcu_and_its_addresses() -> None:
    lines = pr.alb(r("alb", public_ipv4=2), P, usage())  # type: ignore[arg-type]
    assert [round(x.monthly, 4) for x in lines] == [round(730 * 0.0225, 4), round(0.5 * 730 * 0.008, 4),
                                                    round(2 * 730 * 0.005, 4)]  # 16.425, 2.92, 7.30


def test_cloudwatch_alarms_composite_dashboard_logs() -> None:
    u = usage()
    assert total(pr.alarm(r("alarm", metrics=3), P, u)) == pytest.approx(0.30)  # type: ignore[arg-type]
    assert total(pr.composite_alarm(r("composite_alarm"), P, u)) == pytest.approx(0.50)  # type: ignore[arg-type]
    assert total(pr.dashboard(r("dashboard"), P, u)) == pytest.approx(3.00)  # type: ignore[arg-type]
    access = pr.log_group(r("log_group", log_name="/fuel-flow/dev/apache/access", retention_days=90), P,
                          u)  # type: ignore[arg-type]
    assert [x.monthly for x in access] == pytest.approx([1.0 * 0.50, 1.0 * 3 * 0.03])  # 3 months kept
    flow = pr.log_group(r("log_group", log_name="/fuel-flow/dev/vpc-flow-logs", retention_days=30), P,
                        u)  # type: ignore[arg-type]
    assert flow[0].meter == "cloudwatch.logs_vended_ingest_gb" and flow[0].monthly == pytest.approx(2.0 * 0.50)
    assert pr.log_source("/aws/rds/instance/fuel-flow-db-dev/slowquery") == "rds"


def test_endpoints_edge_dns_topics_keys_secrets_tables_transfer() -> None:
    u = usage()
    assert total(pr.vpc_endpoint(r("vpc_endpoint", type="Gateway"), P, u)) == 0  # type: ignore[arg-type]
    assert total(pr.vpc_endpoint(r("vpc_endpoint", type="Interface", subnets=2), P, u)) == pytest.approx(
        2 * 730 * 0.01 + 1 * 0.01)  # type: ignore[arg-type]
    assert total(pr.cloudfront(r("cloudfront"), P, u)) == pytest.approx(50 * 0.085 + 100 * 0.01)  # type: ignore
    assert total(pr.waf_acl(r("waf_acl", rules=3), P, u)) == pytest.approx(5 + 3 + 0.60)  # type: ignore[arg-type]
    assert total(pr.route53_record(r("route53_record", alias=True), P, u)) == 0  # type: ignore[arg-type]
    assert total(pr.route53_record(r("route53_record", alias=False), P, u)) == pytest.approx(0.40)  # type: ignore
    assert total(pr.sns_topic(r("sns_topic"), P, u)) == pytest.approx(0.0005)  # type: ignore[arg-type]
    assert total(pr.sns_email(r("sns_email"), P, u)) == pytest.approx(0.02)  # type: ignore[arg-type]
    assert total(pr.kms_key(r("kms_key"), P, u)) == pytest.approx(1.03)  # type: ignore[arg-type]
    assert total(pr.secret(r("secret"), P, u)) == pytest.approx(0.45)  # type: ignore[arg-type]
    assert total(pr.dynamodb_table(r("dynamodb_table"), P, u)) == pytest.approx(
        0.1 * 0.625 + 0.1 * 0.125 + 0.01 * 0.25)  # type: ignore[arg-type]
    assert total(pr.data_transfer(r("data_transfer"), P, u)) == pytest.approx(5 * 0.09)  # type: ignore[arg-type]


def test_other_regions_price_differently() -> None:
    table = load_prices()
    one = r("ec2_instance", instance_type="t3.micro", count=1, volumes=[("gp3", 20)], public_ipv4=0)
    assert total(pr.ec2_instance(one, table.region("eu-west-1"), usage())) == pytest.approx(  # type: ignore
        730 * 0.0114 + 20 * 0.088)
    assert total(pr.ec2_instance(one, table.region("eu-central-1"), usage())) == pytest.approx(  # type: ignore
        730 * 0.012 + 20 * 0.0952)


def test_every_contract_instance_type_has_a_price_in_every_region() -> None:
    from fuelflow import contract

    types = contract.settings()["ec2.instance_type"].values
    for region, meters in load_prices().regions.items():
        assert set(types) <= set(meters["ec2.instance_hour"]), region


def test_every_meter_has_a_source() -> None:
    table = load_prices()
    for meters in table.regions.values():
        for meter in meters:
            assert table.source(meter).startswith(("list price as known", "public IPv4")), meter


# -------------------------------------------------------------------------------- references, free tier


def test_instance_in_a_private_subnet_has_no_public_address() -> None:
    raws = [Raw("AWS::EC2::Subnet", "cloudformation/network.yaml#Private", "network", {"MapPublicIpOnLaunch": False}),
            Raw("AWS::EC2::Instance", "cloudformation/ec2-instances.yaml#I", "ec2",
                {"InstanceType": "t3.micro", "SubnetId": "«cfn:cloudformation/network.yaml#Private»"})]
    def instance(raws: list[Raw]) -> Resource:
        return next(x for x in from_cloudformation(raws, "fuel-flow", "dev") if x.kind == "ec2_instance")

    assert instance(raws).attrs["public_ipv4"] == 0
    raws[0] = Raw("AWS::EC2::Subnet", "cloudformation/network.yaml#Private", "network", {"MapPublicIpOnLaunch": True})
    assert instance(raws).attrs["public_ipv4"] == 1


def _cfn_total(project: Path, name: str = "dev") -> float:
    env = load_environment(project, name)
    res = cloudformation_resources(project, env)
    return estimate(res, env, "cloudformation", load_prices(), load_usage(env.tier, env.name)).total


def test_dev_instance_is_sized_by_its_launch_template_and_reached_through_its_public_subnet() -> None:
    env = load_environment(ROOT, "dev")
    (inst,) = [x for x in cloudformation_resources(ROOT, env) if x.kind == "ec2_instance"]
    assert dict(inst.attrs) == {"instance_type": "t3.micro", "count": 1, "volumes": [("gp3", 20.0)],
                                "public_ipv4": 1}


def test_free_tier_is_shown_not_subtracted() -> None:
    env = load_environment(ROOT, "dev")
    est = estimate(cloudformation_resources(ROOT, env), env, "cloudformation", load_prices(),
                   load_usage(env.tier, env.name))
    free = {f.meter: f.usd for f in est.free_tier}
    assert free["ec2.instance_hour"] == pytest.approx(730 * 0.0104)  # 750 h cover dev's one t3.micro
    assert free["rds.instance_hour"] == pytest.approx(730 * 0.017)
    assert est.total == pytest.approx(sum(x.monthly for x in est.lines))  # nothing subtracted
    prod = load_environment(ROOT, "prod")
    pest = estimate(cloudformation_resources(ROOT, prod), prod, "cloudformation", load_prices(),
                    load_usage(prod.tier, prod.name))
    assert "rds.instance_hour" not in {f.meter for f in pest.free_tier}  # Multi-AZ: no free tier


# One environment value changed: the total moves by exactly the hand-priced difference.
CHANGES = [
    ({"ec2.instance_type": "t3.small"}, 730 * (0.0208 - 0.0104)),
    ({"rds.multi_az": True}, 730 * 0.017 + 20 * 0.115),
    ({"rds.instance_class": "db.t3.medium"}, 730 * (0.068 - 0.017)),
    # two more instances: hours, a 20 GiB volume, a public IPv4 address and a CPU alarm each
    ({"ec2.instance_count": 3}, 2 * (730 * 0.0104 + 20 * 0.08 + 730 * 0.005 + 0.10)),
    # storage at $0.115, and 30% of it as backup beyond the free allowance at $0.095
    ({"rds.allocated_storage": 100, "rds.max_allocated_storage": 200}, 80 * 0.115 + 0.3 * 80 * 0.095),
    ({"network.flow_logs": True}, 2.0 * 0.50 + 2.0 * 1 * 0.03),  # ingestion + 30 days kept
]


@pytest.mark.parametrize(("changes", "delta"), CHANGES, ids=[",".join(c) for c, _ in CHANGES])
def test_one_value_changes_the_cloudformation_total_by_its_price(tmp_path: Path, changes: dict[str, object],
                                                                 delta: float) -> None:
    base = _cfn_total(ROOT)
    changed = _cfn_total(project_with(tmp_path, changes))
    assert changed - base == pytest.approx(delta, abs=1e-9)


def test_cloudformation_totals_of_dev_and_prod() -> None:
    """The figures the README quotes (shipped table and assumptions)."""
    assert round(_cfn_total(ROOT, "dev"), 2) == 35.44
    assert round(_cfn_total(ROOT, "prod"), 2) == 154.89


# ------------------------------------------------------------------------------ the document, in one place


def test_architecture_document_table_matches_the_data() -> None:
    text = (ROOT / "docs" / "architecture.md").read_text()
    section = text.split("## Cost: the original document's estimate", 1)[1].split("\n## ", 1)[0]
    dev, prod = [], []
    for row in re.findall(r"^\|(.+)\|\s*$", section, re.M):
        cells = [c.strip() for c in row.split("|")]
        if len(cells) != 4 or cells[0].startswith(("dev", "---")) or cells[0].startswith("**"):
            continue
        for out, (item, usd) in ((dev, cells[0:2]), (prod, cells[2:4])):
            if item:
                out.append((item, float(usd.lstrip("~$"))))
    doc = document_estimate()
    assert dev == [(x.item, x.usd) for x in doc["dev"][1]]
    assert prod == [(x.item, x.usd) for x in doc["prod"][1]]
    assert f"~${doc['dev'][0]:.2f}/month" in section and f"~${doc['prod'][0]:.0f}/month" in section
    for total_, lines in doc.values():
        assert sum(x.usd for x in lines) == pytest.approx(total_, abs=0.06)


# -------------------------------------------------------------------------------------- the command


def test_cost_command_json_and_compare_document() -> None:
    code, out, err = run_captured("-C", str(ROOT), "cost", "--env", "prod", "--compare-document", "-o", "json")
    assert code == 0, err
    data = json.loads(out)
    assert data["total_monthly"] == 154.89 and data["engine"] == "cloudformation"
    assert sum(data["groups"].values()) == pytest.approx(data["total_monthly"], abs=0.02)
    left_out = {x["item"] for x in data["document"]["not_in_document"]}
    assert {"public IPv4 addresses", "RDS storage", "CloudWatch Logs storage", "EBS volumes"} <= left_out
    assert data["free_tier_total"] > 0 and data["total_monthly"] == round(sum(x["monthly"] for x in data["lines"]), 2)


def test_cost_command_table(tmp_path: Path) -> None:
    code, out, err = run_captured("-C", str(ROOT), "cost", "--env", "dev", "--compare-document")
    assert code == 0, err
    assert "TOTAL per month\t\t\t$35.44" in out
    assert "not in the document: public IPv4 addresses\t-\t$3.65" in out
    assert "dev: $35.44/month" in out + err


def test_usage_file_overrides_an_assumption(tmp_path: Path) -> None:
    f = tmp_path / "usage.yaml"
    f.write_text("data_transfer.internet_out_gb: 105\nenvironments:\n  dev:\n    s3.app-data.gb: 11\n")
    code, out, err = run_captured("-C", str(ROOT), "cost", "--env", "dev", "--usage", str(f), "-o", "json")
    assert code == 0, err
    data = json.loads(out)
    assert data["total_monthly"] == round(35.4379 + 100 * 0.09 + 10 * 0.023, 2)
    line = next(x for x in data["lines"] if x["meter"] == "data_transfer.internet_out_gb")
    assert line["assumption"] == "data_transfer.internet_out_gb = 105 (--usage)"


BAD = [
    (["--region", "ap-south-1"], "region 'ap-south-1' is not in the price table"),
    (["--usage", "{nope}.yaml"], "--usage {tmp}/nope.yaml: no such file"),
    (["--usage", "{bad_yaml}"], "is not valid YAML"),
    (["--usage", "{bad_key}"], "unknown usage key s3.app-data.gbb: did you mean s3.app-data.gb?"),
    (["--usage", "{bad_value}"], "alb.lcu is 'lots', not a non-negative number"),
    (["--prices", "{no_t3}"], "unknown EC2 instance type 't3.micro'"),
]


@pytest.mark.parametrize(("args", "message"), BAD, ids=[b[1][:30] for b in BAD])
def test_bad_input_is_one_line_and_exit_2(tmp_path: Path, args: list[str], message: str) -> None:
    files = {"bad_yaml": "a: [1\n", "bad_key": "s3.app-data.gbb: 3\n", "bad_value": "alb.lcu: lots\n"}
    paths = {}
    for name, text in files.items():
        paths[name] = tmp_path / f"{name}.yaml"
        paths[name].write_text(text)
    table = yaml.safe_load((Path(load_prices().path)).read_text())
    del table["regions"]["us-east-1"]["ec2.instance_hour"]["t3.micro"]
    paths["no_t3"] = tmp_path / "prices.yaml"
    paths["no_t3"].write_text(yaml.safe_dump(table))
    argv = [a.format(tmp=tmp_path, nope=tmp_path / "nope", **paths) for a in args]
    code, out, err = run_captured("-C", str(ROOT), "cost", "--env", "dev", *argv)
    assert code == 2, err
    lines = [x for x in err.splitlines() if x.strip()]
    assert len(lines) == 1 and message.format(tmp=tmp_path) in lines[0], err
    assert "Traceback" not in err and out == ""


def test_terraform_plan_cost_change_per_resource() -> None:
    """`fuelflow tf plan`'s closing line: a plan JSON's resource_changes, before against after."""
    from fuelflow.cost.delta import terraform_change

    subnet = {"id": "subnet-1", "map_public_ip_on_launch": True}
    lt = {"id": "lt-1", "instance_type": "t3.micro",
          "block_device_mappings": [{"ebs": [{"volume_type": "gp3", "volume_size": 20}]}]}
    lt_after = {**lt, "instance_type": "t3.small"}
    inst = {"launch_template": [{"id": "lt-1"}], "subnet_id": "subnet-1", "instance_type": None}
    changes = [
        {"address": "module.network.aws_subnet.public[0]", "type": "aws_subnet", "mode": "managed",
         "change": {"actions": ["no-op"], "before": subnet, "after": subnet}},
        {"address": "module.ec2.aws_launch_template.web", "type": "aws_launch_template", "mode": "managed",
         "change": {"actions": ["update"], "before": lt, "after": lt_after}},
        {"address": "module.ec2.aws_instance.web[0]", "type": "aws_instance", "mode": "managed",
         "change": {"actions": ["no-op"], "before": inst, "after": inst}},
        {"address": "module.ec2.aws_cloudwatch_metric_alarm.cpu[0]", "type": "aws_cloudwatch_metric_alarm",
         "mode": "managed", "change": {"actions": ["create"], "before": None, "after": {"metric_query": []}}},
    ]
    delta = terraform_change(changes, load_environment(ROOT, "dev"))
    assert delta.change == pytest.approx(730 * (0.0208 - 0.0104) + 0.10)
    assert [(d.resource, round(d.change, 2)) for d in delta.changed] == [
        ("aws_cloudwatch_metric_alarm.cpu[0]", 0.10), ("aws_instance.web[0]", 7.59)]
    assert delta.before == pytest.approx(730 * 0.0104 + 20 * 0.08 + 730 * 0.005 + 5 * 0.09)
