"""``scrimmage train RECIPE [-o ...] [--lines FILE] [--resume RUN_ID|CKPT] [--json]``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer
from rich.console import Console
from rich.table import Table

from scrimmage.cli.common import WORKDIR_OPTION, console, emit_json, err_console, user_errors, workdir_from
from scrimmage.config import load_config
from scrimmage.errors import ArgumentError
from scrimmage.metrics.football import comparison_table

COMPARE_COLUMNS = {  # metric → column header
    "n_games": "games",
    "margin_rmse": "margin",
    "home_rmse": "home",
    "away_rmse": "away",
    "game_rmse_combined": "combined",
    "winner_accuracy": "win acc",
    "brier": "Brier",
}


@user_errors
def train(
    ctx: typer.Context,
    recipe: Path = typer.Argument(..., help="YAML recipe, e.g. recipes/nfl-pregame.yaml."),
    override: list[str] = typer.Option([], "-o", "--override", help="KEY.PATH=VALUE (YAML-typed), repeatable."),
    lines: Path | None = typer.Option(None, "--lines", help="Betting-lines CSV to join (sets data.lines)."),
    resume: str | None = typer.Option(None, "--resume", help="Run id or .ckpt file to continue from."),
    tracking_uri: str | None = typer.Option(None, "--tracking-uri", help="MLflow tracking URI (default: sqlite in the workdir)."),
    json_out: bool = typer.Option(False, "--json", help="Print the result as one JSON object on the last stdout line."),
    workdir: Path | None = WORKDIR_OPTION,
) -> None:
    """Train a model from a recipe, then report test metrics beside baselines."""
    from scrimmage.engine import run

    overrides = list(override)
    if lines is not None:
        if not lines.is_file():
            raise ArgumentError(f"--lines file not found: {lines}. Pass a CSV in the 'NFL scores and betting data' format.")
        overrides.append(f"data.lines={lines.resolve()}")
    config = load_config(recipe, overrides)
    out = err_console if json_out else console
    result = run(
        config, workdir=workdir_from(ctx, workdir), recipe=str(recipe), resume=resume,
        tracking_uri=tracking_uri, console=out, progress=True,
    )
    if not result.is_main_process:  # the other DDP processes stay quiet
        return
    print_result(out, result.to_dict())
    if json_out:
        emit_json(result.to_dict())


def print_result(out: Console, result: dict[str, Any]) -> None:
    table = Table(title=f"test set, RMSE in points: {result['run_id']}", title_justify="left")
    table.add_column("predictor", no_wrap=True)
    for header in COMPARE_COLUMNS.values():
        table.add_column(header, justify="right", no_wrap=True)
    ranked = comparison_table({"model": result["test"], **result["baselines"]})  # best combined RMSE first
    for row in ranked:
        table.add_row(str(row["model"]), *(_fmt(row.get(column)) for column in COMPARE_COLUMNS))
    out.print(table)
    best = result["best"]
    if best["value"] is not None:
        out.print(f"best {best['metric']} {best['value']:.4f} at epoch {best['epoch']}; stopped: {result['stop_reason']}")
    out.print(f"run dir: {result['run_dir']}")


def _fmt(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, int):
        return str(value)
    return f"{value:.3f}"
