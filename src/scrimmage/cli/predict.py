"""``scrimmage predict RUN_ID|CKPT [--OPTION VALUE ...] [--json]``: predictions from a trained model.

The options after the target select what to predict and belong to the dataset's predictor
(e.g. ``nfl-pregame``: ``--season 2019 --week 10`` or ``--games fixtures.csv``); the core passes
them through by name, so this command names no dataset.

An ensemble run (``loop: ensemble``) predicts the members' mean; its predictor adds each row's
spread across members and an ``agreement`` share, and ``--agreement A`` keeps only the rows where
at least that share of members agree (see the option's help).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer

from scrimmage.cli.common import WORKDIR_OPTION, console, emit_json, err_console, print_table, user_errors, workdir_from
from scrimmage.errors import ArgumentError


def parse_query(args: list[str]) -> dict[str, str]:
    """``["--season", "2019", "--week=10"]`` → ``{"season": "2019", "week": "10"}``."""
    query: dict[str, str] = {}
    items = list(args)
    while items:
        item = items.pop(0)
        if not item.startswith("--") or item == "--":
            raise ArgumentError(f"unexpected argument '{item}'; selection options look like --season 2019")
        key, eq, value = item[2:].partition("=")
        if not eq:
            if not items or items[0].startswith("--"):
                raise ArgumentError(f"option --{key} needs a value, e.g. --{key} VALUE")
            value = items.pop(0)
        name = key.replace("-", "_")
        if name in query:
            raise ArgumentError(f"--{key} is given twice ({query[name]!r} and {value!r}); give it once")
        query[name] = value
    return query


@user_errors
def predict(
    ctx: typer.Context,
    target: str = typer.Argument(..., help="Run id (uses the checkpoint its report scored) or a .ckpt file."),
    json_out: bool = typer.Option(False, "--json", help="Print the predictions as one JSON object on the last stdout line."),
    wide: bool = typer.Option(False, "--wide", help="Show every column of the predictions table, however wide."),
    agreement: float | None = typer.Option(
        None, "--agreement", metavar="A", min=0.0, max=1.0,
        help="Ensemble runs only: keep the rows whose agreement is at least A (0-1). Agreement is the share of "
             "members on the majority's side of the prediction the dataset's predictor names (e.g. the winner; 1.0 "
             "when all agree, 0.5 for an even split), so --agreement 0.8 keeps rows where at least 80% of the "
             "members side together."),
    workdir: Path | None = WORKDIR_OPTION,
) -> None:
    """Predict with a trained model. Selection options depend on the dataset (see `scrimmage list predictors`)."""
    from scrimmage.export.checkpoint import load_model

    if target.startswith("-"):  # an option before the run id: click took the option for the target
        raise ArgumentError(f"the run id or .ckpt file comes first, then the selection options, e.g. "
                            f"`scrimmage predict RUN_ID --season 2019`; got the option {target} where the run id belongs")
    query = parse_query(list(ctx.args))
    root = workdir_from(ctx, workdir)
    loaded = load_model(target, root)
    rows = loaded.predict(root, **query)
    if agreement is not None:
        rows = keep_agreeing(rows, agreement, loaded)
    payload: dict[str, Any] = {"run_id": loaded.run_id, "checkpoint": str(loaded.path), "epoch": loaded.epoch,
                               "run_status": loaded.run_status, "members": loaded.members, "agreement": agreement,
                               "predictions": rows}
    out = err_console if json_out else console
    out.print(model_line(loaded), markup=False, highlight=False, soft_wrap=True)  # a path is never split
    _print_rows(out, rows, f"{len(rows)} predictions from {loaded.run_id or loaded.path}", wide=wide)
    if json_out:
        emit_json(payload)


def keep_agreeing(rows: list[dict[str, Any]], share: float, loaded: Any) -> list[dict[str, Any]]:
    """The rows whose members agree at least ``share`` (the predictor's ``agreement`` column)."""
    if not loaded.members:
        raise ArgumentError(f"--agreement filters an ensemble's predictions, and {loaded.path} is a single model; "
                            "train an ensemble (loop: {name: ensemble, seeds: [...]}) or drop --agreement.")
    if rows and "agreement" not in rows[0]:
        raise ArgumentError(f"the {loaded.config.data.name} predictor gives no agreement column; drop --agreement.")
    return [row for row in rows if row["agreement"] >= share - 1e-9]


def predictor_help() -> str:
    """The selection options of every registered predictor, for ``predict --help`` (descriptions only: cheap)."""
    from scrimmage.config.registry import PREDICTORS

    lines = [f"{dataset} runs: {description}" for dataset, description in PREDICTORS.describe().items()]
    return "Selection options by dataset:\n\n" + "\n\n".join(lines) if lines else ""


def model_line(loaded: Any) -> str:
    """Which weights answer: the checkpoint, its epoch, and a warning when the run has not finished."""
    line = f"model: {loaded.path} (epoch {loaded.epoch if loaded.epoch is not None else '?'})"
    if loaded.members:
        line += f"; ensemble of {len(loaded.members)} members, predictions are their mean"
    if loaded.run_status and loaded.run_status != "finished":
        line += (f"; run {loaded.run_id} is {loaded.run_status}, not finished: these are the weights of its last "
                 "checkpoint, not a finished run's")
    return line


def _print_rows(out: Any, rows: list[dict[str, Any]], title: str, wide: bool = False) -> None:
    columns = list(rows[0]) if rows else []
    cells = [[f"{v:.3f}" if isinstance(v, float) else "-" if v is None else str(v) for v in row.values()] for row in rows]
    numeric = {i for i, column in enumerate(columns) if rows and isinstance(rows[0][column], (int, float))}
    ids = next((i for i, column in enumerate(columns) if i in numeric and i > 0), len(columns))  # leading text columns
    print_table(out, title, columns, cells, right=numeric, keep=max(1, min(ids, 3)), wide=wide)
