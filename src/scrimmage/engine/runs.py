"""The runs in a workdir: what exists, how far each got, and what it scored (from run folders)."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from scrimmage.paths import runs_dir


@dataclass
class RunInfo:
    run_id: str
    status: str  # finished | resumable | started
    recipe: str | None
    started: str | None
    epochs_completed: int | None
    best: dict[str, Any] | None
    test: dict[str, Any] | None
    mlflow_run_id: str | None
    headline: tuple[str, Any] | None = None
    """(metric, value) the run's report ranks by, on the test split."""

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def list_runs(workdir: Path) -> list[RunInfo]:
    """Newest first. A run without result.json but with last.ckpt can be continued with --resume."""
    root = runs_dir(workdir)
    infos = [_read_run(folder) for folder in root.iterdir() if (folder / "run.json").is_file()] if root.is_dir() else []
    return sorted(infos, key=lambda info: (info.started or "", info.run_id), reverse=True)


def _read_run(folder: Path) -> RunInfo:
    meta = json.loads((folder / "run.json").read_text())
    result_file, last = folder / "result.json", folder / "checkpoints" / "last.ckpt"
    if result_file.is_file():
        result = json.loads(result_file.read_text())
        status, epochs, best, test = "finished", result["epochs_completed"], result["best"], result["test"]
        rank_by = (result.get("report") or {}).get("rank_by")
        headline = (rank_by, test.get(rank_by)) if rank_by else None
    else:
        status, epochs, best, test, headline = "started", None, None, None, None
        if last.is_file():
            import torch

            status = "resumable"
            epochs = int(torch.load(last, map_location="cpu", weights_only=False)["loop"]["epoch"])
    return RunInfo(
        run_id=meta["run_id"], status=status, recipe=meta.get("recipe"), started=meta.get("started"),
        epochs_completed=epochs, best=best, test=test, mlflow_run_id=meta.get("mlflow_run_id"), headline=headline,
    )
