"""Where college play-by-play comes from: CollegeFootballData.com exports the user passes.

* a folder of per-game ``/plays`` exports, ``<game_id>.csv``, header :data:`PBP_COLUMNS`
  (extra columns are allowed and ignored); rows are not always in play order;
* a games file (CFBD ``/games`` export, e.g. ``win_loss.csv``): one row per game with home and
  away team, neutral site, divisions, conferences, week, start date and final and quarter scores.
  The play-by-play knows only offense and defense: home, away and venue come from here.

CFBD files may start with a byte-order mark: everything is read as ``utf-8-sig``. Every way a
file can be unusable (missing, a folder, empty, binary, a wrong header, missing columns) is a
:class:`DataError` that names the file and says what is expected. Read with the ``csv`` module
(plain strings; 264 games read in ~0.3 s); the ingest converts the fields it uses.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from scrimmage.errors import DataError

#: The columns of a CFBD ``/plays`` export (as the 2024 sample has them).
PBP_COLUMNS = (
    "id", "game_id", "drive_id", "play_number", "period", "clock", "offense", "defense",
    "offense_score", "defense_score", "yards_to_goal", "down", "distance", "yards_gained",
    "play_type", "play_text", "ppa", "wallclock",
)
#: Columns the ingest reads (``ppa`` and ``wallclock`` may be absent).
PBP_REQUIRED = PBP_COLUMNS[:16]
PBP_LAYOUT = "a CollegeFootballData.com /plays export with header " + ",".join(PBP_COLUMNS)

#: Columns of the games file the ingest needs; the others it uses when present.
GAMES_REQUIRED = (
    "Id", "Season", "Week", "Season Type", "Start Date", "Neutral Site", "Home Team", "Away Team",
    "Home Points", "Away Points",
)
GAMES_OPTIONAL = ("Conference Game", "Home Division", "Away Division", "Home Conference", "Away Conference", "Completed")
GAMES_LAYOUT = "a CollegeFootballData.com games export (e.g. win_loss.csv) with columns " + ", ".join(GAMES_REQUIRED)
SEASON_TYPES = {"regular": "REG", "postseason": "POST"}
#: Dates are the local (US Eastern) calendar day: CFBD start times are UTC, so a 8 p.m. kickoff
#: would otherwise land on the next day.
LOCAL_TZ = ZoneInfo("America/New_York")
_SNIFF_BYTES = 8192


@dataclass(frozen=True)
class GameEntry:
    """One game of the games file (scores ``None`` when the game has no final score)."""

    game_id: str
    season: int
    week: int
    season_type: str
    date: dt.date
    home_team: str
    away_team: str
    home_score: int | None
    away_score: int | None
    neutral_site: bool
    conference_game: bool
    home_division: str
    away_division: str
    home_conference: str
    away_conference: str
    home_quarters: tuple[int | None, ...]
    away_quarters: tuple[int | None, ...]


def _check_file(path: Path, what: str, layout: str) -> None:
    if path.is_dir():
        raise DataError(f"{what} {path} is a folder; pass {layout}")
    if not path.is_file():
        raise DataError(f"{what} {path} not found; pass {layout}")
    try:
        with open(path, "rb") as handle:
            head = handle.read(_SNIFF_BYTES)
    except OSError as exc:
        raise DataError(f"cannot read {what} {path}: {exc.strerror or exc}; check its permissions") from None
    if not head.strip():
        raise DataError(f"{what} {path} is empty; pass {layout}")
    if b"\0" in head:
        raise DataError(f"{what} {path} is not a text CSV (it holds binary data); pass {layout}")


def read_csv_rows(path: Path, what: str, layout: str, required: tuple[str, ...]) -> list[dict[str, str]]:
    """The CSV's rows as dicts of strings, after checking the header holds ``required``."""
    _check_file(path, what, layout)
    try:
        with open(path, newline="", encoding="utf-8-sig") as handle:
            reader = csv.DictReader(handle)
            header = reader.fieldnames or []
            missing = [c for c in required if c not in header]
            if missing:
                raise DataError(
                    f"{what} {path} lacks columns {missing} (its header: {','.join(header)[:200]}); pass {layout}"
                )
            return list(reader)
    except UnicodeDecodeError as exc:
        raise DataError(f"{what} {path} is not UTF-8 text ({exc}); pass {layout}") from None
    except csv.Error as exc:
        raise DataError(f"{what} {path} is not a readable CSV ({exc}); pass {layout}") from None
    except OSError as exc:
        raise DataError(f"cannot read {what} {path}: {exc.strerror or exc}; check its permissions") from None


def list_game_files(source_dir: Path) -> list[Path]:
    """The ``*.csv`` files of the play-by-play folder, sorted by name."""
    source_dir = Path(source_dir)
    if not source_dir.exists():
        raise DataError(f"CFB play-by-play folder {source_dir} does not exist; pass a folder of <game_id>.csv files ({PBP_LAYOUT})")
    if not source_dir.is_dir():
        raise DataError(
            f"CFB play-by-play source {source_dir} is a file, not a folder; pass the folder that holds the "
            "<game_id>.csv play-by-play files (the games file goes to --games)"
        )
    files = sorted(p for p in source_dir.iterdir() if p.suffix.lower() == ".csv" and p.is_file())
    if not files:
        raise DataError(f"no <game_id>.csv files in {source_dir}; pass a folder of per-game play-by-play exports ({PBP_LAYOUT})")
    return files


def read_game_file(path: Path) -> list[dict[str, str]]:
    """One game's play rows (strings); a header without the play-by-play columns is a DataError."""
    return read_csv_rows(path, "play-by-play file", PBP_LAYOUT, PBP_REQUIRED)


def source_fingerprint(source_dir: Path, files: list[Path]) -> dict[str, Any]:
    """What identifies the folder for caching: path, file count, bytes, newest mtime."""
    stats = [f.stat() for f in files]
    return {
        "dir": str(Path(source_dir).resolve()),
        "files": len(stats),
        "bytes": sum(s.st_size for s in stats),
        "mtime_ns": max((s.st_mtime_ns for s in stats), default=0),
    }


def file_fingerprint(path: Path | None) -> dict[str, Any] | None:
    if path is None:
        return None
    st = Path(path).stat()
    return {"path": str(Path(path).resolve()), "size": st.st_size, "mtime_ns": st.st_mtime_ns}


# ---------------------------------------------------------------- the games file

def _int_or_none(text: str | None) -> int | None:
    text = (text or "").strip()
    if not text:
        return None
    try:
        return int(float(text))
    except ValueError:
        return None


def _bool(text: str | None) -> bool:
    return (text or "").strip().lower() == "true"


def _quarters(row: dict[str, str], side: str) -> tuple[int | None, ...]:
    """Quarter scores: ``<Side> Line Scores[0..3]`` columns (win_loss.csv) or one
    ``<Side> Line Scores`` column holding a list (postseason.csv); ``None`` where absent."""
    split = [row.get(f"{side} Line Scores[{i}]") for i in range(4)]
    if any(v is not None for v in split):
        return tuple(_int_or_none(v) for v in split)
    listed = (row.get(f"{side} Line Scores") or "").strip()
    if listed:
        try:
            values = json.loads(listed if listed.startswith("[") else f"[{listed}]")
            return tuple(_int_or_none(str(v)) for v in (list(values) + [None] * 4)[:4])
        except (ValueError, TypeError):
            pass
    return (None, None, None, None)


def _local_date(text: str) -> dt.date | None:
    try:
        moment = dt.datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    if moment.tzinfo is None:
        return moment.date()
    return moment.astimezone(LOCAL_TZ).date()


def read_games(path: Path) -> tuple[dict[str, GameEntry], int, list[str]]:
    """The games file keyed by game id, its row count, and the ids listed more than once (the
    first row is kept). Rows whose id, season, week, date, season type or teams cannot be read
    are a DataError naming the row (a games file must not guess)."""
    path = Path(path)
    rows = read_csv_rows(path, "games file", GAMES_LAYOUT, GAMES_REQUIRED)
    if not rows:
        raise DataError(f"games file {path} has a header but no rows; pass {GAMES_LAYOUT}")
    out: dict[str, GameEntry] = {}
    repeated: list[str] = []
    for i, row in enumerate(rows, start=2):  # line 1 is the header
        gid = (row.get("Id") or "").strip()
        season, week = _int_or_none(row.get("Season")), _int_or_none(row.get("Week"))
        date = _local_date(row.get("Start Date") or "")
        kind = SEASON_TYPES.get((row.get("Season Type") or "").strip().lower())
        home, away = (row.get("Home Team") or "").strip(), (row.get("Away Team") or "").strip()
        problems = [name for name, bad in (
            ("Id", not gid.isdigit()), ("Season", season is None), ("Week", week is None),
            ("Start Date", date is None), ("Season Type", kind is None), ("Home Team", not home), ("Away Team", not away),
        ) if bad]
        if problems:
            raise DataError(
                f"games file {path}, line {i}: unreadable {', '.join(problems)} "
                f"(Id {gid!r}, Season Type {row.get('Season Type')!r}: expected regular or postseason); pass {GAMES_LAYOUT}"
            )
        if gid in out:
            repeated.append(gid)
            continue
        assert season is not None and week is not None and date is not None and kind is not None
        out[gid] = GameEntry(
            game_id=gid, season=season, week=week, season_type=kind, date=date,
            home_team=home, away_team=away,
            home_score=_int_or_none(row.get("Home Points")), away_score=_int_or_none(row.get("Away Points")),
            neutral_site=_bool(row.get("Neutral Site")), conference_game=_bool(row.get("Conference Game")),
            home_division=(row.get("Home Division") or "").strip().lower(),
            away_division=(row.get("Away Division") or "").strip().lower(),
            home_conference=(row.get("Home Conference") or "").strip(),
            away_conference=(row.get("Away Conference") or "").strip(),
            home_quarters=_quarters(row, "Home"), away_quarters=_quarters(row, "Away"),
        )
    return out, len(rows), repeated
