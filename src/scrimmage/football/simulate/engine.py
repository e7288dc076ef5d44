"""The engine: every simulated game advances together, one play per step, as one batch of tensors.

``simulate`` builds ``n`` games for each (home, away) matchup at the opening kickoff and calls
:func:`simulate_from_state`, which loops: the sampler draws one outcome per game, the rule set
applies it, finished games are masked (their rows stop changing), until every game is over.
There is no Python loop over games; the loop is over plays (about 180 steps for a batch).
:func:`simulate_situation` does the same for ``n`` copies of one in-game situation of one
matchup (``scrimmage simulate --from-state`` / ``--after-play``).

Reproducibility and batch independence: all randomness comes from one seeded
``torch.Generator`` and every step draws the same amount per game slot whatever the games'
states (the sampler's protocol requires it; the rules draw one uniform per slot a step). So the
same seed, batch size and matchups give identical results, and game ``b``'s result depends only
on the seed, the batch size and ``b`` — never on the other games in the batch (their teams,
situations or how long they last). Simulate in batches of one fixed size (e.g. ``n`` per
matchup) when games must also be independent of the batch size.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch

from scrimmage.errors import ArgumentError
from scrimmage.football.simulate.rules import NFLRules
from scrimmage.football.simulate.sampler import PlaySampler
from scrimmage.football.simulate.state import DRIVE_OUTCOMES, QUARTER_SECONDS, TEAM_STATS, GameState

#: ``share(fraction)``: how much of a batch's game time has been played (0-1), heard every few steps.
ShareCallback = Callable[[float], None]

QUANTILES = (0.05, 0.1, 0.25, 0.5, 0.75, 0.9, 0.95)
#: A regulation game is ~180 plays; a batch that is not done by then has a bug (or an endless
#: college shootout), and stops with those games flagged unfinished.
MAX_STEPS = 3000


@dataclass
class SimulationResult:
    """Final state of every simulated game (CPU tensors, one row per game)."""

    home_score: torch.Tensor
    away_score: torch.Tensor
    overtime: torch.Tensor
    finished: torch.Tensor
    stats: torch.Tensor
    """``[B, 2, len(TEAM_STATS)]``"""
    drive_outcomes: torch.Tensor
    """``[B, len(DRIVE_OUTCOMES)]``"""
    matchup: torch.Tensor
    """``[B]`` index into ``matchups``."""
    matchups: list[tuple[str, str]] = field(default_factory=list)
    steps: int = 0
    seconds: float = 0.0
    device: str = "cpu"

    @property
    def n_games(self) -> int:
        return int(self.home_score.shape[0])

    @property
    def margin(self) -> torch.Tensor:
        """Home minus away points."""
        return self.home_score - self.away_score

    @property
    def total(self) -> torch.Tensor:
        return self.home_score + self.away_score

    def games_per_second(self) -> float:
        return self.n_games / self.seconds if self.seconds > 0 else float("nan")

    def rows(self, matchup: int) -> torch.Tensor:
        return self.matchup == matchup

    def mean_margin_by_matchup(self) -> torch.Tensor:
        m = len(self.matchups) or int(self.matchup.max()) + 1
        sums = torch.zeros(m, dtype=torch.float64).index_add_(0, self.matchup, self.margin.double())
        counts = torch.bincount(self.matchup, minlength=m).double()
        return sums / counts

    def summary(self, rows: torch.Tensor | None = None, spread: float | None = None,
                total_line: float | None = None) -> dict[str, Any]:
        """Distributions of the games in ``rows`` (all by default): points, margin, total (mean, SD,
        quantiles), team-stat quantiles, win/tie probabilities, drive outcome shares and, given a
        home ``spread`` (negative: home favoured) or a ``total_line``, cover and over probabilities."""
        sel = torch.ones(self.n_games, dtype=torch.bool) if rows is None else rows
        home, away = self.home_score[sel].double(), self.away_score[sel].double()
        margin, total = home - away, home + away
        n = int(home.shape[0])
        out: dict[str, Any] = {"n_games": n}
        for name, values in (("home_points", home), ("away_points", away), ("margin", margin), ("total", total)):
            out[name] = describe(values)
        out["home_win"] = float((margin > 0).double().mean())
        out["away_win"] = float((margin < 0).double().mean())
        out["tie"] = float((margin == 0).double().mean())
        out["overtime"] = float(self.overtime[sel].double().mean())
        out["margin_exactly"] = {str(k): float((margin.abs() == k).double().mean()) for k in (3, 7)}
        stats = self.stats[sel]
        out["team_stats"] = {
            side: {name: describe(stats[:, i, j].double(), QUANTILES[1::2]) for j, name in enumerate(TEAM_STATS)}
            for i, side in enumerate(("home", "away"))
        }
        drives = self.drive_outcomes[sel].sum(0).double()
        out["drive_outcomes"] = {name: float(drives[k] / max(float(drives.sum()), 1.0)) for k, name in enumerate(DRIVE_OUTCOMES)}
        out["drives_per_game"] = float(drives.sum() / max(n, 1))
        if spread is not None:
            edge = margin + spread
            out["spread"] = {"line": spread, "home_cover": float((edge > 0).double().mean()),
                             "push": float((edge == 0).double().mean()), "away_cover": float((edge < 0).double().mean())}
        if total_line is not None:
            out["total_line"] = {"line": total_line, "over": float((total > total_line).double().mean()),
                                 "push": float((total == total_line).double().mean()),
                                 "under": float((total < total_line).double().mean())}
        out["unfinished"] = int((~self.finished[sel]).sum())
        return out


def describe(values: torch.Tensor, quantiles: Sequence[float] = QUANTILES) -> dict[str, float]:
    """Mean, SD and quantiles (``q05`` ...) of a 1-d tensor (numpy: no size limit on quantiles)."""
    x = values.double().numpy()
    out = {"mean": float(x.mean()) if len(x) else float("nan"),
           "sd": float(x.std(ddof=1)) if len(x) > 1 else float("nan")}
    q = np.quantile(x, list(quantiles)).tolist() if len(x) else [float("nan")] * len(quantiles)
    for level, value in zip(quantiles, q, strict=True):
        out[f"q{round(level * 100):02d}"] = float(value)
    return out


def _device(device: str | torch.device) -> torch.device:
    dev = torch.device(device)
    if dev.type == "cuda" and not torch.cuda.is_available():
        raise ArgumentError("--device cuda: no CUDA device is available here; use --device cpu")
    return dev


def _team_ids(sampler: PlaySampler, codes: Sequence[str] | str) -> list[int]:
    codes = [codes] if isinstance(codes, str) else list(codes)
    vocabulary = list(sampler.teams)
    unknown = [c for c in codes if c not in vocabulary]
    if unknown:
        raise ArgumentError(f"unknown team {', '.join(unknown)}; valid codes: {', '.join(vocabulary)}")
    return [vocabulary.index(c) for c in codes]


def simulate(
    sampler: PlaySampler,
    rules: NFLRules | None = None,
    home: Sequence[str] | str = (),
    away: Sequence[str] | str = (),
    n: int = 1000,
    generator: torch.Generator | None = None,
    device: str | torch.device = "cpu",
    context: dict[str, torch.Tensor] | None = None,
    seed: int = 0,
    max_steps: int = MAX_STEPS,
    share: ShareCallback | None = None,
) -> SimulationResult:
    """``n`` games of each (``home[i]``, ``away[i]``) matchup from the opening kickoff.

    ``context`` holds per-matchup tensors (first dimension ``M``) for the sampler, repeated over
    each matchup's games (e.g. :meth:`EmpiricalSampler.matchup_context`). Games are ordered
    matchup by matchup (``result.matchup``). ``generator`` defaults to one seeded with ``seed``
    on ``device``. ``share(fraction)`` hears the batch's progress while it runs (see :func:`simulate_from_state`).
    """
    if n < 1:
        raise ArgumentError(f"--n must be at least 1, got {n}")
    dev = _device(device)
    home_ids, away_ids = _team_ids(sampler, home), _team_ids(sampler, away)
    if len(home_ids) != len(away_ids) or not home_ids:
        raise ArgumentError(f"give one away team per home team ({len(home_ids)} home, {len(away_ids)} away)")
    rules = rules or NFLRules()
    m = len(home_ids)
    teams = torch.tensor([home_ids, away_ids], dtype=torch.long, device=dev).T.repeat_interleave(n, 0)
    ctx = {k: v.to(dev).repeat_interleave(n, 0) for k, v in (context or {}).items()}
    if generator is None:
        generator = torch.Generator(device=dev).manual_seed(seed)
    opening_kicker = (torch.rand(m * n, generator=generator, device=dev) < 0.5).long()
    state = GameState.kickoff(teams, opening_kicker, ctx)
    result = simulate_from_state(sampler, rules, state, generator, max_steps=max_steps, share=share)
    result.matchup = torch.arange(m).repeat_interleave(n)
    result.matchups = [(sampler.teams[h], sampler.teams[a]) for h, a in zip(home_ids, away_ids, strict=True)]
    return result


def situation_state(
    sampler: PlaySampler,
    home: str,
    away: str,
    n: int,
    situation: Mapping[str, Any],
    context: dict[str, torch.Tensor] | None = None,
    device: str | torch.device = "cpu",
) -> GameState:
    """``n`` copies of one in-game situation of ``home`` against ``away``.

    ``situation``: keyword arguments of :meth:`GameState.from_situation` (quarter, clock,
    offense, down, ...; e.g. :meth:`.situation.Situation.state_kwargs`); ``context``: the
    matchup's sampler tensors with first dimension 1 (e.g. ``sampler.matchup_context([home],
    [away], ...)``), repeated over the ``n`` games.
    """
    if n < 1:
        raise ArgumentError(f"--n must be at least 1, got {n}")
    dev = _device(device)
    ids = _team_ids(sampler, [home, away])
    teams = torch.tensor([ids], dtype=torch.long, device=dev).repeat(n, 1)
    ctx = {k: v.to(dev).repeat_interleave(n, 0) for k, v in (context or {}).items()}
    return GameState.from_situation(teams, **situation, context=ctx)


def simulate_situation(
    sampler: PlaySampler,
    rules: NFLRules | None,
    home: str,
    away: str,
    situation: Mapping[str, Any],
    n: int = 1000,
    context: dict[str, torch.Tensor] | None = None,
    seed: int = 0,
    device: str | torch.device = "cpu",
    max_steps: int = MAX_STEPS,
    share: ShareCallback | None = None,
) -> SimulationResult:
    """``n`` games of ``home`` against ``away`` rolled forward from one in-game ``situation``
    (see :func:`situation_state`) with a generator seeded with ``seed``; one matchup."""
    state = situation_state(sampler, home, away, n, situation, context=context, device=device)
    generator = torch.Generator(device=state.device).manual_seed(seed)
    result = simulate_from_state(sampler, rules or NFLRules(), state, generator, max_steps=max_steps, share=share)
    result.matchups = [(home, away)]
    return result


def simulate_from_state(
    sampler: PlaySampler,
    rules: NFLRules,
    state: GameState,
    generator: torch.Generator,
    max_steps: int = MAX_STEPS,
    check_every: int = 8,
    share: ShareCallback | None = None,
) -> SimulationResult:
    """Roll ``state`` (modified in place) forward until every game is finished.

    ``share(fraction)``, when given, hears every ``check_every`` steps how much of the batch's game
    time has been played since ``state`` (0-1: the mean over games of the regulation time played,
    finished games counting 1), so a batch that runs for minutes shows progress; it draws no random
    numbers, so results do not depend on it."""
    start = time.perf_counter()
    b, dev = state.batch_size, state.device
    prepare = getattr(sampler, "prepare", None)
    if prepare is not None:  # optional hook: per-game latent draws before the first play
        prepare(state, generator)
    played_at_start = _time_played(state) if share is not None else None
    while True:
        outcome = sampler.sample(state, generator)
        u = torch.rand(b, generator=generator, device=dev)
        rules.apply(state, outcome, u)
        if state.steps % check_every == 0:
            if bool(state.finished.all()):
                break
            if played_at_start is not None and share is not None:
                share(_share_played(state, played_at_start))
        if state.steps >= max_steps:
            break
    if dev.type == "cuda":
        torch.cuda.synchronize(dev)
    seconds = time.perf_counter() - start
    return SimulationResult(
        home_score=state.score[:, 0].cpu(), away_score=state.score[:, 1].cpu(), overtime=state.overtime.cpu(),
        finished=state.finished.cpu(), stats=state.stats.cpu(), drive_outcomes=state.drive_outcomes.cpu(),
        matchup=torch.zeros(b, dtype=torch.long), steps=state.steps, seconds=seconds, device=str(dev),
    )


def _time_played(state: GameState) -> torch.Tensor:
    """Per game, the share of regulation time played (0-1; overtime counts as all of it)."""
    regulation = 4 * QUARTER_SECONDS
    played = (state.quarter.clamp(max=4) - 1) * QUARTER_SECONDS + (QUARTER_SECONDS - state.clock)
    return torch.where(state.quarter > 4, regulation, played).clamp(0, regulation).float() / regulation


def _share_played(state: GameState, at_start: torch.Tensor) -> float:
    """The batch's share of its remaining game time played since ``at_start`` (finished games: all of it)."""
    left = (1.0 - at_start).clamp(min=1e-6)
    share = ((_time_played(state) - at_start) / left).clamp(0.0, 1.0)
    return float(torch.where(state.finished, 1.0, share).mean())
