"""Football rules applied to a batch: a sampled play outcome + the state → the next state.

Hand-written because no library encodes American-football game flow over tensors. Every rule is
a masked tensor update over all games at once (no Python loop over games); finished games are
left as they are.

:class:`NFLRules` (what it models):

* downs and distance: a first down when the net yards reach the line to gain (or the sampler's
  automatic first down); a replayed down keeps the down; a fourth down short of the line turns
  the ball over on downs at the spot; goal to go when the line to gain is past the goal line;
* scoring: touchdown 6 then a try (the sampler picks the extra point or two-point try and its
  result); field goal 3; safety 2 to the defense, then a free kick by the side scored on from
  its 20; return touchdowns on turnovers, punts and kickoffs; the scoring side kicks off;
* missed field goal: the defense takes over at the spot of the kick (7 yards behind the line
  of scrimmage), or at its 20 when that is farther from its goal;
* possession: punts, kickoffs and turnovers give the ball where the sampler says
  (``new_yardline``); muffed punts and recovered onside kicks stay with the kicking side;
* clock: each play uses the sampler's seconds; the two-minute warning stops the clock at 2:00
  of the second and fourth quarters; tries are untimed (a touchdown as time expires still gets
  its try, except at the end of regulation when the try cannot change the result, as the NFL
  has done since 2018);
* periods: the first and third quarters end with the state carried over (possession, down,
  distance); the half ends any drive, and the side that received the opening kickoff kicks off
  the second half; regulation ends the game unless it is tied;
* overtime, by default the 2017-2021 regular season's (the era of the 2018-19 test seasons): one
  10-minute period after a coin toss and a kickoff; modified sudden death — a touchdown or
  safety ends it at once, a field goal on the first possession gives the other side one
  possession (a touchdown wins, a field goal ties and play goes on, anything else loses), after
  which the next score wins; the game is a tie when the period ends level.
  :meth:`NFLRules.for_season` gives each season's variant: 15 minutes before 2017, plain sudden
  death (any score wins) before 2012, and the playoffs' 15-minute periods until someone wins
  (the playoffs' second coin toss after two periods is not modelled).

:class:`NCAARules` (college; honest about what is partial):

* overtime (2021 rules): each period both sides get one possession from the opponent's 25 with
  no clock; the side that went first goes second in the next period; from the second overtime
  a touchdown must be followed by a two-point try; from the third, a two-point shootout (one
  try each per period); no ties;
* the clock stops after a first down until the chains are set: modelled by taking
  ``first_down_stop_seconds`` off the play's run-off (the pre-2023 rule: in every minute of
  the game); no two-minute warning;
* a missed field goal goes to the defense at the previous line of scrimmage (its 20 at worst).

Not modelled for college: kickoff touchbacks at the 25, the shorter extra point and other
kicking rules — those are the play sampler's distributions, and the empirical sampler is
fitted on NFL plays; a defensive score in overtime does not end the game (it counts as a
score and the possession ends); the 2023 clock change (first downs stop the clock only in the
last two minutes of a half).
"""

from __future__ import annotations

import torch

from scrimmage.football.simulate.sampler import PlayOutcome
from scrimmage.football.simulate.state import (
    DOWNS,
    END_OF_HALF,
    FIELD_GOAL,
    FIELD_GOAL_MADE,
    FREE_KICK,
    HOME,
    KICKOFF,
    MISSED_FG,
    PUNT,
    PUNTED,
    QUARTER_SECONDS,
    SAFETY,
    SNAP,
    TEAM_STATS,
    TOUCHDOWN,
    TRY,
    TURNOVER,
    TWO_POINT,
    GameState,
)

_NO_CLOCK = 10**9  # NCAA overtime: no game clock


class NFLRules:
    """The NFL rule set (see the module docstring)."""

    name = "nfl"
    kickoff_spot = 35
    free_kick_spot = 20
    try_spot = 98
    two_minute_warning = True

    def __init__(self, ot_seconds: int = 600, allow_ties: bool = True, modified_sudden_death: bool = True):
        self.ot_seconds = int(ot_seconds)
        self.allow_ties = bool(allow_ties)
        self.modified_sudden_death = bool(modified_sudden_death)

    def __repr__(self) -> str:
        return (f"{type(self).__name__}(ot_seconds={self.ot_seconds}, allow_ties={self.allow_ties}, "
                f"modified_sudden_death={self.modified_sudden_death})")

    @classmethod
    def for_season(cls, season: int, postseason: bool = False) -> NFLRules:
        """The overtime of that season's NFL: regular season 15 minutes before 2017 and 10 from
        2017, ties allowed, plain sudden death before 2012 (any score wins); playoffs 15-minute
        periods without ties, modified sudden death from the 2010 playoffs (the 2009 season's)."""
        if postseason:
            return cls(ot_seconds=QUARTER_SECONDS, allow_ties=False, modified_sudden_death=season >= 2010)
        return cls(ot_seconds=QUARTER_SECONDS if season < 2017 else 600, allow_ties=True,
                   modified_sudden_death=season >= 2012)

    def key(self) -> tuple[str, int, bool, bool]:
        return (self.name, self.ot_seconds, self.allow_ties, self.modified_sudden_death)

    # --------------------------------------------------------------------------- hooks

    def missed_field_goal_spot(self, yardline: torch.Tensor) -> torch.Tensor:
        """The defense's yard line (from its own goal) after a miss: the spot of the kick, 7 yards
        behind the line of scrimmage, or its 20."""
        return torch.clamp(107 - yardline, min=20, max=99)

    def adjust_seconds(self, state: GameState, seconds: torch.Tensor, first_down: torch.Tensor) -> torch.Tensor:
        return seconds

    # --------------------------------------------------------------------------- the step

    def apply(self, st: GameState, out: PlayOutcome, u: torch.Tensor) -> None:
        """Advance every unfinished game by the play in ``out``; ``u`` ``[B]`` uniforms for the
        rules' own chance events (the overtime coin toss)."""
        act = ~st.finished
        phase, off = st.phase, st.offense
        de = 1 - off
        yl, down, dist = st.yardline, st.down, st.distance
        call = out.call

        kick = act & ((phase == KICKOFF) | (phase == FREE_KICK))
        tried = act & (phase == TRY)
        snap = act & (phase == SNAP)
        punt = snap & (call == PUNT)
        fg = snap & (call == FIELD_GOAL)
        scrim = snap & ~punt & ~fg

        # run / pass / kneel / spike
        new_yl = yl + out.yards
        lost = scrim & out.turnover
        lost_td = lost & out.return_td
        alive = scrim & ~out.turnover
        td = alive & (new_yl >= 100)
        safety = alive & (new_yl <= 0)
        live = alive & ~td & ~safety
        first = live & ((out.yards >= dist) | out.first_down)
        next_down = torch.where(out.replay_down, down, down + 1)
        on_downs = live & ~first & (next_down > 4)
        cont = live & ~first & ~on_downs
        # punts, field goals, kicks, tries
        punt_kept = punt & out.turnover
        punt_td = punt & out.return_td & ~out.turnover
        punt_over = punt & ~out.turnover & ~out.return_td
        fg_good = fg & out.success
        fg_miss = fg & ~out.success
        kick_kept = kick & out.turnover
        kick_td = kick & out.return_td & ~out.turnover
        kick_over = kick & ~out.turnover & ~out.return_td
        try_points = torch.where(call == TWO_POINT, 2, 1) * (tried & out.success)

        # scores
        points_off = 6 * td + 3 * fg_good + try_points
        points_de = 6 * (lost_td | punt_td | kick_td) + 2 * safety
        home_has = off == HOME
        st.score[:, 0] += torch.where(home_has, points_off, points_de)
        st.score[:, 1] += torch.where(home_has, points_de, points_off)

        # who has the ball next, and what comes next
        flip = lost | on_downs | punt_td | punt_over | fg_miss | kick_td | kick_over
        new_off = torch.where(flip, de, off)
        new_phase = torch.full_like(phase, SNAP)
        new_phase = torch.where(td | lost_td | punt_td | kick_td, TRY, new_phase)
        new_phase = torch.where(fg_good | tried, KICKOFF, new_phase)
        new_phase = torch.where(safety, FREE_KICK, new_phase)
        new_phase = torch.where(act, new_phase, phase)

        spot = torch.where(first | cont, new_yl, yl)
        spot = torch.where(on_downs, 100 - new_yl, spot)
        spot = torch.where((lost & ~lost_td) | punt_over | punt_kept | kick_over | kick_kept, out.new_yardline, spot)
        spot = torch.where(fg_miss, self.missed_field_goal_spot(yl), spot)
        spot = torch.where(new_phase == TRY, self.try_spot, spot)
        spot = torch.where(new_phase == KICKOFF, self.kickoff_spot, spot)
        spot = torch.where(new_phase == FREE_KICK, self.free_kick_spot, spot)
        spot = torch.where(act, spot.clamp(1, 99), yl)
        new_series = act & (new_phase == SNAP) & ~cont
        new_down = torch.where(new_series, 1, torch.where(cont, next_down, down))
        new_dist = torch.where(new_series, torch.clamp(100 - spot, max=10),
                               torch.where(cont, torch.clamp(dist - out.yards, min=1), dist))
        new_drive = act & (new_phase == SNAP) & (flip | punt_kept | kick)

        # bookkeeping: drive outcomes and team stats
        self._count_drive(st, td, TOUCHDOWN)
        self._count_drive(st, fg_good, FIELD_GOAL_MADE)
        self._count_drive(st, fg_miss, MISSED_FG)
        self._count_drive(st, punt, PUNTED)
        self._count_drive(st, lost, TURNOVER)
        self._count_drive(st, on_downs, DOWNS)
        self._count_drive(st, safety, SAFETY)
        gained = out.gained if out.gained is not None else out.yards
        gained = torch.minimum(gained, 100 - yl)
        offensive = scrim & (call <= 1)
        self._add(st, "yards", off, torch.where(scrim, gained, 0))
        self._add(st, "plays", off, offensive)
        self._add(st, "first_downs", off, first)
        self._add(st, "turnovers", off, lost)
        self._add(st, "turnovers", de, punt_kept)
        self._add(st, "touchdowns", off, td)
        self._add(st, "touchdowns", de, lost_td | punt_td | kick_td)
        self._add(st, "field_goals", off, fg_good)
        self._add(st, "punts", off, punt)
        self._add(st, "drives", new_off, new_drive)

        # the clock
        seconds = self.adjust_seconds(st, torch.where(act & ~tried, out.seconds, 0), first)
        clock = st.clock - seconds
        if self.two_minute_warning:
            warned = ((st.quarter == 2) | (st.quarter == 4)) & (st.clock > 120) & (clock < 120)
            clock = torch.where(warned, 120, clock)

        st.offense, st.phase, st.yardline, st.down, st.distance, st.clock = new_off, new_phase, spot, new_down, new_dist, clock
        self._overtime_step(st, act, new_drive, fg_good, u)
        self._end_of_period(st, act & ~st.finished, new_drive, u)
        st.steps += 1

    # --------------------------------------------------------------------------- periods

    def _end_of_period(self, st: GameState, act: torch.Tensor, new_drive: torch.Tensor, u: torch.Tensor) -> None:
        out_of_time = act & (st.clock <= 0)
        # a try is untimed, except that a try which cannot change the result of regulation is skipped
        lead = st.score.gather(1, st.offense[:, None])[:, 0] - st.score.gather(1, (1 - st.offense)[:, None])[:, 0]
        pointless = (st.quarter == 4) & ((lead > 0) | (lead < -2))
        skip_try = out_of_time & (st.phase == TRY) & pointless
        st.phase = torch.where(skip_try, KICKOFF, st.phase)
        ended = out_of_time & (st.phase != TRY)
        if not bool(ended.any()):
            return
        q = st.quarter
        # a drive in progress ends with the half; one that began on the last play (a kickoff or
        # punt return, a turnover) never ran a snap and is no drive at all
        at_half = ended & (st.phase == SNAP) & (q != 1) & (q != 3)
        self._count_drive(st, at_half & ~new_drive, END_OF_HALF)
        self._add(st, "drives", st.offense, -(at_half & new_drive).long())

        next_quarter = ended & ((q == 1) | (q == 3))
        st.quarter = torch.where(next_quarter, q + 1, st.quarter)
        st.clock = torch.where(next_quarter, QUARTER_SECONDS, st.clock)

        half = ended & (q == 2)
        self._kick_off(st, half, st.opening_receiver)
        st.quarter = torch.where(half, 3, st.quarter)
        st.clock = torch.where(half, QUARTER_SECONDS, st.clock)

        level = st.score[:, 0] == st.score[:, 1]
        regulation = ended & (q == 4)
        st.finished |= regulation & ~level
        self._start_overtime(st, regulation & level, u)
        self._overtime_period_over(st, ended & (q >= 5), level)

    def _kick_off(self, st: GameState, mask: torch.Tensor, kicker: torch.Tensor) -> None:
        st.phase = torch.where(mask, KICKOFF, st.phase)
        st.offense = torch.where(mask, kicker, st.offense)
        st.yardline = torch.where(mask, self.kickoff_spot, st.yardline)
        st.down = torch.where(mask, 0, st.down)
        st.distance = torch.where(mask, 0, st.distance)

    # --------------------------------------------------------------------------- overtime (NFL)

    def _start_overtime(self, st: GameState, mask: torch.Tensor, u: torch.Tensor) -> None:
        st.overtime |= mask
        st.quarter = torch.where(mask, 5, st.quarter)
        st.clock = torch.where(mask, self.ot_seconds if self.allow_ties else QUARTER_SECONDS, st.clock)
        self._kick_off(st, mask, (u < 0.5).long())  # coin toss: the winner receives
        st.ot_possessions = torch.where(mask, 0, st.ot_possessions)
        st.ot_grace = st.ot_grace & ~mask

    def _overtime_period_over(self, st: GameState, mask: torch.Tensor, level: torch.Tensor) -> None:
        if self.allow_ties:
            st.finished |= mask
            return
        st.finished |= mask & ~level
        more = mask & level
        st.quarter = torch.where(more, st.quarter + 1, st.quarter)
        st.clock = torch.where(more, QUARTER_SECONDS, st.clock)

    def _overtime_step(self, st: GameState, act: torch.Tensor, new_drive: torch.Tensor, fg_good: torch.Tensor,
                       u: torch.Tensor) -> None:
        """Modified sudden death: see the module docstring."""
        in_ot = act & (st.quarter >= 5)
        if not bool(in_ot.any()):
            return
        started = in_ot & new_drive
        st.ot_possessions = st.ot_possessions + started.long()
        st.ot_first = torch.where(started & (st.ot_possessions == 1), st.offense, st.ot_first)
        if self.modified_sudden_death:
            st.ot_grace = st.ot_grace | (in_ot & fg_good & (st.ot_possessions == 1))
        differ = st.score[:, 0] != st.score[:, 1]
        trailing = (st.score[:, 0] > st.score[:, 1]).long()  # the side behind (when they differ)
        answer_pending = st.ot_grace & (st.ot_possessions <= 2) & (trailing == 1 - st.ot_first)
        st.finished |= in_ot & differ & ~answer_pending

    # --------------------------------------------------------------------------- helpers

    @staticmethod
    def _count_drive(st: GameState, mask: torch.Tensor, outcome: int) -> None:
        st.drive_outcomes[:, outcome] += mask.long()

    @staticmethod
    def _add(st: GameState, name: str, side: torch.Tensor, value: torch.Tensor) -> None:
        column = st.stats[:, :, TEAM_STATS.index(name)]
        value = value.long()
        column[:, 0] += torch.where(side == 0, value, 0)
        column[:, 1] += torch.where(side == 1, value, 0)


class NCAARules(NFLRules):
    """College rules where they differ from the NFL's (see the module docstring)."""

    name = "ncaa"
    two_minute_warning = False
    ot_spot = 75  # the opponent's 25
    shootout_from = 3  # overtime period where the two-point shootout starts
    two_point_from = 2  # overtime period from which a touchdown must be followed by a two-point try

    def __init__(self, first_down_stop_seconds: int = 12):
        super().__init__(ot_seconds=_NO_CLOCK, allow_ties=False)
        self.first_down_stop_seconds = int(first_down_stop_seconds)

    def __repr__(self) -> str:
        return f"NCAARules(first_down_stop_seconds={self.first_down_stop_seconds})"

    def missed_field_goal_spot(self, yardline: torch.Tensor) -> torch.Tensor:
        return torch.clamp(100 - yardline, min=20, max=99)

    def adjust_seconds(self, state: GameState, seconds: torch.Tensor, first_down: torch.Tensor) -> torch.Tensor:
        shorter = torch.clamp(seconds - self.first_down_stop_seconds, min=0)
        shorter = torch.maximum(shorter, torch.clamp(seconds, max=5))  # the play itself still runs
        seconds = torch.where(first_down, shorter, seconds)
        return torch.where(state.quarter >= 5, 0, seconds)  # no clock in overtime

    def _start_overtime(self, st: GameState, mask: torch.Tensor, u: torch.Tensor) -> None:
        st.overtime |= mask
        st.quarter = torch.where(mask, 5, st.quarter)
        st.clock = torch.where(mask, _NO_CLOCK, st.clock)
        first = (u < 0.5).long()
        st.ot_first = torch.where(mask, first, st.ot_first)
        st.ot_half = torch.where(mask, 0, st.ot_half)
        self._possession(st, mask, first)

    def _possession(self, st: GameState, mask: torch.Tensor, side: torch.Tensor) -> None:
        period = st.quarter - 4
        shootout = mask & (period >= self.shootout_from)
        st.offense = torch.where(mask, side, st.offense)
        st.phase = torch.where(mask, torch.where(shootout, TRY, SNAP), st.phase)
        st.yardline = torch.where(mask, torch.where(shootout, self.try_spot, self.ot_spot), st.yardline)
        st.down = torch.where(mask, 1, st.down)
        st.distance = torch.where(mask, 10, st.distance)
        st.two_point_only = torch.where(mask, period >= self.two_point_from, st.two_point_only)
        self._add(st, "drives", side, mask & ~shootout)

    def _overtime_period_over(self, st: GameState, mask: torch.Tensor, level: torch.Tensor) -> None:
        return  # no clock in college overtime

    def _overtime_step(self, st: GameState, act: torch.Tensor, new_drive: torch.Tensor, fg_good: torch.Tensor,
                       u: torch.Tensor) -> None:
        """Each side's possession ends at a score (after its try), a turnover, downs or a missed
        kick; after both, the period is decided or the next one starts."""
        in_ot = act & (st.quarter >= 5)
        if not bool(in_ot.any()):
            return
        over = in_ot & ((st.phase == KICKOFF) | (st.phase == FREE_KICK) | new_drive)
        # a possession change counted a drive for the side that would take over; the next
        # possession starts from the 25 instead, counted in _possession
        self._add(st, "drives", st.offense, -(over & new_drive).long())
        first_half = over & (st.ot_half == 0)
        self._possession(st, first_half, 1 - st.ot_first)
        st.ot_half = torch.where(first_half, 1, st.ot_half)

        second_half = over & ~first_half
        differ = st.score[:, 0] != st.score[:, 1]
        st.finished |= second_half & differ
        more = second_half & ~differ
        st.quarter = torch.where(more, st.quarter + 1, st.quarter)
        st.ot_first = torch.where(more, 1 - st.ot_first, st.ot_first)
        st.ot_half = torch.where(more, 0, st.ot_half)
        self._possession(st, more, st.ot_first)


RULES: dict[str, type[NFLRules]] = {"nfl": NFLRules, "ncaa": NCAARules}


def rules_by_name(name: str) -> NFLRules:
    """``"nfl"`` or ``"ncaa"`` → a rule set with its defaults."""
    from scrimmage.errors import ArgumentError

    if name not in RULES:
        raise ArgumentError(f"unknown rule set '{name}'; choose one of {', '.join(RULES)}")
    return RULES[name]()
