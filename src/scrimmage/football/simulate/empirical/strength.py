"""Team strength and home field of the empirical sampler: pregame offense/defense forms, how real points
answered them, and the short calibration simulation that turns them into tilts and a strength of the
day (see :mod:`scrimmage.football.simulate.empirical`)."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import torch

from scrimmage.errors import DataError
from scrimmage.football.simulate.empirical.sampling import EmpiricalConfig, EmpiricalSampler


def fit_team_strength(snaps: pd.DataFrame, games: pd.DataFrame, teams: list[str], fit_ids: set[str],
                       config: EmpiricalConfig) -> tuple[dict[str, torch.Tensor], list[str], dict[str, float]]:
    """Pregame offense/defense forms in net yards per snap (see the module docstring)."""
    r = snaps[snaps["call"].isin((0, 1))]
    cont = r["cont"].to_numpy(bool)
    net = np.where(cont, r["next_yl"].to_numpy(np.float64) - r["yl"].to_numpy(), r["yards_gained"].to_numpy())
    net = np.clip(net, -30, 100 - r["yl"].to_numpy())
    per = pd.DataFrame({"game_id": r["game_id"].to_numpy(), "team": r["posteam"].to_numpy(), "yards": net})
    agg = per.groupby(["game_id", "team"])["yards"].agg(["sum", "size"]).reset_index()
    g = games[["game_id", "date", "season", "week", "season_type", "home_team", "away_team"]].copy()
    g["date"] = pd.to_datetime(g["date"])
    rows = []
    for side, other in (("home", "away"), ("away", "home")):
        part = g.rename(columns={f"{side}_team": "team", f"{other}_team": "opponent"})[
            ["game_id", "date", "season", "week", "season_type", "team", "opponent"]].copy()
        part["is_home"] = side == "home"
        rows.append(part)
    long = pd.concat(rows, ignore_index=True)
    long = long.merge(agg.rename(columns={"sum": "off_yards", "size": "off_snaps"}), on=["game_id", "team"], how="left")
    allowed = agg.rename(columns={"team": "opponent", "sum": "def_yards", "size": "def_snaps"})
    long = long.merge(allowed, on=["game_id", "opponent"], how="left")
    long = long.dropna(subset=["off_snaps", "def_snaps"]).sort_values(["date", "game_id", "is_home"]).reset_index(drop=True)
    long["off_ypp"] = long["off_yards"] / long["off_snaps"]
    long["def_ypp"] = long["def_yards"] / long["def_snaps"]

    # league level before each date: exponentially weighted over game days (half-life 40 of them, about two seasons)
    daily = long.groupby("date")[["off_yards", "off_snaps"]].sum()
    level = daily.ewm(halflife=40).mean().shift(1)
    level = (level["off_yards"] / level["off_snaps"]).bfill()
    long["level"] = long["date"].map(level)
    long["off_res"] = long["off_ypp"] - long["level"]
    long["def_res"] = long["def_ypp"] - long["level"]

    decay = 0.5 ** (1.0 / config.form_halflife_games)
    keep = 1.0 - config.form_season_regression
    k = config.form_prior_games
    pre = np.zeros((len(long), 2))
    post = np.zeros((len(long), 2))
    long = long.sort_values(["team", "date"], kind="stable")
    for _, idx in long.groupby("team", sort=False).indices.items():
        part = long.iloc[idx]
        s_off = s_def = w = 0.0
        season = None
        for j, (ssn, o, d) in enumerate(zip(part["season"].to_numpy(), part["off_res"].to_numpy(),
                                             part["def_res"].to_numpy(), strict=True)):
            if season is not None and ssn != season:
                s_off, s_def, w = s_off * keep, s_def * keep, w * keep
            season = ssn
            pre[idx[j]] = (s_off / (w + k), s_def / (w + k))
            s_off, s_def, w = decay * s_off + o, decay * s_def + d, decay * w + 1.0
            post[idx[j]] = (s_off / (w + k), s_def / (w + k))
    pre_df = pd.DataFrame(pre, columns=["pre_off", "pre_def"])
    post_df = pd.DataFrame(post, columns=["post_off", "post_def"])
    long = pd.concat([long.reset_index(drop=True), pre_df, post_df], axis=1)

    # how real points answered pregame form in the fit seasons (least squares, one game a row)
    opp = long[["game_id", "team", "pre_off", "pre_def"]].rename(
        columns={"team": "opponent", "pre_off": "opp_pre_off", "pre_def": "opp_pre_def"})
    long = long.merge(opp, on=["game_id", "opponent"], how="left")
    expected = (long["pre_off"] + long["opp_pre_def"]).to_numpy()  # expected yards per snap above the league
    side = pd.DataFrame({"game_id": long["game_id"], "is_home": long["is_home"], "x": expected})
    x = side.pivot_table(index="game_id", columns="is_home", values="x")
    fit = games[games["game_id"].isin(fit_ids)].set_index("game_id").join(x, how="inner").dropna(subset=[True, False])
    margin = (fit["home_score"] - fit["away_score"]).to_numpy(np.float64)
    total = (fit["home_score"] + fit["away_score"]).to_numpy(np.float64)
    x_diff = (fit[True] - fit[False]).to_numpy(np.float64)
    x_sum = (fit[True] + fit[False]).to_numpy(np.float64)
    beta_margin, home_points = np.polyfit(x_diff, margin, 1)
    beta_total, level = np.polyfit(x_sum, total, 1)
    if not config.team_strength:  # then only home field: the residual is around the home edge
        beta_margin, beta_total, home_points, level = 0.0, 0.0, float(margin.mean()), float(total.mean())
    strength = {"beta_margin": round(float(beta_margin), 3), "beta_total": round(float(beta_total), 3),
                "home_points": round(float(home_points), 3), "fit_games": len(fit),
                "form_sd": round(float(np.std(x_diff)), 4),
                "residual_margin_var": round(float(np.var(margin - beta_margin * x_diff - home_points)), 2),
                "residual_total_var": round(float(np.var(total - beta_total * x_sum - level)), 2)}

    codes = {t: i for i, t in enumerate(teams)}
    order = long["season"] * 100 + np.where(long["season_type"] == "POST", 17 + long["week"], long["week"])
    team_form = np.stack([long["team"].map(codes).to_numpy(np.float64), order.to_numpy(np.float64),
                          long["pre_off"], long["pre_def"], long["post_off"], long["post_def"]], 1)
    by_game = long.set_index(["game_id", "is_home"])[["pre_off", "pre_def"]]
    game_ids = sorted(set(long["game_id"]))
    h = by_game.xs(True, level="is_home").reindex(game_ids).fillna(0.0)
    a = by_game.xs(False, level="is_home").reindex(game_ids).fillna(0.0)
    game_form = np.stack([h["pre_off"], h["pre_def"], a["pre_off"], a["pre_def"]], 1)
    return ({"team_form": torch.from_numpy(team_form.astype(np.float32)),
             "game_form": torch.from_numpy(game_form.astype(np.float32))}, game_ids, strength)


def calibrate_strength(sampler: EmpiricalSampler, games: int = 1000, size: float = 0.5) -> None:
    """Measure how the simulated margin and total answer a tilt (points per yard per snap) and set
    the tilt scales so that they answer pregame form as real games did (see the module docstring).

    Paired design with common random numbers: two runs with one seed, the first with home/away
    tilts (+s, -s) and (+s, +s), the second with (-s, +s) and (-s, -s); game slot ``b`` gets the
    same draws in both, so the differences are far less noisy than independent runs (about half
    a second; the fit stays deterministic).
    """
    from scrimmage.football.simulate.engine import simulate
    from scrimmage.football.simulate.rules import NFLRules

    strength = sampler.meta["strength"]
    team = sampler.teams[0]
    runs = []
    for sign in (1.0, -1.0):
        shift = sign * torch.tensor([[size, -size], [size, size]])
        with torch.inference_mode():
            runs.append(simulate(sampler, NFLRules(), [team] * 2, [team] * 2, n=games, seed=12345,
                                 context={"offense_shift": shift}))
    up, down = runs
    first = up.matchup == 0
    gamma_margin = float((up.margin - down.margin)[first].double().mean()) / (4 * size)  # per unit of home - away tilt
    gamma_total = float((up.total - down.total)[~first].double().mean()) / (4 * size)  # per unit of home + away tilt
    # the simulator's own game-to-game spread for fixed teams (averaged over the four arms)
    within_margin = float(np.mean([r.margin[m].double().var() for r in runs for m in (first, ~first)]))
    within_total = float(np.mean([r.total[m].double().var() for r in runs for m in (first, ~first)]))
    if gamma_margin <= 0 or gamma_total <= 0:
        raise DataError("the simulator does not answer team strength (a non-positive response); refit with more seasons")
    strength |= {
        "gamma_margin": round(gamma_margin, 3), "gamma_total": round(gamma_total, 3),
        "k_margin": round(strength["beta_margin"] / gamma_margin, 4),
        "k_total": round(strength["beta_total"] / gamma_total, 4),
        "home_shift": round(strength["home_points"] / (2 * gamma_margin), 4),
        "within_margin_var": round(within_margin, 2), "within_total_var": round(within_total, 2),
    }
    # what real games vary beyond the form and the simulator's own randomness: per-game strength
    # the form does not know, drawn once a game by ``prepare`` (in tilt units)
    use = sampler.meta["config"]["strength_uncertainty"]
    strength["latent_margin_sd"] = round(math.sqrt(max(strength["residual_margin_var"] - within_margin, 0.0)) / gamma_margin, 4) if use else 0.0
    strength["latent_total_sd"] = round(math.sqrt(max(strength["residual_total_var"] - within_total, 0.0)) / gamma_total, 4) if use else 0.0
    sampler.meta["summary"]["team_strength"] = dict(strength)

