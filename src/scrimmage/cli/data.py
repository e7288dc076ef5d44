"""``scrimmage data ...``: the data command group; each domain adds its commands (``data nfl`` ...).

Commands come from the command registry (names ``"data <command>"``), so this module names no
dataset: a domain's plugin registers its ingest command and it appears here.
"""

from __future__ import annotations

import typer

from scrimmage.config.registry import COMMANDS

data_app = typer.Typer(no_args_is_help=True, help="Ingest and validate data sources into tidy Parquet tables.")


def register_data_commands() -> None:
    for key, description in COMMANDS.describe().items():
        group, _, name = key.partition(" ")
        if group == "data":
            data_app.command(name, help=description)(COMMANDS.get(key))
