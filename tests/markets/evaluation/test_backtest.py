"""The backtest's rules on hand-made prices: entries, fixed holds, no overlap, fees per side, equal sleeves."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from scrimmage.markets.evaluation.backtest import buy_and_hold, every_horizon, price_grid, signal_strategy
from scrimmage.markets.evaluation.thresholds import at_threshold, best_f1_threshold

FEE = 0.001


def frame(symbol: str, close: list[float], score: list[float], horizon: int) -> pd.DataFrame:
    time = pd.date_range("2023-07-01", periods=len(close), freq="h", tz="UTC")
    close_a = np.asarray(close, float)
    later = np.r_[close_a[horizon:], close_a[-1] * (1 + 0.01 * np.arange(1, horizon + 1))]
    return pd.DataFrame({"symbol": symbol, "time": time, "close": close_a, "forward_return": later / close_a - 1,
                         "score": score})


def test_signals_while_holding_are_ignored_and_fees_are_paid_on_both_sides():
    prices = [100, 101, 102, 103, 104, 105, 106, 107, 108, 109]
    scores = [0.9, 0.9, 0.1, 0.1, 0.95, 0.1, 0.1, 0.1, 0.1, 0.1]  # hour 1 is inside the first trade
    _, paths = price_grid(frame("A", prices, scores, 2), 2)
    result = signal_strategy("model", paths, 0.5, 2, FEE)
    first = (1 - FEE) ** 2 * 102 / 100
    second = (1 - FEE) ** 2 * 106 / 104
    assert result.trades == 2
    assert result.mean_trade_return == pytest.approx(((first - 1) + (second - 1)) / 2)
    assert result.total_return == pytest.approx(first * second - 1)
    assert result.hit_rate == 1.0
    assert result.equity[0] == 1.0 and result.equity[-1] == pytest.approx(first * second)


def test_a_losing_trade_is_a_drawdown_and_a_miss():
    prices = [100, 90, 80, 85, 85, 85]
    _, paths = price_grid(frame("A", prices, [0.9, 0, 0, 0, 0, 0], 2), 2)
    result = signal_strategy("model", paths, 0.5, 2, 0.0)
    assert result.trades == 1 and result.hit_rate == 0.0
    assert result.total_return == pytest.approx(-0.2)
    assert result.max_drawdown == pytest.approx(-0.2)


def test_capital_is_split_equally_over_symbols():
    a = frame("A", [100, 110, 120, 120], [0.9, 0, 0, 0], 2)
    b = frame("B", [50, 50, 50, 50], [0, 0, 0, 0], 2)
    _, paths = price_grid(pd.concat([a, b]), 2)
    result = signal_strategy("model", paths, 0.5, 2, 0.0)
    assert result.total_return == pytest.approx(0.5 * 0.2)  # half the capital earned 20%, the other half waited
    assert result.per_symbol["B"]["trades"] == 0


def test_buy_and_hold_and_every_horizon_baselines():
    prices = [100, 102, 104, 106, 108]
    _, paths = price_grid(frame("A", prices, [0.0] * 5, 2), 2)
    hold = buy_and_hold("hold", paths, FEE)
    assert hold.trades == 1
    assert hold.total_return == pytest.approx((1 - FEE) ** 2 * paths[0].close[-1] / 100 - 1)
    every = every_horizon(paths, 2, FEE)
    assert every.trades == 3  # entries at hours 0, 2 and 4


def test_thresholds_tuned_for_f1():
    scores = np.array([0.1, 0.2, 0.3, 0.4, 0.8, 0.9])
    labels = np.array([0, 0, 0, 1, 1, 1])
    t = best_f1_threshold(scores, labels)
    assert t == pytest.approx(0.4)
    assert at_threshold(scores, labels, t)["f1"] == 1.0
    assert best_f1_threshold(scores, np.zeros(6)) == 0.5


def test_baseline_scores_are_cached_per_data_version_and_options(tmp_path):
    import torch

    from scrimmage.data.datamodule import DataBundle, InputSpec, TensorSplit
    from scrimmage.markets.evaluation.baselines import cached_baselines

    def bundle(version: str) -> DataBundle:
        splits = {name: TensorSplit({"y": torch.zeros(n, dtype=torch.long)}) for name, n in (("train", 5), ("val", 3), ("test", 4))}
        frames = {"val": pd.DataFrame({"vol_24h": [0.1, 0.2, 0.3]}), "test": pd.DataFrame({"vol_24h": [0.4, 0.5, 0.6, 0.7]})}
        return DataBundle(splits, InputSpec(1, ("y",)), {"dataset_version": version}, frames)

    lines: list[str] = []
    first = cached_baselines(bundle("v1"), tmp_path, ("volatility",), progress=lines.append)
    assert len(list((tmp_path / "cache" / "market-baselines").glob("*.npz"))) == 1 and not lines
    again = cached_baselines(bundle("v1"), tmp_path, ("volatility",), progress=lines.append)
    assert lines and lines[-1].startswith("baselines: read from")
    assert np.array_equal(again[0].test, first[0].test) and np.array_equal(again[0].val, first[0].val)
    cached_baselines(bundle("v2"), tmp_path, ("volatility",))  # another data version: scored again, its own file
    assert len(list((tmp_path / "cache" / "market-baselines").glob("*.npz"))) == 2
    for damage in (b"not a zip", b"PK\x03\x04 truncated"):
        for path in (tmp_path / "cache" / "market-baselines").glob("*.npz"):
            path.write_bytes(damage)
        assert np.array_equal(cached_baselines(bundle("v1"), tmp_path, ("volatility",))[0].test, first[0].test)
