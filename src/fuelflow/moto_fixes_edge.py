"""Emulator fixes 70-79 (database, network and edge options of the production profile).

Registered in `fuelflow.moto_fixes.FIXES` and described in its docstring, with their plain-moto tests in
tests/test_moto_without_fixes.py.
"""

from __future__ import annotations

from typing import Any

PI_KEYS = ("enable_performance_insights", "performance_insights_retention_period")


def _set_performance_insights(db: Any, enabled: Any, retention: Any) -> None:
    if enabled is not None:
        db.performance_insights_enabled = enabled is True or str(enabled).lower() == "true"
        if not db.performance_insights_enabled:
            db.performance_insights_retention_period = None
    if retention is not None and getattr(db, "performance_insights_enabled", False):
        db.performance_insights_retention_period = int(retention)


def fix_performance_insights() -> None:
    """70: RDS keeps Performance Insights (EnablePerformanceInsights, PerformanceInsightsRetentionPeriod) on
    CreateDBInstance, CreateDBInstanceReadReplica, ModifyDBInstance and the CloudFormation resource, and reports
    them in DescribeDBInstances; moto dropped both, so a class that offers it always read back "off"."""
    from moto.rds.models import DBInstance, RDSBackend

    from fuelflow.moto_fixes import NotNeeded, _require

    _require(RDSBackend, "create_db_instance", "create_db_instance_read_replica", "modify_db_instance")
    _require(DBInstance, "create_from_cloudformation_json")
    if hasattr(DBInstance, "performance_insights_enabled"):
        raise NotNeeded("moto's DBInstance models Performance Insights")

    def wrap(name: str) -> None:
        original = getattr(RDSBackend, name)

        def patched(self: Any, *args: Any) -> Any:
            kwargs: dict[str, Any] = args[-1]
            db = original(self, *args)
            _set_performance_insights(db, kwargs.get(PI_KEYS[0]), kwargs.get(PI_KEYS[1]))
            return db

        setattr(RDSBackend, name, patched)

    for name in ("create_db_instance", "create_db_instance_read_replica", "modify_db_instance"):
        wrap(name)

    original_cfn = DBInstance.create_from_cloudformation_json.__func__  # type: ignore[attr-defined]

    def create_from_cloudformation_json(cls: Any, resource_name: str, cloudformation_json: Any, account_id: str,
                                        region_name: str, **kwargs: Any) -> Any:
        props = cloudformation_json.get("Properties", {})
        db = original_cfn(cls, resource_name, cloudformation_json, account_id, region_name, **kwargs)
        _set_performance_insights(db, props.get("EnablePerformanceInsights", False),
                                  props.get("PerformanceInsightsRetentionPeriod"))
        return db

    DBInstance.create_from_cloudformation_json = classmethod(create_from_cloudformation_json)  # type: ignore[assignment,arg-type]
