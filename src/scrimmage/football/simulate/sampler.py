"""What a play model must give the simulator: the :class:`PlaySampler` protocol and :class:`PlayOutcome`.

The simulator's engine calls ``sampler.sample(state, generator)`` once per step for the whole
batch; the rule set (:mod:`.rules`) then turns the outcome into the next state. A sampler never
applies rules (downs, scoring, the clock, possession) and the rules never invent an outcome:
that split is what lets the empirical sampler of today and the hierarchical neural play head
(``football/hierarchical``) plug into the same engine. The neural head implements this same
protocol: its play-call head gives the categorical over :data:`~.state.SNAP_CALLS`, its yards
head a categorical over yard bins, its turnover and clock heads the rest, each sampled with the
generator it is handed.

Rules a sampler must follow:

* return one :class:`PlayOutcome` whose tensors have shape ``[B]`` on the state's device,
  one row per game, for every game (finished games too: the rules ignore their rows);
* answer the phase each game is in (``state.phase``): a snap call from
  :data:`~.state.SNAP_CALLS` on a snap, ``KICKOFF_CALL`` on a kickoff or free kick,
  ``EXTRA_POINT`` / ``TWO_POINT`` on a try (``TWO_POINT`` wherever ``state.two_point_only``);
* draw all randomness from ``generator`` and draw the same amount whatever the games' states
  (e.g. one ``torch.rand(B, k)`` a step): then game ``b``'s result depends only on the seed, the
  batch size and ``b``, never on what the other games in the batch do (see :mod:`.engine`).

A sampler may also define ``prepare(state, generator)``: the engine calls it once before the
first play (the place for per-game latent draws, such as the empirical sampler's strength of the
day); the same rule about drawing a fixed amount applies.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any, Protocol, runtime_checkable

import torch

from scrimmage.football.simulate.state import CALLS, GameState


@dataclass
class PlayOutcome:
    """One sampled play per game (all ``[B]``); which fields matter depends on the call."""

    call: torch.Tensor
    """Index into :data:`~.state.CALLS`."""
    yards: torch.Tensor
    """Run/pass/kneel/spike: net yards the offense moves (penalties on the play included);
    reaching the opponent's goal line is a touchdown, losing past its own is a safety."""
    turnover: torch.Tensor
    """Run/pass: the defense gets the ball (interception, fumble lost). Punt or kickoff: the
    kicking side keeps it (muffed punt, recovered onside kick)."""
    return_td: torch.Tensor
    """The side without the ball before the play scores a touchdown on it (interception or
    fumble return, punt or kickoff return)."""
    first_down: torch.Tensor
    """Run/pass: a first down whatever the yards (an automatic first down from a defensive penalty)."""
    replay_down: torch.Tensor
    """Run/pass: the down is replayed (an offensive or pre-snap penalty), distance adjusted by ``yards``."""
    success: torch.Tensor
    """Field goal, extra point or two-point try: it is good."""
    new_yardline: torch.Tensor
    """After a punt, a kickoff or a turnover: where the side with the ball next starts, from its own goal line."""
    seconds: torch.Tensor
    """Game-clock seconds the play uses, from this snap to the next one (tries: 0)."""
    gained: torch.Tensor | None = None
    """Box-score yards of a run/pass (without penalty yards); ``None`` means ``yards``."""

    @classmethod
    def make(cls, batch: int, device: torch.device | str = "cpu", **values: Any) -> PlayOutcome:
        """An outcome with ``values`` (scalars broadcast, tensors as given) and the rest zero/False."""
        out: dict[str, Any] = {}
        for f in fields(cls):
            if f.name == "gained" and "gained" not in values:
                out["gained"] = None
                continue
            flag = f.name in _BOOL_FIELDS
            value = values.get(f.name, False if flag else 0)
            out[f.name] = torch.as_tensor(value, dtype=torch.bool if flag else torch.long,
                                          device=device).expand(batch).clone()
        return cls(**out)


_BOOL_FIELDS = frozenset({"turnover", "return_td", "first_down", "replay_down", "success"})


@runtime_checkable
class PlaySampler(Protocol):
    """A play model the simulator can roll games forward with (see the module docstring)."""

    teams: tuple[str, ...]
    """Team codes in index order: ``state.teams`` indexes into it."""

    def sample(self, state: GameState, generator: torch.Generator) -> PlayOutcome:
        """One outcome per game for the play each game is about to run."""
        ...


class ScriptedSampler:
    """A deterministic :class:`PlaySampler` for tests and what-if scripts: step ``k`` returns the
    ``k``-th scripted outcome for every game (a mapping of :class:`PlayOutcome` fields to
    values; missing fields are zero/False), then repeats the last one.

    ``calls`` names may be used for ``call`` (``{"call": "pass", "yards": 12}``).
    """

    def __init__(self, script: list[dict[str, Any]], teams: tuple[str, ...] = ("HOME", "AWAY")):
        if not script:
            raise ValueError("a scripted sampler needs at least one outcome")
        self.script = script
        self.teams = teams
        self.calls = 0

    def sample(self, state: GameState, generator: torch.Generator) -> PlayOutcome:
        step = dict(self.script[min(self.calls, len(self.script) - 1)])
        self.calls += 1
        if isinstance(step.get("call"), str):
            step["call"] = CALLS.index(step["call"])
        return PlayOutcome.make(state.batch_size, state.device, **step)
