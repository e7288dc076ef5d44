"""Situations: the ``--from-state`` parser (text and JSON, every range checked with a message naming
the bad part) and the state of a real game after its N-th play (hand-made plays table)."""

from __future__ import annotations

import pandas as pd
import pytest
import torch

from scrimmage.errors import ArgumentError
from scrimmage.football.simulate.situation import Situation, parse_situation, situation_after_play
from scrimmage.football.simulate.state import AWAY, FREE_KICK, HOME, KICKOFF, SNAP, TRY, GameState


def test_the_brief_example():
    s = parse_situation("Q4 2:00, home ball at own 25, down 3")
    assert (s.quarter, s.clock, s.offense, s.yardline, s.down, s.distance) == (4, 120, "home", 25, 1, 10)
    assert (s.home_score, s.away_score) == (0, 3) and s.phase == "snap"
    assert "margin" in s.note


def test_full_text_form():
    s = parse_situation("Q2 0:45 away ball at opp 30 2nd and 7, home 17 away 14")
    assert (s.quarter, s.clock, s.offense, s.yardline, s.down, s.distance) == (2, 45, "away", 70, 2, 7)
    assert (s.home_score, s.away_score) == (17, 14) and s.note is None


@pytest.mark.parametrize(("text", "expected"), [
    ("Q1 10:00 home ball at own 20 3rd & 4", {"down": 3, "distance": 4, "yardline": 20}),
    ("q3 7:30 AWAY BALL at OPP 8", {"offense": "away", "yardline": 92, "distance": 8}),  # goal to go
    ("Q4 1:00 home ball at opp 5, 4th and goal, home 20 away 24", {"down": 4, "distance": 5, "yardline": 95}),
    ("OT 8:00 away ball at midfield", {"quarter": 5, "clock": 480, "yardline": 50}),
    ("Q4 0:30, home ball at opp 10, home 24 away 10", {"yardline": 90, "distance": 10, "home_score": 24}),
    ("Q4 5:00 away ball at own 40 up 7", {"home_score": 0, "away_score": 7}),
    ("Q4 5:00 away ball at own 40, trailing by 4", {"home_score": 4, "away_score": 0}),
    ("Q3 15:00 away kicks off, home 7 away 3", {"phase": "kickoff", "offense": "away", "yardline": 35}),
    ("4th quarter 2:00 KC ball at own 25, KC 20 BUF 17", {"quarter": 4, "offense": "home", "home_score": 20}),
    ("Q4 2:00 home ball at own 25, home 17 away 20, down 3", {"home_score": 17, "away_score": 20}),
])
def test_text_forms(text, expected):
    s = parse_situation(text, home="KC", away="BUF")
    for key, value in expected.items():
        assert getattr(s, key) == value, (key, s)


def test_json_form():
    s = parse_situation('{"quarter":4,"clock":120,"offense":"home","yardline":25,"down":3,"distance":10,'
                        '"home_score":20,"away_score":17}')
    assert s == Situation(quarter=4, clock=120, offense="home", yardline=25, down=3, distance=10, home_score=20,
                          away_score=17)
    s = parse_situation('{"quarter":"OT","clock":"8:00","offense":"away","yardline":"opp 30","distance":"goal"}')
    assert (s.quarter, s.clock, s.yardline, s.distance) == (5, 480, 70, 30)


@pytest.mark.parametrize(("text", "message"), [
    ("", "empty"),
    ("Q5 2:00 home ball at own 25", "quarter 'Q5' must be Q1-Q4 or OT"),
    ("Q4 16:00 home ball at own 25", "clock '16:00' must be between 0:00 and 15:00"),
    ("Q4 2:75 home ball at own 25", "clock '2:75'"),
    ("Q4 2:00 home ball at own 25, 5th and 3", "down '5th and 3' must be 1st to 4th"),
    ("Q4 2:00 home ball at opp 5, 3rd and 8", "beyond the goal line"),
    ("Q4 2:00 home ball at own 25, 3rd and 0", "distance 0 must be 1-99"),
    ("Q4 2:00 home ball at own 0", "'own 0' must be own 1-50"),
    ("Q4 2:00 home ball at opp 60", "'opp 60'"),
    ("Q4 2:00 home ball at own 25 banana", "could not read 'banana'"),
    ("2:00 home ball at own 25", "does not say the quarter"),
    ("Q4 home ball at own 25", "does not say the clock"),
    ("Q4 2:00 at own 25", "does not say who has the ball"),
    ("Q4 2:00 home ball", "does not say where the ball is"),
    ("Q4 2:00 Q3 home ball at own 25", "more than once"),
    ("Q4 2:00 home ball at own 25, home 3", "gives the home score only"),
    ("Q4 2:00 home ball at own 25, home 3 away 10, up 7", "does not match the margin"),
    ("{bad json", "not valid JSON"),
    ("[1, 2]", "the JSON form must be an object {...}, got a JSON array"),
    ('{"quarter": 4, "clock": 120}', "no 'offense'"),
    ('{"quarter": 4, "clock": 120, "offense": "home", "yardline": 25, "extra": 1}', "unknown key(s) extra"),
    ('{"quarter": 6, "clock": 120, "offense": "home", "yardline": 25}', "quarter 6 must be 1-4 or OT"),
    ('{"quarter": 4, "clock": 1000, "offense": "home", "yardline": 25}', "clock 1000 s"),
    ('{"quarter": 4, "clock": 120, "offense": "left", "yardline": 25}', "offense 'left'"),
    ('{"quarter": 4, "clock": 120, "offense": "home", "yardline": 100}', "yardline 100 must be 1-99"),
    ('{"quarter": 4, "clock": 120, "offense": "home", "yardline": 25, "down": 0}', "down 0 must be 1-4"),
    ('{"quarter": 4, "clock": 120, "offense": "home", "yardline": 25, "home_score": -3}', "scores must be 0-200 (home -3, away 0)"),
    ('{"quarter": 4, "clock": 120, "offense": "home", "yardline": 25, "down": 2.5}', "whole number"),
])
def test_bad_situations_name_the_part(text, message):
    with pytest.raises(ArgumentError) as err:
        parse_situation(text)
    assert message in str(err.value)
    assert "write it like" in str(err.value)  # every message shows an example


def test_state_kwargs_build_the_game_state():
    s = parse_situation("Q4 2:00 away ball at opp 30, 3rd & 4, home 17 away 14")
    state = GameState.from_situation(torch.tensor([[0, 1], [0, 1]]), **s.state_kwargs())
    assert state.offense.tolist() == [AWAY, AWAY] and state.phase.tolist() == [SNAP, SNAP]
    assert state.yardline.tolist() == [70, 70] and state.down.tolist() == [3, 3] and state.distance.tolist() == [4, 4]
    assert state.score.tolist() == [[17, 14], [17, 14]] and state.clock.tolist() == [120, 120]
    assert state.opening_receiver.tolist() == [HOME, HOME]  # default: the side without the ball
    kick = parse_situation("Q3 15:00 home kicks off").state_kwargs()
    assert kick["phase"] == KICKOFF and kick["offense"] == HOME
    assert "KC kicks off" in parse_situation("Q3 15:00 home kicks off").describe("KC", "BUF")


# --------------------------------------------------------------------------- after play N of a real game

def _game() -> tuple[pd.DataFrame, pd.DataFrame]:
    """A short made-up game: HOM receives, scores a touchdown and the try, kicks off, gives up a
    safety, free kicks; play_index has a gap where a timeout was."""
    games = pd.DataFrame([{"game_id": "2019091500", "season": 2019, "week": 2, "season_type": "REG",
                           "home_team": "HOM", "away_team": "AWY", "home_score": 7, "away_score": 2}])
    rows = [
        # play_index, qtr, posteam, down, ydstogo, yardline, type, sec_half, home_before, away_before, home_pts, away_pts
        (1, 1, "AWY", 0, 0, 35, "kickoff", 1800, 0, 0, 0, 0),
        (2, 1, "HOM", 1, 10, 25, "run", 1800, 0, 0, 0, 0),
        (3, 1, "HOM", 2, 4, 31, "pass", 1770, 0, 0, 0, 0),
        (5, 1, "HOM", 1, 10, 60, "pass", 1700, 0, 0, 6, 0),  # touchdown (index 4 was a timeout)
        (6, 1, "HOM", 0, 0, 85, "extra_point", 1690, 6, 0, 1, 0),
        (7, 1, "HOM", 0, 0, 35, "kickoff", 1690, 7, 0, 0, 0),
        (8, 1, "AWY", 0, 0, 30, "no_play", 1685, 7, 0, 0, 0),  # a foul before the snap, no down
        (9, 2, "AWY", 1, 15, 20, "pass", 800, 7, 0, 0, 0),
        (10, 2, "HOM", 3, 12, 2, "run", 700, 7, 0, 0, 2),  # safety
        (11, 2, "HOM", 0, 0, 20, "kickoff", 690, 7, 2, 0, 0),  # the free kick
        (12, 4, "AWY", 1, 10, 40, "kneel", 20, 7, 2, 0, 0),
    ]
    plays = pd.DataFrame(rows, columns=["play_index", "qtr", "posteam", "down", "ydstogo", "yardline_100",
                                        "play_type", "sec_remaining_half", "home_score_before",
                                        "away_score_before", "home_points", "away_points"])
    plays["game_id"] = "2019091500"
    plays["desc"] = [f"play {i}" for i in plays["play_index"]]
    plays["yardline_100"] = plays["yardline_100"].astype("Int64")
    return plays.sample(frac=1, random_state=0), games  # shuffled: the order comes from play_index


def test_before_the_opening_kickoff():
    plays, games = _game()
    s, info = situation_after_play(plays, games, "2019091500", 0)
    assert (s.phase, s.offense, s.quarter, s.clock, s.yardline) == ("kickoff", "away", 1, 900, 35)
    assert s.opening_receiver == "home"
    assert info["plays"] == 11 and info["last_play"] is None and info["next_play"]["play_index"] == 1
    assert info["real_final"] == {"home_score": 7, "away_score": 2} and info["home"] == "HOM"


def test_a_snap_state_takes_the_next_row():
    plays, games = _game()
    s, info = situation_after_play(plays, games, "2019091500", 2)
    assert (s.phase, s.offense, s.down, s.distance, s.yardline) == ("snap", "home", 2, 4, 31)
    assert (s.quarter, s.clock) == (1, 1770 - 900)
    assert info["last_play"] == "play 2" and info["next_play"]["play_index"] == 3


def test_try_kickoff_and_free_kick():
    plays, games = _game()
    s, _ = situation_after_play(plays, games, "2019091500", 4)  # after the touchdown: the try
    assert (s.phase, s.offense, s.home_score, s.away_score) == ("try", "home", 6, 0)
    s, _ = situation_after_play(plays, games, "2019091500", 5)  # after the try: home kicks off
    assert (s.phase, s.offense, s.home_score) == ("kickoff", "home", 7)
    s, info = situation_after_play(plays, games, "2019091500", 9)  # after the safety: a free kick
    assert (s.phase, s.offense, s.yardline, s.away_score) == ("free_kick", "home", 20, 2)
    assert s.state_kwargs()["phase"] == FREE_KICK and info["last_play"] == "play 10"
    assert situation_after_play(plays, games, "2019091500", 4)[0].state_kwargs()["phase"] == TRY


def test_rows_without_a_down_are_skipped():
    plays, games = _game()
    s, info = situation_after_play(plays, games, "2019091500", 6)  # next row is a no-play without a down
    assert (s.phase, s.offense, s.quarter, s.clock, s.down, s.distance) == ("snap", "away", 2, 800, 1, 15)
    assert info["skipped"] == 1 and info["next_play"]["play_index"] == 9


@pytest.mark.parametrize(("game_id", "n", "message"), [
    ("2019091599", 1, "no such game in the data (game ids are YYYYMMDDNN, e.g. 2019091500); games that day: 2019091500"),
    ("xyz", 1, "no such game"),
    ("2019091500", -1, "has 11 plays; give 0-10"),
    ("2019091500", 11, "has 11 plays; give 0-10"),
    ("2019091500", 50, "final HOM 7 - AWY 2"),
])
def test_after_play_misuse(game_id, n, message):
    plays, games = _game()
    with pytest.raises(ArgumentError) as err:
        situation_after_play(plays, games, game_id, n)
    assert message in str(err.value)
