"""Day-block intervals: the O(n) weighted AUC and AP equal scikit-learn's, and resampling days (not rows)."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.metrics import average_precision_score, roc_auc_score

from scrimmage.markets.evaluation.intervals import RankedScores, day_bootstrap, paired_difference, per_group_auc


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_weighted_auc_and_ap_equal_scikit_learn_with_ties(seed):
    rng = np.random.default_rng(seed)
    scores = np.round(rng.random(400), 1)  # many ties
    labels = rng.random(400) < 0.15 + 0.5 * scores
    weights = rng.integers(0, 4, 400)
    ranked = RankedScores(scores, labels)
    assert ranked.roc_auc() == pytest.approx(roc_auc_score(labels, scores), abs=1e-12)
    assert ranked.average_precision() == pytest.approx(average_precision_score(labels, scores), abs=1e-12)
    assert ranked.roc_auc(weights) == pytest.approx(roc_auc_score(labels, scores, sample_weight=weights), abs=1e-12)
    assert ranked.average_precision(weights) == pytest.approx(
        average_precision_score(labels, scores, sample_weight=weights), abs=1e-12)


def test_one_class_gives_nan_not_an_error():
    ranked = RankedScores(np.array([0.1, 0.2]), np.array([0, 0]))
    assert np.isnan(ranked.roc_auc()) and np.isnan(ranked.average_precision())


def test_interval_holds_the_point_and_widens_when_days_move_together():
    rng = np.random.default_rng(0)
    days = np.repeat(np.arange(60), 100)
    day_effect = rng.normal(0, 1, 60)[days]  # every row of a day shares its shock
    scores = rng.random(6000) + 0.5 * day_effect
    labels = rng.random(6000) < 1 / (1 + np.exp(-(day_effect * 2 - 2)))
    by_day = day_bootstrap(scores, labels, days, n=300, seed=1)
    by_row = day_bootstrap(scores, labels, np.arange(6000), n=300, seed=1)
    for name in ("roc_auc", "pr_auc"):
        assert by_day[name].low <= by_day[name].value <= by_day[name].high
        assert by_day[name].high - by_day[name].low > 1.5 * (by_row[name].high - by_row[name].low)


def test_paired_difference_of_a_score_with_itself_is_exactly_zero():
    rng = np.random.default_rng(3)
    scores, labels, days = rng.random(500), rng.random(500) < 0.2, rng.integers(0, 20, 500)
    diff = paired_difference(scores, scores, labels, days, n=50)
    assert diff["pr_auc"].to_dict() == {"value": 0.0, "low": 0.0, "high": 0.0}


def test_per_symbol_spread_skips_symbols_with_one_class():
    scores = np.array([0.1, 0.9, 0.2, 0.8, 0.5, 0.6])
    labels = np.array([0, 1, 1, 0, 0, 0])
    groups = np.array(["a", "a", "b", "b", "c", "c"])
    spread = per_group_auc(scores, labels, groups)
    assert spread["groups"] == 2 and spread["median"] == pytest.approx(0.5)
