"""`fuelflow validate`: every static check of the project in one run, as data.

Checks (the names `--only` / `--skip` take; `terraform` means both Terraform checks):

  cfn-lint            the templates in cloudformation/, informational rules on (`-c I`)
  checkov             terraform/ and cloudformation/; checkov lives in a virtual environment of its own
                      (it pins an old boto3): FUELFLOW_CHECKOV, else <project>/.venv-checkov, else PATH
  terraform-fmt       `terraform fmt -check -recursive terraform`
  terraform-validate  `terraform validate` in the root, terraform/bootstrap and every module, each after
                      `init -backend=false` in a temporary copy and TF_DATA_DIR, so the repository stays clean
  parity              `fuelflow.parity.compare(project_dir)`: cloudformation/ and terraform/ describe the
                      same architecture

terraform and the provider mirror come from fuelflow.tf.toolchain, as for `fuelflow tf` and parity.

Independent checks run in parallel. A check whose tool is missing (checkov, terraform) is "not run", with
the command that installs it, and does not fail the validation — unless FUELFLOW_REQUIRE names the tool
(`checkov`, `terraform`; CI sets it), then it fails: nobody vouched for the code. A check with nothing to look
at is "not run" and never fails.
The report renders as JSON or as SARIF 2.1.0 (one run per tool; cfn-lint's and checkov's own SARIF
where they can produce it).
"""

from __future__ import annotations

import importlib
import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from fuelflow.errors import ExitCode, FuelflowError, InputError
from fuelflow.templates import TEMPLATE_DIR
from fuelflow.tf.toolchain import Toolchain, checked_terraform, resolve_plugin_dir
from fuelflow.tf.workcopy import TERRAFORM_DIR, sync_tree

if TYPE_CHECKING:  # the parity check loads python-hcl2 and the CloudFormation side when it runs
    from fuelflow import parity

CHECKS: tuple[str, ...] = ("cfn-lint", "checkov", "terraform-fmt", "terraform-validate", "parity")
GROUPS: dict[str, tuple[str, ...]] = {"terraform": ("terraform-fmt", "terraform-validate")}

CFN_DIR = TEMPLATE_DIR
TF_DIR = TERRAFORM_DIR
TEMPLATE_SUFFIXES = (".yaml", ".yml", ".json", ".template")
TF_FMT_SUFFIXES = (".tf", ".tfvars", ".tftest.hcl")  # what `terraform fmt` rewrites
TIMEOUT_S = 900

CHECKOV_ENV = "FUELFLOW_CHECKOV"
CHECKOV_FIX = ("install it: bash scripts/bootstrap.sh --test (creates .venv-checkov), or point FUELFLOW_CHECKOV "
               "at a checkov")
REQUIRE_ENV = "FUELFLOW_REQUIRE"  # the tools whose absence fails the run (CI: terraform,provider,checkov)
REQUIRABLE = ("terraform", "provider", "checkov", "prowler")  # prowler: the tests' (validate runs no Prowler)


def required_tools() -> frozenset[str]:
    """The tools FUELFLOW_REQUIRE names; an unknown name is bad input, not silently ignored."""
    names = {n.strip().lower() for n in os.environ.get(REQUIRE_ENV, "").split(",") if n.strip()}
    unknown = names - set(REQUIRABLE)
    if unknown:
        raise InputError(f"{REQUIRE_ENV} names unknown tool(s) {', '.join(sorted(unknown))}",
                         f"use a comma-separated list of {', '.join(REQUIRABLE)}")
    return frozenset(names)
CFN_LINT_FIX = "install it with pip install cfn-lint (it is a dependency of fuelflow)"

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
SARIF_VERSION = "2.1.0"
TOOLS: dict[str, tuple[str, str]] = {  # check -> (SARIF driver name, information URI)
    "cfn-lint": ("cfn-lint", "https://github.com/aws-cloudformation/cfn-lint"),
    "checkov": ("Checkov", "https://www.checkov.io"),
    "terraform-fmt": ("terraform fmt", "https://developer.hashicorp.com/terraform/cli/commands/fmt"),
    "terraform-validate": ("terraform validate",
                           "https://developer.hashicorp.com/terraform/cli/commands/validate"),
    "parity": ("fuelflow parity", "https://github.com/fuel-flow/fuelflow/blob/main/docs/contract.md"),
}

Status = Literal["passed", "failed", "not run", "skipped"]
Level = Literal["error", "warning", "note"]
Progress = Callable[[str], None]


# --------------------------------------------------------------------------------------------- results


@dataclass(frozen=True)
class Problem:
    """One finding: where (project-relative, POSIX), which rule, what."""

    message: str
    file: str | None = None
    line: int | None = None
    rule: str | None = None
    level: Level = "error"

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.file and self.line else (self.file or "")
        if self.file and self.file in self.message:
            where = ""  # the message names it already
        return " ".join(p for p in (where, self.rule or "", self.message) if p)


@dataclass
class CheckResult:
    """The outcome of one check. `blocking` decides whether a "not run" fails the validation."""

    name: str
    status: Status
    summary: str = ""
    counts: dict[str, int] = field(default_factory=dict)
    duration: float = 0.0
    problems: list[Problem] = field(default_factory=list)
    reason: str | None = None
    fix: str | None = None
    blocking: bool = True
    sarif_runs: list[dict[str, Any]] = field(default_factory=list)  # the tool's own SARIF, if any

    @property
    def ok(self) -> bool:
        if self.status == "failed":
            return False
        return not (self.status == "not run" and self.blocking)

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "status": self.status,
            "ok": self.ok,
            "summary": self.summary,
            "counts": self.counts,
            "duration_s": round(self.duration, 2),
            "reason": self.reason,
            "fix": self.fix,
            "problems": [asdict(p) for p in self.problems],
        }


def _not_run(name: str, reason: str, fix: str | None = None, *, blocking: bool) -> CheckResult:
    return CheckResult(name, "not run", summary="", reason=reason, fix=fix, blocking=blocking)


def _outcome(name: str, problems: list[Problem], summary: str, counts: dict[str, int],
             sarif_runs: list[dict[str, Any]] | None = None) -> CheckResult:
    return CheckResult(name, "failed" if problems else "passed", summary=summary, counts=counts,
                       problems=problems, sarif_runs=sarif_runs or [])


@dataclass
class Report:
    """Every check's result, in CHECKS order, and how they render for people, scripts and CI."""

    project_dir: Path
    results: list[CheckResult]
    duration: float = 0.0

    @property
    def ok(self) -> bool:
        return all(r.ok for r in self.results)

    @property
    def failed(self) -> list[str]:
        return [r.name for r in self.results if not r.ok]

    @property
    def exit_code(self) -> ExitCode:
        return ExitCode.OK if self.ok else ExitCode.FINDINGS

    def result(self, name: str) -> CheckResult:
        for r in self.results:
            if r.name == name:
                return r
        raise KeyError(name)

    def to_json(self) -> dict[str, Any]:
        return {
            "project_dir": str(self.project_dir),
            "ok": self.ok,
            "exit_code": int(self.exit_code),
            "duration_s": round(self.duration, 2),
            "checks": [r.to_json() for r in self.results],
        }

    def to_sarif(self) -> dict[str, Any]:
        """SARIF 2.1.0: one run per tool that was asked to run (skipped checks have none)."""
        runs: list[dict[str, Any]] = []
        for r in self.results:
            if r.status == "skipped":
                continue
            native = r.sarif_runs if r.status != "not run" else []
            for run in native or [_sarif_run(r)]:
                run.setdefault("properties", {}).update({"fuelflowCheck": r.name, "fuelflowStatus": r.status})
                runs.append(run)
        return {"$schema": SARIF_SCHEMA, "version": SARIF_VERSION, "runs": runs}


def _sarif_run(r: CheckResult) -> dict[str, Any]:
    """A plain SARIF run for a check whose tool has no SARIF output of its own."""
    name, uri = TOOLS.get(r.name, (r.name, ""))
    rule_ids = sorted({p.rule or r.name for p in r.problems})
    results = []
    for p in r.problems:
        res: dict[str, Any] = {"ruleId": p.rule or r.name, "level": p.level, "message": {"text": p.message}}
        if p.file:
            loc: dict[str, Any] = {"artifactLocation": {"uri": p.file}}
            if p.line:
                loc["region"] = {"startLine": p.line}
            res["locations"] = [{"physicalLocation": loc}]
        results.append(res)
    invocation: dict[str, Any] = {"executionSuccessful": r.status != "not run"}
    if r.status == "not run":
        text = f"not run: {r.reason}" + (f" — {r.fix}" if r.fix else "")
        invocation["toolExecutionNotifications"] = [
            {"level": "error" if r.blocking else "note", "message": {"text": text}}
        ]
    driver: dict[str, Any] = {"name": name, "rules": [{"id": i} for i in rule_ids]}
    if uri:
        driver["informationUri"] = uri
    return {"tool": {"driver": driver}, "results": results, "invocations": [invocation]}


# --------------------------------------------------------------------------------------------- selection


def _expand(names: Iterable[str], option: str) -> list[str]:
    out: list[str] = []
    for raw in names:
        for name in (n.strip().lower() for n in raw.split(",")):
            if not name:
                continue
            if name in GROUPS:
                out.extend(GROUPS[name])
            elif name in CHECKS:
                out.append(name)
            else:
                raise InputError(f"unknown check {name!r} in {option}",
                                 f"use one of: {', '.join((*CHECKS, *GROUPS))}")
    return out


def select_checks(only: Iterable[str] = (), skip: Iterable[str] = ()) -> tuple[list[str], list[str]]:
    """(checks to run, checks skipped on request), both in CHECKS order; InputError for unknown names."""
    wanted = _expand(only, "--only") or list(CHECKS)
    skipped = _expand(skip, "--skip")
    selected = [c for c in CHECKS if c in wanted and c not in skipped]
    if not selected:
        raise InputError("--only and --skip leave no check to run", "drop a --skip or pick another --only")
    return selected, [c for c in CHECKS if c in wanted and c in skipped]


# --------------------------------------------------------------------------------------------- tools


def find_checkov(project_dir: Path) -> str | None:
    """FUELFLOW_CHECKOV (if set, nothing else is tried), else <project>/.venv-checkov, else PATH."""
    explicit = os.environ.get(CHECKOV_ENV)
    if explicit:
        return explicit if _executable(Path(explicit).expanduser()) else None
    for candidate in (project_dir / ".venv-checkov" / "bin" / "checkov",
                      project_dir / ".venv-checkov" / "Scripts" / "checkov.exe"):
        if _executable(candidate):
            return str(candidate)
    return shutil.which("checkov")


def _executable(path: Path) -> bool:
    return path.is_file() and os.access(path, os.X_OK)


def _cfn_lint_command() -> list[str] | None:
    if importlib.util.find_spec("cfnlint") is not None:
        return [sys.executable, "-c", "import sys; from cfnlint.runner import main; sys.exit(main())"]
    found = shutil.which("cfn-lint")
    return [found] if found else None


def _cfn_lint_has_sarif(command: Sequence[str]) -> bool:
    """cfn-lint writes SARIF only with its optional extras (cfn-lint[sarif]) installed."""
    return command[0] == sys.executable and all(
        importlib.util.find_spec(m) is not None for m in ("sarif_om", "jschema_to_python"))


# --------------------------------------------------------------------------------------------- running


class _CheckError(Exception):
    """A check could not do its work (tool crashed, timed out): the check fails with this message."""


@dataclass
class _Run:
    project: Path
    work: Path  # a temporary directory, removed after the run
    toolchain: Toolchain | None  # None: terraform is missing or unusable, `tf_missing` says why
    tf_missing: InputError | None
    native_sarif: bool
    say: Progress
    required: frozenset[str] = frozenset()  # FUELFLOW_REQUIRE: a missing tool named here fails the run
    _tf_env: dict[str, str] | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def plugin_dir(self) -> Path | None:
        return self.toolchain.plugin_dir if self.toolchain is not None else None

    def terraform_env(self, toolchain: Toolchain) -> dict[str, str]:
        """The environment of every terraform command (written once: checks run in threads)."""
        with self._lock:
            if self._tf_env is None:
                self._tf_env = toolchain.env(self.work)
            return dict(self._tf_env)

    def terraform_not_run(self, check: str) -> CheckResult:
        """The result of a Terraform check that cannot run here (no usable terraform)."""
        reason = self.tf_missing or InputError("terraform not found")
        return _not_run(check, reason.message, reason.fix, blocking="terraform" in self.required)


def _exec(cmd: Sequence[str], cwd: Path, env: Mapping[str, str] | None = None,
          timeout: float = TIMEOUT_S) -> subprocess.CompletedProcess[str]:
    try:
        return subprocess.run(list(cmd), cwd=cwd, env=dict(env) if env is not None else None, text=True,
                              capture_output=True, timeout=timeout, check=False)
    except subprocess.TimeoutExpired as exc:
        raise _CheckError(f"{Path(cmd[0]).name} timed out after {timeout:.0f} s") from exc
    except OSError as exc:
        raise _CheckError(f"could not run {cmd[0]}: {exc}") from exc


def _lines(text: str, limit: int = 5) -> list[str]:
    """The first meaningful lines of a tool's output (no blank or box-drawing lines)."""
    out = [ln.strip(" │╷╵\t") for ln in text.splitlines()]
    return [ln for ln in out if ln][:limit]


def _rel(project: Path, path: str | Path) -> str:
    p = Path(path)
    if p.is_absolute():
        try:
            p = p.resolve().relative_to(project)
        except ValueError:
            return p.as_posix()
    return Path(os.path.normpath(p)).as_posix()


def _plural(n: int, word: str) -> str:
    if n == 1:
        return f"{n} {word}"
    return f"{n} {word[:-1]}ies" if word.endswith("y") else f"{n} {word}s"


# --------------------------------------------------------------------------------------------- cfn-lint


def _templates(project: Path) -> list[Path]:
    root = project / CFN_DIR
    if not root.is_dir():
        return []
    return sorted(p for p in root.rglob("*") if p.is_file() and p.suffix in TEMPLATE_SUFFIXES)


_CFN_LEVELS: dict[str, Level] = {"error": "error", "warning": "warning", "informational": "note"}


def check_cfn_lint(run: _Run) -> CheckResult:
    templates = _templates(run.project)
    if not templates:
        return _not_run("cfn-lint", f"no templates in {CFN_DIR}/", blocking=False)
    command = _cfn_lint_command()
    if command is None:
        return _not_run("cfn-lint", "cfn-lint not found", CFN_LINT_FIX, blocking=True)
    fmt = "sarif" if run.native_sarif and _cfn_lint_has_sarif(command) else "json"
    rel = [_rel(run.project, t) for t in templates]
    run.say(f"cfn-lint: linting {_plural(len(rel), 'template')}")
    proc = _exec([*command, "--include-checks", "I", "--format", fmt, "--", *rel], cwd=run.project)
    try:
        data = json.loads(proc.stdout or "[]")
    except ValueError:
        data = None
    if data is None or (proc.returncode != 0 and not data):
        raise _CheckError("cfn-lint failed: " + " / ".join(_lines(proc.stderr or proc.stdout) or ["no output"]))
    runs: list[dict[str, Any]] = []
    if fmt == "sarif":
        runs = list(data.get("runs", []))
        problems = [p for r in runs for p in sarif_problems(r)]
    else:
        problems = [
            Problem(
                message=str(m.get("Message", "")),
                file=_rel(run.project, m["Filename"]) if m.get("Filename") else None,
                line=(m.get("Location") or {}).get("Start", {}).get("LineNumber"),
                rule=(m.get("Rule") or {}).get("Id"),
                level=_CFN_LEVELS.get(str(m.get("Level", "")).lower(), "error"),
            )
            for m in data
        ]
    counts = {"templates": len(rel), "errors": 0, "warnings": 0, "informational": 0}
    for p in problems:
        counts[{"error": "errors", "warning": "warnings", "note": "informational"}[p.level]] += 1
    summary = (f"{_plural(counts['errors'], 'error')}, {_plural(counts['warnings'], 'warning')}, "
               f"{counts['informational']} informational in {_plural(len(rel), 'template')}")
    return _outcome("cfn-lint", problems, summary, counts, runs)


def sarif_problems(run: Mapping[str, Any]) -> list[Problem]:
    """The results of one SARIF run as Problems (for tools whose native output we keep)."""
    out = []
    for res in run.get("results", []):
        loc = ((res.get("locations") or [{}])[0]).get("physicalLocation", {})
        level = res.get("level", "warning")
        out.append(Problem(
            message=str((res.get("message") or {}).get("text", "")),
            file=(loc.get("artifactLocation") or {}).get("uri"),
            line=(loc.get("region") or {}).get("startLine"),
            rule=res.get("ruleId"),
            level=level if level in ("error", "warning", "note") else "warning",
        ))
    return out


# --------------------------------------------------------------------------------------------- checkov


def check_checkov(run: _Run) -> CheckResult:
    dirs = [d for d in (TF_DIR, CFN_DIR) if (run.project / d).is_dir()]
    if not dirs:
        return _not_run("checkov", f"neither {TF_DIR}/ nor {CFN_DIR}/ exists", blocking=False)
    checkov = find_checkov(run.project)
    if checkov is None:
        where = f" at {CHECKOV_ENV}={os.environ[CHECKOV_ENV]}" if os.environ.get(CHECKOV_ENV) else ""
        return _not_run("checkov", f"checkov not found{where}", CHECKOV_FIX, blocking="checkov" in run.required)
    out = run.work / "checkov"
    out.mkdir()
    cmd = [checkov, *(a for d in dirs for a in ("-d", d)), "--framework", "terraform", "cloudformation",
           "-o", "json", "-o", "sarif", "--output-file-path", str(out), "--quiet", "--skip-download"]
    run.say(f"checkov: scanning {', '.join(d + '/' for d in dirs)}")
    proc = _exec(cmd, cwd=run.project, env={**os.environ, "NO_COLOR": "1"})
    json_file, sarif_file = out / "results_json.json", out / "results_sarif.sarif"
    if proc.returncode not in (0, 1) or not json_file.is_file():
        raise _CheckError(f"checkov failed (exit {proc.returncode}): "
                          + " / ".join(_lines(proc.stderr, 3) or _lines(proc.stdout, 3) or ["no output"]))
    data = json.loads(json_file.read_text())
    reports = data if isinstance(data, list) else [data]
    counts = {"passed": 0, "failed": 0, "skipped": 0, "parsing_errors": 0}
    problems: list[Problem] = []
    for rep in reports:
        summary = rep.get("summary", rep)
        for key in counts:
            counts[key] += int(summary.get(key, 0) or 0)
        results = rep.get("results") or {}
        for c in results.get("failed_checks", []):
            path = c.get("file_abs_path") or c.get("file_path") or ""
            line_range = c.get("file_line_range") or [None]
            problems.append(Problem(
                message=f"{c.get('check_name', '')} ({c.get('resource', '')})",
                file=_rel(run.project, path) if path else None,
                line=line_range[0] or None,
                rule=c.get("check_id"),
            ))
        for path in results.get("parsing_errors", []):
            problems.append(Problem("checkov could not parse this file", file=_rel(run.project, path),
                                    rule="parsing_error"))
    runs: list[dict[str, Any]] = []
    if sarif_file.is_file():
        try:
            runs = list(json.loads(sarif_file.read_text()).get("runs", []))
        except ValueError:
            runs = []
    summary = (f"{counts['passed']} passed, {counts['failed']} failed, {counts['skipped']} skipped"
               + (f", {_plural(counts['parsing_errors'], 'parsing error')}" if counts["parsing_errors"] else ""))
    return _outcome("checkov", problems, summary, counts, runs)



# --------------------------------------------------------------------------------------------- terraform


def _tf_fmt_files(project: Path) -> list[Path]:
    root = project / TF_DIR
    if not root.is_dir():
        return []
    return sorted(p for p in root.rglob("*") if p.is_file() and p.name.endswith(TF_FMT_SUFFIXES)
                  and ".terraform" not in p.relative_to(root).parts)


def _has_tf(path: Path) -> bool:
    return path.is_dir() and (any(path.glob("*.tf")) or any(path.glob("*.tf.json")))


def terraform_dirs(project: Path) -> list[Path]:
    """The root module, terraform/bootstrap and every terraform/modules/* that holds .tf files."""
    root = project / TF_DIR
    dirs = [d for d in (root, root / "bootstrap") if _has_tf(d)]
    modules = root / "modules"
    if modules.is_dir():
        dirs += [d for d in sorted(modules.iterdir()) if _has_tf(d)]
    return dirs


_DIAG_START = re.compile(r"^(Error|Warning): (.+)$")
_DIAG_WHERE = re.compile(r"^on (.+?) line (\d+)")
_DIAG_SOURCE = re.compile(r"^\d+:")  # a quoted source line


def terraform_diagnostics(text: str, base: str, project: Path) -> list[Problem]:
    """Terraform's human-readable diagnostics ("Error: ...", "on FILE line N", detail) as Problems."""
    blocks: list[tuple[str, str, list[str]]] = []
    for raw in text.splitlines():
        line = raw.strip(" │╷╵\t")
        start = _DIAG_START.match(line)
        if start:
            blocks.append((start.group(1), start.group(2), []))
        elif blocks:
            blocks[-1][2].append(line)
    out: list[Problem] = []
    for kind, summary, body in blocks:
        file: str | None = None
        lineno: int | None = None
        paragraphs: list[list[str]] = [[]]
        for i, line in enumerate(body):
            if not line:
                if paragraphs[-1]:
                    paragraphs.append([])
            elif i == 0:
                summary = f"{summary} {line}"  # a summary too long for one line
            elif (where := _DIAG_WHERE.match(line)) and file is None:
                file, lineno = _rel(project, Path(base) / where.group(1)), int(where.group(2))
            elif not _DIAG_SOURCE.match(line) and not line.startswith(("├", "─")):
                paragraphs[-1].append(line)
        detail = next((" ".join(p) for p in paragraphs if p), "")
        out.append(Problem(f"{summary}: {detail}" if detail else summary, file, lineno, "terraform",
                           "error" if kind == "Error" else "warning"))
    real = [p for p in out if not p.message.startswith("Terraform encountered problems during initiali")]
    return real or out


def check_terraform_fmt(run: _Run) -> CheckResult:
    files = _tf_fmt_files(run.project)
    if not files:
        return _not_run("terraform-fmt", f"no Terraform files in {TF_DIR}/", blocking=False)
    if run.toolchain is None:
        return run.terraform_not_run("terraform-fmt")
    proc = _exec([run.toolchain.binary, "fmt", "-check", "-recursive", "-list=true", "-no-color", TF_DIR],
                 cwd=run.project, env=run.terraform_env(run.toolchain))
    listed = [ln.strip() for ln in proc.stdout.splitlines() if ln.strip()]
    if proc.returncode not in (0, 3) or (proc.returncode == 3 and not listed):
        problems = terraform_diagnostics(proc.stderr, ".", run.project) or [
            Problem("terraform fmt failed: " + " / ".join(_lines(proc.stderr, 3)), rule="fmt")]
    else:
        problems = [Problem(f"not formatted (terraform fmt -recursive {TF_DIR} fixes it)",
                            file=_rel(run.project, f)) for f in listed]
    counts = {"files": len(files), "unformatted": len(problems)}
    return _outcome("terraform-fmt", problems,
                    f"{len(problems)} of {_plural(len(files), 'file')} not formatted", counts)


def check_terraform_validate(run: _Run) -> CheckResult:
    dirs = terraform_dirs(run.project)
    if not dirs:
        return _not_run("terraform-validate", f"no Terraform configuration in {TF_DIR}/", blocking=False)
    if run.toolchain is None:
        return run.terraform_not_run("terraform-validate")
    terraform = run.toolchain.binary
    # `init` writes .terraform.lock.hcl next to the configuration: work on a copy, never in the repo.
    copy = run.work / "tf"
    sync_tree(run.project / TF_DIR, copy / TF_DIR)
    if (run.project / "environments").is_dir():  # var-files and templates the configuration may read
        shutil.copytree(run.project / "environments", copy / "environments", symlinks=True)
    env = run.terraform_env(run.toolchain)
    rels = [d.relative_to(run.project) for d in dirs]
    run.say(f"terraform-validate: {_plural(len(rels), 'directory')}"
            + (f" (providers from the mirror {run.plugin_dir})" if run.plugin_dir else ""))

    def one(rel: Path) -> tuple[list[Problem], int]:
        wd = copy / rel
        denv = {**env, "TF_DATA_DIR": str(run.work / "tf-data" / rel.as_posix().replace("/", "__"))}
        init = _exec([terraform, "init", "-backend=false", "-input=false", "-no-color"], cwd=wd, env=denv)
        if init.returncode != 0:
            found = [p if p.file else Problem(p.message, rel.as_posix(), None, "init")
                     for p in terraform_diagnostics(init.stderr, rel.as_posix(), run.project)
                     if p.level == "error"]
            return found or [Problem("terraform init failed: " + " / ".join(_lines(init.stderr, 3)),
                                     file=rel.as_posix(), rule="init")], 1
        val = _exec([terraform, "validate", "-json", "-no-color"], cwd=wd, env=denv)
        try:
            doc = json.loads(val.stdout)
        except ValueError:
            return terraform_diagnostics(val.stderr, rel.as_posix(), run.project) or [
                Problem("terraform validate failed: " + " / ".join(_lines(val.stderr, 3)),
                        file=rel.as_posix(), rule="validate")], 1
        found = []
        for d in doc.get("diagnostics", []):
            rng = d.get("range") or {}
            detail = _lines(d.get("detail") or "", 1)
            found.append(Problem(
                message=str(d.get("summary", "")) + (f": {detail[0]}" if detail else ""),
                file=_rel(run.project, Path(rel) / rng["filename"]) if rng.get("filename") else rel.as_posix(),
                line=(rng.get("start") or {}).get("line"),
                rule="validate",
                level="error" if d.get("severity") == "error" else "warning",
            ))
        return found, int(doc.get("error_count", 0) or 0)

    workers = min(len(rels), 4)  # each waits on starting the provider more than on CPU: 4 beat cpu_count
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="tf-validate") as pool:
        outcomes = list(pool.map(one, rels))
    problems: list[Problem] = []
    for found, _errors in outcomes:
        problems += [p for p in found if p not in problems]  # the root repeats its modules' problems
    errors = sum(1 for p in problems if p.level == "error")
    counts = {"directories": len(rels), "errors": errors, "warnings": len(problems) - errors}
    summary = (f"{_plural(len(rels), 'directory')}: {_plural(errors, 'error')}, "
               f"{_plural(len(problems) - errors, 'warning')}")
    return _outcome("terraform-validate", problems, summary, counts)


# --------------------------------------------------------------------------------------------- parity


def _parity_problem(difference: parity.Difference) -> Problem:
    """A difference as a Problem, located in the CloudFormation template it names (else the Terraform file)."""
    for file in (difference.cloudformation_file, difference.terraform_file):
        if file and not file.endswith("/"):
            return Problem(str(difference), file=file)
    return Problem(str(difference))


def check_parity(run: _Run) -> CheckResult:
    missing = [d for d in (CFN_DIR, TF_DIR) if not (run.project / d).is_dir()]
    if missing:
        return _not_run("parity", f"nothing to compare: no {' or '.join(f'{d}/' for d in missing)}", blocking=False)
    if run.toolchain is None:
        return run.terraform_not_run("parity")
    from fuelflow import parity

    run.say("parity: fuelflow.parity.compare")
    try:
        problems = [_parity_problem(d) for d in parity.compare(run.project, plugin_dir=run.toolchain.plugin_dir)]
    except InputError as exc:  # a missing tool or provider: like a missing checkov
        return _not_run("parity", exc.message, exc.fix, blocking=True)
    except FuelflowError as exc:
        return _outcome("parity", [Problem(exc.one_line())], "could not compare", {"differences": 0})
    return _outcome("parity", problems, _plural(len(problems), "difference"), {"differences": len(problems)})


# --------------------------------------------------------------------------------------------- entry point


CHECK_FUNCTIONS: dict[str, Callable[[_Run], CheckResult]] = {
    "cfn-lint": check_cfn_lint,
    "checkov": check_checkov,
    "terraform-fmt": check_terraform_fmt,
    "terraform-validate": check_terraform_validate,
    "parity": check_parity,
}


def _timed(name: str, run: _Run) -> CheckResult:
    start = time.perf_counter()
    try:
        result = CHECK_FUNCTIONS[name](run)
    except _CheckError as exc:
        result = CheckResult(name, "failed", summary="could not run", problems=[Problem(str(exc))])
    except Exception as exc:  # one broken check must not hide the others' results
        result = CheckResult(name, "failed", summary="crashed",
                             problems=[Problem(f"{type(exc).__name__}: {exc}", rule="crash")])
    result.duration = time.perf_counter() - start
    detail = f": {result.summary}" if result.summary else ""
    if result.status == "not run":
        detail = f": {result.reason}" + (f" — {result.fix}" if result.fix else "")
    run.say(f"{name}: {result.status} in {result.duration:.1f} s{detail}")
    return result


def _toolchain(plugin_dir: Path | str | None, selected: list[str]) -> tuple[Toolchain | None, InputError | None]:
    """The Terraform toolchain when a selected check needs it. A missing or old terraform makes those checks
    "not run"; a --plugin-dir that is no mirror is bad input (raised: nothing runs)."""
    if not {"terraform-fmt", "terraform-validate", "parity"} & set(selected):
        return None, None
    mirror = resolve_plugin_dir(plugin_dir)
    try:
        return Toolchain(checked_terraform(), mirror), None
    except InputError as exc:
        return None, exc


def run_validate(project_dir: Path | str, *, only: Iterable[str] = (), skip: Iterable[str] = (),
                 plugin_dir: Path | str | None = None, native_sarif: bool = False,
                 progress: Progress | None = None) -> Report:
    """Run the selected checks (in parallel) over a project; InputError before anything runs if the
    selection or the plugin directory is wrong. `native_sarif`: ask tools for their own SARIF too."""
    project = Path(project_dir).resolve()
    if not project.is_dir():
        raise InputError(f"project directory {project} does not exist", "pass --project-dir DIR")
    selected, skipped = select_checks(only, skip)
    required = required_tools()
    toolchain, tf_missing = _toolchain(plugin_dir, selected)
    say: Progress = progress or (lambda _message: None)
    start = time.perf_counter()
    say(f"validate: running {', '.join(selected)} in {project}")
    with tempfile.TemporaryDirectory(prefix="fuelflow-validate-") as tmp:
        run = _Run(project=project, work=Path(tmp), toolchain=toolchain, tf_missing=tf_missing,
                   native_sarif=native_sarif, say=say, required=required)
        with ThreadPoolExecutor(max_workers=len(selected), thread_name_prefix="validate") as pool:
            futures = {name: pool.submit(_timed, name, run) for name in selected}
            done = {name: f.result() for name, f in futures.items()}
    results = [done[n] if n in done else CheckResult(n, "skipped", summary="skipped (--skip)")
               for n in CHECKS if n in done or n in skipped]
    return Report(project_dir=project, results=results, duration=time.perf_counter() - start)
