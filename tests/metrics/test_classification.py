"""Binary metrics on hand cases: average precision (PR-AUC), decisions at a threshold, the F1-maximising threshold."""

from __future__ import annotations

import math

import numpy as np
import pytest

from scrimmage.metrics.classification import average_precision, best_f1_threshold, binary_metrics, threshold_metrics

PROB = [0.9, 0.8, 0.7, 0.6]
TRUTH = [1, 0, 1, 0]


def test_average_precision_by_hand():
    # ranked: + - + -  -> precision at each positive: 1/1 and 2/3, each recall step 1/2
    assert average_precision(PROB, TRUTH) == pytest.approx(0.5 * 1 + 0.5 * 2 / 3)
    assert average_precision([0.1, 0.9], [0, 1]) == pytest.approx(1.0)
    assert average_precision([0.9, 0.1], [0, 1]) == pytest.approx(0.5)


def test_average_precision_is_undefined_without_a_positive():
    assert math.isnan(average_precision([0.2, 0.4], [0, 0]))
    assert math.isnan(average_precision([], []))


def test_threshold_metrics_by_hand_and_the_threshold_itself_counts_as_positive():
    # called positive at >= 0.7: 0.9 (+), 0.8 (-), 0.7 (+) -> tp 2, fp 1, fn 0, tn 1
    m = threshold_metrics(PROB, TRUTH, 0.7)
    assert m == pytest.approx({"accuracy": 0.75, "precision": 2 / 3, "recall": 1.0, "f1": 0.8})
    m = threshold_metrics(PROB, TRUTH, 0.95)  # nothing called positive
    assert m == pytest.approx({"accuracy": 0.5, "precision": 0.0, "recall": 0.0, "f1": 0.0})


def test_best_f1_threshold_by_hand():
    # thresholds 0.9: F1 2/3, 0.8: 1/2, 0.7: 4/5, 0.6: 2/3
    assert best_f1_threshold(PROB, TRUTH) == pytest.approx(0.7)
    assert best_f1_threshold([0.2, 0.4], [0, 0]) is None
    assert best_f1_threshold([], []) is None


def test_best_f1_threshold_beats_every_other_decision_on_random_scores():
    rng = np.random.default_rng(0)
    truth = rng.random(400) < 0.1
    prob = np.clip(0.3 * truth + rng.random(400) * 0.7, 0, 1).astype(np.float32)
    best = best_f1_threshold(prob, truth)
    f1 = threshold_metrics(prob, truth, best)["f1"]
    assert all(threshold_metrics(prob, truth, t)["f1"] <= f1 + 1e-12 for t in np.unique(prob))
    assert f1 >= threshold_metrics(prob, truth, 0.5)["f1"]


def test_binary_metrics_report_pr_auc_beside_auroc():
    m = binary_metrics(PROB, TRUTH)
    assert m["pr_auc"] == pytest.approx(5 / 6) and m["auroc"] == pytest.approx(0.75)
