"""The classification task on synthetic data: binary, multi-class and multi-label on one loop."""

from __future__ import annotations

from typing import Literal

import pytest
import torch
from pydantic import Field

from scrimmage.config import load_config
from scrimmage.config.registry import DATASETS, Component
from scrimmage.data.datamodule import DataBundle, InputSpec, TensorSplit
from scrimmage.engine import run

CLASSES = ("a", "b", "c")


def _split(n: int, seed: int, mode: str) -> TensorSplit:
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(n, 4, generator=g)
    score = torch.stack([x[:, 0] * 2, x[:, 1] * 2, -x[:, 0] - x[:, 1]], dim=1) + 0.5 * torch.randn(n, 3, generator=g)
    if mode == "multiclass":
        y = score.argmax(1)
    elif mode == "binary":
        y = (score[:, 0] > 0.8).long()  # imbalanced: about a quarter positive
    else:
        y = (score > 0).float()
    return TensorSplit({"x": x, "y": y})


class SyntheticClasses(Component):
    """Synthetic classification data (tests only)."""

    name: Literal["synthetic-classes"] = "synthetic-classes"
    mode: Literal["binary", "multiclass", "multilabel"] = Field("multiclass", description="Which kind of labels to make.")

    def build(self, workdir) -> DataBundle:
        splits = {name: _split(n, seed, self.mode) for name, n, seed in (("train", 800, 1), ("val", 300, 2), ("test", 300, 3))}
        classes = ("no", "yes") if self.mode == "binary" else CLASSES
        targets = CLASSES if self.mode == "multilabel" else ("label",)
        return DataBundle(splits, InputSpec(4, targets, class_names=classes), {"dataset_version": "synthetic-classes-v1"})


DATASETS.register(SyntheticClasses)


def config(mode: str, *overrides: str):
    return load_config(None, [
        f"data={{name: synthetic-classes, mode: {mode}}}", "task.name=classification", "trainer.epochs=8",
        "trainer.batch_size=32", "model.hidden=[32]", "model.dropout=0.0", "tracking.enabled=false",
        "optim.lr=0.01", "monitor.metric=val/log_loss", *overrides,
    ])


@pytest.mark.parametrize("mode", ["binary", "multiclass", "multilabel"])
def test_each_mode_learns_and_beats_the_prior(tmp_path, mode):
    result = run(config(mode), workdir=tmp_path, progress=False)
    test = result.test
    assert test["accuracy"] > 0.8
    for key in ("accuracy", "log_loss", "macro_f1", "auroc", "ece"):
        assert key in test and test[key] == test[key], key
    if mode != "multilabel":
        assert test["log_loss"] < result.baselines["majority"]["log_loss"]
        matrix = result.report["extras"]["confusion_matrix"]
        assert sum(map(sum, matrix)) == 300
    if mode == "binary":
        assert {"f1", "precision", "recall"} <= set(test)


def test_balanced_class_weights_raise_minority_recall(tmp_path):
    plain = run(config("binary", "trainer.epochs=3"), workdir=tmp_path / "a", progress=False)
    weighted = run(config("binary", "trainer.epochs=3", "task.class_weights=balanced"), workdir=tmp_path / "b", progress=False)
    assert weighted.test["recall"] >= plain.test["recall"]


def test_focal_loss_and_label_smoothing_train(tmp_path):
    focal = run(config("multiclass", "loss={name: focal, gamma: 2.0}"), workdir=tmp_path / "f", progress=False)
    smooth = run(config("multiclass", "loss={name: cross_entropy, label_smoothing: 0.1}"), workdir=tmp_path / "s", progress=False)
    assert focal.test["accuracy"] > 0.8 and smooth.test["accuracy"] > 0.8


def test_a_regression_loss_on_a_classification_task_is_a_clear_error(tmp_path):
    from scrimmage.errors import ConfigError

    with pytest.raises(ConfigError, match="is a regression loss but task classification needs a classification loss"):
        config("multiclass", "loss.name=mse")


def test_predictions_file_has_labels_and_probabilities(tmp_path):
    import pandas as pd

    result = run(config("multiclass", "trainer.epochs=2"), workdir=tmp_path, progress=False)
    table = pd.read_csv(result.predictions)
    assert list(table.columns) == ["label", "pred", "prob_a", "prob_b", "prob_c"]
    assert len(table) == 300
    assert (table[["prob_a", "prob_b", "prob_c"]].sum(axis=1) - 1).abs().max() < 1e-4


def test_report_rows_rank_by_their_own_metric():
    from scrimmage.engine.tasks.base import Report

    report = Report("t", {"model": {"log_loss": 0.5}, "majority": {"log_loss": 1.0}, "broken": {"log_loss": float("nan")}},
                    {"log_loss": "log loss"}, rank_by="log_loss")
    assert [name for name, _ in report.ranked()] == ["model", "majority", "broken"]
    report.lower_is_better = False
    assert [name for name, _ in report.ranked()] == ["majority", "model", "broken"]
