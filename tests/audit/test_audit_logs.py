"""CloudWatch Logs controls (checks/logs.py), against the emulator."""

from __future__ import annotations

import pytest
from audit_deployment import Deployment, results

from fuelflow.audit import Status


@pytest.mark.emulator
@pytest.mark.parametrize(("retention", "skip", "expected"), [
    (None, 0, Status.PASSED), (0, 0, Status.FAILED), (7, 0, Status.FAILED), (None, 1, Status.FAILED)])
def test_log_group_retention(dep: Deployment, retention: int | None, skip: int, expected: Status) -> None:
    dep.log_groups(retention=retention, skip=skip)
    found = results(dep, "FF-LOG-001")
    first = dep.names.log_groups[0]
    assert found[first].status is expected
    assert found[dep.names.log_groups[-1]].status is (Status.PASSED if skip else expected)
