"""Football metrics: RMSEs, the combined game RMSE, winner accuracy and Brier score."""

from __future__ import annotations

import math

import numpy as np
import pytest

from scrimmage.football.ratings.metrics import normal_cdf, score_games


def test_perfect_predictions_score_zero_error():
    home, away = np.array([24, 10, 31]), np.array([17, 13, 30])
    m = score_games(home, away, home, away, pred_home_win_prob=[1.0, 0.0, 1.0])
    assert m["home_rmse"] == m["away_rmse"] == m["margin_rmse"] == m["game_rmse_combined"] == 0
    assert m["winner_accuracy"] == 1.0 and m["brier"] == 0.0 and m["n_games"] == 3.0


def test_hand_computed_rmses_and_combined_weights():
    m = score_games([20, 10], [10, 20], [23, 10], [10, 16])
    assert m["home_rmse"] == pytest.approx(math.sqrt(9 / 2))
    assert m["away_rmse"] == pytest.approx(math.sqrt(16 / 2))
    # margins: actual 10, -10; predicted 13, -6
    assert m["margin_rmse"] == pytest.approx(math.sqrt((9 + 16) / 2))
    assert m["game_rmse_combined"] == pytest.approx(
        0.33 * m["home_rmse"] + 0.33 * m["away_rmse"] + 0.34 * m["margin_rmse"])


def test_explicit_margin_overrides_point_difference():
    m = score_games([20], [10], [20], [10], pred_margin=[4.0])
    assert m["margin_rmse"] == pytest.approx(6.0) and m["home_rmse"] == 0.0


def test_winner_accuracy_excludes_ties_and_brier_scores_ties_as_half():
    home, away = [21, 10, 17, 3], [14, 20, 17, 0]
    m = score_games(home, away, [20, 20, 20, 10], [17, 17, 17, 20],
                    pred_home_win_prob=[0.8, 0.6, 0.6, 0.4])
    assert m["winner_accuracy"] == pytest.approx(1 / 3)  # right, wrong, (tie), wrong
    assert m["brier"] == pytest.approx((0.2**2 + 0.6**2 + 0.1**2 + 0.6**2) / 4)


def test_predicted_margin_of_zero_counts_as_a_home_pick():
    assert score_games([20], [10], [0], [0])["winner_accuracy"] == 1.0
    assert score_games([10], [20], [0], [0])["winner_accuracy"] == 0.0


def test_default_probability_is_normal_cdf_of_margin_over_sigma():
    m = score_games([20, 20], [10, 10], [20, 10], [20, 10])  # predicted margin 0 -> p = 0.5
    assert m["brier"] == pytest.approx(0.25)
    m = score_games([20], [10], [27], [20], margin_sigma=7.0)
    assert m["brier"] == pytest.approx((1 - normal_cdf(1.0)) ** 2)
    assert float(normal_cdf(1.0)) == pytest.approx(0.841344746)


def test_bad_inputs_raise():
    with pytest.raises(ValueError, match="equal length"):
        score_games([1, 2], [1, 2], [1], [1, 2])
    with pytest.raises(ValueError, match="at least one"):
        score_games([], [], [], [])
