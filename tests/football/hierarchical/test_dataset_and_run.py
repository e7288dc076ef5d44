"""The nfl-games dataset (shapes, mask, no truncation) and a short end-to-end run with phase switching."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from scrimmage.config import load_config
from scrimmage.engine.events import Callback
from scrimmage.football.datasets.nfl_playcall import PlaycallDataConfig
from scrimmage.football.datasets.playcall import playcall_examples
from scrimmage.football.datasets.targets import DRIVE_OUTCOMES, GAME_STATS, PLAY_FLAGS

RECIPE = "recipes/nfl-hierarchical.yaml"
SEASONS = ["data.train_seasons=[2016,2016]", "data.val_seasons=[2017,2017]", "data.test_seasons=[2018,2018]"]


@pytest.fixture(scope="module")
def bundle(full_ingest):
    _, _, workdir = full_ingest
    return load_config(RECIPE, SEASONS).data.build(workdir), full_ingest


def test_dataset_shapes_mask_and_no_truncation(bundle):
    data, (_, tables, _) = bundle
    snaps, *_ = playcall_examples(tables["plays"], tables["games"], PlaycallDataConfig(name="nfl-playcall"))
    for name, split in data.splits.items():
        t = split.tensors
        g, steps = t["mask"].shape
        frame = data.frames[name]
        assert g == len(frame) and t["x"].shape == (g, steps, data.spec.n_features)
        assert t["cat"].shape == (g, steps, 3) and t["play_flags"].shape == (g, steps, len(PLAY_FLAGS))
        assert t["game_points"].shape == (g, 2) and t["game_stats"].shape == (g, len(GAME_STATS))
        lengths = t["mask"].sum(1)
        # padding only at the end, and the split is as long as its longest game: nothing truncated
        assert torch.equal(t["mask"], torch.arange(steps) < lengths.unsqueeze(1))
        assert int(lengths.max()) == steps
        per_game = snaps[snaps["game_id"].isin(set(frame["game_id"]))].groupby("game_id").size()
        assert lengths.tolist() == per_game.reindex(frame["game_id"]).tolist() == frame["n_plays"].tolist()
        real = t["mask"]
        assert torch.isfinite(t["x"][real]).all()
        assert int(t["drive_outcome"][real].max()) < len(DRIVE_OUTCOMES)
        assert (t["play_type"][real] < len(data.spec.class_names)).all()
        # the first play of every game starts 0-0 and the final score is never below the score before a play
        assert (t["score_before"][:, 0] == 0).all(-1).float().mean() > 0.98  # a few games miss their opening plays
        assert (t["score_before"] <= t["game_points"].unsqueeze(1) + 1e-6)[real].float().mean() > 0.99
    assert data.info["longest_game"]["plays"] == max(int(s.tensors["mask"].shape[1]) for s in data.splits.values())
    assert data.spec.class_names == ("run", "pass", "punt", "field_goal", "kneel", "spike")
    assert data.info["feature_columns"][:4] == ["down_1", "down_2", "down_3", "down_4"]
    assert "elo_margin" in data.info["feature_columns"]
    assert np.isin(data.frames["test"]["season"], [2018]).all()


class _Levels(Callback):
    name = "levels_recorder"

    def __init__(self):
        self.seen: list[dict[str, float]] = []

    def on_optimizer_step(self, state, ctx):
        self.seen.append(dict(state.task.loss.levels))


def test_one_short_run_reports_the_keys_and_switches_level_weights(full_ingest, tmp_path):
    from scrimmage.engine import run

    _, _, workdir = full_ingest
    phases = ('callbacks=[{"name": "phases", "phases": ['
              '{"name": "plays", "steps": 3, "loss_weights": {"play": 1.0, "drive": 0.0, "game": 0.0, "state": 0.0}},'
              '{"name": "games", "steps": 3, "loss_weights": {"game": 2.0}}]}]')
    config = load_config(RECIPE, [*SEASONS, phases, "trainer.epochs=1", "tracking.enabled=false",
                                  "model.hidden=[16,8]", "model.play_head=[16]", "reports=[{name: hierarchical-baselines}]"])
    recorder = _Levels()
    # the data is the session's ingest; runs go to tmp_path
    import shutil

    shutil.copytree(workdir / "data", tmp_path / "data")
    result = run(config, workdir=tmp_path, progress=False, callbacks=[recorder])
    assert recorder.seen[0] == {"play": 1.0, "drive": 0.0, "game": 0.0, "state": 0.0}
    assert recorder.seen[-1] == {"play": 1.0, "drive": 1.0, "game": 2.0, "state": 0.1}  # unnamed levels: the recipe's
    assert len(recorder.seen) == 6
    out = json.loads(json.dumps(result.to_dict(), default=str))
    test = out["test"]
    for key in ("margin_rmse", "game_rmse_combined", "home_rmse", "away_rmse"):
        assert np.isfinite(test["pregame"][key])
    for key in ("brier", "play_type_accuracy", "drive_outcome_accuracy", "live_wp_calibration_error", "state_consistency_rate"):
        assert 0.0 <= test[key] <= 1.0, key
    assert {"home_field", "elo"} <= set(out["baselines"])
    assert out["baselines"]["elo"]["n_games"] == test["n_games"]  # the baselines are scored on the same games
    import pandas as pd

    predictions = pd.read_csv(result.predictions)  # one row per test game: its ids and pregame predictions
    assert len(predictions) == test["n_games"] and {"game_id", "pregame_margin_pred", "pregame_home_win_prob"} <= set(predictions)
