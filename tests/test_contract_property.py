"""Property: the three gatekeepers agree. Hypothesis draws environment files (dev.yaml with one setting changed,
inside and just outside every limit); whatever fuelflow accepts, the templates' own parameter constraints and
Terraform's validation accept; whatever fuelflow refuses for a limit, the template parameter and the Terraform
variable that carry that setting refuse too — the same key.

Cross-setting rules (subnets inside the VPC and not overlapping) cannot be written as CloudFormation parameter
constraints (they compare two parameters and CIDRs); for those only Terraform is held to fuelflow's verdict,
and CloudFormation's EC2 API refuses such a subnet at deploy time.
"""

from __future__ import annotations

import copy
import ipaddress
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fuelflow import contract
from fuelflow.config import LIST_TYPES, parse_environment
from fuelflow.contract import Setting
from fuelflow.errors import InputError
from test_contract import PARAMETERS, _hcl_test_file, cfn_accepts, mock_provider_header

ROOT = Path(__file__).resolve().parents[1]
DEV = yaml.safe_load((ROOT / "environments" / "dev.yaml").read_text())
SPECS = {name: spec for _, name, spec in PARAMETERS}  # a parameter's constraints are equal in every template


def _values(s: Setting) -> st.SearchStrategy[Any]:
    if s.type == "integer":
        assert s.min is not None and s.max is not None
        return st.one_of(st.integers(s.min - 3, s.max + 3), st.sampled_from([s.min - 1, s.min, s.max, s.max + 1]))
    if s.type == "boolean":
        return st.booleans()
    if s.type == "choice":
        wrong = ["t2.nano", "m5.metal", ""] if isinstance(s.values[0], str) else [2, 4, 61, 3654]
        return st.sampled_from([*s.values, *wrong])
    if s.type == "string":
        return st.sampled_from(STRINGS[s.key])
    if s.type == "email_list":
        return st.lists(st.sampled_from(["ops@example.com", "a.b+c@mail.example.io", "ops.example.com", "x@y"]),
                        max_size=(s.max_count or 0) + 1)
    assert s.min_prefix is not None and s.max_prefix is not None
    cidr = st.integers(max(0, s.min_prefix - 4), min(32, s.max_prefix + 4)).map(
        lambda p: str(ipaddress.ip_network(f"10.10.0.0/{p}", strict=False)))
    if s.type == "cidr":
        return cidr
    if s.max_count:  # SSH ranges: any address, zero to three of them
        anywhere = st.tuples(st.integers(1, 223), st.integers(0, 32)).map(
            lambda t: str(ipaddress.ip_network(f"{t[0]}.0.0.0/{t[1]}", strict=False)))
        return st.lists(anywhere, max_size=s.max_count + 1)
    return cidr.map(lambda c: [c, "10.10.200.0/24"])  # subnets: the drawn one, and one that is always fine


STRINGS: dict[str, list[str]] = {  # per string setting: values inside and just outside its pattern
    "rds.instance_class": ["db.t3.micro", "db.t4g.small", "db.m5.large", "db.x", "t3.micro", "db.T3.micro"],
    "rds.engine_version": ["8.0", "8.0.35", "8.0.123", "8.0.1234", "5.7", "8.1", "8"],
    "web.health_check_path": ["/health.html", "/", "/a/b-c_d.txt", "health.html", "/x y", ""],
    "web.certificate_arn": ["", "arn:aws:acm:us-east-1:123456789012:certificate/0123abcd-0123-4567-89ab-0123456789ab",
                            "arn:aws:iam::123456789012:server-certificate/x", "x"],
    "web.domain_name": ["", "www.example.com", "WWW.example.com", "example", "a..com"],
    "web.hosted_zone_id": ["", "Z123ABC", "z123", "Zab-c"],
}


def _identifier(key: str) -> st.SearchStrategy[str]:
    rule = contract.identifier(key)
    return st.text(alphabet="abz09-", max_size=rule.max_length + 2)


@st.composite
def documents(draw: st.DrawFn) -> tuple[str, Any, dict[str, Any]]:
    """(the key changed, its new value, the document)."""
    doc = copy.deepcopy(DEV)
    keys = [*sorted(contract.settings()), "project", "name"]
    key = draw(st.sampled_from(keys))
    if key in ("project", "name"):
        value: Any = draw(_identifier("project" if key == "project" else "environment"))
        doc[key] = value
    else:
        s = contract.setting(key)
        value = draw(_values(s))
        doc[s.section][s.field] = value
    return key, value, doc


def refusal(doc: dict[str, Any]) -> str | None:
    """None when fuelflow accepts the document, else its error without the file name."""
    try:
        parse_environment(doc, Path(f"environments/{doc['name']}.yaml"))
    except InputError as exc:
        return str(exc).split(": ", 1)[1]
    return None


def verdict(doc: dict[str, Any]) -> str | None:
    """None when fuelflow accepts the document, else the key its error names."""
    text = refusal(doc)
    return None if text is None else text.split(" ", 1)[0].split("[", 1)[0]


def cfn_accepts_setting(key: str, value: Any) -> bool:
    """Would the templates take this value, as fuelflow passes it (one parameter per list item)?"""
    if key in ("project", "name"):
        rule = contract.identifier("project" if key == "project" else "environment")
        return cfn_accepts(SPECS[rule.cfn or ""], str(value))
    s = contract.setting(key)
    if s.type in LIST_TYPES:
        if len(value) > len(s.cfn):
            return False  # the templates have no parameter for a third range
        padded = [*value, *[""] * len(s.cfn)][: len(s.cfn)]
        return all(cfn_accepts(SPECS[p], v) for p, v in zip(s.cfn, padded, strict=True))
    text = ("true" if value else "false") if isinstance(value, bool) else str(value)
    return cfn_accepts(SPECS[s.cfn[0]], text)


def cross_parameter(key: str, value: Any, refused_by: str, doc: dict[str, Any]) -> bool:
    """Rules that compare values (inside the VPC, no overlap, no duplicate, sizes in order, options that need
    another setting): not expressible as parameter rules."""
    if refused_by == "network" and key.startswith("network."):
        return True
    text = refusal(doc) or ""
    if " but " in text or "must not be less than" in text:
        return True  # e.g. edge.waf needs web.load_balancer; desired capacity below the minimum
    if s_is_list(key) and len(set(value)) != len(value):
        return True  # a duplicate address
    other = contract.settings().get(refused_by)
    # e.g. max_allocated_storage must exceed allocated_storage
    return other is not None and other.greater_than is not None and key in (other.greater_than, refused_by)


def s_is_list(key: str) -> bool:
    return key in contract.settings() and contract.setting(key).type in LIST_TYPES


def tf_variable(key: str) -> str:
    if key in ("project", "name"):
        return contract.identifier("project" if key == "project" else "environment").tf
    return contract.setting(key).tf.split(".")[0]


def tf_vars(doc: dict[str, Any]) -> dict[str, Any]:
    """The var-file fuelflow would write, built from the document without fuelflow's validation."""
    return {
        "environment": doc["name"], "project_name": doc["project"], "region": doc["region"],
        "tags": {**doc["tags"], "Project": doc["project"], "Environment": doc["name"], "ManagedBy": "fuelflow"},
        "network": doc["network"], "ec2": {**doc["ec2"], "admin_ssh_cidrs": doc["ec2"].get("admin_ssh_cidrs") or []},
        "rds": doc["rds"], "s3": doc["s3"], "log_retention_days": doc["logs"]["retention_days"],
        "web": doc["web"], "edge": doc["edge"],
        "monitoring": {**doc["monitoring"], "alarm_emails": doc["monitoring"].get("alarm_emails") or []},
    }


CASES: list[tuple[str, Any, dict[str, Any], str | None]] = []


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(documents())
def test_fuelflow_and_the_templates_agree(case: tuple[str, Any, dict[str, Any]]) -> None:
    key, value, doc = case
    refused_by = verdict(doc)
    CASES.append((key, value, doc, refused_by))
    by_cfn = cfn_accepts_setting(key, value)
    if refused_by is None:
        assert by_cfn, f"fuelflow accepts {key}={value!r}, the templates refuse it"
    elif cross_parameter(key, value, refused_by, doc):
        pass  # CloudFormation parameters cannot compare two values; Terraform can (the test below)
    elif refused_by == key:
        assert not by_cfn, f"fuelflow refuses {key}={value!r}, the templates accept it"
    else:
        pytest.fail(f"{key}={value!r} is refused under another key: {refused_by}")


@pytest.mark.terraform
def test_terraform_agrees_with_fuelflow_on_drawn_files(tf_root: Any) -> None:
    """A sample of the drawn files (both verdicts, every key) through `terraform test`, one run each."""
    if not CASES:
        test_fuelflow_and_the_templates_agree()
    sample: dict[tuple[str, bool], tuple[str, Any, dict[str, Any], str | None]] = {}
    for case in CASES:
        sample.setdefault((case[0], case[3] is None), case)
    runs = [(f"{k}={v!r} ({'accepted' if r is None else 'refused'})", tf_vars(d),
             None if r is None else tf_variable(k)) for k, v, d, r in sample.values()]
    # A switch that dev.yaml accepts either way (flow logs, stickiness, ...) has one verdict only.
    one_verdict = [s for s in contract.settings().values() if s.type == "boolean" and not s.key.startswith("edge.")]
    assert len(runs) >= 2 * len(contract.settings()) - len(one_verdict) - 3, \
        "the draw must cover both verdicts of most keys"
    result = tf_root.test(_hcl_test_file(mock_provider_header(), runs), name="generated_property")
    assert result.passed == len(runs), result.report(runs)

