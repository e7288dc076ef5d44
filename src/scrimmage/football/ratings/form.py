"""Pregame features for NFL game models: what was knowable about both teams before kickoff.

Why hand-written: the features are leakage-sensitive time-series aggregates (per-team EWM form
with early-season shrinkage toward last season); no library encodes this domain rule, and
getting "strictly before game g" right matters more than anything else here.

Rules (each one is tested):

* A team's form for game g uses only that team's games on earlier dates. The table is "long"
  (two rows per game, one per team), sorted by (team, date, game_id); the per-(team, season)
  EWM is taken over the team's games and then shifted by one game, so game g never sees itself.
* Form games are REG and POST only. Preseason is excluded from form, rest days and games
  played (starters barely play; it would add noise, not signal), and never emitted as a row.
* Early-season shrinkage: ``blend = (n*ewm_this_season + prior_games*prior)/(n + prior_games)``
  where ``n`` counts this season's earlier games with the quantity observed and ``prior`` is
  the team's final EWM form of the previous season regressed ``prior_regression`` of the way
  toward that season's league mean (rosters turn over; 1/3 is the usual NFL Elo choice).
  Without a previous season for the team: that season's league mean; without any previous
  season in the data: the league mean of all earlier dates (0 on the very first date), and
  ``has_prior_season`` = 0.
* Ratios (yards per attempt) are ratios of blended numerators and denominators, so one game
  with 2 rush attempts cannot dominate.
* Optional stat columns are used only when both ``home_<stat>`` and ``away_<stat>`` exist;
  points features are always built. This lets the builder run on points-only schedules.
  The ingested games table holds the box-score stats; ``success_rate`` is derived from the
  plays by :func:`add_play_stats` (a modelling choice, so it lives here, not in the ingest).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from scrimmage.errors import ConfigError, DataError
from scrimmage.football.common.playtypes import OFFENSIVE_TYPES

FORM_SEASON_TYPES: tuple[str, ...] = ("REG", "POST")
REQUIRED_COLUMNS = (
    "game_id", "season", "week", "season_type", "date",
    "home_team", "away_team", "home_score", "away_score",
)
#: optional per-side stat columns (``home_<name>`` / ``away_<name>``) that feed form
OPTIONAL_STATS = (
    "total_yds", "turnovers", "success_rate", "first_downs",
    "pass_yds", "pass_att", "rush_yds", "rush_att",
)
#: output rating -> (numerator quantity, denominator quantity or None)
RATINGS: dict[str, tuple[str, str | None]] = {
    "pts": ("pts", None),
    "yds": ("total_yds", None),
    "turnovers": ("turnovers", None),
    "success_rate": ("success_rate", None),
    "first_downs": ("first_downs", None),
    "pass_ypa": ("pass_yds", "pass_att"),
    "rush_ypa": ("rush_yds", "rush_att"),
}


@dataclass(frozen=True)
class PregameFeatureSpec:
    halflife_games: float = 6.0  # EWM half-life in games for rolling team form
    prior_games: float = 4.0  # weight (in games) of last season's final form early in a season
    season_types: tuple[str, ...] = ("REG", "POST")  # games emitted as rows (subset of REG/POST)
    prior_regression: float = 1 / 3  # share of last season's form regressed to the league mean
    rest_cap_days: float = 14.0  # rest days are capped here (bye weeks look alike beyond it)
    first_game_rest_days: float = 14.0  # rest value for a team's first game of a season


@dataclass
class PregameFrame:
    frame: pd.DataFrame
    feature_columns: list[str]
    teams: list[str]


def _check(games: pd.DataFrame, spec: PregameFeatureSpec) -> None:
    missing = [c for c in REQUIRED_COLUMNS if c not in games.columns]
    if missing:
        raise DataError(f"games table lacks columns {missing}; expected the NFL games contract")
    bad = set(spec.season_types) - set(FORM_SEASON_TYPES)
    if bad:
        raise ConfigError(f"season_types {sorted(bad)} not supported; use a subset of REG, POST")
    if spec.halflife_games <= 0 or spec.prior_games < 0:
        raise ConfigError("halflife_games must be > 0 and prior_games >= 0")


def _long_table(g: pd.DataFrame, stats: list[str]) -> pd.DataFrame:
    """Two rows per game (one per team) with quantities *for* and *against* that team."""
    sides = []
    for side, other in (("home", "away"), ("away", "home")):
        part = pd.DataFrame({
            "game_id": g["game_id"].to_numpy(), "date": g["date"].to_numpy(),
            "season": g["season"].to_numpy(), "team": g[f"{side}_team"].to_numpy(),
            "is_home": side == "home",
            "pts_for": g[f"{side}_score"].to_numpy(float),
            "pts_against": g[f"{other}_score"].to_numpy(float),
        })
        for s in stats:
            part[f"{s}_for"] = g[f"{side}_{s}"].to_numpy(float)
            part[f"{s}_against"] = g[f"{other}_{s}"].to_numpy(float)
        sides.append(part)
    long = pd.concat(sides, ignore_index=True)
    return long.sort_values(["team", "date", "game_id"], kind="stable").reset_index(drop=True)


def _running_league_mean(long: pd.DataFrame, vals: list[str]) -> pd.DataFrame:
    """League mean of each quantity over all dates strictly before each row's date."""
    by_date = long.groupby("date")[vals]
    sums = by_date.sum(min_count=1).fillna(0.0).sort_index().cumsum().shift(1)
    counts = by_date.count().sort_index().cumsum().shift(1)
    mean = sums / counts.where(counts > 0)
    return mean.reindex(long["date"]).set_axis(long.index)


def _team_form(long: pd.DataFrame, vals: list[str], spec: PregameFeatureSpec) -> pd.DataFrame:
    keys = [long["team"], long["season"]]
    ewm = (
        long.groupby(["team", "season"], sort=False)[vals]
        .ewm(halflife=spec.halflife_games, ignore_na=True).mean()
        .reset_index(level=[0, 1], drop=True).reindex(long.index)
    )
    n_obs = long[vals].notna().astype(float).groupby(keys).cumsum()
    pre = ewm.groupby(keys).shift(1)  # form before this game: excludes the game itself
    n_pre = n_obs.groupby(keys).shift(1).fillna(0.0)

    # previous season's final form, regressed toward that season's league mean
    final = ewm.groupby(keys).last()
    league = long.groupby("season")[vals].mean()
    prev_idx = pd.MultiIndex.from_arrays([long["team"], long["season"] - 1])
    prev_final = final.reindex(prev_idx).set_axis(long.index)
    prev_league = league.reindex(long["season"] - 1).set_axis(long.index)
    regressed = prev_league + (1 - spec.prior_regression) * (prev_final - prev_league)
    running = _running_league_mean(long, vals)
    prior = regressed.fillna(prev_league).fillna(running)
    has_prior = prev_final["pts_for"].notna().astype(float)

    p = spec.prior_games
    n = n_pre.to_numpy()
    ewm_v, prior_v = pre.to_numpy(), prior.to_numpy()
    with np.errstate(invalid="ignore", divide="ignore"):
        blend = (n * np.nan_to_num(ewm_v) + p * np.nan_to_num(prior_v)) / (
            n + p * ~np.isnan(prior_v)
        )
    out = pd.DataFrame(np.nan_to_num(blend, nan=0.0), index=long.index, columns=vals)
    out["has_prior_season"] = has_prior
    return out


def build_pregame_frame(
    games: pd.DataFrame, spec: PregameFeatureSpec = PregameFeatureSpec()
) -> PregameFrame:
    """One feature row per REG/POST game from each team's earlier games only."""
    _check(games, spec)
    g = games[games["season_type"].isin(FORM_SEASON_TYPES)].copy()
    g["date"] = pd.to_datetime(g["date"])
    g = g.sort_values(["date", "game_id"], kind="stable").reset_index(drop=True)
    if not g["game_id"].is_unique:
        raise DataError("games table has duplicate game_id values")
    twice = pd.concat([g[["home_team", "date"]].set_axis(["team", "date"], axis=1),
                       g[["away_team", "date"]].set_axis(["team", "date"], axis=1)]).duplicated()
    if twice.any():  # "earlier games" would be ambiguous and could leak
        raise DataError(f"{int(twice.sum())} team(s) play twice on one date; fix the schedule")
    stats = [s for s in OPTIONAL_STATS if f"home_{s}" in g and f"away_{s}" in g]
    long = _long_table(g, stats)
    quantities = ["pts", *stats]
    vals = [f"{q}_{w}" for q in quantities for w in ("for", "against")]
    form = _team_form(long, vals, spec)

    team_feats = pd.DataFrame(index=long.index)
    ratings = [r for r, (num, den) in RATINGS.items()
               if num in quantities and (den is None or den in quantities)]
    for r in ratings:
        num, den = RATINGS[r]
        for w in ("for", "against"):
            v = form[f"{num}_{w}"]
            if den is not None:
                d = form[f"{den}_{w}"]
                v = (v / d.where(d > 0)).fillna(0.0)
            team_feats[f"{r}_{w}"] = v
    grp = long.groupby(["team", "season"], sort=False)
    team_feats["games_played"] = grp.cumcount().astype(float)
    rest = (long["date"] - grp["date"].shift(1)).dt.days.astype(float)
    team_feats["first_game"] = rest.isna().astype(float)
    team_feats["rest_days"] = rest.clip(upper=spec.rest_cap_days).fillna(spec.first_game_rest_days)
    team_feats["has_prior_season"] = form["has_prior_season"]

    per_side = {}
    for side, is_home in (("home", True), ("away", False)):
        part = team_feats[long["is_home"] == is_home].copy()
        part.index = long.loc[part.index, "game_id"].to_numpy()
        per_side[side] = part.add_prefix(f"{side}_")
    feats = per_side["home"].join(per_side["away"])
    diff = pd.DataFrame(index=feats.index)
    for r in ratings:
        diff[f"diff_{r}_net"] = (feats[f"home_{r}_for"] - feats[f"home_{r}_against"]) - (
            feats[f"away_{r}_for"] - feats[f"away_{r}_against"])
    diff["diff_rest_days"] = feats["home_rest_days"] - feats["away_rest_days"]
    feats.insert(0, "home_field", 1.0)
    feats = feats.join(diff)
    feature_columns = list(feats.columns)

    emit = g[g["season_type"].isin(spec.season_types)]
    teams = sorted(set(g["home_team"]) | set(g["away_team"]))
    index_of = {t: i for i, t in enumerate(teams)}
    base = ["game_id", "season", "week", "season_type", "date", "home_team", "away_team"]
    frame = emit[base].reset_index(drop=True)
    frame["home_idx"] = frame["home_team"].map(index_of).astype(np.int64)
    frame["away_idx"] = frame["away_team"].map(index_of).astype(np.int64)
    frame = frame.join(feats[feature_columns].astype(np.float64), on="game_id")
    frame["home_score"] = emit["home_score"].to_numpy()
    frame["away_score"] = emit["away_score"].to_numpy()
    frame["margin"] = frame["home_score"] - frame["away_score"]
    for col in ("spread_home", "total_line"):
        if col in emit:
            frame[col] = emit[col].to_numpy()
    return PregameFrame(frame=frame, feature_columns=feature_columns, teams=teams)


# --------------------------------------------------------------------------- play-derived stats
#: Share of the yards to go a play must gain to count as a success, by down: the usual
#: analytics convention (40% on first down, 60% on second, all of it on third and fourth).
SUCCESS_SHARE_BY_DOWN: dict[int, float] = {1: 0.4, 2: 0.6, 3: 1.0, 4: 1.0}


def add_play_stats(games: pd.DataFrame, plays: pd.DataFrame) -> pd.DataFrame:
    """``games`` plus per-team stats derived from the plays table, as ``home_``/``away_`` columns:
    ``off_plays`` (run, pass and sack snaps on downs 1-4) and ``success_rate`` (share of those
    that gain :data:`SUCCESS_SHARE_BY_DOWN` of the yards to go; NaN without any).

    A modelling choice rather than a fact of the game record, so it is computed here and not
    stored by the ingest; ``success_rate`` then feeds the team form like any box-score stat.
    """
    off = plays[plays["play_type"].isin(OFFENSIVE_TYPES) & plays["down"].between(1, 4)]
    need = off["ydstogo"] * off["down"].map(SUCCESS_SHARE_BY_DOWN)
    success = off["yards_gained"] >= need
    agg = (
        pd.DataFrame({"game_id": off["game_id"], "team": off["posteam"], "success": success})
        .groupby(["game_id", "team"])["success"].agg(["size", "mean"])
    )
    out = games.copy()
    for side in ("home", "away"):
        key = pd.MultiIndex.from_arrays([out["game_id"], out[f"{side}_team"]])
        sub = agg.reindex(key)
        out[f"{side}_off_plays"] = sub["size"].fillna(0).astype(int).to_numpy()
        out[f"{side}_success_rate"] = sub["mean"].astype(float).to_numpy()
    return out
