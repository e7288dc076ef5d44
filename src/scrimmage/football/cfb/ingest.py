"""Orchestrates the college ingest: CFBD files → parse → rules → validate → Parquet.

``<workdir>/data/cfb`` holds ``games``, ``drives`` and ``plays`` (the NFL tables' columns, checked
by the same pandera schemas with the league's differences: ``schemas.validate(name, df,
league="cfb")``) and ``manifest.json``, written last: what produced the tables (parser version,
the play-by-play folder, the games and lines files, the book order), the summary, and each
table's size and sha256, which :func:`load_cfb_table` and the cache check before trusting a file.

The write follows the NFL ingest's pattern (all checks first; temp files beside the store,
renamed over the old ones, the manifest last; a failure leaves the previous store as it was). The
NFL module's helpers are not called: they are private and name the NFL and ``data nfl`` in their
messages; a shared store helper (one per league) would remove the duplication.

264 games (44,727 rows) take ~2 s in one process: the files are small, so no worker pool.
"""

from __future__ import annotations

import datetime as dt
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from scrimmage.errors import DataError
from scrimmage.football.cfb import quality, source
from scrimmage.football.cfb.lines import BOOK_PRIORITY, check_books, join_cfb_lines, read_cfb_lines
from scrimmage.football.cfb.parse import parse_game
from scrimmage.football.common import schemas
from scrimmage.football.common.store import TableStore
from scrimmage.football.common.tables import TABLES, cfb_dir
from scrimmage.football.nfl.ingest import IngestSummary

#: Bump when parsing, rules, table layout or the manifest change so cached tables are rebuilt.
PARSER_VERSION = "1"
LEAGUE = "cfb"

ProgressFn = Callable[[int, int], None]


@dataclass
class CfbSummary(IngestSummary):
    """The NFL ingest's summary plus what college adds: the games file's coverage and the play
    types met (CFBD type → project type → rows)."""

    league: str = LEAGUE
    games_file: dict[str, Any] = field(default_factory=dict)
    play_types: dict[str, dict[str, int]] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {**super().to_dict(), "league": self.league, "games_file": self.games_file, "play_types": self.play_types}

    @classmethod
    def from_dict(cls, d: dict[str, Any], fingerprint: dict[str, Any]) -> CfbSummary:
        base = IngestSummary.from_dict(d, fingerprint)
        return cls(**{**base.__dict__, "games_file": d.get("games_file") or {}, "play_types": d.get("play_types") or {}})


def _rebuild_command(fp: dict[str, Any] | None) -> str:
    fp = fp or {}
    parts = ["scrimmage data cfb"]
    src = fp.get("source") or {}
    parts.append(f"--source {src.get('dir', 'DIR')}")
    parts.append(f"--games {(fp.get('games') or {}).get('path', 'FILE')}")
    if (fp.get("lines") or {}).get("path"):
        parts.append(f"--lines {fp['lines']['path']}")
    return "`" + " ".join([*parts, "--force"]) + "`"


def cfb_store(workdir: Path) -> TableStore:
    """The college tables' store (:class:`~scrimmage.football.common.store.TableStore`) in ``<workdir>/data/cfb``."""
    return TableStore(cfb_dir(workdir), "CFB", _rebuild_command, fingerprint_keys=("parser_version",))


def load_cfb_table(workdir: Path, name: str) -> pd.DataFrame:
    """One ingested table (games, drives or plays), its size checked against the manifest."""
    return cfb_store(workdir).load(name, PARSER_VERSION, "scrimmage data cfb --source DIR --games FILE")


def _write_store(out: Path, tables: dict[str, pd.DataFrame], fp: dict[str, Any], summary: CfbSummary) -> None:
    record = summary.to_dict()
    record.pop("notes")
    TableStore(out, "CFB", _rebuild_command).write(tables, fp, record)


def _cached(out: Path, fp: dict[str, Any], start: float) -> CfbSummary | None:
    store = TableStore(out, "CFB", _rebuild_command)
    manifest = store.read_manifest()
    if manifest is None or manifest["fingerprint"] != fp:
        return None
    store.verify(manifest)
    summary = CfbSummary.from_dict(manifest["summary"], fp)
    summary.cached = True
    summary.paths = {name: str(out / f"{name}.parquet") for name in TABLES}
    summary.seconds = time.perf_counter() - start
    when = dt.datetime.fromtimestamp(float(manifest.get("written_at") or 0)).strftime("%Y-%m-%d %H:%M")
    summary.notes = [f"using cached tables from {when} (same files and parser); pass --force to rebuild"]
    return summary


def _frame(rows: list[dict[str, Any]], sort: list[str]) -> pd.DataFrame:
    return pd.DataFrame.from_records(rows).sort_values(sort, kind="stable").reset_index(drop=True)


def ingest_cfb(
    workdir: Path,
    source_dir: Path,
    games_file: Path,
    lines: Path | None = None,
    force: bool = False,
    books: tuple[str, ...] = BOOK_PRIORITY,
    progress: ProgressFn | None = None,
) -> CfbSummary:
    """Build ``<workdir>/data/cfb/{games,drives,plays}.parquet`` (+ ``manifest.json``) from a folder
    of CFBD play-by-play CSVs, the games file and optionally the betting-lines file.

    Cached unless ``force``: a verified store built from the same files, parser and book order
    is reused. Every input is checked (folder, headers, columns; the lines file's layout and
    usable rows) before any table is written.
    """
    start = time.perf_counter()
    out = cfb_dir(workdir)
    files = source.list_game_files(Path(source_dir))
    games_file = Path(games_file)
    entries, games_rows, repeated = source.read_games(games_file)
    parsed_lines = read_cfb_lines(Path(lines)) if lines is not None else None
    books = tuple(books)
    if parsed_lines is not None and books != tuple(BOOK_PRIORITY):
        check_books(books, parsed_lines, Path(lines))
    fp = {
        "parser_version": PARSER_VERSION, "league": LEAGUE,
        "source": source.source_fingerprint(Path(source_dir), files),
        "games": source.file_fingerprint(games_file),
        "lines": source.file_fingerprint(Path(lines)) if lines is not None else None,
        "books": list(books) if lines is not None else None,
    }
    if not force:
        hit = _cached(out, fp, start)
        if hit is not None:
            return hit

    counts = quality.new_counts()
    for gid in repeated:
        counts["duplicate_games_file_rows"].add(example=gid)
    games, drives, plays = [], [], []
    type_counts: Counter[tuple[str, str]] = Counter()
    seen: dict[str, str] = {}
    for i, path in enumerate(files, start=1):
        raw = source.read_game_file(path)
        gid = (raw[0].get("game_id") or "").strip() if raw else ""
        if gid and gid in seen:  # skipped before parsing, so its rows count nowhere else
            counts["duplicate_game_file"].add(example=f"{path.name} repeats {seen[gid]}")
            parsed = None
        else:
            seen[gid] = path.name
            parsed = parse_game(path, raw, entries, counts)
        if parsed is not None:
            games.append(parsed.game)
            drives.extend(parsed.drives)
            plays.extend(parsed.plays)
            type_counts.update(parsed.type_counts)
        if progress:
            progress(i, len(files))
    if not games:
        missing = counts["game_not_in_games_file"].examples
        raise DataError(
            f"none of the {len(files):,} play-by-play files in {source_dir} is a game of games file {games_file}"
            + (f" (e.g. game ids {missing[:3]} are not in its Id column)" if missing else "")
            + "; pass the games file of the same season(s), e.g. win_loss.csv"
        )
    tables = {
        "games": _frame(games, ["game_id"]),
        "drives": _frame(drives, ["game_id", "drive_id"]),
        "plays": _frame(plays, ["game_id", "play_index"]),
    }
    line_stats = None
    warnings: list[str] = []
    if lines is not None and parsed_lines is not None:
        tables["games"], line_stats = join_cfb_lines(tables["games"], Path(lines), parsed_lines, books)
        if line_stats["matched"] == 0:
            raise DataError(
                f"betting lines file {lines} matches none of the {len(games):,} games (joined on the game id, CFBD's "
                "Id); pass the betting lines of the same season(s), or leave out --lines"
            )
        if line_stats["team_mismatch"]:
            warnings.append(
                f"{line_stats['team_mismatch']} games of {lines} list other teams than the games file under the same id "
                f"(left without a line), e.g. {line_stats['team_mismatch_examples'][0]}"
            )
    for name in TABLES:
        tables[name] = schemas.validate(name, tables[name], league=LEAGUE)

    by_type: dict[str, dict[str, int]] = {}
    for (cfbd, kind), n in sorted(type_counts.items(), key=lambda kv: (-kv[1], kv[0])):
        by_type.setdefault(cfbd, {})[kind] = n
    by_type = dict(sorted(by_type.items(), key=lambda kv: -sum(kv[1].values())))
    summary = CfbSummary(
        games=len(tables["games"]), drives=len(tables["drives"]), plays=len(tables["plays"]),
        rules={k: v.to_dict() for k, v in counts.items()}, lines=line_stats,
        seconds=time.perf_counter() - start, cached=False,
        paths={name: str(out / f"{name}.parquet") for name in TABLES},
        source=str(source_dir), fingerprint=fp, warnings=warnings,
        games_file={
            "file": str(games_file), "rows": games_rows, "play_by_play_files": len(files),
            "games_with_play_by_play": len(tables["games"]),
            "source_rows": sum(type_counts.values()),
        },
        play_types=by_type,
    )
    _write_store(out, tables, fp, summary)
    return summary
