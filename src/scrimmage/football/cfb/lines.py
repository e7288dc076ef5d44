"""CFBD betting lines (``betting_lines.csv``: one row per game and book) → one line per game.

CFBD's ``Spread`` is the home team's line in the project's convention already (negative: the
home team is favoured; ``"TCU -8.0"`` with TCU away is ``+8.0``) and ``OverUnder`` the total.
The file lists several books per game (in the 2024 sample ESPN Bet, DraftKings and Bovada; 219
of the 264 play-by-play games have at least one). One book is used per game, by priority:

* :data:`BOOK_PRIORITY` = ESPN Bet, then DraftKings, then Bovada (then any other book, by name):
  ESPN Bet quotes 213 of the 219 sample games, so nearly every line comes from one book and the
  lines are comparable across games; the others fill the 6 games it lacks. The first book in that
  order with a spread gives the spread and its total (a book with only a total is used when no
  book has a spread). Callers may pass another order (``--books`` on the CLI).

The join is on the game id; the file's home/away teams are checked against the games table
(swapped: the spread's sign is flipped and counted; neither team: unmatched and counted). The
stats say which book each line came from and how far the books disagree (the largest spread
range between books of a game), so the choice can be judged.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from scrimmage.errors import ArgumentError, DataError
from scrimmage.football.cfb.source import read_csv_rows

BOOK_PRIORITY: tuple[str, ...] = ("ESPN Bet", "DraftKings", "Bovada")
REQUIRED_COLUMNS = ("Id", "HomeTeam", "AwayTeam", "LineProvider", "Spread", "OverUnder")
LAYOUT = "a CollegeFootballData.com betting-lines export (betting_lines.csv) with columns " + ", ".join(REQUIRED_COLUMNS)


def _num(values: pd.Series) -> pd.Series:
    return pd.to_numeric(values.str.strip(), errors="coerce")


def read_cfb_lines(path: Path) -> pd.DataFrame:
    """Every usable row: game_id, home, away, book, spread_home, total_line (NaN when absent).
    A file with no row holding a spread or a total is a DataError."""
    path = Path(path)
    rows = read_csv_rows(path, "betting lines file", LAYOUT, REQUIRED_COLUMNS)
    raw = pd.DataFrame(rows, columns=list(REQUIRED_COLUMNS), dtype=str).fillna("")
    out = pd.DataFrame({
        "game_id": raw["Id"].str.strip(),
        "home": raw["HomeTeam"].str.strip(),
        "away": raw["AwayTeam"].str.strip(),
        "book": raw["LineProvider"].str.strip(),
        "spread_home": _num(raw["Spread"]).astype(float),
        "total_line": _num(raw["OverUnder"]).astype(float),
    })
    out = out[out["spread_home"].notna() | out["total_line"].notna()].reset_index(drop=True)
    if out.empty:
        raise DataError(
            f"betting lines file {path} has no usable line: none of its {len(raw):,} rows has a Spread or an "
            f"OverUnder; pass {LAYOUT}"
        )
    return out


def check_books(books: tuple[str, ...], lines: pd.DataFrame, path: Path) -> None:
    """A book order the caller chose (``--books``) names only books the lines file quotes; else an
    ArgumentError listing the file's books (never a silent fallback to the others)."""
    import difflib

    held = sorted(set(lines["book"]) - {""})
    missing = [b for b in books if b not in held]
    if not missing:
        return
    hints = []
    for book in missing:
        close = [h for h in held if h.lower() == book.lower()] or difflib.get_close_matches(book, held, n=1)
        hints.append(f"'{book}'" + (f" (did you mean '{close[0]}'?)" if close else ""))
    raise ArgumentError(f"--books names {', '.join(hints)}, not in {path.name}; the books it quotes: "
                        f"{', '.join(held) or 'none'}")


def choose_lines(lines: pd.DataFrame, priority: tuple[str, ...] = BOOK_PRIORITY) -> pd.DataFrame:
    """One row per game: the first book in ``priority`` with a spread (else with a total);
    books missing from ``priority`` come after it, by name. Adds ``books`` (how many books quote
    the game) and ``spread_range`` (largest minus smallest spread among them)."""
    rank = {book: i for i, book in enumerate(priority)}
    others = sorted(set(lines["book"]) - set(rank))
    rank.update({book: len(priority) + i for i, book in enumerate(others)})
    df = lines.assign(
        _rank=lines["book"].map(rank),
        _no_spread=lines["spread_home"].isna().astype(int),
    )
    spread = df.groupby("game_id")["spread_home"]
    summary = pd.DataFrame({"books": df.groupby("game_id")["book"].nunique(), "spread_range": spread.max() - spread.min()})
    chosen = df.sort_values(["game_id", "_no_spread", "_rank"], kind="stable").drop_duplicates("game_id")
    chosen = chosen.drop(columns=["_rank", "_no_spread"]).set_index("game_id").join(summary)
    return chosen.reset_index()


def join_cfb_lines(
    games: pd.DataFrame, path: Path, lines: pd.DataFrame | None = None, priority: tuple[str, ...] = BOOK_PRIORITY,
) -> tuple[pd.DataFrame, dict[str, Any]]:
    """``games`` with ``spread_home``, ``total_line`` and ``line_provider`` (NaN / None when the
    game has no line) and the join's stats."""
    if lines is None:
        lines = read_cfb_lines(path)
    chosen = choose_lines(lines, priority).set_index("game_id")
    spreads = np.full(len(games), np.nan)
    totals = np.full(len(games), np.nan)
    books: list[str | None] = [None] * len(games)
    swapped, mismatch, unmatched = [], [], []
    for i, (gid, home, away) in enumerate(zip(games["game_id"], games["home_team"], games["away_team"], strict=True)):
        if gid not in chosen.index:
            unmatched.append(str(gid))
            continue
        row = chosen.loc[gid]
        sign = 1.0
        if (row["home"], row["away"]) == (away, home):
            sign = -1.0
            swapped.append(str(gid))
        elif (row["home"], row["away"]) != (home, away):
            mismatch.append(f"{gid}: lines {row['away']} at {row['home']}, games {away} at {home}")
            continue
        spreads[i] = sign * row["spread_home"]
        totals[i] = row["total_line"]
        books[i] = str(row["book"])
    out = games.copy()
    out["spread_home"] = spreads
    out["total_line"] = totals
    out["line_provider"] = pd.Series(books, index=out.index, dtype=object)
    matched = out["line_provider"].notna()
    ranges = games["game_id"].map(chosen["spread_range"])[matched.to_numpy()]
    stats = {
        "file": str(path),
        "books_priority": list(priority),
        "matched": int(matched.sum()),
        "unmatched": len(unmatched) + len(mismatch),
        "matched_swapped_home_away": len(swapped),
        "team_mismatch": len(mismatch),
        "team_mismatch_examples": mismatch[:5],
        "unmatched_examples": unmatched[:10],
        "by_book": {str(k): int(v) for k, v in out.loc[matched, "line_provider"].value_counts().items()},
        "with_spread": int(np.isfinite(spreads).sum()),
        "with_total": int(np.isfinite(totals).sum()),
        "books_per_game": {
            str(int(k)): int(v)
            for k, v in games["game_id"].map(chosen["books"])[matched.to_numpy()].value_counts().sort_index().items()
        },
        "max_spread_range_between_books": float(ranges.max()) if len(ranges) and ranges.notna().any() else 0.0,
        "lines_file_games": int(lines["game_id"].nunique()),
    }
    if "season_type" in games.columns:
        by_type = matched.groupby(games["season_type"]).agg(["sum", "size"])
        stats["by_season_type"] = {
            str(k): {"matched": int(r["sum"]), "unmatched": int(r["size"] - r["sum"])} for k, r in by_type.iterrows()
        }
    return out, stats
