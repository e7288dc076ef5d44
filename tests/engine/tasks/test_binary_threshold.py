"""Binary classification: PR-AUC, metrics at the threshold tuned on validation and at 0.5, and the threshold
travelling with the weights it was tuned for (best.ckpt, the test split, load_model, the predictions file)."""

from __future__ import annotations

import math

import pandas as pd
import pytest
import torch
from torch import Tensor, nn

import tests.models.asset_windows  # noqa: F401  (registers the synthetic-asset-windows dataset)
from scrimmage.config import load_config
from scrimmage.config.registry import TASKS
from scrimmage.data.datamodule import DataBundle, InputSpec, TensorSplit
from scrimmage.engine.tasks.base import Stateful
from scrimmage.errors import ConfigError
from scrimmage.metrics.classification import threshold_metrics

SPEC = InputSpec(1, ("label",), class_names=("no", "yes"))


class Logits(nn.Module):
    """The first feature is the logit: a model whose probabilities the test chooses."""

    def forward(self, batch: dict[str, Tensor]) -> Tensor:
        return batch["x"][:, :1]


def split(prob: list[float], truth: list[int]) -> TensorSplit:
    p = torch.tensor(prob, dtype=torch.float64)
    return TensorSplit({"x": torch.log(p / (1 - p)).float().unsqueeze(1), "y": torch.tensor(truth)})


VAL = split([0.9, 0.8, 0.7, 0.6, 0.3, 0.2], [1, 0, 1, 0, 0, 0])  # best F1 at 0.7 (4/5)
TEST = split([0.75, 0.65, 0.55, 0.4], [1, 1, 0, 0])


def task(**options):
    return TASKS.validate({"name": "classification", **options}).build(SPEC)


def test_the_validation_split_tunes_the_threshold_and_the_test_split_uses_it_unchanged():
    binary = task()
    val = binary.evaluate(Logits(), VAL, 4, "val").metrics
    assert val["val/threshold"] == pytest.approx(0.7, rel=1e-6)
    assert val["val/f1"] == pytest.approx(0.8) and val["val/precision"] == pytest.approx(2 / 3)
    assert val["val/recall"] == pytest.approx(1.0) and val["val/accuracy"] == pytest.approx(5 / 6)
    # at 0.5: 0.9 + , 0.8 -, 0.7 +, 0.6 - called positive -> precision 1/2, recall 1
    assert val["val/f1_at_0.5"] == pytest.approx(2 / 3) and val["val/accuracy_at_0.5"] == pytest.approx(4 / 6)
    assert val["val/pr_auc"] == pytest.approx(0.5 * 1 + 0.5 * 2 / 3)
    test = binary.evaluate(Logits(), TEST, 4, "test").metrics
    assert test["test/threshold"] == val["val/threshold"]
    # at 0.7 only 0.75 is called positive: precision 1, recall 1/2
    assert test["test/f1"] == pytest.approx(2 / 3) and test["test/recall"] == pytest.approx(0.5)
    assert test["test/f1_at_0.5"] == pytest.approx(0.8)  # 0.75, 0.65, 0.55 called positive
    assert binary.threshold == pytest.approx(0.7, rel=1e-6)


def test_every_binary_metric_name_is_reported_and_the_schema_expects_them():
    from scrimmage.config.registry import LOSSES

    binary = task()
    binary.setup_training(LOSSES.validate({"name": "focal", "alpha": 0.25}), VAL)
    metrics = binary.evaluate(Logits(), VAL, 4, "val").metrics
    assert sorted(metrics) == sorted(binary.metric_names("val"))
    assert TASKS.validate({"name": "classification", "mode": "binary"}).expected_metrics(None) == binary.metric_names("val")


def test_validation_without_a_positive_falls_back_to_one_half():
    binary = task()
    binary.evaluate(Logits(), VAL, 4, "val")
    metrics = binary.evaluate(Logits(), split([0.9, 0.2], [0, 0]), 4, "val").metrics
    assert metrics["val/threshold"] == 0.5 and math.isnan(metrics["val/pr_auc"])


def test_a_fixed_threshold_is_never_tuned():
    fixed = task(threshold=0.8)
    metrics = fixed.evaluate(Logits(), VAL, 4, "val").metrics
    assert metrics["val/threshold"] == pytest.approx(0.8)
    assert metrics["val/f1"] == pytest.approx(threshold_metrics([0.9, 0.8, 0.7, 0.6, 0.3, 0.2], [1, 0, 1, 0, 0, 0], 0.8)["f1"])


def test_the_threshold_is_the_binary_tasks_checkpointed_state():
    binary = task()
    assert isinstance(binary, Stateful)
    binary.evaluate(Logits(), VAL, 4, "val")
    restored = task()
    restored.load_state_dict(binary.state_dict())
    assert restored.threshold == binary.threshold
    assert restored.evaluate(Logits(), TEST, 4, "test").metrics == binary.evaluate(Logits(), TEST, 4, "test").metrics
    multiclass = TASKS.validate({"name": "classification"}).build(InputSpec(1, ("label",), class_names=("a", "b", "c")))
    assert multiclass.state_dict() == {}


def test_decisions_and_predictions_follow_the_threshold():
    binary = task()
    binary.evaluate(Logits(), VAL, 4, "val")
    columns = binary.decode(Logits()(TEST.take(slice(None))))
    assert list(columns["pred"]) == ["yes", "no", "no", "no"]


def test_the_binary_report_leads_with_pr_auc_roc_auc_f1_at_both_thresholds_and_the_threshold():
    binary = task()
    binary.evaluate(Logits(), VAL, 4, "val")
    evaluation = binary.evaluate(Logits(), TEST, 4, "test")
    data = DataBundle({"train": VAL, "val": VAL, "test": TEST}, SPEC)
    report = binary.report(data, "test", evaluation)
    headers = list(report.columns.values())
    assert headers[:5] == ["PR-AUC", "ROC-AUC", "F1", "F1 @0.5", "threshold"]
    assert report.rank_by == "pr_auc" and not report.lower_is_better
    assert report.rows["model"]["threshold"] == pytest.approx(0.7, rel=1e-6)
    assert "threshold" not in report.rows["majority"]
    assert report.extras["confusion_matrix"] == [[2, 0], [1, 1]]  # decided at the threshold, not at 0.5


@pytest.mark.parametrize("monitor", ["{metric: val/pr_auc, mode: max}", "{metric: val/f1, mode: max}",
                                     "{metric: val/f1_at_0.5, mode: max}", "{metric: val/threshold, mode: max}"])
def test_monitoring_the_new_metrics_validates_at_load_time(monitor):
    config = load_config(None, ["data.name=synthetic-asset-windows", "task.name=classification", f"monitor={monitor}",
                                "callbacks=[{name: early_stopping, patience: 5}]"])
    assert config.monitor.mode == "max"


def test_a_misspelt_binary_metric_is_a_config_error_with_a_suggestion():
    with pytest.raises(ConfigError, match="Did you mean 'val/pr_auc'"):
        load_config(None, ["data.name=synthetic-asset-windows", "task.name=classification", "monitor.metric=val/pr-auc"])


@pytest.mark.parametrize("threshold", ["0", "1", "best", "true"])
def test_a_bad_threshold_option_is_a_config_error(threshold):
    with pytest.raises(ConfigError, match="task.threshold"):
        load_config(None, ["data.name=synthetic-asset-windows", "task.name=classification", f"task.threshold={threshold}"])


def run_config(*overrides: str):
    return load_config(None, [
        "data.name=synthetic-asset-windows", "task.name=classification", "model={name: mlp, hidden: [16], dropout: 0.0}",
        "trainer.epochs=4", "trainer.batch_size=64", "trainer.threads=1", "tracking.enabled=false", "optim.lr=0.02",
        "callbacks=[]", *overrides,
    ])


@pytest.fixture(scope="module")
def restored_run(tmp_path_factory):
    """Best epoch 1 on purpose (the highest validation loss), so the restored weights are not the last ones."""
    from scrimmage.engine import run

    workdir = tmp_path_factory.mktemp("threshold")
    return run(run_config("monitor={metric: val/loss, mode: max}"), workdir=workdir, progress=False)


def test_the_test_split_is_scored_with_the_threshold_of_the_restored_checkpoint(restored_run):
    history = {int(m["epoch"]): m for m in restored_run_history(restored_run)}
    assert restored_run.best["epoch"] == 1 and restored_run.epochs_completed == 4
    best, last = history[1]["val/threshold"], history[4]["val/threshold"]
    assert best != last, "the test needs the two epochs' thresholds to differ"
    assert restored_run.test["threshold"] == best
    table = pd.read_csv(restored_run.predictions)
    decided = table["prob_yes"] >= best
    assert ((table["pred"] == "yes") == decided).all()
    assert restored_run.test["f1"] == pytest.approx(threshold_metrics(table["prob_yes"], table["label"] == "yes", best)["f1"],
                                                   abs=1e-6)


def test_load_model_and_predict_use_the_threshold_saved_with_the_weights(restored_run):
    from scrimmage.export.checkpoint import load_model

    loaded = load_model(restored_run.checkpoints["model"])
    assert loaded.task.threshold == restored_run.test["threshold"]


def test_without_restore_best_the_last_epochs_threshold_scores_the_test(tmp_path):
    from scrimmage.engine import run

    result = run(run_config("trainer.epochs=2", "checkpoint.restore_best=false"), workdir=tmp_path, progress=False)
    assert result.test["threshold"] == restored_run_history(result)[-1]["val/threshold"]


def restored_run_history(result) -> list[dict[str, float]]:
    """Every epoch's metrics, as last.ckpt keeps them."""
    return list(torch.load(result.checkpoints["last"], map_location="cpu", weights_only=False)["history"])
