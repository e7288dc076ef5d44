"""Betting-lines join on the real public CSV (skips when ../shared/data is absent)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from scrimmage.data.nfl import join_lines
from scrimmage.errors import DataError


def test_lines_matched_on_full_ingest(full_ingest, lines_csv):
    summary, tables, _ = full_ingest
    stats = summary.lines
    assert stats is not None
    by = stats["by_season_type"]
    reg_post = by["REG"]["matched"] + by["POST"]["matched"]
    assert reg_post >= 2900 and by["REG"]["unmatched"] + by["POST"]["unmatched"] <= 10
    assert stats["unmatched"] == sum(v["unmatched"] for v in by.values())
    g = tables["games"].set_index("game_id")
    # Super Bowl LIV: KC (home in Game Center) favoured by 1.5, total 53 (54.5 in some books)
    assert g.loc["2020020200", "spread_home"] == -1.5
    assert g.loc["2020020200", "total_line"] > 50
    assert g.query("season_type == 'PRE'")["spread_home"].isna().all()


def test_join_synthetic_swapped_and_pick(tmp_path: Path):
    csv = tmp_path / "lines.csv"
    csv.write_text(
        "schedule_date,schedule_season,team_home,team_away,team_favorite_id,spread_favorite,over_under_line\n"
        "10/25/2015,2015,Jacksonville Jaguars,Buffalo Bills,JAX,-3.5,44\n"
        "9/10/2009,2009,Pittsburgh Steelers,Tennessee Titans,PICK,0,35\n"
    )
    games = pd.DataFrame({
        "game_id": ["a", "b", "c"],
        "date": pd.to_datetime(["2015-10-25", "2009-09-11", "2012-01-01"]),
        "home_team": ["BUF", "PIT", "NE"],  # a: London game listed the other way round
        "away_team": ["JAX", "TEN", "MIA"],
    })
    out, stats = join_lines(games, csv)
    assert out["spread_home"].iloc[0] == 3.5 and out["total_line"].iloc[0] == 44
    assert out["spread_home"].iloc[1] == 0.0
    assert pd.isna(out["spread_home"].iloc[2])
    assert stats["matched"] == 2 and stats["unmatched"] == 1 and stats["matched_swapped_home_away"] == 1
    assert stats["unmatched_examples"] == ["c"]


def test_missing_file_and_columns(tmp_path: Path):
    games = pd.DataFrame({"game_id": [], "date": [], "home_team": [], "away_team": []})
    with pytest.raises(DataError, match="not found"):
        join_lines(games, tmp_path / "nope.csv")
    bad = tmp_path / "bad.csv"
    bad.write_text("a,b\n1,2\n")
    with pytest.raises(DataError, match="lacks required columns"):
        join_lines(games, bad)
