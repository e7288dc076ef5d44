"""Football report for ``nfl-pregame``: the model beside home-field, Elo and closing-line baselines.

Every predictor is scored by the same code (``football.metrics.score_games``) on the same games;
the closing line only exists where a line was matched, so when some games lack one the model is
also scored on exactly that subset (``model_on_line_games``) for a like-for-like comparison.

Against the spread (ATS): where a closing spread is known, the model "bets" the side its margin
favours relative to the line (home when predicted margin > -spread). Reported as picks, wins,
losses, pushes, win rate with a 95% Wilson interval and ROI at -110 odds (risk 110 to win 100;
break-even is 110/210 = 52.4%), so a reader can see whether an edge is distinguishable from luck.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from scrimmage.engine.reports import ReportContext
from scrimmage.engine.tasks.base import Report
from scrimmage.football.ratings.baselines import (
    BaselinePrediction,
    closing_line_baseline,
    elo_baseline,
    home_field_baseline,
)
from scrimmage.football.ratings.metrics import MARGIN_SIGMA, normal_cdf, score_games
from scrimmage.metrics.classification import binary_metrics

COLUMNS = {  # metric → column header
    "n_games": "games",
    "margin_rmse": "margin",
    "home_rmse": "home",
    "away_rmse": "away",
    "game_rmse_combined": "combined",
    "winner_accuracy": "win acc",
    "brier": "Brier",
}
BREAK_EVEN = 110 / 210


def pregame_report(ctx: ReportContext, generic: Report) -> Report:
    """The ``nfl-pregame-baselines`` report: the task's table with the baselines' rows and the ATS record added."""
    bundle, split, evaluation = ctx.data, ctx.split, ctx.evaluation
    target = bundle.frames[split]
    train = bundle.frames["train"]
    values = evaluation.predictions.cpu().numpy().astype(np.float64)
    home_true, away_true = target["home_score"].to_numpy(float), target["away_score"].to_numpy(float)
    model = score_games(home_true, away_true, values[:, 0], values[:, 1], values[:, 2])
    model |= _win_probability_quality(home_true, away_true, normal_cdf(values[:, 2] / MARGIN_SIGMA))

    rows: dict[str, dict[str, Any]] = {"model": model}
    for prediction in (home_field_baseline(train, target), elo_baseline(bundle.frames["games"], target)):
        rows[prediction.name] = _score(prediction, target)
    notes: list[str] = []
    extras: dict[str, Any] = {}
    if "spread_home" in target.columns and target["spread_home"].notna().any():
        mean_total = float((train["home_score"] + train["away_score"]).mean())
        line = closing_line_baseline(target, total_fallback=mean_total)
        rows["closing_line"] = _score(line, target) | {"n_excluded": line.n_excluded}
        on_line = target["game_id"].isin(set(line.game_id)).to_numpy()
        if line.n_excluded:  # some games lack a line: also score the model on exactly the line's games
            rows["model_on_line_games"] = score_games(
                home_true[on_line], away_true[on_line], values[on_line, 0], values[on_line, 1], values[on_line, 2]
            )
        ats = against_the_spread(values[:, 2], home_true - away_true, target["spread_home"].to_numpy(float))
        extras["ats"] = ats
        model.update({"ats_win_rate": ats["win_rate"], "ats_roi": ats["roi"], "ats_picks": ats["picks"]})
        notes.append(_ats_note(ats))
    return Report(f"{split} set, RMSE in points", rows, dict(COLUMNS), rank_by="game_rmse_combined",
                  notes=notes, extras=extras)


def against_the_spread(pred_margin: np.ndarray, margin: np.ndarray, spread_home: np.ndarray) -> dict[str, Any]:
    """The model's record betting its side of every closing spread (see the module docstring)."""
    has = ~np.isnan(spread_home)
    edge = pred_margin[has] + spread_home[has]  # > 0: the model likes home against the line
    cover = margin[has] + spread_home[has]  # > 0: home covered; 0: push
    picks = edge != 0
    wins = int(((np.sign(edge) == np.sign(cover)) & (cover != 0) & picks).sum())
    pushes = int(((cover == 0) & picks).sum())
    losses = int(picks.sum()) - wins - pushes
    decided = wins + losses
    rate = wins / decided if decided else float("nan")
    low, high = _wilson(wins, decided)
    return {
        "games_with_line": int(has.sum()), "picks": int(picks.sum()), "wins": wins, "losses": losses, "pushes": pushes,
        "win_rate": rate, "win_rate_ci95": [low, high], "break_even": BREAK_EVEN,
        "roi": (wins * 100 - losses * 110) / (110 * decided) if decided else float("nan"),
    }


def _wilson(wins: int, n: int, z: float = 1.96) -> tuple[float, float]:
    if n == 0:
        return float("nan"), float("nan")
    p = wins / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return centre - half, centre + half


def _ats_note(ats: dict[str, Any]) -> str:
    if not ats["wins"] + ats["losses"]:
        return "against the spread: no decided picks"
    low, high = ats["win_rate_ci95"]
    verdict = ("above break-even, but the interval includes it" if low < BREAK_EVEN < high and ats["win_rate"] > BREAK_EVEN
               else "below break-even" if ats["win_rate"] < BREAK_EVEN else "above break-even")
    return (f"against the closing spread: {ats['wins']}-{ats['losses']}-{ats['pushes']} "
            f"({ats['win_rate']:.1%}, 95% CI {low:.1%}-{high:.1%}; break-even {BREAK_EVEN:.1%}), "
            f"ROI at -110 {ats['roi']:+.1%}: {verdict}")


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
