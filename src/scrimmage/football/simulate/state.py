"""The batched game state: one row per simulated game, every field a tensor of shape ``[B]``.

Conventions (every module of the simulator uses them):

* teams are sides ``HOME = 0`` and ``AWAY = 1``; ``score`` and the team stats are ``[B, 2]``
  indexed by side; ``teams[b]`` holds the two sides' indices into the sampler's vocabulary;
* ``offense`` is the side that has the ball on a snap, that kicks on a kickoff or free kick,
  and that tries on a try (the scoring side);
* ``yardline`` is yards from the offense's *own* goal line (1-99; 100 is the opponent's goal
  line), the convention of the ingested plays table's ``yardline_100``;
* ``quarter`` 1-4 is regulation, 5 and up are overtime periods; ``clock`` is the seconds left in
  the period;
* ``phase`` says what the next play is: :data:`KICKOFF`, :data:`SNAP` (a down-and-distance
  play), :data:`TRY` (extra point or two-point try after a touchdown) or :data:`FREE_KICK`
  (the kick after a safety).

Timeouts are not modelled as a count: their effect (a shorter clock between plays late in a
half) lives in the play sampler's clock distributions for those situations.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import Any

import torch

HOME, AWAY = 0, 1
SIDES = ("home", "away")

KICKOFF, SNAP, TRY, FREE_KICK = 0, 1, 2, 3
PHASES = ("kickoff", "snap", "try", "free_kick")

#: Play calls: the six classes of the ``nfl-playcall`` recipe (default options), then the kicks.
CALLS = ("run", "pass", "punt", "field_goal", "kneel", "spike", "kickoff", "extra_point", "two_point")
RUN, PASS, PUNT, FIELD_GOAL, KNEEL, SPIKE, KICKOFF_CALL, EXTRA_POINT, TWO_POINT = range(len(CALLS))
SNAP_CALLS = CALLS[:6]

#: How a drive ended (``end_of_half`` counts the end of a half, of regulation and of the game).
DRIVE_OUTCOMES = ("touchdown", "field_goal", "missed_fg", "punt", "turnover", "downs", "safety", "end_of_half")
TOUCHDOWN, FIELD_GOAL_MADE, MISSED_FG, PUNTED, TURNOVER, DOWNS, SAFETY, END_OF_HALF = range(len(DRIVE_OUTCOMES))

#: Per-team counters kept for every game (``[B, 2]`` each).
TEAM_STATS = ("yards", "plays", "first_downs", "turnovers", "touchdowns", "field_goals", "punts", "drives")

QUARTER_SECONDS = 900


@dataclass
class GameState:
    """All simulated games at one moment; see the module docstring for the conventions."""

    quarter: torch.Tensor
    clock: torch.Tensor
    offense: torch.Tensor
    phase: torch.Tensor
    down: torch.Tensor
    distance: torch.Tensor
    yardline: torch.Tensor
    score: torch.Tensor
    """``[B, 2]`` points by side."""
    teams: torch.Tensor
    """``[B, 2]`` team indices (home, away) into the sampler's vocabulary."""
    opening_receiver: torch.Tensor
    """Side that received the opening kickoff (it kicks off the second half)."""
    finished: torch.Tensor
    overtime: torch.Tensor
    """The game reached overtime."""
    ot_possessions: torch.Tensor
    """Possessions started in overtime (the NFL's modified sudden death reads it)."""
    ot_first: torch.Tensor
    """Side with the first overtime possession (of the current period in NCAA overtime)."""
    ot_grace: torch.Tensor
    """NFL: the first overtime possession ended in a field goal, so the other side gets the ball."""
    ot_half: torch.Tensor
    """NCAA: 0 while the first side of the overtime period has the ball, 1 for the second."""
    two_point_only: torch.Tensor
    """A try must be a two-point try (NCAA from the second overtime); samplers must obey it."""
    stats: torch.Tensor
    """``[B, 2, len(TEAM_STATS)]`` per-team counters."""
    drive_outcomes: torch.Tensor
    """``[B, len(DRIVE_OUTCOMES)]`` drives of both teams by how they ended."""
    context: dict[str, torch.Tensor] = field(default_factory=dict)
    """Per-game conditioning a sampler reads (e.g. the empirical sampler's ``offense_shift`` ``[B, 2]``)."""
    steps: int = 0

    @property
    def batch_size(self) -> int:
        return int(self.quarter.shape[0])

    @property
    def device(self) -> torch.device:
        return self.quarter.device

    def stat(self, name: str) -> torch.Tensor:
        """``[B, 2]`` view of one team counter."""
        return self.stats[:, :, TEAM_STATS.index(name)]

    def to(self, device: str | torch.device) -> GameState:
        moved = {f.name: _move(getattr(self, f.name), device) for f in fields(self)}
        return GameState(**moved)

    def clone(self) -> GameState:
        copied = {f.name: _copy(getattr(self, f.name)) for f in fields(self)}
        return GameState(**copied)

    def index(self, rows: torch.Tensor) -> GameState:
        """The games at ``rows`` (a long or bool tensor) as a new state."""
        taken = {f.name: _take(getattr(self, f.name), rows) for f in fields(self)}
        return GameState(**taken)

    @classmethod
    def kickoff(
        cls,
        teams: torch.Tensor,
        opening_kicker: torch.Tensor,
        context: dict[str, torch.Tensor] | None = None,
    ) -> GameState:
        """Games at the opening kickoff: ``teams`` ``[B, 2]``, ``opening_kicker`` ``[B]`` (side that kicks)."""
        teams = torch.as_tensor(teams, dtype=torch.long)
        b, device = teams.shape[0], teams.device
        kicker = torch.as_tensor(opening_kicker, dtype=torch.long, device=device).expand(b).clone()
        return cls._new(
            teams, context, quarter=1, clock=QUARTER_SECONDS, offense=kicker, phase=KICKOFF, down=0, distance=0,
            yardline=35, score=(0, 0), opening_receiver=1 - kicker,
        )

    @classmethod
    def from_situation(
        cls,
        teams: torch.Tensor,
        *,
        quarter: int | torch.Tensor,
        clock: int | torch.Tensor,
        offense: int | torch.Tensor,
        down: int | torch.Tensor = 1,
        distance: int | torch.Tensor = 10,
        yardline: int | torch.Tensor = 25,
        home_score: int | torch.Tensor = 0,
        away_score: int | torch.Tensor = 0,
        phase: int | torch.Tensor = SNAP,
        opening_receiver: int | torch.Tensor | None = None,
        context: dict[str, torch.Tensor] | None = None,
    ) -> GameState:
        """Games at a given in-game state (scalars broadcast over the batch).

        ``offense``: side with the ball (``HOME``/``AWAY``); ``yardline``: from its own goal
        line; ``clock``: seconds left in ``quarter``. Quarters 5+ are overtime: a snap there is
        taken as the first overtime possession (set ``ot_possessions`` / ``ot_grace`` on the
        result for a later one). ``opening_receiver`` (who kicks off the second half) defaults
        to the side without the ball.
        """
        teams = torch.as_tensor(teams, dtype=torch.long)
        offense_t = torch.as_tensor(offense, dtype=torch.long, device=teams.device).expand(teams.shape[0])
        receiver = 1 - offense_t if opening_receiver is None else opening_receiver
        state = cls._new(
            teams, context, quarter=quarter, clock=clock, offense=offense_t, phase=phase, down=down,
            distance=distance, yardline=yardline, score=(home_score, away_score), opening_receiver=receiver,
        )
        state.overtime = state.quarter >= 5
        on_offense = state.overtime & (state.phase == SNAP)
        state.ot_possessions = on_offense.long()
        state.ot_first = torch.where(on_offense, state.offense, state.ot_first)
        return state

    @classmethod
    def _new(cls, teams: torch.Tensor, context: dict[str, torch.Tensor] | None, *, score: tuple[Any, Any],
             **values: Any) -> GameState:
        b, device = teams.shape[0], teams.device

        def column(value: Any) -> torch.Tensor:
            return torch.as_tensor(value, dtype=torch.long, device=device).expand(b).clone()

        zeros_bool = torch.zeros(b, dtype=torch.bool, device=device)
        return cls(
            **{name: column(value) for name, value in values.items()},
            score=torch.stack([column(score[0]), column(score[1])], 1),
            teams=teams.to(device),
            finished=zeros_bool.clone(),
            overtime=zeros_bool.clone(),
            ot_possessions=column(0),
            ot_first=column(0),
            ot_grace=zeros_bool.clone(),
            ot_half=column(0),
            two_point_only=zeros_bool.clone(),
            stats=torch.zeros(b, 2, len(TEAM_STATS), dtype=torch.long, device=device),
            drive_outcomes=torch.zeros(b, len(DRIVE_OUTCOMES), dtype=torch.long, device=device),
            context={k: v.to(device) for k, v in (context or {}).items()},
        )


def _move(value: Any, device: str | torch.device) -> Any:
    if isinstance(value, torch.Tensor):
        return value.to(device)
    if isinstance(value, dict):
        return {k: v.to(device) for k, v in value.items()}
    return value


def _copy(value: Any) -> Any:
    if isinstance(value, torch.Tensor):
        return value.clone()
    if isinstance(value, dict):
        return {k: v.clone() for k, v in value.items()}
    return value


def _take(value: Any, rows: torch.Tensor) -> Any:
    if isinstance(value, torch.Tensor):
        return value[rows]
    if isinstance(value, dict):
        return {k: v[rows] for k, v in value.items()}
    return value
