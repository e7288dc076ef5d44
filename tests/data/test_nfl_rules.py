"""Known-problem rules fire with the documented counts on the full bundled ingest."""

from __future__ import annotations

from scrimmage.data.nfl.teams import CANONICAL_TEAMS


def test_counts_and_coverage(full_ingest):
    summary, tables, _ = full_ingest
    rules = summary.to_dict()["rules"]
    # 3,650 scheduled; 69 have no file + 2 empty files = the README's 71 games without data
    assert rules["schedule_game_without_data"]["detected"] == 69
    assert rules["unreadable_game_file"]["detected"] == 2
    assert sorted(rules["unreadable_game_file"]["examples"]) == ["2018082351.json.gz", "2018082451.json.gz"]
    assert rules["cancelled_game"]["examples"] == ["2016080751"]
    assert summary.games == 3581 - 2 - 1 == len(tables["games"])
    playoffs_2018 = tables["games"].query("season == 2018 and season_type == 'POST'")
    assert playoffs_2018.empty
    # administrative entries: timeouts, end of quarter/game, two-minute warnings
    assert 41_000 <= rules["administrative_entries"]["detected"] <= 43_100
    assert rules["duplicate_plays"]["affected"] >= 1
    assert rules["clock_jump_5min"]["detected"] >= 1
    assert rules["known_score_corrections"]["detected"] == 1
    assert rules["pat_only_in_scoring_summary"]["detected"] > 1000
    assert "2013120806" in rules["incomplete_pbp"]["examples"] or rules["incomplete_pbp"]["detected"] > 5
    for rule in rules.values():
        assert rule["action"] in ("dropped", "repaired", "kept-flagged")


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
    assert games["home_success_rate"].between(0.2, 0.8).mean() > 0.99  # a few incomplete games are extreme
    assert (games["home_off_plays"] > 20).mean() > 0.99
    assert plays["yardline_100"].isna().mean() < 0.01  # missing yard lines were administrative entries
    assert not plays.duplicated(["game_id", "play_id"]).any()
    assert set(plays["play_type"]) >= {"run", "pass", "sack", "punt", "field_goal", "kickoff", "extra_point", "two_point", "kneel", "spike", "no_play"}


def test_cached_second_run(full_ingest):
    from scrimmage.data.nfl import ingest_nfl

    summary, _, workdir = full_ingest
    from tests.conftest import LINES_CSV

    again = ingest_nfl(workdir, lines=LINES_CSV if LINES_CSV.is_file() else None)
    assert again.cached and again.plays == summary.plays
