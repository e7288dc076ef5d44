"""``backtest(run)``: a market-classifier run's test-period signals traded, beside the baselines (the API the
``scrimmage report backtest`` command prints)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from scrimmage.errors import ArgumentError
from scrimmage.markets.evaluation.backtest import (
    StrategyResult,
    buy_and_hold,
    every_horizon,
    price_grid,
    scores_on_grid,
    signal_strategy,
)
from scrimmage.markets.evaluation.thresholds import best_f1_threshold

BENCHMARK_SYMBOL = "BTCUSDT"


@dataclass
class Backtest:
    run_id: str | None
    checkpoint: str
    horizon: int
    fee: float
    threshold: float
    start: str
    end: str
    symbols: int
    strategies: list[StrategyResult]
    verdict: str
    grid: pd.DatetimeIndex | None = None
    notes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "run_id": self.run_id, "checkpoint": self.checkpoint, "horizon": self.horizon, "fee": self.fee,
            "threshold": self.threshold, "start": self.start, "end": self.end, "symbols": self.symbols,
            "strategies": {s.name: s.summary() for s in self.strategies},
            "per_symbol": {s.name: s.per_symbol for s in self.strategies[:1]},
            "verdict": self.verdict, "notes": self.notes,
        }


def _scores(loaded: Any, split: Any, batch_size: int = 8192) -> np.ndarray:
    import torch

    out = []
    with torch.no_grad():
        for batch in split.batches(batch_size):
            out.append(loaded.task.decode(loaded.model(batch))["prob_yes"])
    return np.concatenate(out) if out else np.zeros(0)


def model_threshold(loaded: Any) -> float:
    """The decision threshold stored with the checkpoint's task (tuned on validation), else 0.5."""
    from scrimmage.engine.tasks.base import Stateful

    state = loaded.task.state_dict() if isinstance(loaded.task, Stateful) else {}
    value = state.get("threshold")
    return float(value) if value is not None else 0.5


def backtest(target: str | Path, workdir: str | Path | None = None, fee: float = 0.001,
             progress: Any = lambda text: None) -> Backtest:
    """Trade the test period of a ``market-windows`` run (run id or checkpoint) and its baselines."""
    from scrimmage.export.checkpoint import load_model
    from scrimmage.paths import resolve_workdir

    if not (np.isfinite(fee) and 0 <= fee < 0.1):
        raise ArgumentError(f"--fee must be a fraction per side from 0 to 0.1 (0.001 = 0.1%), got {fee}")
    loaded = load_model(target, workdir)
    if loaded.config.data.name != "market-windows":
        raise ArgumentError(f"{loaded.path} is a run on dataset '{loaded.config.data.name}'; a backtest needs a "
                            "market-windows run (a classifier of market signals)")
    root = resolve_workdir(workdir)
    progress("building the run's dataset")
    data = loaded.config.data.build(root)
    horizon = int(data.info["horizon"])
    threshold = model_threshold(loaded)
    progress("scoring the test windows")
    test = data.frames["test"].assign(score=_scores(loaded, data.splits["test"]))
    val = data.frames["val"]
    vol_threshold = best_f1_threshold(val["vol_24h"].to_numpy(float), val["y"].to_numpy())

    grid, paths = price_grid(test, horizon)
    vol_scores = scores_on_grid(test, grid, "vol_24h")  # the volatility rule trades the same prices
    strategies = [
        signal_strategy("model", paths, threshold, horizon, fee),
        buy_and_hold("buy & hold basket", paths, fee),
    ]
    btc = [p for p in paths if p.symbol == BENCHMARK_SYMBOL]
    if btc:
        strategies.append(buy_and_hold("buy & hold BTC", btc, fee))
    strategies += [every_horizon(paths, horizon, fee),
                   signal_strategy("volatility rule", paths, vol_threshold, horizon, fee, vol_scores)]
    model, basket = strategies[0], strategies[1]
    if model.trades == 0:
        verdict = f"the model never reached its threshold {threshold:.3f} in the test period: no trades"
    else:
        earned = "earned" if model.total_return > 0 else "lost"
        versus = "beat" if model.total_return > basket.total_return else "lost to"
        verdict = (f"the model {earned} {model.total_return:+.1%} after fees and {versus} buying and holding the "
                   f"basket ({basket.total_return:+.1%})")
    notes = [f"entries at the close when P(yes) >= {threshold:.3f} (tuned on validation), hold {horizon} h, "
             f"fee {fee:.2%} per side, capital split equally over {len(paths)} symbols",
             f"volatility rule: 24 h volatility >= {vol_threshold:.4f} (its own threshold, tuned on validation)"]
    if not btc:
        notes.append(f"{BENCHMARK_SYMBOL} is not among the run's symbols: no BTC benchmark")
    return Backtest(loaded.run_id, str(loaded.path), horizon, fee, threshold, str(grid[0]), str(grid[-1]),
                    len(paths), strategies, verdict, grid, notes)
