"""Monitoring controls (checks/monitoring.py), against the emulator: a compliant and a non-compliant
deployment each."""

from __future__ import annotations

import pytest
from audit_deployment import Deployment, results

from fuelflow.audit import Status


@pytest.fixture
def dep(dep: Deployment) -> Deployment:
    """The log groups make the environment count as deployed (the audit refuses an empty one)."""
    dep.log_groups()
    return dep


@pytest.mark.emulator
def test_alarms_with_alarm_and_ok_actions_pass(dep: Deployment) -> None:
    dep.monitoring()
    found = results(dep, "FF-MON-001")
    assert set(found) == {f"{dep.names.alarm_prefix}rds-cpu-high", f"{dep.names.alarm_prefix}rds-storage-low",
                          dep.names.unhealthy_alarm}  # the composite is an alarm of the environment too
    assert {r.status for r in found.values()} == {Status.PASSED}


@pytest.mark.emulator
def test_an_alarm_without_ok_actions_fails(dep: Deployment) -> None:
    dep.monitoring(ok_actions=False)
    found = results(dep, "FF-MON-001")
    bad = found[f"{dep.names.alarm_prefix}rds-storage-low"]
    assert bad.status is Status.FAILED and "no OK action" in bad.detail
    assert found[f"{dep.names.alarm_prefix}rds-cpu-high"].status is Status.PASSED


@pytest.mark.emulator
def test_no_alarm_at_all_fails(dep: Deployment) -> None:
    found = results(dep, "FF-MON-001")
    assert [r.status for r in found.values()] == [Status.FAILED]


@pytest.mark.emulator
def test_topic_encrypted_with_a_key_cloudwatch_may_use_passes(dep: Deployment) -> None:
    dep.monitoring()
    found = results(dep, "FF-MON-002")
    assert found[dep.names.alerts_topic].status is Status.PASSED


@pytest.mark.emulator
@pytest.mark.parametrize(("kwargs", "detail"), [
    ({"key": "none"}, "not encrypted"),
    ({"key": "aws"}, "alias/aws/sns"),
    ({"cloudwatch_may_use_key": False}, "does not let cloudwatch.amazonaws.com"),
])
def test_topic_whose_notifications_cloudwatch_cannot_encrypt_fails(dep: Deployment, kwargs: dict[str, object],
                                                                    detail: str) -> None:
    dep.monitoring(**kwargs)  # type: ignore[arg-type]
    found = results(dep, "FF-MON-002")
    assert found[dep.names.alerts_topic].status is Status.FAILED
    assert detail in found[dep.names.alerts_topic].detail


@pytest.mark.emulator
def test_composite_alarm_covering_every_alarm_passes(dep: Deployment) -> None:
    dep.monitoring()
    found = results(dep, "FF-MON-003")
    assert found[dep.names.unhealthy_alarm].status is Status.PASSED


@pytest.mark.emulator
@pytest.mark.parametrize(("kwargs", "detail"), [
    ({"composite": False}, "not found"),
    ({"composite_covers_all": False}, "leaves out"),
])
def test_missing_or_partial_composite_alarm_fails(dep: Deployment, kwargs: dict[str, bool], detail: str) -> None:
    dep.monitoring(**kwargs)
    found = results(dep, "FF-MON-003")
    assert found[dep.names.unhealthy_alarm].status is Status.FAILED
    assert detail in found[dep.names.unhealthy_alarm].detail
