"""``scrimmage train RECIPE [-o ...] [--resume RUN_ID|CKPT] [--session-budget 12h] [--json]`` and the generic result table."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import typer
from rich.console import Console

from scrimmage.cli.common import WORKDIR_OPTION, console, emit_json, err_console, print_table, user_errors, workdir_from
from scrimmage.config import load_config
from scrimmage.engine.tasks.base import Report
from scrimmage.errors import ArgumentError


@user_errors
def train(
    ctx: typer.Context,
    recipe: Path | None = typer.Argument(None, help="YAML recipe, e.g. recipes/nfl-pregame.yaml (not needed with --resume)."),
    override: list[str] = typer.Option([], "-o", "--override", metavar="KEY.PATH=VALUE", help="KEY.PATH=VALUE (YAML-typed), repeatable."),
    resume: str | None = typer.Option(None, "--resume", metavar="RUN_ID|CKPT", help="Run id or .ckpt file to continue from (its own config is used)."),
    tracking_uri: str | None = typer.Option(None, "--tracking-uri", metavar="URI", help="MLflow tracking URI (default: sqlite in the workdir)."),
    session_budget: str | None = typer.Option(
        None, "--session-budget", metavar="DURATION",
        help="Stop cleanly with a checkpoint after this long (12h, 90m, 45s); exit 75, continue with --resume. "
             "Sets trainer.session_budget.",
    ),
    json_out: bool = typer.Option(False, "--json", help="Print the result as one JSON object on the last stdout line."),
    wide: bool = typer.Option(False, "--wide", help="Show every column of the result table, however wide."),
    workdir: Path | None = WORKDIR_OPTION,
) -> None:
    """Train a model from a recipe, then report test metrics beside baselines."""
    root = workdir_from(ctx, workdir)
    if recipe is None and resume is None:
        raise ArgumentError("pass a recipe (e.g. scrimmage train recipes/nfl-pregame.yaml) or --resume RUN_ID.")
    override = list(override)
    if session_budget is not None:  # a config key like any other: validated (and its errors worded) there
        override.append(f"trainer.session_budget={json.dumps(session_budget)}")
    if recipe is None:
        from scrimmage.engine.resume import resume_config

        config, recipe_label = resume_config(resume, root, list(override))
    else:
        config, recipe_label = load_config(recipe, list(override)), str(recipe)
        if resume is not None:
            _check_recipe_matches_run(config, recipe, resume, root, list(override))
    from scrimmage.engine import run  # torch and Lightning load only once the recipe is known to be valid

    out = err_console if json_out else console
    result = run(
        config, workdir=root, recipe=recipe_label, resume=resume,
        tracking_uri=tracking_uri, console=out, progress=True,
    )
    if not result.is_main_process:  # the other DDP processes stay quiet
        return
    print_result(out, result.to_dict(), wide=wide)
    if json_out:
        emit_json(result.to_dict())


def _check_recipe_matches_run(config: Any, recipe: Path, resume: str, root: Path, override: list[str]) -> None:
    """A recipe beside --resume must describe the run itself; otherwise say to drop it (not a diff of every key)."""
    from scrimmage.config.loader import config_to_dict
    from scrimmage.engine.resume import incompatible_keys, resume_config

    own, _ = resume_config(resume, root, override)
    changed = incompatible_keys(config_to_dict(own), config_to_dict(config))
    if changed:
        raise ArgumentError(f"--resume continues a run with its own config, and {recipe} differs from it in "
                            f"{len(changed)} key(s) ({', '.join(changed[:4])}{' ...' if len(changed) > 4 else ''}). "
                            f"Drop the recipe (scrimmage train --resume {resume}) and pass what may change with -o "
                            "(trainer.epochs, early-stopping patience, checkpoint.*, tracking.*).")


def print_result(out: Console, result: dict[str, Any], wide: bool = False) -> None:
    """The run's report as a table (rows ranked by the report's own metric), its notes, where it lives.

    The table keeps to the console's width (80 columns in a pipe or a CI log): the predictor column and as
    many metric columns as fit, in the report's order, with a note naming the rest (``--wide`` shows every
    column; ``--json`` has them all). Run ids and paths print on lines of their own, never wrapped.
    """
    print_report(out, result["report"], wide)
    best = result["best"]
    if best["value"] is not None:
        out.print(f"best {best['metric']} {best['value']:.4f} at epoch {best['epoch']}; stopped: {result['stop_reason']}",
                  markup=False, highlight=False)
    out.print(f"run: {result['run_id']}", markup=False, highlight=False, soft_wrap=True)
    out.print(f"run dir: {result['run_dir']}", markup=False, highlight=False, soft_wrap=True)


def print_report(out: Console, report: dict[str, Any], wide: bool = False) -> None:
    """A report's table, rows ranked by its own metric, keeping to the console's width, then its notes."""
    ranked = Report(**report).ranked()
    columns = list(report["columns"].items())
    rows = [[name, *(_fmt(row.get(key)) for key, _ in columns)] for name, row in ranked]
    print_table(out, report["title"], ["predictor", *(header for _, header in columns)], rows,
                right=set(range(1, len(columns) + 1)), wide=wide)
    for note in report.get("notes", []):
        out.print(note, markup=False, highlight=False)


def _fmt(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return "-" if value != value else f"{value:.3f}"
    return str(value)
