"""Segments and causal per-hour features of one symbol's bars.

**Segments.** A gap of more than ``max_gap`` hours (the label horizon) splits a symbol's bars
into segments; features, windows and labels never span one, so the relaunched LUNA never
"returns" 15,000,000% across its 437 missing hours. Inside a segment the shorter gaps are filled
on an hourly grid: the close is carried, open/high/low equal it, volume is 0, and the row is
marked not ``real`` (never a decision hour), so "k rows back" is always "k hours back".

**Features** (names: :mod:`.dataset`) are causal: row t uses bars up to t only (pandas rolling
and ``ewm(adjust=False)`` look backward). A segment's first rows, where some feature's window is
not yet full, are cut (``first_valid``), so no feature is a warm-up artefact. Vectorised per
segment with numpy/pandas; all 100 real symbols take about two seconds.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import pairwise

import numpy as np
import pandas as pd

from scrimmage.markets.feature_names import parse_feature

VOL_WINDOW = 24
"""Hours of the raw volatility the frames carry (``vol_24h``) and the volatility label scales."""


@dataclass
class Segment:
    """One symbol's hours without a gap longer than the horizon, on a full hourly grid."""

    symbol: str
    hours: np.ndarray  # int64 hours since the epoch, consecutive
    real: np.ndarray  # bool: a bar of the source (not a filled hour)
    close: np.ndarray  # float64
    features: np.ndarray  # float32 [n, F] (rows before first_valid are NaN)
    vol: np.ndarray  # float64 raw 24 h volatility of hourly log returns (NaN before 24 rows)
    first_valid: int  # first row where every feature is defined


def split_segments(hours: np.ndarray, max_gap: int) -> list[slice]:
    """Slices of ``hours`` (sorted) between gaps of more than ``max_gap`` missing hours."""
    breaks = np.flatnonzero(np.diff(hours) - 1 > max_gap) + 1
    edges = [0, *breaks.tolist(), len(hours)]
    return [slice(a, b) for a, b in pairwise(edges) if b > a]


def on_grid(hours: np.ndarray, values: dict[str, np.ndarray]) -> tuple[np.ndarray, np.ndarray, dict[str, np.ndarray]]:
    """The bars of one segment on a full hourly grid (see the module docstring)."""
    n = int(hours[-1] - hours[0] + 1)
    idx = hours - hours[0]
    real = np.zeros(n, dtype=bool)
    real[idx] = True
    if len(idx) == n:
        return hours.copy(), real, dict(values)
    src = np.zeros(n, dtype=np.int64)
    src[idx] = np.arange(len(idx))
    last = np.maximum.accumulate(np.where(real, np.arange(n), 0))  # last real row at or before each row
    close = values["close"][src[last]]
    out = {k: np.where(real, values[k][src], close) for k in ("open", "high", "low")}
    out["close"] = close
    out["volume"] = np.where(real, values["volume"][src], 0.0)
    return np.arange(hours[0], hours[-1] + 1, dtype=np.int64), real, out


def _safe_div(a: np.ndarray, b: np.ndarray, fill: float) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        out = a / b
    return np.where(b > 0, out, np.where(np.isnan(b), np.nan, fill))


def compute(names: list[str], hours: np.ndarray, bars: dict[str, np.ndarray]) -> np.ndarray:
    """``[n, len(names)]`` float32 features of one gridded segment (NaN where a window is not yet full)."""
    close, high, low, volume = (bars[k] for k in ("close", "high", "low", "volume"))
    c = pd.Series(close)
    log_close = np.log(close)
    lr = pd.Series(np.diff(log_close, prepend=np.nan))
    cache: dict[str, np.ndarray] = {}

    def ema(span: int, series: pd.Series) -> pd.Series:
        return series.ewm(span=span, adjust=False, min_periods=span).mean()

    def one(name: str) -> np.ndarray:
        kind, k = parse_feature(name)
        if kind == "ret":
            out = np.full(len(close), np.nan)
            out[k:] = log_close[k:] - log_close[:-k] if k < len(close) else np.nan
            return out
        if kind == "vol":
            return lr.rolling(k, min_periods=k).std().to_numpy()
        if kind == "volume_z":
            lv = pd.Series(np.log1p(volume * close))
            roll = lv.rolling(k, min_periods=k)
            return _safe_div((lv - roll.mean()).to_numpy(), roll.std().to_numpy(), 0.0)
        if kind == "rsi":
            diff = c.diff()
            gain = diff.clip(lower=0).ewm(alpha=1 / k, adjust=False, min_periods=k).mean().to_numpy()
            loss = (-diff).clip(lower=0).ewm(alpha=1 / k, adjust=False, min_periods=k).mean().to_numpy()
            return _safe_div(gain, gain + loss, 0.5)
        if kind == "log_volume":
            return np.log1p(volume * close)
        if kind == "hl_range":
            return np.log(high / low)
        if kind == "close_position":
            return _safe_div(close - low, high - low, 0.5)
        if kind in ("macd", "macd_signal"):
            if "macd_line" not in cache:
                cache["macd_line"] = (ema(12, c) - ema(26, c)).to_numpy()
            line = cache["macd_line"]
            if kind == "macd":
                return line / close
            return ema(9, pd.Series(line)).to_numpy() / close
        if kind == "bollinger_position":
            roll = c.rolling(20, min_periods=20)
            return _safe_div((c - roll.mean()).to_numpy(), 2 * roll.std().to_numpy(), 0.0)
        hour = (hours % 24).astype(np.float64)
        dow = ((hours // 24 + 3) % 7).astype(np.float64)  # 1970-01-01 was a Thursday; Monday = 0
        angle = 2 * np.pi * (hour / 24 if kind.startswith("hour") else dow / 7)
        return np.sin(angle) if kind.endswith("sin") else np.cos(angle)

    out = np.empty((len(close), len(names)), dtype=np.float32)
    for j, name in enumerate(names):
        out[:, j] = one(name)
    return out


def build_segments(symbol: str, hours: np.ndarray, values: dict[str, np.ndarray], names: list[str],
                   max_gap: int) -> list[Segment]:
    """One symbol's segments with their features (see the module docstring)."""
    out = []
    for part in split_segments(hours, max_gap):
        grid, real, bars = on_grid(hours[part], {k: v[part] for k, v in values.items()})
        feats = compute(names, grid, bars)
        finite = np.isfinite(feats).all(axis=1)
        first = int(np.argmax(finite)) if finite.any() else len(grid)
        if finite.any() and not finite[first:].all():  # a later undefined value: never expected, never silent
            bad = first + int(np.argmin(finite[first:]))
            raise ValueError(f"{symbol}: feature values undefined at hour {bad} of a segment after its warm-up")
        lr = np.diff(np.log(bars["close"]), prepend=np.nan)
        vol = pd.Series(lr).rolling(VOL_WINDOW, min_periods=VOL_WINDOW).std().to_numpy()
        out.append(Segment(symbol, grid, real, bars["close"], feats, vol, first))
    return out
