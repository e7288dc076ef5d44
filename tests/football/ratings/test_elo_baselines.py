"""Elo and the reference baselines: hand-computed updates, no look-ahead, real-data sanity."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from scrimmage.errors import DataError
from scrimmage.football.nfl.lines import games_from_spreadspoke
from scrimmage.football.ratings.baselines import (
    closing_line_baseline,
    elo_baseline,
    home_field_baseline,
)
from scrimmage.football.ratings.elo import EloSpec, elo_predictions
from scrimmage.football.ratings.metrics import score_games

DATA = Path(__file__).resolve().parents[3].parent / "shared" / "data"
LINES = DATA / "nfl_lines" / "spreadspoke_scores.csv"


def schedule(rows: list[tuple]) -> pd.DataFrame:
    """rows: (date, season, type, home, away, home_score, away_score)."""
    df = pd.DataFrame(rows, columns=["date", "season", "season_type", "home_team", "away_team",
                                     "home_score", "away_score"])
    df["date"] = pd.to_datetime(df["date"])
    df.insert(0, "game_id", [f"g{i}" for i in range(len(df))])
    df["week"] = 1
    return df


def p_home(diff: float) -> float:
    return 1 / (1 + 10 ** (-diff / 400))


def test_first_game_prediction_is_pure_home_advantage():
    e = elo_predictions(schedule([("2018-09-09", 2018, "REG", "A", "B", 24, 17)]))
    assert e.loc["g0", "elo_home_pre"] == e.loc["g0", "elo_away_pre"] == 1505.0
    assert e.loc["g0", "pred_margin"] == pytest.approx(55 / 25)
    assert e.loc["g0", "pred_home_win_prob"] == pytest.approx(p_home(55))


def test_update_with_margin_multiplier_and_season_regression():
    g = schedule([
        ("2018-09-09", 2018, "REG", "A", "B", 24, 17),
        ("2018-09-16", 2018, "REG", "B", "A", 10, 10),
        ("2019-09-08", 2019, "REG", "A", "B", 0, 3),
    ])
    e = elo_predictions(g)
    # A (home) wins by 7: winner's elo diff = +55 (home advantage included)
    shift = 20 * math.log(8) * 2.2 / (55 * 0.001 + 2.2) * (1 - p_home(55))
    assert e.loc["g1", "elo_away_pre"] == pytest.approx(1505 + shift)
    assert e.loc["g1", "elo_home_pre"] == pytest.approx(1505 - shift)
    # tie: multiplier ln(2) * 2.2/2.2, result 0.5, B at home
    diff = (1505 - shift) - (1505 + shift) + 55
    tie = 20 * math.log(2) * (0.5 - p_home(diff))
    a_end, b_end = 1505 + shift - tie, 1505 - shift + tie
    # new season: a third of the way back to 1505
    assert e.loc["g2", "elo_home_pre"] == pytest.approx(a_end + (1505 - a_end) / 3)
    assert e.loc["g2", "elo_away_pre"] == pytest.approx(b_end + (1505 - b_end) / 3)
    expected_diff = e.loc["g2", "elo_home_pre"] - e.loc["g2", "elo_away_pre"] + 55
    assert e.loc["g2", "pred_margin"] == pytest.approx(expected_diff / 25)


def test_without_margin_multiplier_update_is_k_times_surprise():
    g = schedule([("2018-09-09", 2018, "REG", "A", "B", 50, 0),
                  ("2018-09-16", 2018, "REG", "A", "B", 0, 0)])
    e = elo_predictions(g, EloSpec(mov_multiplier=False, k=10))
    assert e.loc["g1", "elo_home_pre"] == pytest.approx(1505 + 10 * (1 - p_home(55)))


def test_predictions_use_only_earlier_games_and_preseason_is_ignored():
    g = schedule([
        ("2018-08-20", 2018, "PRE", "A", "B", 40, 0),
        ("2018-09-09", 2018, "REG", "A", "B", 24, 17),
        ("2018-09-16", 2018, "REG", "B", "A", 10, 13),
        ("2018-09-23", 2018, "REG", "A", "B", 3, 30),
    ])
    base = elo_predictions(g)
    assert "g0" not in base.index
    changed = g.copy()
    changed.loc[changed["game_id"] == "g2", "home_score"] = 45  # flip game g2
    after = elo_predictions(changed)
    pd.testing.assert_frame_equal(after.loc[["g1", "g2"]], base.loc[["g1", "g2"]])
    assert after.loc["g3", "elo_home_pre"] != base.loc["g3", "elo_home_pre"]
    no_pre = elo_predictions(g[g["season_type"] != "PRE"])
    pd.testing.assert_frame_equal(no_pre, base)


def test_home_field_baseline_uses_training_constants():
    train = schedule([("2018-09-09", 2018, "REG", "A", "B", 24, 17),
                      ("2018-09-16", 2018, "REG", "B", "A", 10, 20),
                      ("2018-09-23", 2018, "REG", "A", "B", 7, 7)])
    target = schedule([("2019-09-09", 2019, "REG", "A", "B", 0, 0)] * 2)
    p = home_field_baseline(train, target)
    assert p.pred_home.tolist() == [pytest.approx(41 / 3)] * 2
    assert p.pred_away.tolist() == [pytest.approx(44 / 3)] * 2
    assert p.pred_margin.tolist() == [pytest.approx(-1.0)] * 2
    assert p.pred_home_win_prob.tolist() == [pytest.approx(1.5 / 3)] * 2


def test_elo_baseline_splits_mean_training_total_by_elo_margin():
    g = schedule([("2018-09-09", 2018, "REG", "A", "B", 24, 16),
                  ("2018-09-16", 2018, "REG", "B", "A", 10, 20),
                  ("2019-09-08", 2019, "REG", "A", "B", 3, 0)])
    target = g[g["season"] == 2019]
    p = elo_baseline(g, target)
    margin = elo_predictions(g).loc["g2", "pred_margin"]
    assert p.pred_margin[0] == pytest.approx(margin)
    assert p.pred_home[0] == pytest.approx((35 + margin) / 2)
    assert p.pred_away[0] == pytest.approx((35 - margin) / 2)
    with pytest.raises(DataError, match="before the first target"):
        elo_baseline(g, g)


def test_closing_line_baseline_converts_spread_and_total():
    g = schedule([("2019-09-08", 2019, "REG", "A", "B", 27, 20),
                  ("2019-09-08", 2019, "REG", "C", "D", 10, 13),
                  ("2019-09-09", 2019, "REG", "E", "F", 14, 13)])
    g["spread_home"] = [-7.0, 3.0, np.nan]
    g["total_line"] = [47.0, np.nan, 40.0]
    p = closing_line_baseline(g, total_fallback=44.0)
    assert p.game_id.tolist() == ["g0", "g1"] and p.n_excluded == 1
    assert p.pred_margin.tolist() == [7.0, -3.0]
    assert p.pred_home.tolist() == [27.0, 20.5] and p.pred_away.tolist() == [20.0, 23.5]
    assert p.pred_home_win_prob[0] == pytest.approx(0.5 * (1 + math.erf(7 / 13.5 / math.sqrt(2))))
    with pytest.raises(DataError, match="total_fallback"):
        closing_line_baseline(g)
    with pytest.raises(DataError, match="no target game"):
        closing_line_baseline(g.assign(spread_home=np.nan))


@pytest.mark.skipif(not LINES.exists(), reason=f"shared lines data not found at {LINES}")
@pytest.mark.parametrize("with_2018_post", [True, False])
def test_real_2018_2019_baselines_rank_closing_line_elo_home_field(with_2018_post):
    games = games_from_spreadspoke(LINES)
    target = games[games["season"] >= 2018]
    if not with_2018_post:
        target = target[~((target["season"] == 2018) & (target["season_type"] == "POST"))]
    train = games[games["season"] < 2018]
    rmse = {}
    for p in (home_field_baseline(train, target), elo_baseline(games, target),
              closing_line_baseline(target)):
        home, away = p.truth(target)
        rmse[p.name] = score_games(home, away, p.pred_home, p.pred_away, p.pred_margin,
                                   p.pred_home_win_prob)["margin_rmse"]
    # measured: closing 13.03/13.10, Elo 13.46/13.54, home field 14.55/14.64
    assert 12.5 < rmse["closing_line"] < rmse["elo"] < rmse["home_field"] < 15.2
    assert 12.8 < rmse["elo"] < 14.2
    assert 14.0 < rmse["home_field"]
