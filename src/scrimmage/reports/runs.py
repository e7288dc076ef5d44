"""A finished run as a report reads it: config, record, result, per-epoch history and test predictions.

Read from the run folder (no torch): ``config.yaml``, ``run.json``, ``result.json``, ``history.csv``
(per-epoch metrics, written by the runner when a run finishes) and ``predictions/test.csv``. A run
finished before ``history.csv`` existed still has its history inside ``checkpoints/last.ckpt``; only
then is torch imported, to read it. The same :class:`RunData` is built in memory by the runner for the
figures it logs to MLflow (:mod:`scrimmage.reports.artifacts`).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from scrimmage.errors import ArgumentError, CheckpointError

if TYPE_CHECKING:
    import pandas as pd


@dataclass
class RunData:
    """What a report shows about one run (plain data; ``history`` and ``predictions`` are DataFrames)."""

    run_id: str
    config: dict[str, Any]
    result: dict[str, Any]
    history: pd.DataFrame
    predictions: pd.DataFrame | None = None
    meta: dict[str, Any] = field(default_factory=dict)
    folder: Path | None = None

    @property
    def data_name(self) -> str:
        return str((self.config.get("data") or {}).get("name", ""))

    @property
    def task_name(self) -> str:
        return str((self.config.get("task") or {}).get("name", ""))

    @property
    def monitor(self) -> tuple[str, str]:
        monitor = self.config.get("monitor") or {}
        return str(monitor.get("metric", "val/loss")), str(monitor.get("mode", "min"))

    @property
    def report(self) -> dict[str, Any]:
        return self.result.get("report") or {}

    @property
    def extras(self) -> dict[str, Any]:
        return self.report.get("extras") or {}


def run_folder(workdir: Path, run_id: str) -> Path:
    """``runs/<run_id>`` under ``workdir``, or a clear error naming how to list the runs."""
    from scrimmage.paths import runs_dir

    if not run_id or not run_id.strip() or "/" in run_id or run_id in (".", ".."):
        raise ArgumentError(f"run id {run_id!r} is not a run's name; list them with `scrimmage runs`.")
    folder = runs_dir(workdir) / run_id
    if not (folder / "run.json").is_file():
        raise ArgumentError(f"no run '{run_id}' in {runs_dir(workdir)}; list the runs with `scrimmage runs` "
                            "(or pass the workdir it was trained in with --workdir).")
    return folder


def load_run(workdir: Path, run_id: str) -> RunData:
    """A finished run's data; an error says why a run that is not finished cannot be reported yet."""
    import pandas as pd
    import yaml

    from scrimmage.engine.runs import read_run

    folder = run_folder(workdir, run_id)
    try:
        info = read_run(folder)
        meta = json.loads((folder / "run.json").read_text())
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise CheckpointError(f"run {run_id}: its run.json or result.json is damaged ({exc}); it cannot be reported.") from None
    if info.status != "finished" or not (folder / "result.json").is_file():
        raise ArgumentError(f"run {run_id} is {info.status}, not finished: a report needs its result. "
                            + ("Resume it (scrimmage train --resume " + run_id + ") and report it when it ends."
                               if info.resumable else "Wait for it to finish, or report another run (scrimmage runs)."))
    try:
        result = json.loads((folder / "result.json").read_text())
        config = yaml.safe_load((folder / "config.yaml").read_text()) if (folder / "config.yaml").is_file() else {}
    except (OSError, ValueError, yaml.YAMLError) as exc:
        raise CheckpointError(f"run {run_id}: result.json or config.yaml is damaged ({exc}); it cannot be reported.") from None
    if not isinstance(result, dict) or not isinstance(config, dict):
        raise CheckpointError(f"run {run_id}: result.json or config.yaml does not hold a mapping; it cannot be reported.")
    predictions = None
    path = folder / "predictions" / "test.csv"
    if path.is_file():
        try:
            predictions = pd.read_csv(path)
        except (OSError, ValueError) as exc:
            raise CheckpointError(f"run {run_id}: {path} is damaged ({exc}); it cannot be reported.") from None
    return RunData(run_id=run_id, config=config, result=result, history=_history(folder), predictions=predictions,
                   meta=meta, folder=folder)


def _history(folder: Path) -> pd.DataFrame:
    import pandas as pd

    path = folder / "history.csv"
    if path.is_file():
        try:
            return pd.read_csv(path)
        except (OSError, ValueError):
            pass  # fall back to the checkpoint
    last = folder / "checkpoints" / "last.ckpt"
    if last.is_file():  # a run finished before history.csv was written: its checkpoint holds the history
        try:
            from scrimmage.engine.resume import read_checkpoint

            return pd.DataFrame(list(read_checkpoint(last).get("history") or []))
        except Exception:  # a damaged checkpoint only costs the learning curves
            pass
    return pd.DataFrame()


def history_frame(history: list[dict[str, float]]) -> pd.DataFrame:
    import pandas as pd

    return pd.DataFrame(list(history))
