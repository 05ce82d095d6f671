"""The repository stands alone: its documentation refers only to files a user who clones it has.

- No file a user reads (README.md, docs/, src/, terraform/, cloudformation/, environments/, scripts/) points to
  the original architecture document or the product decisions outside the repository; docs/architecture.md and
  docs/decisions.md replace them.
- Every relative Markdown link in README.md and docs/*.md names a file (or directory) that exists, and a
  ``#fragment`` on a link to a Markdown file names one of its headings.
Offline and fast: reads files only.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

# References to files outside the repository (a sibling checkout that users do not have).
FORBIDDEN = ("../shared", "shared/DECISIONS.md", "spec/architecture-overview.md")

SCANNED_DIRS = ("docs", "src", "terraform", "cloudformation", "environments", "scripts")
TEXT_SUFFIXES = {".md", ".py", ".tf", ".hcl", ".yaml", ".yml", ".json", ".sh", ".tftpl", ".tpl", ".txt", ".cfg"}
SKIPPED_PARTS = {".terraform", "__pycache__", ".git"}


def _scanned_files() -> list[Path]:
    files = [ROOT / "README.md"]
    for top in SCANNED_DIRS:
        base = ROOT / top
        if not base.is_dir():
            continue
        for path in sorted(base.rglob("*")):
            rel = path.relative_to(ROOT)
            if not path.is_file() or SKIPPED_PARTS.intersection(rel.parts) or any(p.startswith(".") for p in rel.parts):
                continue
            if path.suffix in TEXT_SUFFIXES:
                files.append(path)
    return files


def _markdown_files() -> list[Path]:
    return [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]


def test_the_documents_users_need_are_in_the_repository() -> None:
    for name in ("docs/architecture.md", "docs/decisions.md", "docs/contract.md"):
        assert (ROOT / name).is_file(), f"{name} is missing"


def test_no_file_refers_to_files_outside_the_repository() -> None:
    offenders = []
    for path in _scanned_files():
        text = path.read_text(encoding="utf-8", errors="replace")
        for lineno, line in enumerate(text.splitlines(), 1):
            for needle in FORBIDDEN:
                if needle in line:
                    offenders.append(f"{path.relative_to(ROOT)}:{lineno}: {needle!r}")
    hint = "refers to a file outside the repository (use docs/architecture.md or docs/decisions.md)"
    assert not offenders, hint + ":\n" + "\n".join(offenders)


FENCE = re.compile(r"^(```|~~~).*?^\1[^\n]*$", re.MULTILINE | re.DOTALL)
INLINE_CODE = re.compile(r"(`+)(?!`).*?(?<!`)\1(?!`)", re.DOTALL)
LINK = re.compile(r"!?\[(?:[^\[\]]|\[[^\[\]]*\])*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
EXTERNAL = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*:")  # http:, https:, mailto:, ...


def _links(markdown: str) -> list[str]:
    """Targets of the inline links, outside fenced blocks and inline code spans (there they are examples)."""
    text = FENCE.sub("", markdown)
    code = [(m.start(), m.end()) for m in INLINE_CODE.finditer(text)]
    return [m.group(1) for m in LINK.finditer(text) if not any(a <= m.start() < b for a, b in code)]


def _slug(heading: str) -> str:
    """GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens."""
    text = re.sub(r"`([^`]*)`", r"\1", heading.strip())
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", text)
    text = text.lower()
    text = re.sub(r"[^\w\- ]", "", text)
    return text.replace(" ", "-")


def _anchors(markdown_file: Path) -> set[str]:
    text = FENCE.sub("", markdown_file.read_text(encoding="utf-8"))
    seen: dict[str, int] = {}
    anchors = set()
    for match in re.finditer(r"^#{1,6}\s+(.+?)\s*#*\s*$", text, re.MULTILINE):
        slug = _slug(match.group(1))
        n = seen.get(slug, 0)
        seen[slug] = n + 1
        anchors.add(slug if n == 0 else f"{slug}-{n}")
    return anchors


@pytest.mark.parametrize("doc", _markdown_files(), ids=lambda p: str(p.relative_to(ROOT)))
def test_relative_links_point_to_files_that_exist(doc: Path) -> None:
    broken = []
    for target in _links(doc.read_text(encoding="utf-8")):
        if EXTERNAL.match(target):
            continue
        path_part, _, fragment = target.partition("#")
        dest = doc if not path_part else (doc.parent / path_part).resolve()
        if not dest.exists():
            broken.append(f"{target}: {dest} does not exist")
            continue
        if ROOT not in (dest, *dest.parents):
            broken.append(f"{target}: leaves the repository")
            continue
        if fragment and dest.suffix == ".md" and fragment not in _anchors(dest):
            broken.append(f"{target}: no heading #{fragment} in {dest.relative_to(ROOT)}")
    assert not broken, f"{doc.relative_to(ROOT)}:\n" + "\n".join(broken)


def test_the_checks_see_what_they_check() -> None:
    """Guard against checks that silently find nothing."""
    scanned = {str(p.relative_to(ROOT)) for p in _scanned_files()}
    for expected in ("README.md", "docs/decisions.md", "src/fuelflow/cli.py", "terraform/README.md",
                     "terraform/modules/network/README.md", "cloudformation/network.yaml"):
        assert expected in scanned, f"{expected} is not scanned"
    readme_links = _links((ROOT / "README.md").read_text(encoding="utf-8"))
    assert "docs/architecture.md" in readme_links
    assert "docs/decisions.md" in readme_links
    assert _links("see `[x](nowhere.md)` and [y](somewhere.md)") == ["somewhere.md"]
    assert _slug("5.8 Terraform state: one backend per environment, two locks") == \
        "58-terraform-state-one-backend-per-environment-two-locks"
