"""A scripted CloudFormation client for what the emulator cannot produce: realistic durations,
rollbacks, replacements, ListImports. Responses use the real AWS response shapes (botocore's
service model names), so the engine reads them exactly as it reads AWS.

Used by tests/test_engine.py and benchmarks/schedule.py.
"""

from __future__ import annotations

import itertools
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from botocore.exceptions import ClientError, WaiterError


def client_error(code: str, message: str, operation: str) -> ClientError:
    return ClientError({"Error": {"Code": code, "Message": message, "Type": "Sender"},
                        "ResponseMetadata": {"HTTPStatusCode": 400}}, operation)


@dataclass
class Failure:
    """Make a stack's next operation fail at `resource` with AWS's `reason`."""

    resource: str
    resource_type: str
    reason: str


@dataclass
class FakeStack:
    name: str
    stack_id: str
    status: str
    template: str = ""
    parameters: list[dict[str, str]] = field(default_factory=list)
    tags: list[dict[str, str]] = field(default_factory=list)
    outputs: list[dict[str, str]] = field(default_factory=list)
    events: list[dict[str, Any]] = field(default_factory=list)
    resources: list[dict[str, Any]] = field(default_factory=list)
    busy_until: float = 0.0
    final_status: str = ""
    status_reason: str = ""


@dataclass
class FakeChangeSet:
    arn: str
    stack: str
    kind: str
    template: str
    parameters: list[dict[str, str]]
    tags: list[dict[str, str]]
    changes: list[dict[str, Any]]
    status: str = "CREATE_COMPLETE"
    reason: str = ""


class FakeCloudFormation:
    """Just enough of the CloudFormation API for the engine, with scripted timing and failures."""

    def __init__(self, durations: dict[str, float] | None = None, failures: dict[str, Failure] | None = None,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.durations = durations or {}
        self.failures = failures or {}
        self.clock = clock
        self.stacks: dict[str, FakeStack] = {}
        self.change_sets: dict[str, FakeChangeSet] = {}
        self.imports: dict[str, list[str]] = {}  # export name -> importing stacks
        # stack -> exports it stops importing once its update completes (its new template drops the import)
        self.imports_dropped_by_update: dict[str, set[str]] = {}
        self.changes_for_update: dict[str, list[dict[str, Any]]] = {}
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self.started: dict[str, float] = {}
        self.finished: dict[str, float] = {}
        self.outputs_for: dict[str, list[dict[str, str]]] = {}
        self._lock = threading.RLock()
        self._ids = itertools.count(1)

    # -- helpers for tests
    def add_stack(self, name: str, status: str, **kw: Any) -> FakeStack:
        st = FakeStack(name, f"arn:aws:cloudformation:us-east-1:123456789012:stack/{name}/{uuid.uuid4()}", status, **kw)
        self.stacks[name] = st
        return st

    def _record(self, op: str, kw: dict[str, Any]) -> None:
        with self._lock:
            self.calls.append((op, kw))

    def _event(self, st: FakeStack, logical: str, rtype: str, status: str, reason: str = "") -> None:
        ev = {"StackId": st.stack_id, "EventId": str(next(self._ids)), "StackName": st.name,
              "LogicalResourceId": logical, "ResourceType": rtype, "ResourceStatus": status,
              "Timestamp": datetime.now(timezone.utc)}
        if reason:
            ev["ResourceStatusReason"] = reason
        st.events.insert(0, ev)  # newest first, as AWS returns them

    def _advance(self, st: FakeStack) -> None:
        if st.final_status and st.status.endswith("_IN_PROGRESS") and self.clock() >= st.busy_until:
            fail = self.failures.pop(st.name, None)
            if fail is not None and st.final_status != "DELETE_COMPLETE":
                self._event(st, fail.resource, fail.resource_type,
                            "CREATE_FAILED" if st.status.startswith("CREATE") else "UPDATE_FAILED", fail.reason)
                st.status = "ROLLBACK_COMPLETE" if st.status.startswith("CREATE") else "UPDATE_ROLLBACK_COMPLETE"
            elif (in_use := self._exports_in_use(st)) and st.final_status == "UPDATE_COMPLETE":
                # AWS: an update may not remove an export another stack still imports
                export, importer = in_use  # AWS gives the reason on the stack (UPDATE_ROLLBACK_IN_PROGRESS)
                st.status_reason = f"Export {export} cannot be deleted as it is in use by {importer}"
                self._event(st, st.name, "AWS::CloudFormation::Stack", "UPDATE_ROLLBACK_IN_PROGRESS",
                            st.status_reason)
                st.status = "UPDATE_ROLLBACK_COMPLETE"
            else:
                st.status = st.final_status
                if st.status != "DELETE_COMPLETE":
                    st.outputs = self.outputs_for.get(st.name, st.outputs)
                if st.status == "UPDATE_COMPLETE":
                    for export in self.imports_dropped_by_update.pop(st.name, set()):
                        self.imports[export] = [i for i in self.imports.get(export, []) if i != st.name]
            self._event(st, st.name, "AWS::CloudFormation::Stack", st.status)
            self.finished[st.name] = self.clock()

    def _exports_in_use(self, st: FakeStack) -> tuple[str, str] | None:
        """(export, importer) when the stack's new outputs drop an export another stack still imports."""
        if st.name not in self.outputs_for:
            return None
        kept = {o.get("ExportName") for o in self.outputs_for[st.name]}
        for out in st.outputs:
            export = out.get("ExportName")
            if export and export not in kept:
                for importer in self.imports.get(export, []):
                    if importer != st.name:
                        return export, importer
        return None

    # -- API
    def describe_stacks(self, **kw: Any) -> dict[str, Any]:
        self._record("DescribeStacks", kw)
        with self._lock:
            name = kw.get("StackName")
            if name is None:
                stacks = list(self.stacks.values())
            else:
                st = self.stacks.get(name) or next((s for s in self.stacks.values() if s.stack_id == name), None)
                if st is None or st.status == "DELETE_COMPLETE":
                    raise client_error("ValidationError", f"Stack with id {name} does not exist", "DescribeStacks")
                stacks = [st]
            for st in stacks:
                self._advance(st)
            return {"Stacks": [{"StackId": s.stack_id, "StackName": s.name, "StackStatus": s.status,
                                "CreationTime": datetime.now(timezone.utc), "Parameters": s.parameters,
                                "Tags": s.tags, "Outputs": s.outputs,
                                **({"StackStatusReason": s.status_reason} if s.status_reason else {})}
                               for s in stacks]}

    def get_template(self, **kw: Any) -> dict[str, Any]:
        self._record("GetTemplate", kw)
        return {"TemplateBody": self.stacks[kw["StackName"]].template, "StagesAvailable": ["Original", "Processed"]}

    def create_change_set(self, **kw: Any) -> dict[str, Any]:
        self._record("CreateChangeSet", kw)
        with self._lock:
            name = kw["StackName"]
            if kw["ChangeSetType"] == "CREATE":
                if name in self.stacks and self.stacks[name].status != "DELETE_COMPLETE":
                    raise client_error("AlreadyExistsException", f"Stack [{name}] already exists", "CreateChangeSet")
                self.add_stack(name, "REVIEW_IN_PROGRESS")
            st = self.stacks[name]
            arn = f"arn:aws:cloudformation:us-east-1:123456789012:changeSet/{kw['ChangeSetName']}/{uuid.uuid4()}"
            changes = self.changes_for_update.get(name, []) if kw["ChangeSetType"] == "UPDATE" else \
                [{"Type": "Resource", "ResourceChange": {"Action": "Add", "LogicalResourceId": "R",
                                                         "ResourceType": "AWS::SNS::Topic"}}]
            cs = FakeChangeSet(arn, name, kw["ChangeSetType"], kw["TemplateBody"], kw.get("Parameters", []),
                               kw.get("Tags", []), changes)
            if not changes:
                cs.status, cs.reason = "FAILED", ("The submitted information didn't contain changes. "
                                                  "Submit different information to create a change set.")
            self.change_sets[arn] = cs
            return {"Id": arn, "StackId": st.stack_id}

    def describe_change_set(self, **kw: Any) -> dict[str, Any]:
        self._record("DescribeChangeSet", kw)
        cs = self.change_sets[kw["ChangeSetName"]]
        return {"ChangeSetId": cs.arn, "StackName": cs.stack, "Status": cs.status, "StatusReason": cs.reason,
                "ExecutionStatus": "AVAILABLE" if cs.status == "CREATE_COMPLETE" else "UNAVAILABLE",
                "Changes": cs.changes}

    def get_waiter(self, name: str) -> Any:
        assert name == "change_set_create_complete", name
        fake = self

        class _Waiter:
            def wait(self, **kw: Any) -> None:
                resp = fake.describe_change_set(ChangeSetName=kw["ChangeSetName"], StackName=kw["StackName"])
                if resp["Status"] == "FAILED":
                    raise WaiterError("ChangeSetCreateComplete", "Waiter encountered a terminal failure state",
                                      resp)

        return _Waiter()

    def delete_change_set(self, **kw: Any) -> dict[str, Any]:
        self._record("DeleteChangeSet", kw)
        self.change_sets.pop(kw["ChangeSetName"], None)
        return {}

    def execute_change_set(self, **kw: Any) -> dict[str, Any]:
        self._record("ExecuteChangeSet", kw)
        with self._lock:
            cs = self.change_sets.pop(kw["ChangeSetName"])
            st = self.stacks[cs.stack]
            st.template, st.parameters, st.tags = cs.template, cs.parameters, cs.tags
            st.status = "CREATE_IN_PROGRESS" if cs.kind == "CREATE" else "UPDATE_IN_PROGRESS"
            st.final_status = "CREATE_COMPLETE" if cs.kind == "CREATE" else "UPDATE_COMPLETE"
            st.busy_until = self.clock() + self.durations.get(st.name, 0.0)
            self.started[st.name] = self.clock()
            self._event(st, st.name, "AWS::CloudFormation::Stack", st.status, "User Initiated")
            return {}

    def delete_stack(self, **kw: Any) -> dict[str, Any]:
        self._record("DeleteStack", kw)
        with self._lock:
            st = self.stacks[kw["StackName"]]
            st.status, st.final_status = "DELETE_IN_PROGRESS", "DELETE_COMPLETE"
            st.busy_until = self.clock() + self.durations.get(st.name, 0.0)
            self.started[st.name] = self.clock()
            return {}

    def describe_stack_events(self, **kw: Any) -> dict[str, Any]:
        self._record("DescribeStackEvents", kw)
        with self._lock:
            st = self.stacks.get(kw["StackName"])
            if st is None:
                raise client_error("ValidationError", f"Stack [{kw['StackName']}] does not exist",
                                   "DescribeStackEvents")
            return {"StackEvents": list(st.events)}

    def describe_stack_resources(self, **kw: Any) -> dict[str, Any]:
        self._record("DescribeStackResources", kw)
        return {"StackResources": list(self.stacks[kw["StackName"]].resources)}

    def list_imports(self, **kw: Any) -> dict[str, Any]:
        self._record("ListImports", kw)
        importers = self.imports.get(kw["ExportName"], [])
        if not importers:
            raise client_error("ValidationError", f"Export '{kw['ExportName']}' is not imported by any stack.",
                               "ListImports")
        return {"Imports": importers}

    def list_exports(self, **kw: Any) -> dict[str, Any]:
        self._record("ListExports", kw)
        with self._lock:
            return {"Exports": [{"ExportingStackId": st.stack_id, "Name": o["ExportName"], "Value": o["OutputValue"]}
                                for st in self.stacks.values() if st.status != "DELETE_COMPLETE"
                                for o in st.outputs if o.get("ExportName")]}

    def get_paginator(self, name: str) -> Any:
        method = getattr(self, name)

        class _Paginator:
            def paginate(self, **kw: Any) -> Iterator[dict[str, Any]]:
                yield method(**kw)

        return _Paginator()
