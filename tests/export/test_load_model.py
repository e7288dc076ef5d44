"""A model rebuilt from its checkpoint alone predicts exactly what the run predicted."""

from __future__ import annotations

import pandas as pd
import pytest
import torch

import scrimmage
from scrimmage.engine import run
from scrimmage.errors import CheckpointError


def test_load_model_rebuilds_from_the_file_alone(tmp_path, synthetic_config):
    result = run(synthetic_config("trainer.epochs=2"), workdir=tmp_path, progress=False)
    loaded = scrimmage.load_model(result.run_id, workdir=tmp_path)
    assert loaded.config.data.name == "synthetic-regression" and loaded.task.name == "regression"
    assert loaded.spec.feature_names == tuple(f"f{i}" for i in range(6))
    test = loaded.config.data.build(tmp_path).splits["test"]
    predicted = loaded.predict_tensors(test.tensors)
    saved = pd.read_csv(result.predictions)
    for target in ("a", "b"):
        torch.testing.assert_close(torch.tensor(predicted[f"{target}_pred"]), torch.tensor(saved[f"{target}_pred"].to_numpy(),
                                   dtype=torch.float32), rtol=1e-4, atol=1e-4)


def test_damaged_or_foreign_files_are_clear_errors(tmp_path):
    bad = tmp_path / "bad.ckpt"
    bad.write_bytes(b"not a checkpoint")
    with pytest.raises(CheckpointError, match="cannot read checkpoint"):
        scrimmage.load_model(bad)
    other = tmp_path / "other.ckpt"
    torch.save({"weights": 1}, other)
    with pytest.raises(CheckpointError, match="not a scrimmage checkpoint"):
        scrimmage.load_model(other)
    with pytest.raises(CheckpointError, match="no run 'nope'"):
        scrimmage.load_model("nope", workdir=tmp_path)


def test_weights_of_another_version_name_the_keys_that_differ(tmp_path, synthetic_config):
    result = run(synthetic_config("trainer.epochs=1"), workdir=tmp_path, progress=False)
    state = torch.load(result.checkpoints["last"], map_location="cpu", weights_only=False)
    dropped = next(iter(state["model"]))
    del state["model"][dropped]
    state["model"]["from_a_newer_version"] = torch.zeros(1)
    older = tmp_path / "older.ckpt"
    torch.save(state, older)
    with pytest.raises(CheckpointError, match=rf"missing \['{dropped}'\]; unexpected \['from_a_newer_version'\]\).*retrain"):
        scrimmage.load_model(older)
