"""The empirical sampler's situation cells and :class:`EmpiricalSampler`, which draws one play outcome per
game from the fitted tables (how they are fitted: :mod:`.fitting`, :mod:`.strength`; the whole design:
:mod:`scrimmage.football.simulate.empirical`)."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import torch

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

        # the call (its uniform u[:, 0] is drawn either way, so an imposed call leaves every other draw as it was)
        if call is None:
            cdf = _take(t["call_cdf"], call_cell(down, dist, to_goal, lead, quarter, clock))
            call = (u[:, :1] > cdf).sum(1).clamp(max=len(SNAP_CALLS) - 1)

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

