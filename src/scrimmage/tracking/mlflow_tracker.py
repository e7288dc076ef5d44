"""MLflow tracking: embedded ``sqlite:///<workdir>/mlflow.db`` by default, a server via ``--tracking-uri``.

Metrics go out with one ``log_batch`` call per epoch (not one call per value); the resolved
config is logged flattened as params and as a YAML artifact.
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import os
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from scrimmage.envvars import temporary_environ
from scrimmage.errors import StoreError

CONNECT_TIMEOUT_S = 5

_MAX_PARAM_LEN = 6000


def default_tracking_uri(workdir: Path) -> str:
    return f"sqlite:///{workdir / 'mlflow.db'}"


class MlflowTracker:
    """A thin, batching wrapper over ``MlflowClient`` for one run.

    Opening it checks the store before any run exists: an SQLite file whose folder is missing is
    refused (MLflow would create it somewhere the user did not mean), an unreachable server fails
    within seconds with the URI in the message (MLflow's default retries take minutes), a
    soft-deleted experiment says how to restore it, and a fresh SQLite store is created under a
    file lock so that several first runs in one workdir do not race on the schema.
    """

    def __init__(self, uri: str, experiment: str, artifact_root: Path):
        os.environ.setdefault("MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR", "false")
        from mlflow.tracking import MlflowClient

        for name in ("mlflow", "alembic"):  # after import: mlflow sets its own levels on import
            logging.getLogger(name).setLevel(logging.WARNING)

        self.uri = _checked_uri(uri)
        self.run_id: str | None = None
        _probe_database(self.uri)
        with _store_lock(self.uri), _fail_fast():
            try:
                self.client = MlflowClient(tracking_uri=self.uri)
                found = self.client.get_experiment_by_name(experiment)
            except Exception as exc:
                raise StoreError(
                    f"cannot open the MLflow tracking store {self.uri}: {_first_line(exc)}. "
                    "Check --tracking-uri / tracking.uri (is the server up, the database reachable?)."
                ) from None
            if found is not None and found.lifecycle_stage == "deleted":
                raise StoreError(
                    f"MLflow experiment '{experiment}' was deleted in {self.uri}; restore it "
                    f"(mlflow experiments restore --experiment-id {found.experiment_id}) or set tracking.experiment "
                    "to another name."
                )
            if found is None:
                found = self._create_experiment(experiment, artifact_root)
            self.experiment_id = found.experiment_id

    def _create_experiment(self, experiment: str, artifact_root: Path) -> Any:
        from mlflow.exceptions import MlflowException

        artifact_root.mkdir(parents=True, exist_ok=True)
        try:
            self.client.create_experiment(experiment, artifact_location=artifact_root.as_uri())
        except MlflowException:  # created by a concurrent run on another machine meanwhile
            pass
        found = self.client.get_experiment_by_name(experiment)
        if found is None:
            raise StoreError(f"cannot create MLflow experiment '{experiment}' in {self.uri}.")
        return found

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

    def end(self, status: str = "FINISHED", error: str | None = None) -> None:
        if self.run_id:
            if error:
                self.client.set_tag(self.run_id, "error", error[:5000])
            self.client.set_terminated(self.run_id, status=status)


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__


def _checked_uri(uri: str) -> str:
    """Refuse an SQLite URI whose folder is missing; give PostgreSQL a connect timeout."""
    if uri.startswith("sqlite:///"):
        path = Path(uri.removeprefix("sqlite:///"))
        if not path.parent.is_dir():
            raise StoreError(f"tracking URI {uri}: folder {path.parent} does not exist; create it or pass another URI.")
        if path.exists() and not path.is_file():
            raise StoreError(f"tracking URI {uri}: {path} is not a file; pass the path of an SQLite database file.")
    elif uri.startswith(("postgresql://", "postgresql+psycopg://", "postgresql+psycopg2://")) and "connect_timeout" not in uri:
        uri += ("&" if "?" in uri else "?") + f"connect_timeout={CONNECT_TIMEOUT_S}"
    elif "://" not in uri and not uri.startswith(("file:", "databricks")):
        folder = Path(uri)
        if not folder.parent.is_dir():
            raise StoreError(f"tracking URI {uri}: folder {folder.parent} does not exist; create it or pass another URI.")
    return uri


def _probe_database(uri: str) -> None:
    """Connect once with a short timeout: MLflow retries a database for minutes before giving up."""
    if not uri.startswith(("postgresql", "mysql", "mssql")):
        return
    import sqlalchemy

    try:
        engine = sqlalchemy.create_engine(uri.replace("postgresql://", "postgresql+psycopg://", 1)
                                          if uri.startswith("postgresql://") else uri)
        with engine.connect():
            pass
        engine.dispose()
    except Exception as exc:
        raise StoreError(f"cannot reach the MLflow tracking database {uri}: {_first_line(exc)}. "
                         "Check --tracking-uri / tracking.uri (host, port, database, credentials).") from None


@contextlib.contextmanager
def _store_lock(uri: str) -> Iterator[None]:
    """An exclusive file lock beside an SQLite store while it is opened (schema creation is not concurrent-safe)."""
    if not uri.startswith("sqlite:///"):
        yield
        return
    lock_path = Path(uri.removeprefix("sqlite:///") + ".lock")
    with open(lock_path, "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


@contextlib.contextmanager
def _fail_fast() -> Iterator[None]:
    """While probing the store: no HTTP retries and a short timeout (restored afterwards for the run)."""
    with temporary_environ({"MLFLOW_HTTP_REQUEST_MAX_RETRIES": "0", "MLFLOW_HTTP_REQUEST_TIMEOUT": str(CONNECT_TIMEOUT_S)}):
        yield


def _finite(value: Any) -> bool:
    try:
        return float(value) == float(value) and abs(float(value)) != float("inf")
    except (TypeError, ValueError):
        return False


def _metric_key(name: str) -> str:
    """MLflow keys allow / . - _ and spaces; keep ours readable (``val/margin_rmse``)."""
    return name.replace("=", "_")
