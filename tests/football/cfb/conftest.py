"""Helpers of the college tests: where the real CFBD sample is (../shared/data/cfb, skipped with a reason
when absent) and small doctored copies of it (the fixtures ``cfb_sample``, ``cfb_ingest`` and
``mini_cfb`` live in ``tests/football/conftest.py``, shared with the dataset and CLI tests)."""

from __future__ import annotations

import csv
import shutil
from pathlib import Path

import pytest

from tests.conftest import SHARED_DATA

CFB_DATA = SHARED_DATA / "cfb"
PBP_DIR = CFB_DATA / "pbp_2024_weeks0-3"
GAMES_CSV = CFB_DATA / "games_lines_2024" / "win_loss.csv"
LINES_CSV = CFB_DATA / "games_lines_2024" / "betting_lines.csv"
#: two real games: Alabama-WKU (main feed) and a second-feed game (negative ids, separate tries)
MINI_GAMES = ("401628319", "401644730")


def _need_sample() -> None:
    if not (PBP_DIR.is_dir() and GAMES_CSV.is_file() and LINES_CSV.is_file()):
        pytest.skip(f"the CFBD sample is not at {CFB_DATA} (../shared/data/cfb is absent)")


def read_rows(path: Path) -> tuple[list[str], list[dict[str, str]]]:
    with open(path, newline="", encoding="utf-8-sig") as handle:
        reader = csv.DictReader(handle)
        return list(reader.fieldnames or []), list(reader)


def write_rows(path: Path, header: list[str], rows: list[dict[str, str]]) -> None:
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=header)
        writer.writeheader()
        writer.writerows(rows)


def make_mini(folder: Path, games: tuple[str, ...] = MINI_GAMES) -> dict[str, Path]:
    """A copy of a few sample games: pbp/<id>.csv, the games file cut to them, the lines file."""
    _need_sample()
    pbp = folder / "pbp"
    pbp.mkdir(parents=True, exist_ok=True)
    for gid in games:
        shutil.copy(PBP_DIR / f"{gid}.csv", pbp / f"{gid}.csv")
    header, rows = read_rows(GAMES_CSV)
    write_rows(folder / "win_loss.csv", header, [r for r in rows if r["Id"] in games])
    shutil.copy(LINES_CSV, folder / "betting_lines.csv")
    return {"pbp": pbp, "games": folder / "win_loss.csv", "lines": folder / "betting_lines.csv"}
