"""``scrimmage predict`` / ``load_model(...).predict(...)`` for nfl-pregame: one tiny training run per module."""

from __future__ import annotations

import dataclasses
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import scrimmage
from scrimmage.errors import ArgumentError, DataError
from scrimmage.football.ratings.metrics import MARGIN_SIGMA, normal_cdf

ROOT = Path(__file__).resolve().parents[3]
RECIPE = ROOT / "recipes" / "nfl-pregame.yaml"
SCRIMMAGE = str(Path(sys.executable).with_name("scrimmage"))
ROW_KEYS = ("game_id", "season", "week", "home", "away", "home_points", "away_points", "margin", "home_win_prob")


@pytest.fixture(scope="module", autouse=True)
def one_blas_thread():
    """The power ratings make ~600 tiny BLAS solves; on a busy machine threaded BLAS makes them ~20x
    slower (about 6 s per feature build instead of 0.3 s). Training and predicting here share the limit."""
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # not a declared dependency: only slower without it
        yield
        return
    with threadpool_limits(limits=1, user_api="blas"):
        yield


@pytest.fixture(scope="module")
def trained(full_ingest):
    """(workdir, run id, test predictions CSV, loaded model) of a one-epoch nfl-pregame run."""
    from scrimmage.config import load_config
    from scrimmage.engine import run

    _, _, workdir = full_ingest
    config = load_config(RECIPE, ["trainer.epochs=1", "tracking.enabled=false"])
    result = run(config, workdir=workdir, progress=False)
    test = pd.read_csv(result.predictions, dtype={"game_id": str})
    return workdir, result.run_id, test, scrimmage.load_model(result.run_id, workdir)


def write_csv(path: Path, text: str) -> Path:
    path.write_text(text)
    return path


def test_season_week_predictions_equal_the_runs_test_predictions(trained, full_ingest):
    workdir, _, test, model = trained
    games = full_ingest[1]["games"].set_index("game_id")
    rows = model.predict(workdir, season=2019, week=10)
    expected = test[(test["season"] == 2019) & (test["week"] == 10) & (test["season_type"] == "REG")].set_index("game_id")
    assert len(rows) == len(expected) > 10
    for row in rows:
        assert tuple(row)[: len(ROW_KEYS)] == ROW_KEYS
        want = expected.loc[row["game_id"]]
        assert (row["season"], row["week"], row["home"], row["away"]) == (2019, 10, want["home_team"], want["away_team"])
        assert row["home_points"] == pytest.approx(want["home_pred"], rel=1e-5, abs=1e-4)
        assert row["away_points"] == pytest.approx(want["away_pred"], rel=1e-5, abs=1e-4)
        assert row["margin"] == pytest.approx(want["margin_pred"], rel=1e-5, abs=1e-4)
        assert row["home_win_prob"] == pytest.approx(float(normal_cdf(row["margin"] / MARGIN_SIGMA)))
        assert (row["home_score"], row["away_score"]) == (want["home"], want["away"])  # the actual result
        if "spread_home" in games.columns:  # lines joined at ingest (the shared CSV exists)
            line = games.loc[row["game_id"], ["spread_home", "total_line"]].to_numpy(float)
            assert [row["spread_home"], row["total_line"]] == pytest.approx(line)


def test_whole_season_and_playoff_rounds(trained):
    workdir, _, test, model = trained
    season = model.predict(workdir, season="2019")  # CLI strings convert
    assert len(season) == int((test["season"] == 2019).sum())
    wildcard = model.predict(workdir, season=2019, season_type="post", week=1)
    expected = test[(test["season"] == 2019) & (test["season_type"] == "POST") & (test["week"] == 1)]
    assert sorted(r["game_id"] for r in wildcard) == sorted(expected["game_id"]) and len(wildcard) == 4


def test_public_load_model_from_a_checkpoint_path(trained, monkeypatch):
    workdir, run_id, _, model = trained
    monkeypatch.setenv("SCRIMMAGE_HOME", str(workdir))
    loaded = scrimmage.load_model(model.path)
    assert loaded.run_id == run_id
    assert loaded.predict(season=2019, week=10) == model.predict(workdir, season="2019", week="10")


def test_fixtures_after_the_data(trained, tmp_path):
    workdir, _, _, model = trained
    csv = write_csv(tmp_path / "fixtures.csv", "date,home,away\n"
                    "2020-09-10,KC,HOU\n2020-09-13,JAC,IND\n2020-09-13,Los Angeles Rams,DAL\n2020-09-20,BAL,KC\n")
    rows = model.predict(workdir, games=str(csv))
    assert [r["game_id"] for r in rows] == ["fixture-2020-09-10-HOU@KC", "fixture-2020-09-13-DAL@LA",
                                            "fixture-2020-09-13-IND@JAX", "fixture-2020-09-20-KC@BAL"]
    assert [(r["season"], r["week"]) for r in rows] == [(2020, 1), (2020, 1), (2020, 1), (2020, 2)]
    for row in rows:
        assert tuple(row)[: len(ROW_KEYS)] == ROW_KEYS and "home_score" not in row
        values = [row[k] for k in ("home_points", "away_points", "margin", "home_win_prob")]
        assert np.isfinite(values).all() and 0 < row["home_win_prob"] < 1


def test_unknown_scores_of_earlier_fixtures_never_reach_later_ones(trained, tmp_path):
    """KC's week-2 features are those of KC's week-2 game alone, bar the schedule facts (rest, games
    played); had the week-1 game a score, they would move (the comparison can fail)."""
    from scrimmage.football.datasets.pregame import pregame_examples, pregame_games
    from scrimmage.football.predictors.pregame import _fixture_games, _read_fixtures

    workdir, _, _, model = trained
    cfg, vocabulary = model.config.data, list(model.spec.vocabularies["team"])
    table = pd.read_parquet(workdir / "data" / "nfl" / "games.parquet")

    def features(text: str, score: tuple[int, int] | None = None) -> pd.Series:
        fixtures = _fixture_games(_read_fixtures(write_csv(tmp_path / "f.csv", text), vocabulary), table, cfg, tmp_path)
        if score is not None:
            fixtures.loc[0, ["home_score", "away_score"]] = score
        frame, columns, _ = pregame_examples(pregame_games(cfg, workdir, fixtures)[0], cfg)
        return frame.set_index("game_id").loc["fixture-2020-09-20-KC@BAL", columns]

    both = "date,home,away\n2020-09-10,KC,HOU\n2020-09-20,BAL,KC\n"
    alone, after, played = features("date,home,away\n2020-09-20,BAL,KC\n"), features(both), features(both, (40, 0))
    schedule = [c for c in alone.index if any(k in c for k in ("rest_days", "games_played", "first_game"))]
    assert alone.drop(schedule).equals(after.drop(schedule))
    assert after["away_games_played"] == 1 and after["away_rest_days"] == 10
    assert not after.drop(schedule).equals(played.drop(schedule))


@pytest.mark.parametrize(("query", "message"), [
    ({"seasons": "2019"}, "unknown option --seasons for nfl-pregame predictions. Did you mean --season?"),
    ({}, "say what to predict"),
    ({"week": "10"}, "--week needs --season"),
    ({"season": "2019", "games": "x.csv"}, "cannot be combined"),
    ({"season": "twenty"}, "--season: input should be a valid integer, unable to parse string as an integer, got 'twenty'"),
    ({"season": "1999"}, "season 1999 is not in the data; seasons available: 2009-2019"),
    ({"season": "2019", "week": "30"}, "season 2019 has no REG week 30 in the data; it has REG weeks 1-17; POST weeks 1-3, 5 (playoff rounds: "),
    ({"season": "2019", "season_type": "PRE"}, "--season-type: input should be 'REG' or 'POST', got 'PRE'"),
])
def test_bad_selections_get_clear_errors(trained, query, message):
    workdir, _, _, model = trained
    with pytest.raises(ArgumentError) as caught:
        model.predict(workdir, **query)
    assert message in str(caught.value)


@pytest.mark.parametrize(("text", "message"), [
    (None, "not found"),
    (b"\x89PNG\r\n\x1a\n\x00\x00\xff\xfe", "is not a readable CSV"),
    ("day,home,away\n2020-09-10,KC,HOU\n", "lacks columns ['date']"),
    ("date,home,away\n", "holds no fixtures"),
    ("date,home,away\n2020-09-10,KC,XYZ\n", "line 2: unknown away team 'XYZ'. Valid codes: ARI, ATL"),
    ("date,home,away\n2020-09-10,KC,kc\n", "line 2: home and away are both KC"),
    ("date,home,away\n2020-09-10,KC,HOU\nnext sunday,NE,NYJ\n", "line 3: date 'next sunday' is not a date"),
    ("date,home,away\n2019-12-01,KC,HOU\n", "fixture dated 2019-12-01 is inside the training data, whose last game is on 2020-02-02"),
    ("date,home,away\n2020-09-13,KC,HOU\n2020-09-13,NE,KC\n", "KC plays twice on 2020-09-13 (lines 2, 3)"),
])
def test_bad_fixture_files_get_clear_errors(trained, tmp_path, text, message):
    workdir, _, _, model = trained
    path = tmp_path / "fixtures.csv"
    if isinstance(text, bytes):
        path.write_bytes(text)
    elif text is not None:
        path.write_text(text)
    with pytest.raises(ArgumentError) as caught:
        model.predict(workdir, games=str(path))
    assert message in str(caught.value)


def test_checkpoint_of_another_task_or_other_features_is_refused(trained):
    workdir, _, _, model = trained
    config = model.config.model_copy(update={"data": model.config.data.model_copy(update={"name": "nfl-playcall"})})
    from scrimmage.football.predictors.pregame import predict_games

    with pytest.raises(ArgumentError, match="predict with an nfl-pregame regression checkpoint"):
        predict_games(dataclasses.replace(model, config=config), workdir, season=2019)
    spec = dataclasses.replace(model.spec, feature_names=(*model.spec.feature_names[:-1], "old_feature"))
    with pytest.raises(DataError, match=r"do not match .*needs \['old_feature'\], .*; the tables give \['massey_margin'\]"):
        predict_games(dataclasses.replace(model, spec=spec), workdir, season=2019, week=10)


def cli(workdir: Path, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1"}  # see one_blas_thread
    return subprocess.run([SCRIMMAGE, "--workdir", str(workdir), "predict", *args],
                          capture_output=True, text=True, timeout=600, env=env)


def test_cli_json_and_errors(trained, tmp_path):
    workdir, run_id, _, model = trained
    done = cli(workdir, run_id, "--season", "2019", "--week=10", "--json")
    assert done.returncode == 0, done.stderr[-3000:]
    payload = json.loads(done.stdout.strip().splitlines()[-1])
    assert payload["run_id"] == run_id
    expected = model.predict(workdir, season=2019, week=10)
    assert len(payload["predictions"]) == len(expected)
    for got, want in zip(payload["predictions"], expected, strict=True):
        assert list(got) == list(want) and tuple(got)[: len(ROW_KEYS)] == ROW_KEYS
        assert got == {k: pytest.approx(v) if isinstance(v, float) else v for k, v in want.items()}

    bad = write_csv(tmp_path / "bad.csv", "date,home,away\n2020-09-10,KC,XYZ\n")
    for args, message in (
        (("--season", "1999"), "season 1999 is not in the data"),
        (("--games", str(bad)), "unknown away team 'XYZ'"),
    ):
        done = cli(workdir, run_id, *args)
        assert done.returncode == 2 and "Traceback" not in done.stderr, done.stderr[-3000:]
        assert message in " ".join(done.stderr.split())


def test_predict_never_ingests(trained, tmp_path):
    """README: ``predict`` reads the workdir's tables and never ingests; without current tables it names the command."""
    from typer.testing import CliRunner

    from scrimmage.cli.main import app

    workdir, _, _, model = trained
    empty = tmp_path / "elsewhere"
    res = CliRunner().invoke(app, ["--workdir", str(empty), "predict", str(model.path), "--season", "2019"])
    assert res.exit_code == 2 and "Traceback" not in res.output
    text = " ".join(res.output.split())
    assert "holds none (it never ingests): run `scrimmage --workdir" in text and "data nfl` first" in text
    assert not (empty / "data").exists(), "nothing was ingested"

    old = tmp_path / "old"
    shutil.copytree(workdir / "data", old / "data")
    manifest = old / "data" / "nfl" / "manifest.json"
    blob = json.loads(manifest.read_text())
    blob["fingerprint"]["parser_version"] = -1
    manifest.write_text(json.dumps(blob))
    before = {p.name: p.stat().st_mtime_ns for p in (old / "data" / "nfl").iterdir()}
    with pytest.raises(DataError, match=r"built by an older parser \(version -1; .* predict does not rebuild them: run "
                                        r"`scrimmage data nfl .*--force` first"):
        model.predict(old, season=2019, week=10)
    assert {p.name: p.stat().st_mtime_ns for p in (old / "data" / "nfl").iterdir()} == before
