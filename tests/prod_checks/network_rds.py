"""The network and database settings of the production profile (flow logs, Multi-AZ, slow query log,
Performance Insights, read replica), read back on either engine."""

from __future__ import annotations

from typing import Any

import botocore.exceptions

from fuelflow.config import Environment

# RDS for MySQL offers Performance Insights on every class except these (as the template and the module say).
CLASSES_WITHOUT_PERFORMANCE_INSIGHTS = {"db.t2.micro", "db.t2.small", "db.t3.micro", "db.t3.small", "db.t4g.micro",
                                        "db.t4g.small"}


def _vpc_id(aws: Any, env: Environment) -> str:
    vpcs = aws.client("ec2").describe_vpcs(Filters=[
        {"Name": "tag:Name", "Values": [f"{env.project}-vpc-{env.name}"]}])["Vpcs"]
    assert len(vpcs) == 1, f"one VPC named {env.project}-vpc-{env.name}, found {len(vpcs)}"
    return str(vpcs[0]["VpcId"])


def _db(aws: Any, identifier: str) -> dict[str, Any] | None:
    try:
        found: dict[str, Any] = aws.client("rds").describe_db_instances(
            DBInstanceIdentifier=identifier)["DBInstances"][0]
    except botocore.exceptions.ClientError as exc:
        if exc.response["Error"]["Code"] == "DBInstanceNotFound":
            return None
        raise
    return found


def check_flow_logs_record_all_traffic_into_their_group(aws: Any, env: Environment) -> None:
    logs = aws.client("ec2").describe_flow_logs(Filters=[
        {"Name": "resource-id", "Values": [_vpc_id(aws, env)]}])["FlowLogs"]
    if not env.network.flow_logs:
        assert logs == []
        return
    assert len(logs) == 1, logs
    log = logs[0]
    assert (log["TrafficType"], log["LogDestinationType"]) == ("ALL", "cloud-watch-logs")
    group = env.names.flow_log_group
    assert log.get("LogGroupName") == group or str(log.get("LogDestination", "")).endswith(f":log-group:{group}")
    assert str(log["DeliverLogsPermissionArn"]).endswith(f":role/{env.names.flow_logs_role}")
    groups = aws.client("logs").describe_log_groups(logGroupNamePrefix=group)["logGroups"]
    assert [g.get("retentionInDays") for g in groups if g["logGroupName"] == group] == [env.logs.retention_days]
    role = aws.client("iam").get_role(RoleName=env.names.flow_logs_role)["Role"]
    statement = role["AssumeRolePolicyDocument"]["Statement"][0]
    assert statement["Principal"] == {"Service": "vpc-flow-logs.amazonaws.com"}
    assert "aws:SourceAccount" in str(statement["Condition"]) and "aws:SourceArn" in str(statement["Condition"])


def check_database_multi_az_and_slow_query_log(aws: Any, env: Environment) -> None:
    db = _db(aws, env.names.db_instance)
    assert db is not None
    assert db["MultiAZ"] is env.rds.multi_az
    group = db["DBParameterGroups"][0]["DBParameterGroupName"]
    params = {p["ParameterName"]: p.get("ParameterValue") for p in aws.client("rds").describe_db_parameters(
        DBParameterGroupName=group, Source="user")["Parameters"]}
    assert params["slow_query_log"] == "1"
    assert params["long_query_time"] == str(env.rds.slow_query_seconds), (group, params)


def check_performance_insights_where_the_class_offers_it(aws: Any, env: Environment) -> None:
    offered = env.rds.instance_class not in CLASSES_WITHOUT_PERFORMANCE_INSIGHTS
    for identifier in (env.names.db_instance, env.names.db_replica):
        db = _db(aws, identifier)
        if db is None:
            continue
        assert bool(db.get("PerformanceInsightsEnabled")) is offered, identifier
        if offered:
            assert db.get("PerformanceInsightsRetentionPeriod") == 7, identifier


def check_read_replica_as_the_environment_says(aws: Any, env: Environment) -> None:
    replica = _db(aws, env.names.db_replica)
    if not env.rds.read_replica:
        assert replica is None
        return
    assert replica is not None
    primary = _db(aws, env.names.db_instance)
    assert primary is not None
    assert replica["ReadReplicaSourceDBInstanceIdentifier"] == env.names.db_instance
    assert replica["StorageEncrypted"] is True and replica["PubliclyAccessible"] is False
    assert replica["DBInstanceClass"] == env.rds.instance_class and replica["MultiAZ"] is False
    assert replica["DeletionProtection"] is False
    assert replica["DBSubnetGroup"]["DBSubnetGroupName"] == primary["DBSubnetGroup"]["DBSubnetGroupName"]
    assert ([g["VpcSecurityGroupId"] for g in replica["VpcSecurityGroups"]]
            == [g["VpcSecurityGroupId"] for g in primary["VpcSecurityGroups"]])
    assert replica.get("MonitoringInterval", 0) == env.rds.monitoring_interval
