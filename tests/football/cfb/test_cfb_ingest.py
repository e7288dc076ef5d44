"""The college ingest on the real CFBD sample (2024, 264 games): counts, the shared schemas, the
play-type mapping, score reconstruction, drive results, the lines join and a split by week."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from scrimmage.errors import DataError
from scrimmage.football.cfb.ingest import PARSER_VERSION, cfb_dir, ingest_cfb, load_cfb_table
from scrimmage.football.cfb.playtypes import ADMIN, CFBD_PLAY_TYPES
from scrimmage.football.common import schemas
from scrimmage.football.common.playtypes import PLAY_TYPES

#: rows per CFBD play_type in the sample (the table in scrimmage.football.cfb.playtypes)
SAMPLE_TYPES = {
    "Rush": 16133, "Pass Reception": 8363, "Pass Incompletion": 5633, "Punt": 2409, "Penalty": 2400,
    "Kickoff": 1948, "Timeout": 1938, "Sack": 859, "Rushing Touchdown": 805, "Passing Touchdown": 788,
    "Kickoff Return (Offense)": 781, "Field Goal Good": 542, "End Period": 527, "Pass Interception Return": 260,
    "Fumble Recovery (Own)": 255, "End of Half": 224, "End of Game": 220, "Field Goal Missed": 197,
    "Fumble Recovery (Opponent)": 163, "Interception": 87, "Uncategorized": 49, "Interception Return Touchdown": 41,
    "Blocked Punt": 26, "Fumble Return Touchdown": 22, "Safety": 17, "Blocked Field Goal": 14,
    "End of Regulation": 7, "Kickoff Return Touchdown": 7, "Punt Return Touchdown": 5, "Blocked Punt Touchdown": 3,
    "placeholder": 1, "Blocked Field Goal Touchdown": 1, "Missed Field Goal Return": 1, "Defensive 2pt Conversion": 1,
}
NFL_DRIVE_RESULTS = {
    "Touchdown", "Field Goal", "Missed FG", "Blocked FG", "Punt", "Blocked Punt", "Interception", "Fumble",
    "Safety", "Downs", "End of Half", "End of Game", "UNKNOWN",
}


def test_counts(cfb_ingest):
    summary, tables, _ = cfb_ingest
    assert summary.games == len(tables["games"]) == 264
    assert summary.games_file == {
        "file": summary.games_file["file"], "rows": 3747, "play_by_play_files": 264,
        "games_with_play_by_play": 264, "source_rows": 44727,
    }
    rules = summary.rules
    dropped = sum(r["affected"] for r in rules.values() if r["action"] == "dropped")
    assert rules["administrative_entries"]["affected"] == 2921
    assert rules["duplicate_plays"]["affected"] == 74
    assert summary.plays == len(tables["plays"]) == 44727 - dropped == 41732
    assert summary.drives == len(tables["drives"])
    assert 20 <= summary.drives / summary.games <= 28  # ~23.5 possessions a game
    assert tables["plays"].groupby("game_id")["play_index"].apply(lambda s: (s.diff().dropna() == 1).all()).all()


def test_tables_pass_the_shared_schemas(cfb_ingest):
    _, tables, _ = cfb_ingest
    for name, df in tables.items():
        schemas.validate(name, df, league="cfb")  # raises on any failure
        nfl_cols = [c for c in schemas.SCHEMAS[name].columns if schemas.SCHEMAS[name].columns[c].required]
        assert nfl_cols == [c for c in df.columns if c in nfl_cols], "the NFL table's columns, in its order"
    games = tables["games"]
    assert {"neutral_site", "home_division", "away_division", "line_provider"} <= set(games.columns)
    # NFL validation is not weakened: school names are no NFL codes
    with pytest.raises(DataError, match="NFL games table failed validation"):
        schemas.validate("games", games.drop(columns=["line_provider"]), league="nfl")
    # the college team check is not empty either
    bad = tables["plays"].head(50).copy()
    bad.loc[bad.index[0], "posteam"] = ""
    with pytest.raises(DataError, match=r"CFB plays table failed validation:\n\s+posteam"):
        schemas.validate("plays", bad, league="cfb")


def test_play_type_mapping(cfb_ingest):
    summary, tables, _ = cfb_ingest
    seen = {cfbd: sum(kinds.values()) for cfbd, kinds in summary.play_types.items()}
    assert seen == SAMPLE_TYPES and sum(seen.values()) == 44727
    assert set(seen) <= set(CFBD_PLAY_TYPES), "every CFBD type of the sample is in the mapping table"
    assert summary.rules["unknown_play_type"]["detected"] == 0
    admin = sum(kinds.get(ADMIN, 0) for kinds in summary.play_types.values())
    assert admin == summary.rules["administrative_entries"]["affected"]
    plays = tables["plays"]
    assert set(plays["play_type"]) <= set(PLAY_TYPES)
    counts = plays["play_type"].value_counts()
    assert counts["run"] > counts["pass"] > counts["kickoff"] > counts["punt"] > counts["sack"] > counts["field_goal"]
    assert {"kneel", "spike", "extra_point", "two_point", "no_play", "other"} <= set(counts.index)
    assert counts["other"] < 0.002 * len(plays)
    # typed from the text: kneel-downs are CFBD "Rush", spikes "Pass Incompletion"
    assert summary.play_types["Rush"] == {"run": 15960, "kneel": 173}
    # conventions: kickoffs and punts under the kicking team, from its own side
    kicks = plays[plays["play_type"] == "kickoff"]
    assert kicks["yardline_100"].between(20, 50).mean() > 0.99
    assert (kicks["yardline_100"] == 35).mean() > 0.9


def test_score_reconstruction(cfb_ingest):
    summary, tables, _ = cfb_ingest
    games, plays = tables["games"], tables["plays"]
    ok = games["pbp_score_consistent"]
    assert ok.sum() == 255 and ok.mean() > 0.96  # the rest: points the export itself lacks
    assert summary.rules["pbp_score_mismatch"]["detected"] == int((~ok).sum())
    bad = games[~ok]
    assert (~bad["pbp_complete"]).sum() >= 6  # mostly games whose play-by-play stops early
    # the score before each play adds up to the final rebuilt
    last = plays.groupby("game_id").tail(1).set_index("game_id")
    g = games.set_index("game_id")
    assert (last["home_score_before"] + last["home_points"]).eq(g["pbp_home_score"]).all()
    assert (last["away_score_before"] + last["away_points"]).eq(g["pbp_away_score"]).all()
    # touchdown plays carry 6 + the try, field goals 3
    td = plays[plays["touchdown"]]
    pts = td["home_points"] + td["away_points"]
    assert pts.isin([6, 7, 8]).mean() > 0.98
    fg = plays[(plays["play_type"] == "field_goal") & ~plays["touchdown"] & (plays["home_points"] + plays["away_points"] > 0)]
    assert (fg["home_points"] + fg["away_points"]).eq(3).mean() > 0.99 and 530 < len(fg) < 550
    # quarter scores add up to the final (the schema's check), overtime only where played
    assert (games["home_ot"] > 0).sum() + (games["away_ot"] > 0).sum() >= 4


def test_drive_results(cfb_ingest):
    summary, tables, _ = cfb_ingest
    drives, plays = tables["drives"], tables["plays"]
    results = drives["result"].value_counts(normalize=True)
    assert set(results.index) <= NFL_DRIVE_RESULTS
    assert results.index[0] == "Punt" and results.index[1] == "Touchdown"
    assert 0.30 < results["Punt"] < 0.45 and 0.20 < results["Touchdown"] < 0.32
    assert 0.05 < results["Field Goal"] < 0.12
    assert results.get("UNKNOWN", 0) < 0.015
    assert summary.rules["drive_result_unknown"]["detected"] == (drives["result"] == "UNKNOWN").sum()
    # a touchdown drive ends with its offense scoring; a punt drive holds a punt
    scoring_td = plays["touchdown"] & (plays["home_points"] + plays["away_points"] >= 6)
    scored = scoring_td.groupby([plays["game_id"], plays["drive_id"]]).any()
    td_drives = drives.set_index(["game_id", "drive_id"])["result"].eq("Touchdown")
    assert scored[td_drives[td_drives].index].mean() > 0.95
    # every game's drives are numbered 1..n and their time of possession fills regulation
    assert drives.groupby("game_id")["drive_id"].apply(lambda s: list(s) == list(range(1, len(s) + 1))).all()
    games = tables["games"]
    top = games["home_top_sec"] + games["away_top_sec"]
    assert (top.between(3500, 3600)).mean() > 0.95


def test_lines_join_and_closing_line(cfb_ingest):
    summary, tables, _ = cfb_ingest
    lines = summary.lines
    assert lines["matched"] == 219 and lines["unmatched"] == 45
    assert lines["by_book"] == {"ESPN Bet": 213, "DraftKings": 6}
    assert lines["team_mismatch"] == 0 and lines["matched_swapped_home_away"] == 0
    games = tables["games"]
    with_line = games.dropna(subset=["spread_home"])
    assert len(with_line) == 219 and with_line["line_provider"].notna().all()
    assert games.loc[games["spread_home"].isna(), "line_provider"].isna().all()
    # the closing-line comparison: spread_home < 0 means the home team is favoured
    margin = with_line["home_score"] - with_line["away_score"]
    favoured_won = np.sign(-with_line["spread_home"]) == np.sign(margin)
    assert favoured_won[with_line["spread_home"] != 0].mean() > 0.75
    assert np.corrcoef(-with_line["spread_home"], margin)[0, 1] > 0.7
    rmse_line = float(np.sqrt(((margin + with_line["spread_home"]) ** 2).mean()))
    rmse_home_edge = float(np.sqrt(((margin - margin.mean()) ** 2).mean()))
    assert rmse_line < 17 < rmse_home_edge  # the line explains most of the margin
    totals = with_line.dropna(subset=["total_line"])
    assert len(totals) == 218 and totals["total_line"].between(30, 90).all()


def test_split_by_week(cfb_ingest):
    _, tables, _ = cfb_ingest
    games, plays = tables["games"], tables["plays"]
    # the folder says weeks 0-3; CFBD numbers the Aug 24 ("week 0") games week 1
    assert games["week"].value_counts().to_dict() == {1: 133, 2: 129, 3: 2}
    assert set(games["season"]) == {2024} and set(games["season_type"]) == {"REG"}
    by_week = games.groupby("week")["date"].agg(["min", "max"])
    assert by_week["max"].iloc[0] < by_week["min"].iloc[1] and by_week["max"].iloc[1] < by_week["min"].iloc[2]
    assert games["date"].min() == pd.Timestamp("2024-08-24") and games["date"].max() == pd.Timestamp("2024-09-12")
    train = set(games.loc[games["week"] == 1, "game_id"])
    held = set(games.loc[games["week"] >= 2, "game_id"])
    assert not train & held and len(train | held) == 264
    assert plays["game_id"].isin(train).sum() + plays["game_id"].isin(held).sum() == len(plays)
    # neutral sites and divisions come from the games file
    assert games["neutral_site"].sum() == 12
    assert games["home_division"].value_counts().to_dict() == {"fbs": 180, "fcs": 84}


def test_cache_and_damage(cfb_ingest, cfb_sample):
    summary, _, workdir = cfb_ingest
    again = ingest_cfb(workdir, cfb_sample["pbp"], cfb_sample["games"], lines=cfb_sample["lines"])
    assert again.cached and again.plays == summary.plays and again.lines == summary.lines
    assert again.notes and "cached" in again.notes[0]
    manifest = (cfb_dir(workdir) / "manifest.json").read_text()
    assert f'"parser_version": "{PARSER_VERSION}"' in manifest and '"league": "cfb"' in manifest


def test_damaged_table_is_reported(tmp_path, cfb_ingest):
    import shutil

    _, _, workdir = cfb_ingest
    copy = tmp_path / "wd"
    shutil.copytree(workdir, copy)
    path = cfb_dir(copy) / "drives.parquet"
    path.write_bytes(path.read_bytes()[:-10])
    with pytest.raises(DataError, match="drives.parquet is damaged.*scrimmage data cfb --source"):
        load_cfb_table(copy, "drives")
    with pytest.raises(DataError, match="run `scrimmage data cfb"):
        load_cfb_table(tmp_path / "empty", "games")
