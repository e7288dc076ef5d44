"""The runs in a workdir: each run's ``run.json`` record (status, progress, error) and the listing.

A run's status lives in its folder, written atomically at every change, so ``scrimmage runs``
answers from small JSON files without importing torch, and a campaign worker can tell a live run
from a dead one: a ``running`` record whose process is gone (killed, machine lost) lists as
``killed``.

Statuses: ``running``, ``finished``, ``interrupted`` (SIGINT/SIGTERM, checkpointed first),
``failed`` (with its error), ``diverged`` (the loss went NaN/inf), ``aborted`` (stopped by its owner, nothing
more written), ``pruned`` (a search stopped the trial), ``killed`` (derived, see above).
A run that did not finish and has ``checkpoints/last.ckpt`` is resumable.
"""

from __future__ import annotations

import json
import os
import socket
import warnings
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from scrimmage.io import atomic_write_text
from scrimmage.paths import runs_dir

ENDED = ("finished", "interrupted", "failed", "diverged", "aborted", "pruned")


def now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


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
    elif status == "running" and not _alive(meta):
        status = "killed"
    resumable = status != "finished" and (folder / "checkpoints" / "last.ckpt").is_file()
    return RunInfo(
        run_id=meta["run_id"], status=status, resumable=resumable, recipe=meta.get("recipe"),
        started=meta.get("started"), epochs_completed=epochs, best=best, test=test,
        mlflow_run_id=meta.get("mlflow_run_id"), error=meta.get("error"), headline=headline,
    )
