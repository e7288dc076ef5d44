"""The empirical play sampler: real plays of the training seasons, resampled by situation.

It implements :class:`~.sampler.PlaySampler` with distributions read straight off the ingested
plays table (REG and POST games of ``fit_seasons``, 2009-2016 by default). Every distribution is
the empirical one of a situation cell, smoothed toward a coarser cell, so its tails (the long
touchdown, the sack, the pick six) are the real ones. That is what gives realistic margin and
total spreads: hobby simulators that draw yards from a normal curve get a margin SD near 9
where real games have 14.6.

Distributions (all sampled with the generator the engine passes, see :mod:`.sampler`):

* **play call** (run, pass, punt, field goal, kneel, spike, the ``nfl-playcall`` classes): class
  frequencies per situation cell — down × distance bucket × field zone × score-difference
  bucket × time bucket (quarter; the last 2:00, 0:30 and 0:10 of each half; the last 5:00 of
  the fourth quarter; overtime) — smoothed Dirichlet-style (``(n_c + a p_parent) / (N + a)``,
  ``a = call_smoothing``) through the chain (…, behind/level/ahead, time) → (down, distance,
  zone, time) → (down, distance, zone) → (down, zone) → all snaps, so a thin late-game cell
  leans on its parent instead of on noise.
* **run / pass / kneel / spike outcome**: a real snap drawn from the cell (game context, call,
  yards-to-goal zone, down-and-distance bucket); with probability ``a / (n + a)`` (``a =
  yards_smoothing``) from the coarser (context, call, zone) cell instead — a categorical over the
  observed outcomes, i.e. over yard values, losses included. The contexts are normal, late in a
  half with the offense not ahead (hurry-up against a soft defense, desperate throws) and the
  last 5:00 with the offense ahead. The snap brings its *net* yards (the next snap's spot minus
  this one's, so penalties on the play count), an automatic first down or a replayed down when a
  penalty gave one, its turnover (interception or fumble lost, with the defense's new spot
  relative to the line of scrimmage, or a return touchdown) and its box-score yards. A real
  touchdown's gain is censored at the goal line, so it scores from wherever in its cell it is
  drawn (cells are a few yards wide near the goal line; this leans slightly high on touchdowns
  per snap, by about a tenth). Pre-snap fouls (no call recorded) fold into the previous snap's
  transition.
* **clock**: the seconds from a snap to the next snap (game clock) drawn from real snaps of the
  same (call, clock stopped or not, clock context) cell — the clock stops on incompletions, out
  of bounds, penalties and changes of possession; the contexts are normal, the first half's
  2:00-0:31 and its last 0:30, the last 5:00 of the game with the offense ahead (the
  clock-killing offense) or not ahead (the hurry-up, split at 0:30), and overtime. Timeouts are
  not counted: their effect is in these late-half distributions, plus one explicit rule — in the
  last 0:30 of a half an offense that is not ahead and within field-goal range keeps 3 seconds
  for the kick (the timeout real teams save for it). Games with flagged clock jumps are left out.
* **punts**: the receiving side's next spot by 5-yard punt-spot bucket (shifted by the
  difference between the simulated and the real spot, except touchbacks), return touchdowns,
  muffs recovered by the kicking side, and the seconds used.
* **field goals**: make probability by kick distance (yards to goal + 17), kernel-smoothed over
  neighbouring distances and made non-increasing with distance.
* **kickoffs** (from the modal kick spot), onside-kick situations (kicking side behind in the
  last 5:00), free kicks after a safety: the receiving side's spot, return touchdowns, kicks the
  kicking side recovers, seconds. **Tries**: extra-point and two-point success rates, and the
  two-point decision by the scorer's lead after the touchdown and fourth quarter or not (all fit
  seasons, smoothed toward the latest seasons' overall rates). Kicking rules changed inside the
  data (kickoffs from the 35 in 2011, extra points from the 15 in 2015, touchbacks to the 25 in
  2016), so kickoffs and the try success rates are fitted on the latest
  ``special_teams_seasons`` of the fit range.

**Team strength and home field** (``team_strength``, ``home_field``, ``strength_uncertainty``):

* A team's *form* is its net yards per run/pass snap (gained for the offense form, allowed for
  the defense form) above the league level, exponentially weighted over its earlier REG/POST
  games only (half-life ``form_halflife_games``, ``form_prior_games`` pseudo-games of an average
  team, ``form_season_regression`` of it dropped between seasons). A game's ``x_home`` /
  ``x_away`` is an offense's form plus the opposing defense's form.
* It enters the draw as a *tilt* ``delta`` per offense (yards per snap): two snaps are drawn from
  the cell and the second kept with probability ``sigmoid(theta * (y2 - y1))``, ``theta = kappa *
  delta`` with ``kappa = 2 / var`` (the mean within-cell variance of net yards), which moves the
  cell mean by about ``delta`` and leaves its tails, turnovers and clock the data's.
* Scale, fitted on the fit seasons: real margins and totals regressed on ``x_home - x_away`` and
  ``x_home + x_away`` give points per unit of form (``beta_margin``, ``beta_total``) and the home
  edge in points; a short calibration simulation (common random numbers, fixed seed) measures the
  simulator's points per unit of tilt (``gamma``); tilts are form × ``beta / gamma`` and the home
  offense gets ``home_points / (2 gamma)`` (the away offense minus that). So the simulated mean
  margin answers form as real margins did, and noisy forms are shrunk by the regression.
* Strength of the day: real margins vary around the form's prediction more than the simulator's
  own game-to-game randomness does (form misses injuries, weather, matchups). ``prepare`` draws
  each simulated game a latent tilt with the variance left over (regression residual variance
  minus the simulator's, converted by ``gamma``) — the predictive distribution given the form,
  not given perfectly known teams. Mean margins are unchanged; spreads and win probabilities
  become honest about it.

Hand-written because the task is the data's own distributions over tensors; no library fits
them. Fitting is vectorised pandas/numpy plus the calibration (a few seconds) and cached in the
workdir by :func:`load_or_fit`, keyed by the data manifest and the options.
"""

from __future__ import annotations

import hashlib
import json
import math
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import torch

from scrimmage.errors import DataError
from scrimmage.football.simulate.sampler import PlayOutcome
from scrimmage.football.simulate.state import (
    EXTRA_POINT,
    FIELD_GOAL,
    FREE_KICK,
    KICKOFF,
    KICKOFF_CALL,
    PUNT,
    SNAP,
    SNAP_CALLS,
    TRY,
    TWO_POINT,
    GameState,
)

#: Bump when the fit changes so cached samplers are refitted.
SAMPLER_VERSION = 1

# situation cells of the play call
DIST_EDGES = (2, 3, 4, 7, 11)  # yards to go: 1, 2, 3, 4-6, 7-10, 11+
CALL_ZONE_EDGES = (3, 6, 11, 21, 31, 36, 41, 51, 61, 81)  # yards to goal: 1-2, 3-5, ... 81-99
SCORE_EDGES = (-16, -8, -3, 0, 1, 4, 9, 17)  # offense lead buckets; 0-3 behind, 4 level, 5-8 ahead
N_TIME = 12
CALL_SHAPE = (4, len(DIST_EDGES) + 1, len(CALL_ZONE_EDGES) + 1, len(SCORE_EDGES) + 1, N_TIME)
LEAD_OF_SCORE_BUCKET = (0, 0, 0, 0, 1, 2, 2, 2, 2)  # behind / level / ahead
# outcome cells of a snap
YARD_CALLS = 4  # run, pass, kneel, spike
N_YCTX = 3  # game contexts of an outcome (see yards_context)
YARDS_ZONE_EDGES = (3, 5, 8, 11, 16, 21, 31, 41, 51, 61, 71, 81, 91)
N_YZONE = len(YARDS_ZONE_EDGES) + 1
N_DD = 11  # down-and-distance buckets (see _down_distance)
N_CTX = 7  # clock contexts (see clock_context)
N_PUNT = 20  # 5-yard punt-spot buckets
KICK_NORMAL, KICK_ONSIDE, KICK_FREE = 0, 1, 2
MAX_DIFF = 21  # two-point decision table: lead after the touchdown, clipped
FG_SECONDS = 5
TD_YARDS = 100  # net yards of a touchdown snap in the pool: a touchdown from any spot
TRY_DIFF = 2 * MAX_DIFF + 1



@dataclass(frozen=True)
class EmpiricalConfig:
    """Options of the empirical sampler's fit (part of its cache key)."""

    fit_seasons: tuple[int, int] = (2009, 2016)
    special_teams_seasons: int = 1
    season_types: tuple[str, ...] = ("REG", "POST")
    call_smoothing: float = 5.0
    yards_smoothing: float = 20.0
    team_strength: bool = True
    home_field: bool = True
    strength_uncertainty: bool = True
    form_halflife_games: float = 8.0
    form_prior_games: float = 4.0
    form_season_regression: float = 1 / 3

    def key(self) -> dict[str, Any]:
        return {k: list(v) if isinstance(v, tuple) else v for k, v in asdict(self).items()}


# --------------------------------------------------------------------------- cells (shared by fit and sample)

def _bucket(x: torch.Tensor, edges: tuple[int, ...]) -> torch.Tensor:
    """Index of the bucket ``edges[i-1] <= x < edges[i]`` (as ``np.digitize``)."""
    return torch.bucketize(x, torch.tensor(edges, dtype=x.dtype, device=x.device), right=True)


def time_bucket(quarter: torch.Tensor, clock: torch.Tensor) -> torch.Tensor:
    """Q1; Q2 before 2:00, 2:00-0:31, 0:30-0:11, last 0:10; Q3; Q4 before 5:00, 5:00-2:01, 2:00-0:31,
    0:30-0:11, last 0:10; overtime."""
    end = (clock <= 30).long() + (clock <= 10).long()
    q2 = 1 + (clock <= 120).long() + end
    q4 = 6 + (clock <= 300).long() + (clock <= 120).long() + end
    out = torch.where(quarter == 1, 0, torch.where(quarter == 2, q2, torch.where(quarter == 3, 5, q4)))
    return torch.where(quarter >= 5, N_TIME - 1, out)


def clock_context(quarter: torch.Tensor, clock: torch.Tensor, lead: torch.Tensor) -> torch.Tensor:
    """0 normal; 1 / 5 the first half's 2:00-0:31 / last 0:30; 2 the last 5:00 of the game with the
    offense ahead; 3 / 6 not ahead, before / in the last 0:30; 4 overtime."""
    late2 = (quarter == 2) & (clock <= 120)
    late4 = (quarter == 4) & (clock <= 300)
    last = clock <= 30
    behind = torch.where(last, 6, 3)
    out = torch.where(late4, torch.where(lead > 0, 2, behind), torch.where(late2, torch.where(last, 5, 1), 0))
    return torch.where(quarter >= 5, 4, out)


def call_cell(down: torch.Tensor, distance: torch.Tensor, to_goal: torch.Tensor, lead: torch.Tensor,
              quarter: torch.Tensor, clock: torch.Tensor) -> torch.Tensor:
    d = (down - 1).clamp(0, 3)
    cell = d * CALL_SHAPE[1] + _bucket(distance, DIST_EDGES)
    cell = cell * CALL_SHAPE[2] + _bucket(to_goal, CALL_ZONE_EDGES)
    cell = cell * CALL_SHAPE[3] + _bucket(lead, SCORE_EDGES)
    return cell * CALL_SHAPE[4] + time_bucket(quarter, clock)


def _down_distance(down: torch.Tensor, distance: torch.Tensor) -> torch.Tensor:
    """1st & 10+, 1st & <10; 2nd & 1-3, 4-7, 8+; 3rd & 1-2, 3-5, 6-9, 10+; 4th & 1-2, 3+."""
    first = torch.where(distance >= 10, 0, 1)
    second = 2 + (distance > 3).long() + (distance > 7).long()
    third = 5 + (distance > 2).long() + (distance > 5).long() + (distance > 9).long()
    fourth = 9 + (distance > 2).long()
    return torch.where(down <= 1, first, torch.where(down == 2, second, torch.where(down == 3, third, fourth)))


def yards_context(quarter: torch.Tensor, clock: torch.Tensor, lead: torch.Tensor) -> torch.Tensor:
    """0 normal; 1 late in a half (Q2's last 2:00, Q4's last 5:00) with the offense not ahead (the
    hurry-up against a soft defense, desperate throws); 2 Q4's last 5:00 with the offense ahead
    (running out the clock against a stacked box)."""
    late = ((quarter == 2) & (clock <= 120)) | ((quarter == 4) & (clock <= 300))
    return torch.where(late & (lead <= 0), 1, torch.where((quarter == 4) & (clock <= 300) & (lead > 0), 2, 0))


def yards_cell(yard_call: torch.Tensor, to_goal: torch.Tensor, down: torch.Tensor, distance: torch.Tensor,
               context: torch.Tensor) -> torch.Tensor:
    """Fine outcome cell; ``cell // N_DD`` is its parent (context, call, zone). Kneels and spikes
    have one cell each."""
    scrimmage = yard_call <= 1
    zone = torch.where(scrimmage, _bucket(to_goal, YARDS_ZONE_EDGES), 0)
    dd = torch.where(scrimmage, _down_distance(down, distance), 0)
    ctx = torch.where(scrimmage, context, 0)
    return ((ctx * YARD_CALLS + yard_call) * N_YZONE + zone) * N_DD + dd


# --------------------------------------------------------------------------- the sampler

def _take(table: torch.Tensor, index: torch.Tensor) -> torch.Tensor:
    """``table[index]`` along the first dimension (``index_select`` is several times faster on CPU
    than advanced indexing, which matters at ~40 gathers a step)."""
    return torch.index_select(table, 0, index)


def _pick(start: torch.Tensor, count: torch.Tensor, cell: torch.Tensor, u: torch.Tensor) -> torch.Tensor:
    """A uniformly drawn row of each ``cell``'s range ``[start, start + count)`` of a sorted pool."""
    n = _take(count, cell)
    return _take(start, cell) + torch.minimum((u * n).long(), n - 1)


class EmpiricalSampler:
    """Play sampler fitted from the plays of the training seasons (see the module docstring)."""

    def __init__(self, tables: dict[str, torch.Tensor], meta: dict[str, Any]):
        self.tables = tables
        self.meta = meta
        self.teams: tuple[str, ...] = tuple(meta["teams"])
        self._on: dict[str, dict[str, torch.Tensor]] = {}

    # ------------------------------------------------------------------ persistence

    def save(self, path: Path) -> None:
        from scrimmage.io import atomic_path

        with atomic_path(path) as tmp:
            torch.save({"tables": self.tables, "meta": self.meta}, tmp)

    @classmethod
    def load(cls, path: Path) -> EmpiricalSampler:
        blob = torch.load(path, map_location="cpu", weights_only=True)
        return cls(blob["tables"], blob["meta"])

    def describe(self) -> dict[str, Any]:
        """The fitted rates worth printing (what the sampler believes about the game)."""
        return dict(self.meta["summary"])

    # ------------------------------------------------------------------ team strength

    def team_index(self, code: str) -> int:
        return self.teams.index(code)

    def matchup_context(self, home: list[str], away: list[str], season: int | None = None, week: int | None = None,
                        game_ids: list[str] | None = None) -> dict[str, torch.Tensor]:
        """``{"offense_shift": [M, 2]}``: the tilt (net yards per snap) of the home and the away
        offense. With ``game_ids``: each team's form before that game. Else the form entering REG
        ``week`` of ``season`` (its earlier games only), or with no week the form after the
        team's last game of ``season``; a team without such games gets the league average."""
        m = len(home)
        x = torch.zeros(m, 2)  # pregame expected yards per snap above the league: home, away offense
        if game_ids is not None:
            index = {g: i for i, g in enumerate(self.meta["form_game_ids"])}
            pre = self.tables["game_form"]
            for i, gid in enumerate(game_ids):
                if gid in index:
                    h_off, h_def, a_off, a_def = pre[index[gid]].tolist()
                    x[i] = torch.tensor([h_off + a_def, a_off + h_def])
        else:
            for i in range(m):
                (h_off, h_def), (a_off, a_def) = self._form_as_of(home[i], season, week), self._form_as_of(away[i], season, week)
                x[i] = torch.tensor([h_off + a_def, a_off + h_def])
        return {"offense_shift": self.offense_shift(x)}

    def offense_shift(self, x: torch.Tensor) -> torch.Tensor:
        """Pregame forms ``x`` ``[M, 2]`` → tilts ``[M, 2]`` (see the module docstring)."""
        strength = self.meta["strength"]
        cfg = self.meta["config"]
        diff = (x[:, 0] - x[:, 1]) * (strength["k_margin"] if cfg["team_strength"] else 0.0)
        both = (x[:, 0] + x[:, 1]) * (strength["k_total"] if cfg["team_strength"] else 0.0)
        home = strength["home_shift"] if cfg["home_field"] else 0.0
        return torch.stack([(both + diff) / 2 + home, (both - diff) / 2 - home], 1).float()

    def _form_as_of(self, team: str, season: int | None, week: int | None) -> tuple[float, float]:
        rows = self.tables["team_form"]  # [N, 6]: team, order, pre_off, pre_def, post_off, post_def
        if team not in self.teams or season is None:
            return 0.0, 0.0
        t = self.teams.index(team)
        mine = rows[rows[:, 0] == t]
        if week is None:
            past = mine[mine[:, 1] < (season + 1) * 100]
            if len(past) == 0:
                return 0.0, 0.0
            last = past[past[:, 1].argmax()]
            return float(last[4]), float(last[5])
        order = season * 100 + week
        later = mine[mine[:, 1] >= order]
        if len(later):
            first = later[later[:, 1].argmin()]
            return float(first[2]), float(first[3])
        past = mine[mine[:, 1] < order]
        if len(past) == 0:
            return 0.0, 0.0
        last = past[past[:, 1].argmax()]
        return float(last[4]), float(last[5])

    # ------------------------------------------------------------------ sampling

    def prepare(self, state: GameState, generator: torch.Generator) -> None:
        """Draw each game's latent strength (once, before the first play): the part of real
        teams' strength on the day that their form does not tell (see the module docstring)."""
        strength = self.meta["strength"]
        z = torch.randn(state.batch_size, 2, generator=generator, device=state.device)
        sd_diff, sd_sum = strength.get("latent_margin_sd", 0.0), strength.get("latent_total_sd", 0.0)
        if sd_diff == 0 and sd_sum == 0:
            return
        diff, both = sd_diff * z[:, 0], sd_sum * z[:, 1]
        shift = state.context.get("offense_shift")
        base = shift if shift is not None else torch.zeros(state.batch_size, 2, device=state.device)
        state.context["offense_shift"] = base + torch.stack([(both + diff) / 2, (both - diff) / 2], 1)

    def _tables_on(self, device: torch.device) -> dict[str, torch.Tensor]:
        key = str(device)
        if key not in self._on:
            self._on[key] = {k: v.to(device) for k, v in self.tables.items()}
        return self._on[key]

    def sample(self, state: GameState, generator: torch.Generator, call: torch.Tensor | None = None) -> PlayOutcome:
        """One outcome per game; ``call`` ``[B]`` (indices of :data:`SNAP_CALLS`) imposes the snap calls
        instead of drawing them (another model's calls, e.g. the hierarchical play head's)."""
        t = self._tables_on(state.device)
        b = state.batch_size
        u = torch.rand(b, 12, generator=generator, device=state.device)
        off, phase = state.offense, state.phase
        yl = state.yardline.clamp(1, 99)
        to_goal = 100 - yl
        down, dist = state.down.clamp(1, 4), state.distance.clamp(min=1)
        lead = state.score.gather(1, off[:, None])[:, 0] - state.score.gather(1, (1 - off)[:, None])[:, 0]
        quarter, clock = state.quarter, state.clock

        # the call
        cdf = _take(t["call_cdf"], call_cell(down, dist, to_goal, lead, quarter, clock))
        drawn = (u[:, :1] > cdf).sum(1).clamp(max=len(SNAP_CALLS) - 1)
        call = drawn if call is None else call

        # run / pass / kneel / spike: a real snap from the cell (tilted toward the team's strength)
        yard_call = torch.where(call <= 1, call, torch.where(call >= 4, call - 2, 0))
        fine = yards_cell(yard_call, to_goal, down, dist, yards_context(quarter, clock, lead))
        parent = torch.div(fine, N_DD, rounding_mode="floor")
        n_fine = _take(t["y_count"], fine)
        back = u[:, 1] * (n_fine + self.meta["yards_smoothing"]) < self.meta["yards_smoothing"]
        start = torch.where(back, _take(t["yp_start"], parent), _take(t["y_start"], fine))
        count = torch.where(back, _take(t["yp_count"], parent), _take(t["y_count"], fine))
        first_pick = start + torch.minimum((u[:, 2] * count).long(), count - 1)
        second_pick = start + torch.minimum((u[:, 3] * count).long(), count - 1)
        shift = state.context.get("offense_shift")
        if shift is not None:
            theta = self.meta["kappa"] * shift.gather(1, off[:, None])[:, 0] * (yard_call <= 1)
            y1 = _take(t["pool_yards"], first_pick).clamp(max=to_goal)
            y2 = _take(t["pool_yards"], second_pick).clamp(max=to_goal)
            keep_second = u[:, 4] < torch.sigmoid(theta * (y2 - y1).float())
            pick = torch.where(keep_second, second_pick, first_pick)
        else:
            pick = first_pick
        yards = _take(t["pool_yards"], pick)
        gained = _take(t["pool_gained"], pick)
        lost = _take(t["pool_turnover"], pick)
        lost_td = _take(t["pool_return_td"], pick)
        auto_first = _take(t["pool_first"], pick)
        replay = _take(t["pool_replay"], pick)
        lost_spot = (to_goal + _take(t["pool_to_delta"], pick)).clamp(1, 99)

        # the clock of a snap
        reached = yl + yards
        failed_fourth = (down == 4) & ~replay & ~auto_first & (yards < dist)
        stopped = _take(t["pool_stop"], pick) | lost | (reached >= 100) | (reached <= 0) | failed_fourth
        s_cell = (yard_call * 2 + stopped.long()) * N_CTX + clock_context(quarter, clock, lead)
        snap_seconds = _take(t["s_values"], _pick(t["s_start"], t["s_count"], s_cell, u[:, 5]))
        # timeouts are not counted: in the last 0:30 of a half an offense that is not ahead and in
        # field-goal range keeps the last seconds for the kick (a timeout), as real teams do
        setting_up_kick = ((quarter == 2) | (quarter == 4)) & (clock <= 30) & (lead <= 0) & (to_goal <= 40)
        snap_seconds = torch.where(setting_up_kick & (reached < 100), torch.minimum(snap_seconds, (clock - 3).clamp(min=1)),
                                   snap_seconds)

        # punts
        bucket = torch.div(yl, 5, rounding_mode="floor").clamp(0, N_PUNT - 1)
        p_pick = _pick(t["p_start"], t["p_count"], bucket, u[:, 6])
        moved = yl - _take(t["p_yardline"], p_pick)
        muffed = _take(t["p_muffed"], p_pick)
        real_spot = _take(t["p_spot"], p_pick)
        punt_spot = torch.where(_take(t["p_touchback"], p_pick), real_spot, real_spot - moved)
        punt_spot = torch.where(muffed, real_spot + moved, punt_spot).clamp(1, 99)

        # field goals
        fg_good = u[:, 7] < t["fg_make"][(to_goal + 17).clamp(max=t["fg_make"].shape[0] - 1)]

        # kickoffs and free kicks
        onside = (lead < 0) & (quarter == 4) & (clock <= 300)
        k_cell = torch.where(phase == FREE_KICK, KICK_FREE, torch.where(onside, KICK_ONSIDE, KICK_NORMAL))
        k_pick = _pick(t["k_start"], t["k_count"], k_cell, u[:, 8])

        # tries
        late = (quarter >= 4).long()
        two_rate = _take(t["two_rate"], (lead.clamp(-MAX_DIFF, MAX_DIFF) + MAX_DIFF) * 2 + late)
        go_two = state.two_point_only | (u[:, 9] < two_rate)
        try_good = u[:, 10] < torch.where(go_two, t["try_rates"][1], t["try_rates"][0])

        # one outcome per game for the phase it is in
        is_snap, is_kick, is_try = phase == SNAP, (phase == KICKOFF) | (phase == FREE_KICK), phase == TRY
        is_punt = is_snap & (call == PUNT)
        is_fg = is_snap & (call == FIELD_GOAL)
        try_call = torch.where(go_two, TWO_POINT, EXTRA_POINT)
        return PlayOutcome(
            call=torch.where(is_snap, call, torch.where(is_try, try_call, KICKOFF_CALL)),
            yards=yards,
            gained=gained,
            turnover=torch.where(is_punt, muffed, torch.where(is_kick, _take(t["k_recovered"], k_pick), lost & is_snap)),
            return_td=torch.where(is_punt, _take(t["p_return_td"], p_pick),
                                  torch.where(is_kick, _take(t["k_return_td"], k_pick), lost_td & is_snap)),
            first_down=auto_first,
            replay_down=replay,
            success=torch.where(is_try, try_good, fg_good),
            new_yardline=torch.where(is_punt, punt_spot, torch.where(is_kick, _take(t["k_spot"], k_pick), lost_spot)),
            seconds=torch.where(is_punt, _take(t["p_seconds"], p_pick), torch.where(
                is_fg, FG_SECONDS, torch.where(is_snap, snap_seconds, torch.where(is_kick, _take(t["k_seconds"], k_pick), 0)))),
        )


# --------------------------------------------------------------------------- fitting

def fit_empirical(plays: pd.DataFrame, games: pd.DataFrame, config: EmpiricalConfig = EmpiricalConfig()) -> EmpiricalSampler:
    """Fit every distribution of the sampler (see the module docstring) from the ingested tables."""
    from scrimmage.football.configs import PlaycallDataConfig
    from scrimmage.football.playcall import play_labels
    from scrimmage.football.teams import CANONICAL_TEAMS

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
    form_tables, form_ids, strength = _fit_team_strength(snaps, kept_games, teams, fit_ids, config)
    tables.update(form_tables)
    summary["team_strength"] = strength
    meta = {
        "version": SAMPLER_VERSION, "config": config.key(), "teams": teams, "kappa": kappa,
        "yards_smoothing": float(config.yards_smoothing), "strength": strength, "form_game_ids": form_ids,
        "summary": summary,
    }
    sampler = EmpiricalSampler(tables, meta)
    _calibrate_strength(sampler)
    return sampler


def _calibrate_strength(sampler: EmpiricalSampler, games: int = 1000, size: float = 0.5) -> None:
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


def _fit_team_strength(snaps: pd.DataFrame, games: pd.DataFrame, teams: list[str], fit_ids: set[str],
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


# --------------------------------------------------------------------------- the cache

def _manifest_digest(workdir: Path) -> str:
    from scrimmage.football.ingest import nfl_dir

    path = nfl_dir(workdir) / "manifest.json"
    if not path.is_file():
        raise DataError(f"NFL tables not found in {nfl_dir(workdir)}; run `scrimmage data nfl` first")
    return hashlib.sha256(path.read_bytes()).hexdigest()


def cache_path(workdir: Path, config: EmpiricalConfig = EmpiricalConfig()) -> Path:
    key = json.dumps({"manifest": _manifest_digest(workdir), "config": config.key(), "version": SAMPLER_VERSION},
                     sort_keys=True)
    return Path(workdir) / "simulate" / f"empirical-{hashlib.sha256(key.encode()).hexdigest()[:16]}.pt"


def load_or_fit(workdir: Path, config: EmpiricalConfig = EmpiricalConfig()) -> tuple[EmpiricalSampler, bool]:
    """The sampler for the workdir's NFL tables: from the cache when the data and options match,
    else fitted and cached. Returns ``(sampler, cached)``. Missing tables are a :class:`DataError`
    that says to run ``scrimmage data nfl``."""
    from scrimmage.football.ingest import load_nfl_table

    path = cache_path(workdir, config)
    if path.is_file():
        try:
            sampler = EmpiricalSampler.load(path)
            if sampler.meta.get("version") == SAMPLER_VERSION:
                return sampler, True
        except Exception:  # a damaged cache is refitted, never trusted
            pass
    games = load_nfl_table(workdir, "games")
    plays = load_nfl_table(workdir, "plays")
    sampler = fit_empirical(plays, games, config)
    sampler.save(path)
    return sampler, False

