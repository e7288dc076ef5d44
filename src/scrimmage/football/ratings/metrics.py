"""Football game metrics: the scores every game model and baseline is compared on.

Why numpy and not torchmetrics: these are computed once per evaluation on a few hundred
games, mostly from baselines that never touch torch; plain arrays keep them dependency-free.

* ``game_rmse_combined = 0.33*home_rmse + 0.33*away_rmse + 0.34*margin_rmse`` — the project's
  headline number for a game model.
* ``winner_accuracy``: sign of the predicted margin vs the actual result; tied games are
  excluded (they have no winner); a predicted margin of exactly 0 counts as a home pick.
* ``brier``: squared error of P(home win) against the outcome (win 1, loss 0, tie 0.5).
  Without a probability, P(home win) = Normal cdf(pred_margin / margin_sigma); 13.5 points is
  the usual NFL standard deviation of the actual margin around the closing spread.
"""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import ArrayLike

COMBINED_WEIGHTS = (0.33, 0.33, 0.34)

MARGIN_SIGMA = 13.5  # NFL standard deviation of results around the spread, in points


def normal_cdf(x: ArrayLike) -> np.ndarray:
    """Standard normal CDF, elementwise (no scipy needed)."""
    x = np.asarray(x, dtype=float)
    return 0.5 * (1.0 + np.vectorize(math.erf, otypes=[float])(x / math.sqrt(2.0)))


def _rmse(pred: np.ndarray, true: np.ndarray) -> float:
    return float(np.sqrt(np.mean((pred - true) ** 2)))


def score_games(
    home_true: ArrayLike, away_true: ArrayLike, pred_home: ArrayLike, pred_away: ArrayLike,
    pred_margin: ArrayLike | None = None, pred_home_win_prob: ArrayLike | None = None,
    margin_sigma: float = MARGIN_SIGMA,
) -> dict[str, float]:
    """RMSEs, winner accuracy and Brier score of game predictions (see module docstring)."""
    ht, at = np.asarray(home_true, float), np.asarray(away_true, float)
    ph, pa = np.asarray(pred_home, float), np.asarray(pred_away, float)
    pm = ph - pa if pred_margin is None else np.asarray(pred_margin, float)
    arrays = [ht, at, ph, pa, pm]
    if pred_home_win_prob is not None:
        arrays.append(np.asarray(pred_home_win_prob, float))
    if len({a.shape for a in arrays}) != 1 or ht.ndim != 1:
        raise ValueError(f"all inputs must be 1-D of equal length, got {[a.shape for a in arrays]}")
    if len(ht) == 0:
        raise ValueError("score_games needs at least one game")
    prob = normal_cdf(pm / margin_sigma) if pred_home_win_prob is None else arrays[-1]
    margin = ht - at
    outcome = np.where(margin > 0, 1.0, np.where(margin < 0, 0.0, 0.5))
    decided = margin != 0
    correct = (pm[decided] >= 0) == (margin[decided] > 0)
    home, away, marg = _rmse(ph, ht), _rmse(pa, at), _rmse(pm, margin)
    w = COMBINED_WEIGHTS
    return {
        "home_rmse": home,
        "away_rmse": away,
        "margin_rmse": marg,
        "game_rmse_combined": w[0] * home + w[1] * away + w[2] * marg,
        "winner_accuracy": float(correct.mean()) if decided.any() else float("nan"),
        "brier": float(np.mean((prob - outcome) ** 2)),
        "n_games": len(ht),
    }
