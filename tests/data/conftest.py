"""Fixtures for the NFL ingest tests: small source copies (the full ingest lives in tests/conftest.py)."""

from __future__ import annotations

import gzip
import json
import shutil
from pathlib import Path

import pandas as pd
import pytest

from scrimmage.data.nfl.source import package_root

MINI_GAMES = ("2009091000", "2013120806", "2016112701")


def make_source(folder: Path, eids: tuple[str, ...] = MINI_GAMES, extra_schedule: tuple[str, ...] = ()) -> Path:
    """Copy a few bundled games (+ a filtered schedule.json) into ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    root = package_root()
    for eid in eids:
        (folder / f"{eid}.json.gz").write_bytes((root / "gamecenter-json" / f"{eid}.json.gz").read_bytes())
    sched = json.loads((root / "schedule.json").read_text())
    keep = set(eids) | set(extra_schedule)
    sched["games"] = [g for g in sched["games"] if g[0] in keep]
    (folder / "schedule.json").write_text(json.dumps(sched))
    return folder


@pytest.fixture()
def mini_source(tmp_path: Path) -> Path:
    return make_source(tmp_path / "src")


def read_game_json(eid: str) -> dict:
    root = package_root()
    return json.loads(gzip.decompress((root / "gamecenter-json" / f"{eid}.json.gz").read_bytes()))[eid]


@pytest.fixture(scope="session")
def mini_tables(tmp_path_factory: pytest.TempPathFactory) -> dict[str, pd.DataFrame]:
    """Tables of the three mini games (valid input for the schema-corruption tests)."""
    from scrimmage.data.nfl import ingest_nfl, load_nfl_table

    base = tmp_path_factory.mktemp("nfl_mini")
    src = make_source(base / "src")
    ingest_nfl(base / "wd", source_dir=src, force=True, workers=1)
    return {n: load_nfl_table(base / "wd", n) for n in ("games", "drives", "plays")}


__all__ = ["make_source", "read_game_json", "shutil"]
