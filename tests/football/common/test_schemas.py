"""Each schema rule catches a corrupted record."""

from __future__ import annotations

import pandas as pd
import pytest

from scrimmage.errors import DataError
from scrimmage.football.common.schemas import SCHEMAS, validate


def test_valid_tables_pass(mini_tables):
    for name, df in mini_tables.items():
        validate(name, df)


def test_quarter_sum_mismatch(mini_tables):
    games = mini_tables["games"].copy()
    games.loc[0, "home_q2"] += 3
    with pytest.raises(DataError, match="final_equals_sum_of_quarters"):
        validate("games", games)


def test_duplicate_game_and_play_keys(mini_tables):
    games = pd.concat([mini_tables["games"], mini_tables["games"].iloc[:1]], ignore_index=True)
    with pytest.raises(DataError, match="game_id"):
        validate("games", games)
    plays = mini_tables["plays"].copy()
    plays.loc[5, "play_id"] = plays.loc[4, "play_id"]
    with pytest.raises(DataError, match="unique|duplicate"):
        validate("plays", plays)
    drives = pd.concat([mini_tables["drives"], mini_tables["drives"].iloc[:1]], ignore_index=True)
    with pytest.raises(DataError):
        validate("drives", drives)


def test_yardline_out_of_range(mini_tables):
    plays = mini_tables["plays"].copy()
    plays.loc[3, "yardline_100"] = 130
    with pytest.raises(DataError, match="yardline_100"):
        validate("plays", plays)


def test_clock_going_up_within_quarter(mini_tables):
    plays = mini_tables["plays"].copy()
    plays.loc[10, "sec_remaining_game"] = plays.loc[9, "sec_remaining_game"] + 60
    assert plays.loc[10, "qtr"] == plays.loc[9, "qtr"]
    with pytest.raises(DataError, match="clock_non_increasing_within_quarter"):
        validate("plays", plays)


def test_bad_down_quarter_and_team(mini_tables):
    plays = mini_tables["plays"].copy()
    plays.loc[2, "down"] = 5
    plays.loc[3, "qtr"] = 9
    plays.loc[4, "posteam"] = "STL"
    with pytest.raises(DataError) as err:
        validate("plays", plays)
    for col in ("down", "qtr", "posteam"):
        assert col in str(err.value)


def test_schema_sets_column_order_and_dtypes(mini_tables):
    for name, df in mini_tables.items():
        assert list(df.columns) == [c for c in SCHEMAS[name].columns if c in df.columns]
    plays = mini_tables["plays"]
    shuffled = plays[plays.columns[::-1]].astype({"yardline_100": object})
    shuffled.loc[shuffled.index[0], "yardline_100"] = None  # the parser gives None for "no yard line"
    out = validate("plays", shuffled)
    assert list(out.columns) == list(plays.columns)
    assert out["yardline_100"].dtype == "Int64" and out["yardline_100"].isna().sum() == 1
    games = mini_tables["games"].assign(date=lambda d: d["date"].dt.date)  # the schedule's datetime.date
    assert validate("games", games)["date"].dtype == "datetime64[ns]"


def test_column_not_in_schema_is_rejected(mini_tables):
    with pytest.raises(DataError, match="surprise"):
        validate("drives", mini_tables["drives"].assign(surprise=1))
    with pytest.raises(DataError, match="home_punts"):
        validate("games", mini_tables["games"].drop(columns="home_punts"))
