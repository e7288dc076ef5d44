"""``predict`` on a seed ensemble (loop ensemble) of nfl-pregame: the members' mean, their spread and agreement."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

import scrimmage
from scrimmage.cli.main import app
from scrimmage.cli.predict import keep_agreeing
from scrimmage.errors import ArgumentError

RECIPE = Path(__file__).resolve().parents[3] / "recipes" / "nfl-pregame.yaml"


@pytest.fixture(scope="module")
def ensemble(full_ingest):
    from scrimmage.config import load_config
    from scrimmage.engine import run

    workdir = full_ingest[2]
    config = load_config(RECIPE, ["trainer.epochs=1", "tracking.enabled=false", "reports=[]",
                                  "loop={name: ensemble, seeds: [1, 2, 3]}"])
    result = run(config, workdir=workdir, progress=False)
    test = pd.read_csv(result.predictions, dtype={"game_id": str}).set_index("game_id")
    return workdir, result.run_id, test


def test_predictions_are_the_members_mean_with_spread_and_agreement(ensemble):
    workdir, run_id, test = ensemble
    loaded = scrimmage.load_model(run_id, workdir)
    assert loaded.members == ["seed1", "seed2", "seed3"] and [m["seed"] for m in loaded.member_meta] == [1, 2, 3]
    rows = loaded.predict(workdir, season=2019, week=10)
    assert len(rows) > 10
    for row in rows:  # the mean is what the run tested
        assert row["margin"] == pytest.approx(test.loc[row["game_id"], "margin_pred"], rel=1e-5, abs=1e-4)
        assert row["margin_spread"] > 0 and row["agreement"] in (pytest.approx(2 / 3), 1.0)
    members = [loaded.member_model(i) for i in range(3)]  # each member as a plain model gives the spread
    singles = [dataclasses.replace(loaded, model=m, members=None).predict(workdir, season=2019, week=10) for m in members]
    margins = np.array([[r["margin"] for r in single] for single in singles])
    np.testing.assert_allclose([r["margin_spread"] for r in rows], margins.std(axis=0), rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose([r["margin"] for r in rows], margins.mean(axis=0), rtol=1e-5, atol=1e-4)


def test_cli_agreement_keeps_rows_where_members_agree(ensemble):
    workdir, run_id, _ = ensemble
    result = CliRunner().invoke(app, ["--workdir", str(workdir), "predict", run_id, "--season", "2019", "--week", "10",
                                      "--agreement", "1.0", "--json"])
    assert result.exit_code == 0, result.output
    payload = json.loads(result.output.strip().splitlines()[-1])
    assert payload["members"] == ["seed1", "seed2", "seed3"] and payload["agreement"] == 1.0
    assert all(row["agreement"] == 1.0 for row in payload["predictions"])
    loaded = scrimmage.load_model(run_id, workdir)
    every = loaded.predict(workdir, season=2019, week=10)
    assert len(payload["predictions"]) == sum(row["agreement"] == 1.0 for row in every)
    with pytest.raises(ArgumentError, match="is a single model"):
        keep_agreeing(every, 0.8, dataclasses.replace(loaded, members=None))
    bad = CliRunner().invoke(app, ["--workdir", str(workdir), "predict", run_id, "--season", "2019", "--agreement", "1.5"])
    assert bad.exit_code == 2 and "Traceback" not in bad.output
