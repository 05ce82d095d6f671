"""The Terraform runner as data: generated files, discovery, errors. No terraform binary needed
(a few tests use a tiny fake one); the emulator-backed ones read the state bucket with boto3 only."""

from __future__ import annotations

import json
import os
import stat
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any, cast

import pytest

from fuelflow import confirm
from fuelflow.aws import AwsContext
from fuelflow.cli import main
from fuelflow.commands import tf as tf_commands
from fuelflow.config import Environment, load_environment
from fuelflow.errors import DeployError, ExitCode, FuelflowError, InputError
from fuelflow.output import Ui
from fuelflow.tf import ops, plans, render, runner, session, source, state, toolchain, workcopy

ROOT = Path(__file__).resolve().parents[1]
URL = "http://127.0.0.1:4566"


@pytest.fixture(scope="module")
def dev() -> Environment:
    return load_environment(ROOT, "dev")


@pytest.fixture
def ui() -> Ui:
    return Ui(rich=False)


def make_mirror(base: Path, *providers: str, packed: bool = False) -> Path:
    """A provider mirror laid out as `terraform providers mirror` does."""
    for address in providers:
        type_dir = base.joinpath(*address.split("/"))
        if packed:
            type_dir.mkdir(parents=True, exist_ok=True)
            (type_dir / f"terraform-provider-{type_dir.name}_5.100.0_linux_amd64.zip").write_bytes(b"PK")
        else:
            platform = type_dir / "5.100.0" / "linux_amd64"
            platform.mkdir(parents=True)
            (platform / f"terraform-provider-{type_dir.name}_v5.100.0_x5").write_text("")
    return base


def fake_terraform(tmp_path: Path, script: str) -> Path:
    """An executable named terraform that runs `script` (Python) with the real argv."""
    path = tmp_path / "bin" / "terraform"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f"#!{sys.executable}\nimport sys, json\n{script}\n")
    path.chmod(path.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
    return path


# ----------------------------------------------------------------------------------- the local override


def test_local_override_sends_every_call_to_the_emulator() -> None:
    text = render.render_local_override(URL)
    assert text.count('provider "aws" {') == 1
    for service in ("s3", "ec2", "iam", "sts", "rds", "dynamodb", "secretsmanager", "logs", "cloudwatch", "ssm"):
        assert f'{service} ' in text and f'= "{URL}"' in text
    endpoints = [ln for ln in text.splitlines() if ln.strip().endswith(f'"{URL}"')]
    assert len(endpoints) == len(render.LOCAL_ENDPOINT_SERVICES)
    for flag in ("s3_use_path_style", "skip_credentials_validation", "skip_metadata_api_check",
                 "skip_region_validation"):
        assert any(ln.split("=")[0].strip() == flag and ln.strip().endswith("true") for ln in text.splitlines())
    assert 'access_key' in text and '"test"' in text
    # The region stays the root's (var.region); the account id is still asked for, so ARNs are real.
    assert "region" not in text.replace("skip_region_validation", "")
    assert "skip_requesting_account_id" not in text


def test_local_override_has_one_block_per_provider_configuration() -> None:
    text = render.render_local_override(URL, [None, "replica"])
    assert text.count('provider "aws" {') == 2
    assert 'alias' in text and '"replica"' in text


def test_override_files_are_gitignored() -> None:
    ignored = (ROOT / ".gitignore").read_text().split()
    for name in (render.PROVIDER_OVERRIDE, render.BACKEND_OVERRIDE, render.TEARDOWN_OVERRIDE):
        assert name.endswith("_override.tf") and "*_override.tf" in ignored
    assert ".fuelflow/" in ignored


def test_backend_override_and_teardown_override() -> None:
    assert 'backend "local"' in render.render_backend_override("local")
    assert f'path = "{render.LOCAL_STATE}"' in render.render_backend_override("local")
    assert 'backend "s3" {}' in render.render_backend_override("s3")
    text = render.render_teardown_override([("aws_s3_bucket", "state"), ("aws_dynamodb_table", "lock")])
    assert 'resource "aws_s3_bucket" "state"' in text and "prevent_destroy = false" in text
    assert "force_destroy = true" in text
    assert 'resource "aws_dynamodb_table" "lock"' in text and "deletion_protection_enabled = false" in text


# ----------------------------------------------------------------------------------- CLI config + mirror


def test_cli_config_installs_mirrored_providers_from_the_mirror_only(tmp_path: Path) -> None:
    mirror = make_mirror(tmp_path / "mirror", "registry.terraform.io/hashicorp/aws")
    text = toolchain.render_cli_config(mirror, toolchain.mirror_providers(mirror))
    assert "provider_installation {" in text
    assert f'path    = "{mirror}"' in text
    assert 'include = ["registry.terraform.io/hashicorp/aws"]' in text
    assert 'exclude = ["registry.terraform.io/hashicorp/aws"]' in text  # everything else: the registry


def test_cli_config_keeps_the_users_own_settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, ui: Ui) -> None:
    mirror = make_mirror(tmp_path / "mirror", "registry.terraform.io/hashicorp/aws")
    user = tmp_path / "user.tfrc"
    user.write_text('plugin_cache_dir = "/tmp/cache"\n')
    monkeypatch.setenv("TF_CLI_CONFIG_FILE", str(user))
    path = toolchain.write_cli_config(tmp_path / "work", mirror, ui.warn)
    assert path == tmp_path / "work" / "terraformrc"
    text = path.read_text()
    assert text.startswith('plugin_cache_dir = "/tmp/cache"') and "filesystem_mirror" in text


def test_cli_config_replaces_a_conflicting_provider_installation(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, ui: Ui, capsys: pytest.CaptureFixture[str]) -> None:
    mirror = make_mirror(tmp_path / "mirror", "registry.terraform.io/hashicorp/aws")
    user = tmp_path / "user.tfrc"
    user.write_text("provider_installation {\n  direct {}\n}\n")
    monkeypatch.setenv("TF_CLI_CONFIG_FILE", str(user))
    path = toolchain.write_cli_config(tmp_path / "work", mirror, ui.warn)
    assert path is not None
    text = path.read_text()
    assert text.count("provider_installation") == 1 and "filesystem_mirror" in text
    assert "using the mirror" in capsys.readouterr().err


def test_no_mirror_means_no_cli_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TF_CLI_CONFIG_FILE", raising=False)
    assert toolchain.write_cli_config(tmp_path, None) is None
    assert not (tmp_path / "terraformrc").exists()
    monkeypatch.setenv("TF_CLI_CONFIG_FILE", str(tmp_path / "missing.rc"))  # would make terraform warn
    assert toolchain.write_cli_config(tmp_path, None) == tmp_path / "terraformrc"
    assert (tmp_path / "terraformrc").read_text() == ""


def test_mirror_layouts_are_recognised(tmp_path: Path) -> None:
    unpacked = make_mirror(tmp_path / "a", "registry.terraform.io/hashicorp/aws",
                           "registry.terraform.io/hashicorp/random")
    packed = make_mirror(tmp_path / "b", "registry.terraform.io/hashicorp/aws", packed=True)
    assert toolchain.mirror_providers(unpacked) == ["registry.terraform.io/hashicorp/aws",
                                             "registry.terraform.io/hashicorp/random"]
    assert toolchain.mirror_providers(packed) == ["registry.terraform.io/hashicorp/aws"]
    assert toolchain.mirror_providers(tmp_path / "missing") == []
    (tmp_path / "c" / "x" / "y" / "z").mkdir(parents=True)
    assert toolchain.mirror_providers(tmp_path / "c") == []


def test_plugin_dir_explicit_then_env_then_well_known_places(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    explicit = make_mirror(tmp_path / "explicit", "registry.terraform.io/hashicorp/aws")
    from_env = make_mirror(tmp_path / "env", "registry.terraform.io/hashicorp/aws")
    well_known = make_mirror(tmp_path / "home" / ".terraform.d" / "plugins", "registry.terraform.io/hashicorp/aws")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv(toolchain.PLUGIN_DIR_ENV, str(from_env))
    assert toolchain.resolve_plugin_dir(explicit) == explicit
    assert toolchain.resolve_plugin_dir(explicit / "registry.terraform.io") == explicit  # the host dir: its mirror
    assert toolchain.resolve_plugin_dir(None) == from_env
    monkeypatch.delenv(toolchain.PLUGIN_DIR_ENV)
    assert well_known in toolchain.plugin_dir_candidates()
    assert toolchain.resolve_plugin_dir(None) == well_known


def test_plugin_dir_candidates_are_searched_at_run_time(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(toolchain.PLUGIN_DIR_ENV, raising=False)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    candidates = toolchain.plugin_dir_candidates()
    assert candidates[0] == tmp_path / "home" / ".terraform.d" / "plugins"
    assert tmp_path / "xdg" / "terraform" / "plugins" in candidates
    monkeypatch.setattr(toolchain, "plugin_dir_candidates", lambda: [tmp_path / "nothing-here"])
    assert toolchain.resolve_plugin_dir(None) is None  # no mirror anywhere: the registry, as usual


def test_a_plugin_dir_that_is_not_a_mirror_is_an_input_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(InputError, match="not a Terraform provider mirror") as err:
        toolchain.resolve_plugin_dir(tmp_path)
    assert err.value.exit_code == ExitCode.USAGE
    monkeypatch.setenv(toolchain.PLUGIN_DIR_ENV, str(tmp_path / "nope"))
    with pytest.raises(InputError, match=toolchain.PLUGIN_DIR_ENV):
        toolchain.resolve_plugin_dir(None)


# ----------------------------------------------------------------------------------- var-file + backend


def test_var_file_holds_what_the_root_declares(tmp_path: Path, dev: Environment) -> None:
    root = tmp_path / "root"
    root.mkdir()
    (root / "variables.tf").write_text('variable "project_name" {}\nvariable "environment" {}\n'
                                       'variable "region" {}\nvariable "tags" {}\n')
    (root / "fuelflow_override.tf").write_text('variable "network" {}\n')  # never counted
    assert source.tf_vars_for(dev, root) == {"project_name": "fuel-flow", "environment": "dev",
                                         "region": "us-east-1", "tags": dev.stack_tags()}
    assert source.tf_vars_for(dev, root, "eu-west-1")["region"] == "eu-west-1"


def test_var_file_falls_back_to_everything_when_a_file_does_not_parse(tmp_path: Path, dev: Environment) -> None:
    (tmp_path / "broken.tf").write_text('variable "x" {\n')
    assert source.declared_variables(tmp_path) is None
    assert source.tf_vars_for(dev, tmp_path) == dev.tf_vars()


@pytest.mark.skipif(not (ROOT / "terraform" / "variables.tf").is_file(), reason="terraform/variables.tf missing")
def test_the_main_root_declares_every_environment_variable(dev: Environment) -> None:
    """The var-file is exactly Environment.tf_vars(): nothing is dropped (docs/contract.md)."""
    assert source.tf_vars_for(dev, ROOT / "terraform") == dev.tf_vars()
    if (ROOT / "terraform" / "bootstrap").is_dir():
        assert set(source.tf_vars_for(dev, ROOT / "terraform" / "bootstrap")) == {
            "project_name", "environment", "region", "tags", "monitoring"}  # monitoring: the lock alarm's e-mails


def test_state_backend_names_follow_the_contract(dev: Environment) -> None:
    backend = state.StateBackend.for_env(dev, "123456789012", "us-east-1")
    assert backend.bucket == "fuel-flow-tfstate-dev-123456789012-us-east-1"
    assert backend.lock_table == "fuel-flow-tflock-dev"
    assert backend.key == "fuel-flow/dev/terraform.tfstate"
    assert backend.bootstrap_key == "fuel-flow/dev/bootstrap.tfstate"


def _parse(text: str) -> dict[str, Any]:
    import hcl2

    return {k: v for k, v in hcl2.loads(text).items() if not k.startswith("__")}


def test_backend_config_for_aws_uses_both_locks(dev: Environment) -> None:
    text = state.render_backend_config(state.StateBackend.for_env(dev, "123456789012", "us-east-1"))
    values = _parse(text)
    assert values["bucket"].strip('"') == "fuel-flow-tfstate-dev-123456789012-us-east-1"
    assert values["key"].strip('"') == "fuel-flow/dev/terraform.tfstate"
    assert values["dynamodb_table"].strip('"') == "fuel-flow-tflock-dev"
    assert values["use_lockfile"] is True and values["encrypt"] is True
    assert "endpoints" not in values and "skip_credentials_validation" not in values


def test_backend_config_for_the_emulator(dev: Environment) -> None:
    values = _parse(state.render_backend_config(state.StateBackend.for_env(dev, "123456789012", "us-east-1"), URL))
    assert {k: v.strip('"') for k, v in values["endpoints"].items()} == {
        "s3": URL, "dynamodb": URL, "sts": URL, "iam": URL}
    for flag in ("use_path_style", "skip_credentials_validation", "skip_requesting_account_id",
                 "skip_metadata_api_check", "use_lockfile"):
        assert values[flag] is True


# ----------------------------------------------------------------------------------- reading roots


def test_roots_are_read_for_providers_modules_and_guarded_resources(tmp_path: Path) -> None:
    root = tmp_path / "bootstrap"
    module = tmp_path / "modules" / "state"
    root.mkdir()
    module.mkdir(parents=True)
    (root / "main.tf").write_text('provider "aws" {}\nprovider "aws" {\n  alias = "dr"\n}\n'
                                  'module "state" {\n  source = "../modules/state"\n}\n'
                                  'module "remote" {\n  source = "terraform-aws-modules/s3-bucket/aws"\n}\n')
    (module / "main.tf").write_text('resource "aws_s3_bucket" "state" {}\nresource "aws_dynamodb_table" "lock" {}\n'
                                    'resource "aws_s3_bucket_policy" "state" {}\n')
    assert source.aws_provider_aliases(root) == [None, "dr"]
    assert source.local_module_dirs(root) == [module.resolve()]
    assert source.guarded_resources(module) == [("aws_s3_bucket", "state"), ("aws_dynamodb_table", "lock")]


def test_work_copy_keeps_terraform_files_and_drops_stale_ones(tmp_path: Path) -> None:
    src, dst = tmp_path / "terraform", tmp_path / "work" / "terraform"
    (src / "modules" / "m").mkdir(parents=True)
    (src / "main.tf").write_text("# v1\n")
    (src / "modules" / "m" / "main.tf").write_text("")
    (src / "someone_override.tf").write_text("")  # a developer's local override is never copied
    (src / "terraform.tfstate").write_text("{}")
    workcopy.sync_tree(src, dst)
    assert (dst / "main.tf").read_text() == "# v1\n" and (dst / "modules" / "m" / "main.tf").is_file()
    assert not (dst / "someone_override.tf").exists() and not (dst / "terraform.tfstate").exists()
    (dst / ".terraform").mkdir()
    (dst / ".terraform" / "terraform.tfstate").write_text("backend")
    (dst / "bootstrap").mkdir()
    (dst / "bootstrap" / "terraform.tfstate").write_text("local state of an interrupted bootstrap")
    (dst / "fuelflow_override.tf").write_text("")
    (src / "main.tf").write_text("# v2\n")
    (src / "modules" / "m" / "main.tf").unlink()
    workcopy.sync_tree(src, dst)
    assert (dst / "main.tf").read_text() == "# v2\n"
    assert not (dst / "modules" / "m" / "main.tf").exists()
    assert not (dst / "fuelflow_override.tf").exists()
    assert (dst / ".terraform" / "terraform.tfstate").read_text() == "backend"
    assert (dst / "bootstrap" / "terraform.tfstate").is_file()


# ----------------------------------------------------------------------------------- plans and outputs


PLAN = {
    "resource_changes": [
        {"address": "module.rds.aws_db_instance.this", "type": "aws_db_instance", "mode": "managed",
         "change": {"actions": ["delete", "create"], "before": {"engine": "mysql"},
                    "after": {"engine": "mysql"}, "after_unknown": {"id": True},
                    "replace_paths": [["engine_version"]]}},
        {"address": "aws_s3_bucket.logs", "type": "aws_s3_bucket", "mode": "managed",
         "change": {"actions": ["update"], "before": {"tags": {}}, "after": {"tags": {"a": "b"}},
                    "after_unknown": {"tags": {}, "versioning": [{"enabled": False}]}}},
        {"address": "aws_iam_role.web", "type": "aws_iam_role", "mode": "managed",
         "change": {"actions": ["create"]}},
        {"address": "aws_s3_bucket.old", "type": "aws_s3_bucket", "mode": "managed",
         "change": {"actions": ["delete"]}},
        {"address": "data.aws_region.current", "type": "aws_region", "mode": "data",
         "change": {"actions": ["read"]}},
        {"address": "aws_vpc.this", "type": "aws_vpc", "mode": "managed", "change": {"actions": ["no-op"]}},
    ]
}


def test_plan_summary_data_loss_and_details() -> None:
    assert plans.plan_summary(PLAN) == {"create": ["aws_iam_role.web"], "update": ["aws_s3_bucket.logs"],
                                     "replace": ["module.rds.aws_db_instance.this"],
                                     "delete": ["aws_s3_bucket.old"]}
    assert plans.data_loss(PLAN) == ["replace module.rds.aws_db_instance.this", "delete aws_s3_bucket.old"]
    details = {d["address"]: d for d in plans.plan_details(PLAN)}
    assert details["aws_s3_bucket.logs"]["attributes"] == ["tags"]
    assert details["module.rds.aws_db_instance.this"]["replace_paths"] == [["engine_version"]]


def test_sensitive_outputs_are_never_shown() -> None:
    raw = {"db_secret": {"value": "hunter2", "sensitive": True}, "vpc_id": {"value": "vpc-1", "sensitive": False}}
    assert plans.redact_outputs(raw) == {"db_secret": "(sensitive)", "vpc_id": "vpc-1"}


def test_error_summary_takes_terraforms_error_lines() -> None:
    stderr = ("\x1b[31m╷\x1b[0m\n│ \x1b[1mError: \x1b[0mcreating S3 Bucket (x): BucketAlreadyExists\n│ \n"
              "│   with aws_s3_bucket.x,\n╵\n╷\n│ Error: Error loading state:\n│     AccessDenied\n╵\n")
    assert runner.error_summary(stderr) == ("creating S3 Bucket (x): BucketAlreadyExists; "
                                        "Error loading state: AccessDenied")
    assert runner.error_summary("panic: boom\n") == "panic: boom"
    assert runner.error_summary("") == "no error message"


# ----------------------------------------------------------------------------------- the binary


def test_missing_terraform_is_one_line_with_the_fix(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.delenv(toolchain.TERRAFORM_ENV, raising=False)
    with pytest.raises(InputError) as err:
        toolchain.find_terraform()
    assert err.value.exit_code == ExitCode.USAGE
    assert "not installed" in err.value.message and "developer.hashicorp.com/terraform/install" in str(err.value.fix)
    monkeypatch.setenv(toolchain.TERRAFORM_ENV, str(tmp_path / "nope"))
    with pytest.raises(InputError, match=toolchain.TERRAFORM_ENV):
        toolchain.find_terraform()


def test_missing_terraform_through_the_cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.delenv(toolchain.TERRAFORM_ENV, raising=False)
    code = main(["--project-dir", str(ROOT), "tf", "plan", "--env", "dev"])
    err = capsys.readouterr().err
    assert code == ExitCode.USAGE
    assert len([ln for ln in err.splitlines() if ln.strip()]) == 1 and "terraform is not installed" in err


def test_old_terraform_is_refused(tmp_path: Path) -> None:
    binary = fake_terraform(tmp_path, 'print(json.dumps({"terraform_version": "1.9.8"}))')
    with pytest.raises(InputError, match="too old"):
        toolchain.terraform_version(str(binary))
    ok = fake_terraform(tmp_path / "ok", 'print(json.dumps({"terraform_version": "1.11.4"}))')
    assert toolchain.terraform_version(str(ok)) == (1, 11, 4)


def test_runner_streams_output_and_raises_with_terraforms_message(
        tmp_path: Path, capfd: pytest.CaptureFixture[str]) -> None:
    binary = fake_terraform(tmp_path, (
        "print('Plan: 1 to add'); sys.stdout.flush()\n"
        "print('│ Error: creating VPC: UnauthorizedOperation', file=sys.stderr)\n"
        "sys.exit(1 if 'apply' in sys.argv else 0)"))
    terraform = runner.Terraform(str(binary), dict(os.environ))
    result = terraform.run(tmp_path, "plan")
    assert result.code == 0 and "Plan: 1 to add" in result.stdout
    out = capfd.readouterr()
    assert "Plan: 1 to add" in out.out and "UnauthorizedOperation" in out.err  # streamed through
    with pytest.raises(DeployError, match=r"terraform apply failed in .*creating VPC: UnauthorizedOperation") as err:
        terraform.run(tmp_path, "apply")
    assert err.value.exit_code == ExitCode.FAILED


def test_runner_adds_no_color_and_chdir(tmp_path: Path) -> None:
    binary = fake_terraform(tmp_path, "print(' '.join(sys.argv[1:]))")
    assert runner.Terraform(str(binary), dict(os.environ)).run(tmp_path, "plan", capture=True).stdout.strip() == (
        f"-chdir={tmp_path} plan -no-color")
    colored = runner.Terraform(str(binary), dict(os.environ), color=True).run(tmp_path, "plan", capture=True)
    assert "-no-color" not in colored.stdout


# ----------------------------------------------------------------------------------- confirmation


def test_apply_and_destroy_refuse_without_a_terminal_or_yes(ui: Ui) -> None:
    for action in ("apply", "destroy", "unbootstrap"):
        with pytest.raises(InputError, match=f"refusing to {action}") as err:
            confirm.require_confirmation(ui, False, action)
        assert err.value.exit_code == ExitCode.USAGE and "pass --yes" in str(err.value.fix)
        confirm.require_confirmation(ui, True, action)


def test_cli_apply_without_yes_exits_2_before_touching_anything(capsys: pytest.CaptureFixture[str]) -> None:
    # Nothing answers at this endpoint: the refusal comes before any connection is tried.
    for command in (["apply"], ["destroy", "--force"], ["unbootstrap"]):
        code = main(["--project-dir", str(ROOT), "tf", *command, "--env", "dev", "--endpoint-url", "http://127.0.0.1:9"])
        assert code == ExitCode.USAGE and "pass --yes" in capsys.readouterr().err


def test_destroy_guard_matches_the_cloudformation_path(monkeypatch: pytest.MonkeyPatch, ui: Ui) -> None:
    dev, prod = load_environment(ROOT, "dev"), load_environment(ROOT, "prod")
    db = ["module.rds.aws_db_instance.this"]
    confirm.guard_destroy(ui, dev, True, False, None, [], "Destroy?")  # nothing stateful: --yes is enough
    with pytest.raises(InputError, match=r"refusing to destroy dev: it deletes module\.rds\.aws_db_instance") as err:
        confirm.guard_destroy(ui, dev, True, False, None, db, "Destroy?")
    assert "--force" in str(err.value.fix)
    with pytest.raises(InputError, match="refusing to destroy prod: it is a production-tier environment"):
        confirm.guard_destroy(ui, prod, True, False, None, [], "Destroy?")
    with pytest.raises(InputError, match="needs a typed confirmation") as err:
        confirm.guard_destroy(ui, dev, True, True, None, db, "Destroy?")
    assert "--confirm dev" in str(err.value.fix)
    with pytest.raises(InputError, match="does not match"):
        confirm.guard_destroy(ui, dev, True, True, "prod", db, "Destroy?")
    confirm.guard_destroy(ui, dev, False, True, "dev", db, "Destroy?")
    monkeypatch.setattr(Ui, "interactive", property(lambda self: True))
    monkeypatch.setattr(Ui, "confirm", lambda self, question, expected=None: expected == "dev")
    confirm.guard_destroy(ui, dev, False, True, None, db, "Destroy?")  # typed on a terminal


def test_unknown_engine_command_is_an_input_error(ui: Ui) -> None:
    with pytest.raises(InputError, match="no 'diff' command"):
        tf_commands.run_engine_command("diff", load_environment(ROOT, "dev"), cast(AwsContext, None), ROOT, ui)


def test_tf_group_is_registered() -> None:
    from fuelflow.commands.tf import COMMANDS

    assert [c.name for c in COMMANDS] == ["tf"]
    assert set(COMMANDS[0].commands) >= {"bootstrap", "unbootstrap", "plan", "apply", "destroy", "output", "status"}


# ----------------------------------------------------------------------------------- the state bucket (emulator)


def _state(resources: int) -> bytes:
    return json.dumps({"version": 4, "serial": 3, "resources": [
        {"mode": "managed", "type": "aws_vpc", "name": f"v{i}", "instances": [{}]} for i in range(resources)],
        "outputs": {"vpc_id": {"value": "vpc-1"}, "secret": {"value": "x", "sensitive": True}}}).encode()


@pytest.fixture
def state_bucket(aws: AwsContext, dev: Environment) -> Iterator[state.StateStore]:
    store = state.StateStore(aws, state.StateBackend.for_env(dev, aws.account_id(), aws.region))
    s3 = aws.client("s3")
    s3.create_bucket(Bucket=store.backend.bucket)
    s3.put_bucket_versioning(Bucket=store.backend.bucket, VersioningConfiguration={"Status": "Enabled"})
    yield store
    store.empty_bucket()
    s3.delete_bucket(Bucket=store.backend.bucket)


@pytest.mark.emulator
def test_state_store_finds_state_that_still_tracks_resources(state_bucket: state.StateStore) -> None:
    s3 = state_bucket.aws.client("s3")
    b = state_bucket.backend
    s3.put_object(Bucket=b.bucket, Key=b.bootstrap_key, Body=_state(8))
    s3.put_object(Bucket=b.bucket, Key=b.key, Body=_state(0))
    assert state_bucket.states_with_resources() == {}  # the bootstrap's own state does not count
    s3.put_object(Bucket=b.bucket, Key=b.key, Body=_state(3))
    s3.put_object(Bucket=b.bucket, Key=f"{b.key}.tflock", Body=b"{}")
    assert state_bucket.states_with_resources() == {b.key: 3}
    assert state_bucket.read_state("missing.tfstate") is None
    assert state_bucket.empty_bucket() == 4  # every version, not just the latest


@pytest.mark.emulator
def test_unbootstrap_never_deletes_a_bucket_holding_state_without_force(
        state_bucket: state.StateStore, dev: Environment, ui: Ui, tmp_path: Path) -> None:
    b = state_bucket.backend
    state_bucket.aws.client("s3").put_object(Bucket=b.bucket, Key=b.key, Body=_state(5))
    s = session.TfSession(dev, state_bucket.aws, ROOT, ui, tmp_path, runner.Terraform("/bin/false", {}), b)
    with pytest.raises(InputError, match=r"still holds state: .*terraform.tfstate \(5 resources\)") as err:
        ops.unbootstrap(s, force=False, auto_approve=True)
    assert "--force" in str(err.value.fix)
    assert state_bucket.bucket_exists()


@pytest.mark.emulator
def test_status_reads_the_state_without_terraform(state_bucket: state.StateStore, dev: Environment, ui: Ui,
                                                  monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))  # no terraform anywhere
    b = state_bucket.backend
    state_bucket.aws.client("s3").put_object(Bucket=b.bucket, Key=b.key, Body=_state(2))
    status = ops.tf_status(dev, state_bucket.aws, ROOT, ui)
    assert status["bucket_exists"] and status["state_exists"] and status["resources"] == 2
    assert status["outputs"] == {"vpc_id": "vpc-1", "secret": "(sensitive)"}
    assert status["lock_table_exists"] is False


@pytest.mark.emulator
def test_status_through_the_engine_option(state_bucket: state.StateStore, dev: Environment,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    """`fuelflow status --engine terraform` prints what tf_status reads."""
    b = state_bucket.backend
    state_bucket.aws.client("s3").put_object(Bucket=b.bucket, Key=b.key, Body=_state(4))
    tf_commands.run_engine_command("status", dev, state_bucket.aws, ROOT, Ui(output="json"))
    printed = json.loads(capsys.readouterr().out)
    assert printed["resources"] == 4 and printed["state_key"] == b.key


@pytest.mark.emulator
def test_plan_without_a_backend_names_the_bootstrap_command(aws: AwsContext, dev: Environment, ui: Ui,
                                                            tmp_path: Path) -> None:
    backend = state.StateBackend.for_env(dev, aws.account_id(), aws.region)
    s = session.TfSession(dev, aws, ROOT, ui, tmp_path, runner.Terraform("/bin/false", {}), backend)
    with pytest.raises(InputError, match="does not exist") as err:
        ops.require_backend(s)
    assert "fuelflow tf bootstrap --env dev" in str(err.value.fix)


def test_a_declined_prompt_exits_4(monkeypatch: pytest.MonkeyPatch, ui: Ui) -> None:
    monkeypatch.setattr(Ui, "interactive", property(lambda self: True))
    asked: list[tuple[str, str | None]] = []

    def ask(self: Ui, question: str, expected: str | None = None) -> bool:
        asked.append((question, expected))
        return False

    monkeypatch.setattr(Ui, "confirm", ask)
    with pytest.raises(FuelflowError, match="destroy declined") as err:
        confirm.approve(ui, False, "destroy", "Destroy 3 resources of dev?", expected="dev")
    assert err.value.exit_code == ExitCode.DECLINED and asked == [("Destroy 3 resources of dev?", "dev")]
    confirm.approve(ui, True, "destroy", "never asked")
    assert len(asked) == 1
