#!/usr/bin/env python3
"""Write (or --check) the inputs/outputs tables in the README.md of each Terraform module and root.

A small stand-in for terraform-docs (not installed everywhere): it reads variables.tf and outputs.tf
with python-hcl2 and replaces the text between <!-- BEGIN_TF_DOCS --> and <!-- END_TF_DOCS -->.
Usage: terraform_docs.py [--check] [DIR ...]   (default: every module, the root and bootstrap)
Exit 1 with --check when a README is out of date.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import hcl2

BEGIN, END = "<!-- BEGIN_TF_DOCS -->", "<!-- END_TF_DOCS -->"
TERRAFORM_DIR = Path(__file__).resolve().parents[1]


def _unquote(text: object) -> str:
    s = str(text)
    if s.startswith("${") and s.endswith("}"):
        s = s[2:-1]
    if len(s) >= 2 and s[0] == s[-1] == '"':
        s = s[1:-1]
    return s


def _default(block: dict) -> str:
    if "default" not in block:
        return "n/a"
    value = block["default"]
    if value is None:
        return "`null`"
    if isinstance(value, str):
        inner = _unquote(value)
        return f'`"{inner}"`' if value.startswith('"') else f"`{inner}`"
    return f"`{json.dumps(value)}`"


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def render(module_dir: Path) -> str:
    lines = ["## Inputs", "", "| Name | Description | Type | Default | Required |", "|---|---|---|---|:---:|"]
    variables_tf = module_dir / "variables.tf"
    for var in hcl2.load(variables_tf.open()).get("variable", []) if variables_tf.exists() else []:
        for raw_name, block in var.items():
            name = _unquote(raw_name)
            required = "yes" if "default" not in block else "no"
            lines.append(
                f"| `{name}` | {_cell(_unquote(block.get('description', '')))} "
                f"| `{_cell(_unquote(block.get('type', 'any')))}` | {_cell(_default(block))} | {required} |"
            )
    lines += ["", "## Outputs", "", "| Name | Description |", "|---|---|"]
    outputs_tf = module_dir / "outputs.tf"
    for out in hcl2.load(outputs_tf.open()).get("output", []) if outputs_tf.exists() else []:
        for raw_name, block in out.items():
            lines.append(f"| `{_unquote(raw_name)}` | {_cell(_unquote(block.get('description', '')))} |")
    return "\n".join(lines)


def update(module_dir: Path, check: bool) -> bool:
    """Return True when the README is (now) current."""
    readme = module_dir / "README.md"
    text = readme.read_text()
    start, stop = text.index(BEGIN) + len(BEGIN), text.index(END)
    new = text[:start] + "\n" + render(module_dir) + "\n" + text[stop:]
    if new == text:
        return True
    if check:
        print(f"{readme}: inputs/outputs table is out of date (run terraform/scripts/terraform_docs.py)")
        return False
    readme.write_text(new)
    print(f"updated {readme}")
    return True


def main(argv: list[str]) -> int:
    check = "--check" in argv
    dirs = [Path(a) for a in argv if not a.startswith("--")] or [
        TERRAFORM_DIR,
        TERRAFORM_DIR / "bootstrap",
        *sorted(p for p in (TERRAFORM_DIR / "modules").iterdir() if p.is_dir()),
    ]
    ok = [update(d, check) for d in dirs]
    return 0 if all(ok) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
