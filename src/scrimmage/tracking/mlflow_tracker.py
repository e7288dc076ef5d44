"""MLflow tracking: embedded ``sqlite:///<workdir>/mlflow.db`` by default, a server via ``--tracking-uri``.

Metrics go out with one ``log_batch`` call per epoch (not one call per value); the resolved
config is logged flattened as params and as a YAML artifact.
"""

from __future__ import annotations

import logging
import os
import time
from pathlib import Path
from typing import Any

from scrimmage.errors import ConfigError

_MAX_PARAM_LEN = 6000


def default_tracking_uri(workdir: Path) -> str:
    return f"sqlite:///{workdir / 'mlflow.db'}"


class MlflowTracker:
    """A thin, batching wrapper over ``MlflowClient`` for one run."""

    def __init__(self, uri: str, experiment: str, artifact_root: Path):
        os.environ.setdefault("MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR", "false")
        from mlflow.tracking import MlflowClient

        for name in ("mlflow", "alembic"):  # after import: mlflow sets its own levels on import
            logging.getLogger(name).setLevel(logging.WARNING)

        self.uri = uri
        try:
            self.client = MlflowClient(tracking_uri=uri)
            found = self.client.get_experiment_by_name(experiment)
        except Exception as exc:
            raise ConfigError(f"cannot open MLflow tracking store '{uri}': {exc}. Check --tracking-uri.") from None
        if found is None:
            artifact_root.mkdir(parents=True, exist_ok=True)
            self.experiment_id = self.client.create_experiment(experiment, artifact_location=artifact_root.as_uri())
        else:
            self.experiment_id = found.experiment_id
        self.run_id: str | None = None

    def start(self, run_name: str, tags: dict[str, str], resume_run_id: str | None = None) -> str:
        if resume_run_id:
            self.client.update_run(resume_run_id, status="RUNNING")
            self.run_id = resume_run_id
        else:
            run = self.client.create_run(self.experiment_id, run_name=run_name, tags=tags)
            self.run_id = run.info.run_id
        return self.run_id

    def log_params(self, params: dict[str, Any]) -> None:
        from mlflow.entities import Param

        existing = self.client.get_run(self.run_id).data.params
        items = [Param(k, str(v)[:_MAX_PARAM_LEN]) for k, v in params.items() if k not in existing]
        for start in range(0, len(items), 100):
            self.client.log_batch(self.run_id, params=items[start : start + 100])

    def log_metrics(self, metrics: dict[str, float], step: int) -> None:
        from mlflow.entities import Metric

        now = int(time.time() * 1000)
        items = [Metric(_metric_key(k), float(v), now, step) for k, v in metrics.items() if _finite(v)]
        for start in range(0, len(items), 1000):
            self.client.log_batch(self.run_id, metrics=items[start : start + 1000])

    def set_tags(self, tags: dict[str, Any]) -> None:
        from mlflow.entities import RunTag

        self.client.log_batch(self.run_id, tags=[RunTag(k, str(v)) for k, v in tags.items()])

    def log_text(self, text: str, artifact_file: str) -> None:
        self.client.log_text(self.run_id, text, artifact_file)

    def log_artifact(self, path: Path, artifact_path: str | None = None) -> None:
        self.client.log_artifact(self.run_id, str(path), artifact_path)

    def end(self, status: str = "FINISHED") -> None:
        if self.run_id:
            self.client.set_terminated(self.run_id, status=status)


def _finite(value: Any) -> bool:
    try:
        return float(value) == float(value) and abs(float(value)) != float("inf")
    except (TypeError, ValueError):
        return False


def _metric_key(name: str) -> str:
    """MLflow keys allow / . - _ and spaces; keep ours readable (``val/margin_rmse``)."""
    return name.replace("=", "_")
