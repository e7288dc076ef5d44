"""``scrimmage data ...`` (placeholder until the NFL ingest lands)."""

import typer

data_app = typer.Typer(no_args_is_help=True)
