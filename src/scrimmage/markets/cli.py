"""``scrimmage data markets``: ingest a folder of hourly OHLCV files into validated Parquet tables.

Thin by design: parse options, call :func:`scrimmage.markets.ingest.ingest_markets`, print the
result. Registered under the core's ``data`` command group by :mod:`scrimmage.markets.plugin`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer
from rich.markup import escape

from scrimmage.cli.common import WORKDIR_OPTION, console, emit_json, err_console, user_errors, workdir_from
from scrimmage.cli.ingest_output import ingest_bar, print_notes, print_rules, print_tables
from scrimmage.errors import ArgumentError

#: Files listed by name under a rule in the summary (the rest are counted).
NAMED_FILES = 3


def _files(per_file: dict[str, int]) -> str:
    items = sorted(per_file.items(), key=lambda kv: (-kv[1], kv[0]))
    text = ", ".join(f"{s} {n:,}" for s, n in items[:NAMED_FILES])
    return text + (f" (+{len(items) - NAMED_FILES} files)" if len(items) > NAMED_FILES else "")


def print_summary(out: Any, d: dict[str, Any]) -> None:
    print_tables(out, "market tables", d["cached"], [("bars", d["bars"], d["paths"]["bars"]),
                                                      ("symbols", d["symbols"], d["paths"]["symbols"])])
    print_rules(out, [("rule", "left"), ("action", "left"), ("detected", "right"), ("files", "right"),
                      ("most affected files", "left")],
                ([name, r["action"], f"{r['detected']:,}", f"{r['files']:,}", escape(_files(r["per_file"]))]
                 for name, r in d["rules"].items()))
    if d["outages"]:
        out.print("exchange-wide outages: " + ", ".join(f"{o['start']} ({o['hours']} h)" for o in d["outages"]))
    out.print(f"bars from {d['first']} to {d['last']} UTC; source: {escape(d.get('source', ''))}; {d['seconds']:.1f} s")
    print_notes(out, d)


@user_errors
def markets(
    ctx: typer.Context,
    source_dir: Path | None = typer.Option(
        None, "--source", help="Folder of hourly OHLCV files, one <SYMBOL>.csv or <SYMBOL>.csv.gz per symbol "
                               "(date, open, high, low, close, volume; optional ticker)."
    ),
    force: bool = typer.Option(False, "--force", help="Rebuild even if the cached tables match the files."),
    json_out: bool = typer.Option(False, "--json", help="Print the summary as one JSON object on the last stdout line."),
    workdir: Path | None = WORKDIR_OPTION,
) -> None:
    """Ingest hourly OHLCV files of many assets into validated bars/symbols Parquet tables (every data-quality rule counted per file)."""
    from scrimmage.markets.ingest import ingest_markets

    if source_dir is None:
        raise ArgumentError("pass --source DIR: the folder of per-symbol OHLCV files "
                            "(e.g. `scrimmage data markets --source ../shared/data/markets/binance_spot_1h`)")
    root = workdir_from(ctx, workdir)
    out = err_console if json_out else console
    with ingest_bar("OHLCV files") as progress:
        summary = ingest_markets(root, source_dir, force=force, progress=progress)
    d = summary.to_dict()
    print_summary(out, d)
    if json_out:
        emit_json(d)
