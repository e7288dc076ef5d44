"""The nfl-playcall dataset and report on the real data: classes, exclusions, no post-snap inputs,
the situation baseline fitted on train only, and the recipe end to end through the CLI."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch

from scrimmage.config import load_config
from scrimmage.engine.reports import ReportContext
from scrimmage.engine.tasks.base import Evaluation
from scrimmage.engine.tasks.classification import ClassificationTask
from scrimmage.football.datasets.nfl_playcall import PlaycallDataConfig
from scrimmage.football.datasets.playcall import (
    PRE_SNAP_COLUMNS,
    build_nfl_playcall,
    nullified_calls,
    play_labels,
    playcall_examples,
    situation_cells,
    snap_features,
)
from scrimmage.football.reports.playcall import SituationBaseline, fit_situation_baseline, playcall_report

ROOT = Path(__file__).resolve().parents[3]
RECIPE = ROOT / "recipes" / "nfl-playcall.yaml"
SCRIMMAGE = str(Path(sys.executable).with_name("scrimmage"))
GAME_COLUMNS = ["game_id", "season", "week", "season_type", "home_team"]
POST_SNAP_COLUMNS = ["yards_gained", "first_down", "touchdown", "turnover", "penalty", "desc", "home_points",
                     "away_points", "play_type", "drive_id"]


@pytest.fixture(scope="module")
def recipe_data() -> PlaycallDataConfig:
    return load_config(RECIPE).data


@pytest.fixture(scope="module")
def examples(full_ingest, recipe_data):
    _, tables, _ = full_ingest
    return playcall_examples(tables["plays"], tables["games"], recipe_data)


@pytest.fixture(scope="module")
def season_plays(full_ingest) -> pd.DataFrame:
    """One season's regular-season and playoff plays joined with their games' season, type and home team."""
    _, tables, _ = full_ingest
    plays = tables["plays"].merge(tables["games"][GAME_COLUMNS], on="game_id")
    return plays[(plays["season"] == 2015) & (plays["season_type"] != "PRE")].reset_index(drop=True)


def test_classes_and_exclusions(full_ingest, examples):
    _, tables, _ = full_ingest
    frame, _, classes, teams, excluded = examples
    assert classes == ["run", "pass", "punt", "field_goal", "kneel", "spike"]
    assert len(teams) == 32 and frame["y"].between(0, len(classes) - 1).all()
    assert (np.asarray(classes, dtype=object)[frame["y"]] == frame["label"]).all()
    # not snaps from scrimmage, or not a call: never examples
    assert not frame["play_type"].isin(["kickoff", "extra_point", "two_point", "other"]).any()
    assert frame["down"].between(1, 4).all() and frame["season_type"].isin(["REG", "POST"]).all()
    for reason in ("kickoff", "extra_point", "two_point", "other", "no_play without a call (pre-snap foul)",
                   "season type not in data.season_types"):
        assert excluded[reason] > 0, reason
    assert sum(excluded.values()) + len(frame) == len(tables["plays"])
    # sacks and scrambles are pass calls; kneels, spikes, punts and field goals keep their type
    by_type = frame.groupby("play_type")["label"].agg(lambda s: set(s))
    assert by_type["sack"] == {"pass"} and by_type["pass"] == {"pass"}
    assert by_type["run"] == {"run", "pass"}
    runs = frame[frame["play_type"] == "run"]
    assert (runs["label"] == "pass").equals(runs["desc"].str.contains("scrambles", regex=False))
    for kind in ("kneel", "spike", "punt", "field_goal"):
        assert by_type[kind] == {kind}
    # nullified snaps that show a call are kept with it; no pre-snap foul is
    nullified = frame[frame["play_type"] == "no_play"]
    assert len(nullified) > 15_000 and set(nullified["label"]) <= set(classes)
    assert not nullified["desc"].str.contains(r"^\(\d+:\d+\) (?:\([^)]*\) )?PENALTY", regex=True).any()


def test_nullified_calls_read_the_play_before_the_penalty():
    desc = pd.Series([
        "(10:30) (Shotgun) T.Savage pass incomplete deep right to U.Nwachukwu. PENALTY on NO-K.Phillips, "
        "Defensive Pass Interference, 29 yards, enforced at NO 35 - No Play.",
        "(9:50) PENALTY on SF-M.Martin, False Start, 5 yards, enforced at SF 18 - No Play.",
        "(6:40) (Punt formation) PENALTY on NO-J.Kyle, False Start, 5 yards, enforced at NO 41 - No Play.",
        "(2:54) (Shotgun) J.Clausen scrambles up the middle to SEA 2 for 8 yards (T.Parks). PENALTY on CHI, "
        "Offensive Holding, 10 yards, enforced at SEA 10 - No Play.",
        "(3:10) M.Forte left tackle to CHI 40 for 4 yards. PENALTY on CHI-O.Kreutz, Offensive Holding - No Play.",
        "(13:04) (Punt formation) C.Hentrich punts 50 yards to TB 45. PENALTY on TEN-C.Stevens - No Play.",
        "(0:03) (Field Goal formation) R.Gould 45 yard field goal is GOOD. PENALTY on NYG - No Play.",
        "(1:10) E.Manning sacked at NYG 30 for -7 yards. PENALTY on DAL, Defensive Holding - No Play.",
    ])
    calls = nullified_calls(desc).fillna("none").tolist()
    assert calls == ["pass", "none", "none", "run", "run", "punt", "field_goal", "sack"]


def test_class_options(season_plays):
    base = PlaycallDataConfig()
    assert PlaycallDataConfig(sacks_as_pass=False, kneels_spikes="merge").class_names() == (
        "run", "pass", "sack", "punt", "field_goal")
    label, _ = play_labels(season_plays, base.model_copy(update={"sacks_as_pass": False}))
    assert (label[season_plays["play_type"] == "sack"] == "sack").all()
    label, _ = play_labels(season_plays, base.model_copy(update={"kneels_spikes": "merge"}))
    assert (label[season_plays["play_type"] == "kneel"] == "run").all()
    assert (label[season_plays["play_type"] == "spike"] == "pass").all()
    label, reason = play_labels(season_plays, base.model_copy(update={"kneels_spikes": "drop", "no_plays": "drop"}))
    assert label[season_plays["play_type"].isin(["kneel", "spike", "no_play"])].isna().all()
    assert (reason[season_plays["play_type"] == "no_play"] == "no_play").all()
    label, _ = play_labels(season_plays, base.model_copy(update={"scrambles_as_pass": False}))
    assert (label[season_plays["play_type"] == "run"] == "run").all()


def test_no_feature_uses_what_happens_at_or_after_the_snap(season_plays):
    cfg = PlaycallDataConfig()
    plays = season_plays
    features = snap_features(plays, cfg)
    # the features read nothing but the pre-snap columns (and the game's season, type, home team)
    only_pre_snap = plays[[*PRE_SNAP_COLUMNS, *GAME_COLUMNS[1:]]]
    pd.testing.assert_frame_equal(snap_features(only_pre_snap, cfg), features)

    # scrambling the play's outcome and the description moves nothing
    rng = np.random.default_rng(0)
    scrambled = plays.copy()
    for column in POST_SNAP_COLUMNS:
        scrambled[column] = rng.permutation(scrambled[column].to_numpy())
    pd.testing.assert_frame_equal(snap_features(scrambled, cfg), features)

    # nor does anything about later plays of the game (every column, the state before them too)
    target = plays.index[len(plays) // 2]
    later = (plays["game_id"] == plays.at[target, "game_id"]) & (plays["play_index"] > plays.at[target, "play_index"])
    assert later.sum() > 10
    future = plays.copy()
    for column in ("down", "ydstogo", "yardline_100", "home_score_before", "away_score_before", "sec_remaining_game"):
        values = future[column].to_numpy().copy()
        values[later.to_numpy()] = rng.permutation(values[later.to_numpy()])
        future[column] = values
    pd.testing.assert_series_equal(snap_features(future, cfg).loc[target], features.loc[target])

    # ... while the pre-snap state does move them (the test can fail)
    moved = plays.copy()
    moved["down"] = moved["down"] % 4 + 1
    moved["home_score_before"] += 7
    assert not snap_features(moved, cfg).equals(features)


def test_situation_cells_are_distinct_and_pre_snap(examples, recipe_data):
    frame = examples[0]
    cells = situation_cells(frame, recipe_data)
    np.testing.assert_array_equal(cells, frame["situation"].to_numpy())
    key = frame[["down", "qtr", "ydstogo", "yardline_100", "score_diff"]].copy()
    key["qtr"] = key["qtr"].clip(upper=5)
    key["dist"] = np.digitize(key.pop("ydstogo"), recipe_data.distance_edges)
    key["zone"] = np.digitize(key.pop("yardline_100").astype(int), recipe_data.field_edges)
    key["score"] = np.digitize(key.pop("score_diff"), recipe_data.score_edges)
    assert key.groupby(cells).nunique().max().max() == 1  # one cell = one situation ...
    assert pd.Series(cells).groupby([key[c] for c in key.columns]).nunique().max() == 1  # ... and back


def test_situation_baseline_smooths_toward_the_training_mix():
    cells = np.array([0, 0, 0, 1, 3])
    y = np.array([0, 0, 1, 1, 0])
    base = SituationBaseline.fit(cells, y, n_classes=2, smoothing=1.0)
    np.testing.assert_allclose(base.prior, [0.6, 0.4])
    np.testing.assert_allclose(base.predict(np.array([0])), [[(2 + 0.6) / 4, (1 + 0.4) / 4]])
    # a cell never seen in training (inside or beyond the fitted range) predicts the training mix
    np.testing.assert_allclose(base.predict(np.array([2, 9])), [[0.6, 0.4], [0.6, 0.4]])
    assert base.seen(np.array([0, 1, 2, 3, 9])).tolist() == [True, True, False, True, False]


def test_situation_baseline_is_fitted_on_train_only_and_every_row_is_scored(full_ingest, recipe_data):
    _, _, workdir = full_ingest
    bundle = build_nfl_playcall(recipe_data, workdir)
    assert {n: len(s) for n, s in bundle.splits.items()} == bundle.info["n_plays"]
    fitted = fit_situation_baseline(bundle)
    train = bundle.frames["train"]
    np.testing.assert_allclose(fitted.prior, np.bincount(train["y"], minlength=6) / len(train))
    # relabelling validation and test plays changes nothing; relabelling training plays does
    for split in ("val", "test"):
        bundle.frames[split]["y"] = np.random.default_rng(1).permutation(bundle.frames[split]["y"].to_numpy())
    np.testing.assert_array_equal(fit_situation_baseline(bundle).table, fitted.table)
    original = train["y"].copy()
    train["y"] = np.random.default_rng(2).permutation(original.to_numpy())
    assert not np.array_equal(fit_situation_baseline(bundle).table, fitted.table)
    train["y"] = original

    test = bundle.frames["test"]
    test["y"] = bundle.splits["test"].tensors["y"].numpy()
    target = bundle.splits["test"].tensors["y"]
    prob = torch.from_numpy(fitted.predict(test["situation"].to_numpy())).float()  # a "model" as good as the cells
    task = ClassificationTask(bundle.spec, "multiclass", "none", 15)
    evaluation = Evaluation({"test/log_loss": 0.0}, prob, target)
    ctx = ReportContext(config=None, data=bundle, split="test", evaluation=evaluation, model=None, task=task,
                        workdir=Path("."), run_dir=Path("."), device=torch.device("cpu"))
    report = playcall_report(ctx, task.report(bundle, "test", evaluation))
    assert list(report.rows) == ["model", "majority", "situation"]
    for row in report.rows.values():
        assert row["n_plays"] == len(target)
        assert {"accuracy", "log_loss", "macro_f1", "ece"} <= set(row)
    assert report.rows["model"]["log_loss"] == pytest.approx(report.rows["situation"]["log_loss"])
    assert report.rows["situation"]["log_loss"] < report.rows["majority"]["log_loss"]
    assert report.rows["majority"]["accuracy"] == pytest.approx(float((target == 1).float().mean()))  # always 'pass'


@pytest.mark.slow
def test_playcall_recipe_end_to_end(full_ingest):
    _, _, workdir = full_ingest
    proc = subprocess.run(
        [SCRIMMAGE, "--workdir", str(workdir), "train", str(RECIPE), "-o", "trainer.epochs=3", "--json"],
        capture_output=True, text=True, timeout=600,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    test, baselines = result["test"], result["baselines"]
    for key in ("accuracy", "log_loss", "macro_f1", "ece", "n_plays"):
        assert key in test, key
    assert {"accuracy"} <= set(baselines["majority"]) and {"accuracy", "log_loss"} <= set(baselines["situation"])
    assert result["train_samples_per_s"] > 0
    assert test["n_plays"] == result["data"]["n_plays"]["test"] > 70_000
    assert test["accuracy"] > baselines["majority"]["accuracy"] + 0.1
    assert test["log_loss"] < baselines["majority"]["log_loss"]
    predictions = pd.read_csv(result["predictions"], nrows=5)
    assert {"game_id", "play_id", "offense", "defense", "down", "ydstogo", "label", "pred", "prob_pass"} <= set(predictions)


def test_yards_to_goal_counts_to_the_opponents_goal_line(examples):
    """yardline_100 counts from the offense's own goal line: at the opponent's 5 the goal is 5 yards away."""
    frame = examples[0]
    near = frame[frame["yardline_100"] >= 95]
    own = frame[frame["yardline_100"] <= 5]
    assert len(near) and len(own)
    assert (near["yards_to_goal"] <= 5).all() and (own["yards_to_goal"] >= 95).all()
    assert near["goal_to_go"].mean() > 0.9 and own["goal_to_go"].sum() == 0
