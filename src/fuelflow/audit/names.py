"""The names of the resources the audit looks for: the one place their formulas live.

Both engines name resources the same way (docs/contract.md, "Resource names"), which is what lets the audit
find them whichever engine deployed them. Checks ask `Names`; they never build a name themselves.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Names:
    """The resource names of docs/contract.md ("Resource names"), the same in both engines."""

    project: str
    env: str
    account: str
    region: str
    partition: str = "aws"

    def _bucket(self, part: str) -> str:
        return f"{self.project}-{part}-{self.env}-{self.account}-{self.region}"

    @property
    def buckets(self) -> dict[str, str]:
        """The application buckets by role: app-data, logs, backups."""
        return {part: self._bucket(part) for part in ("app-data", "logs", "backups")}

    @property
    def state_bucket(self) -> str:
        return self._bucket("tfstate")

    @property
    def lock_table(self) -> str:
        return f"{self.project}-tflock-{self.env}"

    @property
    def roles(self) -> dict[str, str]:
        """Role name -> the one service allowed to assume it."""
        p, e = self.project, self.env
        return {
            f"{p}-ec2-role-{e}": "ec2.amazonaws.com",
            f"{p}-rds-monitoring-role-{e}": "monitoring.rds.amazonaws.com",
            f"{p}-lambda-role-{e}": "lambda.amazonaws.com",
        }

    @property
    def web_sg(self) -> str:
        return f"{self.project}-web-sg-{self.env}"

    @property
    def db_sg(self) -> str:
        return f"{self.project}-db-sg-{self.env}"

    @property
    def db_instance(self) -> str:
        return f"{self.project}-db-{self.env}"

    @property
    def log_group_prefix(self) -> str:
        """Every log group of the environment starts with this."""
        return f"/{self.project}/{self.env}/"

    @property
    def log_groups(self) -> tuple[str, ...]:
        base = self.log_group_prefix
        return (f"{base}apache/access", f"{base}apache/error", f"{base}system")

    def bucket_arn(self, bucket: str) -> str:
        return f"arn:{self.partition}:s3:::{bucket}"

    def arn(self, service: str, resource: str) -> str:
        """The ARN of a regional resource of this account (for resources whose answer carries none)."""
        return f"arn:{self.partition}:{service}:{self.region}:{self.account}:{resource}"
