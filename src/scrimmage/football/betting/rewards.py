"""Payoffs of each betting action per game, at a fixed American price (risk 1 unit).

Against the spread (``spread_home`` in the betting convention: negative when home is favoured),
home covers when ``margin + spread_home > 0``, away covers when it is ``< 0``, and ``== 0`` is a
push (stake back: reward 0). Over/under: ``home + away`` against ``total_line``, equal is a push.
A win pays ``price_payout(odds)`` per unit risked (-110: 100/110 = 0.909), a loss costs 1.
"""

from __future__ import annotations

import numpy as np

ATS_ACTIONS = ("no_bet", "home_ats", "away_ats")
TOTAL_ACTIONS = ("over", "under")


def price_payout(odds: float) -> float:
    """Profit per unit risked at American ``odds`` (-110 → 0.909, +150 → 1.5)."""
    if -100 < odds < 100:
        raise ValueError(f"American odds are <= -100 or >= 100, got {odds}")
    return 100.0 / -odds if odds < 0 else odds / 100.0


def settle(side: np.ndarray, payout: float) -> np.ndarray:
    """Reward of a bet on the side whose result is ``side`` (> 0 won, < 0 lost, 0 push)."""
    return np.where(side > 0, payout, np.where(side < 0, -1.0, 0.0))


def action_rewards(margin: np.ndarray, total: np.ndarray, spread_home: np.ndarray, total_line: np.ndarray,
                   payout: float, over_under: bool) -> np.ndarray:
    """``[games, actions]`` rewards in the order of :data:`ATS_ACTIONS` (+ :data:`TOTAL_ACTIONS`)."""
    cover = np.asarray(margin, float) + np.asarray(spread_home, float)  # > 0: home covered
    columns = [np.zeros(len(cover)), settle(cover, payout), settle(-cover, payout)]
    if over_under:
        over = np.asarray(total, float) - np.asarray(total_line, float)
        columns += [settle(over, payout), settle(-over, payout)]
    return np.column_stack(columns)
