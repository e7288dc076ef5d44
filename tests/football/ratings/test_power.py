"""Massey power ratings: recover known team strengths, use only earlier dates, decay with age."""

from __future__ import annotations

import pandas as pd

from scrimmage.football.ratings.power import MIN_HISTORY_GAMES, RatingSpec, massey_predictions


def league(n_weeks: int = 20, strengths=(7.0, 0.0, -3.0, -4.0), edge: float = 2.0) -> pd.DataFrame:
    """Four teams, round robins every week, margins exactly edge + s_home - s_away."""
    teams = ["AAA", "BBB", "CCC", "DDD"]
    rows, start = [], pd.Timestamp("2015-09-01")
    pairs = [(0, 1), (2, 3), (0, 2), (1, 3), (0, 3), (1, 2)]
    for week in range(n_weeks):
        for k, (i, j) in enumerate(pairs):
            home, away = (i, j) if (week + k) % 2 == 0 else (j, i)
            margin = edge + strengths[home] - strengths[away]
            rows.append({"game_id": f"{week:03d}{k}", "date": start + pd.Timedelta(days=7 * week),
                         "season": 2015, "season_type": "REG", "home_team": teams[home], "away_team": teams[away],
                         "home_score": 20 + margin, "away_score": 20})
    return pd.DataFrame(rows)


def test_recovers_known_strengths_and_home_edge():
    games = league()
    ratings = massey_predictions(games, RatingSpec(halflife_days=1e6, ridge=1e-6))
    last = ratings.loc[games["game_id"].iloc[-1]]
    assert abs(last["massey_edge"] - 2.0) < 1e-6
    truth = games.iloc[-1]
    assert abs(last["massey_margin"] - (truth["home_score"] - truth["away_score"])) < 1e-6


def test_no_rating_before_enough_history_and_only_earlier_dates_count():
    games = league()
    ratings = massey_predictions(games)
    earliest = games["game_id"].iloc[: MIN_HISTORY_GAMES]
    assert (ratings.loc[earliest].to_numpy() == 0).all()
    target = games["game_id"].iloc[-1]
    same_day_and_later = pd.to_datetime(games["date"]) >= games["date"].iloc[-1]
    changed = games.copy()
    changed.loc[same_day_and_later, "home_score"] += 40
    assert massey_predictions(changed).loc[target].equals(ratings.loc[target])
    changed_earlier = games.copy()
    changed_earlier.loc[0, "home_score"] += 40
    assert not massey_predictions(changed_earlier).loc[target].equals(ratings.loc[target])


def test_ridge_shrinks_ratings_toward_zero():
    games = league(n_weeks=8)
    last_week = games["game_id"].iloc[-6:]

    def spread(ridge: float) -> float:
        ratings = massey_predictions(games, RatingSpec(ridge=ridge)).loc[last_week]
        return float(ratings[["massey_home", "massey_away"]].abs().to_numpy().sum())

    assert spread(50.0) < 0.5 * spread(0.01)
