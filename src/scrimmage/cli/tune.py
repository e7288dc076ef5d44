"""``scrimmage tune RECIPE --trials N ...`` and ``scrimmage evaluate STUDY|RUN ...``: print what
:mod:`scrimmage.tune` returns (a study summary; a checkpoint's scores and the retrained spread)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer

from scrimmage.cli.common import WORKDIR_OPTION, console, emit_json, err_console, print_table, user_errors, workdir_from
from scrimmage.errors import ArgumentError

STORAGE_HELP = ("Study storage: a database URL (default sqlite:///<workdir>/optuna.db; postgresql://user@host/db for "
                "several machines), 'journal' or a path ending .log (journal file: several processes on one machine).")


def _seconds(text: str | None) -> float | None:
    if text is None:
        return None
    from scrimmage.config.types import parse_duration

    try:
        return float(text) if text.replace(".", "", 1).isdigit() else parse_duration(text)
    except ValueError as exc:
        raise ArgumentError(f"--timeout {text!r}: {exc}; give seconds (3600) or a duration (2h, 90m).") from None


@user_errors
def tune(
    ctx: typer.Context,
    recipe: Path = typer.Argument(..., help="YAML recipe with a search: section, e.g. recipes/market-mlp-hpo.yaml."),
    trials: int = typer.Option(..., "--trials", help="The study's total number of trials (trials already in the study count)."),
    timeout: str | None = typer.Option(None, "--timeout", metavar="SECONDS|DURATION", help="Start no new trial after this long (3600, 2h, 90m)."),
    study: str | None = typer.Option(None, "--study", metavar="NAME", help="Study name (default: the recipe's file name); the same name resumes it."),
    storage: str | None = typer.Option(None, "--storage", metavar="URL|PATH", help=STORAGE_HELP),
    n_jobs: int = typer.Option(1, "--n-jobs", help="Trials run at once in this process (threads; TPE uses a constant liar)."),
    override: list[str] = typer.Option([], "-o", "--override", metavar="KEY.PATH=VALUE", help="KEY.PATH=VALUE (YAML-typed), repeatable."),
    tracking_uri: str | None = typer.Option(None, "--tracking-uri", metavar="URI", help="MLflow tracking URI (default: sqlite in the workdir)."),
    keep_checkpoints: bool = typer.Option(False, "--keep-checkpoints", help="Keep every trial's checkpoint files (default: the best trial's only)."),
    json_out: bool = typer.Option(False, "--json", help="Print the study summary as one JSON object on the last stdout line."),
    workdir: Path | None = WORKDIR_OPTION,
) -> None:
    """Search hyperparameters with Optuna (pruning, resumable studies); keep and register the best trial."""
    root = workdir_from(ctx, workdir)
    if trials < 1:
        raise ArgumentError(f"--trials must be at least 1 (the study's total number of trials), got {trials}.")
    if n_jobs < 1:
        raise ArgumentError(f"--n-jobs must be at least 1, got {n_jobs}.")
    seconds = _seconds(timeout)
    from scrimmage.config import load_config

    config = load_config(recipe, list(override))
    from scrimmage.tune.study import tune as run_study

    out = err_console if json_out else console
    summary = run_study(config, trials=trials, recipe=str(recipe), workdir=root, study_name=study, storage=storage,
                        timeout=seconds, n_jobs=n_jobs, tracking_uri=tracking_uri, keep_checkpoints=keep_checkpoints,
                        print=lambda text: out.print(text, markup=False, highlight=False, soft_wrap=True))
    print_summary(out, summary)
    if json_out:
        emit_json({k: v for k, v in summary.items() if k != "history"})


def print_summary(out: Any, summary: dict[str, Any]) -> None:
    counts = summary["trials"]
    out.print(f"study {summary['study']} ({summary['storage']}): {counts['complete']} complete, {counts['pruned']} pruned, "
              f"{counts['failed']} failed" + (f", {counts['running']} running" if counts["running"] else "")
              + f"; {summary['epochs_spent']} epochs spent", markup=False, highlight=False, soft_wrap=True)
    best = summary["best"]
    if best is not None:
        out.print(f"best: trial {best['trial']}, {summary['metric']} {best['value']:.4f} after {best.get('epochs')} epochs "
                  f"(best epoch {best.get('best_epoch')})", markup=False, highlight=False)
        importance = summary.get("importance") or {}
        rows = [[key, _value(value), f"{importance[key]:.3f}" if key in importance else "-"]
                for key, value in best["params"].items()]
        print_table(out, "best values and parameter importance", ["parameter", "value", "importance"], rows, right={2})
        for key in ("run_dir", "checkpoint", "recipe"):
            if best.get(key):
                out.print(f"{key.replace('_', ' ')}: {best[key]}", markup=False, highlight=False, soft_wrap=True)
        if best.get("registered"):
            reg = best["registered"]
            out.print(f"registered in MLflow: model {reg['model']} version {reg['version']}", markup=False, highlight=False)
    for note in summary.get("notes", []):
        out.print(note, markup=False, highlight=False, soft_wrap=True)


def _value(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)


@user_errors
def evaluate(
    ctx: typer.Context,
    target: str = typer.Argument(..., help="A study name (its best trial's checkpoint), a run id or a .ckpt file."),
    storage: str | None = typer.Option(None, "--storage", metavar="URL|PATH", help="Where the study lives (as given to tune)."),
    split: str = typer.Option("test", "--split", help="Split to score the checkpoint on: test, val or train."),
    retrain_seeds: int = typer.Option(0, "--retrain-seeds", metavar="K", help="Also retrain the configuration K times with other seeds and report the spread."),
    tracking_uri: str | None = typer.Option(None, "--tracking-uri", metavar="URI", help="MLflow tracking URI for the retrained runs."),
    json_out: bool = typer.Option(False, "--json", help="Print the scores as one JSON object on the last stdout line."),
    workdir: Path | None = WORKDIR_OPTION,
) -> None:
    """Score a study's best checkpoint (or a run's) on the test split without retraining; optionally retrain K seeds."""
    root = workdir_from(ctx, workdir)
    if retrain_seeds < 0:
        raise ArgumentError(f"--retrain-seeds must be 0 or more, got {retrain_seeds}.")
    from scrimmage.tune.evaluate import evaluate as score

    out = err_console if json_out else console
    result = score(target, workdir=root, storage=storage, split=split, retrain_seeds=retrain_seeds,
                   tracking_uri=tracking_uri, print=lambda text: out.print(text, markup=False, highlight=False, soft_wrap=True))
    out.print(f"checkpoint: {result['checkpoint']} (epoch {result['epoch']})", markup=False, highlight=False, soft_wrap=True)
    recorded = result.get("recorded_metric")
    if recorded:
        here = recorded["this_split"]
        out.print(f"recorded {recorded['metric']} {recorded['value']:.6f}; on {result['split']}: "
                  f"{'-' if here is None else f'{here:.6f}'}", markup=False, highlight=False)
    retrain = result.get("retrain")
    scored = result.get("test_metrics") or result["metrics"]
    if retrain:
        spread = retrain["spread"]
        rows = [[name, _cell(scored.get(name)), *(_cell(spread[name][k]) for k in ("mean", "sd", "min", "max"))]
                for name in spread]
        print_table(out, f"test metrics: the checkpoint beside {len(retrain['runs'])} retrained seeds",
                    ["metric", "checkpoint", "mean", "sd", "min", "max"], rows, right={1, 2, 3, 4, 5})
    else:
        rows = [[name, _cell(value)] for name, value in result["metrics"].items()]
        print_table(out, f"{result['split']} metrics of the checkpoint", ["metric", "value"], rows, right={1})
    for note in result["notes"]:
        out.print(note, markup=False, highlight=False, soft_wrap=True)
    if json_out:
        emit_json(result)


def _cell(value: Any) -> str:
    return "-" if value is None else f"{value:.4f}" if isinstance(value, float) else str(value)
