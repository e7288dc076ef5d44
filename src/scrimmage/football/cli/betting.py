"""``scrimmage report betting RUN [--ensemble RUN ...] [--json]``: thin; prints :func:`rescore_run`'s table.

Registered under the core's ``report`` group by :mod:`scrimmage.football.plugin`.
"""

from __future__ import annotations

from pathlib import Path

import typer

from scrimmage.cli.common import WORKDIR_OPTION, console, emit_json, err_console, user_errors, workdir_from
from scrimmage.errors import ArgumentError


@user_errors
def betting_command(
    ctx: typer.Context,
    run: str = typer.Argument(..., help="An offline-q run on nfl-betting (run id: the checkpoint its report scored; or a .ckpt file)."),
    ensemble: list[str] = typer.Option([], "--ensemble", help="Another CQL run on the same data (repeat): with RUN, the members of the ensemble that bets only where they agree most."),
    agreement_share: float = typer.Option(0.2, "--agreement-share", help="Share of the validation bets with the least member disagreement that sets the threshold (0 < share <= 1)."),
    bootstrap: int = typer.Option(2000, "--bootstrap", help="Bootstrap resamples of the test games for the intervals."),
    json_out: bool = typer.Option(False, "--json", help="Print the result as one JSON object on the last stdout line."),
    wide: bool = typer.Option(False, "--wide", help="Show every column of the table, however wide."),
    workdir: Path | None = WORKDIR_OPTION,
) -> None:
    """Test-season betting record of a CQL run beside random, Kelly and logistic bets (and an agreeing ensemble)."""
    from scrimmage.cli.train import print_report
    from scrimmage.football.reports.betting import rescore_run

    if not 0 < agreement_share <= 1:
        raise ArgumentError(f"--agreement-share must be in (0, 1], got {agreement_share}")
    if bootstrap < 1:
        raise ArgumentError(f"--bootstrap must be at least 1, got {bootstrap}")
    report = rescore_run(run, workdir_from(ctx, workdir), list(ensemble), agreement_share, bootstrap)
    payload = report.to_dict()
    print_report(err_console if json_out else console, payload, wide=wide)
    if json_out:
        emit_json(payload)
