"""Sequence models through the one training path: per-step regression and pooled classification learn."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import scrimmage
import tests.models.sequences  # noqa: F401  (registers the synthetic-sequences dataset)
from scrimmage.config import load_config
from scrimmage.engine import run
from tests.models.sequences import make_split

COMMON = ["trainer.batch_size=32", "tracking.enabled=false", "optim.lr=0.01", "trainer.epochs=5"]


@pytest.mark.parametrize("model", [
    "{name: lstm, hidden: [32], dropout: 0.0, embedding_dim: 4}",
    "{name: transformer, d_model: 32, heads: 4, layers: 1, ff_width: 64, dropout: 0.0, max_len: 20, embedding_dim: 4}",
], ids=["lstm", "transformer"])
def test_per_step_regression_learns_on_real_steps(tmp_path, model):
    config = load_config(None, ["data={name: synthetic-sequences, problem: per_step_regression}", f"model={model}",
                                "monitor.metric=val/loss", *COMMON])
    result = run(config, workdir=tmp_path, progress=False)  # NaN padding anywhere in the loss would diverge
    test = make_split(128, 3, "per_step_regression")
    real_steps = int(test.tensors["mask"].sum())
    baseline = result.baselines["train_mean"]
    assert result.test["n"] == baseline["n"] == real_steps
    for target in ("a", "b"):
        assert result.test[f"{target}_rmse"] < 0.6 * baseline[f"{target}_rmse"], target
    table = pd.read_csv(result.predictions)
    assert list(table.columns) == ["a", "b", "a_pred", "b_pred"] and len(table) == real_steps
    assert table.notna().all().all()

    loaded = scrimmage.load_model(result.run_id, workdir=tmp_path)  # rebuilt from the checkpoint alone
    columns = loaded.predict_tensors(test.tensors)  # one row per step, padded steps included
    keep = test.tensors["mask"].reshape(-1).numpy()
    assert len(columns["a_pred"]) == keep.size
    np.testing.assert_allclose(columns["a_pred"][keep], table["a_pred"], rtol=1e-4, atol=1e-4)


def test_pooled_classification_beats_the_majority(tmp_path):
    config = load_config(None, [
        "data={name: synthetic-sequences, problem: pooled_classes}", "task.name=classification",
        "model={name: gru, hidden: [32], dropout: 0.0, output: attention, embedding_dim: 4}",
        "monitor.metric=val/log_loss", *COMMON,
    ])
    result = run(config, workdir=tmp_path, progress=False)
    majority = result.baselines["majority"]
    assert result.test["n"] == 128
    assert result.test["log_loss"] < majority["log_loss"] - 0.2
    assert result.test["accuracy"] > majority["accuracy"] + 0.25
