"""pytest plugin: under FUELFLOW_REQUIRE (e.g. `terraform,provider,checkov`, set by .ci/run) a test that skips
because a required tool is missing fails instead, so CI can never pass by skipping what it was meant to run.

A skip counts as "a required tool is missing" when the test carries the tool's marker (`terraform` for
terraform and provider, `checkov` for checkov, `prowler` for Prowler) or its reason names the tool. Locally,
without the variable, the skips stay skips (and say what is missing).
"""

from __future__ import annotations

import os
import re
from collections.abc import Generator
from typing import Any

import pytest

REQUIRE_ENV = "FUELFLOW_REQUIRE"
TOOLS = ("terraform", "provider", "checkov", "prowler")
# tool -> (marker that needs it, words in a skip reason that name it)
_NEEDS: dict[str, tuple[str, re.Pattern[str]]] = {
    "terraform": ("terraform", re.compile(r"\bterraform\b", re.IGNORECASE)),
    "provider": ("terraform", re.compile(r"\bprovider\b|hashicorp/aws|filesystem mirror", re.IGNORECASE)),
    "checkov": ("checkov", re.compile(r"\bcheckov\b", re.IGNORECASE)),
    "prowler": ("prowler", re.compile(r"\bprowler\b", re.IGNORECASE)),
}


def required_tools() -> set[str]:
    """The tools FUELFLOW_REQUIRE names; an unknown name is an error, not silently ignored."""
    names = {n.strip().lower() for n in os.environ.get(REQUIRE_ENV, "").split(",") if n.strip()}
    unknown = names - set(TOOLS)
    if unknown:
        raise pytest.UsageError(f"{REQUIRE_ENV}: unknown tool(s) {', '.join(sorted(unknown))} "
                                f"(known: {', '.join(TOOLS)})")
    return names


def skip_reason(report: pytest.TestReport) -> str:
    longrepr: Any = report.longrepr
    reason = str(longrepr[2]) if isinstance(longrepr, tuple) and len(longrepr) == 3 else str(longrepr)
    return reason.removeprefix("Skipped: ")


def missing_required(item: pytest.Item, reason: str, required: set[str]) -> str | None:
    """The required tool this skip is about, or None when the skip is about something else."""
    for tool in sorted(required):
        marker, words = _NEEDS[tool]
        if item.get_closest_marker(marker) is not None or words.search(reason):
            return tool
    return None


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Generator[None, Any, None]:
    outcome = yield
    report: pytest.TestReport = outcome.get_result()
    if not report.skipped or hasattr(report, "wasxfail"):
        return
    required = required_tools()
    if not required:
        return
    reason = skip_reason(report)
    tool = missing_required(item, reason, required)
    if tool is not None:
        report.outcome = "failed"
        report.longrepr = f"{REQUIRE_ENV} requires {tool}, but the test skipped: {reason}"


def pytest_configure(config: pytest.Config) -> None:
    required_tools()  # an unknown tool name stops the run at once


def pytest_report_header(config: pytest.Config) -> str | None:
    required = required_tools()
    return f"{REQUIRE_ENV}: {', '.join(sorted(required))} (a skip for lack of one fails)" if required else None
