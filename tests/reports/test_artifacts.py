"""Every tracked run logs its label distribution per split, its parameter count and its report's figures to MLflow."""

from __future__ import annotations

import json

from scrimmage.paths import runs_dir


def test_tracked_run_logs_labels_parameters_and_figures(runs):
    from mlflow.tracking import MlflowClient

    meta = json.loads((runs_dir(runs.workdir) / runs.binary / "run.json").read_text())
    client = MlflowClient(tracking_uri=meta["tracking_uri"])
    run_id = meta["mlflow_run_id"]

    def listing(path: str) -> list[str]:
        return sorted(a.path for a in client.list_artifacts(run_id, path))

    assert listing("figures") == ["figures/01_learning_curves.png", "figures/02_roc_pr.png",
                                  "figures/03_confusion_matrix.png", "figures/04_calibration_reliability.png"]
    assert listing("report") == ["report/run.html"]
    folder = client.download_artifacts(run_id, "data")
    with open(f"{folder}/label_distribution.json") as handle:
        labels = json.load(handle)
    assert set(labels) == {"train", "val", "test"}
    for counts in labels.values():
        assert counts["no"] + counts["yes"] == counts["total"] and 0 < counts["yes"] < counts["no"]
    assert labels["test"]["total"] == 300
    metrics = client.get_run(run_id).data.metrics
    assert metrics["model/parameters"] == 4 * 16 + 16 + 16 * 1 + 1  # one hidden layer of 16, one logit
    assert abs(metrics["labels/test/yes"] - labels["test"]["yes"] / 300) < 1e-9
