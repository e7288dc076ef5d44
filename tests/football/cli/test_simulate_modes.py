"""``scrimmage simulate`` end to end, the newer modes: ``--from-state``, ``--plot``, ``--season
--from-week`` and ``--game --after-play`` (each checked for an answer that makes football sense),
and their misuse failing cleanly (exit 2, a message naming the problem, no traceback)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from scrimmage.cli.main import app

MATCHUP = ("--home", "KC", "--away", "BUF", "--season", "2019")


def run(workdir: Path, *args: str):
    return CliRunner().invoke(app, ["--workdir", str(workdir), "simulate", *args])


def last_json(result) -> dict:
    return json.loads(result.stdout.strip().splitlines()[-1])


def text(result) -> str:
    """The output with rich's line wrapping undone."""
    return " ".join(result.output.split())


def ok(result) -> dict:
    assert result.exit_code == 0, result.output
    return last_json(result)


# --------------------------------------------------------------------------- --from-state

def test_from_state_late_lead_near_the_goal_wins(empirical):
    _, _, workdir = empirical
    d = ok(run(workdir, *MATCHUP, "--from-state", "Q4 0:30, home ball at opp 10, home 24 away 10", "--n", "300",
               "--json"))
    s = d["summary"]
    assert s["home_win"] > 0.95 and s["n_games"] == 300
    assert s["home_points"]["q05"] >= 24 and s["away_points"]["q05"] >= 10  # points count from the situation's score
    sit = d["situation"]
    assert (sit["quarter"], sit["clock"], sit["offense"], sit["yardline"]) == (4, 30, "home", 90)
    assert d["from_state"].startswith("Q4 0:30") and "KC ball" in sit["description"]


def test_from_state_three_scores_down_with_two_minutes_loses(empirical):
    _, _, workdir = empirical
    res = run(workdir, *MATCHUP, "--from-state", "Q4 2:00, home ball at own 25, home 3 away 24", "--n", "300", "--json")
    d = ok(res)
    assert d["summary"]["home_win"] < 0.05
    assert abs(d["summary"]["home_win"] + d["summary"]["away_win"] + d["summary"]["tie"] - 1) < 1e-9
    assert "situation: Q4 2:00, KC ball, 1st & 10 at own 25; KC 3 - BUF 24" in text(res)


def test_from_state_json_object_and_margin_only(empirical):
    _, _, workdir = empirical
    state = {"quarter": 4, "clock": 120, "offense": "home", "yardline": 25, "down": 3, "distance": 10,
             "home_score": 20, "away_score": 17}
    d = ok(run(workdir, *MATCHUP, "--from-state", json.dumps(state), "--n", "200", "--json"))
    assert {k: d["situation"][k] for k in state} == state
    assert d["summary"]["home_win"] > d["summary"]["away_win"]  # ahead with the ball late
    res = run(workdir, *MATCHUP, "--from-state", "Q4 2:00, home ball at own 25, down 3", "--n", "200")
    assert res.exit_code == 0, res.output
    assert "KC 0 - BUF 3" in text(res) and "only the margin was given" in text(res)


# --------------------------------------------------------------------------- --plot

def test_plot_writes_a_png(empirical, tmp_path):
    _, _, workdir = empirical
    target = tmp_path / "margin.png"
    d = ok(run(workdir, *MATCHUP, "--n", "200", "--spread", "-3.5", "--plot", str(target), "--json"))
    assert target.read_bytes().startswith(b"\x89PNG") and d["plot"] == str(target)
    assert [p.name for p in tmp_path.iterdir()] == ["margin.png"]  # no temporary file left behind
    svg = tmp_path / "state.svg"
    ok(run(workdir, *MATCHUP, "--from-state", "Q3 5:00 away ball at own 30", "--n", "200", "--plot", str(svg),
           "--json"))
    assert b"<svg" in svg.read_bytes()[:2000]


# --------------------------------------------------------------------------- --season --from-week

def test_season_projection(empirical):
    _, tables, workdir = empirical
    d = ok(run(workdir, "--season", "2019", "--from-week", "17", "--n", "200", "--json"))
    teams = d["teams"]
    games = tables["games"]
    reg = games[(games["season"] == 2019) & (games["season_type"] == "REG")]
    assert len(teams) == 32 and d["games_simulated"] == int((reg["week"] >= 17).sum())
    assert d["games_played"] + d["games_simulated"] == len(reg)
    for t in teams:
        assert t["wins_so_far"] <= t["mean"] <= t["wins_so_far"] + t["remaining"]
        assert t["wins_so_far"] <= t["p10"] <= t["p50"] <= t["p90"] <= t["wins_so_far"] + t["remaining"]
        assert t["played"] + t["remaining"] == 16
        assert {"team", "sd", "real_final_wins"} <= set(t)
    assert sum(t["mean"] for t in teams) == pytest.approx(len(reg))  # one win per game, ties split
    assert sum(t["real_final_wins"] for t in teams) == pytest.approx(len(reg))
    assert [t["mean"] for t in teams] == sorted((t["mean"] for t in teams), reverse=True)
    ne = next(t for t in teams if t["team"] == "NE")
    assert ne["real_final_wins"] == 12  # the 2019 Patriots went 12-4


# --------------------------------------------------------------------------- --game --after-play

def test_after_play_continues_a_real_game(empirical):
    _, _, workdir = empirical
    res = run(workdir, "--game", "2019091500", "--after-play", "100", "--n", "300", "--json")
    d = ok(res)
    assert d["home"] == "BAL" and d["away"] == "ARI" and d["plays"] == 167 and d["after_play"] == 100
    assert d["real_final"] == {"home_score": 23, "away_score": 17}
    sit = d["situation"]
    assert (sit["quarter"], sit["offense"], sit["home_score"], sit["away_score"]) == (3, "away", 17, 6)
    assert d["summary"]["home_win"] > 0.6  # up 11 late in the third quarter
    assert "real final: BAL 23 - ARI 17" in text(res)
    # the last play: a kneel-down with the lead, 0:30 left
    last = ok(run(workdir, "--game", "2019091500", "--after-play", "166", "--n", "200", "--json"))
    assert last["summary"]["home_win"] > 0.95


# --------------------------------------------------------------------------- misuse

@pytest.mark.parametrize(("args", "message"), [
    ([*MATCHUP, "--from-state", "Q4 2:00 home ball at own 25 banana"], "could not read 'banana'"),
    ([*MATCHUP, "--from-state", "Q6 2:00 home ball at own 25"], "must be Q1-Q4 or OT"),
    ([*MATCHUP, "--from-state", "Q4 2:00 home ball at opp 5, 3rd and 9"], "beyond the goal line"),
    ([*MATCHUP, "--from-state", '{"quarter": 4}'], "the JSON has no 'clock'"),
    ([*MATCHUP, "--from-state", "OT 14:00 home ball at own 25"], "longer than the 2019 overtime period"),
    (["--from-state", "Q4 2:00 home ball at own 25"], "--from-state needs the matchup"),
    (["--season", "2019", "--from-week", "0"], "--from-week must be a regular-season week 1-17"),
    (["--season", "2019", "--from-week", "18"], "--from-week must be a regular-season week 1-17"),
    (["--from-week", "9"], "needs --season"),
    (["--season", "2031", "--from-week", "9"], "--season 2031 is not in the data"),
    ([*MATCHUP, "--from-week", "9"], "leave out --home/--away"),
    (["--games", "2019", "--from-week", "9"], "leave out --games"),
    (["--game", "2019091599", "--after-play", "3"], "no such game in the data (game ids are YYYYMMDDNN, e.g. 2019091500)"),
    (["--game", "2019091500", "--after-play", "500"], "has 167 plays; give 0-166"),
    (["--game", "2019091500", "--after-play", "-1"], "has 167 plays; give 0-166"),
    (["--after-play", "3"], "--after-play needs --game"),
    (["--game", "2019091500"], "needs --after-play"),
    (["--game", "2019091500", "--after-play", "3", "--home", "KC"], "leave out --home"),
    ([*MATCHUP, "--plot", "."], "that is a folder"),
    ([*MATCHUP, "--plot", "margin.jpg"], "must end in .png, .pdf or .svg (got '.jpg')"),
    ([*MATCHUP, "--plot", "no/such/folder/margin.png"], "does not exist"),
    (["--games", "2019", "--plot", "margin.png"], "--plot draws one matchup"),
])
def test_misuse_exits_2_without_traceback(empirical, args, message):
    _, _, workdir = empirical
    res = run(workdir, *args, "--n", "10", "--json")
    assert res.exit_code == 2, res.output
    assert message in text(res) and "Traceback" not in res.output
    assert "error" in last_json(res)


def test_plot_into_an_unwritable_folder(empirical, tmp_path):
    import os

    _, _, workdir = empirical
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o500)
    try:
        if os.access(locked, os.W_OK):
            pytest.skip("running as a user who can write anywhere (root)")
        res = run(workdir, *MATCHUP, "--n", "10", "--plot", str(locked / "m.png"))
        assert res.exit_code == 2 and "cannot write in the folder" in text(res) and "Traceback" not in res.output
    finally:
        locked.chmod(0o700)


def test_bad_suffix_writes_nothing(empirical, tmp_path):
    _, _, workdir = empirical
    res = run(workdir, *MATCHUP, "--n", "10", "--plot", str(tmp_path / "margin.gif"))
    assert res.exit_code == 2 and "png, .pdf or .svg" in text(res)
    assert list(tmp_path.iterdir()) == []
