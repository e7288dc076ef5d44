"""Orchestrates the NFL ingest: stream games → parse → quality rules → validate → Parquet.

Games are streamed one at a time (holding every game dict costs ~1.9 GB); rows go straight into
plain lists. The garbage collector is paused during the hot loop (millions of small, acyclic
objects make it rescan for nothing) and the files are split over two worker processes.

The store ``<workdir>/data/nfl`` holds the three tables and ``manifest.json``, written last. The
manifest records what produced the tables (parser version, source, lines file identity), the
summary, and each table's byte size and sha256. Every reader checks them: ``data nfl`` and
:func:`ensure_nfl_tables` (training) verify size and sha256 of all three tables (sha256 costs
~35 ms for the ~26 MB of the full ingest, ~3% of loading them, so a damaged table is never
trusted); :func:`load_nfl_table` checks the size and turns pyarrow's errors into the same
:class:`DataError`, which says to rebuild with ``--force``.

Writes are all-or-nothing: every check (the lines file's layout and its match against the
source's schedule, before any parsing; the schemas; the lines join) runs before anything is
written; the tables are written to temporary files beside the store and only then renamed over
the old ones, the manifest last. A failure leaves the previous store as it was.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import gc
import multiprocessing as mp
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from scrimmage.errors import DataError
from scrimmage.football.common import schemas
from scrimmage.football.common.store import TableStore
from scrimmage.football.common.tables import TABLES, nfl_dir
from scrimmage.football.nfl import quality, source
from scrimmage.football.nfl.lines import LAYOUT, covered_seasons, join_lines, read_lines
from scrimmage.football.nfl.parse import parse_game

#: Bump when parsing, rules, table layout or the manifest change so cached tables are rebuilt.
#: 2: per-team offensive plays and success rate left the games table (computed in features).
#: 3: the manifest records table sizes and checksums; games without a schedule entry are kept.
PARSER_VERSION = "3"
WORKERS = 2
CHUNKS = 16
#: Joined lines that match fewer than this share of the regular-season and playoff games of the
#: seasons the lines file covers get a warning in the summary.
LINES_MATCH_WARN = 0.5
LINE_COLUMNS = ("spread_home", "total_line")

ProgressFn = Callable[[int, int], None]


@dataclass
class IngestSummary:
    """What an ingest produced: row counts, rule counts, lines join stats, timing, paths;
    ``warnings`` (kept with the tables) and ``notes`` (about this run only, e.g. the cache) are
    sentences for the user."""

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
    warnings: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

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
            "warnings": list(self.warnings),
            "notes": list(self.notes),
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any], fingerprint: dict[str, Any]) -> IngestSummary:
        return cls(
            games=d["games"], drives=d["drives"], plays=d["plays"], rules=d["rules"],
            lines=d.get("lines"), seconds=d["seconds"], cached=d.get("cached", False),
            paths=d["paths"], source=d.get("source", ""), fingerprint=fingerprint,
            warnings=list(d.get("warnings") or []),
        )


def _rebuild_command(fp: dict[str, Any] | None) -> str:
    """The ``data nfl --force`` command that rebuilds a store from what the manifest recorded."""
    parts = ["scrimmage data nfl"]
    src = (fp or {}).get("source") or {}
    if isinstance(src, dict) and src.get("dir"):
        parts.append(f"--source {src['dir']}")
    lines = (fp or {}).get("lines") or {}
    if isinstance(lines, dict) and lines.get("path"):
        parts.append(f"--lines {lines['path']}")
    parts.append("--force")
    return "`" + " ".join(parts) + "`"


def nfl_store(workdir: Path) -> TableStore:
    """The NFL tables' store (:class:`~scrimmage.football.common.store.TableStore`) in ``<workdir>/data/nfl``."""
    return TableStore(nfl_dir(workdir), "NFL", _rebuild_command, fingerprint_keys=("parser_version", "source"))


def load_nfl_table(workdir: Path, name: str) -> pd.DataFrame:
    """Read one ingested table (games, drives or plays), checked against the manifest's size;
    a file pyarrow cannot read is reported as damaged."""
    return nfl_store(workdir).load(name, PARSER_VERSION, "scrimmage data nfl")


def _fingerprint(source_dir: Path | None, lines: Path | None) -> dict[str, Any]:
    fp: dict[str, Any] = {"parser_version": PARSER_VERSION, "source": source.source_fingerprint(source_dir)}
    if lines is not None:
        st = Path(lines).stat()
        fp["lines"] = {"path": str(Path(lines).resolve()), "size": st.st_size, "mtime_ns": st.st_mtime_ns}
    else:
        fp["lines"] = None
    return fp


def _lines_label(lines_fp: Any) -> str:
    return lines_fp["path"] if isinstance(lines_fp, dict) and lines_fp.get("path") else "none"


def _when(manifest: dict[str, Any]) -> str:
    try:
        return dt.datetime.fromtimestamp(float(manifest["written_at"])).strftime("%Y-%m-%d %H:%M")
    except (KeyError, TypeError, ValueError, OverflowError, OSError):
        return "an earlier run"


def _cached_summary(out: Path, manifest: dict[str, Any]) -> IngestSummary:
    summary = IngestSummary.from_dict(manifest["summary"], manifest["fingerprint"])
    summary.cached = True
    summary.paths = {name: str(out / f"{name}.parquet") for name in TABLES}
    return summary


def ensure_nfl_tables(workdir: Path) -> IngestSummary:
    """Current tables for training (a no-op when they exist).

    Tables of the current parser version are used whatever produced them (the bundled package,
    ``data nfl --source DIR``, with or without ``--lines``; training joins its own lines), after
    their sizes and checksums are verified: a damaged store is a :class:`DataError`, never
    silently rebuilt over. Without a store the bundled package is ingested; a store of an older
    parser version is rebuilt from the source (and lines file) it recorded, or, when those are
    gone, is an error that says how to rebuild it.
    """
    start = time.perf_counter()
    store = nfl_store(workdir)
    out = store.out
    manifest = store.read_manifest()
    if manifest is None:
        if store.stray_tables():
            raise store.no_manifest()
        return ingest_nfl(workdir)
    fp = manifest["fingerprint"]
    if fp.get("parser_version") == PARSER_VERSION:
        store.verify(manifest)
        summary = _cached_summary(out, manifest)
        summary.seconds = time.perf_counter() - start
        return summary
    src = fp.get("source") if isinstance(fp.get("source"), dict) else {}
    source_dir = Path(src["dir"]) if src.get("dir") else None
    lines_fp = fp.get("lines")
    lines = Path(lines_fp["path"]) if isinstance(lines_fp, dict) and lines_fp.get("path") else None
    gone = [str(p) for p in (source_dir, lines) if p is not None and not p.exists()]
    if gone:
        raise DataError(
            f"the NFL tables in {out} were built by an older parser (version {fp.get('parser_version')}) from "
            f"{', '.join(gone)}, which no longer exists; rebuild them with {_rebuild_command(fp)} "
            "(pointing at where that data is now), or `scrimmage data nfl --force` for the bundled data"
        )
    return ingest_nfl(workdir, lines=lines, force=True, source_dir=source_dir)


def require_nfl_tables(workdir: Path, command: str) -> IngestSummary:
    """The current tables, verified like :func:`ensure_nfl_tables`, for a command that never ingests
    (``predict``): without a store, or with one of an older parser version, a :class:`DataError` that
    names the ``data nfl`` command to run, instead of an ingest (or a rebuild) the user did not ask for."""
    store = nfl_store(workdir)
    manifest = store.read_manifest()
    if manifest is None:
        if store.stray_tables():
            raise store.no_manifest()
        raise DataError(
            f"{command} reads its games from the ingested NFL tables, and {store.out} holds none (it never "
            f"ingests): run `scrimmage --workdir {workdir} data nfl` first, with the --source and --lines the "
            "model was trained on, or predict in the workdir the model was trained in"
        )
    fp = manifest["fingerprint"]
    if fp.get("parser_version") != PARSER_VERSION:
        raise DataError(
            f"the NFL tables in {store.out} were built by an older parser (version {fp.get('parser_version')}; this "
            f"scrimmage reads version {PARSER_VERSION}) and {command} does not rebuild them: run {_rebuild_command(fp)} "
            "first (training an NFL recipe rebuilds them too)"
        )
    store.verify(manifest)
    return _cached_summary(store.out, manifest)


# ---------------------------------------------------------------- worker side

def _process_chunk(args: tuple[int, list[source.GameFile], dict[str, source.ScheduleGame]]) -> dict[str, Any]:
    """Parse and clean a chunk of games (runs in a worker process or in-process)."""
    chunk, files, sched = args
    counts = quality.new_counts()
    games: list[dict[str, Any]] = []
    drives: list[dict[str, Any]] = []
    plays: list[dict[str, Any]] = []
    errors: list[tuple[str, str]] = []  # files that do not decompress or parse as JSON
    malformed: list[tuple[str, str]] = []  # JSON whose fields are not laid out as Game Center's
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        for f, game in source.iter_games(files):
            if isinstance(game, source.GameReadError):
                errors.append((source.describe_path(f), game.reason))
                quality.count_unreadable(f.name, counts)
                continue
            try:
                entry = quality.check_source(f.game_id, game, sched.get(f.game_id), counts, sched)
                parsed = parse_game(f.game_id, game, entry)
                if quality.drop_cancelled(parsed, counts):
                    continue
                quality.clean_game(parsed, counts)
            except (AttributeError, KeyError, TypeError, ValueError, IndexError) as exc:
                # the good path pays nothing: the layout is walked only to name the bad field
                problem = source.game_layout_problem(game) or f"{type(exc).__name__}: {exc}"
                malformed.append((source.describe_path(f), problem))
                continue
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
    return {"chunk": chunk, "frames": frames, "counts": counts, "errors": errors, "malformed": malformed, "n": len(files)}


# ---------------------------------------------------------------- parent side

@contextlib.contextmanager
def _forked_pool(ctx: Any, processes: int) -> Iterator[Any]:
    """A pool whose workers ignore Ctrl-C from birth: SIGINT is ignored while they fork (a worker interrupted
    before its initializer ran would print a traceback), then the parent's own handler is back."""
    import signal
    import threading

    main = threading.current_thread() is threading.main_thread()
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN) if main else None
    try:
        pool = ctx.Pool(processes, initializer=_quiet_worker)
    finally:
        if main:
            signal.signal(signal.SIGINT, previous)
    with pool:
        yield pool


def _quiet_worker() -> None:
    """Ctrl-C reaches every process of the terminal's group: the parent stops the pool and reports it in one
    line, so a worker ignores SIGINT instead of printing its own traceback (SIGTERM: see ``cli.main``)."""
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)


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
        with _forked_pool(ctx, min(workers, len(chunks))) as pool:
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


def _raise_file_errors(results: list[dict[str, Any]], source_dir: Path | None) -> None:
    """Game files that cannot be used stop the ingest, naming the first (in id order) and why.

    Files whose JSON is laid out wrongly always do. Files that do not decompress or parse do for
    a user's folder; in the bundled package they are the known empty files, skipped and counted
    by rule ``unreadable_game_file``. A user's folder gets no such leniency: a game skipped there
    would silently be missing from their training data, and the message lets them fix it.
    """
    fix = ("fix or remove the file and run again" if source_dir is not None
           else f"reinstall the package (`pip install --force-reinstall {source.DISTRIBUTION}`)")
    malformed = sorted(m for r in results for m in r["malformed"])
    if malformed:
        path, problem = malformed[0]
        more = f" (and {len(malformed) - 1} more)" if len(malformed) > 1 else ""
        raise DataError(f"game file {path}{more} is not a Game Center game: {problem}; {fix}")
    errors = sorted(e for r in results for e in r["errors"])
    if errors and source_dir is not None:
        path, reason = errors[0]
        more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
        raise DataError(f"cannot read game file {path}: {reason}{more}; {fix}")


def _check_lines_match_schedule(
    lines_path: Path, lines: pd.DataFrame, sched: dict[str, source.ScheduleGame],
    files: list[source.GameFile], label: str,
) -> None:
    """Before any parsing: a lines file that matches none of the source's scheduled games is an error."""
    entries = [sched[f.game_id] for f in files if f.game_id in sched]
    if not entries:
        return  # no schedule to compare with; the join after parsing decides
    frame = pd.DataFrame({
        "game_id": [e.game_id for e in entries],
        "date": pd.to_datetime([e.date for e in entries]),
        "home_team": [e.home_team for e in entries],
        "away_team": [e.away_team for e in entries],
    })
    _, stats = join_lines(frame, lines_path, lines)
    if stats["matched"] == 0:
        raise _no_match(lines_path, lines, len(entries), sorted({e.season for e in entries}), label)


def _span(seasons: list[int]) -> str:
    if not seasons:
        return "none"
    return str(seasons[0]) if len(seasons) == 1 else f"{seasons[0]}-{seasons[-1]}"


def _no_match(lines_path: Path, lines: pd.DataFrame, n_games: int, seasons: list[int], label: str) -> DataError:
    return DataError(
        f"betting lines file {lines_path} matches none of the {n_games:,} games of {label} (seasons "
        f"{_span(seasons)}; its lines cover seasons {_span(covered_seasons(lines))}); games are matched on "
        f"date (±1 day) and home/away teams. Pass the {LAYOUT} covering these seasons, or leave out --lines"
    )


def _lines_warnings(
    lines_path: Path, lines: pd.DataFrame, games: pd.DataFrame, stats: dict[str, Any], label: str,
) -> list[str]:
    """After the join: no match at all is an error; matching under :data:`LINES_MATCH_WARN` of the
    regular-season and playoff games of the seasons the file covers is a warning."""
    if stats["matched"] == 0:
        raise _no_match(lines_path, lines, len(games), sorted(int(s) for s in games["season"].unique()), label)
    seasons = covered_seasons(lines)
    matched = games[list(LINE_COLUMNS)].notna().any(axis=1)
    scope = games["season_type"].isin(["REG", "POST"]) & games["season"].isin(seasons)
    n, m = int(scope.sum()), int((matched & scope).sum())
    if not n or m >= LINES_MATCH_WARN * n:
        return []
    per_type = "; ".join(
        f"{kind}: {int((matched & scope & (games['season_type'] == kind)).sum()):,} matched, "
        f"{int((~matched & scope & (games['season_type'] == kind)).sum()):,} unmatched"
        for kind in ("REG", "POST")
    )
    return [
        f"betting lines file {lines_path} matched only {m:,} of the {n:,} regular-season and playoff games "
        f"in the seasons it covers ({_span(sorted(set(seasons) & set(games['season'])))}) ({per_type}); "
        "check that it is the spreadspoke_scores.csv layout with full team names and M/D/YYYY dates"
    ]


def _write_store(
    out: Path, tables: dict[str, pd.DataFrame], fp: dict[str, Any], summary: IngestSummary,
    keep: dict[str, dict[str, Any]] | None = None,
) -> None:
    """Write ``tables`` (and the manifest) all-or-nothing (:meth:`TableStore.write`); ``keep`` holds the
    manifest records of tables left as they are."""
    record = summary.to_dict()
    record.pop("notes")
    TableStore(out, "NFL", _rebuild_command).write(tables, fp, record, keep)


def _rejoin_lines(
    workdir: Path, manifest: dict[str, Any], lines: Path, parsed: pd.DataFrame, fp: dict[str, Any], start: float,
) -> IngestSummary:
    """Cached tables of the same source and parser, another lines file: join the new lines onto
    the cached games table (no re-parse), rewrite it and the manifest."""
    out = nfl_dir(workdir)
    summary = _cached_summary(out, manifest)
    games = load_nfl_table(workdir, "games")
    games = games.drop(columns=[c for c in LINE_COLUMNS if c in games.columns])
    games, stats = join_lines(games, lines, parsed)
    warnings = _lines_warnings(lines, parsed, games, stats, summary.source)
    games = schemas.validate("games", games)
    previous = _lines_label(manifest["fingerprint"].get("lines"))
    summary.lines, summary.warnings = stats, warnings
    summary.seconds = time.perf_counter() - start
    keep = {n: manifest["tables"][n] for n in TABLES if n != "games"}
    _write_store(out, {"games": games}, fp, summary, keep)
    summary.notes = [
        f"reused the cached play-by-play tables from {_when(manifest)} (source {summary.source}) and joined "
        f"the betting lines of {lines} onto the games table (previously: {previous}); pass --force to re-parse"
    ]
    return summary


def _reuse(
    workdir: Path, fp: dict[str, Any], lines: Path | None, parsed: pd.DataFrame | None, start: float,
) -> IngestSummary | None:
    """The summary of the store when it can serve this request without parsing: same parser and
    source, verified; other lines are joined onto it. ``None``: build anew."""
    out = nfl_dir(workdir)
    store = nfl_store(workdir)
    manifest = store.read_manifest()
    if manifest is None:
        return None
    stored = manifest["fingerprint"]
    if stored.get("parser_version") != PARSER_VERSION or stored.get("source") != fp["source"]:
        return None
    store.verify(manifest)
    if lines is not None and stored.get("lines") != fp["lines"]:
        assert parsed is not None
        return _rejoin_lines(workdir, manifest, lines, parsed, fp, start)
    summary = _cached_summary(out, manifest)
    note = (f"using cached tables from {_when(manifest)} (source {summary.source}; "
            f"lines {_lines_label(stored.get('lines'))}); pass --force to rebuild")
    if lines is None and stored.get("lines"):
        note += (f". The games table carries the betting lines joined from {_lines_label(stored['lines'])}: "
                 "pass --lines FILE to join others, or --force to rebuild without lines")
    summary.notes = [note]
    summary.seconds = time.perf_counter() - start
    return summary


def _check_source_dir(source_dir: Path | None) -> Path | None:
    if source_dir is None:
        return None
    source_dir = Path(source_dir)
    if not source_dir.exists():
        raise DataError(f"NFL source folder {source_dir} does not exist; pass a folder of <eid>.json.gz files and schedule.json")
    if not source_dir.is_dir():
        raise DataError(
            f"NFL source {source_dir} is a file, not a folder; pass the folder that holds the <eid>.json.gz "
            "game files and schedule.json"
        )
    return source_dir


def ingest_nfl(
    workdir: Path,
    lines: Path | None = None,
    force: bool = False,
    source_dir: Path | None = None,
    progress: ProgressFn | None = None,
    workers: int = WORKERS,
) -> IngestSummary:
    """Build ``<workdir>/data/nfl/{games,drives,plays}.parquet`` (+ ``manifest.json``).

    Cached unless ``force``: a verified store of the same source and parser version is reused
    (``cached=True``, a note says so); when only the lines file differs, the new lines are joined
    onto the cached games table without re-parsing. With ``source_dir`` (a folder of
    ``<eid>.json.gz`` + ``schedule.json``) an unreadable game file is an error naming the file;
    for the bundled package the known-empty files are skipped and counted. A lines file is read
    and checked (layout, usable rows, a match against the schedule) before any parsing.
    """
    start = time.perf_counter()
    out = nfl_dir(workdir)
    source_dir = _check_source_dir(source_dir)
    parsed_lines = None
    if lines is not None:
        lines = Path(lines)
        parsed_lines = read_lines(lines)
    fp = _fingerprint(source_dir, lines)
    if not force:
        hit = _reuse(workdir, fp, lines, parsed_lines, start)
        if hit is not None:
            return hit

    label = source.source_label(source_dir)
    files = source.list_game_files(source_dir)
    sched = source.read_schedule(source_dir)
    if lines is not None and parsed_lines is not None:
        _check_lines_match_schedule(lines, parsed_lines, sched, files, label)
    results = _run_chunks(files, sched, progress, workers)
    _raise_file_errors(results, source_dir)

    counts = quality.new_counts()
    for r in results:
        quality.merge_counts(counts, r["counts"])
    quality.check_schedule_coverage(sched, (f.game_id for f in files), counts)
    tables = _finish_tables(results)

    line_stats, warnings = None, []
    if lines is not None and parsed_lines is not None:
        tables["games"], line_stats = join_lines(tables["games"], lines, parsed_lines)
        warnings = _lines_warnings(lines, parsed_lines, tables["games"], line_stats, label)

    for name in TABLES:
        tables[name] = schemas.validate(name, tables[name])

    summary = IngestSummary(
        games=len(tables["games"]), drives=len(tables["drives"]), plays=len(tables["plays"]),
        rules={k: v.to_dict() for k, v in counts.items()}, lines=line_stats,
        seconds=time.perf_counter() - start, cached=False,
        paths={name: str(out / f"{name}.parquet") for name in TABLES},
        source=label, fingerprint=fp, warnings=warnings,
    )
    _write_store(out, tables, fp, summary)
    return summary
