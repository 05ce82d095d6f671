"""Shared fixtures: the project root and one embedded emulator per test process."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from fuelflow.aws import AwsContext, Target, connect
from fuelflow.emulator import Emulator

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session")
def project_dir() -> Path:
    """The repository root (holds environments/, cloudformation/, terraform/)."""
    return ROOT


@pytest.fixture(scope="session")
def emulator() -> Iterator[Emulator]:
    """One moto server on 127.0.0.1 for the whole test process."""
    with Emulator() as emu:
        yield emu


@pytest.fixture
def aws(emulator: Emulator) -> AwsContext:
    """A boto3 context pointed at the shared emulator (us-east-1)."""
    return connect(Target(kind="local", endpoint_url=emulator.endpoint_url), "us-east-1")


@pytest.fixture(scope="module")
def fresh_emulator(emulator: Emulator) -> Emulator:
    """The shared emulator, emptied first: for modules that deploy a whole environment.

    moto keeps one global state per process, so whole-environment tests (CloudFormation, Terraform)
    would otherwise see each other's retained buckets and roles.
    """
    emulator.reset()
    return emulator
