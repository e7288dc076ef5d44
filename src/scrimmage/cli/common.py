"""Shared CLI plumbing: error handling (exit 2, no traceback) and the ``--json`` last line."""

from __future__ import annotations

import functools
import json
import math
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import typer
from rich.console import Console

from scrimmage.errors import ScrimmageError

console = Console(stderr=False)
err_console = Console(stderr=True)

F = TypeVar("F", bound=Callable[..., Any])


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


def user_errors(func: F) -> F:
    """Turn ScrimmageError into a one-line message on stderr and exit code 2."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except ScrimmageError as exc:
            err_console.print(f"[bold red]error:[/] {exc}", highlight=False, soft_wrap=True)
            raise typer.Exit(code=exc.exit_code) from None

    return wrapper  # type: ignore[return-value]


WORKDIR_OPTION = typer.Option(
    None, "--workdir", help="Where data, runs and stores live (default: $SCRIMMAGE_HOME or ./scrimmage-runs)."
)


def workdir_from(ctx: typer.Context, explicit: Path | None = None) -> Path:
    """The workdir: the command's own ``--workdir``, else the global one (see cli.main), else the default."""
    from scrimmage.paths import resolve_workdir

    if explicit is not None:
        return resolve_workdir(explicit)
    obj = ctx.find_root().obj or {}
    return obj.get("workdir") or resolve_workdir(None)
