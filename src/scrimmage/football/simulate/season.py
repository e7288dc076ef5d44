"""Season projections: the games already played with their real results, the rest simulated.

``scrimmage simulate --season 2019 --from-week 9`` counts every regular-season game before week 9
with its real result and simulates every game from week 9 on ``n`` times (one batch, each game
with its teams' form entering week 9: nothing from the weeks being projected). Simulation index
``i`` of the season is the ``i``-th simulated outcome of every remaining game, so each index is
one complete season; a team's final win total in it is its real wins so far plus its simulated
wins (a tie counts half a win, as in the standings). Per team: wins so far, projected mean, SD
and p10 / p50 / p90 of the final total, and beside them the season's real final wins (the data
holds the whole season: a backtest).

:func:`project_season` is the pure combination step (numpy, no sampler), tested on hand-made
seasons; :func:`split_season` cuts the games table at the week.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

QUANTILES = {"p10": 0.1, "p50": 0.5, "p90": 0.9}


def split_season(games: pd.DataFrame, season: int, from_week: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The season's REG games before ``from_week`` (played) and from it on (to simulate), each in
    (week, date, game id) order."""
    reg = games[(games["season"] == season) & (games["season_type"] == "REG")]
    order = [c for c in ("week", "date", "game_id") if c in reg.columns]
    reg = reg.sort_values(order, kind="stable").reset_index(drop=True)
    return reg[reg["week"] < from_week].reset_index(drop=True), reg[reg["week"] >= from_week].reset_index(drop=True)


def _wins(home_margin: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Home and away wins for home-minus-away margins (a tie is half a win each)."""
    tie = (home_margin == 0) * 0.5
    return (home_margin > 0) + tie, (home_margin < 0) + tie


def project_season(
    played: pd.DataFrame,
    remaining_home: Sequence[str],
    remaining_away: Sequence[str],
    simulated_margin: np.ndarray,
    real_remaining_margin: Sequence[float] | None = None,
) -> list[dict[str, Any]]:
    """Combine real results with simulated ones into each team's final win distribution.

    ``played``: the games already played (``home_team``, ``away_team``, ``home_score``,
    ``away_score``). ``remaining_home`` / ``remaining_away``: the ``G`` games still to play;
    ``simulated_margin`` ``[G, n]``: home minus away points of simulation ``i`` of game ``g``
    (simulation ``i`` of every game makes season ``i``). ``real_remaining_margin``: those games'
    real margins, when known, for the real final wins.

    Returns one dict per team (every team in ``played`` or the remaining games), sorted by
    projected mean wins (most first, then by team code): ``team``, ``played``, ``wins_so_far``,
    ``remaining``, ``mean``, ``sd``, ``p10``, ``p50``, ``p90`` and, with the real margins,
    ``real_final_wins``. Each season's win totals add up to the number of games.
    """
    margin = np.asarray(simulated_margin, dtype=np.float64)
    g = len(remaining_home)
    if len(remaining_away) != g:
        raise ValueError(f"{g} home teams but {len(remaining_away)} away teams")
    if margin.ndim != 2 or margin.shape[0] != g:
        raise ValueError(f"simulated_margin must be [games={g}, n], got shape {margin.shape}")
    n = margin.shape[1]
    played_home, played_away = played["home_team"].astype(str).tolist(), played["away_team"].astype(str).tolist()
    teams = sorted(set(played_home) | set(played_away) | set(map(str, remaining_home)) | set(map(str, remaining_away)))
    index = {t: i for i, t in enumerate(teams)}
    t = len(teams)

    so_far = np.zeros(t)
    games_played = np.zeros(t, dtype=np.int64)
    real_margin = (played["home_score"] - played["away_score"]).to_numpy(np.float64)
    home_w, away_w = _wins(real_margin)
    h_idx = np.array([index[x] for x in played_home], dtype=np.int64)
    a_idx = np.array([index[x] for x in played_away], dtype=np.int64)
    np.add.at(so_far, h_idx, home_w)
    np.add.at(so_far, a_idx, away_w)
    np.add.at(games_played, h_idx, 1)
    np.add.at(games_played, a_idx, 1)

    rh = np.array([index[str(x)] for x in remaining_home], dtype=np.int64)
    ra = np.array([index[str(x)] for x in remaining_away], dtype=np.int64)
    left = np.zeros(t, dtype=np.int64)
    np.add.at(left, rh, 1)
    np.add.at(left, ra, 1)
    final = np.repeat(so_far[:, None], n, axis=1)  # [T, n]
    sim_home, sim_away = _wins(margin)  # [G, n]
    np.add.at(final, rh, sim_home)
    np.add.at(final, ra, sim_away)

    real_final = None
    if real_remaining_margin is not None:
        rm = np.asarray(real_remaining_margin, dtype=np.float64)
        if rm.shape != (g,):
            raise ValueError(f"real_remaining_margin must have {g} values, got shape {rm.shape}")
        real_final = so_far.copy()
        rw_home, rw_away = _wins(rm)
        np.add.at(real_final, rh, rw_home)
        np.add.at(real_final, ra, rw_away)

    quantiles = np.quantile(final, list(QUANTILES.values()), axis=1) if n else np.full((len(QUANTILES), t), np.nan)
    rows = []
    for team, i in index.items():
        row: dict[str, Any] = {
            "team": team, "played": int(games_played[i]), "wins_so_far": float(so_far[i]), "remaining": int(left[i]),
            "mean": float(final[i].mean()), "sd": float(final[i].std(ddof=1)) if n > 1 else 0.0,
            **{k: float(quantiles[j, i]) for j, k in enumerate(QUANTILES)},
        }
        if real_final is not None:
            row["real_final_wins"] = float(real_final[i])
        rows.append(row)
    rows.sort(key=lambda r: (-r["mean"], r["team"]))
    return rows
