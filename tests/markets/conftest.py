"""Fixtures for the markets tests: hand-made OHLCV files in temp folders, and a handful of real
symbols ingested once per session (the full folder only in the slow count test)."""

from __future__ import annotations

import gzip
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from tests.conftest import SHARED_DATA, built_once

REAL_DIR = SHARED_DATA / "markets" / "binance_spot_1h"
#: Real symbols the session fixture ingests: two majors, the two-coin file, the month-long gap, a late
#: listing and the file with the most flat bars.
REAL_FEW = ("BTCUSDT", "ETHUSDT", "LUNAUSDT", "KEYUSDT", "GALAUSDT", "CFXUSDT")


def need_real() -> Path:
    if not REAL_DIR.is_dir():
        pytest.skip(f"real market data not found at {REAL_DIR} (../shared/data is absent)")
    return REAL_DIR


def make_bars(hours: int, start: str = "2022-01-01", seed: int = 0, price: float = 100.0, vol: float = 0.01,
              drift: float = 0.0) -> pd.DataFrame:
    """A random-walk hourly OHLCV frame of ``hours`` bars from ``start`` (UTC)."""
    rng = np.random.default_rng(seed)
    lr = rng.normal(drift, vol, hours)
    close = price * np.exp(np.cumsum(lr))
    open_ = np.concatenate([[price], close[:-1]])[:hours]
    wiggle = np.abs(rng.normal(0, vol / 2, hours))
    return pd.DataFrame({
        "date": pd.date_range(start, periods=hours, freq="h").strftime("%Y-%m-%d %H:%M:%S"),
        "open": open_, "high": np.maximum(open_, close) * (1 + wiggle), "low": np.minimum(open_, close) * (1 - wiggle),
        "close": close, "volume": rng.uniform(100, 1000, hours),
    })


def write_file(folder: Path, symbol: str, df: pd.DataFrame, gz: bool = True, ticker: bool = True) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    df = df.copy()
    if ticker and "ticker" not in df.columns:
        df["ticker"] = symbol
    path = folder / f"{symbol}_1h.csv{'.gz' if gz else ''}"
    text = df.to_csv(index=False).encode()
    path.write_bytes(gzip.compress(text, mtime=0) if gz else text)
    return path


def synthetic_folder(folder: Path, symbols: tuple[str, ...] = ("AAAUSDT", "BBBUSDT", "CCCUSDT"),
                     hours: int = 24 * 180, start: str = "2022-01-01") -> Path:
    """Clean random walks of several symbols (vol 2%/h so the 5% label fires often enough)."""
    for i, s in enumerate(symbols):
        write_file(folder, s, make_bars(hours, start=start, seed=i, vol=0.02))
    return folder


@pytest.fixture(scope="session")
def real_few(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    """:data:`REAL_FEW` (symlinked, never copied into the repo) ingested once: ``{"source", "workdir", "summary"}``."""
    import pickle

    need_real()

    def build(folder: Path) -> None:
        from scrimmage.markets.ingest import ingest_markets

        src = folder / "src"
        src.mkdir()
        for s in REAL_FEW:
            (src / f"{s}_1h.csv.gz").symlink_to(REAL_DIR / f"{s}_1h.csv.gz")
        summary = ingest_markets(folder / "wd", src)
        (folder / "summary.pickle").write_bytes(pickle.dumps(summary.to_dict()))

    shared = built_once(tmp_path_factory, "markets_real_few", build)
    return {"source": shared / "src", "workdir": shared / "wd",
            "summary": pickle.loads((shared / "summary.pickle").read_bytes())}
