"""How results reach the user: rich tables on a terminal, plain lines when piped or NO_COLOR,
JSON for scripts. Progress and errors go to stderr so stdout stays parseable."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:  # rich is imported when something is printed through it (it costs every command's start)
    from rich.console import Console

OutputFormat = Literal["table", "json"]


@dataclass
class Ui:
    """One object that every command prints through."""

    output: OutputFormat = "table"
    rich: bool | None = None  # None: decide from the terminal and NO_COLOR

    def __post_init__(self) -> None:
        if self.rich is None:
            self.rich = sys.stdout.isatty() and not os.environ.get("NO_COLOR") and self.output == "table"

    @cached_property
    def out(self) -> Console:
        from rich.console import Console

        return Console(highlight=False, soft_wrap=True, emoji=False, no_color=not self.rich)

    @cached_property
    def err(self) -> Console:
        from rich.console import Console

        return Console(stderr=True, highlight=False, soft_wrap=True, emoji=False,
                       no_color=bool(os.environ.get("NO_COLOR")) or not sys.stderr.isatty())

    @property
    def interactive(self) -> bool:
        return sys.stdin.isatty() and sys.stdout.isatty()

    def progress(self, message: str) -> None:
        """A progress line (stderr): visible while the work goes on, never mixed into JSON."""
        self.err.print(message, markup=False)

    def info(self, message: str) -> None:
        if self.output == "json":
            self.err.print(message, markup=False)
        else:
            self.out.print(message, markup=False)

    def error(self, message: str) -> None:
        self.err.print(f"[bold red]error:[/] {_escape(message)}")

    def warn(self, message: str) -> None:
        self.err.print(f"[yellow]warning:[/] {_escape(message)}")

    def json(self, data: Any) -> None:
        sys.stdout.write(json.dumps(data, indent=2, default=str) + "\n")
        sys.stdout.flush()

    def table(self, title: str, columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
        """A table on a terminal; tab-separated lines (with a header) otherwise."""
        if self.rich:
            from rich.table import Table

            t = Table(title=title, title_justify="left")
            for c in columns:
                t.add_column(c, overflow="fold")
            for r in rows:
                t.add_row(*(_escape("" if v is None else str(v)) for v in r))
            self.out.print(t)
            return
        lines = [f"# {title}", "\t".join(columns)]
        lines += ["\t".join("" if v is None else str(v).replace("\n", "; ") for v in r) for r in rows]
        self.out.file.write("\n".join(lines) + "\n")  # real tabs: rich would expand them

    def confirm(self, question: str, expected: str | None = None) -> bool:
        """Ask on a terminal. With `expected`, the user must type it exactly (destructive actions)."""
        if expected is None:  # escaped: rich would take [y/N] (and brackets in the question) for markup
            answer = self.err.input(f"{_escape(question)} {_escape('[y/N]')} ")
            return answer.strip().lower() in ("y", "yes")
        answer = self.err.input(f"{_escape(question)}\nType [bold]{_escape(expected)}[/] to confirm: ")
        return answer.strip() == expected


def _escape(text: str) -> str:
    from rich.markup import escape

    return escape(text)
