"""``scrimmage data cfb``: ingest CollegeFootballData.com exports into the same validated tables.

Thin by design: parse options, call :func:`scrimmage.football.cfb.ingest.ingest_cfb`, print the
result. Registered under the core's ``data`` command group by :mod:`scrimmage.football.plugin`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer
from rich.markup import escape
from rich.table import Table

from scrimmage.cli.common import WORKDIR_OPTION, console, emit_json, err_console, user_errors, workdir_from
from scrimmage.cli.ingest_output import ingest_bar, print_notes
from scrimmage.errors import ArgumentError
from scrimmage.football.cli.nfl import print_tables_and_rules


def _print_summary(out: Any, d: dict[str, Any]) -> None:
    print_tables_and_rules(out, d, "CFB tables")
    lines = d.get("lines")
    if lines:
        out.print(
            f"betting lines: {lines['matched']:,} games matched, {lines['unmatched']:,} without a line "
            f"({lines.get('matched_swapped_home_away', 0)} with home/away swapped, {lines.get('team_mismatch', 0)} with other teams)"
        )
    out.print(f"source: {escape(d.get('source', ''))}; {d['seconds']:.1f} s")
    gf = d.get("games_file") or {}
    if gf:
        out.print(
            f"games file: {gf.get('rows', 0):,} games listed, {gf.get('games_with_play_by_play', 0):,} of the "
            f"{gf.get('play_by_play_files', 0):,} play-by-play files joined ({gf.get('source_rows', 0):,} source rows)"
        )
    lines = d.get("lines")
    if lines:
        books = ", ".join(f"{book} {n:,}" for book, n in (lines.get("by_book") or {}).items())
        out.print(
            f"lines by book ({' > '.join(lines.get('books_priority') or [])}): {books}; books disagree on a spread by "
            f"up to {lines.get('max_spread_range_between_books', 0):g} points"
        )
    types = d.get("play_types") or {}
    if types:
        table = Table(title="CFBD play types", show_header=True)
        table.add_column("CFBD play_type")
        table.add_column("rows", justify="right")
        table.add_column("project play type(s)")
        for cfbd, kinds in types.items():
            table.add_row(escape(cfbd), f"{sum(kinds.values()):,}", ", ".join(f"{k} {n:,}" for k, n in kinds.items()))
        out.print(table)
    print_notes(out, d)


@user_errors
def cfb(
    ctx: typer.Context,
    source_dir: Path | None = typer.Option(
        None, "--source", help="Folder of CollegeFootballData.com play-by-play exports, one <game_id>.csv per game."
    ),
    games: Path | None = typer.Option(
        None, "--games", help="CFBD games export (e.g. win_loss.csv): home/away, neutral site, divisions, final scores."
    ),
    lines: Path | None = typer.Option(
        None, "--lines", help="CFBD betting-lines export (betting_lines.csv) to join: spread_home, total_line, line_provider."
    ),
    books: str | None = typer.Option(
        None, "--books", help="Book priority for --lines, comma-separated (default: 'ESPN Bet,DraftKings,Bovada')."
    ),
    force: bool = typer.Option(False, "--force", help="Rebuild even if the cached tables match."),
    json_out: bool = typer.Option(False, "--json", help="Print the summary as one JSON object on the last stdout line."),
    workdir: Path | None = WORKDIR_OPTION,
) -> None:
    """Ingest college play-by-play (CollegeFootballData.com CSVs) into the validated games/drives/plays tables."""
    from scrimmage.football.cfb.ingest import ingest_cfb
    from scrimmage.football.cfb.lines import BOOK_PRIORITY

    missing = [flag for flag, value in (("--source DIR", source_dir), ("--games FILE", games)) if value is None]
    if missing:
        raise ArgumentError(
            f"pass {' and '.join(missing)}: the folder of per-game CFBD play-by-play CSVs and the CFBD games file "
            "(e.g. `scrimmage data cfb --source pbp_2024/ --games win_loss.csv --lines betting_lines.csv`)"
        )
    order = BOOK_PRIORITY
    if books is not None:
        order = tuple(b.strip() for b in books.split(",") if b.strip())
        if not order:
            raise ArgumentError("--books needs at least one book name, e.g. --books 'ESPN Bet,DraftKings,Bovada'")
        if lines is None:
            raise ArgumentError("--books orders the books of a lines file: pass --lines FILE with it")
    root = workdir_from(ctx, workdir)
    out = err_console if json_out else console
    assert source_dir is not None and games is not None
    with ingest_bar("CFB games") as progress:
        summary = ingest_cfb(root, source_dir, games, lines=lines, force=force, books=order, progress=progress)
    d = summary.to_dict()
    _print_summary(out, d)
    if json_out:
        emit_json(d)
