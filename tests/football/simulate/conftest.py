"""Fixtures for the simulator tests: one empirical sampler fitted on the session's full ingest
(and cached in its workdir, so the CLI tests read the same sampler), and a helper that applies one
scripted play to a state."""

from __future__ import annotations

from typing import Any

import pytest
import torch

from scrimmage.football.simulate.rules import NFLRules
from scrimmage.football.simulate.sampler import PlayOutcome
from scrimmage.football.simulate.state import CALLS, GameState


@pytest.fixture(scope="session")
def empirical(full_ingest):
    """``(sampler, tables, workdir)``: the empirical sampler of the full ingest (fit once, cached)."""
    from scrimmage.football.simulate.empirical import load_or_fit

    _, tables, workdir = full_ingest
    sampler, _ = load_or_fit(workdir)
    return sampler, tables, workdir


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
