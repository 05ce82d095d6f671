"""Recreate after destroy: find the retained resources of an environment that exist but belong to no stack
(CloudFormation) or are outside the state (Terraform), and adopt them instead of failing on them.

- CloudFormation: an IMPORT change set (resource import) holding only what is imported, then the normal
  UPDATE change set that adds the rest. AWS's rules, checked here before any change: every imported resource
  has a DeletionPolicy; an IMPORT may not create, update or delete other resources nor touch Outputs; the
  identifier of an AWS::S3::Bucket is its BucketName.
- Terraform: `import { to = ..., id = ... }` blocks written into the work copy; `tf plan` shows them as imports.

Where adoption is impossible (the name is taken by another account, the bucket is in another region, or it
belongs to another stack) the deploy is refused before any change, with the fix.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any

import botocore.exceptions

from fuelflow.errors import DeployError, InputError
from fuelflow.names import Names
from fuelflow.templates import parse_template, references, resolve_name

if TYPE_CHECKING:
    from fuelflow.aws import AwsContext
    from fuelflow.engine import Engine, StackChanges
    from fuelflow.plan import Plan, StackPlan
    from fuelflow.tf.session import TfSession

# Resource types this tool adopts, with the property that names them (their CloudFormation import identifier).
IMPORTABLE = {"AWS::S3::Bucket": "BucketName"}
RETAINED = ("Retain", "RetainExceptOnCreate")
GONE_STATES = ("REVIEW_IN_PROGRESS", "ROLLBACK_COMPLETE")  # a stack that holds no resources of its own
TF_IMPORTS_FILE = "fuelflow_adopt_imports.tf"
KEPT = "kept by the last destroy"


@dataclass(frozen=True)
class Retained:
    """One retained resource that exists outside any stack/state and will be adopted."""

    stack: str  # the stack (or Terraform module) that declares it
    logical_id: str  # logical id, or Terraform address
    resource_type: str
    name: str  # physical name (bucket name)

    def describe(self) -> str:
        return f"adopt s3://{self.name} ({KEPT})"

    def to_dict(self) -> dict[str, str]:
        return dict(self.__dict__)


# ------------------------------------------------------------------------------------------ probing


def bucket_state(aws: AwsContext, name: str, region: str) -> str:
    """'absent', 'ours' (this account, this region), or raise InputError when adoption is impossible."""
    s3 = aws.client("s3")
    try:
        s3.head_bucket(Bucket=name)
    except botocore.exceptions.ClientError as exc:
        code = str(exc.response.get("Error", {}).get("Code", ""))
        if code in ("404", "NoSuchBucket", "NotFound"):
            return "absent"
        if code in ("403", "AccessDenied", "Forbidden"):
            raise InputError(f"the bucket name {name} is taken by another AWS account (bucket names are global)",
                             "choose another project name in the environment file (project:), "
                             "or have that account delete the bucket") from exc
        if code == "301":
            raise InputError(f"the bucket {name} exists in another region, not in {region}",
                             f"deploy this environment to the bucket's region, or empty and delete s3://{name} "
                             "there") from exc
        raise
    location = s3.get_bucket_location(Bucket=name).get("LocationConstraint") or "us-east-1"
    if location != region:
        raise InputError(f"the bucket {name} exists in {location}, not in {region}",
                         f"deploy this environment to {location}, or empty and delete s3://{name} there")
    return "ours"


def bucket_owner(aws: AwsContext, name: str, emulator: bool) -> str | None:
    """The CloudFormation stack that holds the bucket `name` as a resource (None: no stack)."""
    cfn = aws.client("cloudformation")
    if not emulator:
        try:
            found = cfn.describe_stack_resources(PhysicalResourceId=name).get("StackResources", [])
        except botocore.exceptions.ClientError:
            return None  # "Stack for <name> does not exist": no stack holds it
        return str(found[0]["StackName"]) if found else None
    for page in cfn.get_paginator("describe_stacks").paginate():  # the emulator needs a stack name: scan
        for st in page.get("Stacks", []):
            if st["StackStatus"] in ("DELETE_COMPLETE", "REVIEW_IN_PROGRESS"):
                continue
            for r in cfn.describe_stack_resources(StackName=st["StackName"]).get("StackResources", []):
                if r.get("PhysicalResourceId") == name and r.get("ResourceType") == "AWS::S3::Bucket":
                    return str(st["StackName"])
    return None


# ------------------------------------------------------------------------------------------ CloudFormation


def _variables(sp: StackPlan, account: str, region: str) -> dict[str, str]:
    return {**sp.parameters, "AWS::AccountId": account, "AWS::Region": region, "AWS::StackName": sp.name,
            "AWS::Partition": "aws"}


def retained_in(sp: StackPlan, account: str, region: str) -> dict[str, tuple[str, str]]:
    """logical id -> (type, physical name) of the importable resources the stack's template retains."""
    out: dict[str, tuple[str, str]] = {}
    for lid, res in sp.template.resources.items():
        rtype = str(res.get("Type"))
        key = IMPORTABLE.get(rtype)
        if key is None or str(res.get("DeletionPolicy")) not in RETAINED or "Condition" in res:
            continue
        expr = (res.get("Properties") or {}).get(key)
        if expr is None:
            continue  # a generated name: nothing to find after a destroy
        out[lid] = (rtype, resolve_name(expr, _variables(sp, account, region), f"{sp.name}/{lid}"))
    return out


def find_cfn(engine: Engine, plan: Plan, states: dict[str, dict[str, Any] | None],
             aws: AwsContext) -> dict[str, list[Retained]]:
    """Per stack, the retained resources that exist but belong to no stack: what deploy will import.

    Raises InputError (nothing changed) where adoption is impossible.
    """
    account, region = aws.account_id(), aws.region
    found: dict[str, list[Retained]] = {}
    for sp in plan.ordered():
        retained = retained_in(sp, account, region)
        if not retained:
            continue
        state = states.get(sp.name)
        owned: set[str] = set()
        if state is not None and state["StackStatus"] not in GONE_STATES:
            owned = {r.get("LogicalResourceId", "") for r in
                     engine.cfn.describe_stack_resources(StackName=sp.name).get("StackResources", [])}
        for lid, (rtype, name) in retained.items():
            if lid in owned or bucket_state(aws, name, region) == "absent":
                continue
            owner = bucket_owner(aws, name, engine.emulator)
            if owner is not None:
                raise InputError(f"the bucket {name} ({sp.name}/{lid}) already belongs to the stack {owner}",
                                 f"destroy {owner} first (its buckets are kept and adopted by this deploy)")
            found.setdefault(sp.name, []).append(Retained(sp.name, lid, rtype, name))
    return found


def annotate(previews: list[StackChanges], adoptions: dict[str, list[Retained]]) -> None:
    """Show adoption in the preview: the adopted resources are Import, not Add, and the note says so."""
    from fuelflow.engine import ResourceChange

    for p in previews:
        items = adoptions.get(p.stack, [])
        if not items:
            continue
        p.adopt = list(items)
        lids = {r.logical_id: r for r in items}
        p.changes = [ResourceChange("Import", c.logical_id, c.resource_type, physical_id=lids[c.logical_id].name)
                     if c.logical_id in lids else c for c in p.changes]
        if p.kind == "none":  # a stack that exists and is unchanged, but a bucket of its went missing from it
            p.kind = "update"
            p.changes = [ResourceChange("Import", r.logical_id, r.resource_type, physical_id=r.name)
                         for r in items]
        p.note = "; ".join(x for x in [p.note, *(r.describe() for r in items)] if x)


def _only_within(resource: dict[str, Any], keep: set[str], all_resources: set[str]) -> dict[str, Any]:
    """The resource without what needs resources outside `keep` (the UPDATE after the import adds it back):
    properties that refer to them and DependsOn on them; when it depends on one, every property that refers
    to another resource (DependsOn exists because such a property needs that resource first)."""
    out = {k: v for k, v in resource.items() if k != "DependsOn"}
    depends = resource.get("DependsOn") or []
    depends = [depends] if isinstance(depends, str) else list(depends)
    if [d for d in depends if d in keep]:
        out["DependsOn"] = [d for d in depends if d in keep]
    waits_outside = any(d not in keep for d in depends)
    props = resource.get("Properties") or {}
    out["Properties"] = {k: v for k, v in props.items()
                         if not ((references(v) & all_resources) - keep)
                         and not (waits_outside and references(v) & all_resources)}
    return out


def import_template(sp: StackPlan, items: list[Retained], deployed: dict[str, Any] | None) -> dict[str, Any]:
    """The IMPORT change set's template: the deployed template (unchanged, Outputs included) or, for a new
    stack, the template's header without Outputs; plus the resources to import."""
    full = json.loads(json.dumps(sp.template.data))  # a copy: plain dicts and strings
    doc: dict[str, Any]
    if deployed is not None:
        doc = json.loads(json.dumps(deployed))
    else:
        doc = {k: v for k, v in full.items() if k not in ("Resources", "Outputs")}
        doc["Resources"] = {}
    keep = set(doc["Resources"]) | {r.logical_id for r in items}
    for r in items:
        doc["Resources"][r.logical_id] = _only_within(full["Resources"][r.logical_id], keep, set(full["Resources"]))
    return doc


def import_retained(engine: Engine, sp: StackPlan, items: list[Retained], existing: bool) -> None:
    """Run an IMPORT change set for `items` and wait for IMPORT_COMPLETE (the engine's create/update hook)."""
    from fuelflow.engine import CAPABILITIES, StackFailed

    deployed = None
    if existing:
        body = engine.cfn.get_template(StackName=sp.name, TemplateStage="Original")["TemplateBody"]
        deployed = body if isinstance(body, dict) else parse_template(body)
    doc = import_template(sp, items, deployed)
    declared = set(doc.get("Parameters") or {})
    engine._say(f"{sp.name}: importing {', '.join(f's3://{r.name}' for r in items)} ({KEPT})")
    since = datetime.now(timezone.utc)
    resp = engine.cfn.create_change_set(
        StackName=sp.name, ChangeSetName=f"fuelflow-import-{since:%Y%m%d%H%M%S%f}", ChangeSetType="IMPORT",
        TemplateBody=json.dumps(doc),
        Parameters=[{"ParameterKey": k, "ParameterValue": v} for k, v in sp.parameters.items() if k in declared],
        Tags=[{"Key": k, "Value": v} for k, v in sp.tags.items()], Capabilities=CAPABILITIES,
        ResourcesToImport=[{"ResourceType": r.resource_type, "LogicalResourceId": r.logical_id,
                            "ResourceIdentifier": {IMPORTABLE[r.resource_type]: r.name}} for r in items],
        Description=f"fuelflow: adopt the retained resources of {sp.name}")
    try:
        engine.cfn.get_waiter("change_set_create_complete").wait(
            ChangeSetName=resp["Id"], StackName=sp.name,
            WaiterConfig={"Delay": max(engine.poll.initial, 0.05), "MaxAttempts": 600})
    except botocore.exceptions.WaiterError as exc:
        last = exc.last_response or {}
        reason = str(last.get("StatusReason", "")) if isinstance(last, dict) else str(exc)
        raise DeployError(f"{sp.name}: the import change set could not be created: {reason}",
                          "fix what it names, or delete the buckets by hand after saving their data") from exc
    engine.cfn.execute_change_set(ChangeSetName=resp["Id"], StackName=sp.name)
    final = engine._wait(sp.name, since)
    if final["StackStatus"] != "IMPORT_COMPLETE":
        resource, reason = engine._first_failure(sp.name, since)
        raise StackFailed(sp.name, final["StackStatus"], reason or final.get("StackStatusReason", ""), resource)
    engine._say(f"{sp.name}: IMPORT_COMPLETE ({len(items)} adopted)")


# ------------------------------------------------------------------------------------------ Terraform

# The Terraform buckets and their purpose, as the names module spells it: module.s3.aws_s3_bucket.<key>
TF_BUCKET_MODULE = "s3"


def tf_bucket_addresses(module_dir: Path) -> dict[str, str]:
    """address -> purpose of every aws_s3_bucket in the s3 module (python-hcl2 reads the module)."""
    import hcl2

    out: dict[str, str] = {}
    for path in sorted(module_dir.glob("*.tf")):
        with path.open() as fh:
            doc = hcl2.load(fh)
        for block in doc.get("resource", []):
            for rtype, named in block.items():
                if rtype.strip('"') != "aws_s3_bucket":
                    continue
                for name in named:
                    name = name.strip('"')
                    out[f"module.{TF_BUCKET_MODULE}.aws_s3_bucket.{name}"] = name.replace("_", "-")
    return out


def _in_state(state: dict[str, Any] | None) -> set[str]:
    found: set[str] = set()
    for r in (state or {}).get("resources", []):
        if r.get("mode") != "managed" or not r.get("instances"):
            continue
        found.add(".".join(x for x in (r.get("module", ""), r["type"], r["name"]) if x))
    return found


def find_tf(s: TfSession, root: Path) -> list[Retained]:
    """The environment's buckets that exist but are outside the Terraform state (refused where adoption is
    impossible: another account, another region, or a CloudFormation stack holds the bucket)."""
    names = Names(s.env.project, s.env.name, s.aws.account_id(), s.aws.region)
    state = s.store.read_state(s.backend.key)
    tracked = _in_state(state)
    found: list[Retained] = []
    for address, purpose in tf_bucket_addresses(root / "modules" / TF_BUCKET_MODULE).items():
        if address in tracked:
            continue
        name = names.bucket(purpose)
        if bucket_state(s.aws, name, s.aws.region) == "absent":
            continue
        owner = bucket_owner(s.aws, name, s.aws.is_local)
        if owner is not None:
            raise InputError(f"the bucket {name} belongs to the CloudFormation stack {owner}",
                             f"destroy it first (`fuelflow destroy --env {s.env.name}{s.aws.target_args}`): its "
                             "buckets are kept, and a Terraform deploy after it imports them")
        found.append(Retained(f"module.{TF_BUCKET_MODULE}", address, "aws_s3_bucket", name))
    return found


def render_tf_imports(items: list[Retained]) -> str:
    from fuelflow.tf.render import hcl_attributes

    blocks = ["# Written by fuelflow: retained buckets outside the state, adopted by this run.\n"]
    for r in items:
        blocks.append("import {\n" + hcl_attributes({"id": r.name}, 1) + f"  to = {r.logical_id}\n}}\n")
    return "\n".join(blocks)


def write_tf_imports(s: TfSession, root: Path) -> list[Retained]:
    """Write the import blocks into the work copy (never into terraform/); return what they adopt."""
    path = root / TF_IMPORTS_FILE
    items = find_tf(s, root)
    if not items:
        path.unlink(missing_ok=True)
        return []
    path.write_text(render_tf_imports(items))
    for r in items:
        s.ui.progress(f"{r.describe()} -> {r.logical_id}")
    return items
