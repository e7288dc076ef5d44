"""Orchestrates the markets ingest: a folder of OHLCV files → rules → validated Parquet + manifest.

Every file is read (:mod:`.source`), cleaned and counted by the row rules, then the folder-wide
rules run (outages, late listings; :mod:`.rules`). A file the rules reject stops the ingest
before anything is written, with one message that names every rejected file and why. The tables
are validated (:mod:`.schemas`) and written all-or-nothing (:mod:`.store`).

Cached: the manifest's fingerprint holds the parser version, the source folder and every
source file's size and sha256 (39 MB hash in ~0.1 s); a second run over the same files verifies
the tables' checksums and returns the stored summary (``cached``), unless ``force``. Any changed,
added or removed file rebuilds everything (the cross-file rules depend on all of them).
One process: the real folder (100 files, 2.4M bars) ingests in a few seconds, so a pool would
only add start-up cost and a Ctrl-C window; an interrupt leaves the previous store untouched.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from scrimmage.errors import DataError
from scrimmage.markets import rules, source, store
from scrimmage.markets.rules import HOUR, MIN_BARS, RULES, RuleCounts

#: Bump when reading, rules, table layout or the manifest change so cached tables are rebuilt.
PARSER_VERSION = "1"
#: Rejected files named in full in the error (the rest are counted).
MAX_LISTED = 10

ProgressFn = Callable[[int, int], None]


@dataclass
class IngestSummary:
    """What an ingest produced; ``notes`` are about this run only (the cache), ``warnings`` stay with the tables."""

    symbols: int
    bars: int
    rules: dict[str, dict[str, Any]]
    files: dict[str, dict[str, int]]
    outages: list[dict[str, Any]]
    first: str
    last: str
    seconds: float
    cached: bool
    paths: dict[str, str]
    source: str = ""
    notes: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """JSON-able view (the ``--json`` output)."""
        return {
            "symbols": self.symbols, "bars": self.bars, "rules": self.rules, "files": self.files,
            "outages": self.outages, "first": self.first, "last": self.last, "seconds": round(self.seconds, 3),
            "cached": self.cached, "paths": self.paths, "source": self.source, "notes": list(self.notes),
            "warnings": list(self.warnings),
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> IngestSummary:
        keys = ("symbols", "bars", "rules", "files", "outages", "first", "last", "seconds", "cached", "paths", "source")
        return cls(**{k: d[k] for k in keys}, warnings=list(d.get("warnings") or []))


def _iso(hour: int) -> str:
    return dt.datetime.fromtimestamp(hour * HOUR, dt.UTC).strftime("%Y-%m-%d %H:%M")


def _when(manifest: dict[str, Any]) -> str:
    try:
        return dt.datetime.fromtimestamp(float(manifest["written_at"])).strftime("%Y-%m-%d %H:%M")
    except (KeyError, TypeError, ValueError, OverflowError, OSError):
        return "an earlier run"


def _paths(out: Path) -> dict[str, str]:
    return {name: str(out / f"{name}.parquet") for name in store.TABLES}


def _fingerprint(folder: Path, files: list[Path]) -> dict[str, Any]:
    return {"parser_version": PARSER_VERSION, "source": str(folder.resolve()), "files": source.fingerprint(files)}


def _reject(rejections: list[source.Rejection], folder: Path, n_files: int) -> DataError:
    listed = [f"  {r.path.name} [{r.rule}]: {r.why}" for r in rejections[:MAX_LISTED]]
    more = len(rejections) - len(listed)
    if more:
        listed.append(f"  ... and {more} more")
    return DataError(
        f"{len(rejections)} of the {n_files} OHLCV files in {folder} cannot be used:\n" + "\n".join(listed)
        + "\nfix or remove those files and run again (nothing was written)"
    )


def ingest_markets(workdir: Path, source_dir: Path, force: bool = False, progress: ProgressFn | None = None
                   ) -> IngestSummary:
    """Build ``<workdir>/data/markets/{bars,symbols}.parquet`` (+ ``manifest.json``) from ``source_dir``.

    Cached unless ``force`` (see the module docstring). Raises :class:`DataError` for a missing
    folder, one without OHLCV files, or files the rules reject (all named at once)."""
    import pandas as pd

    from scrimmage.markets import schemas

    start = time.perf_counter()
    out = store.store_dir(workdir)
    folder = Path(source_dir)
    files = source.list_files(folder)
    fp = _fingerprint(folder, files)
    if not force:
        manifest = store.read_manifest(out)
        if manifest is not None and manifest["fingerprint"] == fp:
            store.verify(out, manifest)
            summary = IngestSummary.from_dict(manifest["summary"])
            summary.cached, summary.paths = True, _paths(out)
            summary.notes = [f"using cached tables from {_when(manifest)} (same {len(files)} files); pass --force to rebuild"]
            summary.seconds = time.perf_counter() - start
            return summary

    counts = RuleCounts()
    rejections: list[source.Rejection] = []
    clean: dict[str, tuple[Path, np.ndarray, dict[str, np.ndarray]]] = {}
    seen: dict[str, Path] = {}
    for i, path in enumerate(files):
        try:
            raw = source.read_file(path)
            if raw.symbol in seen:
                raise source.Rejection("mixed_tickers", path, f"holds {raw.symbol}, like {seen[raw.symbol].name}; "
                                       "keep one file per symbol")
            seen[raw.symbol] = path
            hours, values = rules.clean_bars(raw.hours, raw.values, raw.symbol, counts)
            if len(hours) < MIN_BARS:
                raise source.Rejection("too_little_history", path, f"{len(hours)} valid bars, fewer than the {MIN_BARS} "
                                       "(30 days) features, windows and labels need; remove it or add its history")
            rules.flag_bars(hours, values, raw.symbol, counts)
            clean[raw.symbol] = (path, hours, values)
        except source.Rejection as rejection:
            counts.add(rejection.rule, source.file_symbol(rejection.path), 1)
            rejections.append(rejection)
        if progress is not None:
            progress(i + 1, len(files))
    if rejections:
        raise _reject(rejections, folder, len(files))

    folder_facts = rules.flag_folder({s: h for s, (_, h, _) in clean.items()}, counts)
    symbols = sorted(clean)
    parts = []
    for s in symbols:
        _, hours, values = clean[s]
        parts.append(pd.DataFrame({"symbol": s, "time": pd.to_datetime(hours * HOUR, unit="s", utc=True).as_unit("ns"),
                                   **values}))
    bars = pd.concat(parts, ignore_index=True)
    bars["symbol"] = bars["symbol"].astype(str)
    table = pd.DataFrame({
        "symbol": symbols,
        "file": [clean[s][0].name for s in symbols],
        "bars": [len(clean[s][1]) for s in symbols],
        "first": pd.to_datetime([clean[s][1][0] * HOUR for s in symbols], unit="s", utc=True).as_unit("ns"),
        "last": pd.to_datetime([clean[s][1][-1] * HOUR for s in symbols], unit="s", utc=True).as_unit("ns"),
    }).astype({"bars": "int64"})
    tables = {"bars": schemas.validate("bars", bars), "symbols": schemas.validate("symbols", table)}

    first = min(int(clean[s][1][0]) for s in symbols)
    last = max(int(clean[s][1][-1]) for s in symbols)
    outages = [{"start": _iso(h), "hours": n}
               for h, n in rules.runs_of(folder_facts["outage_hours"])]
    summary = IngestSummary(
        symbols=len(symbols), bars=len(bars), rules=counts.to_dict(), files=counts.by_file(), outages=outages,
        first=_iso(first), last=_iso(last), seconds=0.0, cached=False, paths=_paths(out), source=str(folder.resolve()),
    )
    store.write_store(out, tables, fp, summary.to_dict())
    summary.seconds = time.perf_counter() - start
    return summary


def load_tables(workdir: Path, source_dir: Path | None = None) -> tuple[Any, Any, dict[str, Any]]:
    """``(bars, symbols, manifest)`` for the dataset: ingested first from ``source_dir`` when given (a
    no-op when the store was built from the same files), else read from ``<workdir>/data/markets``."""
    if source_dir is not None:
        ingest_markets(workdir, source_dir)
    out = store.store_dir(workdir)
    manifest = store.read_manifest(out)
    if manifest is None:
        raise DataError(f"no market tables in {out}; run `scrimmage data markets --source DIR` first (DIR: a folder "
                        "of <SYMBOL>.csv.gz OHLCV files), or set data.source in the recipe")
    if manifest["fingerprint"].get("parser_version") != PARSER_VERSION:
        raise DataError(f"the market tables in {out} were built by parser version "
                        f"{manifest['fingerprint'].get('parser_version')} (this scrimmage reads {PARSER_VERSION}); "
                        f"rebuild them with {store.rebuild_command(manifest['fingerprint'])}")
    store.verify(out, manifest)
    return store.read_table(out, "bars", manifest), store.read_table(out, "symbols", manifest), manifest


__all__ = ["PARSER_VERSION", "RULES", "IngestSummary", "ingest_markets", "load_tables"]
