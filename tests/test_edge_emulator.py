"""On the emulator, with CloudFormation: dev deploys without an edge stack (its options are off: nothing to
deploy) and everything else intact; switching flow logs, the read replica and a slow-query threshold on
deploys them and reads back as the environment file says (tests/prod_checks/network_rds.py); switching
them off again removes them. The edge resources themselves (WAF, CloudFront, listener rules) are not modelled
by the emulator: tests/test_plan_nothing.py, the edge module's `terraform test` and the checkov run with every
switch on (tests/test_templates.py) cover them.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from cli_process import run_captured
from env_copy import project_with
from fuelflow.aws import AwsContext, Target, connect
from fuelflow.config import load_environment
from fuelflow.emulator import Emulator
from prod_checks import network_rds

ROOT = Path(__file__).resolve().parents[1]
ON = {"network.flow_logs": True, "rds.read_replica": True, "rds.slow_query_seconds": 5}
pytestmark = pytest.mark.emulator


def deploy(project: Path, url: str) -> dict[str, Any]:
    code, out, err = run_captured("-C", str(project), "deploy", "--env", "dev", "--yes", "--endpoint-url", url,
                                  "-o", "json")
    assert code == 0, err[-4000:]
    report: dict[str, Any] = json.loads(out)
    return report


@pytest.fixture(scope="module")
def dev(fresh_emulator: Emulator) -> tuple[str, AwsContext, dict[str, Any]]:
    url = fresh_emulator.endpoint_url
    return url, connect(Target(kind="local", endpoint_url=url), "us-east-1"), deploy(ROOT, url)


def test_dev_deploys_no_edge_stack_and_everything_else(dev: tuple[str, AwsContext, dict[str, Any]]) -> None:
    url, aws, report = dev
    by = {s["stack"]: s for s in report["stacks"]}
    assert by.pop("fuel-flow-edge-dev")["action"] == "nothing to deploy"
    assert set(by) == {f"fuel-flow-{p}-dev" for p in ("network", "s3", "iam", "ec2", "rds", "monitoring")}
    assert {s["status"] for s in by.values()} == {"CREATE_COMPLETE"}
    live = {s["StackName"] for s in aws.client("cloudformation").list_stacks()["StackSummaries"]}
    assert "fuel-flow-edge-dev" not in live
    code, out, err = run_captured("-C", str(ROOT), "status", "--env", "dev", "--endpoint-url", url, "-o", "json")
    assert code == 0, err
    status = {s["stack"]: s for s in json.loads(out)["stacks"]}
    assert status["fuel-flow-edge-dev"]["status"] == "NOT_DEPLOYED"
    assert status["fuel-flow-edge-dev"]["reason"].startswith("nothing to deploy: edge options off")
    # and dev's defaults: no flow logs, no replica, long_query_time 2
    env = load_environment(ROOT, "dev")
    network_rds.check_flow_logs_record_all_traffic_into_their_group(aws, env)
    network_rds.check_read_replica_as_the_environment_says(aws, env)
    network_rds.check_database_multi_az_and_slow_query_log(aws, env)


def test_flow_logs_replica_and_slow_queries_switch_on_and_off(dev: tuple[str, AwsContext, dict[str, Any]],
                                                              tmp_path: Path) -> None:
    url, aws, _ = dev
    on = project_with(tmp_path / "on", ON)
    report = deploy(on, url)
    assert {s["stack"]: s["action"] for s in report["stacks"]}["fuel-flow-rds-dev"] == "updated"
    env = load_environment(on, "dev")
    assert (env.network.flow_logs, env.rds.read_replica, env.rds.slow_query_seconds) == (True, True, 5)
    network_rds.check_flow_logs_record_all_traffic_into_their_group(aws, env)
    network_rds.check_read_replica_as_the_environment_says(aws, env)
    network_rds.check_database_multi_az_and_slow_query_log(aws, env)
    network_rds.check_performance_insights_where_the_class_offers_it(aws, env)
    outputs = {s["stack"]: s["outputs"] for s in report["stacks"]}
    assert outputs["fuel-flow-rds-dev"]["DBReplicaInstanceIdentifier"] == "fuel-flow-db-replica-dev"
    assert outputs["fuel-flow-network-dev"]["FlowLogGroupName"] == "/fuel-flow/dev/vpc-flow-logs"

    deploy(ROOT, url)  # everything back off
    env = load_environment(ROOT, "dev")
    network_rds.check_flow_logs_record_all_traffic_into_their_group(aws, env)
    network_rds.check_read_replica_as_the_environment_says(aws, env)
    network_rds.check_database_multi_az_and_slow_query_log(aws, env)
    assert aws.client("logs").describe_log_groups(logGroupNamePrefix="/fuel-flow/dev/vpc-flow-logs")["logGroups"] == []
