"""Every AWS name an environment produces, built once from the contract's `names` (contract.yaml).

The audit, the Terraform runner and the environment validator call these; the templates and modules
spell the same formats, which tests/test_contract.py and the end-to-end tests compare with these.
"""

from __future__ import annotations

from dataclasses import dataclass

from fuelflow import contract


@dataclass(frozen=True)
class Names:
    """The names of one environment. `account`/`region` may be empty when not yet known."""

    project: str
    env: str
    account: str = ""
    region: str = ""

    def build(self, key: str, **fields: str | int) -> str:
        rule = contract.name_rules()[key]
        values = {"project": self.project, "env": self.env, "account": self.account, "region": self.region}
        values.update({k: str(v) for k, v in fields.items()})
        return rule.format.format(**values)

    def stack(self, part: str) -> str:
        return self.build("stack", part=part)

    def bucket(self, purpose: str) -> str:
        """purpose: app-data, logs, backups (the template's bucket kinds) or tfstate."""
        key = {"app-data": "app_data_bucket", "logs": "logs_bucket", "backups": "backups_bucket",
               "tfstate": "state_bucket"}[purpose]
        return self.build(key)

    @property
    def state_bucket(self) -> str:
        return self.build("state_bucket")

    @property
    def lock_table(self) -> str:
        return self.build("lock_table")

    @property
    def state_prefix(self) -> str:
        """Key prefix of this environment's Terraform state objects."""
        return f"{self.project}/{self.env}"

    @property
    def web_sg(self) -> str:
        return self.build("web_sg")

    @property
    def alb_sg(self) -> str:
        return self.build("alb_sg")

    @property
    def load_balancer(self) -> str:
        return self.build("load_balancer")

    @property
    def target_group(self) -> str:
        return self.build("target_group")

    @property
    def asg(self) -> str:
        return self.build("asg")

    @property
    def db_sg(self) -> str:
        return self.build("db_sg")

    @property
    def db_instance(self) -> str:
        return self.build("db_instance")

    @property
    def log_group_prefix(self) -> str:
        """What every log group of the web tier starts with."""
        return f"/{self.project}/{self.env}/"

    @property
    def log_groups(self) -> tuple[str, ...]:
        return tuple(self.build(k) for k in ("access_log_group", "error_log_group", "system_log_group"))

    @property
    def alarm_prefix(self) -> str:
        """What every CloudWatch alarm of the environment starts with."""
        return f"{self.project}-{self.env}-"

    @property
    def alerts_topic(self) -> str:
        """The SNS topic every alarm of the environment notifies."""
        return self.build("alerts_topic")

    @property
    def unhealthy_alarm(self) -> str:
        """The composite "environment unhealthy" alarm."""
        return self.build("unhealthy_alarm")

    @property
    def db_replica(self) -> str:
        return self.build("db_replica")

    @property
    def flow_log_group(self) -> str:
        return self.build("flow_log_group")

    @property
    def flow_logs_role(self) -> str:
        return self.build("flow_logs_role")

    @property
    def web_acl(self) -> str:
        return self.build("web_acl")

    def role(self, which: str) -> str:
        """which: ec2, rds_monitoring, lambda."""
        return self.build(f"{which}_role")

    @property
    def instance_profile(self) -> str:
        return self.build("instance_profile")

    @property
    def app_log_prefix(self) -> str:
        """The one key prefix of the logs bucket the application roles may write (DECISIONS 17.3)."""
        return "app/"

    @property
    def aws_read_only_buckets(self) -> tuple[str, ...]:
        """AWS-owned buckets the instances read through the S3 gateway endpoint (DECISIONS 17.1)."""
        return tuple(b.format(region=self.region) for b in AWS_READ_ONLY_BUCKETS)


# AWS-owned buckets the web servers read through the S3 gateway endpoint, besides the project's own
# (DECISIONS 17.1): the Amazon Linux 2023 package repositories (dnf), the CloudWatch agent's downloads and the
# buckets SSM Agent reads (its updates, documents, packages, patch baselines; "SSM Agent communications with
# AWS managed S3 buckets" in the Systems Manager user guide). cloudformation/network.yaml and
# terraform/modules/network spell the same list; tests/test_security_gaps.py keeps the three equal.
AWS_READ_ONLY_BUCKETS = (
    "al2023-repos-{region}-de612dc2",
    "amazoncloudwatch-agent-{region}",
    "amazon-ssm-{region}",
    "amazon-ssm-packages-{region}",
    "aws-ssm-{region}",
    "aws-ssm-distributor-file-{region}",
    "aws-ssm-document-attachments-{region}",
    "{region}-birdwatcher-prod",
    "patch-baseline-snapshot-{region}",
)


@dataclass(frozen=True)
class TooLong:
    """A name that would exceed AWS's limit."""

    key: str
    kind: str
    name: str
    limit: int


def overflowing(project: str, env: str, region: str) -> list[TooLong]:
    """Every name of this project/environment in `region` that would be longer than AWS allows.

    Fields unknown before deployment take their longest value (a 12-digit account id, the longest stack
    part, the highest instance number), so a name accepted here fits on any account.
    """
    fields = contract.name_placeholders()
    names = Names(project, env, fields["account"], region)
    out: list[TooLong] = []
    for key, rule in contract.name_rules().items():
        name = names.build(key, part=fields["part"], n=fields["n"])
        if len(name) > rule.max:
            out.append(TooLong(key, rule.kind, name, rule.max))
    return out
