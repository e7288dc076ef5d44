"""Betting lines join: the public "NFL scores and betting data" CSV onto the games table.

Rows are matched on date (±1 day: the CSV and Game Center sometimes disagree around midnight
and for late kickoffs) and the canonical home/away codes. Neutral-site games (London, Mexico)
are sometimes listed with home and away swapped; those match with the teams swapped and the
spread's sign flipped, and are counted. ``spread_home`` uses the betting convention: negative
means the home team is favoured (home -3.5 → -3.5); a pick'em is 0.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from scrimmage.data.nfl.teams import canonical_team, team_from_name
from scrimmage.errors import DataError

REQUIRED_COLUMNS = (
    "schedule_date", "schedule_season", "team_home", "team_away", "team_favorite_id",
    "spread_favorite", "over_under_line",
)
DATE_TOLERANCE_DAYS = 1


def read_lines(lines_csv: Path) -> pd.DataFrame:
    """Read and normalise the lines CSV: date, home, away, spread_home, total_line."""
    lines_csv = Path(lines_csv)
    if not lines_csv.is_file():
        raise DataError(
            f"betting lines file {lines_csv} not found; pass the 'NFL scores and betting data' "
            "CSV (spreadspoke_scores.csv) with --lines"
        )
    try:
        raw = pd.read_csv(lines_csv, dtype=str, keep_default_na=False)
    except (pd.errors.ParserError, UnicodeDecodeError, ValueError) as exc:
        raise DataError(f"betting lines file {lines_csv} is not a readable CSV: {exc}") from exc
    missing = [c for c in REQUIRED_COLUMNS if c not in raw.columns]
    if missing:
        raise DataError(
            f"betting lines file {lines_csv} lacks required columns {missing}; expected the "
            f"spreadspoke_scores.csv layout with {list(REQUIRED_COLUMNS)}"
        )
    date = pd.to_datetime(raw["schedule_date"], format="%m/%d/%Y", errors="coerce")
    home = raw["team_home"].map(team_from_name)
    away = raw["team_away"].map(team_from_name)
    fav = raw["team_favorite_id"].str.strip().map(lambda s: "PICK" if s.upper() == "PICK" else canonical_team(s))
    spread = pd.to_numeric(raw["spread_favorite"], errors="coerce")
    total = pd.to_numeric(raw["over_under_line"], errors="coerce")
    spread_home = np.where(fav == "PICK", 0.0, np.where(fav == home, spread, -spread))
    spread_home = pd.Series(spread_home, index=raw.index, dtype=float)
    spread_home[(fav != "PICK") & (fav != home) & (fav != away)] = np.nan
    out = pd.DataFrame({
        "line_date": date, "line_home": home, "line_away": away,
        "spread_home": spread_home, "total_line": total,
    })
    return out.dropna(subset=["line_date", "line_home", "line_away"]).reset_index(drop=True)


def join_lines(games: pd.DataFrame, lines_csv: Path) -> tuple[pd.DataFrame, dict[str, Any]]:
    """Add ``spread_home`` and ``total_line`` (NaN when unmatched) to a games table."""
    lines = read_lines(lines_csv)
    lines = lines[lines["spread_home"].notna() | lines["total_line"].notna()]
    index: dict[tuple[Any, str, str], tuple[float, float]] = {}
    for r in lines.itertuples(index=False):
        index[(r.line_date.date(), r.line_home, r.line_away)] = (r.spread_home, r.total_line)
    spreads = np.full(len(games), np.nan)
    totals = np.full(len(games), np.nan)
    swapped = 0
    unmatched: list[str] = []
    offsets = [0] + [s * d for d in range(1, DATE_TOLERANCE_DAYS + 1) for s in (1, -1)]
    for i, (gid, date, home, away) in enumerate(
        zip(games["game_id"], pd.to_datetime(games["date"]), games["home_team"], games["away_team"], strict=False)
    ):
        found = None
        for off in offsets:
            day = (date + pd.Timedelta(days=off)).date()
            hit = index.get((day, home, away))
            if hit is not None:
                found = hit
                break
            hit = index.get((day, away, home))
            if hit is not None:
                found = (-hit[0], hit[1])
                swapped += 1
                break
        if found is None:
            unmatched.append(str(gid))
        else:
            spreads[i], totals[i] = found
    out = games.copy()
    out["spread_home"] = spreads
    out["total_line"] = totals
    stats = {
        "file": str(lines_csv),
        "matched": int(len(games) - len(unmatched)),
        "unmatched": len(unmatched),
        "matched_swapped_home_away": swapped,
        "unmatched_examples": unmatched[:10],
    }
    if "season_type" in games.columns:
        matched = pd.Series(~np.isnan(spreads) | ~np.isnan(totals), index=games.index)
        by_type = matched.groupby(games["season_type"]).agg(["sum", "size"])
        stats["by_season_type"] = {
            str(k): {"matched": int(r["sum"]), "unmatched": int(r["size"] - r["sum"])}
            for k, r in by_type.iterrows()
        }
    return out, stats
