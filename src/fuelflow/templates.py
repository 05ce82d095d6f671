"""CloudFormation templates of a project: loaded with PyYAML and CloudFormation's short-form tags (the same
documents cfn-lint's loader makes, without importing its rules engine: tests/test_templates.py holds the two
equal), with what the tool needs to know about each (the stack part it belongs to, parameters it declares,
exports it defines, imports it uses)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from cfn_tools import yaml_loader as cfn_yaml_tags  # cfn-flip

from fuelflow.contract import SAFE_LOADER
from fuelflow.errors import InputError

TEMPLATE_DIR = "cloudformation"
SUB_VAR = re.compile(r"\$\{([^}!][^}]*)\}")


@dataclass(frozen=True)
class Template:
    """One template file. `part` is the file name up to the first '-' (`iam-roles.yaml` -> `iam`)."""

    part: str
    path: Path
    body: str
    data: dict[str, Any] = field(repr=False, compare=False)

    @property
    def parameters(self) -> dict[str, dict[str, Any]]:
        return dict(self.data.get("Parameters") or {})

    @property
    def resources(self) -> dict[str, dict[str, Any]]:
        return dict(self.data.get("Resources") or {})

    def exports(self) -> dict[str, Any]:
        """Output name -> the export-name expression."""
        out: dict[str, Any] = {}
        for name, output in (self.data.get("Outputs") or {}).items():
            export = (output or {}).get("Export")
            if export and "Name" in export:
                out[name] = export["Name"]
        return out

    def imports(self) -> list[Any]:
        """Every `Fn::ImportValue` argument in the template (resources, outputs, conditions)."""
        return find_imports(self.data)

    def stateful_resources(self) -> dict[str, str]:
        """Logical id -> DeletionPolicy for resources whose data outlives a delete (Retain/Snapshot)."""
        return {
            lid: str(res.get("DeletionPolicy"))
            for lid, res in self.resources.items()
            if str(res.get("DeletionPolicy")) in ("Retain", "Snapshot", "RetainExceptOnCreate")
        }


def references(node: Any) -> set[str]:
    """Names a template fragment refers to: Ref, Fn::GetAtt, and ${X} / ${X.Attr} in Fn::Sub (not ${!Literal})."""
    found: set[str] = set()
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "Ref" and isinstance(value, str):
                found.add(value)
            elif key == "Fn::GetAtt":
                target = value[0] if isinstance(value, list) else str(value).split(".")[0]
                found.add(str(target))
            elif key == "Fn::Sub":
                text = value[0] if isinstance(value, list) else value
                if isinstance(text, str):
                    found.update(m.split(".")[0] for m in SUB_VAR.findall(text))
                if isinstance(value, list) and len(value) > 1:
                    found.update(references(value[1]))
            else:
                found.update(references(value))
    elif isinstance(node, list):
        for item in node:
            found.update(references(item))
    return found


def find_imports(node: Any) -> list[Any]:
    """Every `Fn::ImportValue` argument below `node`."""
    found: list[Any] = []
    _walk_imports(node, found)
    return found


def _walk_imports(node: Any, found: list[Any]) -> None:
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "Fn::ImportValue":
                found.append(value)
            else:
                _walk_imports(value, found)
    elif isinstance(node, list):
        for item in node:
            _walk_imports(item, found)


def part_of(path: Path) -> str:
    return path.stem.split("-")[0]


class CfnLoader(SAFE_LOADER):  # type: ignore[misc,valid-type]
    """PyYAML's safe loader (libyaml's when present) with CloudFormation's short-form tags read by cfn-flip's
    constructor, the AWS Labs library (`!Ref X` -> {"Ref": "X"}, `!GetAtt A.B` -> {"Fn::GetAtt": ["A", "B"]},
    `!Sub ...` -> {"Fn::Sub": ...}; tests/test_templates.py holds the result equal to cfn-lint's loader on every
    template), and refusing a key given twice in one mapping (PyYAML would keep the last silently).

    Not cfn-lint's own loader: importing `cfnlint.decode` imports cfn-lint's whole rules engine (sympy,
    networkx), about a second that every command would pay (issue 12)."""


def _construct_map(loader: yaml.SafeLoader, node: yaml.MappingNode) -> dict[Any, Any]:
    loader.flatten_mapping(node)
    seen: dict[Any, int] = {}
    for key_node, _value in node.value:
        key = loader.construct_object(key_node, deep=True)
        if key in seen:
            raise yaml.constructor.ConstructorError(
                None, None, f"Duplicate found {key!r} (lines {seen[key] + 1} and {key_node.start_mark.line + 1})",
                key_node.start_mark)
        seen[key] = key_node.start_mark.line
    return loader.construct_mapping(node, deep=True)


CfnLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_map)
CfnLoader.add_multi_constructor("!", cfn_yaml_tags.multi_constructor)


def parse_template(body: str) -> dict[str, Any]:
    """A template body (YAML or JSON) as plain data; ValueError with the parser's message when it does not
    parse or is not a mapping."""
    try:
        data = yaml.load(body, Loader=CfnLoader)  # a safe loader, with CloudFormation's tags
    except yaml.YAMLError as exc:
        raise ValueError(" ".join(str(exc).split())) from exc
    if not isinstance(data, dict):
        raise ValueError("empty document" if data is None else "the document is not a mapping")
    return data


def load_template(path: Path) -> Template:
    """Parse one template (PyYAML with CloudFormation's short-form tags: parse_template)."""
    try:
        body = path.read_text()
    except OSError as exc:
        raise InputError(f"cannot read template {path}: {exc.strerror}",
                         "check the file exists and is readable") from exc
    try:
        data = parse_template(body)
    except ValueError as exc:
        raise InputError(f"{path}: template does not parse: {exc}", "fix the YAML (run `fuelflow validate`)") from exc
    if not isinstance(data.get("Resources"), dict):
        raise InputError(f"{path}: template has no Resources section", "add the resources the stack creates")
    return Template(part=part_of(path), path=path, body=body, data=data)


def discover_templates(project_dir: Path) -> list[Template]:
    """All templates in `<project>/cloudformation/*.yaml`, one per part."""
    folder = project_dir / TEMPLATE_DIR
    paths = sorted([*folder.glob("*.yaml"), *folder.glob("*.yml"), *folder.glob("*.json")])
    if not paths:
        raise InputError(f"no CloudFormation templates in {folder}",
                         "run from the project directory or pass --project-dir")
    templates = [load_template(p) for p in paths]
    seen: dict[str, Path] = {}
    for t in templates:
        if t.part in seen:
            raise InputError(f"{t.path} and {seen[t.part]} are both stack part {t.part!r}",
                             "give each template its own first word")
        seen[t.part] = t.path
    return templates


def resolve_name(expr: Any, variables: dict[str, str], where: str) -> str:
    """Evaluate an export/import name expression: a string, `Fn::Sub` (string or [string, vars]) or
    `Fn::Join`, with parameters and pseudo parameters known before deployment."""
    if isinstance(expr, str):
        return expr
    if isinstance(expr, dict) and len(expr) == 1:
        (fn, arg), = expr.items()
        if fn == "Fn::Sub":
            text, local = (arg, {}) if isinstance(arg, str) else (arg[0], arg[1])
            names = {**variables, **{k: resolve_name(v, variables, where) for k, v in local.items()}}

            def sub(m: re.Match[str]) -> str:
                key = m.group(1)
                if key not in names:
                    raise InputError(f"{where}: cannot resolve ${{{key}}} in an export/import name",
                                     "use only parameters and AWS::StackName / AWS::Region / AWS::AccountId")
                return names[key]

            return SUB_VAR.sub(sub, text)
        if fn == "Ref" and isinstance(arg, str) and arg in variables:
            return variables[arg]
        if fn == "Fn::Join" and isinstance(arg, list) and len(arg) == 2:
            return str(arg[0]).join(resolve_name(x, variables, where) for x in arg[1])
    raise InputError(f"{where}: export/import name {expr!r} cannot be resolved before deployment",
                     "build it with Fn::Sub from parameters and pseudo parameters")
