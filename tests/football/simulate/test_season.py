"""Season projections: real results so far combined with simulated ones, on hand-made seasons."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from scrimmage.football.simulate.season import project_season, split_season


def _played() -> pd.DataFrame:
    # A beat B, B tied C, C beat A
    return pd.DataFrame({"home_team": ["A", "B", "C"], "away_team": ["B", "C", "A"],
                         "home_score": [24, 17, 30], "away_score": [10, 17, 3]})


def test_three_team_season_by_hand():
    # remaining: A at home to C twice, B at home to A; 4 simulations
    margins = np.array([[7, -3, 0, 14],     # A v C
                        [3, 3, -10, 1],     # A v C again
                        [-1, 2, 0, -7]])    # B v A
    rows = project_season(_played(), ["A", "A", "B"], ["C", "C", "A"], margins, real_remaining_margin=[-3, 10, 0])
    by = {r["team"]: r for r in rows}
    assert by["A"]["wins_so_far"] == 1 and by["B"]["wins_so_far"] == 0.5 and by["C"]["wins_so_far"] == 1.5
    assert by["A"]["played"] == 2 and by["A"]["remaining"] == 3 and by["C"]["remaining"] == 2 and by["B"]["remaining"] == 1
    # season i for A: so far 1 + game1 + game2 + (B v A: A wins when margin < 0, tie half)
    a = np.array([1 + 1 + 1 + 1, 1 + 0 + 1 + 0, 1 + 0.5 + 0 + 0.5, 1 + 1 + 1 + 1])
    b = np.array([0.5 + 0, 0.5 + 1, 0.5 + 0.5, 0.5 + 0])
    c = np.array([1.5 + 0 + 0, 1.5 + 1 + 0, 1.5 + 0.5 + 1, 1.5 + 0 + 0])
    for team, wins in (("A", a), ("B", b), ("C", c)):
        assert by[team]["mean"] == pytest.approx(wins.mean())
        assert by[team]["sd"] == pytest.approx(wins.std(ddof=1))
        assert by[team]["p50"] == pytest.approx(np.quantile(wins, 0.5))
        assert by[team]["p10"] <= by[team]["p50"] <= by[team]["p90"]
    # real: C won the first, A the second, B v A tied
    assert (by["A"]["real_final_wins"], by["B"]["real_final_wins"], by["C"]["real_final_wins"]) == (2.5, 1.0, 2.5)
    assert [r["team"] for r in rows] == sorted(by, key=lambda t: -by[t]["mean"])
    # every simulated season hands out exactly one win per game
    assert a + b + c == pytest.approx(np.full(4, 6.0))
    assert sum(r["mean"] for r in rows) == pytest.approx(6.0)


def test_projection_bounds_and_nothing_left():
    rng = np.random.default_rng(0)
    margins = rng.integers(-20, 21, size=(3, 500))
    rows = project_season(_played(), ["A", "B", "C"], ["B", "C", "A"], margins)
    for r in rows:
        assert r["wins_so_far"] <= r["p10"] <= r["mean"] <= r["p90"] <= r["wins_so_far"] + r["remaining"]
        assert "real_final_wins" not in r
    done = project_season(_played(), [], [], np.zeros((0, 10)))
    assert {r["team"]: r["mean"] for r in done} == {"A": 1.0, "B": 0.5, "C": 1.5}
    assert all(r["sd"] == 0 for r in done)


def test_shapes_are_checked():
    with pytest.raises(ValueError, match="simulated_margin"):
        project_season(_played(), ["A"], ["B"], np.zeros((2, 5)))
    with pytest.raises(ValueError, match="away teams"):
        project_season(_played(), ["A"], [], np.zeros((1, 5)))


def test_split_season_at_the_week():
    games = pd.DataFrame({
        "game_id": ["g1", "g2", "g3", "g4", "g5"], "season": [2019, 2019, 2019, 2019, 2018],
        "week": [1, 2, 3, 18, 3], "season_type": ["REG", "REG", "REG", "POST", "REG"],
        "date": ["2019-09-08"] * 5, "home_team": ["A"] * 5, "away_team": ["B"] * 5,
        "home_score": [1] * 5, "away_score": [0] * 5,
    })
    played, remaining = split_season(games, 2019, 2)
    assert played["game_id"].tolist() == ["g1"] and remaining["game_id"].tolist() == ["g2", "g3"]
