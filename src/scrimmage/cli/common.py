"""Shared CLI plumbing: the one error boundary, the ``--json`` last line, the workdir option.

Every command runs inside :func:`user_errors`:

* a :class:`ScrimmageError` (bad config, data, arguments, stores) prints its message as plain
  text and exits with its code (2; 130/143 for interrupts);
* a filesystem error whose cause is known (disk full, read-only, permission, not a folder) is
  a user error too: it names the path and exits 2;
* anything else is a bug: one line ("internal error: ... details in <log>"), the traceback goes
  to ``<workdir>/logs/``, exit 1. Never a raw traceback on the terminal.

With ``--json`` a failure also prints ``{"error": {"type", "message"}}`` as the last stdout line.
"""

from __future__ import annotations

import errno
import functools
import json
import math
import sys
import tempfile
import traceback
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any, TypeVar

import click
import typer
from rich.console import Console
from rich.text import Text

from scrimmage.errors import ArgumentError, ScrimmageError

console = Console(stderr=False)
err_console = Console(stderr=True)

F = TypeVar("F", bound=Callable[..., Any])

# errno → what the user can do about it
FILESYSTEM_ERRORS = {
    errno.ENOSPC: "no space left on the device; free some space or use another --workdir",
    errno.EDQUOT: "disk quota exceeded; free some space or use another --workdir",
    errno.EROFS: "the file system is read-only; use a writable --workdir",
    errno.EACCES: "permission denied; use a folder you can write to, or fix its permissions",
    errno.EPERM: "operation not permitted; use a folder you can write to, or fix its permissions",
    errno.ENOTDIR: "a path component is a file, not a folder; pass a folder",
    errno.EISDIR: "a folder is in the way where a file is expected",
    errno.ENAMETOOLONG: "the path is too long; use a shorter --workdir",
}


def _clean(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {str(k): _clean(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_clean(v) for v in value]
    if hasattr(value, "item") and callable(value.item):  # numpy / torch scalars
        return _clean(value.item())
    return value


def emit_json(payload: dict[str, Any]) -> None:
    """Print one machine-readable JSON object as the last line of stdout."""
    sys.stdout.flush()
    print(json.dumps(_clean(payload), default=str), flush=True)


def print_error(message: str, label: str = "error") -> None:
    """Plain text (paths with [brackets] print as they are): no rich markup is parsed."""
    err_console.print(Text.assemble((f"{label}: ", "bold red"), message), highlight=False, soft_wrap=True)


def _fail(message: str, kind: str, code: int, json_mode: bool, label: str = "error") -> None:
    print_error(message, label)
    if json_mode:
        emit_json({"error": {"type": kind, "message": message}})
    raise typer.Exit(code=code)


def filesystem_message(exc: OSError) -> str | None:
    """A user-facing message for filesystem errors with a known cause, else None."""
    hint = FILESYSTEM_ERRORS.get(exc.errno or -1)
    if hint is None:
        return None
    where = exc.filename or "a file"
    return f"cannot write or read {where}: {exc.strerror}; {hint}."


def crash_log(exc: BaseException, workdir: Path | None) -> Path:
    """Write the traceback to ``<workdir>/logs/`` (or the temp folder when that is not writable)."""
    stamp = datetime.now().strftime("%Y%m%d_%H%M%S_%f")
    text = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
    text = f"scrimmage {' '.join(sys.argv[1:])}\n\n{text}"
    for folder in ([workdir / "logs"] if workdir else []) + [Path(tempfile.gettempdir()) / "scrimmage-logs"]:
        try:
            folder.mkdir(parents=True, exist_ok=True)
            path = folder / f"internal-error-{stamp}.log"
            path.write_text(text)
            return path
        except OSError:
            continue
    return Path("<no writable log folder>")


def user_errors(func: F) -> F:
    """The error boundary every command runs inside (see the module docstring)."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        json_mode = bool(kwargs.get("json_out"))
        try:
            return func(*args, **kwargs)
        except ScrimmageError as exc:
            _fail(str(exc), type(exc).__name__, exc.exit_code, json_mode)
        except (typer.Exit, click.exceptions.ClickException, click.exceptions.Abort):
            raise
        except KeyboardInterrupt as exc:  # Ctrl-C, or SIGTERM (cli.main.Terminated)
            terminated = type(exc).__name__ == "Terminated"
            _fail("terminated (SIGTERM)" if terminated else "interrupted", "Terminated" if terminated else "Interrupted",
                  143 if terminated else 130, json_mode)
        except OSError as exc:
            message = filesystem_message(exc)
            if message is not None:
                _fail(message, "FilesystemError", 2, json_mode)
            _internal(exc, kwargs, json_mode)
        except Exception as exc:
            _internal(exc, kwargs, json_mode)

    return wrapper  # type: ignore[return-value]


def _internal(exc: BaseException, kwargs: dict[str, Any], json_mode: bool) -> None:
    ctx = kwargs.get("ctx")
    workdir: Path | None = None
    try:
        workdir = workdir_from(ctx, kwargs.get("workdir"), check=False) if ctx is not None else None
    except Exception:  # the boundary itself must never fail
        workdir = None
    log = crash_log(exc, workdir)
    first = str(exc).splitlines()[0] if str(exc) else ""
    message = f"{type(exc).__name__}: {first} — this is a bug in scrimmage; details in {log}"
    _fail(message, "InternalError", 1, json_mode, label="internal error")


WORKDIR_OPTION = typer.Option(
    None, "--workdir", help="Where data, runs and stores live (default: $SCRIMMAGE_HOME or ./scrimmage-runs)."
)


def workdir_from(ctx: typer.Context | None, explicit: Path | None = None, check: bool = True) -> Path:
    """The workdir: the command's own ``--workdir``, else the global one (see cli.main), else the default.

    ``check`` refuses a workdir that exists but is not a folder (the error a write would hit later).
    """
    from scrimmage.paths import resolve_workdir

    if explicit is not None:
        workdir = resolve_workdir(explicit)
    else:
        obj = (ctx.find_root().obj if ctx is not None else None) or {}
        workdir = obj.get("workdir") or resolve_workdir(None)
    if check:
        check_workdir(workdir)
    return workdir


def check_workdir(workdir: Path) -> None:
    for part in (workdir, *workdir.parents):
        if part.exists():
            if not part.is_dir():
                raise ArgumentError(f"--workdir {workdir}: {part} is a file, not a folder; pass a folder (it is created if missing).")
            break


def table_width(headers: list[str], rows: list[list[str]]) -> int:
    """The width rich gives a table of these cells: each column's widest cell + 2 padding + 1 rule, + 1 border."""
    return 1 + sum(max([len(h), *(len(r[i]) for r in rows)]) + 3 for i, h in enumerate(headers))


def columns_that_fit(headers: list[str], rows: list[list[str]], width: int, keep: int = 1) -> int:
    """How many leading columns fit in ``width`` (at least ``keep``: the ones that name a row)."""
    count = keep
    while count < len(headers) and table_width(headers[: count + 1], [r[: count + 1] for r in rows]) <= width:
        count += 1
    return count


def print_table(out: Console, title: str, headers: list[str], rows: list[list[str]], *, right: set[int] = frozenset(),
                keep: int = 1, wide: bool = False) -> None:
    """A table that keeps to the console's width (the leading columns that fit, a note naming the rest);
    ``wide`` prints every column, widening the console for it. Cells never wrap."""
    from rich.table import Table

    count = len(headers) if wide else columns_that_fit(headers, rows, out.width, keep)
    table = Table(title=title, title_justify="left")
    for i, header in enumerate(headers[:count]):
        table.add_column(header, justify="right" if i in right else "left", no_wrap=True)
    for row in rows:
        table.add_row(*row[:count])
    width = out.width
    if wide:  # rich caps a print at the console's width: widen it for this table
        out.width = max(width, table_width(headers, rows))
    try:
        out.print(table)
    finally:
        out.width = width
    if count < len(headers):
        out.print(f"({len(headers) - count} more columns not shown at {width} columns: {', '.join(headers[count:])}; "
                  "see them with --wide or --json)", markup=False, highlight=False)
