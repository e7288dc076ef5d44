"""FiveThirtyEight-style NFL Elo: a pregame rating feature and the reference baseline every game model must beat.

Why hand-written: it is a 30-line sequential update with no good maintained library for the
NFL variant, and it must be plain numpy/pandas so baselines run without torch.

Conventions (FiveThirtyEight's published NFL method, simplified):

* ``home_advantage`` = 55 Elo points added to the home side's rating difference (about 2.2
  points of margin at 25 Elo per point); neutral sites are not modelled.
* Margin-of-victory multiplier ``ln(max(|margin|, 1) + 1) * 2.2 / (winner_elo_diff*0.001 + 2.2)``
  where ``winner_elo_diff`` is the winner's rating minus the loser's, home advantage
  included (damps autocorrelation: favourites winning big earn less). Ties use 2.2/2.2 = 1.
* When a team starts a new season its rating regresses 1/3 of the way toward 1505.
* Predictions: ``pred_margin = elo_diff / 25``; ``P(home win) = 1 / (1 + 10**(-elo_diff/400))``.
  The playoff 1.2x multiplier, QB adjustments and travel distance are left out.
* Ratings update over REG and POST games in (date, game_id) order; preseason is ignored.
  Each game's prediction uses only the ratings before that game. A game without a score (a
  future fixture appended for prediction) gets its pregame ratings but updates nothing.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from scrimmage.football.ratings.history import rated_games


@dataclass(frozen=True)
class EloSpec:
    k: float = 20.0
    home_advantage: float = 55.0  # Elo points
    mov_multiplier: bool = True
    season_regression: float = 1 / 3
    initial: float = 1505.0
    points_per_elo: float = 25.0  # predicted margin = elo_diff / points_per_elo


def elo_predictions(games: pd.DataFrame, spec: EloSpec = EloSpec()) -> pd.DataFrame:
    """Pre-game Elo ratings and predictions, indexed by game_id (REG and POST games)."""
    g = rated_games(games, "Elo", extra_columns=("season",))

    rating: dict[str, float] = {}
    season_of: dict[str, int] = {}
    n = len(g)
    pre_h, pre_a = np.empty(n), np.empty(n)
    cols = zip(g["season"].to_numpy(), g["home_team"].to_numpy(), g["away_team"].to_numpy(),
               g["home_score"].to_numpy(float), g["away_score"].to_numpy(float), strict=True)
    for i, (season, home, away, hs, as_) in enumerate(cols):
        for t in (home, away):
            r = rating.get(t, spec.initial)
            if t in season_of and season_of[t] != season:
                r += spec.season_regression * (spec.initial - r)
            rating[t], season_of[t] = r, season
        rh, ra = rating[home], rating[away]
        pre_h[i], pre_a[i] = rh, ra
        if math.isnan(hs) or math.isnan(as_):  # an unplayed fixture: rated before it, learned nothing from
            continue
        diff = rh - ra + spec.home_advantage
        p_home = 1.0 / (1.0 + 10.0 ** (-diff / 400.0))
        margin = hs - as_
        result = 1.0 if margin > 0 else 0.0 if margin < 0 else 0.5
        mult = 1.0
        if spec.mov_multiplier:
            winner_diff = diff if result == 1.0 else -diff
            damp = 2.2 if result == 0.5 else winner_diff * 0.001 + 2.2
            mult = math.log(max(abs(margin), 1.0) + 1.0) * 2.2 / damp
        shift = spec.k * mult * (result - p_home)
        rating[home], rating[away] = rh + shift, ra - shift

    diff = pre_h - pre_a + spec.home_advantage
    return pd.DataFrame(
        {
            "elo_home_pre": pre_h,
            "elo_away_pre": pre_a,
            "pred_margin": diff / spec.points_per_elo,
            "pred_home_win_prob": 1.0 / (1.0 + 10.0 ** (-diff / 400.0)),
        },
        index=pd.Index(g["game_id"].to_numpy(), name="game_id"),
    )
