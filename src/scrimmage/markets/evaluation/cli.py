"""``scrimmage report backtest RUN [--fee F] [--html FILE] [--json]``: thin; prints :func:`backtest`'s result.

Registered under the core's ``report`` group by :mod:`scrimmage.markets.plugin`.
"""

from __future__ import annotations

from pathlib import Path

import typer

from scrimmage.cli.common import WORKDIR_OPTION, console, emit_json, err_console, print_table, user_errors, workdir_from
from scrimmage.errors import ArgumentError
from scrimmage.markets.evaluation.tables import HEADERS, rows_of


def check_html_path(html: Path | None) -> None:
    if html is None:
        return
    if html.suffix.lower() not in (".html", ".htm"):
        raise ArgumentError(f"--html {html}: the report is an HTML page; name a .html file")
    if not html.parent.resolve().is_dir():
        raise ArgumentError(f"--html {html}: folder {html.parent} does not exist; create it first")


@user_errors
def backtest_command(
    ctx: typer.Context,
    run: str = typer.Argument(..., help="A market-windows run id (uses the checkpoint its report scored) or a .ckpt file."),
    fee: float = typer.Option(0.001, "--fee", help="Fee per side as a fraction (0.001 = 0.1%), 0 to 0.1."),
    html: Path | None = typer.Option(None, "--html", help="Also write a self-contained HTML page with the equity curves."),
    json_out: bool = typer.Option(False, "--json", help="Print the result as one JSON object on the last stdout line."),
    wide: bool = typer.Option(False, "--wide", help="Show every column of the table, however wide."),
    workdir: Path | None = WORKDIR_OPTION,
) -> None:
    """Trade a market classifier's test-period signals (hold horizon hours, fees) beside buy-and-hold and simple rules."""
    from scrimmage.markets.evaluation.backtest_run import backtest

    check_html_path(html)
    root = workdir_from(ctx, workdir)
    out = err_console if json_out else console
    result = backtest(run, root, fee, progress=lambda text: err_console.print(text, markup=False, highlight=False))
    out.print(f"model: {result.checkpoint}", markup=False, highlight=False, soft_wrap=True)
    print_table(out, f"backtest {result.start[:10]} to {result.end[:10]}, {result.symbols} symbols",
                HEADERS, rows_of(result), right=set(range(1, len(HEADERS))), wide=wide)
    for note in [*result.notes, result.verdict]:
        out.print(note, markup=False, highlight=False, soft_wrap=True)
    payload = result.to_dict()
    if html is not None:
        from scrimmage.markets.evaluation.html import write_backtest_html

        payload["html"] = str(write_backtest_html(result, html))
        out.print(f"html: {payload['html']}", markup=False, highlight=False, soft_wrap=True)
    if json_out:
        emit_json(payload)
