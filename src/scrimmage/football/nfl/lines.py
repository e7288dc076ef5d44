"""The public "NFL scores and betting data" CSV (spreadspoke_scores.csv): betting lines, and a
points-only games table.

The file is parsed in one place, :func:`read_spreadspoke`: full team names and favourite ids
become the canonical franchise codes of :mod:`teams`, dates and numbers are parsed, and
``spread_home`` uses the betting convention: negative means the home team is favoured
(home -3.5 → -3.5); a pick'em is 0. Its two uses build on that:

* :func:`join_lines` adds ``spread_home`` and ``total_line`` to a games table. Rows are matched
  on date (±1 day: the CSV and Game Center sometimes disagree around midnight and for late
  kickoffs) and the canonical home/away codes. Neutral-site games (London, Mexico) are
  sometimes listed with home and away swapped; those match with the teams swapped and the
  spread's sign flipped, and are counted.
* :func:`games_from_spreadspoke` turns the played games of a season range into a games table
  (the games contract minus the box-score stats) for baselines and tests that do not need the
  play-by-play ingest.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from scrimmage.errors import DataError
from scrimmage.football.common.teams import canonical_team, team_from_name

REQUIRED_COLUMNS = (
    "schedule_date", "schedule_season", "team_home", "team_away", "team_favorite_id",
    "spread_favorite", "over_under_line",
)
#: further columns a games table needs (week, playoff flag, final scores)
RESULT_COLUMNS = ("schedule_week", "schedule_playoff", "score_home", "score_away")
DATE_TOLERANCE_DAYS = 1
_WEEKS_POST = {"Wildcard": 18, "Division": 19, "Conference": 20, "Superbowl": 21}


LAYOUT = "'NFL scores and betting data' CSV (spreadspoke_scores.csv)"
#: bytes looked at to tell a text file from a binary one
_SNIFF_BYTES = 8192


def _read_csv(lines_csv: Path) -> pd.DataFrame:
    """The CSV's cells as strings; every way the file can be unusable is a :class:`DataError`
    naming it (missing, a folder, empty, binary, not CSV, unreadable)."""
    if lines_csv.is_dir():
        raise DataError(f"betting lines file {lines_csv} is a folder; pass the {LAYOUT} itself")
    if not lines_csv.is_file():
        raise DataError(f"betting lines file {lines_csv} not found; pass the path of the {LAYOUT}")
    try:
        with open(lines_csv, "rb") as handle:
            head = handle.read(_SNIFF_BYTES)
        if not head.strip():
            raise DataError(f"betting lines file {lines_csv} is empty; pass the path of the {LAYOUT}")
        if b"\0" in head:
            raise DataError(
                f"betting lines file {lines_csv} is not a text CSV (it holds binary data); pass the path of the {LAYOUT}"
            )
        return pd.read_csv(lines_csv, dtype=str, keep_default_na=False)
    except OSError as exc:
        raise DataError(f"cannot read betting lines file {lines_csv}: {exc.strerror or exc}; check its permissions") from exc
    except (pd.errors.ParserError, UnicodeDecodeError, ValueError) as exc:
        raise DataError(f"betting lines file {lines_csv} is not a readable CSV ({exc}); pass the {LAYOUT}") from exc


def read_spreadspoke(lines_csv: Path, results: bool = False) -> pd.DataFrame:
    """Every row of the CSV, parsed: ``date``, ``season``, ``home_team``/``away_team`` (``None``
    for a name :data:`teams.FULL_NAMES` lacks, the raw name kept in ``home_name``/``away_name``),
    ``favorite`` (a canonical code, ``"PICK"`` or ``""``), ``spread_home`` (NaN without a
    favourite or when the favourite is neither team), ``total_line``; with ``results`` also
    ``week`` (playoff rounds numbered 18-21), ``playoff`` and the final scores (NaN when unplayed)."""
    lines_csv = Path(lines_csv)
    raw = _read_csv(lines_csv)
    required = REQUIRED_COLUMNS + (RESULT_COLUMNS if results else ())
    missing = [c for c in required if c not in raw.columns]
    if missing:
        raise DataError(
            f"betting lines file {lines_csv} lacks required columns {missing}; expected the "
            f"spreadspoke_scores.csv layout with {list(required)}"
        )
    if raw.empty:
        raise DataError(
            f"betting lines file {lines_csv} has a header but no rows; pass the {LAYOUT} with its games"
        )
    home = raw["team_home"].map(team_from_name)
    away = raw["team_away"].map(team_from_name)
    # favourite ids are today's codes even for older seasons (LVR, LAR): canonicalised like
    # Game Center codes so they compare with the home and away codes
    fav = raw["team_favorite_id"].str.strip().map(lambda s: "PICK" if s.upper() == "PICK" else canonical_team(s))
    spread = pd.to_numeric(raw["spread_favorite"], errors="coerce").abs()  # the favourite gives points
    spread_home = np.where(fav == "PICK", 0.0, np.where(fav == home, -spread, spread))
    spread_home = pd.Series(spread_home, index=raw.index, dtype=float)
    spread_home[(fav != "PICK") & (fav != home) & (fav != away)] = np.nan
    out = pd.DataFrame({
        "date": pd.to_datetime(raw["schedule_date"], format="%m/%d/%Y", errors="coerce"),
        "season": pd.to_numeric(raw["schedule_season"], errors="coerce"),
        "home_team": home, "away_team": away,
        "home_name": raw["team_home"], "away_name": raw["team_away"],
        "favorite": fav, "spread_home": spread_home,
        "total_line": pd.to_numeric(raw["over_under_line"], errors="coerce"),
    })
    if results:
        week = raw["schedule_week"].str.strip()
        out["week"] = week.map(_WEEKS_POST).fillna(pd.to_numeric(week, errors="coerce"))
        out["playoff"] = raw["schedule_playoff"].str.strip().str.upper().eq("TRUE")
        out["home_score"] = pd.to_numeric(raw["score_home"], errors="coerce")
        out["away_score"] = pd.to_numeric(raw["score_away"], errors="coerce")
    return out


def read_lines(lines_csv: Path) -> pd.DataFrame:
    """The lines of every row with a date and two known teams: line_date, line_season (from the
    date: January/February games belong to the previous season), line_home, line_away,
    spread_home, total_line. A file where no row has a date, two known teams and a spread or a
    total is a :class:`DataError` (it would match nothing)."""
    parsed = read_spreadspoke(lines_csv)
    out = parsed[["date", "home_team", "away_team", "spread_home", "total_line"]].set_axis(
        ["line_date", "line_home", "line_away", "spread_home", "total_line"], axis=1
    )
    out = out.dropna(subset=["line_date", "line_home", "line_away"]).reset_index(drop=True)
    out.insert(1, "line_season", out["line_date"].dt.year - (out["line_date"].dt.month <= 2).astype(int))
    if not (out["spread_home"].notna() | out["total_line"].notna()).any():
        raise DataError(
            f"betting lines file {lines_csv} has no usable line: none of its {len(parsed):,} rows has a "
            "schedule_date (M/D/YYYY), two team names scrimmage knows (scrimmage.football.common.teams.FULL_NAMES) "
            f"and a spread_favorite or over_under_line; pass the {LAYOUT}"
        )
    return out


def covered_seasons(lines: pd.DataFrame) -> list[int]:
    """Seasons in which a :func:`read_lines` frame has at least one spread or total."""
    usable = lines["spread_home"].notna() | lines["total_line"].notna()
    return sorted(int(s) for s in lines.loc[usable, "line_season"].unique())


def join_lines(
    games: pd.DataFrame, lines_csv: Path, lines: pd.DataFrame | None = None
) -> tuple[pd.DataFrame, dict[str, Any]]:
    """Add ``spread_home`` and ``total_line`` (NaN when unmatched) to a games table; ``lines`` is
    the file already read by :func:`read_lines` (read here when not given)."""
    if lines is None:
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


def games_from_spreadspoke(csv_path: str | Path, seasons: tuple[int, int] = (2009, 2019)) -> pd.DataFrame:
    """A points-only games table (the games contract minus stats) of the played games of
    ``seasons``, with ``spread_home`` and ``total_line`` from the same rows.

    Used for baselines and tests where the play-by-play ingest is not available. Unknown team
    names and favourites that are neither team are errors here (a games table must not guess).
    """
    csv_path = Path(csv_path)
    raw = read_spreadspoke(csv_path, results=True)
    raw = raw[raw["season"].between(*seasons)].dropna(subset=["home_score"])
    unknown = set(raw["home_name"][raw["home_team"].isna()]) | set(raw["away_name"][raw["away_team"].isna()])
    if unknown:
        raise DataError(
            f"team names in {csv_path.name} without a code in scrimmage.football.common.teams.FULL_NAMES: {sorted(unknown)}"
        )
    fav = raw["favorite"]
    odd = ~fav.isin(["", "PICK"]) & fav.ne(raw["home_team"]) & fav.ne(raw["away_team"])
    if odd.any():
        raise DataError(f"favourite ids that match neither team: {sorted(set(fav[odd]))}")
    if raw["date"].isna().any() or raw["week"].isna().any():
        bad = raw[raw["date"].isna() | raw["week"].isna()].index[:3].tolist()
        raise DataError(f"rows {bad} of {csv_path.name} have no readable schedule_date or schedule_week")
    g = pd.DataFrame({
        "season": raw["season"].astype(int),
        "week": raw["week"].astype(int),
        "season_type": np.where(raw["playoff"], "POST", "REG"),
        "date": raw["date"],
        "home_team": raw["home_team"], "away_team": raw["away_team"],
        "home_score": raw["home_score"].astype(int), "away_score": raw["away_score"].astype(int),
        "spread_home": raw["spread_home"],
        "total_line": raw["total_line"],
    })
    g.insert(0, "game_id", g["season"].astype(str) + "_" + g["week"].map("{:02d}".format)
             + "_" + g["away_team"] + "_" + g["home_team"])
    return g.sort_values(["date", "game_id"]).reset_index(drop=True)
