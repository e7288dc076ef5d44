"""Where each league's tables live, and the one version string of the data a dataset was built from.

``<workdir>/data/<league>/{games,drives,plays}.parquet`` with ``manifest.json`` beside them (written
by :mod:`scrimmage.football.common.store`). :func:`dataset_version` names the tables by their
manifest (which records every table's sha256), so a checkpoint says which data it was trained on.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from scrimmage.paths import data_dir

TABLES = ("games", "drives", "plays")
MANIFEST = "manifest.json"
LEAGUES = ("nfl", "cfb")


def league_dir(workdir: Path, league: str) -> Path:
    """``<workdir>/data/<league>``."""
    return data_dir(Path(workdir)) / league


def nfl_dir(workdir: Path) -> Path:
    """``<workdir>/data/nfl``."""
    return league_dir(workdir, "nfl")


def cfb_dir(workdir: Path) -> Path:
    """``<workdir>/data/cfb``."""
    return league_dir(workdir, "cfb")


def manifest_digest(workdir: Path, league: str = "nfl") -> str | None:
    """The sha256 of the league's manifest (which holds each table's checksum); ``None`` without one."""
    path = league_dir(workdir, league) / MANIFEST
    if not path.is_file():
        return None
    return hashlib.sha256(path.read_bytes()).hexdigest()


def dataset_version(workdir: Path, league: str = "nfl") -> str:
    """``<league>-<12 hex digits of the manifest's sha256>``, or ``unknown`` without tables."""
    digest = manifest_digest(workdir, league)
    return "unknown" if digest is None else f"{league}-{digest[:12]}"
