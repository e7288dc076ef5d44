"""``scrimmage list [KIND] [--json]``: every registered name with its one-line description."""

from __future__ import annotations

import typer
from rich.table import Table

from scrimmage.cli.common import console, emit_json, user_errors
from scrimmage.config.registry import COMPONENTS, PREDICTORS
from scrimmage.errors import ArgumentError


def _catalog() -> dict[str, dict[str, str]]:
    kinds = {kind: {e.name: e.description for e in registry.entries()} for kind, registry in COMPONENTS.items()}
    kinds["predictors"] = PREDICTORS.describe()
    return kinds


@user_errors
def list_components(
    kind: str | None = typer.Argument(None, help="models, datasets, losses, tasks, optimizers, schedulers, callbacks, reports, loops, predictors."),
    json_out: bool = typer.Option(False, "--json", help="Print the catalog as one JSON object on the last stdout line."),
) -> None:
    """List the registered components (what a recipe's name fields may say)."""
    catalog = _catalog()
    if kind is not None:
        if kind not in catalog:
            import difflib

            close = difflib.get_close_matches(kind, list(catalog), n=1)
            hint = f" Did you mean '{close[0]}'?" if close else ""
            raise ArgumentError(f"unknown kind '{kind}'.{hint} Kinds: {', '.join(catalog)}.")
        catalog = {kind: catalog[kind]}
    if json_out:
        emit_json(catalog)
        return
    for name, entries in catalog.items():
        table = Table(title=name, title_justify="left", show_header=False, box=None, pad_edge=False)
        table.add_column("name", style="bold", no_wrap=True)
        table.add_column("description")
        for entry, description in entries.items():
            table.add_row(entry, description)
        console.print(table)
        console.print()
