"""Hand-checked parsing of real games (values read from the Game Center JSON by eye).

The games that exercise a data-quality rule are tested in test_quality_rules.py."""

from __future__ import annotations

from scrimmage.football.common.teams import canonical_team, team_from_name
from scrimmage.football.nfl import parse
from scrimmage.football.nfl.playtypes import play_type
from tests.football.conftest import clean_real_game


def test_2009_opener_pit_ten_overtime():
    parsed, _counts = clean_real_game("2009091000")
    g = parsed.game
    assert (g["home_team"], g["away_team"]) == ("PIT", "TEN")
    assert (g["home_score"], g["away_score"]) == (13, 10)
    assert (g["home_q2"], g["home_q4"], g["home_ot"]) == (7, 3, 3)
    assert g["season"] == 2009 and g["season_type"] == "REG" and g["week"] == 1
    assert g["home_top_sec"] == 36 * 60 + 11 and g["home_punts"] == 7
    assert g["pbp_score_consistent"] and g["pbp_complete"]
    plays = {p["play_id"]: p for p in parsed.plays}
    kick = plays[46]  # opening kickoff: posteam is the kicking team (TEN) at its own 30
    assert (kick["play_type"], kick["posteam"], kick["yardline_100"]) == ("kickoff", "TEN", 30)
    p = plays[68]  # (14:53) 1st-and-10 at PIT 42, Roethlisberger to Ward for 5
    assert (p["play_type"], p["down"], p["ydstogo"], p["yardline_100"], p["yards_gained"]) == ("pass", 1, 10, 42, 5)
    assert p["sec_remaining_game"] == 14 * 60 + 53 + 2700 and p["sec_remaining_half"] == 14 * 60 + 53 + 900
    p = plays[92]  # (14:16) 2nd-and-5 at PIT 47, Parker for -3
    assert (p["play_type"], p["down"], p["ydstogo"], p["yardline_100"], p["yards_gained"]) == ("run", 2, 5, 47, -3)
    p = plays[113]  # 3rd-and-8 incomplete
    assert (p["play_type"], p["yards_gained"], p["first_down"]) == ("pass", 0, False)
    # Holmes 34-yard TD (play 1785) + Reed XP: plays after it start at 7-0
    after = [q for q in parsed.plays if q["play_index"] > plays[1785]["play_index"]]
    assert plays[1785]["touchdown"] and plays[1785]["home_points"] == 6
    assert after[1]["home_score_before"] == 7 and after[1]["away_score_before"] == 0
    assert parsed.plays[-1]["qtr"] == 5


def test_superbowl_2019_season():
    parsed, _ = clean_real_game("2020020200")
    g = parsed.game
    assert g["season"] == 2019 and g["season_type"] == "POST"
    assert (g["home_team"], g["away_team"], g["home_score"], g["away_score"]) == ("KC", "SF", 31, 20)
    p = next(q for q in parsed.plays if q["play_id"] == 58)  # (14:54) 1st-and-10 KC 26, Williams +7
    assert (p["play_type"], p["down"], p["ydstogo"], p["yardline_100"], p["yards_gained"]) == ("run", 1, 10, 26, 7)
    assert g["pbp_score_consistent"]


def test_helpers():
    assert parse.yardline_100("CHI 16", "CHI") == 16
    assert parse.yardline_100("CHI 16", "GB") == 84
    assert parse.yardline_100("JAC 20", "JAX") == 20
    assert parse.yardline_100("50", "GB") == 50
    assert parse.yardline_100("", "GB") is None
    assert parse.clock_seconds("12:34") == 754 and parse.clock_seconds("") is None
    assert parse.pat_points("X 4 yd. run (J.Reed kick is good) Drive: 1 plays") == 1
    assert parse.pat_points("X 27 yd. interception return (T.Choice run)") == 2
    assert parse.pat_points("X 3 yd. pass from Y (kick failed, wr)") == 0
    assert [canonical_team(c) for c in ("JAC", "STL", "SD", "NE", None)] == ["JAX", "LA", "LAC", "NE", ""]
    assert team_from_name("St. Louis Rams") == "LA" and team_from_name("Nowhere") is None
    assert play_type({93}, "(1:50) PENALTY on GB, False Start, enforced - No Play.", "PENALTY") == "no_play"
    assert play_type(set(), "(0:21) B.Gradkowski kneels to CIN 15 for no gain.", None) == "kneel"
    assert play_type({20, 83}, "(3:00) X sacked at Y 30 for -7 yards", None) == "sack"
