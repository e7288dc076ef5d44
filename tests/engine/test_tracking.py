"""MLflow run contents: params, per-epoch metrics, final metrics, artifacts, tags and the run name."""

from __future__ import annotations

import re

from mlflow.tracking import MlflowClient

from scrimmage.engine import run


def test_mlflow_run_holds_config_metrics_artifacts_and_tags(tmp_path, synthetic_config):
    config = synthetic_config("tracking.enabled=true", "tracking.experiment=demo", "tracking.variant=v1",
                              "trainer.epochs=3", "callbacks=[]")
    result = run(config, workdir=tmp_path, recipe="recipes/x.yaml", progress=False)

    client = MlflowClient(tracking_uri=f"sqlite:///{tmp_path / 'mlflow.db'}")
    mlrun = client.get_run(result.mlflow_run_id)
    assert mlrun.info.status == "FINISHED"
    assert re.fullmatch(r"demo_mlp_v1_\d{8}_\d{6}", mlrun.info.run_name)
    assert mlrun.info.run_name == result.run_id

    params = mlrun.data.params
    assert params["optim.lr"] == str(config.optim.lr)
    assert params["trainer.epochs"] == "3"
    assert params["model.hidden"] == "[16]"

    history = client.get_metric_history(result.mlflow_run_id, "val/loss")
    assert [m.step for m in history] == [1, 2, 3], "MLflow steps are the 1-based epochs users see"
    metrics = mlrun.data.metrics
    for key in ("train/loss", "val/a_rmse", "val/b_mae", "best/val_loss", "test/b_rmse", "train/samples_per_s"):
        assert key in metrics, key

    tags = mlrun.data.tags
    assert tags["recipe"] == "recipes/x.yaml"
    assert tags["model_type"] == "mlp"
    assert tags["dataset_version"] == "synthetic-v1"
    assert tags["experiment_type"] == "train"
    assert tags["env.torch"] and tags["env.python"] and tags["env.scrimmage"]
    assert tags["checkpoint.last"].endswith("last.ckpt")

    artifacts = {a.path for a in client.list_artifacts(result.mlflow_run_id)}
    assert {"result.json", "environment.json"} <= artifacts
    config_artifacts = {a.path for a in client.list_artifacts(result.mlflow_run_id, "config")}
    assert "config/resolved.yaml" in config_artifacts
    assert (tmp_path / "mlartifacts").is_dir(), "artifacts stay inside the workdir"


def test_resumed_run_continues_the_same_mlflow_run(tmp_path, synthetic_config):
    first = run(synthetic_config("tracking.enabled=true", "trainer.epochs=2"), workdir=tmp_path, progress=False)
    again = run(synthetic_config("tracking.enabled=true", "trainer.epochs=3"), workdir=tmp_path,
                resume=first.run_id, progress=False)
    assert again.mlflow_run_id == first.mlflow_run_id
    client = MlflowClient(tracking_uri=f"sqlite:///{tmp_path / 'mlflow.db'}")
    steps = sorted({m.step for m in client.get_metric_history(first.mlflow_run_id, "val/loss")})
    assert steps == [1, 2, 3]
