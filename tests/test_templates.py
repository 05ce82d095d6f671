"""The CloudFormation templates on their own: lint-clean (cfn-lint with informational rules, checkov),
shaped as docs/contract.md says (parameters, exports, imports, names, stack graph) and holding the
security settings DECISIONS.md section 5 promises. Offline and fast: no emulator, no AWS.

The emulator deploy of these templates is covered end to end by tests/test_deploy_emulator.py.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from cfnlint.api import ManualArgs, lint_file
from cfnlint.decode import cfn_yaml
from cfnlint.schema import PROVIDER_SCHEMA_MANAGER

from fuelflow import contract

ROOT = Path(__file__).resolve().parents[1]
CFN_DIR = ROOT / "cloudformation"
CONTRACT = ROOT / "docs" / "contract.md"
TEMPLATE_FILES = sorted(CFN_DIR.glob("*.yaml"))
PARTS = {"network", "s3", "iam", "ec2", "rds", "monitoring", "edge"}

# Parameters a template may declare beyond the contract table: the tool gives them their Default.
# The stack graph docs/contract.md draws (producer -> consumer), derived here from the imports.
EXPECTED_EDGES = {
    ("s3", "iam"),
    ("network", "ec2"), ("iam", "ec2"), ("s3", "ec2"),  # ec2: the logs bucket for the ALB's access logs
    ("network", "rds"), ("iam", "rds"),  # the web security group is network's: ec2 and rds in parallel
    ("ec2", "monitoring"), ("rds", "monitoring"),
    ("ec2", "edge"),
}
# The checkov checks skipped in place, each with its reason in the template. A new skip must be
# added here on purpose, so that a reviewer sees it.
ALLOWED_CHECKOV_SKIPS = {
    "CKV_AWS_18",   # logs bucket: it is the access-log target itself
    "CKV_AWS_21",   # logs bucket: write-once, lifecycle-expired objects
    "CKV_AWS_158",  # log groups: CloudWatch Logs encrypts at rest; no CMK in this architecture
    "CKV_AWS_260",  # web/ALB security groups: port 80 from anywhere is the (static) web server's or ALB's purpose
    "CKV_AWS_16",   # read replica: encryption is inherited from the encrypted primary (not settable)
    "CKV_AWS_157",  # read replica: a scale-out copy, not Multi-AZ (the primary is)
    "CKV_AWS_149",  # CloudFront origin secret: aws/secretsmanager key, no CMK in this architecture
    "CKV_AWS_68",   # CloudFront: the REGIONAL web ACL is on the load balancer behind it
    "CKV_AWS_174",  # CloudFront: TLSv1.2_2021 with its own certificate; the default one fixes its own
    "CKV_AWS_2",    # HTTP listener: only without a certificate (FF-ALB-001 checks the HTTPS-only rule)
    "CKV_AWS_103",  # HTTP listener: not TLS (see CKV_AWS_2)
    "CKV_AWS_23",   # web security group: its port-80 rule's Description sits inside Fn::If, unseen by checkov
}


# ----------------------------------------------------------------------------------------- helpers

def part_of(path: Path) -> str:
    """`iam-roles.yaml` -> `iam` (docs/contract.md: the stack part is the file name up to the first '-')."""
    return path.stem.split("-", 1)[0]


@cache
def load(path: Path) -> dict[str, Any]:
    data = cfn_yaml.load(str(path))
    assert isinstance(data, dict), path
    return data


def templates() -> Iterator[tuple[str, Path, dict[str, Any]]]:
    for path in TEMPLATE_FILES:
        yield part_of(path), path, load(path)


def template_ids() -> list[str]:
    return [p.name for p in TEMPLATE_FILES]


def walk(node: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[tuple[Any, ...], Any]]:
    """Every (path, node) below `node`."""
    yield path, node
    if isinstance(node, dict):
        for key, value in node.items():
            yield from walk(value, (*path, key))
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from walk(value, (*path, i))


def tags_of(resource: dict[str, Any]) -> dict[str, Any]:
    tags = resource.get("Properties", {}).get("Tags", [])
    if isinstance(tags, dict):  # AWS::SSM::Parameter writes its tags as a map
        return dict(tags)
    return {t["Key"]: t["Value"] for t in tags}


def resources_of_type(data: dict[str, Any], rtype: str) -> dict[str, dict[str, Any]]:
    return {lid: r for lid, r in data["Resources"].items() if r["Type"] == rtype}


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def contract_section(title: str) -> str:
    text = CONTRACT.read_text()
    start = text.index(title)
    end = text.find("\n## ", start + 1)
    return text[start:end if end != -1 else len(text)]


def contract_exports() -> dict[str, set[str]]:
    """part -> OutputNames, from the contract's exports table ("2..4 when counted" expanded)."""
    out: dict[str, set[str]] = {}
    for line in contract_section("## Stacks, exports, imports").splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) != 2 or cells[0] not in PARTS:
            continue
        names = set(re.findall(r"\b[A-Z][A-Za-z0-9]+\b", cells[1].split("(")[0]))
        if "2..4" in cells[1]:
            names |= {re.sub(r"1", str(n), x) for x in names if "Instance1" in x for n in (2, 3, 4)}
        out[cells[0]] = names
    return out


def imports_of(data: dict[str, Any]) -> list[tuple[tuple[Any, ...], Any]]:
    return [(p, node["Fn::ImportValue"]) for p, node in walk(data)
            if isinstance(node, dict) and "Fn::ImportValue" in node]


IMPORT_NAME = re.compile(r"^\$\{ProjectName\}-(?P<part>[a-z0-9]+)-\$\{Environment\}-(?P<output>[A-Za-z0-9]+)$")


def import_target(value: Any) -> tuple[str, str]:
    """(part, OutputName) of an import written as {"Fn::Sub": "${ProjectName}-<part>-${Environment}-<Name>"}."""
    assert isinstance(value, dict) and list(value) == ["Fn::Sub"] and isinstance(value["Fn::Sub"], str), (
        f"import must be Fn::ImportValue: {{Fn::Sub: '${{ProjectName}}-<part>-${{Environment}}-<Name>'}}, "
        f"got {value!r}")
    m = IMPORT_NAME.match(value["Fn::Sub"])
    assert m, f"import name {value['Fn::Sub']!r} is not ${{ProjectName}}-<part>-${{Environment}}-<OutputName>"
    return m["part"], m["output"]


def exported_outputs(data: dict[str, Any]) -> set[str]:
    return {name for name, out in (data.get("Outputs") or {}).items() if "Export" in out}


def statements(policy_document: dict[str, Any]) -> list[dict[str, Any]]:
    return as_list(policy_document.get("Statement", []))


# ----------------------------------------------------------------------------------------- the files

def test_one_template_per_stack_of_the_contract() -> None:
    assert {part_of(p) for p in TEMPLATE_FILES} == PARTS
    assert sorted(p.name for p in TEMPLATE_FILES) == [
        "ec2-instances.yaml", "edge.yaml", "iam-roles.yaml", "monitoring.yaml", "network.yaml", "rds-database.yaml",
        "s3-buckets.yaml"]


# ----------------------------------------------------------------------------------------- linters

@pytest.mark.parametrize("path", TEMPLATE_FILES, ids=template_ids())
def test_cfn_lint_reports_nothing_including_informational(path: Path, ci_summary: Any) -> None:
    matches = lint_file(path, config=ManualArgs(include_checks=["I"], regions=["us-east-1"]))
    ci_summary(f"cfn-lint -c I {path.name}", f"{len(matches)} findings")
    assert [str(m) for m in matches] == []


def test_cfn_lint_suppressions_are_in_place_and_explained(tmp_path: Path) -> None:
    """Exceptions live in resource Metadata; the only template-level one is W1028 in ec2-instances.yaml,
    and it hides exactly the Fn::If in the Instance2..4PublicIp outputs (needed by moto)."""
    for _, path, data in templates():
        template_level = data.get("Metadata", {}).get("cfn-lint", {}).get("config", {})
        if path.name == "ec2-instances.yaml":
            assert template_level == {"ignore_checks": ["W1028"]}
            assert "W1028" in path.read_text().split("AWS::CloudFormation::Interface")[0], "reason comment"
        else:
            assert template_level == {}, f"{path.name}: suppress in resource Metadata, not for the template"
        for lid, res in data["Resources"].items():
            checks = res.get("Metadata", {}).get("cfn-lint", {}).get("config", {}).get("ignore_checks")
            if checks:  # must carry a reason comment right there
                rest = path.read_text().split(f"\n  {lid}:\n", 1)[1]
                block = re.split(r"\n  (?=[A-Za-z])", rest, maxsplit=1)[0]
                assert "#" in block, f"{path.name} {lid}: ignore_checks {checks} without a reason"

    ec2 = CFN_DIR / "ec2-instances.yaml"
    unsuppressed = ec2.read_text().replace("        - W1028\n", "        - W0000\n")
    probe = tmp_path / "ec2-instances.yaml"
    probe.write_text(unsuppressed)
    matches = lint_file(probe, config=ManualArgs(include_checks=["I"], regions=["us-east-1"]))
    assert {m.rule.id for m in matches} <= {"W1028"}
    assert sorted(m.path[1] for m in matches) == sorted([
        "Instance1PublicIp", "Instance2PublicIp", "Instance3PublicIp", "Instance4PublicIp", "AutoScalingGroupName",
        "LoadBalancerArn", "LoadBalancerDnsName", "LoadBalancerHostedZoneId", "LoadBalancerFullName",
        "TargetGroupFullName", "TargetGroupArn", "HttpsListenerArn"])
    assert all(m.path[0] == "Outputs" for m in matches)


def checkov_binary() -> Path | None:
    configured = os.environ.get("FUELFLOW_CHECKOV")
    candidate = Path(configured) if configured else ROOT / ".venv-checkov" / "bin" / "checkov"
    return candidate if candidate.is_file() and os.access(candidate, os.X_OK) else None


def switched_on_copy(folder: Path) -> Path:
    """The templates with every "true"/"false" switch defaulting to "true", as JSON in `folder`.

    checkov evaluates resource Conditions with the parameters' Defaults and drops what they exclude: with the
    templates as written (optional features off) it would never look at the flow logs, the read replica or the
    edge resources. Switched on, it scans every optional resource too.
    """
    for path in TEMPLATE_FILES:
        data = load(path)
        params = {name: dict(spec) for name, spec in data["Parameters"].items()}
        for spec in params.values():
            if sorted(str(v) for v in spec.get("AllowedValues", [])) == ["false", "true"]:
                spec["Default"] = "true"
        (folder / f"{path.stem}.json").write_text(json.dumps({**data, "Parameters": params}))
    return folder


@pytest.fixture(scope="module")
def checkov_report(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    binary = checkov_binary()
    if binary is None:
        pytest.skip("checkov not found: install it in .venv-checkov (its own venv, it pins an old boto3) "
                    "or point FUELFLOW_CHECKOV at the executable")
    proc = subprocess.run(
        [str(binary), "-d", str(switched_on_copy(tmp_path_factory.mktemp("cfn-on"))), "--framework", "cloudformation",
         "--skip-download", "-o", "json"],
        capture_output=True, text=True, timeout=600, check=False)
    try:
        report = json.loads(proc.stdout)
    except json.JSONDecodeError:
        pytest.fail(f"checkov gave no JSON (exit {proc.returncode}): {proc.stderr[-2000:]}")
    assert isinstance(report, dict), "one framework, one report"
    return report


@pytest.mark.checkov
def test_checkov_has_no_failed_checks(checkov_report: dict[str, Any], ci_summary: Any) -> None:
    summary = checkov_report["summary"]
    ci_summary("checkov cloudformation/", f"{summary['passed']} passed, {summary['failed']} failed, "
               f"{summary['skipped']} skipped")
    failed = [(c["check_id"], c["resource"], c["file_path"])
              for c in checkov_report["results"].get("failed_checks", [])]
    assert failed == [] and summary["failed"] == 0
    assert summary["parsing_errors"] == 0
    assert summary["passed"] >= 50  # it really looked at the templates


@pytest.mark.checkov
def test_checkov_skips_are_in_place_with_reasons(checkov_report: dict[str, Any]) -> None:
    skipped = checkov_report["results"].get("skipped_checks", [])
    assert {c["check_id"] for c in skipped} <= ALLOWED_CHECKOV_SKIPS
    for check in skipped:
        reason = check["check_result"].get("suppress_comment", "")
        assert len(reason) >= 60, f"{check['check_id']} on {check['resource']}: give a real reason"
    # in place: every skip is in a resource's Metadata (none passed on the command line)
    in_metadata = {
        (part_of(path), lid, s["id"])
        for _, path, data in templates()
        for lid, res in data["Resources"].items()
        for s in res.get("Metadata", {}).get("checkov", {}).get("skip", [])
    }
    assert len(in_metadata) == len(skipped)


# ----------------------------------------------------------------------------------------- structure

@pytest.mark.parametrize("path", TEMPLATE_FILES, ids=template_ids())
def test_template_header_and_parameter_groups(path: Path) -> None:
    data = load(path)
    assert data["AWSTemplateFormatVersion"] == "2010-09-09"
    assert len(data["Description"]) > 40
    groups = data["Metadata"]["AWS::CloudFormation::Interface"]["ParameterGroups"]
    grouped = [p for g in groups for p in g["Parameters"]]
    assert sorted(grouped) == sorted(data["Parameters"]), "every parameter in exactly one group"


@pytest.mark.parametrize("path", TEMPLATE_FILES, ids=template_ids())
def test_project_and_environment_parameters(path: Path) -> None:
    """Any environment name the contract allows; no list of environments (tests/test_contract.py: the limits)."""
    params = load(path)["Parameters"]
    assert params["ProjectName"]["AllowedPattern"] == contract.identifier("project").portable_pattern
    assert params["ProjectName"]["Default"] == "fuel-flow"
    assert "AllowedValues" not in params["Environment"]
    assert params["Environment"]["AllowedPattern"] == contract.identifier("environment").portable_pattern


@pytest.mark.parametrize("path", TEMPLATE_FILES, ids=template_ids())
def test_every_parameter_is_constrained_and_described(path: Path) -> None:
    for name, p in load(path)["Parameters"].items():
        constrained = ("AllowedValues" in p or "AllowedPattern" in p
                       or ("MinValue" in p and "MaxValue" in p))
        assert constrained, f"{path.name}: parameter {name} accepts anything"
        assert p.get("Description"), f"{path.name}: parameter {name} has no Description"
        assert p.get("ConstraintDescription"), f"{path.name}: parameter {name} has no ConstraintDescription"
        if "Default" in p and "AllowedValues" in p:
            assert str(p["Default"]) in [str(v) for v in p["AllowedValues"]]
        if "Default" in p and "AllowedPattern" in p:
            assert re.fullmatch(p["AllowedPattern"], str(p["Default"])), f"{name}: Default fails its pattern"


@pytest.mark.parametrize("path", TEMPLATE_FILES, ids=template_ids())
def test_parameters_are_used(path: Path) -> None:
    data = load(path)
    body = json.dumps({k: v for k, v in data.items() if k != "Parameters"})
    for name in data["Parameters"]:
        assert f'"Ref": "{name}"' in body or f"${{{name}}}" in body, f"{path.name}: {name} is unused"


def test_ssh_and_cidr_patterns_accept_and_refuse_the_right_values() -> None:
    params = load(CFN_DIR / "network.yaml")["Parameters"]
    ssh = params["AdminSshCidr1"]["AllowedPattern"]
    for ok in ("", "203.0.113.0/24", "198.51.100.7/32"):
        assert re.fullmatch(ssh, ok), ok
    for bad in ("0.0.0.0/0", "203.0.113.0", "256.0.0.0/8", "10.0.0.0/33"):
        assert not re.fullmatch(ssh, bad), bad
    vpc = load(CFN_DIR / "network.yaml")["Parameters"]["VpcCidr"]["AllowedPattern"]
    assert re.fullmatch(vpc, "10.10.0.0/16") and not re.fullmatch(vpc, "10.0.0.0/8")


@pytest.mark.parametrize("env", ["dev", "prod"])
def test_environment_values_satisfy_the_parameter_constraints(env: str) -> None:
    """What environments/<env>.yaml holds is accepted by the templates (the tool passes it unchanged)."""
    import yaml

    e = yaml.safe_load((ROOT / "environments" / f"{env}.yaml").read_text())
    ssh = [*e["ec2"]["admin_ssh_cidrs"], "", ""]
    values = {
        "ProjectName": e["project"], "Environment": e["name"], "VpcCidr": e["network"]["vpc_cidr"],
        "PublicSubnet1Cidr": e["network"]["public_subnet_cidrs"][0],
        "PublicSubnet2Cidr": e["network"]["public_subnet_cidrs"][1],
        "PrivateSubnet1Cidr": e["network"]["private_subnet_cidrs"][0],
        "PrivateSubnet2Cidr": e["network"]["private_subnet_cidrs"][1],
        "InstanceType": e["ec2"]["instance_type"], "InstanceCount": e["ec2"]["instance_count"],
        "RootVolumeSize": e["ec2"]["root_volume_size"], "AdminSshCidr1": ssh[0], "AdminSshCidr2": ssh[1],
        "DBInstanceClass": e["rds"]["instance_class"], "DBEngineVersion": e["rds"]["engine_version"],
        "DBAllocatedStorage": e["rds"]["allocated_storage"],
        "DBMaxAllocatedStorage": e["rds"]["max_allocated_storage"],
        "DBMultiAZ": str(e["rds"]["multi_az"]).lower(),
        "DBBackupRetentionDays": e["rds"]["backup_retention_days"],
        "DBDeletionProtection": str(e["rds"]["deletion_protection"]).lower(),
        "DBMonitoringInterval": e["rds"]["monitoring_interval"],
        "LogExpirationDays": e["s3"]["log_expiration_days"],
        "NoncurrentVersionExpirationDays": e["s3"]["noncurrent_version_expiration_days"],
        "LogRetentionDays": e["logs"]["retention_days"],
    }
    for _, path, data in templates():
        for name, p in data["Parameters"].items():
            if name not in values:
                continue
            value = str(values[name])
            if "AllowedValues" in p:
                assert value in [str(v) for v in p["AllowedValues"]], f"{env} {name}={value} ({path.name})"
            if "AllowedPattern" in p:
                assert re.fullmatch(p["AllowedPattern"], value), f"{env} {name}={value} ({path.name})"
            if "MinValue" in p:
                assert float(p["MinValue"]) <= float(value) <= float(p["MaxValue"]), f"{env} {name}={value}"
    assert values["DBMaxAllocatedStorage"] > values["DBAllocatedStorage"]


# ----------------------------------------------------------------------------------------- outputs

@pytest.mark.parametrize("path", TEMPLATE_FILES, ids=template_ids())
def test_every_output_is_exported_as_stack_name_dash_output_name(path: Path) -> None:
    outputs = load(path).get("Outputs") or {}
    assert outputs
    for name, out in outputs.items():
        assert out.get("Description"), f"{path.name}: output {name} has no Description"
        assert out.get("Export", {}).get("Name") == {"Fn::Sub": f"${{AWS::StackName}}-{name}"}, (
            f"{path.name}: output {name} must be exported as ${{AWS::StackName}}-{name}")


def test_exports_are_those_of_the_contract() -> None:
    expected = contract_exports()
    assert set(expected) == PARTS
    for part, _, data in templates():
        assert exported_outputs(data) == expected[part], part


def test_optional_instances_have_conditional_outputs() -> None:
    data = load(CFN_DIR / "ec2-instances.yaml")
    for n in (2, 3, 4):
        cond = data["Resources"][f"Instance{n}"]["Condition"]
        assert data["Outputs"][f"Instance{n}Id"]["Condition"] == cond
        assert data["Outputs"][f"Instance{n}PublicIp"]["Condition"] == cond
    # Instance 1 exists exactly when there is no load balancer (the Auto Scaling group replaces it).
    assert data["Resources"]["Instance1"]["Condition"] == "HasInstance1"
    assert data["Conditions"]["HasInstance1"] == {"Fn::Equals": [{"Ref": "LoadBalancer"}, "false"]}
    assert data["Outputs"]["Instance1PublicIp"]["Condition"] == "HasInstance1"


# ----------------------------------------------------------------------------------------- imports

def test_imports_are_long_form_in_the_source() -> None:
    """moto's YAML loader breaks on short-form !ImportValue with a nested !Sub, and on !GetAtt A.B.C."""
    for path in TEMPLATE_FILES:
        text = path.read_text()
        assert "!ImportValue" not in text, path.name
        assert not re.search(r"!GetAtt\s+[A-Za-z0-9]+\.[A-Za-z0-9]+\.[A-Za-z0-9]+", text), path.name


def test_every_import_names_an_export_another_template_defines() -> None:
    exports = {part: exported_outputs(data) for part, _, data in templates()}
    seen = 0
    for part, path, data in templates():
        for where, value in imports_of(data):
            target_part, output = import_target(value)
            assert target_part != part, f"{path.name} imports its own export at {where}"
            assert target_part in exports, f"{path.name}: no template for part {target_part!r} ({where})"
            assert output in exports[target_part], f"{path.name}: {target_part} exports no {output} ({where})"
            seen += 1
    assert seen >= 20


def stack_edges() -> set[tuple[str, str]]:
    return {(import_target(value)[0], part) for part, _, data in templates() for _, value in imports_of(data)}


def test_stack_graph_is_the_contract_graph_and_acyclic() -> None:
    edges = stack_edges()
    assert edges == EXPECTED_EDGES
    remaining, order = set(PARTS), []
    while remaining:
        ready = sorted(p for p in remaining if not any(a in remaining for a, b in edges if b == p))
        assert ready, f"cycle among {remaining}"
        order.append(ready)
        remaining -= set(ready)
    assert order == [["network", "s3"], ["iam"], ["ec2", "rds"], ["edge", "monitoring"]]


# ----------------------------------------------------------------------------------------- names, tags

NAME_PROPERTIES = ("BucketName", "RoleName", "InstanceProfileName", "GroupName", "DBInstanceIdentifier",
                   "LogGroupName", "AlarmName")


def test_database_names() -> None:
    """(Every other name is held to src/fuelflow/contract.yaml by tests/test_contract.py.)"""
    db = resources_of_type(load(CFN_DIR / "rds-database.yaml"), "AWS::RDS::DBInstance")["DB"]["Properties"]
    assert db["DBName"] == "fuelflow" and db["MasterUsername"] == "fuelflow_admin"
    assert db["DBInstanceIdentifier"] == {"Fn::Sub": "${ProjectName}-db-${Environment}"}


def taggable(rtype: str) -> str | None:
    schema = PROVIDER_SCHEMA_MANAGER.get_resource_schema("us-east-1", rtype).schema
    props = schema.get("properties", {})
    if "Tags" in props:
        return "Tags"
    if "TagSpecifications" in props:
        return "TagSpecifications"
    return None


@pytest.mark.parametrize("path", TEMPLATE_FILES, ids=template_ids())
def test_everything_taggable_carries_name_project_environment(path: Path) -> None:
    for lid, res in load(path)["Resources"].items():
        kind = taggable(res["Type"])
        if kind is None:
            continue
        if kind == "Tags":
            tags = tags_of(res)
        else:
            specs = res["Properties"].get("TagSpecifications", [])
            tags = {t["Key"]: t["Value"] for s in specs for t in s["Tags"]}
        assert {"Name", "Project", "Environment"} <= set(tags), f"{path.name}: {lid} ({res['Type']}) tags"
        assert tags["Project"] == {"Ref": "ProjectName"} and tags["Environment"] == {"Ref": "Environment"}


# ----------------------------------------------------------------------------------------- stateful data

def test_buckets_and_database_survive_delete_and_replacement() -> None:
    s3 = load(CFN_DIR / "s3-buckets.yaml")
    buckets = resources_of_type(s3, "AWS::S3::Bucket")
    assert set(buckets) == {"AppDataBucket", "LogsBucket", "BackupsBucket"}
    for lid, res in buckets.items():
        assert (res.get("DeletionPolicy"), res.get("UpdateReplacePolicy")) == ("Retain", "Retain"), lid
    for _, path, data in templates():
        for lid, res in data["Resources"].items():
            if "SourceDBInstanceIdentifier" in (res.get("Properties") or {}):
                # a read replica holds no data of its own, and RDS refuses a final snapshot of one
                assert (res.get("DeletionPolicy"), res.get("UpdateReplacePolicy")) == ("Delete", "Delete"), lid
                continue
            if res["Type"] in ("AWS::S3::Bucket", "AWS::RDS::DBInstance", "AWS::RDS::DBCluster"):
                assert res.get("DeletionPolicy") in ("Retain", "Snapshot"), f"{path.name}: {lid}"
                assert res.get("UpdateReplacePolicy") == res.get("DeletionPolicy"), f"{path.name}: {lid}"
    db = load(CFN_DIR / "rds-database.yaml")["Resources"]["DB"]
    assert (db["DeletionPolicy"], db["UpdateReplacePolicy"]) == ("Snapshot", "Snapshot")


# ----------------------------------------------------------------------------------------- security

def test_buckets_are_private_encrypted_owner_enforced_and_tls_only() -> None:
    data = load(CFN_DIR / "s3-buckets.yaml")
    buckets = resources_of_type(data, "AWS::S3::Bucket")
    policies = {p["Properties"]["Bucket"]["Ref"]: p["Properties"]["PolicyDocument"]
                for p in resources_of_type(data, "AWS::S3::BucketPolicy").values()}
    for lid, res in buckets.items():
        props = res["Properties"]
        assert props["PublicAccessBlockConfiguration"] == {
            "BlockPublicAcls": True, "BlockPublicPolicy": True, "IgnorePublicAcls": True,
            "RestrictPublicBuckets": True}, lid
        assert props["OwnershipControls"] == {"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]}, lid
        sse = props["BucketEncryption"]["ServerSideEncryptionConfiguration"][0]
        assert sse["ServerSideEncryptionByDefault"]["SSEAlgorithm"] == "AES256", lid
        deny = [s for s in statements(policies[lid]) if s["Effect"] == "Deny"]
        assert any(s["Action"] == "s3:*" and s["Principal"] == "*"
                   and s["Condition"] == {"Bool": {"aws:SecureTransport": "false"}} for s in deny), lid
    for lid in ("AppDataBucket", "BackupsBucket"):
        props = buckets[lid]["Properties"]
        assert props["VersioningConfiguration"] == {"Status": "Enabled"}, lid
        assert props["LoggingConfiguration"]["DestinationBucketName"] == {"Ref": "LogsBucket"}, lid
    rules = buckets["LogsBucket"]["Properties"]["LifecycleConfiguration"]["Rules"]
    assert any(r.get("ExpirationInDays") == {"Ref": "LogExpirationDays"} for r in rules)
    assert any("AbortIncompleteMultipartUpload" in r for r in rules)
    rules = buckets["BackupsBucket"]["Properties"]["LifecycleConfiguration"]["Rules"]
    assert any(r.get("NoncurrentVersionExpiration") == {"NoncurrentDays": {"Ref": "NoncurrentVersionExpirationDays"}}
               for r in rules)
    log_writes = [s for s in statements(policies["LogsBucket"])
                  if s["Effect"] == "Allow" and s.get("Principal") == {"Service": "logging.s3.amazonaws.com"}]
    assert log_writes and all(s["Action"] == "s3:PutObject" and "aws:SourceAccount" in s["Condition"]["StringEquals"]
                              for s in log_writes)


def test_iam_is_least_privilege() -> None:
    data = load(CFN_DIR / "iam-roles.yaml")
    roles = resources_of_type(data, "AWS::IAM::Role")
    assert set(roles) == {"Ec2Role", "RdsMonitoringRole", "LambdaRole"}
    for lid, role in roles.items():
        for policy in role["Properties"].get("Policies", []):
            for st in statements(policy["PolicyDocument"]):
                actions = as_list(st["Action"])
                resources = as_list(st["Resource"])
                assert st["Effect"] == "Allow"
                assert not any(a == "*" or a.endswith(":*") for a in actions), f"{lid}: {actions}"
                assert "*" not in resources, f"{lid}: {actions} on *"
        principals = [s["Principal"]["Service"] for s in statements(role["Properties"]["AssumeRolePolicyDocument"])]
        assert len(principals) == 1
    services = {lid: statements(r["Properties"]["AssumeRolePolicyDocument"])[0]["Principal"]["Service"]
                for lid, r in roles.items()}
    assert services == {"Ec2Role": "ec2.amazonaws.com", "RdsMonitoringRole": "monitoring.rds.amazonaws.com",
                        "LambdaRole": "lambda.amazonaws.com"}

    def managed(lid: str) -> list[str]:
        return [a["Fn::Sub"] for a in roles[lid]["Properties"]["ManagedPolicyArns"]]

    assert managed("Ec2Role") == ["arn:${AWS::Partition}:iam::aws:policy/AmazonSSMManagedInstanceCore"]
    assert managed("RdsMonitoringRole") == [
        "arn:${AWS::Partition}:iam::aws:policy/service-role/AmazonRDSEnhancedMonitoringRole"]
    assert managed("LambdaRole") == [
        "arn:${AWS::Partition}:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"]

    ec2_statements = {st["Sid"]: st for p in roles["Ec2Role"]["Properties"]["Policies"]
                      for st in statements(p["PolicyDocument"])}
    secret = ec2_statements["ReadDatabaseSecret"]
    assert secret["Resource"] == {"Fn::Sub": "arn:${AWS::Partition}:secretsmanager:${AWS::Region}:"
                                             "${AWS::AccountId}:secret:rds!db-*"}
    assert secret["Condition"]["StringEquals"]["secretsmanager:ResourceTag/aws:rds:primaryDBInstanceArn"] == {
        "Fn::Sub": "arn:${AWS::Partition}:rds:${AWS::Region}:${AWS::AccountId}:db:${ProjectName}-db-${Environment}"}
    logs = ec2_statements["WriteOwnLogGroups"]["Resource"]
    assert all("log-group:/${ProjectName}/${Environment}/" in r["Fn::Sub"] for r in logs)
    # S3 access only to the three buckets of the s3 stack; objects per DECISIONS 17.3 (no delete on logs/backups)
    targets = {import_target(v)[1] for _, v in imports_of(ec2_statements["ListFuelFlowBuckets"])}
    assert targets == {"AppDataBucketArn", "LogsBucketArn", "BackupsBucketArn"}
    for role in ("Ec2Role", "LambdaRole"):
        objects = {st["Sid"]: st for p in roles[role]["Properties"]["Policies"]
                   for st in statements(p["PolicyDocument"])
                   if st["Sid"] != "ListFuelFlowBuckets" and any(a.startswith("s3:") for a in as_list(st["Action"]))}
        shape = {sid: (sorted(as_list(st["Action"])), import_target(next(v for _, v in imports_of(st)))[1],
                       st["Resource"]["Fn::Join"][1][1]) for sid, st in objects.items()}
        assert shape == {
            "ReadWriteAppDataObjects": (["s3:DeleteObject", "s3:GetObject", "s3:PutObject"], "AppDataBucketArn", "/*"),
            "ReadAndAddBackups": (["s3:GetObject", "s3:PutObject"], "BackupsBucketArn", "/*"),
            "WriteOwnLogPrefix": (["s3:PutObject"], "LogsBucketArn", "/app/*"),
        }, role


def test_web_tier_is_imdsv2_only_encrypted_and_ssh_closed_by_default() -> None:
    data = load(CFN_DIR / "ec2-instances.yaml")
    lt = data["Resources"]["WebLaunchTemplate"]["Properties"]["LaunchTemplateData"]
    assert lt["MetadataOptions"]["HttpTokens"] == "required"
    assert lt["MetadataOptions"]["HttpPutResponseHopLimit"] == 1
    (root,) = lt["BlockDeviceMappings"]
    assert root["Ebs"]["Encrypted"] is True and root["Ebs"]["VolumeType"] == "gp3"
    assert root["Ebs"]["VolumeSize"] == {"Ref": "RootVolumeSize"}
    assert lt["ImageId"] == {"Ref": "LatestAmiId"}
    ami = data["Parameters"]["LatestAmiId"]
    assert ami["Type"] == "AWS::SSM::Parameter::Value<AWS::EC2::Image::Id>"
    assert ami["Default"] == "/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64"
    user_data = json.dumps(lt["UserData"])
    assert "httpd" in user_data and "/var/www/html/health.html" in user_data

    assert import_target(lt["SecurityGroupIds"][0]["Fn::ImportValue"]) == ("network", "WebSecurityGroupId")
    assert not resources_of_type(data, "AWS::EC2::SecurityGroup"), "the web tier's groups are network's"
    alb = data["Resources"]["ApplicationLoadBalancer"]["Properties"]
    assert [import_target(g["Fn::ImportValue"]) for g in alb["SecurityGroups"]] == [
        ("network", "LoadBalancerSecurityGroupId")]

    instances = resources_of_type(data, "AWS::EC2::Instance")
    assert set(instances) == {"Instance1", "Instance2", "Instance3", "Instance4"}
    subnets = [import_target(instances[f"Instance{n}"]["Properties"]["SubnetId"]["Fn::ImportValue"])[1]
               for n in (1, 2, 3, 4)]
    assert subnets == ["PublicSubnet1Id", "PublicSubnet2Id", "PublicSubnet1Id", "PublicSubnet2Id"]
    for lid, inst in instances.items():
        props = inst["Properties"]
        assert props["LaunchTemplate"]["LaunchTemplateId"] == {"Ref": "WebLaunchTemplate"}, lid
        # repeated for moto only; must stay identical to the launch template's values
        assert props["ImageId"] == lt["ImageId"] and props["InstanceType"] == lt["InstanceType"], lid


def test_web_security_groups_are_the_network_stacks() -> None:
    """The web tier's groups live in the network stack, so that ec2 and rds both import them (in parallel)."""
    data = load(CFN_DIR / "network.yaml")
    sg = data["Resources"]["WebSecurityGroup"]["Properties"]
    # No GroupName (a custom name could not move between stacks); the Name tag carries the contract's name.
    assert "GroupName" not in sg and "GroupName" not in data["Resources"]["LoadBalancerSecurityGroup"]["Properties"]
    assert {"Key": "Name", "Value": {"Fn::Sub": "${ProjectName}-web-sg-${Environment}"}} in sg["Tags"]
    # Port 80 only (nothing listens on 443): from the load balancer's group with one, from anywhere without.
    [rule] = sg["SecurityGroupIngress"]
    condition, with_lb, without_lb = rule["Fn::If"]
    assert condition == "HasLoadBalancer"
    assert (with_lb["FromPort"], with_lb["ToPort"], with_lb["SourceSecurityGroupId"]) == (
        80, 80, {"Fn::GetAtt": ["LoadBalancerSecurityGroup", "GroupId"]}) and "CidrIp" not in with_lb
    assert (without_lb["FromPort"], without_lb["ToPort"], without_lb["CidrIp"]) == (80, 80, "0.0.0.0/0")
    assert with_lb["Description"] and without_lb["Description"]  # what checkov cannot see inside Fn::If
    assert sg["SecurityGroupEgress"], "explicit egress, not the default allow-all"
    assert all(r["IpProtocol"] != "-1" for r in sg["SecurityGroupEgress"])
    ssh = resources_of_type(data, "AWS::EC2::SecurityGroupIngress")
    assert {(r["Condition"], r["Properties"]["FromPort"], r["Properties"]["CidrIp"]["Ref"]) for r in ssh.values()} == {
        ("HasAdminSshCidr1", 22, "AdminSshCidr1"), ("HasAdminSshCidr2", 22, "AdminSshCidr2")}
    assert data["Conditions"]["HasAdminSshCidr1"] == {"Fn::Not": [{"Fn::Equals": [{"Ref": "AdminSshCidr1"}, ""]}]}

    assert data["Outputs"]["WebSecurityGroupId"]["Value"] == {"Fn::GetAtt": ["WebSecurityGroup", "GroupId"]}
    assert data["Outputs"]["LoadBalancerSecurityGroupId"]["Condition"] == "HasLoadBalancer"


def test_instance_count_conditions_cover_one_to_four() -> None:
    """Evaluate the Conditions for every allowed InstanceCount (Fn::Equals / Or / Condition only)."""
    data = load(CFN_DIR / "ec2-instances.yaml")
    conditions = data["Conditions"]

    def ev(node: Any, count: str) -> bool:
        if "Fn::Equals" in node:
            a, b = node["Fn::Equals"]
            resolve = (lambda x: count if x == {"Ref": "InstanceCount"} else x)  # noqa: E731
            return str(resolve(a)) == str(resolve(b))
        if "Fn::Or" in node:
            return any(ev(x, count) for x in node["Fn::Or"])
        if "Fn::And" in node:
            return all(ev(x, count) for x in node["Fn::And"])
        if node == {"Condition": "NoLoadBalancer"}:
            return True  # the static instances exist only without a load balancer (asserted below)
        if "Condition" in node:
            return ev(conditions[node["Condition"]], count)
        raise AssertionError(node)

    assert data["Parameters"]["InstanceCount"]["AllowedValues"] == ["1", "2", "3", "4"]
    for count in ("1", "2", "3", "4"):
        created = [n for n in (2, 3, 4) if ev(conditions[f"HasInstance{n}"], count)]
        assert created == list(range(2, int(count) + 1)), count
    for n in (2, 3, 4):  # and none of them with a load balancer (instance 1: test_optional_instances_...)
        assert {"Condition": "NoLoadBalancer"} in conditions[f"HasInstance{n}"]["Fn::And"]
    assert conditions["NoLoadBalancer"] == {"Fn::Not": [{"Condition": "HasLoadBalancer"}]}


def test_database_is_private_encrypted_tls_only_and_keeps_its_own_password() -> None:
    data = load(CFN_DIR / "rds-database.yaml")
    db = data["Resources"]["DB"]["Properties"]
    assert db["Engine"] == "mysql" and db["StorageType"] == "gp3"
    assert db["StorageEncrypted"] is True and db["PubliclyAccessible"] is False
    assert db["ManageMasterUserPassword"] is True and "MasterUserPassword" not in db
    assert db["EnableIAMDatabaseAuthentication"] is True
    assert db["CopyTagsToSnapshot"] is True and db["AutoMinorVersionUpgrade"] is True
    assert db["EnableCloudwatchLogsExports"] == ["error", "general", "slowquery"]
    assert db["MultiAZ"] == {"Ref": "DBMultiAZ"} and db["DeletionProtection"] == {"Ref": "DBDeletionProtection"}
    assert db["MonitoringRoleArn"]["Fn::If"][0] == "HasEnhancedMonitoring"
    assert data["Conditions"]["HasEnhancedMonitoring"] == {
        "Fn::Not": [{"Fn::Equals": [{"Ref": "DBMonitoringInterval"}, "0"]}]}
    # the parameter group (TLS required) is attached; no environment-specific exception
    assert db["DBParameterGroupName"] == {"Ref": "DBParameterGroup"}
    pg = data["Resources"]["DBParameterGroup"]["Properties"]
    assert pg["Family"] == "mysql8.0" and pg["Parameters"]["require_secure_transport"] == "1"
    assert data["Outputs"]["DBSecretArn"]["Value"] == {"Fn::GetAtt": ["DB", "MasterUserSecret.SecretArn"]}

    sg = data["Resources"]["DBSecurityGroup"]["Properties"]
    (rule,) = sg["SecurityGroupIngress"]
    assert (rule["FromPort"], rule["ToPort"]) == (3306, 3306) and "CidrIp" not in rule
    assert import_target(rule["SourceSecurityGroupId"]["Fn::ImportValue"]) == ("network", "WebSecurityGroupId")
    subnets = {import_target(s["Fn::ImportValue"])[1]
               for s in data["Resources"]["DBSubnetGroup"]["Properties"]["SubnetIds"]}
    assert subnets == {"PrivateSubnet1Id", "PrivateSubnet2Id"}


def test_network_has_two_azs_public_private_and_no_nat() -> None:
    data = load(CFN_DIR / "network.yaml")
    subnets = resources_of_type(data, "AWS::EC2::Subnet")
    azs = {lid: s["Properties"]["AvailabilityZone"] for lid, s in subnets.items()}
    assert azs["PublicSubnet1"] == azs["PrivateSubnet1"] == {"Fn::Select": [0, {"Fn::GetAZs": ""}]}
    assert azs["PublicSubnet2"] == azs["PrivateSubnet2"] == {"Fn::Select": [1, {"Fn::GetAZs": ""}]}
    assert not resources_of_type(data, "AWS::EC2::NatGateway")
    routes = resources_of_type(data, "AWS::EC2::Route")
    assert [r["Properties"]["RouteTableId"] for r in routes.values()] == [{"Ref": "PublicRouteTable"}]
    (endpoint,) = resources_of_type(data, "AWS::EC2::VPCEndpoint").values()
    assert endpoint["Properties"]["VpcEndpointType"] == "Gateway"
    assert endpoint["Properties"]["ServiceName"] == {"Fn::Sub": "com.amazonaws.${AWS::Region}.s3"}


# ------------------------------------------------------------------ the tool's own loader (no cfn-lint import)


@pytest.mark.parametrize("path", TEMPLATE_FILES, ids=lambda p: p.name)
def test_the_tools_loader_reads_what_cfn_lint_reads(path: Path) -> None:
    """fuelflow.templates.parse_template (PyYAML with the short-form tags, so that `plan` does not import
    cfn-lint's rules engine) makes the same document as cfn-lint's loader, for every template."""
    from cfnlint.decode import decode_str

    from fuelflow.templates import parse_template

    body = path.read_text()
    theirs, matches = decode_str(body)
    assert not matches
    assert json.loads(json.dumps(parse_template(body))) == json.loads(json.dumps(theirs))


@pytest.mark.parametrize(("body", "problem"), [
    ("Resources:\n  A: {Type: AWS::SNS::Topic}\n  A: {Type: AWS::SQS::Queue}\n", "Duplicate found 'A'"),
    ("Resources: [unclosed\n", "expected"),
    ("", "empty document"),
    ("- a\n- b\n", "not a mapping"),
])
def test_the_tools_loader_refuses_what_cfn_lint_refuses(body: str, problem: str) -> None:
    from fuelflow.templates import parse_template

    with pytest.raises(ValueError, match=problem):
        parse_template(body)


def test_short_form_tags_become_intrinsic_functions() -> None:
    from fuelflow.templates import parse_template

    data = parse_template("Resources:\n  A:\n    Type: T\n    Properties:\n      X: !GetAtt B.Arn\n"
                          "      Y: !Ref P\n      Z: !Sub ['${a}', {a: !ImportValue E}]\n      C: !Condition On\n")
    assert data["Resources"]["A"]["Properties"] == {
        "X": {"Fn::GetAtt": ["B", "Arn"]}, "Y": {"Ref": "P"},
        "Z": {"Fn::Sub": ["${a}", {"a": {"Fn::ImportValue": "E"}}]}, "C": {"Condition": "On"}}
