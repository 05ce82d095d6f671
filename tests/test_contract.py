"""The contract (src/fuelflow/contract.yaml) and its copies: the templates' parameter constraints, the Terraform
validation rules and the resource names say what the contract says.

cfn-lint does not check parameter *values* against AllowedPattern / MinValue / ... (it passes
`--parameters Environment=Bad_Name`), so `cfn_accepts` applies CloudFormation's documented parameter rules to
the constraints read from the templates by cfn-lint's loader. Terraform's rules are run by Terraform itself
(`terraform test`, mock provider) on the contract's boundary values.
"""

from __future__ import annotations

import ipaddress
import json
import re
from pathlib import Path
from typing import Any

import pytest
from cfnlint.decode import decode
from hypothesis import given, settings
from hypothesis import strategies as st

from fuelflow import contract
from fuelflow.config import load_environment
from fuelflow.contract import Setting
from fuelflow.names import Names

ROOT = Path(__file__).resolve().parents[1]
TEMPLATES = sorted((ROOT / "cloudformation").glob("*.yaml"))
TEMPLATE_LOCAL = {"LatestAmiId"}  # a template's own input, not an environment setting
NAME_PROPERTIES = ("BucketName", "RoleName", "InstanceProfileName", "GroupName", "LogGroupName",
                   "LaunchTemplateName", "AlarmName", "DBSubnetGroupName", "DBInstanceIdentifier", "TopicName",
                   "DashboardName", "AliasName", "AutoScalingGroupName")
# `Name` is a name property only on these types (elsewhere it can be anything).
NAMED_BY_NAME = ("AWS::SSM::Parameter", "AWS::ElasticLoadBalancingV2::LoadBalancer",
                 "AWS::ElasticLoadBalancingV2::TargetGroup", "AWS::WAFv2::WebACL", "AWS::SecretsManager::Secret")


def parameters() -> list[tuple[str, str, dict[str, Any]]]:
    out = []
    for path in TEMPLATES:
        data, _ = decode(str(path))
        assert data is not None, path
        out += [(path.name, name, spec) for name, spec in data["Parameters"].items()]
    return out


PARAMETERS = parameters()


def cfn_accepts(spec: dict[str, Any], value: str) -> bool:
    """CloudFormation's parameter constraints, as documented (AWS::CloudFormation parameters)."""
    if "AllowedValues" in spec and value not in [str(v) for v in spec["AllowedValues"]]:
        return False
    if "AllowedPattern" in spec and not re.fullmatch(spec["AllowedPattern"], value):
        return False
    if spec.get("Type") == "Number":
        try:
            number = float(value)
        except ValueError:
            return False
        if "MinValue" in spec and number < float(spec["MinValue"]):
            return False
        if "MaxValue" in spec and number > float(spec["MaxValue"]):
            return False
    else:
        if "MinLength" in spec and len(value) < int(spec["MinLength"]):
            return False
        if "MaxLength" in spec and len(value) > int(spec["MaxLength"]):
            return False
    return True


def _cidrs(prefixes: range, base: str = "10.0.0.0") -> list[str]:
    return [str(ipaddress.ip_network(f"{base}/{p}", strict=False)) for p in prefixes]


def test_every_template_parameter_is_in_the_contract() -> None:
    known = set(contract.cfn_parameter_settings()) | {i.cfn for i in contract.identifiers().values() if i.cfn}
    unknown = [f"{t}: {n}" for t, n, _ in PARAMETERS if n not in known | TEMPLATE_LOCAL]
    assert not unknown, f"parameters missing from src/fuelflow/contract.yaml: {unknown}"
    declared = {n for _, n, _ in PARAMETERS}
    missing = [s.key for s in contract.settings().values() if not set(s.cfn) <= declared]
    assert not missing, f"contract settings no template declares: {missing}"


@pytest.mark.parametrize(("template", "name", "spec"), PARAMETERS, ids=[f"{t}:{n}" for t, n, _ in PARAMETERS])
def test_template_constraints_equal_the_contract(template: str, name: str, spec: dict[str, Any]) -> None:
    if name in TEMPLATE_LOCAL:
        return
    ids = {i.cfn: i for i in contract.identifiers().values() if i.cfn}
    if name in ids:
        rule = ids[name]
        assert (spec.get("AllowedPattern"), spec.get("MinLength"), spec.get("MaxLength")) == (
            rule.portable_pattern, rule.min_length, rule.max_length), f"{template} {name} differs from the contract"
        return
    s = contract.cfn_parameter_settings()[name]
    if s.type == "integer":
        if spec["Type"] == "Number":
            assert (spec.get("MinValue"), spec.get("MaxValue")) == (s.min, s.max), f"{template} {name}"
        else:
            assert s.min is not None and s.max is not None
            assert [str(v) for v in spec["AllowedValues"]] == [str(i) for i in range(s.min, s.max + 1)]
    elif s.type == "choice":
        assert [str(v) for v in spec["AllowedValues"]] == [str(v) for v in s.values], f"{template} {name}"
    elif s.type == "boolean":
        assert sorted(spec["AllowedValues"]) == ["false", "true"], f"{template} {name}"
    elif s.type == "string":
        assert spec.get("AllowedPattern") == s.pattern, f"{template} {name}"
    elif s.type == "email_list":  # one parameter per address, "" = none
        assert spec.get("AllowedPattern") == f"^$|{s.pattern}", f"{template} {name}"
    else:  # cidr, cidr_list: the pattern must accept exactly the contract's prefixes
        assert s.min_prefix is not None and s.max_prefix is not None
        for prefix, cidr in enumerate(_cidrs(range(33))):
            assert cfn_accepts(spec, cidr) == (s.min_prefix <= prefix <= s.max_prefix), (
                f"{template} {name}: /{prefix} is {'accepted' if cfn_accepts(spec, cidr) else 'refused'}, "
                f"the contract says /{s.min_prefix}../{s.max_prefix}")
        assert cfn_accepts(spec, "") == s.optional, f"{template} {name}: empty value"
        assert not cfn_accepts(spec, "10.0.0.256/24") and not cfn_accepts(spec, "ten/8")


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet="ab9-", max_size=8))
def test_portable_patterns_accept_what_the_contract_pattern_accepts(text: str) -> None:
    for rule in contract.identifiers().values():
        if rule.portable_pattern:
            assert bool(re.fullmatch(rule.pattern, text)) == bool(re.fullmatch(rule.portable_pattern, text)), text


def _format_of(sub: str) -> str:
    text = (sub.replace("${ProjectName}", "{project}").replace("${Environment}", "{env}")
            .replace("${AWS::AccountId}", "{account}").replace("${AWS::Region}", "{region}"))
    return re.sub(r"-[1-9]$", "-{n}", text)


def test_template_names_are_the_contracts_names() -> None:
    formats = {r.format: k for k, r in contract.name_rules().items()}
    found: dict[str, str] = {}
    for path in TEMPLATES:
        data, _ = decode(str(path))
        assert data is not None
        for logical, res in data["Resources"].items():
            props = dict(res.get("Properties") or {})
            if res.get("Type") == "AWS::EC2::SecurityGroup" and "GroupName" not in props:
                # the web tier's groups carry their name only in the Name tag (decisions: security groups in
                # the network stack); that tag is then the name the contract fixes
                props["GroupName"] = next(t["Value"] for t in props["Tags"] if t["Key"] == "Name")
            for prop in NAME_PROPERTIES + (("Name",) if res.get("Type") in NAMED_BY_NAME else ()):
                value = props.get(prop)
                if isinstance(value, dict) and "Fn::Sub" in value and isinstance(value["Fn::Sub"], str):
                    fmt = _format_of(value["Fn::Sub"])
                    if fmt.startswith("/aws/rds/"):
                        continue  # named by RDS after the DB instance; one of them is in the contract
                    assert fmt in formats, f"{path.name} {logical}.{prop} = {fmt} is not a name in contract.yaml"
                    found[formats[fmt]] = path.name
    cfn_only_absent = {"stack", "export", "state_bucket", "lock_table", "web_instance", "rds_log_group"}
    expected = {k for k, r in contract.name_rules().items() if not r.future} - cfn_only_absent
    assert expected <= set(found), f"contract names no template uses: {sorted(expected - set(found))}"


def test_names_are_built_from_the_contract() -> None:
    n = Names("fuel-flow", "staging", "123456789012", "eu-west-1")
    assert n.bucket("app-data") == "fuel-flow-app-data-staging-123456789012-eu-west-1"
    assert n.state_bucket == "fuel-flow-tfstate-staging-123456789012-eu-west-1"
    assert (n.lock_table, n.db_instance, n.stack("rds")) == ("fuel-flow-tflock-staging", "fuel-flow-db-staging",
                                                            "fuel-flow-rds-staging")
    assert n.log_groups == ("/fuel-flow/staging/apache/access", "/fuel-flow/staging/apache/error",
                            "/fuel-flow/staging/system")


# ------------------------------------------------------------------------------ Terraform, by Terraform


def _outside(s: Setting) -> list[tuple[str, Any]]:
    """Values just outside the contract for one setting (label, value)."""
    if s.type == "integer":
        assert s.min is not None and s.max is not None
        return [("below", s.min - 1), ("above", s.max + 1)]
    if s.type == "choice":
        return [("not allowed", "t2.nano" if isinstance(s.values[0], str) else 2)]
    if s.type == "string":
        return [("pattern", "db.x" if s.key == "rds.instance_class" else "5.7")]
    if s.type == "email_list":
        assert s.max_count is not None
        return [("not an address", ["ops.example.com"]),
                ("too many", [f"ops{i}@example.com" for i in range(s.max_count + 1)]),
                ("twice", ["ops@example.com", "ops@example.com"])]
    if s.type in ("cidr", "cidr_list"):
        assert s.min_prefix is not None and s.max_prefix is not None
        edges = [p for p in (s.min_prefix - 1, s.max_prefix + 1) if 0 <= p <= 32]
        return [(f"prefix /{p}", _cidrs(range(p, p + 1), "10.10.0.0")[0]) for p in edges]
    return []


def _with(tf_vars: dict[str, Any], path: str, value: Any) -> dict[str, Any]:
    out: dict[str, Any] = json.loads(json.dumps(tf_vars))
    node = out
    *parents, last = path.split(".")
    for p in parents:
        node = node[p]
    node[last] = value
    return out


def boundary_runs(tf_vars: dict[str, Any]) -> list[tuple[str, dict[str, Any], str | None]]:
    """(label, variables, the variable expected to fail) for every contract limit, one value each."""
    runs: list[tuple[str, dict[str, Any], str | None]] = []
    for s in contract.settings().values():
        for label, value in _outside(s):
            if s.type == "cidr_list":  # the bad range first, then a good one (lists of two stay two)
                value = [value] if s.max_count else [value, "10.10.1.0/24"]
            runs.append((f"{s.key} {label}", _with(tf_vars, s.tf, value), s.tf.split(".")[0]))
    runs += [(label, {**tf_vars, var: bad}, var) for label, var, bad in identifier_cases()]
    return runs


def identifier_cases() -> list[tuple[str, str, str]]:
    """(label, Terraform variable, a value the naming rules refuse) for the project and environment names."""
    out = []
    for key in ("project", "environment"):
        rule = contract.identifier(key)
        for label, bad in (("too long", "a" * (rule.max_length + 1)), ("trailing hyphen", "ab-"),
                           ("double hyphen", "a--b")):
            out.append((f"{key} {label}", rule.tf, bad))
    return out


def _hcl_test_file(header: str, runs: list[tuple[str, dict[str, Any], str | None]]) -> str:
    body = [header]
    for i, (label, variables, failing) in enumerate(runs):
        lines = [f'run "case_{i}" {{', "  # " + label, "  command = plan", "  variables {"]
        lines += [f"    {k} = {json.dumps(v)}" for k, v in variables.items()]
        lines.append("  }")
        if failing:
            lines.append(f"  expect_failures = [var.{failing}]")
        lines.append("}")
        body.append("\n".join(lines))
    return "\n\n".join(body) + "\n"


def mock_provider_header() -> str:
    """The mock provider block of the root's own validation tests (everything before the first block after it)."""
    text = (ROOT / "terraform" / "tests" / "validation.tftest.hcl").read_text()
    start = text.index('mock_provider "aws"')
    end = text.index("\nvariables {", start)
    return text[start:end]


@pytest.mark.terraform
def test_terraform_refuses_every_value_outside_the_contract_and_accepts_the_edges(tf_root: Any) -> None:
    env = load_environment(ROOT, "dev")
    tf_vars = env.tf_vars()
    runs = boundary_runs(tf_vars)
    low, high = tf_vars, tf_vars
    for key, value in edges("lower").items():
        low = _with(low, contract.setting(key).tf, value)
    for key, value in edges("upper").items():
        high = _with(high, contract.setting(key).tf, value)
    runs += [("lower edges", low, None), ("upper edges", {**high, "project_name": "a" * 21}, None),
             ("longest environment", {**tf_vars, "environment": "b" * 16}, None)]
    result = tf_root.test(_hcl_test_file(mock_provider_header(), runs))
    assert result.passed == len(runs), result.report(runs)



def test_docs_contract_tables_are_generated_from_the_contract() -> None:
    text = (ROOT / "docs" / "contract.md").read_text()
    assert contract.update_markdown(text) == text, "run: python -m fuelflow.contract docs/contract.md"


# -------------------------------------------------- each module on its own: its rules are the contract's too

MODULES = sorted(p.parent.name for p in (ROOT / "terraform" / "modules").glob("*/variables.tf"))
def edges(side: str) -> dict[str, Any]:
    """The contract's own edge value of each numeric, choice and SSH-range setting (side: lower or upper),
    consistent with each other (the storage ceiling stays above the allocation)."""
    below = {s.greater_than for s in contract.settings().values() if s.greater_than}
    out: dict[str, Any] = {}
    for s in contract.settings().values():
        if s.type == "integer":
            assert s.min is not None and s.max is not None
            out[s.key] = s.min if side == "lower" else s.max - (1 if s.key in below else 0)
        elif s.type == "choice":
            out[s.key] = s.values[0] if side == "lower" else s.values[-1]
        elif s.type == "cidr_list" and s.max_count:
            out[s.key] = [] if side == "lower" else [
                f"10.0.0.0/{s.min_prefix}", *[f"192.0.2.{i}/{s.max_prefix}" for i in range(1, s.max_count)]]
    return out


def module_variables(module: str) -> set[str]:
    import hcl2

    data = hcl2.loads((ROOT / "terraform" / "modules" / module / "variables.tf").read_text())
    return {next(iter(v)).strip('"') for v in data.get("variable", [])}


def module_runs(module: str) -> list[tuple[str, dict[str, Any], str | None]]:
    """Runs that override only this module's own variables: every value just outside the contract, refused by
    the variable that carries it, and the contract's edges, accepted."""
    declared = module_variables(module)
    runs: list[tuple[str, dict[str, Any], str | None]] = []
    for s in contract.settings().values():
        var = s.tf.split(".")[-1]
        if var not in declared:
            continue
        for label, value in _outside(s):
            if s.type == "cidr_list":
                value = [value] if s.max_count else [value, "10.10.1.0/24"]
            runs.append((f"{module}: {var} {label}", {var: value}, var))
    runs += [(f"{module}: {label}", {var: bad}, var) for label, var, bad in identifier_cases()]
    for side in ("upper", "lower"):
        values = {contract.setting(k).tf.split(".")[-1]: v for k, v in edges(side).items()}
        rule = contract.identifier("project")
        values["project_name"] = "a" * (rule.max_length if side == "upper" else rule.min_length)
        runs.append((f"{module}: {side} edges", {k: v for k, v in values.items() if k in declared}, None))
    return runs


def module_test_file(module: str, runs: list[tuple[str, dict[str, Any], str | None]]) -> str:
    """The module's own test set-up (mock provider and valid variables: everything before its first run)."""
    own = sorted((ROOT / "terraform" / "modules" / module / "tests").glob("*.tftest.hcl"))[0].read_text()
    return _hcl_test_file(own[: own.index('\nrun "')], runs)


@pytest.mark.terraform
@pytest.mark.parametrize("module", MODULES)
def test_each_module_on_its_own_keeps_the_contracts_limits(tf_root: Any, module: str) -> None:
    runs = module_runs(module)
    result = tf_root.test(module_test_file(module, runs), where=f"modules/{module}")
    assert result.passed == len(runs), result.report(runs)


def test_terraform_allowed_value_lists_are_the_contracts() -> None:
    """The boundary runs try the first and last allowed value; the lists themselves must be the contract's."""
    files = [ROOT / "terraform" / "variables.tf", *sorted((ROOT / "terraform" / "modules").glob("*/variables.tf"))]
    checked = 0
    for s in (s for s in contract.settings().values() if s.type == "choice"):
        for path in files:
            var = s.tf if path.parent.name == "terraform" else s.tf.split(".")[-1]
            for listed in re.findall(rf"contains\(\[([^\]]*)\], var\.{re.escape(var)}\)", path.read_text()):
                values = [v.strip().strip('"') for v in listed.split(",")]
                assert values == [str(v) for v in s.values], f"{path.relative_to(ROOT)} {var}: {values}"
                checked += 1
    assert checked >= 5, "root: instance type, monitoring, retention; ec2 and rds modules: their own lists"
