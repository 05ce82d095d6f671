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


def fix_conditional_exports() -> None:
    """71: an output whose Condition is false exports nothing, as in CloudFormation; moto evaluated every
    exported output, so a conditioned-out resource behind `Fn::GetAtt` failed the whole stack ("references
    undefined resource") and one behind `Ref` published a bogus export."""
    from moto.cloudformation.parsing import Export, OutputMap, clean_json

    from fuelflow.moto_fixes import _require

    _require(OutputMap, "exports", "outputs")

    def exports(self: Any) -> list[Any]:
        found = []
        conditions = self._resource_map.lazy_condition_map
        for value in (self._output_json_map or {}).values():
            if not value.get("Export"):
                continue
            if "Condition" in value and not conditions.get(value["Condition"]):
                continue
            name = clean_json(value["Export"].get("Name"), self._resource_map)
            found.append(Export(self._stack_id, name, clean_json(value.get("Value"), self._resource_map)))
        return found

    OutputMap.exports = property(exports)  # type: ignore[method-assign,assignment]


def fix_flow_log_delete() -> None:
    """72: an `AWS::EC2::FlowLog` is deleted with its stack, or when an update removes it (flow logs switched
    off); moto had no delete for it, so the flow log outlived its stack and kept pointing at a deleted group."""
    from moto.ec2.models import EC2Backend, ec2_backends
    from moto.ec2.models.flow_logs import FlowLogs

    from fuelflow.moto_fixes import NotNeeded, _require

    _require(EC2Backend, "delete_flow_logs")
    if "delete" in FlowLogs.__dict__:
        raise NotNeeded("moto deletes flow logs itself")

    def delete(self: Any, account_id: str, region_name: str) -> None:
        backend = ec2_backends[account_id][region_name]
        if self.id in backend.flow_logs:
            backend.delete_flow_logs([self.id])

    FlowLogs.delete = delete  # type: ignore[attr-defined]
