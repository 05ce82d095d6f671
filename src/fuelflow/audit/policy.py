"""Reading IAM and S3 policy documents, which the S3 and IAM checks both judge."""

from __future__ import annotations

import ast
import json
from typing import Any

from fuelflow.audit.context import Unanswerable


def as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return list(value) if isinstance(value, list) else [value]


def parse_policy(document: Any) -> dict[str, Any]:
    """A policy document as a dict. boto3 decodes IAM's documents; moto's CloudFormation engine returns
    inline policies as Python literal text instead of JSON, which `ast.literal_eval` reads safely."""
    if isinstance(document, dict):
        return document
    if isinstance(document, str):
        for parse in (json.loads, ast.literal_eval):
            try:
                value = parse(document)
            except (ValueError, SyntaxError):
                continue
            if isinstance(value, dict):
                return value
    raise Unanswerable(f"the target returned a policy document that cannot be read: {str(document)[:60]!r}")


def statements(document: dict[str, Any]) -> list[dict[str, Any]]:
    return [s for s in as_list(document.get("Statement")) if isinstance(s, dict)]

