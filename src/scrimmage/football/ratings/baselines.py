"""Reference baselines for NFL game prediction: home field only, Elo, and the closing line.

Why: a game model is only interesting relative to these. All three return the same
:class:`BaselinePrediction` so they are scored by one path (``football.metrics.score_games``).

* Home field only: constants from the training games (mean home points, mean away points,
  mean margin; P(home win) = training home-win rate with ties counted as half a win).
* Elo: margin from :func:`scrimmage.football.ratings.elo.elo_predictions`; points split the mean total
  of the training games (those in ``all_games`` dated before the first target game):
  ``home = (mean_total + margin)/2``, ``away = (mean_total - margin)/2``.
* Closing line: ``margin = -spread_home``; ``home/away = (total_line ± margin)/2``
  (``total_fallback`` where the total is missing); P(home win) = Normal cdf(margin / 13.5),
  13.5 being the NFL standard deviation of results around the spread. Games without a
  spread are excluded and counted in ``n_excluded``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from scrimmage.errors import DataError
from scrimmage.football.ratings.elo import EloSpec, elo_predictions
from scrimmage.football.ratings.metrics import MARGIN_SIGMA, normal_cdf

DEFAULT_ELO = EloSpec()


@dataclass
class BaselinePrediction:
    name: str
    game_id: np.ndarray
    pred_home: np.ndarray
    pred_away: np.ndarray
    pred_margin: np.ndarray
    pred_home_win_prob: np.ndarray
    n_excluded: int = 0

    def truth(self, target: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
        """Actual (home_score, away_score) of ``target`` in this prediction's game order."""
        t = target.set_index("game_id").loc[self.game_id]
        return t["home_score"].to_numpy(float), t["away_score"].to_numpy(float)


def _home_win_rate(games: pd.DataFrame) -> float:
    m = games["home_score"].to_numpy(float) - games["away_score"].to_numpy(float)
    return float(np.mean(np.where(m > 0, 1.0, np.where(m < 0, 0.0, 0.5))))


def home_field_baseline(train: pd.DataFrame, target: pd.DataFrame) -> BaselinePrediction:
    """Every target game gets the training means: home field is the only signal."""
    if len(train) == 0:
        raise DataError("home_field_baseline needs at least one training game")
    n = len(target)
    home, away = float(train["home_score"].mean()), float(train["away_score"].mean())
    margin = float((train["home_score"] - train["away_score"]).mean())
    return BaselinePrediction(
        "home_field", target["game_id"].to_numpy(), np.full(n, home), np.full(n, away),
        np.full(n, margin), np.full(n, _home_win_rate(train)),
    )


def elo_baseline(
    all_games: pd.DataFrame, target: pd.DataFrame, spec: EloSpec = DEFAULT_ELO
) -> BaselinePrediction:
    """Elo run over ``all_games`` (history + target); target games use pre-game ratings."""
    elo = elo_predictions(all_games, spec)
    missing = set(target["game_id"]) - set(elo.index)
    if missing:
        raise DataError(f"{len(missing)} target games are not REG/POST games of all_games, "
                        f"e.g. {sorted(missing)[:3]}")
    first = pd.to_datetime(target["date"]).min()
    train = all_games[pd.to_datetime(all_games["date"]) < first]
    if len(train) == 0:
        raise DataError("elo_baseline needs games before the first target game for the mean total")
    mean_total = float((train["home_score"] + train["away_score"]).mean())
    e = elo.loc[target["game_id"]]
    margin = e["pred_margin"].to_numpy()
    return BaselinePrediction(
        "elo", target["game_id"].to_numpy(), (mean_total + margin) / 2,
        (mean_total - margin) / 2, margin, e["pred_home_win_prob"].to_numpy(),
    )


def closing_line_baseline(
    target: pd.DataFrame, total_fallback: float | None = None
) -> BaselinePrediction:
    """The betting market's closing spread and total as a prediction."""
    if "spread_home" not in target.columns:
        raise DataError("closing_line_baseline needs a spread_home column (negative = home favoured)")
    has = target["spread_home"].notna().to_numpy()
    if not has.any():
        raise DataError("no target game has a closing spread; cannot score the closing line")
    t = target[has]
    margin = -t["spread_home"].to_numpy(float)
    total = (t["total_line"].to_numpy(float) if "total_line" in t.columns
             else np.full(len(t), np.nan))
    if np.isnan(total).any():
        if total_fallback is None:
            raise DataError("some games lack total_line; pass total_fallback (e.g. mean total)")
        total = np.where(np.isnan(total), total_fallback, total)
    return BaselinePrediction(
        "closing_line", t["game_id"].to_numpy(), (total + margin) / 2, (total - margin) / 2,
        margin, normal_cdf(margin / MARGIN_SIGMA), n_excluded=int((~has).sum()),
    )
