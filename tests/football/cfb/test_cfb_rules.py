"""Every college quality rule fires (on the sample, or on a doctored copy of two of its games), the
play-type and points helpers on real play texts, and the book choice of the lines join."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from scrimmage.football.cfb import playtypes as pt
from scrimmage.football.cfb.ingest import ingest_cfb, load_cfb_table
from scrimmage.football.cfb.lines import choose_lines, join_cfb_lines, read_cfb_lines
from scrimmage.football.cfb.quality import RULES
from scrimmage.football.common import schemas

from .conftest import make_mini, read_rows, write_rows

ALABAMA = "401628319"  # Alabama 63, Western Kentucky 0 (main feed)
EXTRA = "401628320"  # a third game whose games-file row loses its final score


def _doctor(src: dict[str, Path]) -> None:
    pbp = src["pbp"]
    header, rows = read_rows(pbp / f"{ALABAMA}.csv")

    def first(play_type: str, start: int = 0) -> dict[str, str]:
        return next(r for r in rows[start:] if r["play_type"] == play_type)

    first("Rush")["offense"] = "Nowhere U"  # play_team_not_in_game
    first("Pass Reception")["play_type"] = "Trick Play"  # unknown_play_type (text: a pass)
    first("Pass Incompletion")["clock"] = "9:7x"  # clock_unreadable
    first("Rush", 20)["distance"] = "-3"  # distance_out_of_range
    first("Rush", 40)["yards_to_goal"] = ""  # missing_yardline
    first("Rush", 60)["yards_gained"] = "150"  # yards_out_of_range
    timeout = dict(first("Timeout"))
    timeout.update(id="401628319199999901", drive_id="40162831999", play_number="1")
    rows.append(timeout)  # drive_only_administrative
    write_rows(pbp / f"{ALABAMA}.csv", header, rows)
    # a game the games file lacks, a header-only file, a game without a final score
    write_rows(pbp / "999999999.csv", header, [{**r, "game_id": "999999999"} for r in rows[:5]])
    write_rows(pbp / "999999998.csv", header, [])
    write_rows(pbp / "copy.csv", header, rows)  # sorts before 401644730.csv... and after 401628319.csv
    g_header, g_rows = read_rows(src["games"])
    alabama = next(r for r in g_rows if r["Id"] == ALABAMA)
    alabama["Home Line Scores[0]"] = "30"  # 30+21+14+7 > 63: line_scores_exceed_final
    extra = next(r for r in g_rows if r["Id"] == EXTRA)
    g_rows = [r for r in g_rows if r["Id"] != EXTRA]
    extra["Home Points"] = ""
    write_rows(src["games"], g_header, [*g_rows, dict(alabama), extra])  # duplicate_games_file_rows


@pytest.fixture(scope="module")
def doctored(tmp_path_factory: pytest.TempPathFactory):
    base = tmp_path_factory.mktemp("cfb_doctored")
    src = make_mini(base / "src", (ALABAMA, "401644730", EXTRA))
    _doctor(src)
    summary = ingest_cfb(base / "wd", src["pbp"], src["games"], lines=src["lines"], force=True)
    return summary, {n: load_cfb_table(base / "wd", n) for n in ("games", "drives", "plays")}


DOCTORED_RULES = (
    "duplicate_games_file_rows", "duplicate_game_file", "game_not_in_games_file", "game_without_final_score", "game_file_without_plays",
    "play_team_not_in_game", "unknown_play_type", "clock_unreadable", "distance_out_of_range", "missing_yardline",
    "yards_out_of_range", "line_scores_exceed_final", "drive_only_administrative",
)


def test_doctored_rules_fire(doctored):
    summary, tables = doctored
    fired = {name for name, r in summary.rules.items() if r["detected"]}
    assert set(DOCTORED_RULES) <= fired, set(DOCTORED_RULES) - fired
    assert summary.games == 2  # the extra game has no final score; 999999999 is not in the games file
    assert summary.rules["game_not_in_games_file"]["examples"] == ["999999999"]
    assert summary.rules["game_file_without_plays"]["examples"] == ["999999998.csv"]
    assert summary.rules["game_without_final_score"]["examples"] == [EXTRA]
    assert summary.rules["unknown_play_type"]["examples"] == ["Trick Play"]
    assert summary.rules["duplicate_game_file"]["examples"] == [f"copy.csv repeats {ALABAMA}.csv"]
    for name, df in tables.items():
        schemas.validate(name, df, league="cfb")
    games = tables["games"].set_index("game_id")
    alabama = games.loc[ALABAMA]
    quarters = [alabama[f"home_q{i}"] for i in range(1, 5)]
    assert sum(quarters) + alabama["home_ot"] == alabama["home_score"] == 63 and alabama["home_ot"] == 0
    plays = tables["plays"]
    assert plays["yardline_100"].isna().sum() == 1 and plays["yards_gained"].max() == 110
    assert (plays["play_type"] == "pass").sum() > 0


def test_every_rule_fires_somewhere(doctored, cfb_ingest):
    sample = {name for name, r in cfb_ingest[0].rules.items() if r["detected"]}
    fired = sample | {name for name, r in doctored[0].rules.items() if r["detected"]}
    assert fired == set(RULES), set(RULES) - fired
    for name, r in cfb_ingest[0].rules.items():
        assert r["action"] == RULES[name].action
        assert not r["detected"] or r["affected"] >= r["detected"] or name.startswith("clock_jump")


# ---------------------------------------------------------------- play types and points on real texts

@pytest.mark.parametrize(("cfbd", "text", "kind"), [
    ("Rush", "Kneel down by South Carolina at USC43 for loss of 5 yards.", "kneel"),
    ("Pass Incompletion", "Jalen Milroe spiked the ball", "spike"),
    ("Punt", "J.Ballard kicks 63 yards from JST 35 to the ULM 2. Fair catch by D.Wells.", "kickoff"),
    ("Fumble Recovery (Own)", "Kainoa Jones sacked by Cortland Horton for a loss of 12 yards Kainoa Jones fumbled", "sack"),
    ("Fumble Recovery (Opponent)", "LaNorris Sellers run for 5 yds to the SC 9 LaNorris Sellers fumbled", "run"),
    ("Fumble Return Touchdown", "Kasyus Kurns 31 Yd Fumble Return (Michael James PAT failed)", "other"),
    ("Uncategorized", "M.Shipley extra point is good.", "extra_point"),
    ("Uncategorized", "Two minute warning.", pt.ADMIN),
    ("Safety", "Cam Fancher sacked by D'Quan Douse for a loss of 5 yards for a SAFETY", "sack"),
    ("Kickoff Return (Offense)", "Luke Akers kickoff for 63 yds , Peyton Jones return for 27 yds to the DUKE 13", "kickoff"),
    ("Penalty", "Alabama Penalty, False Start (Tyler Booker) to the ALA 22", "no_play"),
    ("Timeout", "Timeout South Carolina, clock 13:22", pt.ADMIN),
])
def test_classify(cfbd: str, text: str, kind: str):
    assert pt.classify(cfbd, text)[0] == kind


@pytest.mark.parametrize(("cfbd", "kind", "text", "expected"), [
    ("Rushing Touchdown", "run", "Jalen Milroe 12 Yd Run (Graham Nicholson Kick)", ("off", 7, 0, 0)),
    ("Passing Touchdown", "pass", "Sean McElwain 1 Yd pass from Darius Wilson (Eric Bernstein PAT failed)", ("off", 6, 0, 0)),
    ("Passing Touchdown", "pass", "BJ Fleming 62 Yd pass from Ty Pennington (J'Wan Evans Run for Two-Point Conversion)", ("off", 8, 0, 0)),
    ("Rushing Touchdown", "run", "X run for 2 yds for a TD (Two-Point Conversion failed)", ("off", 6, 0, 0)),
    ("Interception Return Touchdown", "pass", "Mikey Keene pass intercepted Will Johnson return for 86 yds for a TD (Dominic Zvada KICK)", ("def", 7, 0, 0)),
    ("Punt", "punt", "Josh Smith punt for 50 yds , Desmond Reid returns for 78 yds for a TD (Ben Sauls KICK)", ("def", 7, 0, 0)),
    ("Penalty", "no_play", "rush for 44 yards gain to the WEB ST00 TOUCHDOWN nullified by penalty. NO PLAY.", (None, 0, 0, 0)),
    ("Field Goal Good", "field_goal", "Alex Herrera 40 yd FG GOOD", (None, 0, 3, 0)),
    ("Field Goal Missed", "field_goal", "Elliott Nimrod 52 yd FG MISSED", (None, 0, 0, 0)),
    ("Safety", "other", "Team Safety", (None, 0, 0, 2)),
    ("Uncategorized", "extra_point", "M.Larson extra point is blocked.", (None, 0, 0, 0)),
    ("Fumble Recovery (Own)", "sack", "... fumbled, recovered by IDST Janari Boone , return for 28 yards for a TD (Gabe Panikowski KICK)", ("?", 7, 0, 0)),
])
def test_points(cfbd: str, kind: str, text: str, expected: tuple):
    assert pt.points(cfbd, kind, text) == expected


def test_play_yards():
    assert pt.play_yards("Jam Miller run for 3 yds to the ALA 25 Alabama Penalty, Offensive Holding") == 3
    assert pt.play_yards("Elijah Young run for a loss of 2 yards to the WKU 41") == -2
    assert pt.play_yards("Noah Smith pass complete for no gain, PENALTY") == 0
    assert pt.play_yards("Alabama Penalty, False Start") is None


# ---------------------------------------------------------------- lines: one book per game

def _lines(rows: list[tuple]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["game_id", "home", "away", "book", "spread_home", "total_line"])


def test_book_priority_and_sign():
    lines = _lines([
        ("1", "A", "B", "Bovada", -3.0, 50.0), ("1", "A", "B", "DraftKings", -3.5, 51.0),
        ("2", "C", "D", "Bovada", 7.0, 44.0), ("2", "C", "D", "ESPN Bet", None, 45.0),
        ("3", "E", "F", "ESPN Bet", None, 40.0),
    ])
    chosen = choose_lines(lines).set_index("game_id")
    assert chosen.loc["1", "book"] == "DraftKings" and chosen.loc["1", "spread_range"] == 0.5
    assert chosen.loc["2", "book"] == "Bovada"  # ESPN Bet has no spread there
    assert chosen.loc["3", "book"] == "ESPN Bet" and pd.isna(chosen.loc["3", "spread_home"])
    assert choose_lines(lines, ("Bovada",)).set_index("game_id").loc["1", "book"] == "Bovada"
    games = pd.DataFrame({"game_id": ["1", "2", "4"], "home_team": ["B", "C", "G"], "away_team": ["A", "X", "H"]})
    out, stats = join_cfb_lines(games, Path("lines.csv"), lines)
    assert out["spread_home"].iloc[0] == 3.5  # home/away swapped: the sign flips
    assert pd.isna(out["spread_home"].iloc[1]) and out["line_provider"].iloc[1] is None  # other teams
    assert stats["matched"] == 1 and stats["matched_swapped_home_away"] == 1 and stats["team_mismatch"] == 1
    assert stats["unmatched"] == 2 and stats["unmatched_examples"] == ["4"]


def test_sample_lines_file(cfb_sample):
    lines = read_cfb_lines(cfb_sample["lines"])
    assert set(lines["book"]) == {"ESPN Bet", "DraftKings", "Bovada"}
    # CFBD's Spread is the home line: "TCU -8.0" with TCU away is +8.0
    row = lines[(lines["home"] == "Stanford") & (lines["away"] == "TCU")].iloc[0]
    assert row["spread_home"] > 0
