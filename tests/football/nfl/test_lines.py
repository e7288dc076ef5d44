"""The betting-lines CSV: its one parser, the join onto games (on the real public CSV, skipped
when ../shared/data is absent) and the points-only games table built from it."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from scrimmage.errors import DataError
from scrimmage.football.common.teams import CANONICAL_TEAMS
from scrimmage.football.nfl.lines import covered_seasons, games_from_spreadspoke, join_lines, read_lines


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


HEADER = ("schedule_date,schedule_season,schedule_week,schedule_playoff,team_home,score_home,score_away,"
          "team_away,team_favorite_id,spread_favorite,over_under_line\n")


def test_one_parser_for_lines_and_games(tmp_path: Path):
    csv = tmp_path / "lines.csv"
    csv.write_text(
        HEADER
        + "9/13/2009,2009,1,FALSE,St. Louis Rams,17,28,Seattle Seahawks,SEA,-8.5,41\n"  # Rams: LA, not LAR
        + "1/17/2016,2015,Division,TRUE,Denver Broncos,23,16,Pittsburgh Steelers,DEN,-7,39.5\n"
        + "12/1/2019,2019,13,FALSE,Oakland Raiders,9,40,Kansas City Chiefs,LVR,-1,\n"  # LVR -> OAK, no total
        + "12/29/2019,2019,17,FALSE,Los Angeles Rams,,,Arizona Cardinals,LAR,-7,47\n"  # not played yet
    )
    lines = read_lines(csv)
    games = games_from_spreadspoke(csv)
    assert games["game_id"].tolist() == ["2009_01_SEA_LA", "2015_19_PIT_DEN", "2019_13_KC_OAK"]
    assert games[["season_type", "week"]].values.tolist() == [["REG", 1], ["POST", 19], ["REG", 13]]
    assert games["spread_home"].tolist() == [8.5, -7.0, -1.0]
    assert games["total_line"].isna().tolist() == [False, False, True]
    # the join reads the same numbers from the same parser (and keeps the unplayed game's line)
    assert lines["spread_home"].tolist() == [8.5, -7.0, -1.0, -7.0]
    assert lines[["line_home", "line_away"]].values.tolist()[-1] == ["LA", "ARI"]


def test_games_from_spreadspoke_refuses_to_guess(tmp_path: Path):
    unknown = tmp_path / "unknown.csv"
    unknown.write_text(HEADER + "9/13/2009,2009,1,FALSE,Springfield Atoms,17,28,Seattle Seahawks,SEA,-8.5,41\n")
    with pytest.raises(DataError, match="Springfield Atoms"):
        games_from_spreadspoke(unknown)
    odd = tmp_path / "odd.csv"
    odd.write_text(HEADER + "9/13/2009,2009,1,FALSE,St. Louis Rams,17,28,Seattle Seahawks,NE,-8.5,41\n")
    with pytest.raises(DataError, match="neither team"):
        games_from_spreadspoke(odd)
    assert read_lines(odd)["spread_home"].isna().all()  # the join leaves such a line out instead


def test_real_csv_games_use_canonical_codes(lines_csv):
    games = games_from_spreadspoke(lines_csv)
    assert set(games["home_team"]) | set(games["away_team"]) == set(CANONICAL_TEAMS)


def test_unusable_files_are_named(tmp_path: Path):
    games = pd.DataFrame({"game_id": [], "date": [], "home_team": [], "away_team": []})
    with pytest.raises(DataError, match="is a folder"):
        read_lines(tmp_path)
    cases = {
        "empty.csv": (b"", "is empty"),
        "blank.csv": (b"\n\n  \n", "is empty"),
        "binary.csv": (b"PK\x03\x04\x00\x00zip", "holds binary data"),
        "latin.csv": (HEADER.encode() + "9/13/2009,2009,1,FALSE,St. Louis Rams,17,28,Seattle Seahawks,SEA,-8.5,41,\xe9\n".encode("latin-1"), "not a readable CSV"),
        "header.csv": (HEADER.encode(), "has a header but no rows"),
        "nolines.csv": (HEADER.encode() + b"9/13/2009,2009,1,FALSE,St. Louis Rams,17,28,Seattle Seahawks,,,\n", "has no usable line"),
    }
    for name, (content, message) in cases.items():
        path = tmp_path / name
        path.write_bytes(content)
        with pytest.raises(DataError, match=message) as err:
            join_lines(games, path)
        assert name in str(err.value)


def test_line_seasons(tmp_path: Path):
    csv = tmp_path / "lines.csv"
    csv.write_text(
        HEADER
        + "9/13/2009,2009,1,FALSE,St. Louis Rams,17,28,Seattle Seahawks,SEA,-8.5,41\n"
        + "1/17/2016,2015,Division,TRUE,Denver Broncos,23,16,Pittsburgh Steelers,DEN,-7,39.5\n"
        + "9/10/2017,2017,1,FALSE,Denver Broncos,,,Los Angeles Chargers,,,\n"  # no line: covers nothing
    )
    lines = read_lines(csv)
    assert lines["line_season"].tolist() == [2009, 2015, 2017]
    assert covered_seasons(lines) == [2009, 2015]
