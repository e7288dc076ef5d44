"""Team scale: the same run tracked in MLflow on PostgreSQL (skips when no server is reachable)."""

from __future__ import annotations

import uuid

import pytest

from scrimmage.engine import run

psycopg = pytest.importorskip("psycopg")
SERVER = "postgresql://postgres@127.0.0.1:5432"


@pytest.fixture
def postgres_database():
    try:
        admin = psycopg.connect(f"{SERVER}/postgres", connect_timeout=3, autocommit=True)
    except psycopg.OperationalError as exc:
        pytest.skip(f"PostgreSQL not reachable at {SERVER}: {exc}")
    name = f"scrimmage_mlflow_{uuid.uuid4().hex[:8]}"
    with admin.cursor() as cur:
        cur.execute(f"CREATE DATABASE {name}")
    try:
        yield f"{SERVER}/{name}"
    finally:
        with admin.cursor() as cur:
            cur.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        admin.close()


def test_run_tracks_to_postgresql(tmp_path, synthetic_config, postgres_database):
    from mlflow.tracking import MlflowClient

    result = run(synthetic_config("tracking.enabled=true", "trainer.epochs=2"), workdir=tmp_path,
                 tracking_uri=postgres_database, progress=False)
    mlrun = MlflowClient(tracking_uri=postgres_database).get_run(result.mlflow_run_id)
    assert mlrun.info.status == "FINISHED"
    assert mlrun.data.params["trainer.epochs"] == "2"
    assert "test/a_rmse" in mlrun.data.metrics
    assert not (tmp_path / "mlflow.db").exists(), "nothing tracked in the embedded store"
