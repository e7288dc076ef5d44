"""Orchestrates the NFL ingest: stream games → parse → quality rules → validate → Parquet.

Games are streamed one at a time (holding every game dict costs ~1.9 GB); rows go straight into
plain lists. The garbage collector is paused during the hot loop (millions of small, acyclic
objects make it rescan for nothing) and the files are split over two worker processes. The
result is cached: a manifest written last records what produced the tables (package version,
parser version, lines file identity), and a matching manifest short-circuits the next run.
"""

from __future__ import annotations

import gc
import json
import multiprocessing as mp
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from scrimmage.errors import DataError
from scrimmage.football import quality, schemas, source
from scrimmage.football.lines import join_lines
from scrimmage.football.parse import parse_game
from scrimmage.io import atomic_path, atomic_write_text
from scrimmage.paths import data_dir

#: Bump when parsing, rules or table layout change so cached tables are rebuilt.
#: 2: per-team offensive plays and success rate left the games table (computed in features).
PARSER_VERSION = "2"
TABLES = ("games", "drives", "plays")
MANIFEST = "manifest.json"
WORKERS = 2
CHUNKS = 16

ProgressFn = Callable[[int, int], None]


@dataclass
class IngestSummary:
    """What an ingest produced: row counts, rule counts, lines join stats, timing, paths."""

    games: int
    drives: int
    plays: int
    rules: dict[str, dict[str, Any]]
    lines: dict[str, Any] | None
    seconds: float
    cached: bool
    paths: dict[str, str]
    source: str = ""
    fingerprint: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """JSON-able view (the ``--json`` output)."""
        return {
            "games": self.games,
            "drives": self.drives,
            "plays": self.plays,
            "rules": self.rules,
            "lines": self.lines,
            "seconds": round(self.seconds, 3),
            "cached": self.cached,
            "paths": self.paths,
            "source": self.source,
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any], fingerprint: dict[str, Any]) -> IngestSummary:
        return cls(
            games=d["games"], drives=d["drives"], plays=d["plays"], rules=d["rules"],
            lines=d.get("lines"), seconds=d["seconds"], cached=d.get("cached", False),
            paths=d["paths"], source=d.get("source", ""), fingerprint=fingerprint,
        )


def nfl_dir(workdir: Path) -> Path:
    """``<workdir>/data/nfl``."""
    return data_dir(Path(workdir)) / "nfl"


def load_nfl_table(workdir: Path, name: str) -> pd.DataFrame:
    """Read one ingested table (games, drives or plays)."""
    if name not in TABLES:
        raise DataError(f"unknown NFL table {name!r}; choose one of {', '.join(TABLES)}")
    path = nfl_dir(workdir) / f"{name}.parquet"
    if not path.is_file():
        raise DataError(f"NFL table {path} not found; run `scrimmage data nfl` first")
    return pd.read_parquet(path)


def _fingerprint(source_dir: Path | None, lines: Path | None) -> dict[str, Any]:
    fp: dict[str, Any] = {"parser_version": PARSER_VERSION, "source": source.source_fingerprint(source_dir)}
    if lines is not None:
        st = Path(lines).stat()
        fp["lines"] = {"path": str(Path(lines).resolve()), "size": st.st_size, "mtime_ns": st.st_mtime_ns}
    else:
        fp["lines"] = None
    return fp


def _cached(out: Path, fp: dict[str, Any], any_lines: bool = False) -> IngestSummary | None:
    """The stored summary when the tables on disk were built from ``fp`` (with ``any_lines``:
    whatever lines file, or none, was joined)."""
    path = out / MANIFEST
    if not path.is_file() or not all((out / f"{t}.parquet").is_file() for t in TABLES):
        return None
    try:
        manifest = json.loads(path.read_text())
    except ValueError:
        return None
    stored = manifest.get("fingerprint") or {}
    ignored = {"lines"} if any_lines else set()
    if {k: v for k, v in stored.items() if k not in ignored} != {k: v for k, v in fp.items() if k not in ignored}:
        return None
    summary = IngestSummary.from_dict(manifest["summary"], stored)
    summary.cached = True
    return summary


def ensure_nfl_tables(workdir: Path) -> IngestSummary:
    """Current tables for training: reuse tables built from this source and parser version,
    with or without joined lines (training joins its own lines); ingest only when none exist."""
    return _cached(nfl_dir(workdir), _fingerprint(None, None), any_lines=True) or ingest_nfl(workdir)


# ---------------------------------------------------------------- worker side

def _process_chunk(args: tuple[int, list[source.GameFile], dict[str, source.ScheduleGame]]) -> dict[str, Any]:
    """Parse and clean a chunk of games (runs in a worker process or in-process)."""
    chunk, files, sched = args
    counts = quality.new_counts()
    games: list[dict[str, Any]] = []
    drives: list[dict[str, Any]] = []
    plays: list[dict[str, Any]] = []
    errors: list[tuple[str, str]] = []
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        for f, game in source.iter_games(files):
            if isinstance(game, source.GameReadError):
                errors.append((source.describe_path(f), game.reason))
                quality.count_unreadable(f.name, counts)
                continue
            entry = sched.get(f.game_id)
            quality.check_source(f.game_id, game, entry, counts)
            parsed = parse_game(f.game_id, game, entry)
            if quality.drop_cancelled(parsed, counts):
                continue
            quality.clean_game(parsed, counts)
            games.append(parsed.game)
            drives.extend(parsed.drives)
            plays.extend(parsed.plays)
        frames = {
            "games": pd.DataFrame.from_records(games),
            "drives": pd.DataFrame.from_records(drives),
            "plays": pd.DataFrame.from_records(plays),
        }
    finally:
        if was_enabled:
            gc.enable()
    return {"chunk": chunk, "frames": frames, "counts": counts, "errors": errors, "n": len(files)}


# ---------------------------------------------------------------- parent side

def _run_chunks(
    files: list[source.GameFile], sched: dict[str, source.ScheduleGame],
    progress: ProgressFn | None, workers: int,
) -> list[dict[str, Any]]:
    n_chunks = min(CHUNKS, max(1, len(files)))
    chunks = [c for c in (files[i::n_chunks] for i in range(n_chunks)) if c]
    args = [(i, c, sched) for i, c in enumerate(chunks)]
    results: list[dict[str, Any]] = []
    done = 0
    if workers > 1 and len(chunks) > 1 and "fork" in mp.get_all_start_methods():
        ctx = mp.get_context("fork")
        with ctx.Pool(min(workers, len(chunks))) as pool:
            for res in pool.imap_unordered(_process_chunk, args):
                results.append(res)
                done += res["n"]
                if progress:
                    progress(done, len(files))
    else:
        for a in args:
            res = _process_chunk(a)
            results.append(res)
            done += res["n"]
            if progress:
                progress(done, len(files))
    # chunk order, not finishing order: the rule counts' examples come out the same every run
    return sorted(results, key=lambda r: r["chunk"])


def _concat(parts: list[pd.DataFrame], sort: list[str]) -> pd.DataFrame:
    parts = [p for p in parts if len(p)]
    if not parts:
        raise DataError("the NFL source holds no playable games; check the source folder")
    return pd.concat(parts, ignore_index=True).sort_values(sort, kind="stable").reset_index(drop=True)


def _finish_tables(results: list[dict[str, Any]]) -> dict[str, pd.DataFrame]:
    """Concatenate the chunks' rows per table, in key order (dtypes and column order come from
    the schemas at validation)."""
    return {
        "games": _concat([r["frames"]["games"] for r in results], ["game_id"]),
        "drives": _concat([r["frames"]["drives"] for r in results], ["game_id", "drive_id"]),
        "plays": _concat([r["frames"]["plays"] for r in results], ["game_id", "play_index"]),
    }


def ingest_nfl(
    workdir: Path,
    lines: Path | None = None,
    force: bool = False,
    source_dir: Path | None = None,
    progress: ProgressFn | None = None,
    workers: int = WORKERS,
) -> IngestSummary:
    """Build ``<workdir>/data/nfl/{games,drives,plays}.parquet`` (+ ``manifest.json``).

    Cached: a manifest matching the source, parser version and lines file returns the stored
    summary with ``cached=True`` unless ``force``. With ``source_dir`` (a folder of
    ``<eid>.json.gz`` + ``schedule.json``) an unreadable game file is an error naming the file;
    for the bundled package the known-empty files are skipped and counted.
    """
    start = time.perf_counter()
    out = nfl_dir(workdir)
    if lines is not None and not Path(lines).is_file():
        raise DataError(f"betting lines file {lines} not found; pass an existing CSV with --lines")
    if source_dir is not None:
        source_dir = Path(source_dir)
        if not source_dir.is_dir():
            raise DataError(f"NFL source folder {source_dir} does not exist; pass a folder of <eid>.json.gz files and schedule.json")
    fp = _fingerprint(source_dir, lines)
    if not force:
        hit = _cached(out, fp)
        if hit is not None:
            return hit

    sched = source.read_schedule(source_dir)
    files = source.list_game_files(source_dir)
    results = _run_chunks(files, sched, progress, workers)

    counts = quality.new_counts()
    errors: list[tuple[str, str]] = []
    for r in results:
        quality.merge_counts(counts, r["counts"])
        errors.extend(r["errors"])
    if errors and source_dir is not None:
        path, reason = min(errors)
        more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
        raise DataError(
            f"cannot read game file {path}: {reason}{more}; fix or remove the file and run again"
        )
    quality.check_schedule_coverage(sched, (f.game_id for f in files), counts)
    tables = _finish_tables(results)

    line_stats = None
    if lines is not None:
        tables["games"], line_stats = join_lines(tables["games"], Path(lines))

    for name in TABLES:
        tables[name] = schemas.validate(name, tables[name])

    paths = {name: str(out / f"{name}.parquet") for name in TABLES}
    out.mkdir(parents=True, exist_ok=True)
    (out / MANIFEST).unlink(missing_ok=True)  # stale manifest must not vouch for new files
    for name in TABLES:
        with atomic_path(paths[name]) as tmp:
            tables[name].to_parquet(tmp, index=False)

    summary = IngestSummary(
        games=len(tables["games"]), drives=len(tables["drives"]), plays=len(tables["plays"]),
        rules={k: v.to_dict() for k, v in counts.items()}, lines=line_stats,
        seconds=time.perf_counter() - start, cached=False, paths=paths,
        source=source.source_label(source_dir), fingerprint=fp,
    )
    manifest = {"fingerprint": fp, "summary": summary.to_dict(), "written_at": time.time(), "pid": os.getpid()}
    atomic_write_text(out / MANIFEST, json.dumps(manifest, indent=2, default=str))
    return summary
