"""Fixtures of the audit tests: one boto3 context per module and a fresh environment per test."""

from __future__ import annotations

import pytest
from audit_deployment import Deployment, make_env

from fuelflow.aws import AwsContext, Target, connect
from fuelflow.emulator import Emulator


@pytest.fixture(scope="module")
def aws(emulator: Emulator) -> AwsContext:
    """One AwsContext for the module (overrides conftest's per-test one): building boto3 clients costs
    about a second per test otherwise. Tests stay apart through their unique project names."""
    return connect(Target(kind="local", endpoint_url=emulator.endpoint_url), "us-east-1")


@pytest.fixture
def dep(aws: AwsContext) -> Deployment:
    return Deployment(aws, make_env())
