"""The reviewed exceptions file (`security/exceptions.yaml`): findings we know about and do not fix, and why.

One file for both auditors: `tool: prowler` entries name a Prowler check id, `tool: fuelflow-audit` entries a
control id of `fuelflow audit` (FF-...). Each entry says which resources (a pattern, `{project}` and `{env}`
filled in) in which environments, and its kind:

- `accepted`: a decision; `reason` says why, `decision` links the docs/decisions.md section that takes it.
- `emulator`: the finding comes from the emulator's fidelity, not from our code; `evidence` says what the
  emulator answers and what AWS answers instead. Fixed in the emulator where a small fix makes it true.
- `pending`: a real gap that is being fixed (`tracking` names where); it goes when the fix lands.

An exception never turns a failure into a pass: the audit reports the result as failed *and suppressed*,
with its justification (SARIF `suppressions`, JSON `suppressed`). An exception that matches nothing in a run
of its tool on its environment is stale: `unused()` lists it and the Prowler test fails on it.
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import yaml

from fuelflow.errors import InputError

Kind = Literal["accepted", "emulator", "pending"]
Tool = Literal["prowler", "fuelflow-audit"]
KINDS: tuple[Kind, ...] = ("accepted", "emulator", "pending")
TOOLS: tuple[Tool, ...] = ("prowler", "fuelflow-audit")
RELATIVE_PATH = Path("security") / "exceptions.yaml"
DECISIONS = "docs/decisions.md"

_COMMON = ("tool", "check", "resource", "environments", "kind", "reason")
_BY_KIND: dict[str, tuple[str, ...]] = {"accepted": ("decision",), "emulator": ("evidence",),
                                         "pending": ("tracking",)}
_OPTIONAL = ("note",)
_PROWLER_CHECK = re.compile(r"^[a-z0-9_*]+$")
_CONTROL_ID = re.compile(r"^FF-[A-Z0-9]+-\d{3}$")


@dataclass(frozen=True)
class Exception_:
    """One reviewed exception (the trailing underscore: `Exception` is Python's)."""

    number: int  # 1-based position in the file, for messages
    tool: Tool
    check: str  # a Prowler check id (may hold *) or an FF- control id
    resource: str  # fnmatch pattern over the resource's ARN, name or a `Key:Value` tag; {project}, {env} filled in
    environments: tuple[str, ...]
    kind: Kind
    reason: str
    decision: str | None = None
    evidence: str | None = None
    tracking: str | None = None

    def label(self) -> str:
        return f"exception {self.number} ({self.tool} {self.check} on {self.resource})"

    def pattern(self, project: str, env: str) -> str:
        return self.resource.replace("{project}", project).replace("{env}", env)

    def matches(self, tool: str, check: str, project: str, env: str, resources: Iterable[str]) -> bool:
        if tool != self.tool or env not in self.environments or not fnmatch.fnmatchcase(check, self.check):
            return False
        pattern = self.pattern(project, env)
        return any(r and fnmatch.fnmatchcase(r, pattern) for r in resources)

    def justification(self) -> str:
        """One line for a suppressed result: kind, reason and where it is decided or shown."""
        where = {"accepted": self.decision, "emulator": self.evidence, "pending": self.tracking}[self.kind]
        return f"{self.kind}: {self.reason}" + (f" ({where})" if where else "")

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"exception": self.number, "kind": self.kind, "reason": self.reason,
                               "justification": self.justification()}
        for key in ("decision", "evidence", "tracking"):
            if getattr(self, key):
                out[key] = getattr(self, key)
        return out


@dataclass(frozen=True)
class Exceptions:
    """The file's entries, and which of them a run used."""

    path: Path
    entries: tuple[Exception_, ...]

    def find(self, tool: str, check: str, project: str, env: str, resources: Iterable[str]) -> Exception_ | None:
        """The first exception covering this finding (file order), or None."""
        candidates = [r for r in resources if r]
        for entry in self.entries:
            if entry.matches(tool, check, project, env, candidates):
                return entry
        return None

    def for_run(self, tool: str, env: str) -> list[Exception_]:
        return [e for e in self.entries if e.tool == tool and env in e.environments]

    def unused(self, tool: str, env: str, used: Iterable[Exception_]) -> list[Exception_]:
        """The exceptions of `tool` for `env` that matched nothing: stale (fixed, or the pattern is wrong)."""
        seen = {e.number for e in used}
        return [e for e in self.for_run(tool, env) if e.number not in seen]


def _fail(path: Path, where: str, problem: str, fix: str) -> InputError:
    return InputError(f"{path}: {where}: {problem}", fix)


def _text(path: Path, where: str, raw: dict[str, Any], key: str) -> str:
    value = raw.get(key)
    if not isinstance(value, str) or not value.strip():
        raise _fail(path, where, f"'{key}' is missing or empty", f"give '{key}' a non-empty text")
    return value.strip()


def _entry(path: Path, number: int, raw: Any, known_controls: Sequence[str] | None) -> Exception_:
    where = f"exception {number}"
    if not isinstance(raw, dict):
        raise _fail(path, where, "is not a mapping", "write each exception as `- tool: ...` with its keys")
    if isinstance(raw.get("check"), str):
        where += f" ({raw['check']})"
    kind = raw.get("kind")
    if kind not in KINDS:
        raise _fail(path, where, f"kind {kind!r} is not one of {', '.join(KINDS)}",
                    "accepted (a decision), emulator (an emulator artefact) or pending (being fixed)")
    allowed = (*_COMMON, *_BY_KIND[kind], *_OPTIONAL)
    unknown = sorted(set(raw) - set(allowed))
    if unknown:
        raise _fail(path, where, f"unknown key(s) {', '.join(unknown)}",
                    f"a {kind} exception has the keys {', '.join(allowed)}")
    tool = raw.get("tool")
    if tool not in TOOLS:
        raise _fail(path, where, f"tool {tool!r} is not one of {', '.join(TOOLS)}", "say which auditor reports it")
    check = _text(path, where, raw, "check")
    if tool == "prowler" and not _PROWLER_CHECK.match(check):
        raise _fail(path, where, f"{check!r} is not a Prowler check id", "e.g. s3_bucket_object_lock")
    if tool == "fuelflow-audit":
        if not _CONTROL_ID.match(check):
            raise _fail(path, where, f"{check!r} is not a control id", "e.g. FF-S3-001 (fuelflow audit lists them)")
        if known_controls is not None and check not in known_controls:
            raise _fail(path, where, f"no control {check}", "use an id `fuelflow audit` reports")
    envs = raw.get("environments")
    if not isinstance(envs, list) or not envs or not all(isinstance(e, str) and e for e in envs):
        raise _fail(path, where, "'environments' must be a non-empty list of environment names",
                    "e.g. environments: [dev, prod]")
    extra = {k: _text(path, where, raw, k) for k in _BY_KIND[kind]}
    decision = extra.get("decision")
    if decision is not None and not decision.startswith(f"{DECISIONS}#"):
        raise _fail(path, where, f"decision {decision!r} does not link a section of {DECISIONS}",
                    f"write it as {DECISIONS}#<section anchor>")
    return Exception_(number, tool, check, _text(path, where, raw, "resource"), tuple(envs), kind,
                      _text(path, where, raw, "reason"), decision, extra.get("evidence"), extra.get("tracking"))


def load(path: Path, known_controls: Sequence[str] | None = None) -> Exceptions:
    """Read and validate the file; any problem is an InputError (exit 2) naming the entry and the fix.

    `known_controls`: the audit's control ids, to refuse an exception for a control that does not exist.
    """
    try:
        data = yaml.safe_load(path.read_text())
    except OSError as exc:
        raise InputError(f"cannot read {path}: {exc.strerror or exc}", "create it or pass the right path") from exc
    except yaml.YAMLError as exc:
        raise InputError(f"{path} is not valid YAML: {str(exc).splitlines()[0]}", "fix the syntax") from exc
    if not isinstance(data, dict) or set(data) - {"version", "exceptions"} or data.get("version") != 1:
        raise InputError(f"{path}: expected the keys `version: 1` and `exceptions:` only",
                         "see security/exceptions.yaml's header for the format")
    raw = data.get("exceptions") or []
    if not isinstance(raw, list):
        raise InputError(f"{path}: 'exceptions' must be a list", "write each exception as `- tool: ...`")
    return Exceptions(path, tuple(_entry(path, i, r, known_controls) for i, r in enumerate(raw, start=1)))


def project_file(project_dir: Path) -> Path:
    return project_dir / RELATIVE_PATH


def load_optional(project_dir: Path, known_controls: Sequence[str] | None = None) -> Exceptions | None:
    """The project's exceptions file, or None when it has none."""
    path = project_file(project_dir)
    return load(path, known_controls) if path.exists() else None
