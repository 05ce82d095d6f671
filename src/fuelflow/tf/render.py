"""The files fuelflow writes into a Terraform work copy (never into terraform/ itself; .gitignore lists the
patterns): the emulator's provider override for `--target local`, the backend overrides and the
`-backend-config` file, the teardown override of `unbootstrap`. Rendered from Python values as HCL."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

PROVIDER_OVERRIDE = "fuelflow_override.tf"
BACKEND_OVERRIDE = "fuelflow_backend_override.tf"
TEARDOWN_OVERRIDE = "fuelflow_teardown_override.tf"
LOCAL_STATE = "terraform.tfstate"

# Services whose endpoint the local override redirects to the emulator (provider `endpoints` keys).
LOCAL_ENDPOINT_SERVICES = (
    "acm", "apigateway", "autoscaling", "cloudformation", "cloudtrail", "cloudwatch", "dynamodb", "ec2",
    "ecr", "ecs", "elb", "elbv2", "events", "iam", "kms", "lambda", "logs", "rds", "route53", "s3",
    "s3control", "secretsmanager", "sns", "sqs", "ssm", "sts",
)


def hcl_value(value: Any, indent: int = 0) -> str:
    """A Python value as an HCL expression (strings, numbers, bools, lists, maps)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return str(value)
    if isinstance(value, str):
        return json.dumps(value)
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(hcl_value(v) for v in value) + "]"
    if isinstance(value, dict):
        pad = "  " * (indent + 1)
        width = max((len(k) for k in value), default=0)
        body = "".join(f"{pad}{k.ljust(width)} = {hcl_value(v, indent + 1)}\n" for k, v in value.items())
        return "{\n" + body + "  " * indent + "}"
    raise TypeError(f"cannot render {type(value).__name__} as HCL")


def hcl_attributes(values: dict[str, Any], indent: int = 0) -> str:
    pad = "  " * indent
    width = max((len(k) for k in values), default=0)
    return "".join(f"{pad}{k.ljust(width)} = {hcl_value(v, indent)}\n" for k, v in values.items())


def render_local_override(endpoint_url: str, aliases: Sequence[str | None] = (None,)) -> str:
    """The provider override for `--target local` (what tflocal writes): every AWS call goes to the
    emulator, with the emulator's fixed credentials and no account or metadata checks.

    One block per `provider "aws"` configuration of the root (aliases included): an override file may
    only override blocks that exist.
    """
    from fuelflow.emulator import LOCAL_CREDENTIALS  # the emulator (and moto's fixes) load only when used

    blocks = ["# Written by fuelflow for --target local; never committed (see .gitignore).\n"]
    endpoints = {service: endpoint_url for service in LOCAL_ENDPOINT_SERVICES}
    for alias in aliases:
        settings: dict[str, Any] = {}
        if alias:
            settings["alias"] = alias
        settings.update({
            "access_key": LOCAL_CREDENTIALS["aws_access_key_id"],
            "secret_key": LOCAL_CREDENTIALS["aws_secret_access_key"],
            "s3_use_path_style": True,
            "skip_credentials_validation": True,
            "skip_metadata_api_check": True,
            "skip_region_validation": True,
        })
        blocks.append('provider "aws" {\n' + hcl_attributes(settings, 1) + "\n  endpoints {\n"
                      + hcl_attributes(endpoints, 2) + "  }\n}\n")
    return "\n".join(blocks)


def render_backend_override(kind: str) -> str:
    """Force the root's backend: `local` (bootstrap, first apply) or an `s3` block to fill by -backend-config."""
    body = f'  backend "{kind}" {{\n    path = "{LOCAL_STATE}"\n  }}\n' if kind == "local" else '  backend "s3" {}\n'
    return "# Written by fuelflow: which backend this run uses.\nterraform {\n" + body + "}\n"


def render_teardown_override(resources: Sequence[tuple[str, str]]) -> str:
    """Lift the guards of the state backend's resources, for `unbootstrap` only (after its own checks).

    Override files merge lifecycle settings argument by argument, so `prevent_destroy = false` here
    wins over the module's `true` without editing the module.
    """
    parts = ["# Written by fuelflow tf unbootstrap: the guards below are lifted for this teardown only.\n"]
    for rtype, name in resources:
        if rtype == "aws_s3_bucket":
            body = "  force_destroy = true\n\n  lifecycle {\n    prevent_destroy = false\n  }\n"
        else:
            body = "  deletion_protection_enabled = false\n"
        parts.append(f'resource "{rtype}" "{name}" {{\n{body}}}\n')
    return "\n".join(parts)
