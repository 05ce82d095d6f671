"""Helpers every service's checks share."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator

from fuelflow.audit.context import Unanswerable
from fuelflow.audit.registry import Verdict, not_checked

NOT_FOUND = "not found"


def each(items: Iterable[tuple[str, str | None]], judge: Callable[[str], Verdict]) -> Iterator[Verdict]:
    """Judge each (resource, arn); a question the target cannot answer becomes "not checked" for that one."""
    for name, arn in items:
        try:
            yield judge(name)
        except Unanswerable as exc:
            yield not_checked(name, exc.reason, arn)
