"""Builds the ``market-windows`` dataset: segments → decision hours → labels → time splits → WindowSplits.

**Decision hours.** Hour t of a segment is an example when it is a real bar (not a filled hour),
its window (rows t-lookback+1..t) lies after the segment's feature warm-up, t+horizon lies in the
same segment, and the UTC hour is divisible by ``stride``. The window is gathered at batch time
by the core's :class:`~scrimmage.data.splits.WindowSplit` from per-segment base rows
(never materialised as ``[N, T, F]``: 2.2M windows x 24 x 23 floats would be 4.9 GB).

**Label.** ``forward_return = close[t+h] / close[t] - 1``; yes when it exceeds ``threshold``
(``label: threshold``), or ``vol_k`` x the 24 h volatility of hourly log returns x sqrt(h)
(``label: volatility``).

**Splits by time, no leak.** t belongs to a split when t >= its first day and t + horizon <= the
last hour of its last day: a training label never reads a validation bar, and since the windows
end at t, the training base rows (what the task's scaler is fitted on, via
``split.feature_stats``) end ``horizon`` hours before the next split begins. Later splits may
read earlier bars as inputs (the past is known at decision time).
"""

from __future__ import annotations

import datetime as dt
import difflib
import hashlib
import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import torch

from scrimmage.data.datamodule import DataBundle, InputSpec
from scrimmage.data.splits import WindowSplit
from scrimmage.errors import DataError
from scrimmage.markets.features import Segment, build_segments
from scrimmage.markets.ingest import load_tables
from scrimmage.markets.rules import HOUR

if TYPE_CHECKING:
    from scrimmage.markets.dataset import MarketWindowsConfig

SPLITS = ("train", "val", "test")


def _hour(day: dt.date) -> int:
    return int(dt.datetime(day.year, day.month, day.day, tzinfo=dt.UTC).timestamp()) // HOUR


def select_symbols(available: list[str], wanted: list[str] | None) -> list[str]:
    if wanted is None:
        return list(available)
    unknown = [s for s in wanted if s not in available]
    if unknown:
        hints = [f"{s} (did you mean {m[0]}?)" if (m := difflib.get_close_matches(s, available, n=1)) else s
                 for s in unknown]
        raise DataError(f"data.symbols names {', '.join(hints)}, not in the ingested tables; they hold "
                        f"{len(available)} symbols: {', '.join(available[:12])}{' ...' if len(available) > 12 else ''}")
    return list(wanted)


def symbol_segments(bars: pd.DataFrame, table: pd.DataFrame, symbols: list[str], features: list[str],
                    max_gap: int) -> list[Segment]:
    """Every selected symbol's segments with features. ``bars`` are stored sorted by symbol then time and
    ``table`` (the symbols table) counts each symbol's bars in the same order, so no string is compared."""
    hours = np.asarray(bars["time"].dt.as_unit("s").array.asi8) // HOUR
    cols = {c: bars[c].to_numpy(np.float64) for c in ("open", "high", "low", "close", "volume")}
    ends = np.cumsum(table["bars"].to_numpy())
    where = {str(s): (int(e - n), int(e)) for s, n, e in zip(table["symbol"], table["bars"], ends)}
    out: list[Segment] = []
    for s in symbols:
        a, b = where[s]
        out += build_segments(s, hours[a:b], {c: v[a:b] for c, v in cols.items()}, features, max_gap)
    return out


def _labels(cfg: MarketWindowsConfig, seg: Segment, t: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    fr = seg.close[t + cfg.horizon] / seg.close[t] - 1
    bar = cfg.threshold if cfg.label == "threshold" else cfg.vol_k * seg.vol[t] * np.sqrt(cfg.horizon)
    return fr, (fr > bar).astype(np.int64)


def decision_hours(cfg: MarketWindowsConfig, seg: Segment) -> np.ndarray:
    """Rows of ``seg`` that are examples of some split (see the module docstring)."""
    n = len(seg.hours)
    low = seg.first_valid + cfg.lookback - 1
    high = n - 1 - cfg.horizon
    if high < low:
        return np.array([], dtype=np.int64)
    t = np.arange(low, high + 1)
    keep = seg.real[t] & (seg.hours[t] % cfg.stride == 0) & np.isfinite(seg.vol[t])
    return t[keep]


def _version(manifest: dict[str, Any], cfg: MarketWindowsConfig, symbols: list[str]) -> str:
    options = cfg.model_dump(mode="json", exclude={"source", "max_train_windows", "subsample_seed"})
    options["symbols"] = symbols
    key = json.dumps({"tables": {k: v["sha256"] for k, v in manifest["tables"].items()}, "options": options},
                     sort_keys=True)
    return "markets-" + hashlib.sha256(key.encode()).hexdigest()[:12]


def _rates(frame: pd.DataFrame) -> dict[str, float]:
    if frame.empty:
        return {}
    years = frame["time"].dt.year
    return {str(y): round(float(v), 5) for y, v in frame.groupby(years)["y"].mean().items()}


def build_market_windows(cfg: MarketWindowsConfig, workdir: Path) -> DataBundle:
    """The :class:`DataBundle` of the contract (see the module docstring and the README)."""
    bars, table, manifest = load_tables(workdir, cfg.source)
    symbols = select_symbols([str(s) for s in table["symbol"]], cfg.symbols)
    asset = {s: i for i, s in enumerate(symbols)}
    segments = symbol_segments(bars, table, symbols, list(cfg.features), cfg.horizon)
    del bars

    bounds = {s: (_hour(a), _hour(b) + 23) for s, (a, b) in cfg.periods().items()}
    picks: dict[str, list[tuple[int, np.ndarray]]] = {s: [] for s in SPLITS}
    for i, seg in enumerate(segments):
        t = decision_hours(cfg, seg)
        h = seg.hours[t]
        for split, (first, last) in bounds.items():
            mine = t[(h >= first) & (h + cfg.horizon <= last)]
            if len(mine):
                picks[split].append((i, mine))

    if cfg.max_train_windows is not None:
        total = sum(len(t) for _, t in picks["train"])
        if total > cfg.max_train_windows:
            rng = np.random.default_rng(cfg.subsample_seed)
            chosen = np.zeros(total, dtype=bool)
            chosen[rng.choice(total, cfg.max_train_windows, replace=False)] = True
            kept, offset = [], 0
            for i, t in picks["train"]:
                mask = chosen[offset : offset + len(t)]
                offset += len(t)
                if mask.any():
                    kept.append((i, t[mask]))
            picks["train"] = kept

    splits: dict[str, WindowSplit] = {}
    frames: dict[str, pd.DataFrame] = {}
    for split in SPLITS:
        if not picks[split]:
            first, last = cfg.periods()[split]
            raise DataError(f"no {split} windows: no symbol of data.symbols has {cfg.lookback + cfg.horizon} hours of "
                            f"bars (after a {max(s.first_valid for s in segments) if segments else 0}-hour feature "
                            f"warm-up) between {first} and {last}; widen data.{split} or pick other symbols")
        groups, starts, cats, ys, parts = [], [], [], [], []
        for i, t in picks[split]:
            seg = segments[i]
            lo = int(t[0]) - cfg.lookback + 1
            groups.append({"x": torch.from_numpy(seg.features[lo : int(t[-1]) + 1])})
            starts.append(torch.from_numpy(t - cfg.lookback + 1 - lo))
            fr, y = _labels(cfg, seg, t)
            cats.append(np.full(len(t), asset[seg.symbol], dtype=np.int64))
            ys.append(y)
            parts.append(pd.DataFrame({
                "symbol": pd.Categorical.from_codes(cats[-1], categories=symbols), "time": pd.to_datetime(seg.hours[t] * HOUR, unit="s", utc=True),
                "close": seg.close[t], "forward_return": fr, "vol_24h": seg.vol[t], "y": y,
            }))
        y_all = np.concatenate(ys)
        splits[split] = WindowSplit.from_groups(
            groups, starts, cfg.lookback,
            per_window={"cat": torch.from_numpy(np.concatenate(cats)).unsqueeze(1), "y": torch.from_numpy(y_all)},
        )
        frames[split] = pd.concat(parts, ignore_index=True)

    spec = InputSpec(
        n_features=len(cfg.features), target_names=cfg.targets(), categorical={"asset": (len(symbols), 1)},
        feature_names=tuple(cfg.features), class_names=cfg.class_names(), vocabularies={"asset": tuple(symbols)},
        window=cfg.lookback,
    )
    info = {
        "dataset_version": _version(manifest, cfg, symbols),
        "positive_rate": {"split": {s: round(float(frames[s]["y"].mean()), 5) for s in SPLITS},
                          "year": _rates(pd.concat([frames[s][["time", "y"]] for s in SPLITS])),
                          "split_year": {s: _rates(frames[s]) for s in SPLITS}},
        "windows": {s: len(splits[s]) for s in SPLITS},
        "lookback": cfg.lookback, "horizon": cfg.horizon, "stride": cfg.stride, "label": cfg.label,
        "threshold": cfg.threshold if cfg.label == "threshold" else None,
        "vol_k": cfg.vol_k if cfg.label == "volatility" else None,
        "symbols": len(symbols), "segments": len(segments), "features": list(cfg.features),
        "periods": {s: list(getattr(cfg, s)) for s in SPLITS},
        "base_rows": {s: int(splits[s].base["x"].shape[0]) for s in SPLITS},
    }
    return DataBundle(splits=dict(splits), spec=spec, info=info, frames=frames, id_columns=("symbol", "time"))


__all__ = ["build_market_windows", "decision_hours", "select_symbols", "symbol_segments"]
