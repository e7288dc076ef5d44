"""The runs in a workdir: each run's ``run.json`` record (status, progress, error) and the listing.

A run's status lives in its folder, written atomically at every change, so ``scrimmage runs``
answers from small JSON files without importing torch, and a campaign worker can tell a live run
from a dead one: a ``running`` record whose process is gone (killed, machine lost) lists as
``killed``.

Statuses: ``running``, ``finished``, ``interrupted`` (SIGINT/SIGTERM, checkpointed first),
``failed`` (with its error), ``diverged`` (the loss went NaN/inf), ``aborted`` (stopped by its owner, nothing
more written), ``pruned`` (a search stopped the trial), ``killed`` (derived, see above).
A run that did not finish, is not training now, and has a readable ``checkpoints/last.ckpt`` is
resumable.

One writer per run: a run holds an exclusive ``flock`` on ``runs/<id>/.lock`` while it trains
(:class:`RunLock`). The OS releases it when the process dies, so SIGKILL or a lost machine never
leaves it stuck; a second writer (a concurrent ``train --resume``, a second worker given the same
job) gets an error naming the live process. ``fcntl.flock`` directly rather than the ``filelock``
package: the listing needs a non-blocking probe from another process and the holder's pid written in
the lock file, which filelock does not expose. flock is per host: on a network filesystem shared by
several machines it may not exclude a process on another host, which campaign workers avoid with
their database leases.
"""

from __future__ import annotations

import fcntl
import json
import os
import socket
import warnings
import zipfile
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from scrimmage.io import atomic_write_text
from scrimmage.paths import runs_dir

ENDED = ("finished", "interrupted", "failed", "diverged", "aborted", "pruned", "killed")


def now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def create_run_dir(root: Path, base: str) -> Path:
    """``root/base`` created exclusively (``-2``, ``-3`` ... when taken), so processes opening runs at the same
    instant never share a folder: mkdir is the lock (check-then-create would race)."""
    root.mkdir(parents=True, exist_ok=True)
    for attempt in range(1, 10_000):
        run_dir = root / (base if attempt == 1 else f"{base}-{attempt}")
        try:
            run_dir.mkdir()
        except FileExistsError:
            continue
        (run_dir / "checkpoints").mkdir()
        return run_dir
    raise OSError(f"no free run name like {base} after 10,000 tries")


class RunLock:
    """The exclusive lock of a run folder while one process trains it (see the module docstring)."""

    def __init__(self, folder: Path):
        self.folder = folder
        self.path = folder / ".lock"
        self._handle: Any = None

    def acquire(self) -> RunLock:
        from scrimmage.errors import CheckpointError

        handle = open(self.path, "a+")
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            holder = handle.read().strip() or "another process"
            handle.close()
            raise CheckpointError(f"run {self.folder.name} is being trained right now by {holder}; one process writes a "
                                  "run at a time. Wait for it to end (scrimmage runs), or stop it first.") from None
        handle.seek(0)
        handle.truncate()
        handle.write(f"pid {os.getpid()} on {socket.gethostname()}")
        handle.flush()
        self._handle = handle
        return self

    def release(self) -> None:
        if self._handle is not None:
            self._handle.close()  # closing the descriptor releases the flock
            self._handle = None


def is_locked(folder: Path) -> bool:
    """Whether a live process holds the run's lock (i.e. is training it now)."""
    path = folder / ".lock"
    if not path.is_file():
        return False
    with open(path) as handle:
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            return True
        fcntl.flock(handle.fileno(), fcntl.LOCK_UN)
    return False


def readable_checkpoint(path: Path) -> bool:
    """Cheap check that a checkpoint file is whole: torch writes a zip whose directory sits at the end."""
    try:
        with zipfile.ZipFile(path) as archive:
            return bool(archive.namelist())
    except (OSError, zipfile.BadZipFile):
        return False


def read_record(folder: Path) -> dict[str, Any]:
    """A run's ``run.json``, or a clear error when it is damaged (before anything else is loaded)."""
    from scrimmage.errors import CheckpointError

    try:
        meta = json.loads((folder / "run.json").read_text())
        if not isinstance(meta, dict) or not isinstance(meta.get("run_id"), str):
            raise ValueError("not a run record")
    except (OSError, ValueError) as exc:
        raise CheckpointError(f"the run record {folder / 'run.json'} is damaged ({exc}); its checkpoints are intact: "
                              f"resume from a .ckpt file instead (--resume {folder / 'checkpoints' / 'last.ckpt'}), "
                              "which starts a new run folder.") from None
    return meta


class RunRecord:
    """``runs/<id>/run.json``: who runs it, how far it got, how it ended."""

    def __init__(self, folder: Path, meta: dict[str, Any]):
        self.folder = folder
        self.meta = meta

    @property
    def path(self) -> Path:
        return self.folder / "run.json"

    def save(self) -> None:
        self.meta["updated"] = now()
        atomic_write_text(self.path, json.dumps(self.meta, indent=2, default=str))

    def start(self) -> None:
        self.meta.update(status="running", pid=os.getpid(), host=socket.gethostname(), error=None, ended=None)
        self.save()

    def progress(self, epochs_completed: int, global_step: int) -> None:
        self.meta.update(epochs_completed=epochs_completed, global_step=global_step)
        self.save()

    def end(self, status: str, error: str | None = None) -> None:
        assert status in ENDED, status
        self.meta.update(status=status, error=error, ended=now())
        self.save()


@dataclass
class RunInfo:
    run_id: str
    status: str
    resumable: bool
    recipe: str | None
    started: str | None
    epochs_completed: int | None
    best: dict[str, Any] | None
    test: dict[str, Any] | None
    mlflow_run_id: str | None
    error: str | None = None
    headline: tuple[str, Any] | None = None
    """(metric, value) the run's report ranks by, on the test split."""

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def list_runs(workdir: Path, warn: Callable[[str], None] | None = None) -> list[RunInfo]:
    """Newest first. A damaged run folder is skipped with a warning (``warn``), never fails the listing."""
    root = runs_dir(workdir)
    infos = []
    for folder in sorted(root.iterdir()) if root.is_dir() else []:
        if not (folder / "run.json").is_file():
            continue
        try:
            infos.append(read_run(folder))
        except (OSError, ValueError, KeyError, TypeError) as exc:
            message = f"skipping run folder {folder}: its run.json or result.json is damaged ({exc})"
            if warn is not None:
                warn(message)
            else:
                warnings.warn(message, stacklevel=2)
    return sorted(infos, key=lambda info: (info.started or "", info.run_id), reverse=True)


def killed_runs(workdir: Path) -> list[RunRecord]:
    """Runs of this host whose record still says ``running`` though no process holds them (SIGKILL, power loss)."""
    root = runs_dir(workdir)
    found = []
    for meta_file in sorted(root.glob("*/run.json")) if root.is_dir() else []:
        try:
            meta = json.loads(meta_file.read_text())
        except (OSError, ValueError):
            continue
        if not isinstance(meta, dict) or meta.get("status") != "running" or meta.get("host") != socket.gethostname():
            continue
        if not is_locked(meta_file.parent) and ((meta_file.parent / ".lock").is_file() or not _alive(meta)):
            found.append(RunRecord(meta_file.parent, meta))
    return found


def _alive(meta: dict[str, Any]) -> bool:
    if meta.get("host") != socket.gethostname():
        return True  # another machine's run: trust its record
    try:
        os.kill(int(meta["pid"]), 0)
    except ProcessLookupError:
        return False
    except (PermissionError, KeyError, ValueError, TypeError):
        return True
    return True


def read_run(folder: Path) -> RunInfo:
    meta = json.loads((folder / "run.json").read_text())
    status = meta.get("status") or "running"
    result_file = folder / "result.json"
    best = test = headline = None
    epochs = meta.get("epochs_completed")
    if result_file.is_file():
        result = json.loads(result_file.read_text())
        status, epochs, best, test = "finished", result["epochs_completed"], result["best"], result["test"]
        rank_by = (result.get("report") or {}).get("rank_by")
        headline = (rank_by, test.get(rank_by)) if rank_by else None
    live = is_locked(folder)
    if live:
        status = "running"  # a finished run being extended trains again
    elif status == "running" and (not _alive(meta) or (folder / ".lock").is_file()):
        status = "killed"  # its process is gone (or, since runs take a lock, nobody holds it)
    last = folder / "checkpoints" / "last.ckpt"
    resumable = status != "finished" and not live and last.is_file() and readable_checkpoint(last)
    return RunInfo(
        run_id=meta["run_id"], status=status, resumable=resumable, recipe=meta.get("recipe"),
        started=meta.get("started"), epochs_completed=epochs, best=best, test=test,
        mlflow_run_id=meta.get("mlflow_run_id"), error=meta.get("error"), headline=headline,
    )
