"""Where studies live: one process, several processes on one machine, several machines.

* default: ``sqlite:///<workdir>/optuna.db`` (Optuna's RDB storage) for one ``scrimmage tune`` process;
* ``--storage journal`` (``<workdir>/optuna-journal.log``) or any path ending ``.log``: Optuna's journal
  file storage (an append-only log with a file lock), for several processes on one machine. SQLite
  under parallel writers fails with "database is locked" (optuna#4002); the journal does not;
* any SQLAlchemy URL (``postgresql://user@host/db``): RDB storage for several machines.

Database storages run heartbeats: a trial whose process stopped beating for ``grace_period`` seconds
is failed and re-queued with its values by :class:`optuna.storages.RetryHeartbeatStaleTrialCallback`
(the non-deprecated name of ``RetryFailedTrialCallback`` in Optuna 5). The journal has no heartbeat,
so every storage also gets :func:`reap_dead_trials`: a running trial started on this host whose
process is gone (SIGKILL, OOM) is failed and re-queued at once, without waiting for a grace period.

An unreachable server fails within seconds with the URL (password hidden) in the message, and a
store that does not exist yet is never created by a command that only reads (``evaluate``).
"""

from __future__ import annotations

import contextlib
import os
import socket
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from scrimmage.errors import StoreError

CONNECT_TIMEOUT_S = 5
SQLITE_TIMEOUT_S = 60


@dataclass
class StudyStore:
    storage: Any
    """The Optuna storage object."""
    url: str
    """What to pass to ``--storage`` (and optuna-dashboard) to open it again; passwords hidden."""
    kind: str
    """``sqlite``, ``journal`` or ``database``."""
    created: Path | None = None
    """The file this call created (a new SQLite or journal file): removed again if the command fails before
    its study exists (:func:`discard_if_unused`)."""


def discard_if_unused(store: StudyStore) -> None:
    """Remove the store file this command created when no study was written into it (a failed first call)."""
    import optuna

    if store.created is None:
        return
    try:
        if optuna.get_all_study_names(store.storage):
            return
        engine = getattr(store.storage, "engine", None)
        if engine is not None:
            engine.dispose()
        for path in (store.created, store.created.with_name(store.created.name + "-journal")):
            path.unlink(missing_ok=True)
    except Exception:  # cleaning up must never hide the error that brought us here
        pass


def default_storage_url(workdir: Path) -> str:
    return f"sqlite:///{workdir / 'optuna.db'}"


def hide_password(url: str) -> str:
    try:
        from sqlalchemy.engine import make_url

        return make_url(url).render_as_string(hide_password=True)
    except Exception:  # not a URL SQLAlchemy can parse: shown as given
        return url


def _journal_path(spec: str | None, workdir: Path) -> Path | None:
    if spec == "journal":
        return workdir / "optuna-journal.log"
    if spec and "://" not in spec and spec.endswith(".log"):
        return Path(spec).expanduser().resolve()
    return None


def open_store(spec: str | None, workdir: Path, *, create: bool, heartbeat: tuple[int, int, int] | None = None) -> StudyStore:
    """Open (``create``: or make) the study storage ``spec`` names (None = the workdir's SQLite file).

    ``heartbeat`` is ``(interval_s, grace_period_s, max_retry)`` for database storages.
    """
    journal = _journal_path(spec, workdir)
    if journal is not None:
        if create and spec == "journal":
            workdir.mkdir(parents=True, exist_ok=True)  # the default journal lives in the workdir
        return _open_journal(journal, create)
    url = spec if spec is not None else default_storage_url(workdir)
    if "://" not in url:
        raise StoreError(f"--storage {spec!r} is not a storage: pass a database URL (sqlite:///path/optuna.db, "
                         "postgresql://user@host:5432/db), a journal file ending in .log, or 'journal' "
                         f"(= {workdir / 'optuna-journal.log'}).")
    if url.startswith("sqlite:///"):
        path = Path(url.removeprefix("sqlite:///"))
        if not create and not path.is_file():
            raise StoreError(f"no study store at {path}: nothing has been tuned with --storage {hide_password(url)} "
                             "(run `scrimmage tune RECIPE` first, or pass the --storage the study was made with).")
        if create and not path.parent.is_dir():
            if spec is None:
                path.parent.mkdir(parents=True, exist_ok=True)  # the default store lives in the workdir
            else:
                raise StoreError(f"--storage {url}: folder {path.parent} does not exist; create it or pass another URL.")
        if path.exists() and not path.is_file():
            raise StoreError(f"--storage {url}: {path} is not a file; pass the path of an SQLite database file.")
        existed = path.exists()
        if existed:
            _check_study_file(path, url)
        store = _open_database(url, heartbeat)
        store.created = None if existed else path
        return store
    return _open_database(url, heartbeat)


def _check_study_file(path: Path, url: str) -> None:
    """An existing SQLite file must be an Optuna store (or empty): Optuna would add its tables to any database,
    e.g. to the MLflow store next to it."""
    import sqlite3

    try:
        with contextlib.closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=SQLITE_TIMEOUT_S)) as db:
            tables = {row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    except sqlite3.Error as exc:
        raise StoreError(f"--storage {url}: {path} is not a readable SQLite database ({exc}).") from None
    if tables and "studies" not in tables:
        raise StoreError(f"--storage {url}: {path} is a database of something else (no Optuna studies table); pass "
                         "the study store (by default sqlite:///<workdir>/optuna.db) or a new file.")


def _open_journal(path: Path, create: bool) -> StudyStore:
    from optuna.storages import JournalStorage
    from optuna.storages.journal import JournalFileBackend

    if not create and not path.is_file():
        raise StoreError(f"no journal file {path}: nothing has been tuned with this --storage "
                         "(run `scrimmage tune RECIPE --storage ...` first, or pass the storage the study was made with).")
    if not path.parent.is_dir():
        raise StoreError(f"--storage {path}: folder {path.parent} does not exist; create it or pass another path.")
    if path.exists() and not path.is_file():
        raise StoreError(f"--storage {path} is not a file; pass the path of a journal file ending in .log.")
    created = None if path.exists() else path
    try:
        return StudyStore(JournalStorage(JournalFileBackend(str(path))), str(path), "journal", created)
    except Exception as exc:
        raise StoreError(f"cannot open the journal file {path}: {_first_line(exc)}. Is it a damaged or foreign file?") from None


def _open_database(url: str, heartbeat: tuple[int, int, int] | None) -> StudyStore:
    import optuna
    from optuna.storages import RDBStorage, RetryHeartbeatStaleTrialCallback

    shown = hide_password(url)
    engine_kwargs: dict[str, Any] = {"pool_pre_ping": True}
    if url.startswith("sqlite"):
        engine_kwargs["connect_args"] = {"timeout": SQLITE_TIMEOUT_S}
    elif url.startswith(("postgresql", "mysql")):
        engine_kwargs["connect_args"] = {"connect_timeout": CONNECT_TIMEOUT_S}
    options: dict[str, Any] = {}
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
            if heartbeat is not None:
                interval, grace, retries = heartbeat
                options = {"heartbeat_interval": interval, "grace_period": grace,
                           "heartbeat_stale_trial_callback": RetryHeartbeatStaleTrialCallback(max_retry=retries)}
            storage = RDBStorage(url, engine_kwargs=engine_kwargs, **options)
    except ModuleNotFoundError as exc:
        raise StoreError(f"--storage {shown} needs the database driver '{exc.name}', which is not installed.") from None
    except Exception as exc:
        raise StoreError(f"cannot open the study storage {shown}: {_first_line(exc)}. Is the server up and the "
                         "database reachable (host, port, user, database name)?") from None
    return StudyStore(storage, shown, "sqlite" if url.startswith("sqlite") else "database")


def _first_line(exc: BaseException) -> str:
    lines = [line.strip() for line in str(exc).strip().splitlines() if line.strip()]
    text = lines[0] if lines else type(exc).__name__
    return text if len(text) < 300 else text[:300] + "..."


def study_names(store: StudyStore) -> list[str]:
    import optuna

    return sorted(optuna.get_all_study_names(store.storage))


def trial_owner() -> dict[str, Any]:
    """Who runs a trial: recorded on it so a dead process's trial can be found from this host."""
    return {"host": socket.gethostname(), "pid": os.getpid()}


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process holds the number: alive
        return True
    return True


def reap_dead_trials(study: Any, max_retry: int) -> list[int]:
    """Fail running trials of this host whose process is gone, re-queueing each with its values (up to
    ``max_retry`` times, as the heartbeat does). Returns the failed trials' numbers."""
    from optuna.exceptions import UpdateFinishedTrialError
    from optuna.storages import RetryHeartbeatStaleTrialCallback
    from optuna.trial import TrialState

    host = socket.gethostname()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # experimental in Optuna 5
        retry = RetryHeartbeatStaleTrialCallback(max_retry=max_retry)
    reaped = []
    for trial in study.get_trials(deepcopy=False, states=(TrialState.RUNNING,)):
        owner = trial.user_attrs
        pid = owner.get("pid")
        if owner.get("host") != host or not isinstance(pid, int) or _alive(pid):
            continue
        try:
            study._storage.set_trial_user_attr(trial._trial_id, "error", f"its process (pid {pid} on {host}) died")
            if not study._storage.set_trial_state_values(trial._trial_id, state=TrialState.FAIL):
                continue
        except UpdateFinishedTrialError:  # another process reaped it first
            continue
        reaped.append(trial.number)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            retry(study, study._storage.get_trial(trial._trial_id))
    return reaped
