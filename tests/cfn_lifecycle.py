"""Helpers of the CloudFormation lifecycle tests: a copy of the project deployed to the shared emulator,
settings changed in its environment file, `diff` and `deploy` run through the CLI, AWS read back with boto3."""

from __future__ import annotations

import io
import json
import shutil
from contextlib import redirect_stderr, redirect_stdout
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import yaml

from fuelflow.cli import main
from fuelflow.emulator import Emulator

ENV = "dev"
# Stacks whose every resource is conditioned out in dev (the edge options are off): never deployed, listed in the
# report as "nothing to deploy" (src/fuelflow/plan.py); every other stack is deployed.
NOT_DEPLOYED = {f"fuel-flow-edge-{ENV}"}


def actions(report: dict[str, Any]) -> dict[str, str]:
    """Stack -> action of a deploy report, the never-deployed stacks checked and left out."""
    found = {s["stack"]: s["action"] for s in report["stacks"]}
    assert {name for name, action in found.items() if action == "nothing to deploy"} == NOT_DEPLOYED, report
    return {name: action for name, action in found.items() if name not in NOT_DEPLOYED}


@dataclass
class Deployed:
    """A project copy whose `dev` environment is deployed on `emulator`."""

    root: Path
    emulator: Emulator

    @classmethod
    def fresh(cls, emulator: Emulator, source: Path, into: Path) -> Deployed:
        """Empty the emulator, copy the project and deploy dev (asserting it succeeded)."""
        emulator.reset()
        for part in ("environments", "cloudformation", "terraform"):
            shutil.copytree(source / part, into / part)
        project = cls(into, emulator)
        code, report, err = project.cli("deploy", "--yes")
        assert code == 0, err[-3000:]
        assert set(actions(report).values()) == {"created"}, report
        return project

    def cli(self, command: str, *args: str) -> tuple[int, Any, str]:
        """Run `fuelflow -C root <command> --env dev --endpoint-url URL <args> -o json`: (exit, JSON, stderr)."""
        out, err = io.StringIO(), io.StringIO()
        with redirect_stdout(out), redirect_stderr(err):
            code = main(["-C", str(self.root), command, "--env", ENV, "--endpoint-url", self.emulator.endpoint_url,
                         *args, "--output", "json"])
        text = out.getvalue()
        return code, json.loads(text) if text.strip() else None, err.getvalue()

    def set(self, **settings: Any) -> None:
        """Change settings of environments/dev.yaml: set(ec2__instance_type="t3.small") (`__` = a nesting level)."""
        path = self.root / "environments" / f"{ENV}.yaml"
        data = yaml.safe_load(path.read_text())
        for dotted, value in settings.items():
            keys = dotted.split("__")
            node = data
            for key in keys[:-1]:
                node = node[key]
            node[keys[-1]] = value
        path.write_text(yaml.safe_dump(data, sort_keys=False))

    def diff(self) -> dict[str, dict[tuple[str, str], str | None]]:
        """Stack -> {(action, logical id): Replacement} as `fuelflow diff` lists it."""
        code, report, err = self.cli("diff")
        assert code == 0, err[-3000:]
        return {s["stack"]: {(c["action"], c["logical_id"]): c["replacement"] for c in s["changes"]}
                for s in report["stacks"]}

    def deploy(self) -> dict[str, Any]:
        """Deploy; assert it succeeded; the JSON report."""
        code, report, err = self.cli("deploy", "--yes")
        assert code == 0, err[-3000:]
        return report

    def client(self, service: str) -> Any:
        return boto3.client(service, endpoint_url=self.emulator.endpoint_url, region_name="us-east-1",
                            aws_access_key_id="test", aws_secret_access_key="test")

    def outputs(self, part: str) -> dict[str, str]:
        stack = self.client("cloudformation").describe_stacks(StackName=f"fuel-flow-{part}-{ENV}")["Stacks"][0]
        return {o["OutputKey"]: o["OutputValue"] for o in stack.get("Outputs", []) if "OutputValue" in o}

    def status(self, part: str) -> str:
        stacks = self.client("cloudformation").describe_stacks(StackName=f"fuel-flow-{part}-{ENV}")["Stacks"]
        return str(stacks[0]["StackStatus"])

    def running_web_servers(self) -> list[dict[str, Any]]:
        """The web servers that are not terminated, by their Name tag."""
        pages = self.client("ec2").get_paginator("describe_instances").paginate(
            Filters=[{"Name": "tag:aws:cloudformation:stack-name", "Values": [f"fuel-flow-ec2-{ENV}"]}])
        found = [i for page in pages for r in page["Reservations"] for i in r["Instances"]
                 if i["State"]["Name"] != "terminated"]
        if not found:  # the change-set path does not add aws:cloudformation tags: select by Project/Name
            pages = self.client("ec2").get_paginator("describe_instances").paginate()
            found = [i for page in pages for r in page["Reservations"] for i in r["Instances"]
                     if i["State"]["Name"] != "terminated"
                     and any(t["Key"] == "Name" and t["Value"].startswith("fuel-flow-web-") for t in i.get("Tags", []))]
        return found

    def no_changes(self) -> None:
        """A re-deploy with nothing changed: every deployed stack 'unchanged' (the edge still 'nothing to deploy')."""
        report = self.deploy()
        assert set(actions(report).values()) == {"unchanged"}, report


def tags_of(items: list[dict[str, str]] | None) -> dict[str, str]:
    return {t["Key"]: t["Value"] for t in items or []}
