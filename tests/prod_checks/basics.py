"""What prod promised before the production profile, read back on either engine."""

from __future__ import annotations

from typing import Any

from fuelflow.config import Environment


def check_database_is_multi_az_and_protected(aws: Any, env: Environment) -> None:
    db = aws.client("rds").describe_db_instances(DBInstanceIdentifier=env.names.db_instance)["DBInstances"][0]
    assert db["MultiAZ"] is env.rds.multi_az is True
    assert db["DeletionProtection"] is env.rds.deletion_protection is True
    assert db["StorageEncrypted"] is True and db["StorageType"] == "gp3"
    assert db["DBInstanceClass"] == env.rds.instance_class


def check_log_groups_keep_the_environments_retention(aws: Any, env: Environment) -> None:
    logs = aws.client("logs")
    for name in env.names.log_groups:
        groups = logs.describe_log_groups(logGroupNamePrefix=name)["logGroups"]
        assert [g.get("retentionInDays") for g in groups if g["logGroupName"] == name] == [env.logs.retention_days]
