"""A long-only backtest of a classifier's signals on the test period, beside the rules a sceptic would try.

Rules (the same for every strategy): enter at the close of hour ``t`` when the score reaches the
threshold, hold ``horizon`` hours, exit at that close; one position per symbol at a time (signals
while holding are ignored), a fee of ``fee`` per side, capital split equally over the symbols (each
symbol's sleeve compounds its own trades; no rebalancing between sleeves). Sleeves are marked to
market every hour, so the Sharpe ratio (hourly returns, annualised with sqrt(24 x 365)) and the
maximum drawdown see open positions, not only closed trades.

Why hand-written: the vectorised backtest libraries (vectorbt, backtesting.py) either hold one
instrument or rebalance a portfolio every bar; "non-overlapping fixed-horizon trades per symbol with
equal capital sleeves" is a dozen lines of numpy here and fully tested on hand cases.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

HOURS_PER_YEAR = 24 * 365


@dataclass
class SymbolPath:
    """One symbol's hourly closes on the common grid (NaN where the symbol has no price) and its scores."""

    symbol: str
    close: np.ndarray
    score: np.ndarray
    """NaN where no decision is possible (no window or no label at that hour)."""


@dataclass
class StrategyResult:
    name: str
    trades: int
    hit_rate: float
    mean_trade_return: float
    total_return: float
    sharpe: float
    max_drawdown: float
    exposure: float
    per_symbol: dict[str, dict[str, float]] = field(default_factory=dict)
    equity: np.ndarray | None = None

    def summary(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items() if k not in ("per_symbol", "equity", "name")}


def price_grid(frame: pd.DataFrame, horizon: int) -> tuple[pd.DatetimeIndex, list[SymbolPath]]:
    """Hourly grid of the test period with every symbol's closes and scores.

    ``frame`` has ``symbol``, ``time``, ``close``, ``forward_return`` and ``score``; the close ``horizon``
    hours after each decision comes from its forward return, so the last trades can be marked too.
    """
    times = pd.to_datetime(frame["time"], utc=True)
    later = times + pd.Timedelta(hours=horizon)
    grid = pd.date_range(times.min(), later.max(), freq="h")
    paths = []
    for symbol, rows in frame.assign(time=times, later=later).groupby("symbol", sort=True):
        close = pd.Series(np.nan, index=grid)
        close.loc[rows["later"]] = (rows["close"] * (1 + rows["forward_return"])).to_numpy()
        close.loc[rows["time"]] = rows["close"].to_numpy()
        paths.append(SymbolPath(str(symbol), close.ffill().to_numpy(), _on_grid(grid, rows["time"], rows["score"])))
    return grid, paths


def scores_on_grid(frame: pd.DataFrame, grid: pd.DatetimeIndex, column: str) -> list[np.ndarray]:
    """Another score column on an existing grid, one array per symbol in :func:`price_grid`'s order (a second
    rule traded on the same prices without rebuilding them)."""
    times = pd.to_datetime(frame["time"], utc=True)
    return [_on_grid(grid, rows["time"], rows[column])
            for _, rows in frame.assign(time=times).groupby("symbol", sort=True)]


def _on_grid(grid: pd.DatetimeIndex, times: pd.Series, values: pd.Series) -> np.ndarray:
    series = pd.Series(np.nan, index=grid)
    series.loc[times] = values.to_numpy()
    return series.to_numpy()


def _entries(score: np.ndarray, threshold: float, horizon: int) -> list[int]:
    """Entry hours: the first hour at or above the threshold, then the next one after each exit."""
    hits = np.flatnonzero(score >= threshold)
    out, free_from = [], 0
    for t in hits:
        if t >= free_from:
            out.append(int(t))
            free_from = t + horizon
    return out


def _sleeve(close: np.ndarray, entries: list[int], horizon: int, fee: float) -> tuple[np.ndarray, list[float], np.ndarray]:
    """Value path of one sleeve starting at 1, the net return of each trade, and the hours held."""
    n = len(close)
    value = np.ones(n)
    held = np.zeros(n, dtype=bool)
    returns = []
    level = 1.0
    last = 0
    for t0 in entries:
        t1 = min(t0 + horizon, n - 1)
        if t1 <= t0 or not np.isfinite(close[t0]) or not np.isfinite(close[t1]):
            continue
        value[last : t0 + 1] = level
        growth = close[t0 + 1 : t1 + 1] / close[t0]
        value[t0 + 1 : t1 + 1] = level * (1 - fee) * growth
        value[t1] *= 1 - fee
        held[t0 + 1 : t1 + 1] = True
        returns.append(float(value[t1] / level - 1))
        level = float(value[t1])
        last = t1
    value[last:] = level  # flat after the last exit (1.0 when nothing traded)
    return value, returns, held


def _stats(name: str, grid_values: list[np.ndarray], trade_returns: list[list[float]], held: list[np.ndarray],
           symbols: list[str]) -> StrategyResult:
    equity = np.mean(grid_values, axis=0)
    hourly = np.diff(equity) / equity[:-1]
    sharpe = float(hourly.mean() / hourly.std() * np.sqrt(HOURS_PER_YEAR)) if hourly.std() > 0 else 0.0
    drawdown = float((equity / np.maximum.accumulate(equity) - 1).min())
    every = [r for rs in trade_returns for r in rs]
    per_symbol = {
        s: {"trades": len(rs), "hit_rate": float(np.mean([r > 0 for r in rs])) if rs else float("nan"),
            "mean_trade_return": float(np.mean(rs)) if rs else float("nan"), "total_return": float(v[-1] - 1)}
        for s, rs, v in zip(symbols, trade_returns, grid_values)
    }
    return StrategyResult(
        name, len(every), float(np.mean([r > 0 for r in every])) if every else float("nan"),
        float(np.mean(every)) if every else float("nan"), float(equity[-1] - 1), sharpe, drawdown,
        float(np.mean(held)), per_symbol, equity,
    )


def signal_strategy(name: str, paths: list[SymbolPath], threshold: float, horizon: int, fee: float,
                    scores: list[np.ndarray] | None = None) -> StrategyResult:
    """Enter when the score reaches ``threshold`` (``scores`` replaces the paths' own, e.g. a baseline's)."""
    values, returns, held = [], [], []
    for i, path in enumerate(paths):
        score = path.score if scores is None else scores[i]
        v, r, h = _sleeve(path.close, _entries(np.nan_to_num(score, nan=-np.inf), threshold, horizon), horizon, fee)
        values.append(v), returns.append(r), held.append(h)
    return _stats(name, values, returns, held, [p.symbol for p in paths])


def every_horizon(paths: list[SymbolPath], horizon: int, fee: float) -> StrategyResult:
    """Always in the market: a new trade every ``horizon`` hours wherever a decision is possible."""
    always = [np.where(np.isfinite(p.score), 1.0, np.nan) for p in paths]
    return signal_strategy(f"every {horizon} h", paths, 1.0, horizon, fee, always)


def buy_and_hold(name: str, paths: list[SymbolPath], fee: float) -> StrategyResult:
    """Buy each sleeve at its first price of the period, sell at the last (one fee each side)."""
    values, returns, held = [], [], []
    for path in paths:
        finite = np.flatnonzero(np.isfinite(path.close))
        if len(finite) < 2:
            values.append(np.ones(len(path.close))), returns.append([]), held.append(np.zeros(len(path.close), bool))
            continue
        first, last = int(finite[0]), int(finite[-1])
        v, r, h = _sleeve(path.close, [first], last - first, fee)
        values.append(v), returns.append(r), held.append(h)
    return _stats(name, values, returns, held, [p.symbol for p in paths])
