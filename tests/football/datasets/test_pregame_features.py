"""Pregame features: hand-computed values, and proof that game g sees nothing from g onward."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from scrimmage.errors import ConfigError, DataError
from scrimmage.football.nfl.lines import games_from_spreadspoke
from scrimmage.football.ratings.form import (
    SUCCESS_SHARE_BY_DOWN,
    PregameFeatureSpec,
    add_play_stats,
    build_pregame_frame,
)

DATA = Path(__file__).resolve().parents[3].parent / "shared" / "data"
LINES = DATA / "nfl_lines" / "spreadspoke_scores.csv"
STATS = ["first_downs", "total_yds", "pass_yds", "rush_yds", "pass_att", "rush_att",
         "penalties", "penalty_yds", "turnovers", "top_sec", "punts", "off_plays", "success_rate"]
TARGET_COLS = ["home_score", "away_score"] + [f"{s}_{x}" for s in ("home", "away") for x in STATS]


def synthetic_games(n_teams: int = 8, seasons: range = range(2015, 2018), seed: int = 0,
                    with_stats: bool = True) -> pd.DataFrame:
    """Random league: preseason, a regular season of n_teams-1 weeks, a 3-round playoff."""
    rng = np.random.default_rng(seed)
    teams = [f"T{i:02d}" for i in range(n_teams)]
    rows = []

    def game(season: int, week: int, stype: str, day: pd.Timestamp, h: str, a: str) -> None:
        rows.append({"game_id": f"{season}_{stype}_{week:02d}_{a}_{h}", "season": season,
                     "week": week, "season_type": stype, "date": day, "home_team": h,
                     "away_team": a, "home_score": int(rng.integers(0, 45)),
                     "away_score": int(rng.integers(0, 45))})

    for season in seasons:
        start = pd.Timestamp(f"{season}-09-07")
        for k in range(0, n_teams, 2):
            game(season, 0, "PRE", start - pd.Timedelta(days=14), teams[k], teams[k + 1])
        for week in range(1, n_teams):
            order = rng.permutation(teams)
            for k in range(0, n_teams, 2):  # Thursday, Sunday and Monday games
                day = start + pd.Timedelta(days=7 * (week - 1) + [0, 3, 3, 4][k // 2 % 4])
                game(season, week, "REG", day, order[k], order[k + 1])
        alive = list(rng.permutation(teams)[:4])
        for rnd in range(3):
            day = start + pd.Timedelta(days=7 * (n_teams - 1 + rnd) + 3)
            winners = []
            for k in range(0, len(alive), 2):
                game(season, n_teams + rnd, "POST", day, alive[k], alive[k + 1])
                winners.append(alive[k])
            alive = winners if len(winners) > 1 else winners + alive[1:2]
            if len(alive) < 2:
                break
    g = pd.DataFrame(rows)
    if with_stats:
        for side in ("home", "away"):
            for s in STATS:
                g[f"{side}_{s}"] = rng.uniform(1, 400, len(g)).round(1)
            g[f"{side}_success_rate"] = rng.uniform(0.3, 0.6, len(g))
    return g


def features_of(games: pd.DataFrame, game_id: str) -> np.ndarray:
    pf = build_pregame_frame(games)
    row = pf.frame.set_index("game_id").loc[game_id, pf.feature_columns]
    return row.to_numpy(np.float64)


def pick_games(games: pd.DataFrame) -> list[str]:
    """Very first game, week 1 and 2 of a later season, mid-season, a playoff game."""
    reg = games[games["season_type"] == "REG"].sort_values(["date", "game_id"])
    s2 = reg[reg["season"] == reg["season"].unique()[1]]
    post = games[games["season_type"] == "POST"]
    return [reg["game_id"].iloc[0], s2["game_id"].iloc[0], s2[s2["week"] == 2]["game_id"].iloc[-1],
            reg["game_id"].iloc[len(reg) // 2], post["game_id"].iloc[-1]]


# ---------------------------------------------------------------- hand-computed schedule
def tiny_schedule() -> pd.DataFrame:
    g = [  # (date, season, week, type, home, away, home_score, away_score)
        ("2018-09-09", 2018, 1, "REG", "A", "B", 20, 10),
        ("2018-09-09", 2018, 1, "REG", "C", "D", 30, 0),
        ("2018-09-16", 2018, 2, "REG", "B", "A", 14, 28),
        ("2019-09-08", 2019, 1, "REG", "A", "C", 10, 17),
        ("2019-09-12", 2019, 2, "REG", "A", "D", 3, 3),
        ("2019-09-15", 2019, 2, "REG", "E", "B", 21, 24),
        ("2019-09-16", 2019, 0, "PRE", "A", "B", 99, 99),
        ("2019-09-20", 2019, 3, "REG", "A", "B", 7, 0),
        ("2019-10-20", 2019, 4, "REG", "C", "A", 0, 7),
    ]
    df = pd.DataFrame(g, columns=["date", "season", "week", "season_type", "home_team",
                                  "away_team", "home_score", "away_score"])
    df["date"] = pd.to_datetime(df["date"])
    df.insert(0, "game_id", [f"g{i}" for i in range(len(df))])
    return df


HAND = PregameFeatureSpec(halflife_games=1.0, prior_games=2.0, prior_regression=0.5)


def hand_frame() -> pd.DataFrame:
    return build_pregame_frame(tiny_schedule(), HAND).frame.set_index("game_id")


def test_shrinkage_blends_this_season_with_regressed_last_season_form():
    f = hand_frame()
    # 2018: league mean points per team-game = (20+10+30+0+14+28)/6 = 17.
    # A scored 20 then 28; EWM with halflife 1 weights 0.5, 1 -> final 76/3.
    # Regressed halfway to 17: 127/6. Week 1 of 2019 (n=0) uses only that prior.
    assert f.loc["g3", "home_pts_for"] == pytest.approx(127 / 6)
    assert f.loc["g3", "home_has_prior_season"] == 1.0
    # After scoring 10 in week 1 (n=1): (1*10 + 2*127/6) / 3
    assert f.loc["g4", "home_pts_for"] == pytest.approx((10 + 2 * 127 / 6) / 3)
    # D scored 0 in its only 2018 game -> prior 17 + 0.5*(0-17) = 8.5
    assert f.loc["g4", "away_pts_for"] == pytest.approx(8.5)
    # E is new in 2019: prior is the 2018 league mean, flagged as having no prior season
    assert f.loc["g5", "home_pts_for"] == pytest.approx(17.0)
    assert f.loc["g5", "home_has_prior_season"] == 0.0


def test_first_season_uses_running_league_mean_and_zero_on_first_date():
    f = hand_frame()
    assert f.loc["g0", ["home_pts_for", "away_pts_against"]].tolist() == [0.0, 0.0]
    # B before 2018-09-16: one game scoring 10; prior = league mean of earlier dates = 15
    assert f.loc["g2", "home_pts_for"] == pytest.approx((1 * 10 + 2 * 15) / 3)
    assert f.loc["g2", "home_pts_against"] == pytest.approx((1 * 20 + 2 * 15) / 3)


def test_rest_days_games_played_and_preseason_ignored():
    f = hand_frame()
    assert "g6" not in f.index  # preseason rows are never emitted
    assert f.loc["g3", ["home_rest_days", "home_first_game", "home_games_played"]].tolist() == [
        14.0, 1.0, 0.0]
    assert f.loc["g4", ["home_rest_days", "home_first_game", "home_games_played"]].tolist() == [
        4.0, 0.0, 1.0]
    # A's previous REG game is 2019-09-12 (the 09-16 preseason game does not count): 8 days
    assert f.loc["g7", ["home_rest_days", "home_games_played"]].tolist() == [8.0, 2.0]
    assert f.loc["g7", "away_rest_days"] == 5.0  # B last played 2019-09-15
    assert f.loc["g8", "away_rest_days"] == 14.0  # 30 days, capped
    assert f.loc["g7", "diff_rest_days"] == 3.0
    assert (f["home_field"] == 1.0).all()


def test_preseason_results_do_not_change_any_feature():
    g = tiny_schedule()
    base = build_pregame_frame(g, HAND).frame
    g.loc[g["season_type"] == "PRE", ["home_score", "away_score"]] = [0, 50]
    pd.testing.assert_frame_equal(build_pregame_frame(g, HAND).frame, base)


# ---------------------------------------------------------------- leakage
@pytest.mark.parametrize("seed", [0, 1])
def test_no_feature_of_game_g_uses_game_g_or_later(seed):
    games = synthetic_games(seed=seed)
    rng = np.random.default_rng(100 + seed)
    for gid in pick_games(games):
        expected = features_of(games, gid)
        date = games.loc[games["game_id"] == gid, "date"].iloc[0]
        later = games["date"] >= date

        perturbed = games.copy()
        perturbed.loc[later, TARGET_COLS] = rng.integers(0, 500, (int(later.sum()), len(TARGET_COLS)))
        assert features_of(perturbed, gid).tobytes() == expected.tobytes(), gid

        deleted = games[~later | (games["game_id"] == gid)]
        assert features_of(deleted, gid).tobytes() == expected.tobytes(), gid


def test_changing_an_earlier_game_changes_the_features():
    games = synthetic_games()
    gid = pick_games(games)[2]  # week 2 of the second season
    row = games.set_index("game_id").loc[gid]
    earlier = games[(games["date"] < row["date"]) & (games["season_type"] == "REG")
                    & (games["home_team"] == row["home_team"])].index[-1]
    changed = games.copy()
    changed.loc[earlier, "home_score"] += 17
    assert features_of(changed, gid).tobytes() != features_of(games, gid).tobytes()


# ---------------------------------------------------------------- frame contract
def test_frame_contract_with_stats():
    games = synthetic_games()
    games.loc[games.index[::7], "home_turnovers"] = np.nan  # missing stats are tolerated
    pf = build_pregame_frame(games)
    f = pf.frame
    assert set(f["season_type"]) == {"REG", "POST"}
    assert len(f) == int(games["season_type"].isin(["REG", "POST"]).sum())
    assert f[["date", "game_id"]].equals(f.sort_values(["date", "game_id"])[["date", "game_id"]])
    for name in ("home_pts_for", "away_yds_against", "home_pass_ypa_for", "away_rush_ypa_against",
                 "home_success_rate_for", "home_turnovers_against", "diff_pts_net",
                 "diff_yds_net", "home_rest_days", "away_games_played"):
        assert name in pf.feature_columns
    x = f[pf.feature_columns].to_numpy(np.float32)
    assert np.isfinite(x).all()
    assert [pf.teams[i] for i in f["home_idx"]] == f["home_team"].tolist()
    assert (f["margin"] == f["home_score"] - f["away_score"]).all()
    assert "home_score" not in pf.feature_columns and "margin" not in pf.feature_columns


def test_points_only_schedule_builds_points_features_only():
    pf = build_pregame_frame(synthetic_games(with_stats=False))
    assert "home_pts_for" in pf.feature_columns
    assert not any("yds" in c or "ypa" in c for c in pf.feature_columns)
    assert np.isfinite(pf.frame[pf.feature_columns].to_numpy()).all()


def test_bad_input_raises_clear_errors():
    with pytest.raises(DataError, match="home_score"):
        build_pregame_frame(tiny_schedule().drop(columns="home_score"))
    with pytest.raises(DataError, match="twice on one date"):
        build_pregame_frame(pd.concat([tiny_schedule(), tiny_schedule().assign(game_id=lambda d: d["game_id"] + "x")]))
    with pytest.raises(ConfigError, match="PRE"):
        build_pregame_frame(tiny_schedule(), PregameFeatureSpec(season_types=("PRE", "REG")))


def test_three_thousand_games_build_fast():
    games = synthetic_games(n_teams=32, seasons=range(2009, 2015))
    assert len(games) > 3000
    t0 = time.perf_counter()
    build_pregame_frame(games)
    assert time.perf_counter() - t0 < 2.0


# ---------------------------------------------------------------- real schedule
@pytest.mark.skipif(not LINES.exists(), reason=f"shared lines data not found at {LINES}")
def test_real_schedule_features_are_leak_free_and_informative():
    games = games_from_spreadspoke(LINES)
    assert len(games) > 2900 and games["game_id"].is_unique
    pf = build_pregame_frame(games)
    assert np.isfinite(pf.frame[pf.feature_columns].to_numpy()).all()
    late = pf.frame[pf.frame["season"] >= 2011]
    assert np.corrcoef(late["diff_pts_net"], late["margin"])[0, 1] > 0.25
    rng = np.random.default_rng(7)
    for gid in pick_games(games):
        expected = features_of(games, gid)
        later = games["date"] >= games.loc[games["game_id"] == gid, "date"].iloc[0]
        perturbed = games.copy()
        perturbed.loc[later, ["home_score", "away_score"]] = rng.integers(0, 60, (int(later.sum()), 2))
        assert features_of(perturbed, gid).tobytes() == expected.tobytes(), gid


# ---------------------------------------------------------------- play-derived stats
def test_success_rate_by_down_hand_computed():
    need = {down: 10 * share for down, share in SUCCESS_SHARE_BY_DOWN.items()}
    assert need == {1: 4.0, 2: 6.0, 3: 10.0, 4: 10.0}
    plays = pd.DataFrame({
        "game_id": ["g"] * 8,
        "posteam": ["A", "A", "A", "A", "A", "A", "B", "B"],
        "play_type": ["run", "pass", "pass", "sack", "punt", "run", "run", "kneel"],
        "down": [1, 1, 2, 3, 4, 0, 1, 1],
        "ydstogo": [10] * 8,
        "yards_gained": [4, 3, 6, -5, 40, 20, 0, -1],
    })
    games = pd.DataFrame({"game_id": ["g", "h"], "home_team": ["A", "A"], "away_team": ["B", "B"]})
    out = add_play_stats(games, plays)
    # A: run 4 on 1st (yes), pass 3 on 1st (no), pass 6 on 2nd (yes), sack on 3rd (no);
    # the punt and the down-0 run are not offensive snaps. B: one run, no gain.
    assert out.loc[0, ["home_off_plays", "away_off_plays"]].tolist() == [4, 1]
    assert out.loc[0, "home_success_rate"] == 0.5 and out.loc[0, "away_success_rate"] == 0.0
    assert out.loc[1, "home_off_plays"] == 0 and np.isnan(out.loc[1, "home_success_rate"])
    assert list(games.columns) == ["game_id", "home_team", "away_team"]  # input untouched


def test_success_rate_on_full_ingest_feeds_the_form(full_ingest):
    _, tables, _ = full_ingest
    assert "home_success_rate" not in tables["games"]  # derived here, not stored by the ingest
    games = add_play_stats(tables["games"], tables["plays"])
    assert games["home_success_rate"].between(0.2, 0.8).mean() > 0.99  # a few incomplete games are extreme
    assert (games["home_off_plays"] > 20).mean() > 0.99
    assert "home_success_rate_for" in build_pregame_frame(games).feature_columns
