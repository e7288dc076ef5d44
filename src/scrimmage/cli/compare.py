"""``scrimmage compare RECIPE RECIPE... [-o ...] [--json]``: several recipes on the same split, one table."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer

from scrimmage.cli.common import WORKDIR_OPTION, console, emit_json, err_console, user_errors, workdir_from
from scrimmage.errors import ArgumentError


@user_errors
def compare(
    ctx: typer.Context,
    recipes: list[Path] = typer.Argument(..., metavar="RECIPE...", help="Two or more YAML recipes with the same data section."),
    override: list[str] = typer.Option([], "-o", "--override", metavar="KEY.PATH=VALUE",
                                       help="KEY.PATH=VALUE applied to every recipe, repeatable."),
    json_out: bool = typer.Option(False, "--json", help="Print the result as one JSON object on the last stdout line."),
    wide: bool = typer.Option(False, "--wide", help="Show every column of the table, however wide."),
    workdir: Path | None = WORKDIR_OPTION,
) -> None:
    """Train several recipes on one built dataset and print their models and the baselines in one table."""
    from scrimmage.config import load_config
    from scrimmage.engine.compare import check_same_data, labels_for

    if len(recipes) < 2:
        raise ArgumentError(f"compare needs two or more recipes, got {len(recipes)}; to train one, use scrimmage train")
    root = workdir_from(ctx, workdir)
    labels = labels_for([str(r) for r in recipes])
    configs = [load_config(recipe, list(override)) for recipe in recipes]  # every typo fails before any training
    check_same_data(configs, labels)
    from scrimmage.engine.compare import compare as run_compare

    out = err_console if json_out else console
    comparison = run_compare(configs, labels, root, console=out, progress=True)
    _print(out, comparison, wide)
    if json_out:
        emit_json(comparison.to_dict())


def _print(out: Any, comparison: Any, wide: bool) -> None:
    from scrimmage.cli.train import print_report

    print_report(out, comparison.report, wide)
    for label, result in zip(comparison.labels, comparison.results):
        out.print(f"{label}: {result.run_id} ({result.epochs_completed} epochs, {result.seconds:.0f} s)",
                  markup=False, highlight=False, soft_wrap=True)
