"""Team scale: the same run tracked in MLflow on PostgreSQL (skips when no server is reachable)."""

from __future__ import annotations

import pytest

from scrimmage.engine import run
from tests.conftest import scratch_postgres_database


@pytest.fixture
def postgres_database():
    with scratch_postgres_database("scrimmage_mlflow") as url:
        yield url


def test_run_tracks_to_postgresql(tmp_path, synthetic_config, postgres_database):
    from mlflow.tracking import MlflowClient

    result = run(synthetic_config("tracking.enabled=true", "trainer.epochs=2"), workdir=tmp_path,
                 tracking_uri=postgres_database, progress=False)
    mlrun = MlflowClient(tracking_uri=postgres_database).get_run(result.mlflow_run_id)
    assert mlrun.info.status == "FINISHED"
    assert mlrun.data.params["trainer.epochs"] == "2"
    assert "test/a_rmse" in mlrun.data.metrics
    assert not (tmp_path / "mlflow.db").exists(), "nothing tracked in the embedded store"
