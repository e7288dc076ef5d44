"""A run id means the model its report scored, for every shipped recipe: predictions through the run id
equal the run's own ``predictions/test.csv`` on the same examples.

One tiny run per recipe (two epochs of a small model on few seasons; the recipe's data, task, loss,
checkpoint and report choices otherwise). ``nfl-pregame``: ``scrimmage predict RUN_ID --season 2018`` as a
user types it (features rebuilt from the ingested tables) gives test.csv's numbers. The others compare
``load_model(RUN_ID)`` on the test split rebuilt by the run's own config: ``nfl-playcall`` and ``cfb-games``
have no predictor (``predict`` says so), and the hierarchical predictor's pregame projection is, by design,
not test.csv's play-0 column (see :func:`test_nfl_hierarchical`); ``predict`` is checked to answer with
the same checkpoint and epoch. ``nfl-hierarchical-full.yaml`` shares the ``nfl-hierarchical`` case: it
differs only in capacity and length (pinned below), not in data, task, loss, checkpoint or reports.

Two training seasons at least: with one, a season feature is constant in training, and its
standardisation (std clamped at 1e-6) blows a later season up until every game gets the same prediction
(a constant model matches any checkpoint, so each case also checks that its predictions vary).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from scrimmage.cli.main import app
from scrimmage.config import load_config

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
SEASONS = ["data.train_seasons=[2015,2016]", "data.val_seasons=[2017,2017]", "data.test_seasons=[2018,2018]"]
TWO_PHASES = ('callbacks=[{"name": "phases", "phases": [{"name": "first", "epochs": 1}, '
              '{"name": "second", "epochs": 1}]}]')
TINY = {
    "nfl-pregame": [*SEASONS, "trainer.epochs=2", "model.hidden=[16]", "tracking.enabled=false"],
    "nfl-playcall": [*SEASONS, "trainer.epochs=2", "model.hidden=[16]", "tracking.enabled=false"],
    "cfb-hierarchical": ["trainer.epochs=2", TWO_PHASES, "model.hidden=[16,8]", "model.play_head=[16]",
                         "tracking.enabled=false"],
}


def recipe(name: str) -> Path:
    return ROOT / "recipes" / f"{name}.yaml"


def train(name: str, workdir: Path) -> Any:
    from scrimmage.engine import run

    return run(load_config(recipe(name), TINY[name]), workdir=workdir, progress=False)


def predict_cli(workdir: Path, run_id: str, *args: str) -> tuple[dict[str, Any], str]:
    """``scrimmage predict RUN_ID ... --json``: (the JSON object, the human line naming the model)."""
    res = CliRunner().invoke(app, ["--workdir", str(workdir), "predict", run_id, *args, "--json"])
    assert res.exit_code == 0, res.output
    return json.loads(res.stdout.strip().splitlines()[-1]), res.stderr


def scored_checkpoint(workdir: Path, run_id: str) -> dict[str, Any]:
    record = json.loads((workdir / "runs" / run_id / "run.json").read_text())
    return record["model_checkpoint"]


def saved_predictions(workdir: Path, run_id: str) -> pd.DataFrame:
    return pd.read_csv(workdir / "runs" / run_id / "predictions" / "test.csv", dtype={"game_id": str})


def assert_same_numbers(got: Any, want: Any, what: str) -> None:
    got, want = np.asarray(got, dtype=np.float64), np.asarray(want, dtype=np.float64)
    assert got.shape == want.shape, what
    assert got == pytest.approx(want, rel=1e-5, abs=1e-4), what  # the CSV keeps 6 significant digits


def assert_predictions_vary(values: Any, what: str) -> None:
    """Equal numbers mean something only when they differ from game to game (a constant model matches anything)."""
    assert np.std(np.asarray(values, dtype=np.float64)) > 0.01, f"{what}: every example got the same prediction"


def assert_the_run_model_answers(payload: dict[str, Any], model_line: str, workdir: Path, run_id: str) -> None:
    scored = scored_checkpoint(workdir, run_id)
    assert Path(payload["checkpoint"]).name == scored["file"] and payload["epoch"] == scored["epoch"]
    assert payload["run_status"] == "finished"
    assert f"model: {payload['checkpoint']} (epoch {scored['epoch']})" in model_line


def rebuilt_test_predictions(workdir: Path, run_id: str) -> tuple[Any, dict[str, np.ndarray]]:
    """``load_model(RUN_ID)`` on the test split its own config rebuilds: (the loaded model, decoded columns)."""
    from scrimmage.export.checkpoint import load_model

    loaded = load_model(run_id, workdir)
    bundle = loaded.config.data.build(workdir)
    return loaded, loaded.predict_tensors(bundle.splits["test"].take(slice(None)))


def test_nfl_pregame(full_ingest):
    _, _, workdir = full_ingest
    result = train("nfl-pregame", workdir)
    payload, line = predict_cli(workdir, result.run_id, "--season", "2018")
    assert_the_run_model_answers(payload, line, workdir, result.run_id)
    assert Path(payload["checkpoint"]).name == "best.ckpt"  # restore_best: the test scored the best epoch
    saved = saved_predictions(workdir, result.run_id).set_index("game_id")
    rows = pd.DataFrame(payload["predictions"]).set_index("game_id")
    assert sorted(rows.index) == sorted(saved.index) and len(rows) > 250  # 2018: regular season and playoffs
    saved = saved.loc[rows.index]
    for mine, theirs in (("home_points", "home_pred"), ("away_points", "away_pred"), ("margin", "margin_pred")):
        assert_same_numbers(rows[mine], saved[theirs], mine)
    assert_predictions_vary(rows["margin"], "nfl-pregame")


def test_nfl_hierarchical(tiny_hierarchical):
    """The session's tiny nfl-hierarchical run (tests/football/conftest.py): restore_best false, so the run's
    model is final.ckpt. ``predict`` answers with it; its pregame projection (the game head at an opening
    snap, 1st and 10 at the receiver's 25, averaged over which side receives: what is known before the coin
    toss) is not test.csv's play-0 column (the game's real first snap: who received and where), so the
    numbers are compared through ``load_model(RUN_ID)`` on the test split, and the projection only has to
    track them."""
    workdir, run_id = tiny_hierarchical.workdir, tiny_hierarchical.run_id
    saved = saved_predictions(workdir, run_id)
    loaded, predicted = rebuilt_test_predictions(workdir, run_id)
    assert loaded.path.name == scored_checkpoint(workdir, run_id)["file"] == "final.ckpt"
    assert len(saved) == len(predicted["pregame_home_pred"]) > 250  # 2018: regular season and playoffs
    for column in ("pregame_home_pred", "pregame_away_pred", "pregame_margin_pred", "pregame_home_win_prob"):
        assert_same_numbers(predicted[column], saved[column], column)
    assert_predictions_vary(saved["pregame_margin_pred"], "nfl-hierarchical")

    payload, line = predict_cli(workdir, run_id, "--season", "2018", "--sims", "0")
    assert_the_run_model_answers(payload, line, workdir, run_id)
    rows = pd.DataFrame(payload["predictions"]).set_index("game_id")
    assert sorted(rows.index) == sorted(saved["game_id"])
    play0 = saved.set_index("game_id").loc[rows.index]
    assert np.corrcoef(rows["margin"], play0["pregame_margin_pred"])[0, 1] > 0.9


def test_nfl_hierarchical_full_differs_only_in_capacity_and_length():
    """Why the full recipe needs no run of its own here: the same data, task, loss, checkpoint and reports."""
    from scrimmage.config.loader import config_to_dict

    small = config_to_dict(load_config(recipe("nfl-hierarchical"), []))
    full = config_to_dict(load_config(recipe("nfl-hierarchical-full"), []))
    for section in ("data", "task", "loss", "optim", "scheduler", "reports", "monitor", "checkpoint"):
        assert small[section] == full[section], section
    assert small["model"]["name"] == full["model"]["name"] and small["model"]["encoder"] == full["model"]["encoder"]
    assert [p["name"] for p in small["callbacks"][0]["phases"]] == [p["name"] for p in full["callbacks"][0]["phases"]]


def test_nfl_playcall(full_ingest):
    _, _, workdir = full_ingest
    result = train("nfl-playcall", workdir)
    loaded, predicted = rebuilt_test_predictions(workdir, result.run_id)
    assert loaded.path.name == scored_checkpoint(workdir, result.run_id)["file"] == "best.ckpt"
    saved = pd.read_csv(workdir / "runs" / result.run_id / "predictions" / "test.csv")
    assert len(saved) > 30_000
    assert list(predicted["pred"]) == list(saved["pred"])
    probabilities = [column for column in predicted if column.startswith("prob_")]
    assert len(probabilities) == 6
    for column in probabilities:
        assert_same_numbers(predicted[column], saved[column], column)
    assert_predictions_vary(predicted["prob_pass"], "nfl-playcall")
    no_predictor = CliRunner().invoke(app, ["--workdir", str(workdir), "predict", result.run_id, "--season", "2018"])
    assert no_predictor.exit_code == 2 and "Traceback" not in no_predictor.output
    assert "dataset 'nfl-playcall', which has no registered predictor" in " ".join(no_predictor.output.split())


def test_cfb_hierarchical(cfb_ingest):
    _, _, workdir = cfb_ingest
    result = train("cfb-hierarchical", workdir)
    loaded, predicted = rebuilt_test_predictions(workdir, result.run_id)
    assert loaded.path.name == scored_checkpoint(workdir, result.run_id)["file"] == "final.ckpt"
    saved = saved_predictions(workdir, result.run_id)
    assert len(saved) == 129  # week 2 of 2024
    for column in ("pregame_home_pred", "pregame_away_pred", "pregame_margin_pred", "pregame_home_win_prob"):
        assert_same_numbers(predicted[column], saved[column], column)
    assert_predictions_vary(predicted["pregame_margin_pred"], "cfb-hierarchical")
