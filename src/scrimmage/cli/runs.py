"""``scrimmage runs``: the runs in the workdir, newest first (readable in an 80-column terminal)."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.table import Table

from scrimmage.cli.common import WORKDIR_OPTION, console, emit_json, print_error, user_errors, workdir_from
from scrimmage.engine.runs import RunInfo, list_runs


@user_errors
def runs(
    ctx: typer.Context,
    json_out: bool = typer.Option(False, "--json", help="Print the runs as one JSON object on the last stdout line."),
    workdir: Path | None = WORKDIR_OPTION,
) -> None:
    """List runs: status (running, finished, interrupted, failed, diverged, killed), epochs, best and test metric."""
    found = list_runs(workdir_from(ctx, workdir), warn=lambda text: print_error(text, label="warning"))
    if json_out:
        emit_json({"runs": [info.to_dict() for info in found]})
        return
    table = Table(title=f"{len(found)} runs", title_justify="left", expand=False)
    table.add_column("run", overflow="fold", ratio=3)
    table.add_column("status", overflow="fold", ratio=1)
    table.add_column("ep", justify="right")
    table.add_column("best / test", overflow="fold", ratio=2)
    for info in found:
        table.add_row(info.run_id, _status(info), str(info.epochs_completed or "-"), _scores(info))
    console.print(table)


def _status(info: RunInfo) -> str:
    return f"{info.status}, resumable" if info.resumable else info.status


def _scores(info: RunInfo) -> str:
    parts = []
    if info.best and info.best.get("value") is not None:
        parts.append(f"{info.best['metric']} {info.best['value']:.4f}")
    if info.headline and isinstance(info.headline[1], (int, float)):
        parts.append(f"test {info.headline[0]} {info.headline[1]:.3f}")
    if info.error and not parts:
        parts.append(info.error.splitlines()[0][:120])
    return "\n".join(parts) or "-"
