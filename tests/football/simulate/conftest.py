"""Helpers of the simulator tests: a state at a given situation, and one scripted play applied to it
(the ``empirical`` sampler fixture lives in ``tests/football/conftest.py``, shared with the CLI tests)."""

from __future__ import annotations

from typing import Any

import torch

from scrimmage.football.simulate.rules import NFLRules
from scrimmage.football.simulate.sampler import PlayOutcome
from scrimmage.football.simulate.state import CALLS, GameState


def situation(**values: Any) -> GameState:
    """One game (home vs away) at a given state; see :meth:`GameState.from_situation`."""
    teams = torch.tensor([[0, 1]])
    values.setdefault("quarter", 1)
    values.setdefault("clock", 600)
    values.setdefault("offense", 0)
    return GameState.from_situation(teams, **values)


def play(state: GameState, rules: NFLRules | None = None, u: float = 0.25, **outcome: Any) -> GameState:
    """Apply one scripted outcome (``call`` may be a name) with the rule set; returns the state."""
    if isinstance(outcome.get("call"), str):
        outcome["call"] = CALLS.index(outcome["call"])
    (rules or NFLRules()).apply(state, PlayOutcome.make(state.batch_size, state.device, **outcome),
                                torch.full((state.batch_size,), u))
    return state


def value(tensor: torch.Tensor) -> Any:
    return tensor[0].tolist()
