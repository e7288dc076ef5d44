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


def test_label_distribution_counts_classes_and_skips_targets_that_are_not_labels():
    import torch

    from scrimmage.data.datamodule import DataBundle, InputSpec, TensorSplit
    from scrimmage.reports.artifacts import label_distribution

    def bundle(y):
        split = TensorSplit({"x": torch.zeros(len(y), 2), "y": y})
        return DataBundle({"train": split, "test": split}, InputSpec(2, ("label",), class_names=("a", "b", "c")), {})

    assert label_distribution(bundle(torch.tensor([0, 2, 2, 1, 2]))) == {
        "train": {"a": 1, "b": 1, "c": 3, "total": 5}, "test": {"a": 1, "b": 1, "c": 3, "total": 5}}
    assert label_distribution(bundle(torch.tensor([[21.0, 17.0, 4.0], [10.0, 13.0, -3.0]]))) == {}  # scores
    spec = InputSpec(2, ("label",))
    assert label_distribution(DataBundle({"train": TensorSplit({"x": torch.zeros(2, 2), "y": torch.zeros(2)})}, spec, {})) == {}


def test_a_run_with_log_figures_off_logs_labels_and_size_but_no_pictures(tmp_path):
    from mlflow.tracking import MlflowClient

    from scrimmage.engine import run
    from tests.reports.conftest import binary_config

    result = run(binary_config("trainer.epochs=1", "tracking.log_figures=false"), workdir=tmp_path, progress=False)
    meta = json.loads((runs_dir(tmp_path) / result.run_id / "run.json").read_text())
    client = MlflowClient(tracking_uri=meta["tracking_uri"])
    assert [a.path for a in client.list_artifacts(meta["mlflow_run_id"], "figures")] == []
    assert [a.path for a in client.list_artifacts(meta["mlflow_run_id"], "report")] == []
    assert "model/parameters" in client.get_run(meta["mlflow_run_id"]).data.metrics
