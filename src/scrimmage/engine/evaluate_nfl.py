"""Football report for ``nfl-pregame``: the model beside home-field, Elo and closing-line baselines.

Every predictor is scored by the same code (``metrics.football.score_games``) on the same games;
the closing line only exists where a line was matched, so when some games lack one the model is
also scored on exactly that subset (``model_on_line_games``) for a like-for-like comparison.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from torch import Tensor

from scrimmage.data.datamodule import DataBundle
from scrimmage.engine.evaluators import register_evaluator
from scrimmage.metrics.classification import binary_metrics
from scrimmage.metrics.football import MARGIN_SIGMA, normal_cdf, score_games
from scrimmage.models.baselines import BaselinePrediction, closing_line_baseline, elo_baseline, home_field_baseline


@register_evaluator("nfl-pregame")
def evaluate_nfl_pregame(bundle: DataBundle, split: str, pred: Tensor) -> dict[str, Any]:
    target = bundle.frames[split]
    train = bundle.frames["train"]
    values = pred.numpy().astype(np.float64)
    home_true, away_true = target["home_score"].to_numpy(float), target["away_score"].to_numpy(float)
    metrics = score_games(home_true, away_true, values[:, 0], values[:, 1], values[:, 2])
    metrics |= _win_probability_quality(home_true, away_true, normal_cdf(values[:, 2] / MARGIN_SIGMA))

    baselines: dict[str, dict[str, float]] = {}
    for prediction in (home_field_baseline(train, target), elo_baseline(bundle.frames["games"], target)):
        baselines[prediction.name] = _score(prediction, target)
    if "spread_home" in target.columns and target["spread_home"].notna().any():
        mean_total = float((train["home_score"] + train["away_score"]).mean())
        line = closing_line_baseline(target, total_fallback=mean_total)
        baselines["closing_line"] = _score(line, target) | {"n_excluded": line.n_excluded}
        on_line = target["game_id"].isin(set(line.game_id)).to_numpy()
        if line.n_excluded:  # some games lack a line: also score the model on exactly the line's games
            baselines["model_on_line_games"] = score_games(
                home_true[on_line], away_true[on_line], values[on_line, 0], values[on_line, 1], values[on_line, 2]
            )
    return {"metrics": metrics, "baselines": baselines}


def _score(prediction: BaselinePrediction, target: Any) -> dict[str, float]:
    home_true, away_true = prediction.truth(target)
    scores = score_games(
        home_true, away_true, prediction.pred_home, prediction.pred_away,
        prediction.pred_margin, prediction.pred_home_win_prob,
    )
    return scores | _win_probability_quality(home_true, away_true, prediction.pred_home_win_prob)


def _win_probability_quality(home: np.ndarray, away: np.ndarray, prob: np.ndarray) -> dict[str, float]:
    """AUROC and expected calibration error of P(home win) on games that had a winner."""
    decided = home != away
    quality = binary_metrics(prob[decided], (home > away)[decided])
    return {"home_win_auroc": quality.get("auroc", float("nan")), "home_win_ece": quality.get("ece", float("nan"))}
