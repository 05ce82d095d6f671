"""The names of the resources the audit looks for, from the one name builder (`fuelflow.names`, built on the
contract's `names`), plus the audit's own views of them (by role, with the trusted service, as ARNs).

Both engines name resources the same way, which is what lets the audit find them whichever engine deployed
them. Checks ask `Names`; they never build a name themselves.
"""

from __future__ import annotations

from dataclasses import dataclass

from fuelflow import names

TRUSTED_SERVICE = {"ec2": "ec2.amazonaws.com", "rds_monitoring": "monitoring.rds.amazonaws.com",
                   "lambda": "lambda.amazonaws.com"}


@dataclass(frozen=True)
class Names(names.Names):
    """An environment's names in one account and region, and the partition its ARNs use."""

    partition: str = "aws"

    @property
    def buckets(self) -> dict[str, str]:
        """The application buckets by role: app-data, logs, backups."""
        return {part: self.bucket(part) for part in ("app-data", "logs", "backups")}

    @property
    def roles(self) -> dict[str, str]:
        """Role name -> the one service allowed to assume it."""
        return {self.role(which): service for which, service in TRUSTED_SERVICE.items()}

    def role_arn(self, role: str) -> str:
        return f"arn:{self.partition}:iam::{self.account}:role/{role}"

    @property
    def application_roles(self) -> tuple[str, ...]:
        """What the application runs as: the EC2 and Lambda roles (DECISIONS 17.3)."""
        return (self.role("ec2"), self.role("lambda"))

    def bucket_arn(self, bucket: str) -> str:
        return f"arn:{self.partition}:s3:::{bucket}"

    def arn(self, service: str, resource: str) -> str:
        """The ARN of a regional resource of this account (for resources whose answer carries none)."""
        return f"arn:{self.partition}:{service}:{self.region}:{self.account}:{resource}"
