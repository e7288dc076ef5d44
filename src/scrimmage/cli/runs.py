"""``scrimmage runs``: the runs in the workdir, newest first."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.table import Table

from scrimmage.cli.common import WORKDIR_OPTION, console, emit_json, user_errors, workdir_from
from scrimmage.engine.runs import list_runs


@user_errors
def runs(
    ctx: typer.Context,
    json_out: bool = typer.Option(False, "--json", help="Print the runs as one JSON object on the last stdout line."),
    workdir: Path | None = WORKDIR_OPTION,
) -> None:
    """List runs with their status (finished / resumable / started), best and test metrics."""
    found = list_runs(workdir_from(ctx, workdir))
    if json_out:
        emit_json({"runs": [info.to_dict() for info in found]})
        return
    table = Table(title=f"{len(found)} runs", title_justify="left")
    table.add_column("run_id", no_wrap=True)
    for column in ("status", "epochs", "best", "test", "recipe"):
        table.add_column(column)
    for info in found:
        best = f"{info.best['metric']} {info.best['value']:.4f}" if info.best and info.best["value"] is not None else "-"
        headline = "-"
        if info.headline:
            metric, value = info.headline
            headline = f"{metric} {value:.3f}" if isinstance(value, (int, float)) else "-"
        table.add_row(info.run_id, info.status, str(info.epochs_completed or "-"), best, headline, info.recipe or "-")
    console.print(table)
