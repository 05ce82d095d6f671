"""`fuelflow env new|list`: a new environment is one command, valid, and overlaps no other environment."""

from __future__ import annotations

import ipaddress
import json
import shutil
from pathlib import Path

import pytest
import yaml

from fuelflow.cli import main
from fuelflow.config import load_environment
from fuelflow.envfiles import new_environment, summaries
from fuelflow.errors import InputError

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def project(tmp_path: Path) -> Path:
    shutil.copytree(ROOT / "environments", tmp_path / "environments")
    return tmp_path


def test_new_environment_is_valid_and_overlaps_no_other(project: Path) -> None:
    before = (project / "environments" / "dev.yaml").read_text()
    created = new_environment(project, "staging", "dev")
    env = load_environment(project, "staging")
    assert (env.name, env.tier, env.region) == ("staging", "development", "us-east-1")
    assert env.tags["Environment"] == "staging" and env.tags["CostCenter"] == "fuel-flow-staging"
    dev = load_environment(project, "dev")
    assert (env.ec2, env.rds, env.s3, env.logs) == (dev.ec2, dev.rds, dev.s3, dev.logs)
    second = new_environment(project, "pr-142", "prod", region="eu-west-1")
    ranges = [ipaddress.ip_network(s.vpc_cidr) for s in summaries(project)]
    assert len(ranges) == 4 and all(not a.overlaps(b) for i, a in enumerate(ranges) for b in ranges[i + 1:])
    assert load_environment(project, "pr-142").is_production and second.region == "eu-west-1"
    assert created.vpc_cidr in created.review[2]
    assert (project / "environments" / "dev.yaml").read_text() == before, "the source file is untouched"
    # comments and layout of the source survive
    assert "# GiB, gp3, encrypted" in (project / "environments" / "staging.yaml").read_text()


@pytest.mark.parametrize(("name", "source", "region", "needle"), [
    ("dev", "dev", None, "already exists"),
    ("Staging", "dev", None, "invalid environment name"),
    ("pr--1", "dev", None, "invalid environment name"),
    ("qa", "nope", None, "unknown environment 'nope'"),
    ("qa", "dev", "moon-1", "not a region code"),
])
def test_new_environment_refusals_write_nothing(project: Path, name: str, source: str, region: str | None,
                                               needle: str) -> None:
    files = sorted(p.name for p in (project / "environments").iterdir())
    with pytest.raises(InputError) as err:
        new_environment(project, name, source, region)
    assert needle in err.value.one_line() and err.value.fix
    assert sorted(p.name for p in (project / "environments").iterdir()) == files


def test_env_cli_new_then_list_json(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["-C", str(project), "env", "new", "staging", "--from", "dev", "-o", "json"]) == 0
    created = json.loads(capsys.readouterr().out)
    assert created["name"] == "staging" and created["vpc_cidr"] == "10.1.0.0/16"
    assert main(["-C", str(project), "env", "list", "-o", "json"]) == 0
    listed = {e["name"]: e for e in json.loads(capsys.readouterr().out)["environments"]}
    assert set(listed) == {"dev", "prod", "staging"} and listed["prod"]["tier"] == "production"


def test_env_list_flags_an_invalid_file_with_exit_2(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    doc = yaml.safe_load((project / "environments" / "dev.yaml").read_text())
    doc["name"], doc["ec2"]["instance_count"] = "broken", 9
    (project / "environments" / "broken.yaml").write_text(yaml.safe_dump(doc))
    assert main(["-C", str(project), "env", "list", "-o", "json"]) == 2
    listed = {e["name"]: e for e in json.loads(capsys.readouterr().out)["environments"]}
    assert "ec2.instance_count is 9" in listed["broken"]["error"] and listed["dev"]["error"] == ""


def test_two_env_new_of_one_name_at_once_write_one_file(project: Path) -> None:
    """Both pass the early check; the exclusive create lets exactly one write, the other gets the one-line error."""
    from concurrent.futures import ThreadPoolExecutor

    def attempt(_: int) -> str:
        try:
            new_environment(project, "race", "dev")
        except InputError as exc:
            return exc.one_line()
        return "written"

    with ThreadPoolExecutor(4) as pool:
        outcomes = list(pool.map(attempt, range(4)))
    assert outcomes.count("written") == 1, outcomes
    assert all("already exists" in o for o in outcomes if o != "written")
    assert load_environment(project, "race").name == "race"


def test_env_new_that_cannot_write_is_one_line(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    real_open = Path.open

    def refuse(self: Path, mode: str = "r", *args: object, **kwargs: object) -> object:
        if "x" in mode:
            raise PermissionError(13, "Permission denied", str(self))
        return real_open(self, mode, *args, **kwargs)  # type: ignore[call-overload]

    monkeypatch.setattr(Path, "open", refuse)
    with pytest.raises(InputError, match=r"cannot write .*qa\.yaml: Permission denied"):
        new_environment(project, "qa", "dev")
    assert not (project / "environments" / "qa.yaml").exists()
