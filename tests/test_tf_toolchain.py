"""One Terraform toolchain: `fuelflow tf`, `fuelflow validate` and parity run the same terraform binary
with the same provider mirror, because all three resolve them through fuelflow.tf.toolchain."""

from __future__ import annotations

import json
import stat
import sys
from pathlib import Path
from types import SimpleNamespace
from typing import Any, cast

import pytest

from fuelflow.aws import AwsContext
from fuelflow.config import load_environment
from fuelflow.errors import FuelflowError
from fuelflow.output import Ui
from fuelflow.parity import terraform_model
from fuelflow.tf import session, toolchain
from fuelflow.validate import run_validate

ROOT = Path(__file__).resolve().parents[1]

# A terraform that records who ran it and with which CLI config, then succeeds only for version and fmt.
FAKE_TERRAFORM = """\
import json, os, sys
config = os.environ.get("TF_CLI_CONFIG_FILE")
with open(os.environ["FAKE_TERRAFORM_LOG"], "a") as log:
    log.write(json.dumps({"binary": sys.argv[0], "args": sys.argv[1:],
                          "config": open(config).read() if config and os.path.isfile(config) else ""}) + "\\n")
if "version" in sys.argv:
    print(json.dumps({"terraform_version": "1.11.4"}))
sys.exit(0 if {"version", "fmt"} & set(sys.argv) else 1)
"""


@pytest.fixture
def fake_toolchain(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, Path, Path]:
    """FUELFLOW_TERRAFORM and FUELFLOW_TF_PLUGIN_DIR pointing at fakes; the log the fake writes."""
    binary = tmp_path / "bin" / "terraform"
    binary.parent.mkdir()
    binary.write_text(f"#!{sys.executable}\n{FAKE_TERRAFORM}")
    binary.chmod(binary.stat().st_mode | stat.S_IXUSR)
    mirror = tmp_path / "mirror"
    (mirror / "registry.terraform.io" / "hashicorp" / "aws" / "5.100.0" / "linux_amd64").mkdir(parents=True)
    log = tmp_path / "calls.jsonl"
    monkeypatch.setenv(toolchain.TERRAFORM_ENV, str(binary))
    monkeypatch.setenv(toolchain.PLUGIN_DIR_ENV, str(mirror))
    monkeypatch.setenv("FAKE_TERRAFORM_LOG", str(log))
    monkeypatch.delenv("TF_CLI_CONFIG_FILE", raising=False)
    return binary, mirror.resolve(), log


def _calls(log: Path) -> list[dict[str, Any]]:
    calls = [json.loads(line) for line in log.read_text().splitlines()]
    log.unlink()
    return [c for c in calls if "version" not in c["args"]]


def test_tf_validate_and_parity_resolve_the_same_binary_and_mirror(
        fake_toolchain: tuple[Path, Path, Path], tmp_path: Path) -> None:
    binary, mirror, log = fake_toolchain
    env = load_environment(ROOT, "dev")
    seen: dict[str, list[dict[str, Any]]] = {}

    aws = cast(AwsContext, SimpleNamespace(region="us-east-1", is_local=True, account_id=lambda: "111122223333",
                                           target=SimpleNamespace(profile=None)))
    tf_session = session.open_session(env, aws, ROOT, Ui(rich=False), work_dir=tmp_path / "work")
    tf_session.tf.run(tmp_path, "fmt")
    seen["fuelflow tf"] = _calls(log)

    report = run_validate(ROOT, only=["terraform-fmt"])
    assert report.result("terraform-fmt").status == "passed", report.to_json()
    seen["fuelflow validate"] = _calls(log)

    with pytest.raises(FuelflowError, match="terraform init"):
        terraform_model(ROOT, "dev")
    seen["parity"] = _calls(log)

    for user, calls in seen.items():
        assert calls, f"{user} ran no terraform"
        for call in calls:
            assert call["binary"] == str(binary), user
            assert f'path    = "{mirror}"' in call["config"], f"{user} did not install from {mirror}"
