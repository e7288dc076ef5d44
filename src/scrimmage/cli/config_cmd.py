"""``scrimmage config show|validate RECIPE [-o key=value ...]``."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.text import Text

from scrimmage.cli.common import console, emit_json, user_errors
from scrimmage.config import config_to_dict, config_to_yaml, load_config

config_app = typer.Typer(no_args_is_help=True)
OVERRIDES = typer.Option([], "-o", "--override", metavar="KEY.PATH=VALUE", help="KEY.PATH=VALUE (YAML-typed), repeatable.")
# Accepted like on every command, so scripts can pass it uniformly; config commands touch no files.
WORKDIR_UNUSED = typer.Option(None, "--workdir", help="Accepted for uniformity; config commands read and write nothing there.")


@config_app.command("show")
@user_errors
def show(
    recipe: Path = typer.Argument(..., help="YAML recipe, e.g. recipes/nfl-pregame.yaml."),
    override: list[str] = OVERRIDES,
    json_out: bool = typer.Option(False, "--json", help="Print the resolved config as one JSON line."),
    workdir: Path | None = WORKDIR_UNUSED,
) -> None:
    """Print the fully resolved config (defaults + recipe + overrides)."""
    config = load_config(recipe, override)
    if json_out:
        emit_json(config_to_dict(config))
    else:
        console.print(config_to_yaml(config), highlight=False, markup=False)


@config_app.command("validate")
@user_errors
def validate(
    recipe: Path = typer.Argument(..., help="YAML recipe to check."),
    override: list[str] = OVERRIDES,
    json_out: bool = typer.Option(False, "--json", help="Print the result as one JSON line."),
    workdir: Path | None = WORKDIR_UNUSED,
) -> None:
    """Check a recipe against the schema; exit 2 with a clear message if it is wrong."""
    config = load_config(recipe, override)
    if json_out:
        emit_json({"valid": True, "recipe": str(recipe), "data": config.data.name, "task": config.task.name,
                   "model": config.model.name})
    else:
        console.print(Text.assemble(("ok", "green"), f" {recipe}: valid ({config.data.name}, task {config.task.name}, "
                                    f"model {config.model.name})"), highlight=False)
