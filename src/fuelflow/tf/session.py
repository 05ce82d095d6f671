"""One environment on one target: the work copy under `.fuelflow/tf/<env>-<target>/terraform/`, the
files written into it, and the terraform commands run there.

Why a work copy: `--target local` needs an override file that points the AWS provider at the emulator
(the `tflocal` approach), and every environment/target pair needs its own `.terraform/` (backend
settings, module links). Modules keep their relative `../modules` / `./modules` paths because the whole
directory is copied. Backend settings live in a `-backend-config` file: for `--target aws` it is
`terraform/backends/<env>.s3.tfbackend` (generated, since the bucket name holds the account id, and meant
to be committed); for `--target local` it is written into the work dir only, as it names the emulator.
"""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import botocore.exceptions

from fuelflow.aws import AwsContext
from fuelflow.config import Environment
from fuelflow.emulator import LOCAL_CREDENTIALS
from fuelflow.errors import FuelflowError, InputError
from fuelflow.output import Ui
from fuelflow.tf.plans import data_loss, plan_details, plan_summary, state_resources
from fuelflow.tf.render import (
    BACKEND_OVERRIDE,
    PROVIDER_OVERRIDE,
    render_backend_override,
    render_local_override,
)
from fuelflow.tf.runner import Terraform
from fuelflow.tf.source import aws_provider_aliases, tf_vars_for
from fuelflow.tf.state import StateBackend, StateStore, render_backend_config
from fuelflow.tf.toolchain import Toolchain
from fuelflow.tf.workcopy import TERRAFORM_DIR, sync_tree

BOOTSTRAP_DIR = "bootstrap"
BACKENDS_DIR = "backends"
WORK_DIR = Path(".fuelflow") / "tf"
WORK_DIR_ENV = "FUELFLOW_TF_WORK_DIR"  # elsewhere than <project>/.fuelflow/tf (tests, CI caches)
PLAN_FILE = "fuelflow.tfplan"


@dataclass
class TfSession:
    """Terraform for one environment on one target: the work copy, the files it needs, the runner."""

    env: Environment
    aws: AwsContext
    project_dir: Path
    ui: Ui
    work_dir: Path  # .fuelflow/tf
    tf: Terraform
    backend: StateBackend
    last_plan_details: list[dict[str, Any]] = field(default_factory=list, repr=False)
    last_data_loss: list[str] = field(default_factory=list, repr=False)  # "replace <address>" of stateful ones
    last_resource_changes: list[dict[str, Any]] = field(default_factory=list, repr=False)  # for the cost change
    _synced: bool = field(default=False, repr=False)

    # -------- paths

    @property
    def target(self) -> str:
        return "local" if self.aws.is_local else "aws"

    @property
    def env_dir(self) -> Path:
        return self.work_dir / f"{self.env.name}-{self.target}"

    @property
    def root(self) -> Path:
        return self.env_dir / TERRAFORM_DIR

    @property
    def bootstrap_root(self) -> Path:
        return self.root / BOOTSTRAP_DIR

    @property
    def local_endpoint(self) -> str | None:
        """The emulator the generated files point at; None for real AWS."""
        return self.aws.endpoint_url if self.aws.is_local else None

    @property
    def backend_file(self) -> Path:
        """Where the backend config lives: the source tree for AWS (committed), the work dir for local."""
        if self.local_endpoint is None:
            return self.project_dir / TERRAFORM_DIR / BACKENDS_DIR / f"{self.env.name}.s3.tfbackend"
        return self.env_dir / f"{self.env.name}.s3.tfbackend"

    @property
    def store(self) -> StateStore:
        return StateStore(self.aws, self.backend)

    @property
    def ephemeral(self) -> bool:
        """True when this command started the emulator: everything in it is forgotten at exit."""
        return self.aws.emulator is not None

    # -------- preparing

    def sync(self) -> None:
        """Copy terraform/ into the work dir (once per session) and write the target's overrides."""
        if self._synced:
            return
        source = self.project_dir / TERRAFORM_DIR
        if not list(source.glob("*.tf")):
            raise InputError(f"no Terraform root module in {source}",
                             "run from the project directory or pass --project-dir")
        sync_tree(source, self.root)
        for root in (self.root, self.bootstrap_root):
            if root.is_dir() and self.local_endpoint:
                aliases = aws_provider_aliases(root) or [None]
                (root / PROVIDER_OVERRIDE).write_text(render_local_override(self.local_endpoint, aliases))
        self._synced = True

    def var_file(self, root: Path) -> Path:
        """The environment's var-file for `root` (Environment.write_tf_vars when the root takes them all)."""
        name = "bootstrap" if root == self.bootstrap_root else "main"
        path = self.env_dir / f"{self.env.name}.{name}.tfvars.json"
        values = tf_vars_for(self.env, root, self.aws.region)
        if values == self.env.tf_vars():
            return self.env.write_tf_vars(path)
        path.write_text(json.dumps(values, indent=2) + "\n")
        return path

    def write_backend_file(self) -> Path:
        path = self.backend_file
        path.parent.mkdir(parents=True, exist_ok=True)
        text = render_backend_config(self.backend, self.local_endpoint)
        if not path.is_file() or path.read_text() != text:
            path.write_text(text)
        return path

    def set_backend(self, root: Path, kind: str | None) -> None:
        """Force `root`'s backend to `kind` ("local"/"s3") with an override; None: as the root declares."""
        override = root / BACKEND_OVERRIDE
        if kind is None:
            override.unlink(missing_ok=True)
        else:
            override.write_text(render_backend_override(kind))

    # -------- terraform commands

    def init(self, root: Path, *, remote_key: str | None, migrate: bool = False) -> None:
        """`terraform init` with the S3 backend at `remote_key`, or local state when it is None."""
        args = ["init", "-input=false"]
        if remote_key is not None:
            args += [f"-backend-config={self.write_backend_file()}", f"-backend-config=key={remote_key}"]
        args += ["-migrate-state", "-force-copy"] if migrate else ["-reconfigure"]
        self.tf.run(root, *args)

    def plan(self, root: Path, *, destroy: bool = False, summarize: bool = True) -> dict[str, list[str]] | None:
        """Plan into a file; return the summary of changes ({} unless `summarize`), or None when there
        are none."""
        plan_file = root / PLAN_FILE
        args = ["plan", "-input=false", "-lock-timeout=60s", "-detailed-exitcode", f"-out={PLAN_FILE}",
                f"-var-file={self.var_file(root)}"]
        if destroy:
            args.append("-destroy")
        try:
            code = self.tf.run(root, *args, ok=(0, 2)).code
        except FuelflowError:
            plan_file.unlink(missing_ok=True)
            raise
        if code == 0:
            plan_file.unlink(missing_ok=True)
            return None
        if not summarize:
            return {}
        shown = json.loads(self.tf.run(root, "show", "-json", PLAN_FILE, capture=True).stdout)
        self.last_data_loss = [] if destroy else data_loss(shown)
        for what in self.last_data_loss:
            self.ui.warn(f"this plan will {what}: the data it holds is lost")
        self.last_plan_details = plan_details(shown)
        self.last_resource_changes = list(shown.get("resource_changes") or [])
        return plan_summary(shown)

    def apply_plan(self, root: Path) -> None:
        try:
            self.tf.run(root, "apply", "-input=false", "-lock-timeout=60s", PLAN_FILE)
        finally:
            (root / PLAN_FILE).unlink(missing_ok=True)

    def outputs(self, root: Path) -> dict[str, Any]:
        raw: dict[str, Any] = json.loads(self.tf.run(root, "output", "-json", capture=True).stdout or "{}")
        return raw

    def nonempty_buckets(self, root: Path) -> dict[str, list[str]]:
        """Buckets in `root`'s state that hold objects: {bucket: [its state addresses]}.

        The modules never let Terraform empty a bucket (force_destroy = false); destroy keeps such a
        bucket, with its settings (policy, encryption, public access block...), by removing it from
        the state instead of failing on it.
        """
        shown = json.loads(self.tf.run(root, "show", "-json", capture=True).stdout or "{}")
        resources = list(state_resources(shown.get("values", {}).get("root_module", {})))
        buckets = {r["values"].get("bucket"): r["address"] for r in resources if r.get("type") == "aws_s3_bucket"}
        s3 = self.aws.client("s3")
        kept: dict[str, list[str]] = {}
        for name, address in buckets.items():
            if not name:
                continue
            try:
                page = s3.list_object_versions(Bucket=name, MaxKeys=1)
            except botocore.exceptions.ClientError:  # already gone: nothing to keep
                continue
            if page.get("Versions") or page.get("DeleteMarkers"):
                kept[name] = [address] + [r["address"] for r in resources
                                          if r.get("type", "").startswith("aws_s3_bucket_")
                                          and r["values"].get("bucket") == name]
        return kept


def open_session(env: Environment, aws_ctx: AwsContext, project_dir: Path, ui: Ui, *,
                 plugin_dir: str | Path | None = None, work_dir: Path | None = None) -> TfSession:
    """Everything a Terraform command needs, checked before anything runs (exit 2 on bad input)."""
    toolchain = Toolchain.resolve(plugin_dir)
    work = Path(work_dir or os.environ.get(WORK_DIR_ENV) or project_dir / WORK_DIR).resolve()
    work.mkdir(parents=True, exist_ok=True)
    sub_env = toolchain.env(work, ui.warn)
    sub_env.update({"AWS_REGION": aws_ctx.region, "AWS_DEFAULT_REGION": aws_ctx.region})
    if aws_ctx.is_local:
        for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN"):
            sub_env.pop(name, None)
        sub_env["AWS_ACCESS_KEY_ID"] = LOCAL_CREDENTIALS["aws_access_key_id"]
        sub_env["AWS_SECRET_ACCESS_KEY"] = LOCAL_CREDENTIALS["aws_secret_access_key"]
    elif aws_ctx.target.profile:
        sub_env["AWS_PROFILE"] = aws_ctx.target.profile
    runner = Terraform(toolchain.binary, sub_env, color=bool(ui.rich), stream_to_stderr=ui.output == "json")
    backend = StateBackend.for_env(env, aws_ctx.account_id(), aws_ctx.region)
    return TfSession(env, aws_ctx, project_dir.resolve(), ui, work, runner, backend)


@contextlib.contextmanager
def locked(session: TfSession) -> Iterator[TfSession]:
    """One fuelflow command at a time per work dir (two would overwrite each other's files)."""
    session.env_dir.mkdir(parents=True, exist_ok=True)
    with (session.env_dir / ".lock").open("w") as fh:
        try:
            import fcntl

            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except ImportError:  # pragma: no cover - not POSIX: no lock
            pass
        except OSError as exc:
            raise InputError(f"another fuelflow command is using {session.env_dir}",
                             "wait for it to finish") from exc
        yield session
