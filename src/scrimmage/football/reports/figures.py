"""Football pictures for ``scrimmage report run`` (registered in :data:`scrimmage.reports.hooks.FIGURES`).

``nfl-pregame``: how well the home-win probability implied by the predicted margin is calibrated
(P(home win) = Φ(margin / 13.5), the NFL's spread of results around a line) and the distribution of
margin errors against that assumed normal. Hierarchical game models (``nfl-games``, ``cfb-games``): the
pregame head's home-win calibration and margin residuals, the play-type confusion when the result holds
one (``extras["play_type_confusion"]``: ``{"classes": [...], "matrix": [[...]]}``), the play-type mix per
split, and the simulated-versus-real game statistics of the ``simulate-test-games`` report
(``sections["simulation"]``). Each picture is drawn only where the run's files hold its inputs.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from scrimmage.football.ratings.metrics import MARGIN_SIGMA, normal_cdf
from scrimmage.reports import plots
from scrimmage.reports.page import Figure


def _home_win(margin: np.ndarray, prob: np.ndarray) -> Figure | None:
    keep = np.isfinite(margin) & np.isfinite(prob) & (margin != 0)  # ties have no winner
    if keep.sum() < 10:
        return None
    return plots.reliability((margin[keep] > 0).astype(float), prob[keep], title="home-win calibration",
                             what="predicted P(home win)", outcome="share of home wins")


def pregame_figures(run: Any) -> list[Figure]:
    pred = run.predictions
    if pred is None or not {"margin", "margin_pred"} <= set(pred.columns):
        return []
    margin, predicted = pred["margin"].to_numpy(float), pred["margin_pred"].to_numpy(float)
    figures = [f for f in [_home_win(margin, normal_cdf(predicted / MARGIN_SIGMA))] if f is not None]
    figures.append(plots.histogram_vs_normal(
        margin - predicted, MARGIN_SIGMA, "margin errors", "actual - predicted home margin (points)",
        f"the win probabilities assume errors ~ normal(0, {MARGIN_SIGMA:g}); a wider histogram means overconfident probabilities"))
    return figures


def hierarchical_figures(run: Any) -> list[Figure]:
    figures: list[Figure] = []
    pred = run.predictions
    if pred is not None and {"margin", "pregame_margin_pred"} <= set(pred.columns):
        margin = pred["margin"].to_numpy(float)
        if "pregame_home_win_prob" in pred:
            calibration = _home_win(margin, pred["pregame_home_win_prob"].to_numpy(float))
            if calibration is not None:
                figures.append(calibration)
        figures.append(plots.residuals(margin, pred["pregame_margin_pred"].to_numpy(float), "pregame margin"))
    confusion = run.extras.get("play_type_confusion")
    if isinstance(confusion, dict) and confusion.get("matrix") and confusion.get("classes"):
        figures.append(plots.confusion(confusion["matrix"], confusion["classes"], "play-type confusion"))
    counts = (run.result.get("data") or {}).get("play_type_counts")
    if isinstance(counts, dict) and counts:
        shares = {split: {k: v / max(sum(c.values()), 1) for k, v in c.items()} for split, c in counts.items() if isinstance(c, dict)}
        figures.append(plots.bars(shares, "play-type mix per split", "share of plays",
                                  "the classes the play head predicts, as they occur in each split"))
    simulation = (run.result.get("simulation") or run.report.get("sections", {}).get("simulation")
                  or (run.result.get("sections") or {}).get("simulation"))
    if isinstance(simulation, dict) and isinstance(simulation.get("real"), dict) and isinstance(simulation.get("simulated"), dict):
        figures += _simulated_vs_real(simulation["real"], simulation["simulated"])
    return figures


def _simulated_vs_real(real: dict[str, float], simulated: dict[str, float]) -> list[Figure]:
    keys = [k for k in real if k != "n_games" and np.isfinite(real.get(k, np.nan)) and np.isfinite(simulated.get(k, np.nan))]
    shares = [k for k in keys if 0 <= real[k] <= 1 and 0 <= simulated[k] <= 1 and not k.endswith(("_mean", "_sd"))]
    points = [k for k in keys if k not in shares]
    out = []
    for chosen, title, unit in ((points, "simulated vs real: game statistics", "points / count"),
                                (shares, "simulated vs real: shares of games and drives", "share")):
        if chosen:
            groups = {"real": {k: real[k] for k in chosen}, "simulated": {k: simulated[k] for k in chosen}}
            out.append(plots.bars(groups, title, unit, "the test games as played beside the same games simulated from kickoff"))
    return out
