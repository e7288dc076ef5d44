"""The ``scrimmage`` command: global options, then one sub-app per command group."""

from __future__ import annotations

from pathlib import Path

import typer

from scrimmage import __version__
from scrimmage.cli.common import WORKDIR_OPTION
from scrimmage.paths import resolve_workdir

app = typer.Typer(
    name="scrimmage",
    help="A training lab for sports, betting and game-AI models.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,  # plain click help: flags print as flags (rich panels show "--json <bool>")
    add_completion=False,
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"scrimmage {__version__}")
        raise typer.Exit()


@app.callback()
def main(
    ctx: typer.Context,
    workdir: Path | None = WORKDIR_OPTION,
    version: bool = typer.Option(False, "--version", callback=_version, is_eager=True, help="Print the version."),
) -> None:
    """Global options shared by every command."""
    ctx.obj = {"workdir": resolve_workdir(workdir)}


def register_domain_commands() -> None:
    """Top-level commands a domain registers (names without a group, e.g. ``simulate``)."""
    from scrimmage.config.registry import COMMANDS

    for key, description in COMMANDS.describe().items():
        if " " not in key:
            app.command(key, help=description, context_settings={"allow_extra_args": False})(COMMANDS.get(key))


def _register() -> None:
    from scrimmage.cli.config_cmd import config_app
    from scrimmage.cli.data import data_app, register_data_commands
    from scrimmage.cli.list_cmd import list_components
    from scrimmage.cli.predict import predict, predictor_help

    predictor_options = predictor_help()
    from scrimmage.cli.runs import runs
    from scrimmage.cli.train import train

    register_data_commands()
    register_domain_commands()
    app.add_typer(data_app, name="data", help="Ingest and validate data sources into tidy Parquet tables.")
    app.add_typer(config_app, name="config", help="Show or validate a recipe's resolved config.")
    from scrimmage.cli.report import register_report_commands, report_app

    register_report_commands()
    app.add_typer(report_app, name="report", help="Self-contained HTML reports of runs, comparisons and studies.")
    app.command("train")(train)
    from scrimmage.cli.compare import compare

    app.command("compare")(compare)
    app.command("predict", context_settings={"allow_extra_args": True, "ignore_unknown_options": True},
                epilog=predictor_options)(predict)
    app.command("runs")(runs)
    from scrimmage.cli.tune import evaluate, tune

    app.command("tune")(tune)
    app.command("evaluate")(evaluate)
    app.command("list")(list_components)
    from scrimmage.cli.campaign import campaign_app
    from scrimmage.cli.worker import worker

    app.add_typer(campaign_app, name="campaign", help="Campaigns of many training tasks on a shared queue (PostgreSQL).")
    app.command("worker")(worker)


_register()


class Terminated(KeyboardInterrupt):
    """SIGTERM turned into an exception, so every command's error boundary ends it cleanly (exit 143)."""


_MAIN_PID = 0


def _terminate(signum: int, frame: object) -> None:
    import os
    import signal

    if os.getpid() != _MAIN_PID:  # a forked pool worker inherited this handler: die quietly, as by default
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        os.kill(os.getpid(), signal.SIGTERM)
        return
    raise Terminated("terminated (SIGTERM)")


def cli() -> None:
    """The console entry point: ``app`` plus what click's standalone mode cannot do for ``--json``.

    A usage error (an unknown option, a missing argument) still ends with the ``--json`` error line,
    and SIGTERM reaches the command's error boundary (training replaces this handler with its own
    checkpointing one while it runs).
    """
    import os
    import signal
    import sys

    from scrimmage.cli.common import emit_json

    global _MAIN_PID
    _MAIN_PID = os.getpid()

    json_mode = "--json" in sys.argv[1:]
    signal.signal(signal.SIGTERM, _terminate)
    try:
        code = app(standalone_mode=False)
    except Terminated:
        if json_mode:
            emit_json({"error": {"type": "Terminated", "message": "terminated (SIGTERM)"}})
        sys.exit(143)
    except Exception as exc:
        # typer vendors click (typer._click): match its exceptions by kind, not by a private import path
        kinds = {cls.__name__ for cls in type(exc).__mro__}
        if "Abort" in kinds:
            sys.exit(130)
        if "ClickException" not in kinds:
            raise
        exc.show()  # type: ignore[attr-defined]
        if json_mode and "UsageError" in kinds:
            emit_json({"error": {"type": "UsageError", "message": exc.format_message()}})  # type: ignore[attr-defined]
        sys.exit(exc.exit_code)  # type: ignore[attr-defined]
    sys.exit(code if isinstance(code, int) else 0)
