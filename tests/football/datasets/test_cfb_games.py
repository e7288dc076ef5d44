"""The cfb-games dataset on the real CFBD 2024 sample (weeks, no truncation, rare-team bucket, neutral
site), a tiny end-to-end run with its report, and the misuse errors. Skipped without ../shared/data/cfb."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pandas as pd
import pytest
import torch

from scrimmage.config import load_config
from scrimmage.errors import ConfigError, DataError
from scrimmage.football.datasets.cfb_games import CfbGamesConfig
from scrimmage.football.datasets.games import UNKNOWN_TEAM

RECIPE = "recipes/cfb-hierarchical.yaml"
WEEKS = {"train": (1, 1), "val": (3, 3), "test": (2, 2)}


@pytest.fixture(scope="module")
def bundle(cfb_ingest):
    _, tables, workdir = cfb_ingest
    return load_config(RECIPE).data.build(workdir), tables


def test_splits_by_week_without_truncation(bundle):
    data, tables = bundle
    assert data.info["league"] == "cfb" and data.info["rules"] == "ncaa" and data.info["season"] == 2024
    assert data.spec.class_names == ("run", "pass", "punt", "field_goal", "kneel", "spike")
    games = tables["games"]
    for name, (first, last) in WEEKS.items():
        frame, t = data.frames[name], data.splits[name].tensors
        # every regular-season game of the split's weeks (the recipe keeps games without pregame history)
        expected = games[games["week"].between(first, last) & (games["season_type"] == "REG")]["game_id"]
        assert sorted(frame["game_id"]) == sorted(expected) and len(frame) == data.info["n_games"][name] > 0
        g, steps = t["mask"].shape
        assert t["x"].shape == (g, steps, data.spec.n_features) and t["cat"].shape == (g, steps, 2)
        lengths = t["mask"].sum(1)
        assert torch.equal(t["mask"], torch.arange(steps) < lengths.unsqueeze(1))  # padding only at the end
        assert int(lengths.max()) == steps and lengths.tolist() == frame["n_plays"].tolist()  # nothing truncated
        assert torch.isfinite(t["x"][t["mask"]]).all()
    assert data.info["n_games"] == {"train": 133, "val": 2, "test": 129}
    assert data.info["longest_game"]["plays"] == max(int(s.tensors["mask"].shape[1]) for s in data.splits.values())
    # the closing line stays in the frames for the report's closing-line row
    assert data.info["games_with_line"]["test"] == int(data.frames["test"]["spread_home"].notna().sum()) > 100


def test_neutral_site_and_division_flags_are_per_play_features(bundle):
    data, _ = bundle
    names = list(data.spec.feature_names)
    for name in ("neutral_site", "home_fbs", "home_fcs", "away_fbs", "away_fcs"):
        assert name in names
    col = names.index("neutral_site")
    neutral = 0
    for name, split in data.splits.items():
        t, frame = split.tensors, data.frames[name]
        per_game = frame["neutral_site"].to_numpy(np.float32)
        real = t["mask"]
        assert torch.equal(t["x"][..., col][real], torch.from_numpy(per_game)[:, None].expand_as(real)[real])
        neutral += int(frame["neutral_site"].sum())
    assert neutral == data.info["neutral_site_games"]["train"] + data.info["neutral_site_games"]["val"] + \
        data.info["neutral_site_games"]["test"] > 0


def test_rare_teams_share_the_unknown_id_so_no_test_game_reads_an_untrained_embedding(bundle):
    data, _ = bundle
    vocabulary = data.spec.vocabularies["team"]
    assert vocabulary[0] == UNKNOWN_TEAM and data.spec.categorical["team"] == (len(vocabulary), 2)
    train = data.frames["train"]
    counts = pd.concat([train["home_team"], train["away_team"]]).value_counts()
    assert set(vocabulary[1:]) == set(counts.index[counts >= 2])  # min_team_games: 2
    trained = set(data.splits["train"].tensors["cat"][data.splits["train"].tensors["mask"]].unique().tolist())
    for name in ("val", "test"):
        t = data.splits[name].tensors
        used = set(t["cat"][t["mask"]].unique().tolist())
        assert 0 in used and used <= trained  # only ids that training updated
    # a test team with too few training games reads the UNKNOWN id
    test = data.frames["test"]
    rare = next(team for team in test["home_team"] if counts.get(team, 0) < 2)
    row = int(np.flatnonzero(test["home_team"].to_numpy() == rare)[0])
    assert data.info["teams"]["unknown_play_share"]["test"] > 0
    ids = data.splits["test"].tensors["cat"][row][data.splits["test"].tensors["mask"][row]]
    assert (ids == 0).any(dim=1).all()  # on every snap the rare team is offense or defense


def test_a_week_range_selecting_nothing_names_the_weeks_held(cfb_ingest):
    _, _, workdir = cfb_ingest
    cfg = CfbGamesConfig(name="cfb-games", train_weeks=(1, 1), val_weeks=(3, 3), test_weeks=(7, 9), pregame_features=False)
    with pytest.raises(DataError) as err:
        cfg.build(workdir)
    message = str(err.value)
    assert "data.test_weeks [7, 9] selects no games of season 2024" in message
    assert "weeks 1 (133 games), 2 (129 games), 3 (2 games)" in message


def test_no_cfb_tables_names_the_command(tmp_path):
    cfg = CfbGamesConfig(name="cfb-games", train_weeks=(1, 1), val_weeks=(3, 3), test_weeks=(2, 2))
    with pytest.raises(DataError, match=r"no college tables in .*run `scrimmage --workdir .* data cfb --source"):
        cfg.build(tmp_path)
    with pytest.raises(ConfigError, match="data.source and data.games go together"):
        load_config(RECIPE, [f"data.source={tmp_path}"])
    with pytest.raises(ConfigError, match="overlaps"):
        load_config(RECIPE, ["data.val_weeks=[1,2]"])


def test_tiny_training_run_reports_the_test_rows(cfb_ingest, tmp_path):
    from scrimmage.engine import run

    _, _, workdir = cfb_ingest
    shutil.copytree(workdir / "data", tmp_path / "data")
    phases = ('callbacks=[{"name": "phases", "phases": ['
              '{"name": "plays", "steps": 2, "loss_weights": {"play": 1.0, "drive": 0.0, "game": 0.0, "state": 0.0}},'
              '{"name": "games", "steps": 2, "loss_weights": {"game": 2.0}}]}]')
    config = load_config(RECIPE, [phases, "trainer.epochs=1", "trainer.batch_size=32", "tracking.enabled=false",
                                  "model.hidden=[8,8]", "model.play_head=[8]", "model.drive_head=[8]",
                                  "model.game_head=[8]", "data.pregame_features=true"])  # the pregame path too
    result = run(config, workdir=tmp_path, progress=False)
    out = json.loads(json.dumps(result.to_dict(), default=str))
    test = out["test"]
    assert test["n_games"] == 129 and out["data"]["rules"] == "ncaa"
    assert "elo_margin" in out["data"]["feature_columns"]  # pregame features computed from the college games
    for key in ("margin_rmse", "game_rmse_combined"):
        assert np.isfinite(test["pregame"][key])
    for key in ("play_type_accuracy", "drive_outcome_accuracy", "state_consistency_rate"):
        assert 0.0 <= test[key] <= 1.0, key
    baselines = out["baselines"]
    assert {"home_field", "elo", "closing_line"} <= set(baselines)
    assert baselines["closing_line"]["n_games"] == out["data"]["games_with_line"]["test"]
    majority = out["data"]["play_type_majority"]
    assert majority["class"] in ("run", "pass") and 0.3 < majority["accuracy"]["test"] < 0.7
    assert len(pd.read_csv(result.predictions)) == 129
