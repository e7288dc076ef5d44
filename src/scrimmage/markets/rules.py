"""Explicit data-quality rules for hourly OHLCV files: detect, then reject / drop / repair / flag.

Every problem the ingest knows is a named rule declared once in :data:`RULES` (name, action,
description), counted by name per file (:class:`RuleCounts`), listed in the ingest summary and
made to fire by a test in tests/markets/test_rules.py. Nothing is fixed silently. Actions:

* ``rejected``: the file cannot be used as it is (no such columns, damaged gzip, mixed tickers,
  too little history ...): the ingest stops with a :class:`~scrimmage.errors.DataError` naming
  the file and what to do, and writes nothing;
* ``dropped``: rows removed (repeated hours, NaN/inf values, non-positive prices);
* ``repaired``: values changed by a documented rule (rows sorted by time, high/low widened to
  contain open and close);
* ``kept-flagged``: kept as they are and counted (missing hours, exchange outages, long gaps,
  a relaunched coin, zero-volume and flat bars, stale closes, late listings). Missing hours are
  not invented at ingest: the dataset builder (:mod:`.features`) splits a symbol into segments at
  every gap longer than the label horizon and fills the shorter gaps on an hourly grid.

Measured on the real folder (100 Binance USDT pairs, 2021-04 to 2023-12): every file misses
hours (3 to 689); five exchange-wide outages (12 hours, 2021-04-20, 2021-04-25, 2021-08-13,
2021-09-29, 2023-03-24) plus the zero-volume flat bar of 2023-03-24 12:00 in every file;
LUNAUSDT holds Terra Classic until it collapsed (2022-05-13) and, after 437 missing hours,
Terra 2.0 at ~150,000x the price; KEYUSDT misses 677 hours (2023-02-09 to 2023-03-10).
The README lists the counts.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

REJECTED, DROPPED, REPAIRED, FLAGGED = "rejected", "dropped", "repaired", "kept-flagged"
ACTIONS = (REJECTED, DROPPED, REPAIRED, FLAGGED)

HOUR = 3600
#: A gap longer than this many hours splits a symbol at ingest's count (the default label horizon;
#: the dataset splits at its own ``horizon``).
LONG_GAP_HOURS = 24
#: Across a long gap, a close that differs from the last one by more than this factor (either way)
#: is another coin under the same ticker (a relaunch), not a price move.
RELAUNCH_FACTOR = 20.0
#: An hour missing from at least this share of the symbols listed at that hour is an exchange outage.
OUTAGE_SHARE = 0.9
#: Outages are only looked for in folders of at least this many symbols (one symbol's gap is its own).
OUTAGE_MIN_SYMBOLS = 3
#: This many equal closes in a row (or more) is a stale-price run.
STALE_RUN = 5
#: A symbol whose first bar comes this many days after the folder's first is a late listing.
LATE_LISTING_DAYS = 30
#: Fewer valid bars than this (30 days) is too little history for features, windows and labels.
MIN_BARS = 720

COLUMNS = ("date", "open", "high", "low", "close", "volume")
PRICES = ("open", "high", "low", "close")


@dataclass(frozen=True)
class Rule:
    """One known problem: its name (the key of its count), what the ingest does (:data:`ACTIONS`), what it covers."""

    name: str
    action: str
    description: str


#: Every rule, in the order the summary lists them.
RULES: dict[str, Rule] = {rule.name: rule for rule in (
    Rule("unreadable_file", REJECTED, "not a readable CSV (damaged or truncated gzip, binary, ragged rows): name the file"),
    Rule("empty_file", REJECTED, "a file with no bars (empty, or a header only)"),
    Rule("missing_columns", REJECTED, f"a file without one of the columns {', '.join(COLUMNS)} (ticker is optional)"),
    Rule("bad_values", REJECTED, "a price or volume that is not a number, or a date that is not a timestamp"),
    Rule("not_hourly", REJECTED, "timestamps that are not whole hours (another bar size)"),
    Rule("mixed_tickers", REJECTED, "a ticker column naming more than one symbol, or a symbol in two files"),
    Rule("too_little_history", REJECTED, f"fewer than {MIN_BARS} valid bars (30 days) after the other rules"),
    Rule("unsorted_timestamps", REPAIRED, "bars out of time order: sorted by time (counts the bars out of place)"),
    Rule("duplicate_timestamps", DROPPED, "the same hour twice: the last bar of that hour is kept, the others dropped"),
    Rule("non_finite_values", DROPPED, "a bar with an empty, NaN or infinite open, high, low, close or volume: dropped"),
    Rule("non_positive_prices", DROPPED, "a bar with an open, high, low or close <= 0, or a negative volume: dropped"),
    Rule("inconsistent_high_low", REPAIRED, "high below open/close or low above them: high and low widened to contain them"),
    Rule("missing_hours", FLAGGED, "hours without a bar between a file's first and last bar; the dataset fills gaps up "
         "to the horizon on an hourly grid (close carried, volume 0, never a decision hour) and splits at longer ones"),
    Rule("exchange_outage", FLAGGED, f"a missing hour that at least {OUTAGE_SHARE:.0%} of the listed symbols miss too "
         "(the exchange was down, not the asset): counted per file"),
    Rule("long_gap", FLAGGED, f"a gap of more than {LONG_GAP_HOURS} hours (the default horizon): a segment break, no "
         "feature, window or label spans it"),
    Rule("relaunched_coin", FLAGGED, f"a long gap across which the price changes more than {RELAUNCH_FACTOR:g}x: another "
         "coin under the same ticker (LUNA's relaunch); a segment break, never a return across it"),
    Rule("zero_volume_bars", FLAGGED, "bars with volume 0 (no trade that hour): kept; log volume is log1p"),
    Rule("flat_bars", FLAGGED, "bars with high == low: kept; close position in range is 0.5 there"),
    Rule("stale_close_runs", FLAGGED, f"runs of {STALE_RUN} or more equal closes in a row (a stale price): kept, counted as runs"),
    Rule("late_listing", FLAGGED, f"a symbol whose first bar comes more than {LATE_LISTING_DAYS} days after the folder's "
         "first: kept; its windows start later"),
)}


@dataclass
class RuleCount:
    """How often a rule fired in all, and per file (symbol → count); ``files`` counts the files it fired in."""

    detected: int = 0
    per_file: dict[str, int] = field(default_factory=dict)

    def add(self, symbol: str, n: int) -> None:
        if n:
            self.detected += int(n)
            self.per_file[symbol] = self.per_file.get(symbol, 0) + int(n)

    def to_dict(self, rule: Rule) -> dict[str, Any]:
        return {"action": rule.action, "detected": self.detected, "files": len(self.per_file),
                "per_file": dict(sorted(self.per_file.items()))}


class RuleCounts(dict[str, RuleCount]):
    """One :class:`RuleCount` per declared rule; counting an undeclared name is a bug."""

    def __init__(self) -> None:
        super().__init__({name: RuleCount() for name in RULES})

    def add(self, name: str, symbol: str, n: int) -> None:
        if name not in RULES:
            raise KeyError(f"undeclared data-quality rule {name!r}")
        self[name].add(symbol, n)

    def to_dict(self) -> dict[str, dict[str, Any]]:
        return {name: count.to_dict(RULES[name]) for name, count in self.items()}

    def by_file(self) -> dict[str, dict[str, int]]:
        """Symbol → {rule: count} for the rules that fired in that file."""
        out: dict[str, dict[str, int]] = {}
        for name, count in self.items():
            for symbol, n in count.per_file.items():
                out.setdefault(symbol, {})[name] = n
        return dict(sorted(out.items()))


# ---------------------------------------------------------------- per file (rows)

def clean_bars(hours: np.ndarray, values: dict[str, np.ndarray], symbol: str, counts: RuleCounts
               ) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """The file's bars after the row rules, in time order: ``hours`` (int64 hours since the epoch)
    and ``values`` (open, high, low, close, volume as float64), each rule counted for ``symbol``."""
    order = np.argsort(hours, kind="stable")
    out_of_place = int((order != np.arange(len(order))).sum())
    counts.add("unsorted_timestamps", symbol, out_of_place)
    if out_of_place:
        hours = hours[order]
        values = {k: v[order] for k, v in values.items()}

    ohlcv = np.column_stack([values[k] for k in (*PRICES, "volume")])
    finite = np.isfinite(ohlcv).all(axis=1)
    counts.add("non_finite_values", symbol, int((~finite).sum()))
    positive = (ohlcv[:, :4] > 0).all(axis=1) & (ohlcv[:, 4] >= 0)
    bad_sign = finite & ~positive
    counts.add("non_positive_prices", symbol, int(bad_sign.sum()))
    keep = finite & positive
    # repeated hours among the usable bars: the last one of each hour is kept
    last_of_hour = np.ones(len(hours), dtype=bool)
    usable = np.flatnonzero(keep)
    if len(usable) > 1:
        h = hours[usable]
        repeated = h[:-1] == h[1:]
        last_of_hour[usable[:-1][repeated]] = False
    counts.add("duplicate_timestamps", symbol, int((keep & ~last_of_hour).sum()))
    keep &= last_of_hour
    hours = hours[keep]
    values = {k: v[keep] for k, v in values.items()}

    o, c = values["open"], values["close"]
    top, bottom = np.maximum(o, c), np.minimum(o, c)
    bad = (values["high"] < top) | (values["low"] > bottom) | (values["high"] < values["low"])
    counts.add("inconsistent_high_low", symbol, int(bad.sum()))
    if bad.any():
        values["high"] = np.maximum.reduce([values["high"], top, values["low"]])
        values["low"] = np.minimum.reduce([values["low"], bottom, values["high"]])
    return hours, values


def flag_bars(hours: np.ndarray, values: dict[str, np.ndarray], symbol: str, counts: RuleCounts) -> None:
    """Count the kept-flagged rules of one file's clean bars (gaps, relaunches, zero volume, flat bars, stale runs)."""
    gaps = np.diff(hours) - 1
    counts.add("missing_hours", symbol, int(gaps.sum()))
    long = np.flatnonzero(gaps > LONG_GAP_HOURS)
    counts.add("long_gap", symbol, len(long))
    close = values["close"]
    if len(long):
        jump = np.abs(np.log(close[long + 1] / close[long]))
        counts.add("relaunched_coin", symbol, int((jump > np.log(RELAUNCH_FACTOR)).sum()))
    counts.add("zero_volume_bars", symbol, int((values["volume"] == 0).sum()))
    counts.add("flat_bars", symbol, int((values["high"] == values["low"]).sum()))
    counts.add("stale_close_runs", symbol, stale_runs(close, hours))


def stale_runs(close: np.ndarray, hours: np.ndarray) -> int:
    """Runs of at least :data:`STALE_RUN` equal closes on consecutive hours."""
    same = (close[1:] == close[:-1]) & (np.diff(hours) == 1)
    if not same.any():
        return 0
    edges = np.diff(np.concatenate([[0], same.astype(np.int8), [0]]))
    lengths = np.flatnonzero(edges == -1) - np.flatnonzero(edges == 1)  # equal pairs per run
    return int((lengths + 1 >= STALE_RUN).sum())


# ---------------------------------------------------------------- across files

def flag_folder(spans: dict[str, np.ndarray], counts: RuleCounts) -> dict[str, Any]:
    """Exchange outages and late listings, which only the whole folder shows; ``spans``: symbol →
    its bars' hours (sorted). Returns the outage hours and the folder's first hour."""
    if not spans:
        return {"outage_hours": [], "first_hour": None}
    firsts = {s: int(h[0]) for s, h in spans.items()}
    first = min(firsts.values())
    for symbol, h0 in firsts.items():
        counts.add("late_listing", symbol, int(h0 - first > LATE_LISTING_DAYS * 24))
    outages: np.ndarray = np.array([], dtype=np.int64)
    if len(spans) >= OUTAGE_MIN_SYMBOLS:
        last = max(int(h[-1]) for h in spans.values())
        present = np.zeros(last - first + 1, dtype=np.int32)
        listed = np.zeros(last - first + 2, dtype=np.int32)
        for h in spans.values():
            present[h - first] += 1
            listed[h[0] - first] += 1
            listed[h[-1] - first + 1] -= 1
        listed = np.cumsum(listed)[:-1]
        missing = listed - present
        outages = np.flatnonzero((listed >= OUTAGE_MIN_SYMBOLS) & (missing >= np.ceil(OUTAGE_SHARE * listed))) + first
        for symbol, h in spans.items():
            inside = outages[(outages > h[0]) & (outages < h[-1])]
            counts.add("exchange_outage", symbol, int(len(inside) - np.isin(inside, h).sum()))
    return {"outage_hours": [int(h) for h in outages], "first_hour": first}


def runs_of(hours: Iterable[int]) -> list[tuple[int, int]]:
    """Consecutive hours grouped as (first, length) runs."""
    runs: list[tuple[int, int]] = []
    for h in sorted(hours):
        if runs and runs[-1][0] + runs[-1][1] == h:
            runs[-1] = (runs[-1][0], runs[-1][1] + 1)
        else:
            runs.append((h, 1))
    return runs
