"""Settings that cannot change after the first deploy (contract.yaml `after_deploy: fixed`).

A new VPC or subnet CIDR replaces the VPC or subnets, and with them the database inside: data loss. A new
region is a new environment beside the old one. Both engines compare the environment file with what is
deployed and refuse such a change before touching anything (exit 2, one line):

  CloudFormation  the deployed network stack's parameters (describe_stacks)
  Terraform       the deployed VPC and subnets, read from the environment's state in the state bucket
  both            the region the environment's EC2 role grants access to (IAM is global: found from any region)
"""

from __future__ import annotations

import json
import re
import urllib.parse
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import botocore.exceptions

from fuelflow import contract
from fuelflow.aws import AwsContext
from fuelflow.config import Environment
from fuelflow.errors import InputError

# The Terraform state addresses that hold the fixed network values, and the attribute read from them.
TF_NETWORK = {"aws_vpc": "network.vpc_cidr", "aws_subnet.public": "network.public_subnet_cidrs",
              "aws_subnet.private": "network.private_subnet_cidrs"}
_REGION_IN_ARN = re.compile(r"arn:aws[a-z-]*:(?:secretsmanager|logs|rds|ssm|kms):([a-z0-9-]+):")

Values = Mapping[str, str]


@dataclass(frozen=True)
class RefusedChange:
    """A fixed setting whose environment-file value differs from the deployed one."""

    key: str
    deployed: str
    wanted: str
    reason: str

    def error(self) -> InputError:
        return InputError(f"{self.key} cannot change on a deployed environment ({self.deployed} -> {self.wanted})",
                          f"{self.reason}; destroy (buckets are kept) and deploy again")


def _text(value: Any) -> str:
    if isinstance(value, (list, tuple)):
        return ",".join(str(v) for v in value)
    return str(value)


def wanted_values(env: Environment) -> dict[str, str]:
    """The environment file's value of every fixed setting, as text (lists comma-joined)."""
    out: dict[str, str] = {}
    for key in contract.fixed_after_deploy():
        if key == "region":
            out[key] = env.region
        elif key in ("project", "name"):
            out[key] = getattr(env, key)
        else:
            section, field = key.split(".", 1)
            out[key] = _text(getattr(getattr(env, section), field))
    return out


def refused_changes(env: Environment, deployed: Values) -> list[RefusedChange]:
    """The fixed settings whose deployed value (when known) differs from the environment file's."""
    reasons = contract.fixed_after_deploy()
    return [RefusedChange(key, deployed[key], wanted, reasons[key])
            for key, wanted in wanted_values(env).items() if deployed.get(key) not in (None, "", wanted)]


def refuse(changes: list[RefusedChange]) -> None:
    """Raise the first refused change as an InputError (exit 2), naming the others too."""
    if not changes:
        return
    error = changes[0].error()
    if len(changes) > 1:
        error.message += f" (and {', '.join(c.key for c in changes[1:])})"
    raise error


# ------------------------------------------------------------------------------------ deployed values


def cfn_deployed_values(stack: Mapping[str, Any] | None) -> dict[str, str]:
    """The fixed settings carried by a deployed stack's parameters (describe_stacks), as text."""
    if not stack:
        return {}
    params = {p["ParameterKey"]: p.get("ResolvedValue", p.get("ParameterValue", ""))
              for p in stack.get("Parameters", [])}
    out: dict[str, str] = {}
    for key in contract.fixed_after_deploy():
        spec = contract.settings().get(key)
        if spec is None or not all(p in params for p in spec.cfn):
            continue
        out[key] = ",".join(params[p] for p in spec.cfn if params[p])
    return out


def tf_deployed_values(state: Mapping[str, Any] | None) -> dict[str, str]:
    """The fixed network settings of a Terraform state (the VPC's and subnets' CIDRs), as text."""
    found: dict[str, dict[int, str]] = {}
    for resource in (state or {}).get("resources", []):
        if resource.get("mode") != "managed":
            continue
        kind = resource.get("type", "")
        key = TF_NETWORK.get(kind) or TF_NETWORK.get(f"{kind}.{resource.get('name')}")
        if key is None:
            continue
        for n, instance in enumerate(resource.get("instances", [])):
            cidr = instance.get("attributes", {}).get("cidr_block")
            if cidr:
                found.setdefault(key, {})[int(instance.get("index_key", n))] = cidr
    return {key: ",".join(v for _, v in sorted(by_index.items())) for key, by_index in found.items()}


def deployed_region(env: Environment, aws: AwsContext) -> str | None:
    """The region the environment is deployed in, from its EC2 role's inline policies (which name the
    database secret and log groups by ARN); None when the role does not exist or cannot be read."""
    iam = aws.client("iam")
    role = env.names.role("ec2")
    try:
        policies = iam.list_role_policies(RoleName=role)["PolicyNames"]
        for name in policies:
            document = iam.get_role_policy(RoleName=role, PolicyName=name)["PolicyDocument"]
            text = document if isinstance(document, str) else json.dumps(document)
            match = _REGION_IN_ARN.search(urllib.parse.unquote(text))
            if match:
                return match.group(1)
    except botocore.exceptions.ClientError:  # no such role, or no right to read it: nothing to compare
        return None
    return None


# ------------------------------------------------------------------------------------ the two checks


def check_cloudformation(env: Environment, aws: AwsContext, states: Mapping[str, Any] | None = None) -> None:
    """Refuse a fixed setting's change against the deployed CloudFormation stacks (`states`: the stack
    descriptions `Engine.check_states` already read; the network stack is described when absent)."""
    network = env.stack_name("network")
    stack = (states or {}).get(network)
    if stack is None:
        try:
            stack = aws.client("cloudformation").describe_stacks(StackName=network)["Stacks"][0]
        except botocore.exceptions.ClientError:
            stack = None
    deployed = cfn_deployed_values(stack)
    if stack is None:
        deployed["region"] = deployed_region(env, aws) or ""
    refuse(refused_changes(env, deployed))


def check_terraform(env: Environment, aws: AwsContext, state: Mapping[str, Any] | None) -> None:
    """Refuse a fixed setting's change against the environment's Terraform state (None: no state here)."""
    deployed = tf_deployed_values(state)
    if not deployed:
        deployed["region"] = deployed_region(env, aws) or ""
    refuse(refused_changes(env, deployed))
