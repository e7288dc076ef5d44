"""The rule sets on scripted situations: one state, one scripted outcome, the state that must follow."""

from __future__ import annotations

import torch

from scrimmage.football.simulate.engine import simulate_from_state
from scrimmage.football.simulate.rules import NCAARules, NFLRules
from scrimmage.football.simulate.sampler import ScriptedSampler
from scrimmage.football.simulate.state import (
    AWAY,
    DRIVE_OUTCOMES,
    FREE_KICK,
    HOME,
    KICKOFF,
    SNAP,
    TRY,
)

from .conftest import play, situation, value


def drives(state, name: str) -> int:
    return int(state.drive_outcomes[0, DRIVE_OUTCOMES.index(name)])


def test_touchdown_adds_six_then_a_try_then_the_scorer_kicks_off():
    st = situation(yardline=92, down=1, distance=8)
    play(st, call="pass", yards=8, seconds=6)
    assert value(st.score) == [6, 0] and value(st.phase) == TRY and value(st.offense) == HOME
    assert drives(st, "touchdown") == 1
    play(st, call="extra_point", success=True, seconds=30)
    assert value(st.score) == [7, 0] and value(st.phase) == KICKOFF and value(st.offense) == HOME
    assert value(st.clock) == 600 - 6, "a try uses no clock"
    play(st, call="kickoff", new_yardline=25, seconds=5)
    assert value(st.offense) == AWAY and value(st.phase) == SNAP
    assert (value(st.yardline), value(st.down), value(st.distance)) == (25, 1, 10)


def test_two_point_try_and_a_failed_try():
    st = situation(yardline=98, down=1, distance=2)
    play(st, call="run", yards=2)
    play(st, call="two_point", success=True)
    assert value(st.score) == [8, 0]
    st = situation(yardline=98, down=1, distance=2)
    play(st, call="run", yards=2)
    play(st, call="extra_point", success=False)
    assert value(st.score) == [6, 0] and value(st.phase) == KICKOFF


def test_first_down_and_goal_to_go():
    st = situation(yardline=40, down=3, distance=4)
    play(st, call="run", yards=5, seconds=30)
    assert (value(st.yardline), value(st.down), value(st.distance)) == (45, 1, 10)
    st = situation(yardline=85, down=2, distance=6)
    play(st, call="pass", yards=8)
    assert (value(st.yardline), value(st.down), value(st.distance)) == (93, 1, 7), "goal to go"
    st = situation(yardline=40, down=3, distance=8)
    play(st, call="pass", yards=3, first_down=True)  # defensive penalty: automatic first down
    assert (value(st.down), value(st.distance)) == (1, 10)
    st = situation(yardline=40, down=2, distance=5)
    play(st, call="run", yards=-10, replay_down=True)  # holding: the down is replayed
    assert (value(st.yardline), value(st.down), value(st.distance)) == (30, 2, 15)


def test_turnover_on_downs_flips_possession_at_the_spot():
    st = situation(yardline=60, down=4, distance=5)
    play(st, call="run", yards=2, seconds=5)
    assert value(st.offense) == AWAY and value(st.phase) == SNAP
    assert (value(st.yardline), value(st.down), value(st.distance)) == (38, 1, 10)
    assert drives(st, "downs") == 1
    assert value(st.score) == [0, 0]


def test_interception_and_pick_six():
    st = situation(yardline=50, down=2, distance=10)
    play(st, call="pass", yards=0, turnover=True, new_yardline=35)
    assert value(st.offense) == AWAY and value(st.yardline) == 35 and value(st.down) == 1
    assert int(st.stat("turnovers")[0, HOME]) == 1 and drives(st, "turnover") == 1
    st = situation(yardline=50, down=2, distance=10)
    play(st, call="pass", yards=0, turnover=True, return_td=True)
    assert value(st.score) == [0, 6] and value(st.offense) == AWAY and value(st.phase) == TRY


def test_punt_moves_the_ball_and_flips_possession():
    st = situation(yardline=30, down=4, distance=8)
    play(st, call="punt", new_yardline=20, seconds=8)
    assert value(st.offense) == AWAY and (value(st.yardline), value(st.down), value(st.distance)) == (20, 1, 10)
    assert drives(st, "punt") == 1 and int(st.stat("punts")[0, HOME]) == 1
    st = situation(yardline=30, down=4, distance=8)
    play(st, call="punt", turnover=True, new_yardline=62)  # muffed, recovered by the kicking side
    assert value(st.offense) == HOME and value(st.yardline) == 62
    assert int(st.stat("turnovers")[0, AWAY]) == 1


def test_field_goals_made_and_missed():
    st = situation(yardline=70, down=4, distance=6)
    play(st, call="field_goal", success=True)
    assert value(st.score) == [3, 0] and value(st.phase) == KICKOFF and value(st.offense) == HOME
    st = situation(yardline=70, down=4, distance=6)
    play(st, call="field_goal", success=False)
    assert value(st.offense) == AWAY and value(st.yardline) == 37, "the spot of the kick, 7 yards back"
    st = situation(yardline=95, down=4, distance=5)
    play(st, call="field_goal", success=False)
    assert value(st.yardline) == 20, "never worse than the defense's 20"


def test_safety_gives_two_and_a_free_kick():
    st = situation(yardline=2, down=2, distance=10)
    play(st, call="run", yards=-3, seconds=5)
    assert value(st.score) == [0, 2] and value(st.phase) == FREE_KICK and value(st.offense) == HOME
    assert value(st.yardline) == 20 and drives(st, "safety") == 1
    play(st, call="kickoff", new_yardline=40, seconds=6)
    assert value(st.offense) == AWAY and value(st.yardline) == 40 and value(st.phase) == SNAP


def test_the_clock_ends_a_quarter_keeping_the_state():
    st = situation(quarter=1, clock=4, yardline=40, down=2, distance=7)
    play(st, call="run", yards=3, seconds=30)
    assert (value(st.quarter), value(st.clock)) == (2, 900)
    assert (value(st.offense), value(st.yardline), value(st.down), value(st.distance)) == (HOME, 43, 3, 4)
    assert drives(st, "end_of_half") == 0


def test_the_clock_ends_the_half_and_the_opening_receiver_kicks():
    st = situation(quarter=2, clock=5, yardline=50, down=1, distance=10, opening_receiver=AWAY)
    play(st, call="run", yards=2, seconds=7)
    assert (value(st.quarter), value(st.clock), value(st.phase)) == (3, 900, KICKOFF)
    assert value(st.offense) == AWAY, "the side that received the opening kickoff kicks off the second half"
    assert drives(st, "end_of_half") == 1


def test_two_minute_warning_stops_the_clock():
    st = situation(quarter=4, clock=125, yardline=30)
    play(st, call="run", yards=4, seconds=35)
    assert value(st.clock) == 120


def test_touchdown_as_time_expires_still_gets_its_try_unless_pointless():
    st = situation(quarter=2, clock=3, yardline=95, down=1, distance=5)
    play(st, call="pass", yards=5, seconds=6)
    assert value(st.phase) == TRY and value(st.quarter) == 2
    play(st, call="extra_point", success=True)
    assert value(st.score) == [7, 0] and value(st.quarter) == 3
    st = situation(quarter=4, clock=3, yardline=95, down=1, distance=5, home_score=14, away_score=17)
    play(st, call="pass", yards=5, seconds=6)
    assert bool(st.finished[0]) and value(st.score) == [20, 17], "the winning try is skipped"


def test_regulation_ends_the_game_or_starts_overtime():
    st = situation(quarter=4, clock=3, offense=AWAY, yardline=20, home_score=20, away_score=17)
    play(st, call="kneel", yards=-1, seconds=40)
    assert bool(st.finished[0]) and not bool(st.overtime[0])
    st = situation(quarter=4, clock=3, yardline=20, home_score=17, away_score=17)
    play(st, call="kneel", yards=-1, seconds=40, u=0.9)
    assert not bool(st.finished[0]) and bool(st.overtime[0])
    assert (value(st.quarter), value(st.clock), value(st.phase)) == (5, 600, KICKOFF)
    assert value(st.offense) == HOME, "u >= 0.5: the away side won the toss and receives"


def test_overtime_ends_on_a_touchdown_without_a_try():
    st = situation(quarter=5, clock=500, yardline=80, home_score=17, away_score=17)
    st.ot_possessions[:] = 1
    play(st, call="pass", yards=20)
    assert bool(st.finished[0]) and value(st.score) == [23, 17]


def test_overtime_first_possession_field_goal_gives_the_other_side_a_chance():
    st = situation(quarter=5, clock=600, offense=AWAY, phase=KICKOFF, yardline=35, home_score=10, away_score=10)
    play(st, call="kickoff", new_yardline=25)  # home receives: possession 1
    st.yardline[:] = 70
    play(st, call="field_goal", success=True)
    assert value(st.score) == [13, 10] and not bool(st.finished[0])
    play(st, call="kickoff", new_yardline=25)  # away: possession 2
    assert not bool(st.finished[0])
    play(st, call="punt", new_yardline=20)  # away fails: home wins
    assert bool(st.finished[0]) and value(st.score) == [13, 10]
    st = situation(quarter=5, clock=600, offense=AWAY, phase=KICKOFF, yardline=35, home_score=10, away_score=10)
    play(st, call="kickoff", new_yardline=25)
    st.yardline[:] = 70
    play(st, call="field_goal", success=True)
    play(st, call="kickoff", new_yardline=25)
    st.yardline[:] = 70
    play(st, call="field_goal", success=True)  # away ties: sudden death from here
    assert value(st.score) == [13, 13] and not bool(st.finished[0])
    play(st, call="kickoff", new_yardline=25)
    st.yardline[:] = 75
    play(st, call="field_goal", success=True)
    assert bool(st.finished[0]) and value(st.score) == [16, 13]


def test_overtime_expires_in_a_tie():
    st = situation(quarter=5, clock=10, yardline=40, home_score=20, away_score=20)
    play(st, call="run", yards=3, seconds=30)
    assert bool(st.finished[0]) and value(st.score) == [20, 20]


def test_finished_games_do_not_change():
    st = situation(quarter=4, clock=3, yardline=20, home_score=20, away_score=17)
    play(st, call="kneel", yards=-1, seconds=40)
    before = st.clone()
    play(st, call="pass", yards=80)
    assert torch.equal(st.score, before.score) and torch.equal(st.yardline, before.yardline)


def test_whole_game_from_a_script_finishes():
    script = [{"call": "kickoff", "new_yardline": 25, "seconds": 5}] + [{"call": "run", "yards": 4, "seconds": 40}] * 400
    st = situation(phase=KICKOFF, yardline=35, quarter=1, clock=900)
    result = simulate_from_state(ScriptedSampler(script), NFLRules(), st, torch.Generator().manual_seed(0))
    assert bool(result.finished.all())
    assert int(result.home_score[0]) + int(result.away_score[0]) > 0


# --------------------------------------------------------------------------- college


def test_ncaa_overtime_alternates_possessions_from_the_25():
    rules = NCAARules()
    st = situation(quarter=4, clock=3, yardline=20, home_score=14, away_score=14)
    play(st, rules, call="kneel", yards=-1, seconds=40, u=0.25)  # u < 0.5: away goes first
    assert (value(st.quarter), value(st.phase), value(st.offense), value(st.yardline)) == (5, SNAP, AWAY, 75)
    play(st, rules, call="pass", yards=25)
    play(st, rules, call="extra_point", success=True)
    assert value(st.score) == [14, 21] and not bool(st.finished[0])
    assert (value(st.offense), value(st.yardline), value(st.phase)) == (HOME, 75, SNAP), "the other side's turn"
    st.down[:] = 4
    play(st, rules, call="run", yards=1)  # home fails on downs: the game is over
    assert bool(st.finished[0]) and value(st.score) == [14, 21]


def test_ncaa_second_overtime_needs_two_then_a_shootout():
    rules = NCAARules()
    st = situation(quarter=4, clock=3, yardline=20, home_score=14, away_score=14)
    play(st, rules, call="kneel", yards=-1, seconds=40, u=0.25)
    for _ in range(2):  # both sides kick a field goal in the first overtime
        st.yardline[:] = 80
        play(st, rules, call="field_goal", success=True)
    assert value(st.quarter) == 6 and value(st.offense) == HOME and bool(st.two_point_only[0])
    for _ in range(2):  # both score a touchdown and convert the two-point try
        play(st, rules, call="pass", yards=25)
        assert value(st.phase) == TRY and bool(st.two_point_only[0])
        play(st, rules, call="two_point", success=True)
    assert value(st.score) == [25, 25] and value(st.quarter) == 7
    assert value(st.phase) == TRY, "third overtime: a two-point shootout"
    play(st, rules, call="two_point", success=True)
    play(st, rules, call="two_point", success=False)
    assert bool(st.finished[0])


def test_ncaa_clock_stops_on_a_first_down():
    st = situation(quarter=1, clock=600, yardline=40, down=1, distance=10)
    play(st, NCAARules(), call="run", yards=12, seconds=35)
    assert value(st.clock) == 600 - 23
    st = situation(quarter=1, clock=600, yardline=40, down=1, distance=10)
    play(st, NFLRules(), call="run", yards=12, seconds=35)
    assert value(st.clock) == 600 - 35


def test_plain_sudden_death_before_2012():
    st = situation(quarter=5, clock=900, offense=AWAY, phase=KICKOFF, yardline=35, home_score=10, away_score=10)
    rules = NFLRules.for_season(2010)
    assert (rules.ot_seconds, rules.allow_ties, rules.modified_sudden_death) == (900, True, False)
    play(st, rules, call="kickoff", new_yardline=25)
    st.yardline[:] = 70
    play(st, rules, call="field_goal", success=True)
    assert bool(st.finished[0]) and value(st.score) == [13, 10], "a first-possession field goal wins"
    assert not NFLRules.for_season(2019, postseason=True).allow_ties
