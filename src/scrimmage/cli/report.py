"""``scrimmage report ...``: self-contained HTML reports of runs and studies; domains add their own.

``report run``, ``report compare`` and ``report study`` are the core's (:mod:`scrimmage.reports`);
a domain registering ``"report <name>"`` in the command registry (e.g. a backtest) appears here as
``scrimmage report <name>``, the way ``data`` takes its ingest commands.
"""

from __future__ import annotations

from pathlib import Path

import typer

from scrimmage.cli.common import WORKDIR_OPTION, console, emit_json, user_errors, workdir_from
from scrimmage.config.registry import COMMANDS

report_app = typer.Typer(no_args_is_help=True, help="Self-contained HTML reports of runs, comparisons and studies.")

HTML_OPTION = typer.Option(..., "--html", metavar="FILE", help="Where to write the page (its folder must exist).")
JSON_OPTION = typer.Option(False, "--json", help="Print a summary as one JSON object on the last stdout line.")


def _done(summary: dict, json_out: bool) -> None:
    if json_out:
        emit_json(summary)
    else:
        console.print(f"wrote {summary['html']} ({len(summary.get('figures', []))} figures)", markup=False, highlight=False)
        for note in summary.get("notes") or []:
            console.print(f"note: {note}", markup=False, highlight=False)


@report_app.command("run")
@user_errors
def report_run(
    ctx: typer.Context,
    run_id: str = typer.Argument(..., metavar="RUN", help="A finished run's id (see `scrimmage runs`)."),
    html: Path = HTML_OPTION,
    json_out: bool = JSON_OPTION,
    workdir: Path | None = WORKDIR_OPTION,
) -> None:
    """One finished run: result table, learning curves, the task's and the domain's pictures, config."""
    from scrimmage.reports.run_report import report_run as build

    _done(build(workdir_from(ctx, workdir), run_id, html), json_out)


@report_app.command("compare")
@user_errors
def report_compare(
    ctx: typer.Context,
    run_ids: list[str] = typer.Argument(..., metavar="RUN...", help="Finished runs' ids (see `scrimmage runs`)."),
    html: Path = HTML_OPTION,
    json_out: bool = JSON_OPTION,
    workdir: Path | None = WORKDIR_OPTION,
) -> None:
    """Finished runs side by side: test metrics, the settings that differ, learning curves overlaid."""
    from scrimmage.reports.compare import report_compare as build

    _done(build(workdir_from(ctx, workdir), list(run_ids), html), json_out)


@report_app.command("study")
@user_errors
def report_study(
    ctx: typer.Context,
    name: str = typer.Argument(..., metavar="NAME", help="The Optuna study's name."),
    html: Path = HTML_OPTION,
    storage: str | None = typer.Option(
        None, "--storage", metavar="URL",
        help="Where the study lives: a database URL, a journal file (.log) or 'journal' (default: sqlite:///<workdir>/optuna.db).",
    ),
    json_out: bool = JSON_OPTION,
    workdir: Path | None = WORKDIR_OPTION,
) -> None:
    """An Optuna study: optimization history, parameter importance, parallel coordinates, best trials."""
    from scrimmage.reports.study import report_study as build

    _done(build(workdir_from(ctx, workdir), name, html, storage), json_out)


def register_report_commands() -> None:
    """Domain reports registered as ``"report <name>"`` (e.g. ``report backtest``)."""
    for key, description in COMMANDS.describe().items():
        group, _, name = key.partition(" ")
        if group == "report":
            report_app.command(name, help=description)(COMMANDS.get(key))
