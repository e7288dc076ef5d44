"""What every ``scrimmage data <source>`` command prints: a progress bar, its tables, its rules, notes.

Domains' ingest commands (football's NFL and college, markets) share one look: a transient bar of
files read on stderr, a table of rows per written table, a table of data-quality rules with what
each detected and did, then notes (cache hits) and warnings. Each domain adds only its own lines.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from scrimmage.cli.common import err_console


@contextlib.contextmanager
def ingest_bar(label: str) -> Iterator[Callable[[int, int], None]]:
    """A transient bar on stderr; yields the ``progress(done, total)`` an ingest reports to."""
    with Progress(TextColumn(f"[bold]{escape(label)}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                  console=err_console, transient=True) as bar:
        task = bar.add_task("ingest", total=None)
        yield lambda done, total: bar.update(task, completed=done, total=total)


def print_tables(out: Any, title: str, cached: bool, tables: Iterable[tuple[str, int, str]]) -> None:
    """Rows per written table: ``(name, rows, file)``; the title says when the tables came from the cache."""
    head = Table(title=title + (" (cached)" if cached else ""), show_header=True)
    head.add_column("table")
    head.add_column("rows", justify="right")
    head.add_column("file")
    for name, rows, path in tables:
        head.add_row(name, f"{rows:,}", str(path))
    out.print(head)


def print_rules(out: Any, columns: list[tuple[str, str]], rows: Iterable[list[str]]) -> None:
    """The data-quality rules: ``columns`` are (header, "left"|"right"), one row of cells per rule."""
    rules = Table(title="data-quality rules", show_header=True)
    for header, justify in columns:
        rules.add_column(header, justify=justify)  # type: ignore[arg-type]
    for row in rows:
        rules.add_row(*row)
    out.print(rules)


def print_notes(out: Any, summary: dict[str, Any]) -> None:
    """The summary's ``notes`` (e.g. "using cached tables ...") and ``warnings``, escaped and wrapped."""
    for note in summary.get("notes") or []:
        out.print(escape(note), highlight=False, soft_wrap=True)
    for warning in summary.get("warnings") or []:
        out.print(f"[bold yellow]warning:[/] {escape(warning)}", highlight=False, soft_wrap=True)
