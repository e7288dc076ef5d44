"""Fixtures for the football tests: small source copies, real games parsed and cleaned (doctored
when a rule needs it), and small ingests (the full ingest lives in tests/conftest.py)."""

from __future__ import annotations

import gzip
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from scrimmage.football.nfl import parse, quality
from scrimmage.football.nfl.source import package_root, read_schedule
from tests.football.cfb.conftest import GAMES_CSV, LINES_CSV, PBP_DIR, _need_sample, make_mini

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


def clean_real_game(
    eid: str, doctor: Callable[[dict[str, Any]], None] | None = None
) -> tuple[parse.ParsedGame, dict[str, quality.RuleCount]]:
    """A bundled game parsed and cleaned by the per-game rules, with the counts they made;
    ``doctor`` edits the game dict first (to make a rule fire that the real data never needs)."""
    game = read_game_json(eid)
    if doctor is not None:
        doctor(game)
    parsed = parse.parse_game(eid, game, read_schedule().get(eid))
    counts = quality.new_counts()
    quality.clean_game(parsed, counts)
    return parsed, counts


#: The doctored mini source: a cancelled game, a game under an alias code (JAC), a game whose
#: schedule entry lists another season, and a scheduled game without a file.
CANCELLED, ALIAS, SEASON_MISMATCH, NO_FILE = "2016080751", "2009082253", "2009091000", "2019010500"


@pytest.fixture(scope="session")
def doctored_ingest(tmp_path_factory: pytest.TempPathFactory):
    """Summary and tables of an ingest of the doctored mini source (see the constants above)."""
    from scrimmage.football.nfl.ingest import ingest_nfl, load_nfl_table

    base = tmp_path_factory.mktemp("nfl_doctored")
    src = make_source(base / "src", (CANCELLED, ALIAS, SEASON_MISMATCH), extra_schedule=(NO_FILE,))
    sched = json.loads((src / "schedule.json").read_text())
    for eid, info in sched["games"]:
        if eid == SEASON_MISMATCH:
            info["year"] = int(info["year"]) + 1
    (src / "schedule.json").write_text(json.dumps(sched))
    summary = ingest_nfl(base / "wd", source_dir=src, force=True, workers=1)
    return summary, {n: load_nfl_table(base / "wd", n) for n in ("games", "drives", "plays")}


@pytest.fixture(scope="session")
def mini_tables(tmp_path_factory: pytest.TempPathFactory) -> dict[str, pd.DataFrame]:
    """Tables of the three mini games (valid input for the schema-corruption tests)."""
    from scrimmage.football.nfl.ingest import ingest_nfl, load_nfl_table

    base = tmp_path_factory.mktemp("nfl_mini")
    src = make_source(base / "src")
    ingest_nfl(base / "wd", source_dir=src, force=True, workers=1)
    return {n: load_nfl_table(base / "wd", n) for n in ("games", "drives", "plays")}


__all__ = ["clean_real_game", "make_source", "read_game_json"]


@pytest.fixture(scope="session")
def empirical(full_ingest):
    """``(sampler, tables, workdir)``: the empirical sampler of the full ingest (fit once, cached in its
    workdir, so the CLI tests read the same sampler)."""
    from scrimmage.football.simulate.empirical.cache import load_or_fit

    _, tables, workdir = full_ingest
    sampler, _ = load_or_fit(workdir)
    return sampler, tables, workdir


# ---- college: the CFBD sample ingested once per session, and small copies of it

@pytest.fixture(scope="session")
def cfb_sample() -> dict[str, Path]:
    _need_sample()
    return {"pbp": PBP_DIR, "games": GAMES_CSV, "lines": LINES_CSV}


@pytest.fixture(scope="session")
def cfb_ingest(tmp_path_factory: pytest.TempPathFactory, cfb_sample: dict[str, Path]):
    """The whole sample ingested once, with lines: (summary, tables, workdir)."""
    from scrimmage.football.cfb.ingest import ingest_cfb, load_cfb_table

    workdir = tmp_path_factory.mktemp("cfb_full")
    summary = ingest_cfb(workdir, cfb_sample["pbp"], cfb_sample["games"], lines=cfb_sample["lines"], force=True)
    tables = {name: load_cfb_table(workdir, name) for name in ("games", "drives", "plays")}
    return summary, tables, workdir


@pytest.fixture()
def mini_cfb(tmp_path: Path) -> dict[str, Path]:
    return make_mini(tmp_path / "src")


# ---- on-disk fixtures built once per test run, shared by pytest-xdist workers


def shared_folder(tmp_path_factory: pytest.TempPathFactory, name: str, build: Callable[[Path], None]) -> Path:
    """A folder that ``build(folder)`` fills once per test run, under a file lock.

    Under pytest-xdist every worker has its own basetemp below one run folder, so the folder lives in
    ``getbasetemp().parent`` and the first worker to take the lock builds it while the others wait and
    then read it; run alone it lives in the session's basetemp. A build that failed half-way leaves no
    ``.built`` marker, so the next taker starts it over.
    """
    import os
    import shutil

    from filelock import FileLock

    base = tmp_path_factory.getbasetemp()
    root = (base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base) / "football-shared"
    root.mkdir(parents=True, exist_ok=True)
    folder = root / name
    with FileLock(str(root / f"{name}.lock")):
        if not (folder / ".built").is_file():
            shutil.rmtree(folder, ignore_errors=True)
            folder.mkdir()
            build(folder)
            (folder / ".built").write_text("ok\n")
    return folder


#: The tiny nfl-hierarchical run every simulator, predictor and CLI test of a trained model shares.
HIERARCHICAL_RECIPE = "recipes/nfl-hierarchical.yaml"
#: Two training seasons: with one, the season feature is constant in training and its standardisation (std
#: clamped at 1e-6) saturates the encoder on 2018, so the model gave every game the same prediction.
TINY_SEASONS = ["data.train_seasons=[2015,2016]", "data.val_seasons=[2017,2017]", "data.test_seasons=[2018,2018]"]
TINY_HIERARCHICAL = ['callbacks=[{"name": "phases", "phases": [{"name": "all", "steps": 4}]}]', "trainer.epochs=1",
                     "tracking.enabled=false", "model.hidden=[16,8]", "model.play_head=[16]", "reports.1.n=2"]


class TinyRun:
    """A finished run read back from disk: its id, its result as ``to_dict()`` gave it, and its workdir."""

    def __init__(self, run_id: str, result: dict[str, Any], workdir: Path):
        self.run_id, self._result, self.workdir = run_id, result, workdir

    def to_dict(self) -> dict[str, Any]:
        return json.loads(json.dumps(self._result))


@pytest.fixture(scope="session")
def tiny_hierarchical(tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest) -> TinyRun:
    """One tiny trained ``nfl-hierarchical`` run per test run, in a workdir of its own (the full ingest's
    tables and fitted empirical sampler copied in, so nothing is refitted), with the simulator's caches
    warmed by one :func:`load_neural_sampler`. Tests read it; one that changes files works on a copy."""

    def build(folder: Path) -> None:
        import shutil

        from scrimmage.config import load_config
        from scrimmage.engine import run
        from scrimmage.football.simulate.empirical.cache import load_or_fit
        from scrimmage.football.simulate.neural import load_neural_sampler

        _, _, source = request.getfixturevalue("full_ingest")
        load_or_fit(source)  # the session's empirical sampler, fitted once and copied with the tables
        shutil.copytree(source / "data", folder / "data")
        shutil.copytree(source / "simulate", folder / "simulate")
        result = run(load_config(HIERARCHICAL_RECIPE, [*TINY_SEASONS, *TINY_HIERARCHICAL]), workdir=folder,
                     progress=False)
        load_neural_sampler(result.run_id, folder)
        (folder / "tiny-run.json").write_text(json.dumps({"run_id": result.run_id, "result": result.to_dict()},
                                                         default=str))

    folder = shared_folder(tmp_path_factory, "tiny-hierarchical", build)
    blob = json.loads((folder / "tiny-run.json").read_text())
    return TinyRun(blob["run_id"], blob["result"], folder)
