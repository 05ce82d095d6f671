"""The Terraform model: the root module planned for one environment by `terraform test` with a mock
provider, ids and ARNs made symbolic, normalised."""

from __future__ import annotations

import json
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fuelflow.cfn_eval import PARTITION, opaque
from fuelflow.config import Environment, load_environment
from fuelflow.errors import FuelflowError, InputError
from fuelflow.parity import normalise as norm
from fuelflow.parity import web
from fuelflow.parity.model import Model
from fuelflow.tf.source import label, load, tf_files
from fuelflow.tf.toolchain import PLUGIN_DIR_ENV, Toolchain
from fuelflow.tf.workcopy import TERRAFORM_DIR as TF_DIR
from fuelflow.tf.workcopy import sync_tree

TF_TIMEOUT = 300
TEST_DIR = "fuelflow-parity"  # the test directory of our own `terraform test` file, in the work copy


def terraform_model(project_dir: Path, env_name: str = "dev", *, plugin_dir: Path | None = None) -> Model:
    """The normalised model of terraform/ (root module) planned for one environment with a mock provider."""
    project_dir = Path(project_dir)
    env = load_environment(project_dir, env_name)
    resources, ssm = _terraform_resources(project_dir, env, plugin_dir)
    return norm.build(resources, norm.Context(env, norm.ACCOUNT_ID, "terraform"), _TF_BUILDERS, ssm)


def terraform_available() -> str | None:
    """None if the Terraform model can be built here, else the reason it cannot."""
    try:
        toolchain = Toolchain.resolve()
    except InputError as exc:
        return exc.one_line()
    if toolchain.plugin_dir is None:
        return (f"no filesystem mirror of hashicorp/aws found (set {PLUGIN_DIR_ENV}); "
                "the registry would be needed")
    return None


@dataclass
class _TfModule:
    """One module directory as python-hcl2 reads it: where each block is, variables' defaults."""

    dir: Path
    rel: str
    blocks: dict[tuple[str, str, str], str]  # (mode, type, name) -> file
    variables: dict[str, Any]
    calls: dict[str, tuple[str, dict[str, Any]]]  # module name -> (source, arguments)
    data_args: dict[tuple[str, str], dict[str, Any]]


def _read_tf_module(dir_: Path, project_dir: Path) -> _TfModule:
    blocks: dict[tuple[str, str, str], str] = {}
    variables: dict[str, Any] = {}
    calls: dict[str, tuple[str, dict[str, Any]]] = {}
    data_args: dict[tuple[str, str], dict[str, Any]] = {}
    for tf in tf_files(dir_):
        rel = tf.relative_to(project_dir).as_posix()
        try:
            doc = load(tf)
        except Exception as exc:  # python-hcl2 raises lark errors of many kinds
            raise InputError(f"{rel}: cannot be parsed ({exc.__class__.__name__})", "run terraform fmt/validate") \
                from exc
        for mode in ("resource", "data"):
            for entry in doc.get(mode, []):
                for rtype, named in entry.items():
                    for name, body in named.items():
                        blocks[(mode, label(rtype), label(name))] = rel
                        if mode == "data":
                            data_args[(label(rtype), label(name))] = body
        for entry in doc.get("variable", []):
            for name, body in entry.items():
                variables[label(name)] = body.get("default")
        for entry in doc.get("module", []):
            for name, body in entry.items():
                calls[label(name)] = (label(str(body.get("source", ""))), body)
    return _TfModule(dir_, dir_.relative_to(project_dir).as_posix(), blocks, variables, calls, data_args)


def _tf_modules(project_dir: Path) -> dict[str, _TfModule]:
    """Module address ("" for the root, "module.s3", ...) -> module, following local sources."""
    out: dict[str, _TfModule] = {}
    project_dir = project_dir.resolve()

    def walk(address: str, dir_: Path) -> None:
        module = _read_tf_module(dir_, project_dir)
        out[address] = module
        for name, (source, _args) in module.calls.items():
            if source.startswith("."):
                walk(f"{address}.module.{name}".lstrip("."), (dir_ / source).resolve())

    walk("", (project_dir / TF_DIR).resolve())
    return out


_TF_STATIC = re.compile(r'^"(.*)"$', re.S)


def _static_string(value: Any, module: _TfModule, parent: _TfModule | None, call_args: dict[str, Any]) -> str | None:
    """A string attribute that is a literal or `var.x` (module argument or default); None otherwise."""
    if not isinstance(value, str):
        return None
    m = _TF_STATIC.match(value)
    if m and "${" not in m.group(1):
        return m.group(1)
    m = re.fullmatch(r"\$\{var\.(\w+)\}", value)
    if m:
        name = m.group(1)
        if name in call_args:
            return _static_string(call_args[name], parent or module, None, {})
        return _static_string(module.variables.get(name), module, None, {})
    return None


# Id prefixes of the resource types whose ids the provider validates when another resource uses them.
_ID_PREFIX = {
    "aws_launch_template": "lt-", "aws_security_group": "sg-", "aws_subnet": "subnet-", "aws_vpc": "vpc-",
    "aws_instance": "i-", "aws_route_table": "rtb-", "aws_internet_gateway": "igw-", "aws_nat_gateway": "nat-",
    "aws_vpc_endpoint": "vpce-", "aws_eip": "eipalloc-", "aws_network_interface": "eni-", "aws_ebs_volume": "vol-",
    "aws_ec2_managed_prefix_list": "pl-", "aws_db_instance": "db-", "aws_kms_key": "key-",
}


def _run(toolchain: Toolchain, args: list[str], cwd: Path, env: dict[str, str], what: str) -> str:
    try:
        proc = toolchain.capture(args, cwd=cwd, env=env, timeout=TF_TIMEOUT)
    except FuelflowError as exc:
        raise FuelflowError(f"parity: {what} failed to run ({exc.message})", exc.fix) from exc
    if proc.returncode != 0:
        raise FuelflowError(f"parity: {what} failed: {_tf_errors(proc.stdout + proc.stderr)}",
                            "run `fuelflow validate` (terraform validate) for details")
    return proc.stdout


def _tf_errors(output: str) -> str:
    messages = []
    for line in output.splitlines():
        try:
            msg = json.loads(line)
        except ValueError:
            if line.strip().startswith(("Error", "│ Error")):
                messages.append(line.strip("│ ").strip())
            continue
        diag = msg.get("diagnostic") if isinstance(msg, dict) else None
        if isinstance(diag, dict) and diag.get("severity") == "error":
            messages.append(f"{diag.get('summary')}: {diag.get('detail', '')}".strip(": "))
        elif isinstance(msg, dict) and msg.get("@level") == "error":
            messages.append(str(msg.get("@message")))
    return " / ".join(messages[:3]) or output.strip()[-500:]


def _hcl_string(text: str) -> str:
    return json.dumps(text)


def _test_file(env: Environment, runs: dict[str, list[tuple[str, str, dict[str, str]]]]) -> str:
    """A .tftest.hcl with a mocked AWS provider and plan-only run blocks (name -> overrides)."""
    azs = ", ".join(_hcl_string(f"{env.region}{c}") for c in "abcdef")
    lines = [
        'mock_provider "aws" {',
        f'  mock_data "aws_caller_identity" {{\n    defaults = {{ account_id = "{norm.ACCOUNT_ID}" }}\n  }}',
        f'  mock_data "aws_region" {{\n    defaults = {{ name = "{env.region}", id = "{env.region}" }}\n  }}',
        f'  mock_data "aws_partition" {{\n    defaults = {{ partition = "{PARTITION}", '
        'dns_suffix = "amazonaws.com" }\n  }',
        f'  mock_data "aws_availability_zones" {{\n    defaults = {{ names = [{azs}] }}\n  }}',
        "}",
    ]
    for run, overrides in runs.items():
        lines += [f'run "{run}" {{', "  command = plan"]
        for block, target, values in overrides:
            body = ", ".join(f"{k} = {_hcl_string(v)}" for k, v in values.items())
            lines += [f"  {block} {{", f"    target          = {target}", "    override_during = plan",
                      f"    values          = {{ {body} }}", "  }"]
        lines.append("}")
    return "\n".join(lines) + "\n"


def _test_plans(tf: Toolchain, work: Path, env_vars: dict[str, str], var_file: Path, test_file: str,
                runs: list[str]) -> dict[str, list[dict[str, Any]]]:
    """Run the test file (in a test directory of its own: the project's tests are not ours to run); the
    resource changes of each run's plan."""
    tests = work / TEST_DIR
    tests.mkdir(exist_ok=True)
    name = "fuelflow_parity.tftest.hcl"
    (tests / name).write_text(test_file)
    out = _run(tf, ["test", "-json", "-verbose", f"-test-directory={TEST_DIR}", f"-filter={TEST_DIR}/{name}",
                    f"-var-file={var_file}"], work, env_vars, "terraform test (mock-provider plan)")
    plans: dict[str, list[dict[str, Any]]] = {}
    for line in out.splitlines():
        if '"test_plan"' in line:
            msg = json.loads(line)
            if msg.get("type") == "test_plan" and msg.get("@testrun") in runs:
                plans[msg["@testrun"]] = msg["test_plan"].get("resource_changes", [])
    missing = [r for r in runs if r not in plans]
    if missing:
        raise FuelflowError(f"parity: terraform test printed no plan for {', '.join(missing)}: {_tf_errors(out)}",
                            "check that `terraform test -json -verbose` works in terraform/")
    return plans


_PLACEHOLDER = re.compile(r"(?:arn:[a-z-]+:fuelflow:[a-z0-9-]*:\d*:|[a-z]+-)f0f0[0-9a-f]{13}")


def _replace_placeholders(value: Any, tokens: dict[str, str]) -> Any:
    if isinstance(value, dict):
        return {k: _replace_placeholders(v, tokens) for k, v in value.items()}
    if isinstance(value, list):
        return [_replace_placeholders(v, tokens) for v in value]
    if isinstance(value, str):
        return _PLACEHOLDER.sub(lambda m: tokens.get(m.group(0), m.group(0)), value)
    return value


def _merge(after: Any, unknown: Any, symbolic: Any) -> Any:
    """Planned value: configured values from the plain plan, tokens from the symbolic plan, None otherwise."""
    if unknown is True:
        return symbolic if "«tf:" in json.dumps(symbolic, ensure_ascii=False) else None
    if isinstance(after, dict) or isinstance(unknown, dict):
        a = after if isinstance(after, dict) else {}
        u = unknown if isinstance(unknown, dict) else {}
        s = symbolic if isinstance(symbolic, dict) else {}
        return {k: _merge(a.get(k), u.get(k), s.get(k)) for k in set(a) | set(u)}
    if isinstance(after, list) or isinstance(unknown, list):
        a_list = after if isinstance(after, list) else []
        u_list = unknown if isinstance(unknown, list) else []
        s_list = symbolic if isinstance(symbolic, list) else []
        n = max(len(a_list), len(u_list))
        return [_merge(a_list[i] if i < len(a_list) else None, u_list[i] if i < len(u_list) else None,
                       s_list[i] if i < len(s_list) else None) for i in range(n)]
    return after


def _ssm_tokens(modules: dict[str, _TfModule]) -> dict[str, str]:
    """Token of each SSM parameter data source -> "ssm:<parameter name>" (how templates name the AMI too)."""
    out: dict[str, str] = {}
    for maddr, module in modules.items():
        parent = modules.get(maddr.rpartition(".module.")[0] if ".module." in maddr else "") if maddr else None
        call_args = parent.calls[maddr.rsplit(".", 1)[-1]][1] if parent is not None else {}
        for (rtype, name), args in module.data_args.items():
            if rtype == "aws_ssm_parameter":
                path = _static_string(args.get("name"), module, parent, call_args)
                out[opaque(f"{maddr}.data.{rtype}.{name}".lstrip("."), engine="tf")] = f"ssm:{path or '?'}"
    return out


def planned_resources(project_dir: Path, env: Environment,
                      plugin_dir: Path | None = None) -> list[norm.Resource]:
    """The root module's resource instances planned for `env` with the mock provider (offline): values as
    configured, references to other resources as tokens «tf:address[#attr]». Also used by `fuelflow cost`."""
    return _terraform_resources(Path(project_dir), env, plugin_dir)[0]


def _terraform_resources(project_dir: Path, env: Environment,
                         explicit_plugin_dir: Path | None = None) -> tuple[list[norm.Resource], dict[str, str]]:
    """The planned resource instances, and what the SSM parameter data sources' tokens stand for."""
    tf_dir = project_dir / TF_DIR
    if not (tf_dir / "main.tf").is_file():
        raise InputError(f"no Terraform root module in {tf_dir}", "run from the project directory")
    tf = Toolchain.resolve(explicit_plugin_dir)
    modules = _tf_modules(project_dir)
    with tempfile.TemporaryDirectory(prefix="fuelflow-parity-") as tmp:
        work = sync_tree(tf_dir, Path(tmp) / TF_DIR)
        var_file = env.write_tf_vars(Path(tmp) / "parity.tfvars.json")
        env_vars = tf.env(Path(tmp))
        for key in ("TF_DATA_DIR", "TF_WORKSPACE", "TF_CLI_ARGS", "TF_CLI_ARGS_test", "TF_CLI_ARGS_init"):
            env_vars.pop(key, None)
        _run(tf, ["init", "-backend=false", "-input=false", "-no-color"], work, env_vars, "terraform init")
        # Placeholders the provider's validators accept (lt-..., sg-..., arn:...), unique, mapped back below.
        tokens: dict[str, str] = {}

        def placeholder(prefix: str, internal: str) -> str:
            text = f"{prefix}f0f0{len(tokens):013x}"
            tokens[text] = internal
            return text

        data_overrides: list[tuple[str, str, dict[str, str]]] = []
        for maddr, module in modules.items():
            for (mode, rtype, name) in module.blocks:
                if mode == "data" and rtype == "aws_ssm_parameter":
                    addr = f"{maddr}.data.{rtype}.{name}".lstrip(".")
                    value = placeholder("ami-", opaque(addr, engine="tf"))
                    data_overrides.append(("override_data", addr, {"value": value, "insecure_value": value}))

        def resource_overrides(instances: list[tuple[str, str]]) -> list[tuple[str, str, dict[str, str]]]:
            out = list(data_overrides)
            for addr, rtype in instances:
                arn_prefix = f"arn:{PARTITION}:fuelflow:{env.region}:{norm.ACCOUNT_ID}:"
                arn = placeholder(arn_prefix, opaque(addr, "arn", "tf"))
                ident = placeholder(_ID_PREFIX.get(rtype, "fftok-"), opaque(addr, engine="tf"))
                values = {"id": ident, "arn": arn}
                if rtype == "aws_kms_key":
                    values["key_id"] = ident  # what aliases name a key by
                if norm.DIMENSION_ATTRS.get(rtype) == "arn_suffix":  # the alarms' LoadBalancer/TargetGroup
                    values["arn_suffix"] = placeholder("fftok-", opaque(addr, "arn_suffix", "tf"))
                out.append(("override_resource", addr, values))
            return out

        # First the plain plan (which resource instances exist), then the symbolic one (their ids and
        # ARNs overridden with placeholders that name them).
        runs = {"plain": data_overrides}
        plans = _test_plans(tf, work, env_vars, var_file, _test_file(env, runs), list(runs))
        managed = [c for c in plans["plain"] if c.get("mode") == "managed"]
        actual = [(c["address"], c["type"]) for c in managed]
        runs = {"symbolic": resource_overrides(actual)}
        plans.update(_test_plans(tf, work, env_vars, var_file, _test_file(env, runs), ["symbolic"]))
        symbolic = {c["address"]: _replace_placeholders(c.get("change", {}).get("after"), tokens)
                    for c in plans["symbolic"]}
    out = []
    for change in managed:
        addr = change["address"]
        sym = symbolic.get(addr)
        after = _replace_placeholders(change["change"].get("after"), tokens)
        values = _merge(after, change["change"].get("after_unknown"), sym)
        owner = modules.get(change.get("module_address", ""))
        source = owner.blocks.get(("resource", change["type"], change["name"]), owner.rel) if owner else TF_DIR
        out.append(norm.Resource("tf", change["type"], addr, values or {}, source))
    return out, _ssm_tokens(modules)


# ------------------------------------------------------------------ Terraform builders


def _tf_network(model: Model, by: norm.ByKind, by_sym: norm.BySymbol, of: dict[str, str],
                ctx: norm.Context) -> None:
    for r in by.get("vpc", []):
        model.put("network.vpc.cidr", r.props.get("cidr_block"), r.source)
        dns = r.props.get("enable_dns_support")
        model.put("network.vpc.dns_support", True if dns is None else dns, r.source)
        model.put("network.vpc.dns_hostnames", bool(r.props.get("enable_dns_hostnames")), r.source)
    for r in by.get("flow-log", []):
        p = r.props
        watched = next(((kind, p[k]) for k, kind in (("vpc_id", "VPC"), ("subnet_id", "Subnet"),
                                                     ("eni_id", "NetworkInterface")) if p.get(k)), ("?", None))
        norm.put_flow_log(model, r.source, watched[1], {
            "resource_type": watched[0], "traffic": p.get("traffic_type"),
            "destination_type": p.get("log_destination_type") or "cloud-watch-logs",
            "log_group": norm.log_group_ref(p.get("log_destination") or p.get("log_group_name")),
            "role": p.get("iam_role_arn"), "max_aggregation_interval": p.get("max_aggregation_interval") or 600,
            "log_format": p.get("log_format")})
    attachments = [r for r in norm.every(by) if r.type == "aws_internet_gateway_attachment"]
    for r in by.get("igw", []):
        model.put("network.internet_gateway.attached", bool(r.props.get("vpc_id") or attachments), r.source)
    for r in by.get("nat", []):
        model.add("network.nat_gateways", of[r.key], r.source)
    for r in by.get("subnet", []):
        base = f"network.subnets[{r.props.get('cidr_block')}]"
        model.put(f"{base}.availability_zone", r.props.get("availability_zone"), r.source)
        model.put(f"{base}.public_ip_on_launch", bool(r.props.get("map_public_ip_on_launch")), r.source)
    for r in by.get("route-table", []):
        base = f"network.route_tables[{norm.symbol_key(of[r.key])}].routes"
        model.put(base, frozenset(), r.source)
        for route in norm.as_list(r.props.get("route")):
            target = next((str(route[k]) for k in ("gateway_id", "nat_gateway_id", "network_interface_id",
                                                    "transit_gateway_id", "vpc_peering_connection_id",
                                                    "vpc_endpoint_id") if route.get(k)), "?")
            model.add(base, f"{route.get('cidr_block') or route.get('ipv6_cidr_block')} -> {target}", r.source)
    for r in by.get("route", []):
        target = next((str(r.props[k]) for k in ("gateway_id", "nat_gateway_id", "network_interface_id",
                                                  "transit_gateway_id", "vpc_peering_connection_id",
                                                  "vpc_endpoint_id") if r.props.get(k)), "?")
        dest = r.props.get("destination_cidr_block") or r.props.get("destination_ipv6_cidr_block")
        table = norm.symbol_key(r.props.get("route_table_id"))
        model.add(f"network.route_tables[{table}].routes", f"{dest} -> {target}",
                  r.source)
    for r in by.get("vpc-endpoint", []):
        base = f"network.endpoints[{r.props.get('service_name')}]"
        model.put(f"{base}.type", r.props.get("vpc_endpoint_type") or "Gateway", r.source)
        model.put(f"{base}.route_tables", sorted(map(str, norm.as_list(r.props.get("route_table_ids")))), r.source)
        model.put(f"{base}.subnets", sorted(map(str, norm.as_list(r.props.get("subnet_ids")))), r.source)
        if r.props.get("policy"):
            model.put(f"{base}.policy", frozenset(norm.statements(r.props["policy"], True)), r.source)


def _bucket_of(r: norm.Resource) -> str:
    return str(r.props.get("bucket", "?")).split(":", 1)[-1]


def _tf_buckets(model: Model, by: norm.ByKind, by_sym: norm.BySymbol, of: dict[str, str],
                ctx: norm.Context) -> None:
    for r in by.get("bucket", []):
        base = f"buckets.{of[r.key].split(':', 1)[1]}"
        for key in ("encryption.algorithm", "encryption.kms_key", "ownership", "logging.target", "logging.prefix"):
            model.put(f"{base}.{key}", None, r.source)
        model.put(f"{base}.encryption.bucket_key", None, r.source)
        model.put(f"{base}.versioning", "Disabled", r.source)
        for key in ("block_public_acls", "block_public_policy", "ignore_public_acls", "restrict_public_buckets"):
            model.put(f"{base}.public_access_block.{key}", False, r.source)
        model.put(f"{base}.lifecycle", frozenset(), r.source)
        model.put(f"{base}.policy", frozenset(), r.source)
        if r.props.get("policy"):
            for st in norm.statements(r.props["policy"], True):
                model.add(f"{base}.policy", st, r.source)
    for r in norm.every(by):
        if not r.type.startswith("aws_s3_bucket_"):
            continue
        base = f"buckets.{_bucket_of(r)}"
        p = r.props
        if r.type == "aws_s3_bucket_server_side_encryption_configuration":
            rule = norm.first_block(p.get("rule"))
            sse = norm.first_block(rule.get("apply_server_side_encryption_by_default"))
            model.put(f"{base}.encryption.algorithm", sse.get("sse_algorithm"), r.source)
            model.put(f"{base}.encryption.kms_key", sse.get("kms_master_key_id"), r.source)
            model.put(f"{base}.encryption.bucket_key", rule.get("bucket_key_enabled"), r.source)
        elif r.type == "aws_s3_bucket_versioning":
            model.put(f"{base}.versioning", norm.first_block(p.get("versioning_configuration")).get("status"), r.source)
        elif r.type == "aws_s3_bucket_public_access_block":
            for key in ("block_public_acls", "block_public_policy", "ignore_public_acls", "restrict_public_buckets"):
                model.put(f"{base}.public_access_block.{key}", bool(p.get(key)), r.source)
        elif r.type == "aws_s3_bucket_ownership_controls":
            model.put(f"{base}.ownership", norm.first_block(p.get("rule")).get("object_ownership"), r.source)
        elif r.type == "aws_s3_bucket_logging":
            model.put(f"{base}.logging.target", p.get("target_bucket"), r.source)
            model.put(f"{base}.logging.prefix", p.get("target_prefix"), r.source)
        elif r.type == "aws_s3_bucket_lifecycle_configuration":
            for rule in norm.as_list(p.get("rule")):
                for action in _tf_lifecycle(rule):
                    model.add(f"{base}.lifecycle", action, r.source)
        elif r.type == "aws_s3_bucket_policy":
            for st in norm.statements(p.get("policy"), True):
                model.add(f"{base}.policy", st, r.source)


def _tf_lifecycle(rule: dict[str, Any]) -> list[str]:
    f = norm.first_block(rule.get("filter"))
    and_ = norm.first_block(f.get("and"))
    tags = [{"Key": k, "Value": v} for k, v in (and_.get("tags") or {}).items()]
    tag = norm.first_block(f.get("tag"))
    if tag:
        tags.append({"Key": tag.get("key"), "Value": tag.get("value")})
    filt = norm.lifecycle_filter(f.get("prefix") or and_.get("prefix") or rule.get("prefix"), tags,
                             f.get("object_size_greater_than") or and_.get("object_size_greater_than"),
                             f.get("object_size_less_than") or and_.get("object_size_less_than"))
    status = rule.get("status")
    out = []
    exp = norm.first_block(rule.get("expiration"))
    if exp.get("days") is not None:
        out.append(norm.lifecycle_action("expire", f"after {norm.num(exp['days'])} days", filt, status))
    if exp.get("date"):
        out.append(norm.lifecycle_action("expire", f"on {exp['date']}", filt, status))
    if exp.get("expired_object_delete_marker") is True:
        out.append(norm.lifecycle_action("remove", "expired delete markers", filt, status))
    nve = norm.first_block(rule.get("noncurrent_version_expiration"))
    if nve.get("noncurrent_days") is not None:
        keep = f", keep {norm.num(nve['newer_noncurrent_versions'])}" if nve.get("newer_noncurrent_versions") else ""
        days = norm.num(nve["noncurrent_days"])
        out.append(norm.lifecycle_action("expire noncurrent versions", f"after {days} days{keep}",
                                     filt, status))
    abort = norm.first_block(rule.get("abort_incomplete_multipart_upload"))
    if abort.get("days_after_initiation") is not None:
        out.append(norm.lifecycle_action("abort incomplete multipart uploads",
                                     f"after {norm.num(abort['days_after_initiation'])} days", filt, status))
    for t in norm.as_list(rule.get("transition")):
        detail = f"to {t.get('storage_class')} after {norm.num(t.get('days'))} days"
        out.append(norm.lifecycle_action("transition", detail, filt, status))
    for t in norm.as_list(rule.get("noncurrent_version_transition")):
        out.append(norm.lifecycle_action("transition noncurrent versions",
                                     f"to {t.get('storage_class')} after {norm.num(t.get('noncurrent_days'))} days",
                                     filt, status))
    return out


def _tf_security_groups(model: Model, by: norm.ByKind, by_sym: norm.BySymbol, of: dict[str, str],
                        ctx: norm.Context) -> None:
    for r in by.get("sg", []):
        base = f"security_groups.{of[r.key].split(':', 1)[1]}"
        model.put(f"{base}.rules", frozenset(), r.source)
        model.put(f"{base}.vpc", r.props.get("vpc_id"), r.source)
        for direction in ("ingress", "egress"):
            for rule in norm.as_list(r.props.get(direction)):
                for peer in _tf_inline_peers(rule, of[r.key]):
                    model.add(f"{base}.rules", norm.rule_line(direction, rule.get("protocol"), rule.get("from_port"),
                                                     rule.get("to_port"), peer), r.source)
    for r in norm.every(by):
        p = r.props
        if r.type in ("aws_vpc_security_group_ingress_rule", "aws_vpc_security_group_egress_rule"):
            direction = "ingress" if r.type.endswith("ingress_rule") else "egress"
            group = str(p.get("security_group_id", "?")).split(":", 1)[-1]
            peer = next((str(p[k]) for k in ("cidr_ipv4", "cidr_ipv6", "referenced_security_group_id",
                                              "prefix_list_id") if p.get(k)), "?")
            line = norm.rule_line(direction, p.get("ip_protocol"), p.get("from_port"), p.get("to_port"), peer)
            model.add(f"security_groups.{group}.rules", line, r.source)
        elif r.type == "aws_security_group_rule":
            group = str(p.get("security_group_id", "?")).split(":", 1)[-1]
            rule = {"cidr_blocks": p.get("cidr_blocks"), "ipv6_cidr_blocks": p.get("ipv6_cidr_blocks"),
                    "security_groups": [p["source_security_group_id"]] if p.get("source_security_group_id") else [],
                    "prefix_list_ids": p.get("prefix_list_ids"), "self": p.get("self")}
            for peer in _tf_inline_peers(rule, f"sg:{group}"):
                if norm.is_no_egress_sentinel(p.get("protocol"), p.get("from_port"), p.get("to_port"), peer):
                    continue
                model.add(f"security_groups.{group}.rules", norm.rule_line(str(p.get("type")), p.get("protocol"),
                                                                  p.get("from_port"), p.get("to_port"), peer),
                          r.source)


def _tf_inline_peers(rule: dict[str, Any], own: str) -> list[str]:
    peers = [str(c) for key in ("cidr_blocks", "ipv6_cidr_blocks", "security_groups", "prefix_list_ids")
             for c in norm.as_list(rule.get(key))]
    if rule.get("self"):
        peers.append(own)
    return peers


def _tf_iam(model: Model, by: norm.ByKind, by_sym: norm.BySymbol, of: dict[str, str],
            ctx: norm.Context) -> None:
    for r in by.get("role", []):
        base = f"iam.roles.{of[r.key].split(':', 1)[1]}"
        p = r.props
        model.put(f"{base}.trust", frozenset(norm.statements(p.get("assume_role_policy"), True)), r.source)
        model.put(f"{base}.managed_policies", frozenset(), r.source)
        model.put(f"{base}.permissions", frozenset(), r.source)
        model.put(f"{base}.path", p.get("path") or "/", r.source)
        model.put(f"{base}.permissions_boundary", p.get("permissions_boundary"), r.source)
        model.put(f"{base}.max_session_duration", norm.num(p.get("max_session_duration") or 3600), r.source)
        for arn in norm.as_list(p.get("managed_policy_arns")):
            _tf_attach(model, base, str(arn), by_sym, r.source)
        for pol in norm.as_list(p.get("inline_policy")):
            for st in norm.statements(pol.get("policy"), False):
                model.add(f"{base}.permissions", st, r.source)
    for r in by.get("instance-profile", []):
        base = f"iam.instance_profiles.{of[r.key].split(':', 1)[1]}"
        model.put(f"{base}.roles", [str(r.props.get("role"))] if r.props.get("role") else [], r.source)
    for r in norm.every(by):
        p = r.props
        if r.type == "aws_iam_role_policy":
            for st in norm.statements(p.get("policy"), False):
                model.add(f"iam.roles.{str(p.get('role')).split(':', 1)[-1]}.permissions", st, r.source)
        elif r.type == "aws_iam_role_policy_attachment":
            _tf_attach(model, f"iam.roles.{str(p.get('role')).split(':', 1)[-1]}", str(p.get("policy_arn")), by_sym,
                       r.source)
        elif r.type == "aws_iam_policy_attachment":
            for role in norm.as_list(p.get("roles")):
                _tf_attach(model, f"iam.roles.{str(role).split(':', 1)[-1]}", str(p.get("policy_arn")), by_sym,
                           r.source)


def _tf_attach(model: Model, base: str, arn: str, by_sym: dict[str, norm.Resource], source: str) -> None:
    if arn.startswith("arn:policy:") and arn[4:] in by_sym:
        policy = by_sym[arn[4:]]
        for st in norm.statements(policy.props.get("policy"), False):
            model.add(f"{base}.permissions", st, policy.source)
        return
    model.add(f"{base}.managed_policies", arn, source)


def _tf_ec2(model: Model, by: norm.ByKind, by_sym: norm.BySymbol, of: dict[str, str],
            ctx: norm.Context) -> None:
    lts: dict[str, dict[str, Any]] = {}
    for r in by.get("launch-template", []):
        p = r.props
        sym = of[r.key]
        profile = norm.first_block(p.get("iam_instance_profile"))
        meta = norm.first_block(p.get("metadata_options"))
        monitoring = norm.first_block(p.get("monitoring"))
        settings: dict[str, Any] = {
            "instance_type": p.get("instance_type"),
            "image": p.get("image_id"),
            "instance_profile": norm.strip_arn(profile.get("arn") or profile.get("name")),
            "security_groups": sorted(map(str, norm.as_list(p.get("vpc_security_group_ids")))),
            "metadata.http_endpoint": meta.get("http_endpoint") or "enabled",
            "metadata.http_tokens": meta.get("http_tokens") or "optional",
            "metadata.hop_limit": norm.num(meta.get("http_put_response_hop_limit") or 1),
            "metadata.instance_tags": meta.get("instance_metadata_tags") or "disabled",
            "detailed_monitoring": bool(monitoring.get("enabled")),
            "key_pair": p.get("key_name"),
        }
        for bdm in norm.as_list(p.get("block_device_mappings")):
            ebs = norm.first_block(bdm.get("ebs"))
            dev = f"volumes.{bdm.get('device_name')}"
            settings[f"{dev}.type"] = ebs.get("volume_type")
            settings[f"{dev}.size"] = norm.num(ebs.get("volume_size"))
            settings[f"{dev}.encrypted"] = norm.as_bool(ebs.get("encrypted")) is True
            settings[f"{dev}.kms_key"] = ebs.get("kms_key_id")
            dot = norm.as_bool(ebs.get("delete_on_termination"))
            settings[f"{dev}.delete_on_termination"] = True if dot is None else dot
        lts[sym] = settings
        for key, value in settings.items():
            model.put(f"ec2.launch_templates.{sym.split(':', 1)[1]}.{key}", value, r.source)
    instances = by.get("instance", [])
    for r in instances:
        lt_ref = norm.first_block(r.props.get("launch_template"))
        lt = str(lt_ref.get("id") or lt_ref.get("name") or "")
        lt_settings = lts.get(lt, {})
        base = f"ec2.instances.{of[r.key].split(':', 1)[1]}"
        model.put(f"{base}.launch_template", lt or None, r.source)
        model.put(f"{base}.subnet", r.props.get("subnet_id"), r.source)
        model.put(f"{base}.instance_type", r.props.get("instance_type") or lt_settings.get("instance_type"), r.source)
        model.put(f"{base}.image", r.props.get("ami") or lt_settings.get("image"), r.source)
    if instances:
        model.put("ec2.instance_count", len(instances), instances[0].source)


def _tf_rds(model: Model, by: norm.ByKind, by_sym: norm.BySymbol, of: dict[str, str],
            ctx: norm.Context) -> None:
    for r in by.get("db", []):
        p = r.props
        base = f"rds.{of[r.key].split(':', 1)[1]}"
        settings: dict[str, Any] = {
            "engine": p.get("engine"), "engine_version": p.get("engine_version"),
            "instance_class": p.get("instance_class"), "db_name": p.get("db_name"),
            "master_username": p.get("username"),
            "manage_master_password": bool(p.get("manage_master_user_password")),
            "port": norm.num(p.get("port")), "storage_type": p.get("storage_type"),
            "allocated_storage": norm.num(p.get("allocated_storage")),
            "max_allocated_storage": norm.num(p.get("max_allocated_storage")),
            "storage_encrypted": p.get("storage_encrypted"), "kms_key": p.get("kms_key_id"),
            "multi_az": p.get("multi_az"), "publicly_accessible": p.get("publicly_accessible"),
            "backup_retention_days": norm.num(p.get("backup_retention_period") if p.get("backup_retention_period")
                                          is not None else 1),
            "deletion_protection": p.get("deletion_protection"),
            "final_snapshot_on_delete": not p.get("skip_final_snapshot"),
            "copy_tags_to_snapshot": p.get("copy_tags_to_snapshot"),
            "auto_minor_version_upgrade": p.get("auto_minor_version_upgrade"),
            "iam_auth": p.get("iam_database_authentication_enabled"),
            "ca_certificate": p.get("ca_cert_identifier"),
            "log_exports": sorted(map(str, norm.as_list(p.get("enabled_cloudwatch_logs_exports")))),
            "monitoring_interval": norm.num(p.get("monitoring_interval")),
            "monitoring_role": p.get("monitoring_role_arn"),
            "performance_insights": p.get("performance_insights_enabled"),
            "security_groups": sorted(map(str, norm.as_list(p.get("vpc_security_group_ids")))),
            "replica_of": ctx.core(p["replicate_source_db"]) if p.get("replicate_source_db") else None,
        }
        if settings["performance_insights"]:
            settings["performance_insights_retention"] = norm.num(p.get("performance_insights_retention_period") or 7)
        group = by_sym.get(str(p.get("db_subnet_group_name")))
        settings["subnets"] = sorted(map(str, norm.as_list(group.props.get("subnet_ids")))) if group else None
        params = by_sym.get(str(p.get("parameter_group_name")))
        settings["parameter_group.family"] = params.props.get("family") if params else None
        norm.put_db(model, base, settings, r.source)
        if params:
            for prm in norm.as_list(params.props.get("parameter")):
                model.put(f"{base}.parameters.{prm.get('name')}", str(prm.get("value")), params.source)


def _tf_logs(model: Model, by: norm.ByKind, by_sym: norm.BySymbol, of: dict[str, str],
             ctx: norm.Context) -> None:
    for r in by.get("log-group", []):
        base = f"logs.log_groups[{r.props.get('name')}]"
        model.put(f"{base}.retention_days", norm.num(r.props.get("retention_in_days")), r.source)
        model.put(f"{base}.kms_key", r.props.get("kms_key_id"), r.source)
    for r in by.get("alarm", []):
        p = r.props
        math = None
        if p.get("metric_query"):
            math = []
            for q in norm.as_list(p["metric_query"]):
                metric = norm.first_block(q.get("metric"))
                math.append({"id": q.get("id"), "expression": q.get("expression") or None,
                             "return_data": bool(q.get("return_data")),
                             "namespace": metric.get("namespace"), "metric": metric.get("metric_name"),
                             "statistic": metric.get("stat"), "period": norm.num(metric.get("period")),
                             "dimensions": metric.get("dimensions") or {}})
        norm.put_alarm(model, str(p.get("alarm_name")), r.source, {
            "namespace": p.get("namespace"), "metric": p.get("metric_name"),
            "statistic": p.get("statistic") or p.get("extended_statistic"), "period": norm.num(p.get("period")),
            "evaluation_periods": norm.num(p.get("evaluation_periods")),
            "datapoints_to_alarm": norm.num(p.get("datapoints_to_alarm") or p.get("evaluation_periods")),
            "threshold": p.get("threshold"), "comparison": p.get("comparison_operator"),
            "treat_missing_data": p.get("treat_missing_data") or "missing",
            "dimensions": p.get("dimensions") or {},
            "actions": sorted(map(str, norm.as_list(p.get("alarm_actions")))),
            "ok_actions": sorted(map(str, norm.as_list(p.get("ok_actions")))),
            "actions_enabled": True if p.get("actions_enabled") is None else p.get("actions_enabled"),
            "description": p.get("alarm_description"), "math": math,
        })


_TF_FIELDS = {
    "kms-key": {"description": "description", "rotation": "enable_key_rotation",
                "deletion_window": "deletion_window_in_days", "policy": "policy"},
    "kms-alias": {"name": "name", "target": "target_key_id"},
    "topic": {"display_name": "display_name", "kms_key": "kms_master_key_id"},
    "topic-policy": {"topics": "arn", "policy": "policy"},
    "subscription": {"topic": "topic_arn", "protocol": "protocol", "endpoint": "endpoint"},
    "composite-alarm": {"name": "alarm_name", "description": "alarm_description", "rule": "alarm_rule",
                        "actions_enabled": "actions_enabled", "actions": "alarm_actions", "ok_actions": "ok_actions"},
    "dashboard": {"name": "dashboard_name", "body": "dashboard_body"},
    "ssm-parameter": {"name": "name", "type": "type", "tier": "tier", "description": "description", "value": "value"},
}


def _tf_monitoring(model: Model, by: norm.ByKind, by_sym: norm.BySymbol, of: dict[str, str],
                   ctx: norm.Context) -> None:
    norm.put_monitoring(model, by, of, ctx, _TF_FIELDS)


_TF_BUILDERS: list[norm.Builder] = [_tf_network, _tf_buckets, _tf_security_groups, _tf_iam, _tf_ec2, _tf_rds, _tf_logs,
                                   _tf_monitoring, web.tf_web]
