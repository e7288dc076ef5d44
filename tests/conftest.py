"""Session fixtures shared by all tests: the real NFL data ingested once, the shared betting lines.

The suite runs in parallel (``make test``: pytest-xdist, one process per core). Each process
trains on one torch thread (two processes on two cores with default threading oversubscribe
and run 10x slower), and children started by tests inherit that. On-disk fixtures that cost
minutes are built once for all processes with :func:`built_once` (a file lock in the run's
shared temp root), not once per process.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

SHARED_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"
LINES_CSV = SHARED_DATA / "nfl_lines" / "spreadspoke_scores.csv"

for _var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS"):  # for child processes the tests start
    os.environ.setdefault(_var, "1")


def pytest_configure(config: pytest.Config) -> None:
    import torch

    torch.set_num_threads(1)


def built_once(tmp_path_factory: pytest.TempPathFactory, name: str, build: Callable[[Path], None]) -> Path:
    """``build(folder)`` run once per test session across all xdist processes; returns the folder.

    The folder is only marked done when ``build`` returned, so a build that failed in one process is
    retried by the next instead of being served half-made.
    """
    from filelock import FileLock

    root = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        root = root.parent  # shared by the workers of this session
    folder = root / f"shared-{name}"
    with FileLock(str(folder) + ".lock"):
        if not (folder / ".done").is_file():
            folder.mkdir(parents=True, exist_ok=True)
            build(folder)
            (folder / ".done").write_text("ok")
    return folder


@pytest.fixture(scope="session")
def lines_csv() -> Path:
    if not LINES_CSV.is_file():
        pytest.skip(f"shared betting lines not found at {LINES_CSV} (../shared/data is absent)")
    return LINES_CSV


@pytest.fixture(scope="session")
def full_ingest(tmp_path_factory: pytest.TempPathFactory):
    """The whole bundled data set ingested once (with lines when the shared CSV exists), shared by all processes."""
    import pickle

    from scrimmage.football.nfl.ingest import ingest_nfl, load_nfl_table

    lines = LINES_CSV if LINES_CSV.is_file() else None

    def build(folder: Path) -> None:
        summary = ingest_nfl(folder, lines=lines, force=True)
        (folder / "summary.pickle").write_bytes(pickle.dumps(summary))

    shared = built_once(tmp_path_factory, "nfl_full", build)
    # each process trains in its own copy (tests find "the newest run" in it); the 31 MB copy takes well under a second
    workdir = tmp_path_factory.mktemp("nfl_full")
    shutil.copytree(shared / "data", workdir / "data")
    summary = pickle.loads((shared / "summary.pickle").read_bytes())
    tables = {name: load_nfl_table(workdir, name) for name in ("games", "drives", "plays")}
    return summary, tables, workdir


@pytest.fixture
def synthetic_config():
    """Builds a config for the synthetic regression dataset (tests/engine/synthetic.py) from overrides."""
    from tests.engine.synthetic import synthetic_config as make_synthetic_config

    return make_synthetic_config


LOCAL_POSTGRES = "postgresql://postgres@127.0.0.1:5432"
"""The machine's PostgreSQL (trust auth), which CI runs against too."""


@contextlib.contextmanager
def scratch_postgres_database(prefix: str) -> Iterator[str]:
    """A fresh database on :data:`LOCAL_POSTGRES` for one test (dropped afterwards); skips when it is unreachable."""
    psycopg = pytest.importorskip("psycopg")
    try:
        admin = psycopg.connect(f"{LOCAL_POSTGRES}/postgres", connect_timeout=3, autocommit=True)
    except psycopg.OperationalError as exc:
        pytest.skip(f"PostgreSQL not reachable at {LOCAL_POSTGRES}: {exc}")
    name = f"{prefix}_{uuid.uuid4().hex[:8]}"
    with admin.cursor() as cur:
        cur.execute(f"CREATE DATABASE {name}")
    try:
        yield f"{LOCAL_POSTGRES}/{name}"
    finally:
        with admin.cursor() as cur:
            cur.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        admin.close()
