"""``scrimmage runs``: the runs in the workdir, newest first (readable in an 80-column terminal).

A table when the console is wide enough for the longest run id beside the other columns; otherwise one block
per run (its id on a line of its own, then status, epochs and scores), so a run id is never split."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console
from rich.table import Table

from scrimmage.cli.common import WORKDIR_OPTION, console, emit_json, print_error, user_errors, workdir_from
from scrimmage.engine.runs import RunInfo, list_runs

#: Columns the status, epochs and scores need beside the run id (with the borders) for the table layout.
WIDTH_BESIDE_THE_ID = 52


@user_errors
def runs(
    ctx: typer.Context,
    json_out: bool = typer.Option(False, "--json", help="Print the runs as one JSON object on the last stdout line."),
    workdir: Path | None = WORKDIR_OPTION,
) -> None:
    """List runs: status (running, finished, interrupted, failed, diverged, killed), epochs, best and test metric."""
    root = workdir_from(ctx, workdir)
    found = list_runs(root, warn=lambda text: print_error(text, label="warning"))
    if json_out:
        emit_json({"runs": [info.to_dict() for info in found]})
        return
    print_runs(console, root, found)


def print_runs(out: Console, root: Path, found: list[RunInfo]) -> None:
    """The listing on ``out`` (see the module docstring)."""
    if not found:  # say where it looked: a mistyped --workdir or SCRIMMAGE_HOME is the usual reason
        where = "" if root.is_dir() else " (no such folder yet)"
        out.print(f"no runs in {root}{where}", markup=False, highlight=False, soft_wrap=True)
        return
    title = f"{len(found)} run{'s' if len(found) != 1 else ''} in {root}"
    widest = max(len(info.run_id) for info in found)
    if out.width < widest + WIDTH_BESIDE_THE_ID:  # one run per block, so no run id is ever split
        out.print(title, markup=False, highlight=False, soft_wrap=True)
        for info in found:
            out.print(info.run_id, markup=False, highlight=False, soft_wrap=True)
            epochs = info.epochs_completed or 0
            for line in (f"{_status(info)}, {epochs} epoch{'s' if epochs != 1 else ''}", *_scores(info, best="best ")):
                out.print(f"    {line}", markup=False, highlight=False)
        return
    table = Table(title=title, title_justify="left", expand=False)
    table.add_column("run", no_wrap=True, min_width=widest)
    table.add_column("status", overflow="fold")
    table.add_column("ep", justify="right")
    table.add_column("best / test", overflow="fold")
    for info in found:
        table.add_row(info.run_id, _status(info), str(info.epochs_completed or "-"), "\n".join(_scores(info)) or "-")
    out.print(table)


def _status(info: RunInfo) -> str:
    return f"{info.status}, resumable" if info.resumable else info.status


def _scores(info: RunInfo, best: str = "") -> list[str]:
    parts = []
    if info.best and info.best.get("value") is not None:
        parts.append(f"{best}{info.best['metric']} {info.best['value']:.4f}")
    if info.headline and isinstance(info.headline[1], (int, float)):
        parts.append(f"test {info.headline[0]} {info.headline[1]:.3f}")
    if info.error and not parts:
        parts.append(info.error.splitlines()[0][:120])
    return parts
