"""Every data-quality rule fires in a test named after it (``test_<rule name>``), on the full
bundled ingest, on one real game, or on a doctored copy where the real data never needs the rule.
"""

from __future__ import annotations

import json
import sys

import pandas as pd

from scrimmage.football.common.teams import CANONICAL_TEAMS
from scrimmage.football.nfl import parse, quality, source
from scrimmage.football.nfl.ingest import ingest_nfl, load_nfl_table
from scrimmage.football.nfl.quality import ACTIONS, RULES
from tests.football.conftest import (
    ALIAS,
    CANCELLED,
    MINI_GAMES,
    NO_FILE,
    SEASON_MISMATCH,
    clean_real_game,
    make_source,
    read_game_json,
)


def test_every_rule_is_declared_once_and_has_a_test():
    assert list(quality.new_counts()) == list(RULES)
    for name, rule in RULES.items():
        assert rule.name == name and rule.action in ACTIONS and rule.description
    tests = {n.removeprefix("test_") for n in dir(sys.modules[__name__]) if n.startswith("test_")}
    assert sorted(set(RULES) - tests) == []


# ---------------------------------------------------------------- source-level rules

def test_schedule_game_without_data(full_ingest, doctored_ingest):
    summary, tables, _ = full_ingest
    # 3,650 scheduled; 69 have no file + 2 empty files = the README's 71 games without data
    assert summary.rules["schedule_game_without_data"]["detected"] == 69
    assert tables["games"].query("season == 2018 and season_type == 'POST'").empty
    doctored, _ = doctored_ingest
    assert doctored.rules["schedule_game_without_data"]["examples"] == [NO_FILE]


def test_unreadable_game_file(full_ingest):
    summary, tables, _ = full_ingest
    rule = summary.rules["unreadable_game_file"]
    assert rule["detected"] == 2
    assert sorted(rule["examples"]) == ["2018082351.json.gz", "2018082451.json.gz"]
    assert not tables["games"]["game_id"].isin(["2018082351", "2018082451"]).any()


def test_game_without_schedule(tmp_path):
    # never in the bundled data: a real ingest of a source whose schedule lacks one of its games
    # keeps the game, with date and season from the eid, season type and week from the scheduled
    # games of the same week (here 2013120800), teams from the game itself
    eid = "2013120806"
    src = make_source(tmp_path / "src", MINI_GAMES, extra_schedule=("2013120800",))
    sched = json.loads((src / "schedule.json").read_text())
    sched["games"] = [g for g in sched["games"] if g[0] != eid]
    (src / "schedule.json").write_text(json.dumps(sched))
    summary = ingest_nfl(tmp_path / "wd", source_dir=src, workers=1)
    rule = summary.rules["game_without_schedule"]
    assert (rule["detected"], rule["action"], rule["examples"]) == (1, "kept-flagged", [eid])
    g = load_nfl_table(tmp_path / "wd", "games").set_index("game_id")
    row = g.loc[eid]
    assert (row["season"], row["week"], row["season_type"]) == (2013, 14, "REG")
    assert (row["home_team"], row["away_team"], str(row["date"].date())) == ("PIT", "MIA", "2013-12-08")
    assert summary.games == 3

    # without scheduled games of the same week the calendar decides: week 1 is the week after
    # Labor Day, January/February games belong to the previous season's playoffs
    game = read_game_json(SEASON_MISMATCH)
    counts = quality.new_counts()
    entry = quality.check_source(SEASON_MISMATCH, game, None, counts)
    assert counts["game_without_schedule"].examples == [SEASON_MISMATCH]
    assert (entry.season, entry.week, entry.season_type, entry.home_team) == (2009, 1, "REG", "PIT")
    assert parse.parse_game(SEASON_MISMATCH, game, entry).game["week"] == 1
    assert source.entry_from_eid("2012090500", game, {}).week == 1  # a Wednesday opener
    week17 = source.entry_from_eid("2017010100", game, {})
    assert (week17.season, week17.season_type, week17.week) == (2016, "REG", 17)
    wildcard = source.entry_from_eid("2017010700", game, {})
    assert (wildcard.season, wildcard.season_type, wildcard.week) == (2016, "POST", 1)
    assert source.entry_from_eid("2016081200", game, {}).season_type == "PRE"
    # the calendar alone gets all but one of the bundled schedule's 3,650 games right
    wrong = []
    for gid, e in source.read_schedule().items():
        d = source.entry_from_eid(gid, {}, {})
        if (d.season, d.season_type, d.week) != (e.season, e.season_type, e.week):
            wrong.append(gid)
    assert wrong == ["2020020200"]  # Super Bowl LIV is listed as week 5, the calendar says 4


def test_schedule_season_mismatch(doctored_ingest):
    summary, tables = doctored_ingest
    assert summary.rules["schedule_season_mismatch"]["examples"] == [SEASON_MISMATCH]
    g = tables["games"].set_index("game_id")
    assert g.loc[SEASON_MISMATCH, "season"] == 2009  # from the date, not the doctored year field


def test_cancelled_game(full_ingest, doctored_ingest):
    summary, tables, _ = full_ingest
    assert summary.rules["cancelled_game"]["examples"] == [CANCELLED]
    assert summary.games == 3581 - 2 - 1 == len(tables["games"])
    doctored, doctored_tables = doctored_ingest
    assert doctored.rules["cancelled_game"]["detected"] == 1
    assert CANCELLED not in set(doctored_tables["games"]["game_id"])


def test_team_code_alias(doctored_ingest):
    summary, tables = doctored_ingest
    assert read_game_json(ALIAS)["home"]["abbr"] == "JAC"
    assert summary.rules["team_code_alias"]["detected"] == 1
    g = tables["games"].set_index("game_id")
    assert g.loc[ALIAS, "home_team"] == "JAX"
    assert set(tables["plays"].query("game_id == @ALIAS")["posteam"]) <= set(CANONICAL_TEAMS)


# ---------------------------------------------------------------- per-game rules (real games)

def test_administrative_entries():
    parsed = parse.parse_game("2009091000", read_game_json("2009091000"), None)
    n_admin = sum(p["play_type"] == "admin" for p in parsed.plays)
    cleaned, counts = clean_real_game("2009091000")
    assert n_admin > 0 and counts["administrative_entries"].detected == n_admin
    assert not any(p["play_type"] == "admin" for p in cleaned.plays)


def test_entries_without_clock():
    parsed, counts = clean_real_game("2009091401")
    assert counts["entries_without_clock"].detected == 2
    raw = parse.parse_game("2009091401", read_game_json("2009091401"), None).plays
    dropped = [p for p in raw if p["play_type"] != "admin" and p["clock"] is None and not p["has_stats"]]
    assert len(dropped) == 2
    assert not {p["play_id"] for p in dropped} & {p["play_id"] for p in parsed.plays}


def test_play_clock_missing():
    parsed, counts = clean_real_game("2013090900")
    assert counts["play_clock_missing"].detected == 2
    assert all(isinstance(p["sec_remaining_game"], int) for p in parsed.plays)


def test_duplicate_plays():
    parsed, counts = clean_real_game("2010092605")
    assert (counts["duplicate_plays"].detected, counts["duplicate_plays"].affected) == (1, 1)
    keys = [(p["qtr"], p["sec_remaining_game"], p["desc"], p["down"], p["ydstogo"], p["posteam"]) for p in parsed.plays]
    assert len(keys) == len(set(keys))


def test_missing_yardline():
    # never in the bundled data once administrative entries are gone: blank one play's yard line
    def blank(game: dict) -> None:
        for drive in game["drives"].values():
            if isinstance(drive, dict) and "68" in (drive.get("plays") or {}):
                drive["plays"]["68"]["yrdln"] = ""

    parsed, counts = clean_real_game("2009091000", blank)
    assert counts["missing_yardline"].detected == 1
    play = next(p for p in parsed.plays if p["play_id"] == 68)
    assert play["yardline_100"] is None and play["play_type"] == "pass"  # kept


def test_drive_without_plays():
    parsed, counts = clean_real_game("2014081503")
    assert counts["drive_without_plays"].detected == 21
    with_plays = {p["drive_id"] for p in parsed.plays}
    empty = [d for d in parsed.drives if d["drive_id"] not in with_plays]
    assert len(empty) == 21 and all(d["qtr"] == d["start_qtr"] for d in empty)


def test_clock_backwards():
    parsed, counts = clean_real_game("2009091401")
    assert counts["clock_backwards"].detected == 1
    plays = pd.DataFrame(parsed.plays)
    assert (plays.groupby("qtr", sort=False)["sec_remaining_game"].diff().fillna(0) <= 0).all()


def test_clock_jump_5min(full_ingest):
    parsed, counts = clean_real_game("2014111601")
    assert counts["clock_jump_5min"].detected == 1 and parsed.game["clock_jump"]
    summary, _, _ = full_ingest
    assert summary.rules["clock_jump_5min"]["detected"] >= 1


def test_pat_only_in_scoring_summary(full_ingest):
    plain = parse.parse_game("2009102506", read_game_json("2009102506"), None)
    before = next(p for p in plain.plays if p["play_id"] == 173)
    parsed, counts = clean_real_game("2009102506")
    after = next(p for p in parsed.plays if p["play_id"] == 173)
    assert counts["pat_only_in_scoring_summary"].examples == ["2009102506:173"]
    assert after["home_points"] + after["away_points"] == before["home_points"] + before["away_points"] + 1
    summary, _, _ = full_ingest
    assert summary.rules["pat_only_in_scoring_summary"]["detected"] > 1000


def test_known_score_corrections():
    parsed, counts = clean_real_game("2016112701")
    g = parsed.game
    assert (g["home_score"], g["away_score"], g["away_q4"]) == (19, 14, 5)
    assert counts["known_score_corrections"].detected == 1


def test_incomplete_pbp():
    parsed, counts = clean_real_game("2013120806")
    assert not parsed.game["pbp_complete"]
    assert counts["incomplete_pbp"].examples == ["2013120806"]


def test_pbp_score_mismatch():
    # the intentional safety that ended 2016112701 is not in the plays: rebuilt 19-12, final 19-14
    parsed, counts = clean_real_game("2016112701")
    g = parsed.game
    assert (g["pbp_home_score"], g["pbp_away_score"]) == (19, 12)
    assert not g["pbp_score_consistent"]
    assert counts["pbp_score_mismatch"].examples == ["2016112701 pbp 19-12 final 19-14"]


# ---------------------------------------------------------------- the full ingest as a whole

def test_documented_counts_on_full_ingest(full_ingest):
    summary, _, _ = full_ingest
    rules = summary.to_dict()["rules"]
    assert list(rules) == list(RULES)
    assert 41_000 <= rules["administrative_entries"]["detected"] <= 43_100
    assert rules["duplicate_plays"]["affected"] >= 1
    assert rules["known_score_corrections"]["detected"] == 1
    assert "2013120806" in rules["incomplete_pbp"]["examples"] or rules["incomplete_pbp"]["detected"] > 5
    for name, rule in rules.items():
        assert rule["action"] == RULES[name].action


def test_tables_content(full_ingest):
    _, tables, _ = full_ingest
    games, plays = tables["games"], tables["plays"]
    assert set(games["home_team"]) | set(games["away_team"]) == set(CANONICAL_TEAMS)
    assert set(plays["posteam"]) <= set(CANONICAL_TEAMS)
    assert games["season"].between(2009, 2019).all()
    g = games.set_index("game_id")
    assert (g.loc["2016112701", "home_score"], g.loc["2016112701", "away_score"]) == (19, 14)
    assert not g.loc["2013120806", "pbp_complete"]
    assert "2016080751" not in g.index
    consistent = games["pbp_score_consistent"].mean()
    assert consistent > 0.98, consistent
    assert (games["home_score"] == games[[f"home_q{i}" for i in range(1, 5)] + ["home_ot"]].sum(axis=1)).all()
    assert plays["yardline_100"].isna().mean() < 0.01  # missing yard lines were administrative entries
    assert not plays.duplicated(["game_id", "play_id"]).any()
    assert set(plays["play_type"]) >= {"run", "pass", "sack", "punt", "field_goal", "kickoff", "extra_point", "two_point", "kneel", "spike", "no_play"}


def test_cached_second_run(full_ingest):
    from scrimmage.football.nfl.ingest import ingest_nfl

    summary, _, workdir = full_ingest
    from tests.conftest import LINES_CSV

    again = ingest_nfl(workdir, lines=LINES_CSV if LINES_CSV.is_file() else None)
    assert again.cached and again.plays == summary.plays
