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
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from scrimmage.errors import ConfigError, DataError

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


# --------------------------------------------------------------------------- spreadspoke
_WEEKS_POST = {"Wildcard": 18, "Division": 19, "Conference": 20, "Superbowl": 21}
_CODE_ALIASES = {"LVR": "OAK"}  # the lines file tags pre-2020 Raiders favourites as LVR


def games_from_spreadspoke(
    csv_path: str | Path, teams_csv: str | Path | None = None,
    seasons: tuple[int, int] = (2009, 2019),
) -> pd.DataFrame:
    """A points-only games table (the games contract minus stats) from the spreadspoke lines CSV.

    Used for baselines and tests where the play-by-play ingest is not available; the lines
    file is also the source of ``spread_home`` (negative = home favoured) and ``total_line``.
    """
    csv_path = Path(csv_path)
    teams_csv = Path(teams_csv) if teams_csv else csv_path.with_name("nfl_teams.csv")
    try:
        raw = pd.read_csv(csv_path)
        names = pd.read_csv(teams_csv)
    except OSError as exc:
        raise DataError(f"cannot read spreadspoke files: {exc}") from exc
    code = dict(zip(names["team_name"], names["team_id"], strict=True))
    raw = raw[raw["schedule_season"].between(*seasons)].dropna(subset=["score_home"])
    post = raw["schedule_playoff"].astype(str).str.upper().eq("TRUE")
    week = raw["schedule_week"].astype(str)
    g = pd.DataFrame({
        "season": raw["schedule_season"].astype(int),
        "week": week.map(_WEEKS_POST).fillna(pd.to_numeric(week, errors="coerce")).astype(int),
        "season_type": np.where(post, "POST", "REG"),
        "date": pd.to_datetime(raw["schedule_date"], format="%m/%d/%Y"),
        "home_team": raw["team_home"].map(code), "away_team": raw["team_away"].map(code),
        "home_score": raw["score_home"].astype(int), "away_score": raw["score_away"].astype(int),
    })
    unknown = set(raw["team_home"][g["home_team"].isna()]) | set(
        raw["team_away"][g["away_team"].isna()])
    if unknown:
        raise DataError(f"team names without a code in {teams_csv.name}: {sorted(unknown)}")
    fav = raw["team_favorite_id"].replace(_CODE_ALIASES)
    odd = fav.notna() & ~(fav.eq("PICK") | fav.eq(g["home_team"]) | fav.eq(g["away_team"]))
    if odd.any():
        raise DataError(f"favourite ids that match neither team: {sorted(set(fav[odd]))}")
    spread = raw["spread_favorite"].astype(float).abs()
    g["spread_home"] = np.where(fav == "PICK", 0.0, np.where(fav == g["home_team"], -spread, spread))
    g.loc[fav.isna().to_numpy(), "spread_home"] = np.nan
    g["total_line"] = pd.to_numeric(raw["over_under_line"], errors="coerce")
    g.insert(0, "game_id", g["season"].astype(str) + "_" + g["week"].map("{:02d}".format)
             + "_" + g["away_team"] + "_" + g["home_team"])
    return g.sort_values(["date", "game_id"]).reset_index(drop=True)
