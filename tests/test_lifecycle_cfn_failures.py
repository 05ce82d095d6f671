"""Failed and refused CloudFormation updates on the emulator: never a 500, always a rolled-back stack that stays
describable and deployable, with the failing resource and its reason; change sets that name what they replace;
the emulator's own failures logged with their traceback; `fuelflow local` on a busy port."""

from __future__ import annotations

import json
import logging
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.parsers import ResponseParserError
from moto.ec2.models.instances import Instance

from cfn_lifecycle import Deployed
from fuelflow.cli import main
from fuelflow.emulator import SERVER_ERRORS, Emulator, free_port, wait_until_reachable
from fuelflow.moto_fixes import _refers_to

pytestmark = pytest.mark.emulator


def client(emulator: Emulator, service: str = "cloudformation") -> Any:
    return boto3.client(service, endpoint_url=emulator.endpoint_url, region_name="us-east-1",
                        aws_access_key_id="test", aws_secret_access_key="test")


def change_set(cfn: Any, stack: str, body: dict[str, Any], kind: str, **params: str) -> dict[str, Any]:
    """Create a change set, wait for it, describe it (the description, FAILED ones included)."""
    arn = cfn.create_change_set(StackName=stack, ChangeSetName=f"cs{time.monotonic_ns()}", ChangeSetType=kind,
                                TemplateBody=json.dumps(body),
                                Parameters=[{"ParameterKey": k, "ParameterValue": v} for k, v in params.items()])["Id"]
    description: dict[str, Any] = cfn.describe_change_set(ChangeSetName=arn, StackName=stack)
    return description


def execute(cfn: Any, description: dict[str, Any]) -> dict[str, Any]:
    cfn.execute_change_set(ChangeSetName=description["ChangeSetId"], StackName=description["StackName"])
    stack: dict[str, Any] = cfn.describe_stacks(StackName=description["StackName"])["Stacks"][0]
    return stack


def groups(name: str) -> dict[str, Any]:
    """A template: a custom-named group, an unnamed one, and an SSH rule that a condition adds."""
    body: dict[str, Any] = json.loads(json.dumps(GROUPS))
    body["Resources"]["Named"]["Properties"]["GroupName"] = name
    return body


GROUPS: dict[str, Any] = {
    "Parameters": {"Description": {"Type": "String"}, "WithRule": {"Type": "String", "Default": "no"}},
    "Conditions": {"HasRule": {"Fn::Equals": [{"Ref": "WithRule"}, "yes"]}},
    "Resources": {
        "Named": {"Type": "AWS::EC2::SecurityGroup",
                  "Properties": {"GroupName": "named-group", "GroupDescription": {"Ref": "Description"}}},
        "Unnamed": {"Type": "AWS::EC2::SecurityGroup",
                    "Properties": {"GroupDescription": "unnamed", "Tags": [{"Key": "K", "Value": "v1"}]}},
        "Rule": {"Type": "AWS::EC2::SecurityGroupIngress", "Condition": "HasRule",
                 "Properties": {"GroupId": {"Fn::GetAtt": ["Unnamed", "GroupId"]}, "IpProtocol": "tcp",
                                "FromPort": 22, "ToPort": 22, "CidrIp": "192.0.2.0/24"}},
    },
    "Outputs": {"UnnamedId": {"Value": {"Ref": "Unnamed"}}},
}


def test_change_set_lists_add_modify_remove_with_replacement(emulator: Emulator) -> None:
    """Regression: moto listed 0 changes for a parameter change and ignored conditions."""
    cfn = client(emulator)
    execute(cfn, change_set(cfn, "groups", groups("group-a"), "CREATE", Description="first"))
    body = groups("group-a")
    body["Resources"]["Unnamed"]["Properties"]["GroupDescription"] = "unnamed, second"
    body["Resources"]["Unnamed"]["Properties"]["Tags"][0]["Value"] = "v2"
    described = change_set(cfn, "groups", body, "UPDATE", Description="first", WithRule="yes")
    changes = {c["ResourceChange"]["LogicalResourceId"]: c["ResourceChange"] for c in described["Changes"]}
    assert set(changes) == {"Unnamed", "Rule"}  # Named is unchanged
    assert changes["Rule"]["Action"] == "Add"
    unnamed = changes["Unnamed"]
    assert (unnamed["Action"], unnamed["Replacement"], sorted(unnamed["Scope"])) == ("Modify", "True",
                                                                                      ["Properties", "Tags"])
    assert {(d["Target"].get("Name"), d["Target"]["RequiresRecreation"]) for d in unnamed["Details"]} == {
        ("GroupDescription", "Always"), ("Tags", "Never")}
    old_id = cfn.describe_stacks(StackName="groups")["Stacks"][0]["Outputs"][0]["OutputValue"]
    assert execute(cfn, described)["StackStatus"] == "UPDATE_COMPLETE"
    new_id = cfn.describe_stacks(StackName="groups")["Stacks"][0]["Outputs"][0]["OutputValue"]
    assert new_id != old_id  # replaced: created anew, the old group deleted in the cleanup
    ec2 = client(emulator, "ec2")
    assert [g["GroupId"] for g in ec2.describe_security_groups(
        Filters=[{"Name": "group-id", "Values": [old_id]}])["SecurityGroups"]] == []
    rules = ec2.describe_security_groups(GroupIds=[new_id])["SecurityGroups"][0]["IpPermissions"]
    assert [r["IpRanges"][0]["CidrIp"] for r in rules if r.get("FromPort") == 22] == ["192.0.2.0/24"]

    removed = change_set(cfn, "groups", body, "UPDATE", Description="first", WithRule="no")
    assert [(c["ResourceChange"]["Action"], c["ResourceChange"]["LogicalResourceId"]) for c in removed["Changes"]] \
        == [("Remove", "Rule")]
    execute(cfn, removed)
    rules = ec2.describe_security_groups(GroupIds=[new_id])["SecurityGroups"][0]["IpPermissions"]
    assert [r for r in rules if r.get("FromPort") == 22] == []  # revoked (moto left the rule behind)


def test_named_resource_replacement_fails_and_rolls_back(emulator: Emulator) -> None:
    """A create-only change to a custom-named resource fails as on AWS; the stack rolls back, nothing 500s."""
    cfn = client(emulator)
    execute(cfn, change_set(cfn, "named", groups("group-b"), "CREATE", Description="first"))
    described = change_set(cfn, "named", groups("group-b"), "UPDATE", Description="second")
    named = described["Changes"][0]["ResourceChange"]
    assert (named["LogicalResourceId"], named["Replacement"]) == ("Named", "True")
    stack = execute(cfn, described)
    assert stack["StackStatus"] == "UPDATE_ROLLBACK_COMPLETE"
    failed = [e for e in cfn.describe_stack_events(StackName="named")["StackEvents"]
              if e["ResourceStatus"] == "UPDATE_FAILED"]
    assert failed[0]["LogicalResourceId"] == "Named"
    assert "custom-named resource requires replacing" in failed[0]["ResourceStatusReason"]
    assert {p["ParameterKey"]: p["ParameterValue"] for p in stack["Parameters"]}["Description"] == "first"
    found = client(emulator, "ec2").describe_security_groups(GroupNames=["group-b"])["SecurityGroups"]
    assert [g["Description"] for g in found] == ["first"]


def test_failed_create_rolls_back_instead_of_500(emulator: Emulator) -> None:
    """Regression: an exception while executing a change set answered 500 and left the stack half-made."""
    cfn = client(emulator)
    body = {"Resources": {"Rule": {"Type": "AWS::EC2::SecurityGroupIngress",
                                   "Properties": {"GroupId": "sg-00000000000000000", "IpProtocol": "tcp",
                                                  "FromPort": 22, "ToPort": 22, "CidrIp": "192.0.2.0/24"}}}}
    stack = execute(cfn, change_set(cfn, "broken", body, "CREATE"))
    assert stack["StackStatus"] == "ROLLBACK_COMPLETE"
    reasons = [e.get("ResourceStatusReason", "") for e in cfn.describe_stack_events(StackName="broken")["StackEvents"]
               if e["ResourceStatus"] == "CREATE_FAILED"]
    assert reasons and "sg-00000000000000000" in reasons[0]


def test_failed_update_rolls_back_and_stays_deployable(emulator: Emulator, project_dir: Path, tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    """An update whose resource update raises: deploy says what failed, the stack is UPDATE_ROLLBACK_COMPLETE
    with everything as before (the replacement instance deleted, the log retention put back), the emulator
    keeps answering, and the next deploy succeeds.

    Two servers, a new instance type: server 1 is replaced, then replacing server 2 fails (injected), so the
    rollback has a replacement to delete and a log group to put back. (Until issue 9 the failure was injected in
    server 1's CPU alarm, updated after the server in the same stack; the alarms live in the monitoring stack now.)
    """
    env = Deployed.fresh(emulator, project_dir, tmp_path)
    env.set(ec2__instance_count=2)
    env.deploy()
    outputs = env.outputs("ec2")
    first = {outputs["Instance1Id"], outputs["Instance2Id"]}
    assert {i["InstanceId"] for i in env.running_web_servers()} == first

    create = Instance.create_from_cloudformation_json

    def broken(cls: Any, *args: Any, **kwargs: Any) -> Any:
        if kwargs.get("LogicalId") == "Instance2":
            raise RuntimeError("injected failure")
        return create(*args, **kwargs)

    monkeypatch.setattr(Instance, "create_from_cloudformation_json", classmethod(broken))
    env.set(ec2__instance_type="t3.small", logs__retention_days=14)
    code, report, err = env.cli("deploy", "--yes")
    assert code == 1
    ec2_result = {s["stack"]: s for s in report["stacks"]}["fuel-flow-ec2-dev"]
    assert ec2_result["status"] == "UPDATE_ROLLBACK_COMPLETE"
    assert "Instance2" in ec2_result["failed_resource"] and "injected failure" in ec2_result["reason"]
    assert "FAILED UPDATE_ROLLBACK_COMPLETE at Instance2" in err
    assert env.status("ec2") == "UPDATE_ROLLBACK_COMPLETE"
    events = env.client("cloudformation").describe_stack_events(StackName="fuel-flow-ec2-dev")["StackEvents"]
    replaced = [e for e in events if e["LogicalResourceId"] == "Instance1" and e["ResourceStatus"] == "UPDATE_COMPLETE"]
    assert replaced  # server 1 was replaced before server 2 failed: the rollback had something to undo
    servers = env.running_web_servers()
    assert {(i["InstanceId"], i["InstanceType"]) for i in servers} == {(i, "t3.micro") for i in first}
    groups = env.client("logs").describe_log_groups(logGroupNamePrefix="/fuel-flow/dev/")["logGroups"]
    assert {g["retentionInDays"] for g in groups} == {30}
    assert {env.outputs("ec2")["Instance1Id"], env.outputs("ec2")["Instance2Id"]} == first

    monkeypatch.undo()
    report = env.deploy()
    assert {s["stack"]: s["status"] for s in report["stacks"]}["fuel-flow-ec2-dev"] == "UPDATE_COMPLETE"
    assert [i["InstanceType"] for i in env.running_web_servers()] == ["t3.small", "t3.small"]


def test_emulator_logs_a_500_with_its_traceback(emulator: Emulator, caplog: pytest.LogCaptureFixture) -> None:
    """Every request answered with a 5xx is logged, with the traceback, and kept for the error message."""
    cfn = client(emulator)
    with caplog.at_level(logging.ERROR, logger="fuelflow.emulator"), pytest.raises(ResponseParserError):
        cfn.list_imports(ExportName="nothing")  # not implemented by moto: it answers 500 (an HTML page)
    records = [r for r in caplog.records if r.name == "fuelflow.emulator"]
    assert records and "ListImports answered 500" in records[-1].getMessage()
    assert records[-1].exc_info is not None
    assert "NotImplementedError" in SERVER_ERRORS.last


def test_local_prints_500s_and_refuses_a_busy_port(project_dir: Path) -> None:
    """`fuelflow local` prints each 5xx with the traceback on its output; a second one on the port exits 2."""
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "fuelflow.cli", "local", "--port", str(port)], cwd=project_dir,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        wait_until_reachable(f"http://127.0.0.1:{port}", timeout=60)
        busy = subprocess.run([sys.executable, "-m", "fuelflow.cli", "local", "--port", str(port)],
                              capture_output=True, text=True, timeout=120)
        assert busy.returncode == 2
        assert len(busy.stderr.strip().splitlines()) == 1 and f"port {port}" in busy.stderr
        cfn = boto3.client("cloudformation", endpoint_url=f"http://127.0.0.1:{port}", region_name="us-east-1",
                           aws_access_key_id="test", aws_secret_access_key="test")
        with pytest.raises(ResponseParserError):
            cfn.list_imports(ExportName="nothing")
    finally:
        proc.terminate()
        _out, err = proc.communicate(timeout=30)
    assert "ListImports answered 500" in err and "Traceback" in err and "NotImplementedError" in err


def test_busy_port_in_process(capsys: pytest.CaptureFixture[str]) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        assert main(["local", "--port", str(port)]) == 2
    assert "is in use" in capsys.readouterr().err


def test_update_stack_api_takes_the_same_path(emulator: Emulator) -> None:
    """UpdateStack (not a change set) evaluates parameters and conditions too."""
    cfn = client(emulator)
    cfn.create_stack(StackName="direct", TemplateBody=json.dumps(groups("group-c")),
                     Parameters=[{"ParameterKey": "Description", "ParameterValue": "first"}])
    cfn.update_stack(StackName="direct", TemplateBody=json.dumps(groups("group-c")),
                     Parameters=[{"ParameterKey": "Description", "ParameterValue": "first"},
                                 {"ParameterKey": "WithRule", "ParameterValue": "yes"}])
    stack = cfn.describe_stacks(StackName="direct")["Stacks"][0]
    assert stack["StackStatus"] == "UPDATE_COMPLETE"
    group = stack["Outputs"][0]["OutputValue"]
    rules = client(emulator, "ec2").describe_security_groups(GroupIds=[group])["SecurityGroups"][0]["IpPermissions"]
    assert [r["IpRanges"][0]["CidrIp"] for r in rules if r.get("FromPort") == 22] == ["192.0.2.0/24"]


def test_a_failed_delete_names_the_resource_even_beside_a_like_named_parameter() -> None:
    """Regression (issue 9): the rds stack's parameter group gained `!Sub "${DBSlowQuerySeconds}"`, which the
    emulator took for a use of the `DB` resource, so a delete refused by DB's deletion protection named no
    failed resource and no reason. test_recreate_cfn's prod destroy checks the reason end to end."""
    uses = {"Properties": {"A": {"Fn::Sub": "${DB.Endpoint.Address}:${Port}"}}}
    assert _refers_to(uses, "DB") and _refers_to({"Properties": {"A": {"Fn::Sub": "${DB}"}}}, "DB")
    assert _refers_to({"Properties": {"A": {"Ref": "DB"}}}, "DB")
    assert _refers_to({"Properties": {"A": {"Fn::GetAtt": ["DB", "Endpoint.Address"]}}}, "DB")
    assert _refers_to({"DependsOn": "DB", "Properties": {}}, "DB")
    assert not _refers_to({"Properties": {"A": {"Fn::Sub": "${DBSlowQuerySeconds}"}, "B": {"Ref": "DBPort"}}}, "DB")
