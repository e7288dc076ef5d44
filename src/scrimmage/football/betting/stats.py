"""Betting records with honest uncertainty: bets, win rate, ROI, Sharpe, maximum drawdown, each with a
bootstrap interval over games, and a binomial test of the win rate against break-even.

A strategy is a stake per game (0 = no bet) and the reward per unit staked of the side it took
(+payout win, -1 loss, 0 push), in game order. Definitions:

* win rate: wins / (wins + losses), pushes left out; break-even is ``1 / (1 + payout)`` (52.38% at -110);
* ROI: profit / total staked;
* Sharpe: mean / standard deviation of the profit per bet (per bet, not annualised);
* maximum drawdown: the largest fall of cumulative profit from its running peak, in units staked;
* intervals: 95% percentile bootstrap, resampling games with replacement (kept in game order). Written here
  rather than with ``scipy.stats.bootstrap``: all five statistics read one shared resample of games, and the
  drawdown needs the resampled games in order, which scipy's per-statistic resampling does not keep;
* p_break_even: one-sided exact binomial test (scipy) that the win rate exceeds break-even.

About 100 decided bets give a win-rate standard error near 5 points (sqrt(0.25 / 100)), so a
record has to be far from 52.4% before it says anything: :func:`verdict` says so in words.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

STATS = ("bets", "win_rate", "roi", "sharpe", "max_drawdown")


@dataclass(frozen=True)
class Strategy:
    name: str
    stake: np.ndarray
    """Units staked per game (0: no bet)."""
    reward: np.ndarray
    """Reward per unit staked of the side taken (anything where the stake is 0)."""


def record(stake: np.ndarray, reward: np.ndarray) -> dict[str, float]:
    """The :data:`STATS` of one sequence of games."""
    bet = stake > 0
    profit = (stake * np.where(bet, reward, 0.0))[bet]
    wins, losses = int((reward[bet] > 0).sum()), int((reward[bet] < 0).sum())
    staked = float(stake[bet].sum())
    curve = np.cumsum(profit)
    peak = np.maximum.accumulate(np.r_[0.0, curve])[1:] if len(curve) else curve
    return {
        "bets": float(bet.sum()),
        "win_rate": wins / (wins + losses) if wins + losses else float("nan"),
        "roi": float(profit.sum()) / staked if staked > 0 else float("nan"),
        "sharpe": float(profit.mean() / profit.std(ddof=1)) if len(profit) > 1 and profit.std(ddof=1) > 0 else float("nan"),
        "max_drawdown": float((peak - curve).max()) if len(curve) else 0.0,
    }


def bootstrap(stake: np.ndarray, reward: np.ndarray, n: int = 2000, seed: int = 0) -> dict[str, list[float]]:
    """95% percentile intervals of each statistic, resampling games (sorted, so drawdowns keep the game order)."""
    rng = np.random.default_rng(seed)
    draws = {k: np.empty(n) for k in STATS}
    size = len(stake)
    for i in range(n):
        rows = np.sort(rng.integers(0, size, size))
        for k, v in record(stake[rows], reward[rows]).items():
            draws[k][i] = v
    return {k: [float(np.nanpercentile(v, 2.5)), float(np.nanpercentile(v, 97.5))] if np.isfinite(v).any()
            else [float("nan"), float("nan")] for k, v in draws.items()}


def binomial_p(stake: np.ndarray, reward: np.ndarray, break_even: float) -> float:
    """One-sided exact binomial p-value that the win rate (pushes left out) is above ``break_even``."""
    from scipy.stats import binomtest

    bet = stake > 0
    wins, losses = int((reward[bet] > 0).sum()), int((reward[bet] < 0).sum())
    if wins + losses == 0:
        return float("nan")
    return float(binomtest(wins, wins + losses, break_even, alternative="greater").pvalue)


def verdict(row: dict[str, Any], break_even: float) -> str:
    """A plain sentence: can this record be told from break-even?"""
    decided = row["bets"]
    if not decided:
        return "no bets"
    low, high = row["win_rate_ci"]
    se = float(np.sqrt(0.25 / decided))
    if low > break_even:
        return f"win rate above break-even (95% interval {low:.1%}-{high:.1%}; p={row['p_break_even']:.3f})"
    if high < break_even:
        return f"win rate below break-even (95% interval {low:.1%}-{high:.1%})"
    return (f"cannot be told from break-even {break_even:.1%}: 95% interval {low:.1%}-{high:.1%} "
            f"({int(decided)} bets, standard error ~{se:.1%})")


def evaluate_strategy(strategy: Strategy, seasons: np.ndarray, break_even: float, n_boot: int = 2000,
                      seed: int = 0) -> dict[str, Any]:
    """The record, its intervals, the binomial test and the season-by-season records of one strategy."""
    row: dict[str, Any] = record(strategy.stake, strategy.reward)
    intervals = bootstrap(strategy.stake, strategy.reward, n_boot, seed)
    row |= {f"{k}_ci": intervals[k] for k in STATS}
    row["p_break_even"] = binomial_p(strategy.stake, strategy.reward, break_even)
    row["by_season"] = {int(s): record(strategy.stake[seasons == s], strategy.reward[seasons == s])
                        for s in np.unique(seasons)}
    row["verdict"] = verdict(row, break_even)
    return row
