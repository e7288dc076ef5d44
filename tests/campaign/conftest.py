"""Campaign test fixtures: one embedded PostgreSQL server per test session, a fresh database per test.

Every test gets its own database (``CREATE DATABASE`` on the session's server, dropped afterwards),
so tests never see each other's campaigns. Tests against the machine's real PostgreSQL use
``SCRIMMAGE_TEST_POSTGRES_URL`` (default ``postgresql://postgres@127.0.0.1:5432/test``) and skip
when it is unreachable. Worker processes run ``python -m tests.campaign.cli worker`` and their task
processes import :mod:`tests.campaign.plugin` through ``SCRIMMAGE_CAMPAIGN_IMPORTS``.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.campaign.plugin import RECIPE

REPO = Path(__file__).resolve().parents[2]
REAL_PG = os.environ.get("SCRIMMAGE_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")


def _public_tmp(prefix: str) -> Path:
    """A folder outside pytest's own temp root: run as root, the server runs as an unprivileged system user that
    must reach its data folder, and pytest sets its root back to mode 0700 whenever another session starts."""
    import tempfile

    return Path(tempfile.mkdtemp(prefix=prefix))


@pytest.fixture(scope="session")
def pg_server() -> Iterator[str]:
    """The session's embedded server (its URL on the default database)."""
    import shutil

    from scrimmage.campaign import server

    home = _public_tmp("scrimmage-test-pg-")
    url = server.start(home)
    yield url
    server.stop(home)
    shutil.rmtree(home, ignore_errors=True)


@pytest.fixture
def server_home() -> Iterator[Path]:
    """A workdir for a test that starts its own embedded server (stopped and removed afterwards)."""
    import shutil

    from scrimmage.campaign import server

    home = _public_tmp("scrimmage-test-wd-")
    yield home
    server.stop(home)
    shutil.rmtree(home, ignore_errors=True)


def _with_database(url: str, name: str) -> str:
    from urllib.parse import urlsplit, urlunsplit

    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=f"/{name}"))


def _admin(url: str) -> Any:
    import psycopg

    return psycopg.connect(url, autocommit=True, connect_timeout=3)


@pytest.fixture
def queue_url(pg_server: str) -> Iterator[str]:
    """A fresh database on the session's embedded server."""
    name = f"t_{uuid.uuid4().hex[:12]}"
    with _admin(pg_server) as conn:
        conn.execute(f"CREATE DATABASE {name}")
    yield _with_database(pg_server, name)
    with _admin(pg_server) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


@pytest.fixture
def real_queue_url() -> Iterator[str]:
    """A fresh database on the machine's PostgreSQL; skips when that server is unreachable."""
    try:
        admin = _admin(REAL_PG)
    except Exception as exc:
        pytest.skip(f"no PostgreSQL at {REAL_PG} ({type(exc).__name__}); set SCRIMMAGE_TEST_POSTGRES_URL to run this")
    name = f"scrimmage_t_{uuid.uuid4().hex[:12]}"
    with admin:
        admin.execute(f"CREATE DATABASE {name}")
    yield _with_database(REAL_PG, name)
    with _admin(REAL_PG) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def write_recipe(path: Path, **sections: Any) -> Path:
    recipe = {**RECIPE, **sections}
    path.write_text(yaml.safe_dump(recipe, sort_keys=False))
    return path


def write_sweep(path: Path, campaign: str, phases: list[dict[str, Any]]) -> Path:
    path.write_text(yaml.safe_dump({"campaign": campaign, "phases": phases}, sort_keys=False))
    return path


def rows(url: str, sql: str, *params: Any) -> list[dict[str, Any]]:
    import psycopg
    from psycopg.rows import dict_row

    with psycopg.connect(url, row_factory=dict_row) as conn:
        return conn.execute(sql, params).fetchall()


def task_rows(url: str, campaign: str) -> list[dict[str, Any]]:
    return rows(url, "SELECT * FROM campaign_tasks WHERE campaign = %s ORDER BY id", campaign)


def wait_for(predicate: Callable[[], Any], timeout: float, what: str, poll: float = 0.3) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(poll)
    raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")


def cli_env() -> dict[str, str]:
    return {**os.environ, "SCRIMMAGE_CAMPAIGN_IMPORTS": "tests.campaign.plugin", "OMP_NUM_THREADS": "1",
            "PYTHONPATH": str(REPO) + os.pathsep + os.environ.get("PYTHONPATH", "")}


def scrimmage(workdir: Path, *args: str, timeout: float = 300) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "tests.campaign.cli", "--workdir", str(workdir), *args], cwd=REPO,
                          env=cli_env(), capture_output=True, text=True, timeout=timeout)


class Worker:
    """A ``scrimmage worker`` process (its output goes to a file a failing test prints)."""

    def __init__(self, workdir: Path, url: str | None, name: str, *args: str):
        self.log = workdir / f"worker-{name}.log"
        workdir.mkdir(parents=True, exist_ok=True)
        self._out = self.log.open("w")
        queue = ["--queue", url] if url else []  # None: the embedded server in the workdir
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "tests.campaign.cli", "--workdir", str(workdir), "worker", *queue,
             "--worker-id", name, "--threads", "1", *args], cwd=REPO, env=cli_env(), stdout=self._out,
            stderr=subprocess.STDOUT)

    def signal(self, signum: int) -> None:
        self.proc.send_signal(signum)

    def wait(self, timeout: float) -> int:
        try:
            return self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            raise AssertionError(f"worker did not exit within {timeout:.0f} s:\n{self.output()}") from None

    def output(self) -> str:
        self._out.flush()
        return self.log.read_text()

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGCONT)
            self.proc.kill()
            self.proc.wait(timeout=30)
        self._out.close()


@pytest.fixture
def workers() -> Iterator[Callable[..., Worker]]:
    """Start workers; every one still running at the end of the test is killed."""
    started: list[Worker] = []

    def start(workdir: Path, url: str | None, name: str, *args: str) -> Worker:
        worker = Worker(workdir, url, name, *args)
        started.append(worker)
        return worker

    yield start
    for worker in started:
        worker.stop()
