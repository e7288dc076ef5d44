"""The backtest's result as table cells, shared by the terminal and the HTML page."""

from __future__ import annotations

from typing import Any

HEADERS = ["strategy", "trades", "hit rate", "mean trade", "total return", "Sharpe", "max drawdown", "exposure"]


def percent(value: float, sign: bool = True) -> str:
    return "-" if value != value else (f"{value:+.1%}" if sign else f"{value:.1%}")


def rows_of(result: Any) -> list[list[str]]:
    return [[s.name, f"{s.trades:,}", percent(s.hit_rate, sign=False), percent(s.mean_trade_return),
             percent(s.total_return), f"{s.sharpe:.2f}", percent(s.max_drawdown, sign=False), f"{s.exposure:.0%}"]
            for s in result.strategies]
