"""Session fixtures shared by all tests: the real NFL data ingested once, the shared betting lines."""

from __future__ import annotations

from pathlib import Path

import pytest

SHARED_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"
LINES_CSV = SHARED_DATA / "nfl_lines" / "spreadspoke_scores.csv"


@pytest.fixture(scope="session")
def lines_csv() -> Path:
    if not LINES_CSV.is_file():
        pytest.skip(f"shared betting lines not found at {LINES_CSV} (../shared/data is absent)")
    return LINES_CSV


@pytest.fixture(scope="session")
def full_ingest(tmp_path_factory: pytest.TempPathFactory):
    """The whole bundled data set ingested once (with lines when the shared CSV exists)."""
    from scrimmage.football.nfl.ingest import ingest_nfl, load_nfl_table

    workdir = tmp_path_factory.mktemp("nfl_full")
    lines = LINES_CSV if LINES_CSV.is_file() else None
    summary = ingest_nfl(workdir, lines=lines, force=True)
    tables = {name: load_nfl_table(workdir, name) for name in ("games", "drives", "plays")}
    return summary, tables, workdir


@pytest.fixture
def synthetic_config():
    """Builds a config for the synthetic regression dataset (tests/engine/synthetic.py) from overrides."""
    from tests.engine.synthetic import synthetic_config as make_synthetic_config

    return make_synthetic_config
