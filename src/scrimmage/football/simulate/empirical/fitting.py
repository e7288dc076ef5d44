"""Fitting the empirical sampler: every distribution read off the ingested plays of the fit seasons
(the play call, snap outcomes, the clock, punts, field goals, kickoffs and tries; team strength in
:mod:`.strength`). Vectorised pandas/numpy; see :mod:`scrimmage.football.simulate.empirical`."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import torch

from scrimmage.errors import DataError
from scrimmage.football.simulate.empirical.sampling import (
    CALL_SHAPE,
    KICK_FREE,
    KICK_NORMAL,
    KICK_ONSIDE,
    LEAD_OF_SCORE_BUCKET,
    MAX_DIFF,
    N_CTX,
    N_DD,
    N_PUNT,
    N_YCTX,
    N_YZONE,
    SAMPLER_VERSION,
    TD_YARDS,
    TRY_DIFF,
    YARD_CALLS,
    EmpiricalConfig,
    EmpiricalSampler,
    call_cell,
    clock_context,
    yards_cell,
    yards_context,
)
from scrimmage.football.simulate.empirical.strength import calibrate_strength, fit_team_strength
from scrimmage.football.simulate.state import SNAP_CALLS


def fit_empirical(plays: pd.DataFrame, games: pd.DataFrame, config: EmpiricalConfig = EmpiricalConfig()) -> EmpiricalSampler:
    """Fit every distribution of the sampler (see the module docstring) from the ingested tables."""
    from scrimmage.football.common.teams import CANONICAL_TEAMS
    from scrimmage.football.datasets.nfl_playcall import PlaycallDataConfig
    from scrimmage.football.datasets.playcall import play_labels

    first, last = config.fit_seasons
    kept_games = games[games["season_type"].isin(config.season_types)]
    fit_ids = set(kept_games.loc[kept_games["season"].between(first, last), "game_id"])
    if not fit_ids:
        seasons = sorted(games["season"].unique().tolist())
        raise DataError(f"no {'/'.join(config.season_types)} games in fit seasons {first}-{last}; the data holds "
                        f"{seasons[0] if seasons else '?'}-{seasons[-1] if seasons else '?'}")
    meta_cols = ["game_id", "season", "week", "season_type", "date", "home_team", "away_team", "clock_jump"]
    p = plays[plays["game_id"].isin(set(kept_games["game_id"]))].merge(kept_games[meta_cols], on="game_id", how="inner")
    p = p.sort_values(["game_id", "play_index"], kind="stable").reset_index(drop=True)
    label, _ = play_labels(p, PlaycallDataConfig(season_types=list(config.season_types)))
    p["call"] = label.map({c: i for i, c in enumerate(SNAP_CALLS)})

    snaps = _snap_transitions(p)
    in_fit = snaps["game_id"].isin(fit_ids).to_numpy()
    fit_snaps = snaps[in_fit].reset_index(drop=True)
    latest = sorted(s for s in kept_games["season"].unique() if first <= s <= last)[-config.special_teams_seasons:]
    special_ids = set(kept_games.loc[kept_games["season"].isin(latest), "game_id"])

    tables: dict[str, torch.Tensor] = {}
    summary: dict[str, Any] = {"fit_seasons": [first, last], "special_teams_seasons": [int(s) for s in latest],
                               "fit_games": len(fit_ids), "snaps": len(fit_snaps)}
    tables.update(_fit_calls(fit_snaps, config.call_smoothing, summary))
    yard_tables, kappa = _fit_snap_outcomes(fit_snaps, summary)
    tables.update(yard_tables)
    tables.update(_fit_clock(fit_snaps))
    tables.update(_fit_punts(p, snaps, fit_ids, summary))
    tables.update(_fit_field_goals(p[p["game_id"].isin(fit_ids)], summary))
    tables.update(_fit_kickoffs(p, snaps, fit_ids, special_ids, summary))
    tables.update(_fit_tries(p[p["game_id"].isin(fit_ids)], special_ids, summary))

    teams = sorted(CANONICAL_TEAMS | set(kept_games["home_team"]) | set(kept_games["away_team"]))
    form_tables, form_ids, strength = fit_team_strength(snaps, kept_games, teams, fit_ids, config)
    tables.update(form_tables)
    summary["team_strength"] = strength
    meta = {
        "version": SAMPLER_VERSION, "config": config.key(), "teams": teams, "kappa": kappa,
        "yards_smoothing": float(config.yards_smoothing), "strength": strength, "form_game_ids": form_ids,
        "summary": summary,
    }
    sampler = EmpiricalSampler(tables, meta)
    calibrate_strength(sampler)
    return sampler


def _half(qtr: pd.Series) -> pd.Series:
    return qtr.where(qtr >= 5, (qtr + 1) // 2)


def _snap_transitions(p: pd.DataFrame) -> pd.DataFrame:
    """Every snap with a call and what happened from it to the next snap (see the module docstring)."""
    s = p[p["call"].notna()].copy()
    s["call"] = s["call"].astype(np.int64)
    s["yl"] = s["yardline_100"].astype(np.int64)
    s["half"] = _half(s["qtr"])
    s["clock"] = np.where(s["qtr"] <= 4, s["sec_remaining_game"] - (4 - s["qtr"]) * 900, s["sec_remaining_game"])
    home_lead = s["home_score_before"] - s["away_score_before"]
    s["lead"] = np.where(s["posteam"] == s["home_team"], home_lead, -home_lead)
    nxt = s.groupby("game_id", sort=False)[["drive_id", "posteam", "yl", "down", "half", "sec_remaining_game"]].shift(-1)
    same_half = nxt["half"] == s["half"]
    cont = same_half & (nxt["drive_id"] == s["drive_id"]) & (nxt["posteam"] == s["posteam"])
    s["cont"] = cont.to_numpy()
    s["next_yl"] = nxt["yl"].to_numpy()
    s["next_down"] = nxt["down"].to_numpy()
    s["next_other"] = (same_half & (nxt["posteam"] == s["defteam"])).to_numpy()
    s["elapsed"] = np.where(same_half, s["sec_remaining_game"] - nxt["sec_remaining_game"], np.nan)
    s["clean_clock"] = ~s["clock_jump"].to_numpy(bool)
    s["stop"] = _stops_clock(s)
    s["p_row"] = s.index.to_numpy()  # the row in the plays frame it came from
    return s.reset_index(drop=True)


def _sorted_pool(cells: np.ndarray, n_cells: int) -> tuple[np.ndarray, torch.Tensor, torch.Tensor]:
    """Order of rows sorted by cell, and each cell's start and count in that order."""
    order = np.argsort(cells, kind="stable")
    count = np.bincount(cells, minlength=n_cells)
    start = np.concatenate([[0], np.cumsum(count)[:-1]])
    return order, torch.from_numpy(start.astype(np.int64)), torch.from_numpy(count.astype(np.int64))


def _t(values: Any) -> torch.Tensor:
    return torch.from_numpy(np.array(values, dtype=np.int64))


def _fit_calls(s: pd.DataFrame, a: float, summary: dict[str, Any]) -> dict[str, torch.Tensor]:
    k = len(SNAP_CALLS)
    cell = call_cell(_t(s["down"]), _t(s["ydstogo"]).clamp(min=1), 100 - _t(s["yl"]), _t(s["lead"]),
                     _t(s["qtr"]), _t(s["clock"])).numpy()
    n_cells = int(np.prod(CALL_SHAPE))
    counts = np.bincount(cell * k + s["call"].to_numpy(), minlength=n_cells * k).reshape(*CALL_SHAPE, k).astype(np.float64)

    def smooth(c: np.ndarray, parent: np.ndarray) -> np.ndarray:
        return (c + a * parent) / (c.sum(-1, keepdims=True) + a)

    prior = counts.sum((0, 1, 2, 3, 4)) / counts.sum()
    p_zone = smooth(counts.sum((1, 3, 4), keepdims=True), prior)
    p_dist = smooth(counts.sum((3, 4), keepdims=True), p_zone)
    p_time = smooth(counts.sum(3, keepdims=True), p_dist)
    lead_of = np.asarray(LEAD_OF_SCORE_BUCKET)
    by_lead = np.stack([counts[:, :, :, lead_of == i].sum(3) for i in range(3)], 3)
    p_lead = smooth(by_lead, p_time)[:, :, :, lead_of]
    p = smooth(counts, p_lead)
    cdf = np.cumsum(p, -1).reshape(n_cells, k)
    cdf[:, -1] = 1.0
    summary["calls"] = {c: round(float(x), 4) for c, x in zip(SNAP_CALLS, prior, strict=True)}
    summary["call_cells_seen"] = int((counts.sum(-1) > 0).sum())
    return {"call_cdf": torch.from_numpy(cdf.astype(np.float32))}


def _stops_clock(r: pd.DataFrame) -> np.ndarray:
    """Snaps after which the clock stopped: incompletions, out of bounds, penalties, spikes."""
    desc = r["desc"]
    stop = (desc.str.contains("incomplete", regex=False) | desc.str.contains(" ob ", regex=False)
            | desc.str.contains("out of bounds", regex=False) | r["penalty"] | (r["play_type"] == "no_play")
            | (r["call"] == 5))
    return stop.to_numpy(bool).copy()


def _fit_snap_outcomes(s: pd.DataFrame, summary: dict[str, Any]) -> tuple[dict[str, torch.Tensor], float]:
    """The pool of run/pass/kneel/spike snaps and what each led to."""
    call = s["call"].to_numpy()
    r = s[np.isin(call, (0, 1, 4, 5))].copy()
    cont = r["cont"].to_numpy(bool)
    yl = r["yl"].to_numpy()
    to_goal = 100 - yl
    gained = r["yards_gained"].to_numpy(np.int64)
    off_td = r["touchdown"].to_numpy(bool) & ~r["turnover"].to_numpy(bool) & ~cont
    net = np.where(cont, r["next_yl"].to_numpy(np.float64) - yl, gained).astype(np.int64)
    # a touchdown's gain is censored at the goal line (it would have gone further): it scores from
    # wherever in its cell it is drawn; other gains stop short of the goal line they did not reach
    net = np.where(off_td, TD_YARDS, np.minimum(net, to_goal - 1))
    turnover = r["turnover"].to_numpy(bool) & ~cont & ~off_td
    return_td = turnover & r["touchdown"].to_numpy(bool)
    next_other = r["next_other"].to_numpy(bool)
    delta = np.where(turnover & next_other & ~return_td, r["next_yl"].to_numpy(np.float64) - to_goal, 0.0)
    next_down = r["next_down"].to_numpy(np.float64)
    ydstogo = r["ydstogo"].to_numpy()
    auto_first = cont & (next_down == 1) & (net < ydstogo)
    replay = cont & (next_down == r["down"].to_numpy()) & (next_down != 1)
    stop = r["stop"].to_numpy(bool)

    yard_call = np.select([r["call"] == 0, r["call"] == 1, r["call"] == 4], [0, 1, 2], 3)
    context = yards_context(_t(r["qtr"]), _t(r["clock"]), _t(r["lead"]))
    cells = yards_cell(_t(yard_call), _t(to_goal), _t(r["down"]), _t(ydstogo).clamp(min=1), context).numpy()
    n_parents = N_YCTX * YARD_CALLS * N_YZONE
    n_cells = n_parents * N_DD
    order, start, count = _sorted_pool(cells, n_cells)
    parent_count = count.view(n_parents, N_DD).sum(1)
    parent_start = start.view(n_parents, N_DD)[:, 0].clone()
    # an empty parent falls back to the same (call, zone) in the normal context, then to its call's
    # whole normal pool (a zone a kneel never happens in)
    normal = N_YZONE * YARD_CALLS
    for c in range(YARD_CALLS):
        rows = slice(c * N_YZONE, (c + 1) * N_YZONE)
        total = int(parent_count[rows].sum())
        call_start = int(parent_start[rows][parent_count[rows] > 0].min()) if total else 0
        empty = parent_count[rows] == 0
        parent_start[rows][empty] = call_start
        parent_count[rows][empty] = total
    for i in range(normal, n_parents):
        if int(parent_count[i]) == 0:
            parent_start[i], parent_count[i] = parent_start[i % normal], parent_count[i % normal]

    pool = {
        "pool_yards": net, "pool_gained": np.where(off_td, to_goal, gained), "pool_turnover": turnover,
        "pool_return_td": return_td, "pool_first": auto_first, "pool_replay": replay,
        "pool_to_delta": np.clip(delta, -99, 99).astype(np.int64), "pool_stop": stop,
    }
    tables = {name: torch.from_numpy(np.ascontiguousarray(values[order])) for name, values in pool.items()}
    tables |= {"y_start": start, "y_count": count, "yp_start": parent_start, "yp_count": parent_count}

    scrimmage = yard_call <= 1
    net_seen = np.where(off_td, to_goal, net)  # touchdowns at the yards they gained
    y = net_seen[scrimmage].astype(np.float64)
    cell_of = cells[scrimmage]
    sums, counts_ = np.bincount(cell_of, y, minlength=n_cells), np.bincount(cell_of, minlength=n_cells)
    means = sums / np.maximum(counts_, 1)
    within_var = float(np.mean((y - means[cell_of]) ** 2))
    kappa = 2.0 / within_var
    passes = yard_call == 1
    runs = yard_call == 0
    summary["snap_outcomes"] = {
        "pool_snaps": len(r), "net_yards_per_run": round(float(net_seen[runs].mean()), 3),
        "net_yards_per_pass": round(float(net_seen[passes].mean()), 3),
        "interception_rate_per_pass": round(float(turnover[passes].mean()), 4),
        "fumble_lost_rate_per_run": round(float(turnover[runs].mean()), 4),
        "return_td_share_of_turnovers": round(float(return_td.sum() / max(turnover.sum(), 1)), 4),
        "automatic_first_down_rate": round(float(auto_first[scrimmage].mean()), 4),
        "replayed_down_rate": round(float(replay[scrimmage].mean()), 4),
        "within_cell_yards_variance": round(within_var, 2),
    }
    return tables, kappa


def _fit_clock(s: pd.DataFrame) -> dict[str, torch.Tensor]:
    r = s[s["call"].isin((0, 1, 4, 5)) & s["cont"] & s["clean_clock"] & s["elapsed"].notna()]
    yard_call = np.select([r["call"] == 0, r["call"] == 1, r["call"] == 4], [0, 1, 2], 3)
    stop = r["stop"].to_numpy(bool)
    ctx = clock_context(_t(r["qtr"]), _t(r["clock"]), _t(r["lead"])).numpy()
    cells = (yard_call * 2 + stop) * N_CTX + ctx
    n_cells = YARD_CALLS * 2 * N_CTX
    values = np.clip(r["elapsed"].to_numpy(), 0, 60).astype(np.int64)
    order, start, count = _sorted_pool(cells, n_cells)
    # an empty cell borrows its (call, stopped) parent, then its call's stopped/running sibling
    start, count = start.view(-1, N_CTX).clone(), count.view(-1, N_CTX).clone()
    for parent in range(YARD_CALLS * 2):
        if int(count[parent].sum()) == 0:
            sibling = parent ^ 1
            start[parent], count[parent] = start[sibling], count[sibling]
        total = int(count[parent].sum())
        first_seen = int(start[parent][count[parent] > 0].min())
        empty = count[parent] == 0
        start[parent][empty], count[parent][empty] = first_seen, total
    return {"s_values": torch.from_numpy(values[order]), "s_start": start.view(-1), "s_count": count.view(-1)}


def _next_snap_rows(p: pd.DataFrame, snaps: pd.DataFrame, rows: pd.Series) -> pd.DataFrame:
    """For the plays of ``p`` selected by ``rows``: the game's next snap after each (its posteam,
    yard line, down, half and game clock), NaN when the game has none. ``p`` has a range index in
    play order and ``snaps`` its ``p_row``."""
    where = np.flatnonzero(rows.to_numpy(bool))
    snap_rows = snaps["p_row"].to_numpy()
    j = np.searchsorted(snap_rows, where, side="right")
    inside = j < len(snaps)
    j = np.minimum(j, len(snaps) - 1)
    same_game = inside & (snaps["game_id"].to_numpy()[j] == p["game_id"].to_numpy()[where])
    cols = ["posteam", "yl", "down", "half", "sec_remaining_game"]
    out = snaps.iloc[j][cols].reset_index(drop=True).astype(object)
    out.loc[~same_game, cols] = np.nan
    out.index = p.index[where]
    return out


def _fit_punts(p: pd.DataFrame, snaps: pd.DataFrame, fit_ids: set[str], summary: dict[str, Any]) -> dict[str, torch.Tensor]:
    rows = (p["play_type"] == "punt") & p["down"].between(1, 4) & p["yardline_100"].notna() & p["game_id"].isin(fit_ids)
    punts = p[rows]
    nxt = _next_snap_rows(p, snaps, rows)
    half = _half(punts["qtr"])
    same_half = nxt["half"].astype(float) == half
    return_td = punts["touchdown"].to_numpy(bool)
    received = (same_half & (nxt["posteam"] == punts["defteam"])).to_numpy(bool) & ~return_td
    muffed = (same_half & (nxt["posteam"] == punts["posteam"]) & (nxt["down"].astype(float) == 1)).to_numpy(bool) & ~return_td
    keep = return_td | received | muffed
    yl = punts["yardline_100"].to_numpy(np.int64)
    spot = np.where(received | muffed, nxt["yl"].astype(float).fillna(20).to_numpy(), 20).astype(np.int64)
    touchback = punts["desc"].str.contains("Touchback", case=False).to_numpy(bool) & received
    elapsed = (punts["sec_remaining_game"] - nxt["sec_remaining_game"].astype(float)).to_numpy()
    clean = ~punts["clock_jump"].to_numpy(bool) & same_half.to_numpy(bool) & np.isfinite(elapsed)
    median = float(np.nanmedian(np.where(clean, elapsed, np.nan)))
    seconds = np.clip(np.where(clean, elapsed, median), 0, 25).astype(np.int64)
    keep_idx = np.flatnonzero(keep)
    bucket = np.clip(yl[keep_idx] // 5, 0, N_PUNT - 1)
    order, start, count = _sorted_pool(bucket, N_PUNT)
    start, count = _fill_empty_nearest(start, count)
    sel = keep_idx[order]
    summary["punts"] = {
        "punts": int(keep.sum()), "return_td_rate": round(float(return_td[keep].mean()), 4),
        "muffed_rate": round(float(muffed[keep].mean()), 4),
        "touchback_rate": round(float(touchback[keep].mean()), 4),
        "mean_net_yards": round(float((100 - yl - spot)[received].mean()), 2),
    }
    return {
        "p_yardline": torch.from_numpy(yl[sel]), "p_spot": torch.from_numpy(spot[sel]),
        "p_touchback": torch.from_numpy(touchback[sel]), "p_muffed": torch.from_numpy(muffed[sel]),
        "p_return_td": torch.from_numpy(return_td[sel]), "p_seconds": torch.from_numpy(seconds[sel]),
        "p_start": start, "p_count": count,
    }


def _fill_empty_nearest(start: torch.Tensor, count: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    start, count = start.clone(), count.clone()
    seen = torch.nonzero(count > 0)[:, 0]
    if len(seen) == 0:
        raise DataError("no plays to fit a distribution from; ingest more seasons (`scrimmage data nfl`)")
    for i in torch.nonzero(count == 0)[:, 0].tolist():
        j = int(seen[(seen - i).abs().argmin()])
        start[i], count[i] = start[j], count[j]
    return start, count


def _fit_field_goals(p: pd.DataFrame, summary: dict[str, Any]) -> dict[str, torch.Tensor]:
    fg = p[(p["play_type"] == "field_goal") & p["yardline_100"].notna()]
    distance = (100 - fg["yardline_100"].to_numpy(np.int64) + 17).clip(0, 80)
    good = fg["desc"].str.contains(r"field goal is GOOD", case=False).to_numpy(np.float64)
    made = np.bincount(distance, good, minlength=81)
    tried = np.bincount(distance, minlength=81).astype(np.float64)
    x = np.arange(81)
    kernel = np.exp(-0.5 * ((x[:, None] - x[None, :]) / 2.0) ** 2)  # 2-yard bandwidth
    prior = 1.0  # one pseudo-kick at the overall rate
    rate = (kernel @ made + prior * good.mean()) / (kernel @ tried + prior)
    far = tried.cumsum() >= tried.sum() - 5  # beyond the last few kicks in the data: fade out
    rate = np.where(far & (x > 60), rate * np.exp(-(x - 60) / 4.0), rate)
    rate[:18] = rate[18]  # no kick is shorter than 18 yards (goal line + end zone + 7-yard snap)
    rate = np.minimum.accumulate(np.clip(rate, 0, 1))
    summary["field_goals"] = {
        "attempts": len(fg), "make_rate": round(float(good.mean()), 4),
        **{f"make_{d}": round(float(rate[d]), 3) for d in (30, 40, 45, 50, 55)},
    }
    return {"fg_make": torch.from_numpy(rate.astype(np.float32))}


def _fit_kickoffs(p: pd.DataFrame, snaps: pd.DataFrame, fit_ids: set[str], special_ids: set[str],
                  summary: dict[str, Any]) -> dict[str, torch.Tensor]:
    rows = (p["play_type"] == "kickoff") & p["game_id"].isin(fit_ids) & p["yardline_100"].notna()
    kicks = p[rows]
    nxt = _next_snap_rows(p, snaps, rows)
    same_half = (nxt["half"].astype(float) == _half(kicks["qtr"])).to_numpy(bool)
    return_td = kicks["touchdown"].to_numpy(bool)
    received = same_half & (nxt["posteam"] == kicks["defteam"]).to_numpy(bool) & ~return_td
    recovered = same_half & (nxt["posteam"] == kicks["posteam"]).to_numpy(bool) & ~return_td
    keep = return_td | received | recovered
    spot = np.where(received | recovered, nxt["yl"].astype(float).fillna(25).to_numpy(), 25).astype(np.int64)
    elapsed = (kicks["sec_remaining_game"] - nxt["sec_remaining_game"].astype(float)).to_numpy()
    clean = ~kicks["clock_jump"].to_numpy(bool) & same_half & np.isfinite(elapsed)
    median = float(np.nanmedian(np.where(clean, elapsed, np.nan)))
    seconds = np.clip(np.where(clean, elapsed, median), 0, 15).astype(np.int64)
    kick_spot = kicks["yardline_100"].to_numpy(np.int64)
    special = kicks["game_id"].isin(special_ids).to_numpy(bool)
    modal = int(pd.Series(kick_spot[special]).mode().iloc[0]) if special.any() else 35
    home_lead = (kicks["home_score_before"] - kicks["away_score_before"]).to_numpy()
    lead = np.where(kicks["posteam"] == kicks["home_team"], home_lead, -home_lead)
    clock = np.where(kicks["qtr"] <= 4, kicks["sec_remaining_game"] - (4 - kicks["qtr"]) * 900, kicks["sec_remaining_game"])
    onside_ctx = (lead < 0) & (kicks["qtr"].to_numpy() == 4) & (clock <= 300)
    normal = keep & special & (kick_spot == modal) & ~onside_ctx
    onside = keep & special & (kick_spot == modal) & onside_ctx
    if onside.sum() < 60:  # thin in one season: widen to every fit season kicking from the same spot
        onside = keep & (kick_spot == modal) & onside_ctx
    free = keep & (kick_spot <= 20)
    if free.sum() < 30:
        raise DataError("too few free kicks after a safety to fit them; widen the fit seasons")
    cells = np.full(len(kicks), -1)
    cells[normal], cells[onside], cells[free] = KICK_NORMAL, KICK_ONSIDE, KICK_FREE
    idx = np.flatnonzero(cells >= 0)
    order, start, count = _sorted_pool(cells[idx], 3)
    sel = idx[order]
    summary["kickoffs"] = {
        "kick_spot": modal, "kickoffs": int(normal.sum()),
        "touchback_rate": round(float(kicks["desc"].str.contains("Touchback", case=False).to_numpy()[normal].mean()), 4),
        "mean_start": round(float(spot[normal & received].mean()), 2),
        "return_td_rate": round(float(return_td[normal].mean()), 4),
        "onside_situation_kicks": int(onside.sum()),
        "onside_situation_recovered": round(float(recovered[onside].mean()), 4),
        "free_kicks": int(free.sum()),
    }
    return {
        "k_spot": torch.from_numpy(spot[sel]), "k_recovered": torch.from_numpy(recovered[sel]),
        "k_return_td": torch.from_numpy(return_td[sel]), "k_seconds": torch.from_numpy(seconds[sel]),
        "k_start": start, "k_count": count,
    }


def _fit_tries(p: pd.DataFrame, special_ids: set[str], summary: dict[str, Any]) -> dict[str, torch.Tensor]:
    """Extra-point and two-point success (latest seasons: the extra point moved back in 2015) and
    the two-point decision by the scorer's lead after the touchdown and fourth quarter or not
    (every fit season, smoothed toward the latest seasons' overall rates: end-game choices such as
    going for two down 2 are rare in one season but stable across them)."""
    tries = p[p["play_type"].isin(("extra_point", "two_point"))]
    special = tries["game_id"].isin(special_ids).to_numpy(bool)
    two = (tries["play_type"] == "two_point").to_numpy(bool)
    desc = tries["desc"]
    good = np.where(two, desc.str.contains("ATTEMPT SUCCEEDS", case=False),
                    desc.str.contains("extra point is GOOD", case=False))
    home_lead = (tries["home_score_before"] - tries["away_score_before"]).to_numpy()
    lead = np.where(tries["posteam"] == tries["home_team"], home_lead, -home_lead)
    is_late = tries["qtr"].to_numpy() >= 4
    cell = (np.clip(lead, -MAX_DIFF, MAX_DIFF) + MAX_DIFF) * 2 + is_late
    went = np.bincount(cell, two.astype(np.float64), minlength=TRY_DIFF * 2)
    n = np.bincount(cell, minlength=TRY_DIFF * 2).astype(np.float64)
    late = np.arange(TRY_DIFF * 2) % 2
    overall = np.array([two[special & (is_late == bool(i))].mean() if (special & (is_late == bool(i))).any() else 0.0
                        for i in (0, 1)])
    a = 2.0
    rate = (went + a * overall[late]) / (n + a)
    xp = special & ~two
    xp_rate = float(good[xp].mean()) if xp.any() else 0.94
    two_rate = float(good[special & two].mean()) if (special & two).any() else 0.48
    summary["tries"] = {"tries": int(special.sum()), "two_point_share": round(float(two[special].mean()), 4),
                        "extra_point_good": round(xp_rate, 4), "two_point_good": round(two_rate, 4),
                        "two_point_rate_down_2_late": round(float(rate[(-2 + MAX_DIFF) * 2 + 1]), 3)}
    return {"two_rate": torch.from_numpy(np.nan_to_num(rate).astype(np.float32)),
            "try_rates": torch.tensor([xp_rate, two_rate], dtype=torch.float32)}

