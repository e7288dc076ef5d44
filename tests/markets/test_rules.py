"""Every data-quality rule of the markets ingest fires on a small hand-made folder, counted per file;
the rejecting ones stop the ingest with a message that names the file and writes nothing."""

from __future__ import annotations

import gzip
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from scrimmage.errors import DataError
from scrimmage.markets.ingest import ingest_markets
from scrimmage.markets.rules import MIN_BARS, RULES
from tests.markets.conftest import make_bars, write_file

N = MIN_BARS + 80


def ingest(tmp_path: Path, files: dict[str, pd.DataFrame]) -> dict:
    src = tmp_path / "src"
    for symbol, df in files.items():
        write_file(src, symbol, df)
    return ingest_markets(tmp_path / "wd", src).to_dict()


def count(summary: dict, rule: str, symbol: str | None = None) -> int:
    r = summary["rules"][rule]
    return r["detected"] if symbol is None else r["per_file"].get(symbol, 0)


def rejected(tmp_path: Path, files: dict[str, pd.DataFrame | bytes], *needles: str) -> str:
    src = tmp_path / "src"
    for symbol, df in files.items():
        if isinstance(df, bytes):
            src.mkdir(parents=True, exist_ok=True)
            (src / f"{symbol}_1h.csv.gz").write_bytes(df)
        else:
            write_file(src, symbol, df)
    with pytest.raises(DataError) as info:
        ingest_markets(tmp_path / "wd", src)
    message = str(info.value)
    for needle in (*needles, "nothing was written"):
        assert needle in message, (needle, message)
    assert not (tmp_path / "wd" / "data" / "markets").exists()
    return message


def test_every_rule_is_declared_with_an_action_and_description():
    assert len(RULES) >= 20
    for rule in RULES.values():
        assert rule.action in ("rejected", "dropped", "repaired", "kept-flagged") and len(rule.description) > 20


def test_a_clean_folder_fires_no_rule(tmp_path: Path):
    s = ingest(tmp_path, {"AAA": make_bars(N), "BBB": make_bars(N, seed=1)})
    assert s["symbols"] == 2 and s["bars"] == 2 * N
    assert {k: v["detected"] for k, v in s["rules"].items() if v["detected"]} == {}
    assert s["files"] == {}


# ---------------------------------------------------------------- rejected files

def test_unreadable_file_damaged_gzip(tmp_path: Path):
    good = gzip.compress(make_bars(N).to_csv(index=False).encode(), mtime=0)
    rejected(tmp_path, {"AAA": make_bars(N), "BAD": good[: len(good) // 2]}, "BAD_1h.csv.gz", "[unreadable_file]",
             "1 of the 2")


def test_empty_file_and_header_only(tmp_path: Path):
    message = rejected(tmp_path, {"AAA": make_bars(N), "EMPTY": b"", "HEAD": make_bars(0)}, "EMPTY_1h.csv.gz",
                       "HEAD_1h.csv.gz", "[empty_file]", "2 of the 3")
    assert "AAA" not in message


def test_missing_columns(tmp_path: Path):
    rejected(tmp_path, {"AAA": make_bars(N).drop(columns=["volume"])}, "AAA_1h.csv.gz", "[missing_columns]",
             "no column volume")


def test_bad_values_price_and_date(tmp_path: Path):
    prices = make_bars(N).astype({"close": object})
    prices.loc[5, "close"] = "abc"
    dates = make_bars(N)
    dates.loc[3, "date"] = "yesterday"
    rejected(tmp_path, {"PRICE": prices, "DATE": dates}, "PRICE_1h.csv.gz", "DATE_1h.csv.gz", "[bad_values]", "'yesterday'")


def test_not_hourly(tmp_path: Path):
    df = make_bars(N)
    df["date"] = pd.date_range("2022-01-01", periods=N, freq="30min").strftime("%Y-%m-%d %H:%M:%S")
    rejected(tmp_path, {"HALF": df}, "[not_hourly]", "not whole hours")


def test_mixed_tickers_in_a_file_and_a_symbol_in_two_files(tmp_path: Path):
    df = make_bars(N)
    df["ticker"] = ["AAA"] * 10 + ["ZZZ"] * (N - 10)
    rejected(tmp_path / "one", {"AAA": df}, "[mixed_tickers]", "names 2 symbols")
    twice = make_bars(N).assign(ticker="AAA")
    rejected(tmp_path / "two", {"AAA": make_bars(N), "COPY": twice}, "COPY_1h.csv.gz", "like AAA_1h.csv.gz")


def test_too_little_history(tmp_path: Path):
    rejected(tmp_path, {"AAA": make_bars(N), "NEW": make_bars(100)}, "NEW_1h.csv.gz", "[too_little_history]",
             f"100 valid bars, fewer than the {MIN_BARS}")


def test_a_nonexistent_folder_a_file_and_a_folder_without_ohlcv(tmp_path: Path):
    with pytest.raises(DataError, match="does not exist"):
        ingest_markets(tmp_path / "wd", tmp_path / "nowhere")
    (tmp_path / "notes.txt").write_text("hi")
    with pytest.raises(DataError, match="is a file, not a folder"):
        ingest_markets(tmp_path / "wd", tmp_path / "notes.txt")
    with pytest.raises(DataError, match=r"no OHLCV files in .*\*.csv|no OHLCV files"):
        ingest_markets(tmp_path / "wd", tmp_path)


# ---------------------------------------------------------------- dropped / repaired rows

def test_unsorted_timestamps_are_sorted(tmp_path: Path):
    df = make_bars(N)
    df = pd.concat([df.iloc[10:20], df.iloc[:10], df.iloc[20:]])
    s = ingest(tmp_path, {"AAA": df})
    assert count(s, "unsorted_timestamps", "AAA") == 20 and s["bars"] == N
    bars = pd.read_parquet(s["paths"]["bars"])
    assert bars["time"].is_monotonic_increasing


def test_duplicate_timestamps_keep_the_last(tmp_path: Path):
    df = make_bars(N)
    dup = df.iloc[[7]].copy()
    dup["close"] = dup["open"]
    s = ingest(tmp_path, {"AAA": pd.concat([df.iloc[:8], dup, df.iloc[8:]])})
    assert count(s, "duplicate_timestamps", "AAA") == 1 and s["bars"] == N
    bars = pd.read_parquet(s["paths"]["bars"])
    assert bars["close"].iloc[7] == pytest.approx(dup["close"].iloc[0])


def test_non_finite_values_dropped(tmp_path: Path):
    df = make_bars(N)
    df.loc[3, "close"] = np.nan
    df.loc[4, "volume"] = np.inf
    df.loc[5, "high"] = None
    s = ingest(tmp_path, {"AAA": df})
    assert count(s, "non_finite_values", "AAA") == 3 and s["bars"] == N - 3
    assert count(s, "missing_hours", "AAA") == 3


def test_non_positive_prices_dropped(tmp_path: Path):
    df = make_bars(N)
    df.loc[3, "low"] = 0.0
    df.loc[9, "close"] = -1.0
    df.loc[11, "volume"] = -5.0
    s = ingest(tmp_path, {"AAA": df})
    assert count(s, "non_positive_prices", "AAA") == 3 and s["bars"] == N - 3


def test_inconsistent_high_low_widened(tmp_path: Path):
    df = make_bars(N)
    df.loc[3, "high"] = df.loc[3, ["open", "close"]].min() * 0.99
    df.loc[4, "low"] = df.loc[4, ["open", "close"]].max() * 1.01
    s = ingest(tmp_path, {"AAA": df})
    assert count(s, "inconsistent_high_low", "AAA") == 2
    bars = pd.read_parquet(s["paths"]["bars"])
    assert (bars["high"] >= bars[["open", "close"]].max(axis=1)).all()
    assert (bars["low"] <= bars[["open", "close"]].min(axis=1)).all()


# ---------------------------------------------------------------- kept, flagged

def test_missing_hours_long_gap_and_relaunched_coin(tmp_path: Path):
    short = make_bars(N).drop(index=range(100, 105))  # 5 missing hours
    long = make_bars(N).drop(index=range(100, 140))  # a 40-hour gap: a segment break
    coin = make_bars(N + 100)
    coin = coin.drop(index=range(300, 400))
    coin.loc[400:, ["open", "high", "low", "close"]] *= 1000  # the relaunch at another price level
    s = ingest(tmp_path, {"SHORT": short, "LONG": long, "COIN": coin})
    assert count(s, "missing_hours", "SHORT") == 5 and count(s, "long_gap", "SHORT") == 0
    assert count(s, "missing_hours", "LONG") == 40 and count(s, "long_gap", "LONG") == 1
    assert count(s, "relaunched_coin", "LONG") == 0
    assert count(s, "long_gap", "COIN") == 1 and count(s, "relaunched_coin", "COIN") == 1
    assert s["files"]["COIN"]["missing_hours"] == 100


def test_exchange_outage_needs_almost_every_symbol(tmp_path: Path):
    files = {f"S{i}": make_bars(N, seed=i).drop(index=[200, 201]) for i in range(4)}
    files["S0"] = files["S0"].drop(index=[500])  # its own gap, not an outage
    s = ingest(tmp_path, files)
    assert s["outages"] == [{"start": "2022-01-09 08:00", "hours": 2}]
    assert count(s, "exchange_outage") == 8 and all(count(s, "exchange_outage", f"S{i}") == 2 for i in range(4))
    assert count(s, "missing_hours", "S0") == 3


def test_zero_volume_flat_bars_and_stale_runs(tmp_path: Path):
    df = make_bars(N)
    df.loc[[10, 11], "volume"] = 0.0
    df.loc[20, ["open", "high", "low"]] = df.loc[20, "close"]
    df.loc[30:35, "close"] = df.loc[30, "close"]  # 6 equal closes: one stale run
    df.loc[50:53, "close"] = df.loc[50, "close"]  # 4: not a run
    df["high"] = df[["high", "open", "close"]].max(axis=1)
    df["low"] = df[["low", "open", "close"]].min(axis=1)
    s = ingest(tmp_path, {"AAA": df})
    assert count(s, "zero_volume_bars", "AAA") == 2
    assert count(s, "flat_bars", "AAA") == 1
    assert count(s, "stale_close_runs", "AAA") == 1


def test_late_listing(tmp_path: Path):
    s = ingest(tmp_path, {"OLD": make_bars(N + 24 * 40), "NEW": make_bars(N, start="2022-02-10")})
    assert count(s, "late_listing") == 1 and count(s, "late_listing", "NEW") == 1


@pytest.mark.parametrize("style", ["iso-z", "offset", "epoch-ms", "epoch-s"])
def test_date_styles_read_as_the_same_utc_hours(tmp_path: Path, style: str):
    df = make_bars(N)
    stamps = pd.to_datetime(df["date"]).dt.tz_localize("UTC")
    df["date"] = {
        "iso-z": stamps.dt.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "offset": stamps.dt.tz_convert("Etc/GMT-2").dt.strftime("%Y-%m-%d %H:%M:%S+02:00"),
        "epoch-ms": stamps.astype("datetime64[ms, UTC]").astype("int64"),
        "epoch-s": stamps.astype("datetime64[s, UTC]").astype("int64"),
    }[style]
    s = ingest(tmp_path, {"AAA": df})
    bars = pd.read_parquet(s["paths"]["bars"])
    assert bars["time"].iloc[0] == pd.Timestamp("2022-01-01", tz="UTC") and s["bars"] == N
