"""The simulator's Python API: every ``scrimmage simulate`` mode as a function that returns a dataclass.

* :func:`matchup` — one matchup from kickoff with each team's form for a season (entering a week,
  or after the team's last game of the season): the score distribution, lines, the real game;
* :func:`from_state` — the matchup rolled forward from an in-game situation (text or a JSON
  object, see :mod:`.situation`) instead of the kickoff;
* :func:`after_play` — a real game continued from its state after its N-th play, beside its real
  final score (a play-head model reads the real snaps so far as its history);
* :func:`season` — a regular season projected from a week: the games before it count with their
  real results, every later game is simulated;
* :func:`fidelity` — every REG/POST game of a set of seasons simulated with its teams' pregame
  form, real beside simulated.

Each takes the play model as ``sampler``: ``"empirical"`` (the sampler fitted from the ingested
tables, cached in the workdir; ``workdir`` defaults as the CLI's: ``SCRIMMAGE_HOME`` or
./scrimmage-runs), a run id or checkpoint of a trained ``nfl-hierarchical`` model
(its play head; :mod:`.neural`), or a :class:`Simulator` from :func:`load` to reuse one across
calls. Arguments are checked before anything heavy is loaded or simulated; a bad one is an
:class:`~scrimmage.errors.ArgumentError` (the CLI prints it and exits 2). ``rules`` is ``nfl``
(each season's own overtime; playoff overtime for POST games) or ``ncaa``; ``device`` ``cpu`` or
``cuda``. Every result's ``to_dict()`` is what ``scrimmage simulate ... --json`` prints.

``scrimmage simulate`` (:mod:`scrimmage.football.cli.simulate`) only parses its options, calls
these and prints the results.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from scrimmage.errors import ArgumentError
from scrimmage.football.simulate.progress import (
    DEFAULT_MAX_MINUTES,
    check_duration,
    check_max_minutes,
    check_memory,
    within,
)
from scrimmage.paths import resolve_workdir

#: ``progress(done, total)``: simulated games so far and in all (see :mod:`.progress`).
Progress = Callable[[int, int], None]

#: ``fidelity`` game sets by name (a season ``2019`` or a range ``2015-2016`` also works).
GAME_SETS = {"test": (2018, 2019), "val": (2017, 2017), "train": (2009, 2016), "all": (2009, 2019)}
#: Simulated games per engine call in a season projection (memory); more simulations run in chunks.
SEASON_BATCH = 200_000
#: Simulated games per engine call of one matchup or situation: ``n`` above it runs in batches of this
#: size (batch ``k`` seeded with ``seed + k``), each reported to ``progress``; ``n`` up to it is one batch.
BATCH = 50_000
#: The ranges every number is checked against before anything is loaded (the CLI's ``--help`` says them).
N_RANGE = (1, 1_000_000_000)
SEED_RANGE = (0, 2**32 - 1)
SPREAD_RANGE = (-100.0, 100.0)
TOTAL_RANGE = (0.0, 200.0)


# --------------------------------------------------------------------------- the sampler and options

@dataclass
class Simulator:
    """A loaded play sampler, what named it and whether it came from the workdir's cache."""

    sampler: Any
    model: str
    cached: bool
    workdir: Path

    @property
    def teams(self) -> tuple[str, ...]:
        return tuple(self.sampler.teams)


def load(model: str = "empirical", workdir: Path | str | None = None) -> Simulator:
    """The play sampler ``model`` names: ``empirical``, or a run id / checkpoint of an ``nfl-hierarchical`` model."""
    workdir = resolve_workdir(workdir)
    if model == "empirical":
        from scrimmage.football.simulate.empirical.cache import load_or_fit

        sampler, cached = load_or_fit(workdir)
        return Simulator(sampler, model, cached, workdir)
    from scrimmage.export.checkpoint import resolve_model_checkpoint
    from scrimmage.football.simulate.neural import load_neural_sampler

    path = resolve_model_checkpoint(model, workdir)  # a missing run or file is a CheckpointError
    return Simulator(load_neural_sampler(path, workdir), model, False, workdir)


def _simulator(sampler: str | Simulator, workdir: Path) -> Simulator:
    return sampler if isinstance(sampler, Simulator) else load(sampler, workdir)


def check_rules(name: Any) -> Any:
    """A rule set by name (``nfl`` or ``ncaa``), or the rule set given."""
    from scrimmage.football.simulate.rules import RULES, rules_by_name

    if not isinstance(name, str):
        return name
    if name.lower() not in RULES:
        raise ArgumentError(f"--rules must be one of {', '.join(RULES)}, got '{name}'")
    return rules_by_name(name.lower())


def check_device(name: Any) -> Any:
    """A ``torch.device`` (cpu, or cuda where one is available)."""
    import torch

    try:
        dev = torch.device(name)
    except (RuntimeError, TypeError):
        raise ArgumentError(f"--device must be cpu or cuda, got '{name}'") from None
    if dev.type not in ("cpu", "cuda"):
        raise ArgumentError(f"--device must be cpu or cuda, got '{name}'")
    if dev.type == "cuda" and not torch.cuda.is_available():
        raise ArgumentError("--device cuda: no CUDA device is available here; use --device cpu")
    return dev


def game_set(text: str | tuple[int, int]) -> tuple[int, int]:
    """``test``, ``val``, ``train``, ``all``, a season (``2019``) or a range (``2015-2016``) → (first, last)."""
    if isinstance(text, tuple):
        first, last = (int(v) for v in text)
    else:
        key = text.strip().lower()
        if key in GAME_SETS:
            return GAME_SETS[key]
        match = re.fullmatch(r"(\d{4})(?:-(\d{4}))?", key)
        if not match:
            raise ArgumentError(f"--games must be one of {', '.join(GAME_SETS)}, a season (2019) or a range (2015-2016); got '{text}'")
        first, last = int(match.group(1)), int(match.group(2) or match.group(1))
    if first > last:
        raise ArgumentError(f"--games {text}: the first season comes after the last")
    return first, last


def _whole(value: Any, flag: str, lo: int, hi: int) -> int:
    """``value`` as a whole number in ``lo..hi`` (both included), else an ArgumentError naming ``flag``."""
    if isinstance(value, bool) or not isinstance(value, int):
        if isinstance(value, float) and math.isfinite(value) and value == int(value):
            value = int(value)
        else:
            raise ArgumentError(f"{flag} must be a whole number {lo:,}-{hi:,}, got {value!r}")
    if not lo <= value <= hi:
        shown = f"{value:,}" if abs(value) < 10**30 else f"a {len(str(abs(value)))}-digit number"
        side = f"at least {lo:,}" if value < lo else f"at most {hi:,}"
        raise ArgumentError(f"{flag} must be {side} (range {lo:,}-{hi:,}), got {shown}")
    return value


def check_n(n: Any, flag: str = "--n") -> int:
    """A count of games to simulate: a whole number in :data:`N_RANGE`."""
    return _whole(n, flag, *N_RANGE)


def check_seed(seed: Any) -> int:
    """A seed of the random generator: a whole number in :data:`SEED_RANGE`."""
    return _whole(seed, "--seed", *SEED_RANGE)


def check_lines(spread: Any = None, total: Any = None) -> None:
    """``--spread`` finite in :data:`SPREAD_RANGE` and ``--total`` finite, above 0 and at most 200 (``None``: not given)."""
    for flag, value, (lo, hi), strict in (("--spread", spread, SPREAD_RANGE, False), ("--total", total, TOTAL_RANGE, True)):
        if value is None:
            continue
        if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
            raise ArgumentError(f"{flag} must be a finite number of points {'above' if strict else 'from'} {lo:g} "
                                f"to {hi:g}, got {value!r}")
        if not (lo < value <= hi if strict else lo <= value <= hi):
            what = f"above {lo:g} and at most {hi:g}" if strict else f"{lo:g} to {hi:g}"
            raise ArgumentError(f"{flag} must be {what} points, got {value:g}")


def _check_n(n: Any) -> None:
    check_n(n)


def _kind(sampler: str | Simulator) -> str:
    """``empirical`` or ``model`` (a trained play head), for the time estimate."""
    name = sampler.model if isinstance(sampler, Simulator) else sampler
    return "empirical" if name == "empirical" else "model"


def _check_common(n: Any, seed: Any, max_minutes: Any, spread: Any = None, total: Any = None) -> None:
    check_n(n)
    check_seed(seed)
    check_lines(spread, total)
    check_max_minutes(max_minutes)


def _batched(run: Callable[[int, int, Any], Any], n: int, progress: Progress | None) -> Any:
    """``run(count, k, share)`` (batch ``k`` of ``count`` games; ``share`` for :func:`~.engine.simulate`) over ``n``
    games in batches of :data:`BATCH`, joined into one result; ``progress`` hears 0 before the first batch, the
    batch's progress while it runs and the games done after each."""
    import torch

    from scrimmage.football.simulate.engine import SimulationResult

    results, done = [], 0
    if progress is not None:
        progress(0, n)  # the clock of an ETA starts here, after the sampler is loaded
    for k, lo in enumerate(range(0, n, BATCH)):
        count = min(BATCH, n - lo)
        results.append(run(count, k, within(progress, done, count, n)))
        done += results[-1].n_games
        if progress is not None:
            progress(done, n)
    if len(results) == 1:
        return results[0]
    first = results[0]
    cat = {name: torch.cat([getattr(r, name) for r in results]) for name in
           ("home_score", "away_score", "overtime", "finished", "stats", "drive_outcomes", "matchup")}
    return SimulationResult(**cat, matchups=first.matchups, steps=max(r.steps for r in results),
                            seconds=sum(r.seconds for r in results), device=first.device)


def _check_week(week: int | None, flag: str = "--week") -> None:
    if week is not None and not 1 <= week <= 17:
        raise ArgumentError(f"{flag} must be a regular-season week 1-17, got {week}")


def _team(code: str, sim: Simulator, flag: str) -> str:
    from scrimmage.football.common.teams import canonical_team

    team = canonical_team(code)
    if team not in sim.teams:
        raise ArgumentError(f"{flag} {code}: unknown team; valid codes: {', '.join(sim.teams)}")
    return team


def _span(seasons: list[int]) -> str:
    return f"{seasons[0]}-{seasons[-1]}" if seasons else "none"


def _games(workdir: Path) -> Any:
    from scrimmage.football.nfl.ingest import load_nfl_table

    return load_nfl_table(workdir, "games")


def _check_season_held(games: Any, season: int) -> None:
    held = sorted(int(s) for s in games["season"].unique())
    if season not in held:
        raise ArgumentError(f"--season {season} is not in the data; seasons available: {_span(held)}")


def _nfl_rules(rule_set: Any, season: int, postseason: bool = False) -> Any:
    """NFL: that season's overtime (its playoffs' with ``postseason``); another rule set as given."""
    if rule_set.name != "nfl":
        return rule_set
    from scrimmage.football.simulate.rules import NFLRules

    return NFLRules.for_season(season, postseason)


def _context(sim: Simulator, home: str, away: str, **where: Any) -> Any:
    s = sim.sampler
    return s.matchup_context([home], [away], **where) if hasattr(s, "matchup_context") else None


def _shift(context: Any) -> list[float] | None:
    return context["offense_shift"][0].tolist() if context and "offense_shift" in context else None


def _form(week: int | None) -> str:
    return "after its last game of the season" if week is None else f"entering week {week}"


# --------------------------------------------------------------------------- one matchup

class _EngineTimed:
    """Speed of a result that wraps the engine's ``result`` (a :class:`~.engine.SimulationResult`)."""

    result: Any

    @property
    def seconds(self) -> float:
        return self.result.seconds

    @property
    def games_per_second(self) -> float:
        return self.result.games_per_second()


@dataclass
class MatchupResult(_EngineTimed):
    """One matchup simulated ``n`` times from kickoff (:func:`matchup`)."""

    model: str
    sampler_cached: bool
    rules: str
    home: str
    away: str
    season: int
    week: int | None
    form: str
    n: int
    seed: int
    device: str
    summary: dict[str, Any]
    offense_shift: list[float] | None
    real_game: dict[str, Any] | None
    result: Any = field(repr=False)
    """The engine's :class:`~.engine.SimulationResult` (every simulated game's score and stats)."""

    def to_dict(self) -> dict[str, Any]:
        return {
            "model": self.model, "sampler_cached": self.sampler_cached, "rules": self.rules, "home": self.home,
            "away": self.away, "season": self.season, "week": self.week, "form": self.form, "n": self.n,
            "seed": self.seed, "device": self.device, "seconds": round(self.seconds, 3),
            "games_per_second": round(self.games_per_second, 1), "offense_shift": self.offense_shift,
            "summary": self.summary, "real_game": self.real_game,
        }


def matchup(home: str, away: str, season: int, week: int | None = None, *, sampler: str | Simulator = "empirical",
            workdir: Path | str | None = None, n: int = 10_000, spread: float | None = None,
            total: float | None = None, seed: int = 0, rules: Any = "nfl", device: Any = "cpu",
            progress: Progress | None = None, max_minutes: float | None = DEFAULT_MAX_MINUTES) -> MatchupResult:
    """``home`` hosting ``away`` ``n`` times from kickoff, each team with its ``season`` form (entering REG
    ``week``, or after its last game of the season); ``spread`` (home, negative when favoured) and
    ``total`` add cover and over probabilities. NFL rules: that season's overtime. ``progress(done, n)``
    hears each batch of :data:`BATCH` games; a request estimated over ``max_minutes`` is refused
    (:func:`~.progress.check_duration`)."""
    from scrimmage.football.simulate.engine import simulate

    workdir = resolve_workdir(workdir)
    _check_common(n, seed, max_minutes, spread, total)
    _check_week(week)
    rule_set, dev = check_rules(rules), check_device(device)
    check_duration(n, _kind(sampler), dev, max_minutes, f"--n {n:,}")
    check_memory(n, f"--n {n:,}")
    games = _games(workdir)
    _check_season_held(games, season)
    sim = _simulator(sampler, workdir)
    home_team, away_team = _team(home, sim, "--home"), _team(away, sim, "--away")
    if home_team == away_team:
        raise ArgumentError(f"--home and --away are the same team ({home_team})")
    context = _context(sim, home_team, away_team, season=season, week=week)
    rule_set = _nfl_rules(rule_set, season)  # the overtime of that season's regular season
    result = _batched(lambda count, k, share: simulate(sim.sampler, rule_set, [home_team], [away_team], n=count,
                                                       device=dev, context=context, seed=seed + k, share=share),
                      n, progress)
    return MatchupResult(
        model=sim.model, sampler_cached=sim.cached, rules=rule_set.name, home=home_team, away=away_team,
        season=season, week=week, form=_form(week), n=n, seed=seed, device=str(dev),
        summary=result.summary(spread=spread, total_line=total), offense_shift=_shift(context),
        real_game=_real_game(games, home_team, away_team, season, week), result=result,
    )


def _real_game(games: Any, home: str, away: str, season: int, week: int | None) -> dict[str, Any] | None:
    rows = games[(games["season"] == season) & (games["home_team"] == home) & (games["away_team"] == away)
                 & games["season_type"].isin(("REG", "POST"))]
    if week is not None:
        rows = rows[(rows["week"] == week) & (rows["season_type"] == "REG")]
    if len(rows) != 1:
        return None
    row = rows.iloc[0]
    return {"game_id": str(row["game_id"]), "week": int(row["week"]), "season_type": str(row["season_type"]),
            "home_score": int(row["home_score"]), "away_score": int(row["away_score"]),
            "spread_home": _float(row.get("spread_home")), "total_line": _float(row.get("total_line"))}


def _float(value: Any) -> float | None:
    try:
        value = float(value)
    except (TypeError, ValueError):
        return None
    return value if value == value else None


# --------------------------------------------------------------------------- from a situation

@dataclass
class SituationResult(_EngineTimed):
    """A matchup rolled forward ``n`` times from a situation (:func:`from_state`, :func:`after_play`)."""

    model: str
    sampler_cached: bool
    rules: str
    home: str
    away: str
    info: dict[str, Any]
    """What names the start: ``season``, ``week``, ``form`` and ``from_state`` (:func:`from_state`), or the
    real game's ``game_id``, season, week, plays, last and next play, real final (:func:`after_play`)."""
    n: int
    seed: int
    device: str
    situation: dict[str, Any]
    """The situation's fields and its ``description``."""
    note: str | None
    summary: dict[str, Any]
    offense_shift: list[float] | None
    result: Any = field(repr=False)
    real: dict[str, int] | None = None
    """The real final score (:func:`after_play`), else ``None``."""
    snaps_primed: int | None = None
    """How many real snaps a play-head model read as its history (:func:`after_play`), else ``None``."""

    @property
    def real_margin(self) -> int | None:
        return None if self.real is None else self.real["home_score"] - self.real["away_score"]

    def real_percentile(self) -> float | None:
        """Where the real margin falls among the simulated ones (mid-rank percentile, ties split)."""
        margin = self.real_margin
        if margin is None:
            return None
        sims = self.result.margin
        return float(((sims < margin).double().mean() + 0.5 * (sims == margin).double().mean()) * 100)

    def to_dict(self) -> dict[str, Any]:
        return {
            "model": self.model, "sampler_cached": self.sampler_cached, "rules": self.rules, "home": self.home,
            "away": self.away, **self.info, "n": self.n, "seed": self.seed, "device": self.device,
            "seconds": round(self.seconds, 3), "games_per_second": round(self.games_per_second, 1),
            "offense_shift": self.offense_shift, "situation": self.situation, "summary": self.summary,
        }


def from_state(home: str, away: str, season: int, state: str | dict[str, Any], week: int | None = None, *,
               sampler: str | Simulator = "empirical", workdir: Path | str | None = None, n: int = 10_000,
               spread: float | None = None, total: float | None = None, seed: int = 0, rules: Any = "nfl",
               device: Any = "cpu", progress: Progress | None = None,
               max_minutes: float | None = DEFAULT_MAX_MINUTES) -> SituationResult:
    """"What now?": the matchup (``season`` form, entering ``week``) rolled forward ``n`` times from the
    in-game situation ``state`` (e.g. ``'Q4 2:00, home ball at own 25, down 3'`` or a JSON object)."""
    import json

    from scrimmage.football.simulate.situation import parse_situation

    workdir = resolve_workdir(workdir)
    _check_common(n, seed, max_minutes, spread, total)
    _check_week(week)
    rule_set, dev = check_rules(rules), check_device(device)
    check_duration(n, _kind(sampler), dev, max_minutes, f"--n {n:,}")
    check_memory(n, f"--n {n:,}")
    text = state if isinstance(state, str) else json.dumps(state)
    from scrimmage.football.common.teams import canonical_team

    parse_situation(text, canonical_team(home), canonical_team(away))  # its mistakes before anything is loaded
    games = _games(workdir)
    _check_season_held(games, season)
    sim = _simulator(sampler, workdir)
    home_team, away_team = _team(home, sim, "--home"), _team(away, sim, "--away")
    if home_team == away_team:
        raise ArgumentError(f"--home and --away are the same team ({home_team})")
    situation = parse_situation(text, home_team, away_team)
    rule_set = _nfl_rules(rule_set, season)
    if situation.quarter >= 5:
        if rule_set.name != "nfl":
            raise ArgumentError(f"--from-state: {rule_set.name.upper()} overtime has no game clock; an overtime "
                                "situation works with --rules nfl")
        if situation.clock > rule_set.ot_seconds:
            raise ArgumentError(f"--from-state: overtime clock {situation.clock // 60}:{situation.clock % 60:02d} is "
                                f"longer than the {season} overtime period ({rule_set.ot_seconds // 60}:00)")
    context = _context(sim, home_team, away_team, season=season, week=week)
    info = {"season": season, "week": week, "form": _form(week), "from_state": text}
    return _continue(sim, rule_set, home_team, away_team, situation, context, info, n, spread, total, seed, dev,
                     progress=progress)


def after_play(game_id: str, after: int, *, sampler: str | Simulator = "empirical",
               workdir: Path | str | None = None, n: int = 10_000, spread: float | None = None,
               total: float | None = None, seed: int = 0, rules: Any = "nfl", device: Any = "cpu",
               progress: Progress | None = None, max_minutes: float | None = DEFAULT_MAX_MINUTES) -> SituationResult:
    """Real game ``game_id`` continued ``n`` times from its state after its ``after``-th play (0: from the
    kickoff), with its teams' form entering the game, beside its real final score."""
    from scrimmage.football.nfl.ingest import load_nfl_table
    from scrimmage.football.simulate.situation import situation_after_play

    workdir = resolve_workdir(workdir)
    _check_common(n, seed, max_minutes, spread, total)
    if isinstance(after, bool) or not isinstance(after, int):
        raise ArgumentError(f"--after-play must be a whole number of plays (0 = from the kickoff), got {after!r}")
    rule_set, dev = check_rules(rules), check_device(device)
    check_duration(n, _kind(sampler), dev, max_minutes, f"--n {n:,}")
    check_memory(n, f"--n {n:,}")
    situation, info = situation_after_play(load_nfl_table(workdir, "plays"), _games(workdir), game_id, after)
    rule_set = _nfl_rules(rule_set, info["season"], info["season_type"] == "POST")
    if situation.quarter >= 5 and rule_set.name != "nfl":
        raise ArgumentError(f"--after-play {after}: the state is in overtime, and {rule_set.name.upper()} overtime has "
                            "no game clock; use --rules nfl")
    sim = _simulator(sampler, workdir)
    home_team, away_team = _team(info["home"], sim, "--game home team"), _team(info["away"], sim, "--game away team")
    context = _context(sim, home_team, away_team, game_ids=[info["game_id"]])
    prime = getattr(sim.sampler, "prime_with_game", None)  # a play-head model reads the real snaps so far
    snaps = prime(info["game_id"], after, workdir) if prime is not None else None
    try:
        out = _continue(sim, rule_set, home_team, away_team, situation, context, {**info, "form": "entering the game"},
                        n, spread, total, seed, dev, real=info["real_final"], progress=progress)
    finally:
        if prime is not None:
            sim.sampler.clear_history()
    out.snaps_primed = snaps
    return out


def _continue(sim: Simulator, rule_set: Any, home: str, away: str, situation: Any, context: Any, info: dict[str, Any],
              n: int, spread: float | None, total: float | None, seed: int, dev: Any,
              real: dict[str, int] | None = None, progress: Progress | None = None) -> SituationResult:
    """Roll ``n`` copies of ``situation`` forward."""
    from scrimmage.football.simulate.engine import simulate_situation

    described = situation.describe(home, away)
    kwargs = situation.state_kwargs()
    result = _batched(lambda count, k, share: simulate_situation(sim.sampler, rule_set, home, away, kwargs, n=count,
                                                                 context=context, seed=seed + k, device=dev,
                                                                 share=share), n, progress)
    return SituationResult(
        model=sim.model, sampler_cached=sim.cached, rules=rule_set.name, home=home, away=away, info=info, n=n, seed=seed,
        device=str(dev), situation={**situation.to_dict(), "description": described}, note=situation.note,
        summary=result.summary(spread=spread, total_line=total), offense_shift=_shift(context), result=result, real=real,
    )


# --------------------------------------------------------------------------- every game of a set

@dataclass
class FidelityResult:
    """Every REG/POST game of ``seasons`` simulated ``n`` times, real beside simulated (:func:`fidelity`)."""

    model: str
    sampler_cached: bool
    rules: str
    games: str
    seasons: tuple[int, int]
    n: int
    seed: int
    device: str
    n_games: int
    report: Any = field(repr=False)
    """The :class:`~.fidelity.FidelityReport` (rows of real and simulated statistics, RMSEs, speed)."""

    def to_dict(self) -> dict[str, Any]:
        return {"model": self.model, "sampler_cached": self.sampler_cached, "rules": self.rules, "games": self.games,
                "seasons": list(self.seasons), "n": self.n, "seed": self.seed, "device": self.device,
                "fidelity": self.report.to_dict()}


def fidelity(games: str | tuple[int, int] = "test", *, sampler: str | Simulator = "empirical",
             workdir: Path | str | None = None, n: int = 1000, seed: int = 0, rules: Any = "nfl",
             device: Any = "cpu", progress: Progress | None = None,
             max_minutes: float | None = DEFAULT_MAX_MINUTES) -> FidelityResult:
    """Every REG/POST game of ``games`` (a set name, a season, ``first-last`` or a tuple) ``n`` times with its
    teams' pregame form, under its own season's NFL overtime (playoff overtime for POST games) or
    ``rules``. ``progress(done, total)`` hears the simulated games after each chunk; a request estimated
    over ``max_minutes`` is refused before the sampler is loaded."""
    from scrimmage.football.nfl.ingest import load_nfl_table
    from scrimmage.football.simulate.fidelity import evaluate_games, select_games

    workdir = resolve_workdir(workdir)
    _check_common(n, seed, max_minutes)
    seasons = game_set(games)
    label = games if isinstance(games, str) else f"{seasons[0]}-{seasons[1]}"
    rule_set, dev = check_rules(rules), check_device(device)
    table = _games(workdir)
    chosen = select_games(table, seasons)
    if chosen.empty:
        held = sorted(int(s) for s in table["season"].unique())
        raise ArgumentError(f"--games {label}: no REG/POST games in {seasons[0]}-{seasons[1]}; the data holds {_span(held)}")
    what = f"--games {label} ({len(chosen):,} games) x --n {n:,}"
    check_duration(len(chosen) * n, _kind(sampler), dev, max_minutes, what)
    check_memory(len(chosen) * n, what)
    sim = _simulator(sampler, workdir)
    drives = load_nfl_table(workdir, "drives")
    report = evaluate_games(sim.sampler, chosen, drives, rules=None if rule_set.name == "nfl" else rule_set, n=n,
                            seed=seed, device=dev, label=f"{seasons[0]}-{seasons[1]}", progress=progress)
    return FidelityResult(model=sim.model, sampler_cached=sim.cached, rules=rule_set.name, games=label,
                          seasons=seasons, n=n, seed=seed, device=str(dev), n_games=len(chosen), report=report)


# --------------------------------------------------------------------------- a season projected

@dataclass
class SeasonResult:
    """A regular season projected from a week (:func:`season`)."""

    model: str
    sampler_cached: bool
    rules: str
    season: int
    from_week: int
    n: int
    seed: int
    device: str
    games_played: int
    games_simulated: int
    form: str
    mean_abs_error: float
    """Mean absolute error of each team's projected wins against its real final wins."""
    mean_abs_error_pace: float | None
    """The same for keeping each team's win rate so far (``None`` when a team has not played)."""
    seconds: float
    teams: list[dict[str, Any]]
    """Per team: wins so far, games left, projected final wins (mean, SD, p10/p50/p90), real final wins."""
    notes: list[str] = field(default_factory=list)

    @property
    def games_per_second(self) -> float:
        return self.games_simulated * self.n / max(self.seconds, 1e-9)

    def to_dict(self) -> dict[str, Any]:
        return {"model": self.model, "sampler_cached": self.sampler_cached, "rules": self.rules, "season": self.season,
                "from_week": self.from_week, "n": self.n, "seed": self.seed, "device": self.device,
                "games_played": self.games_played, "games_simulated": self.games_simulated, "form": self.form,
                "mean_abs_error": self.mean_abs_error, "mean_abs_error_pace": self.mean_abs_error_pace,
                "seconds": round(self.seconds, 3), "teams": self.teams}


def season(season: int, from_week: int, *, sampler: str | Simulator = "empirical",
           workdir: Path | str | None = None, n: int = 1000, seed: int = 0, rules: Any = "nfl",
           device: Any = "cpu", progress: Progress | None = None,
           max_minutes: float | None = DEFAULT_MAX_MINUTES) -> SeasonResult:
    """The ``season``'s regular season projected from ``from_week``: the games before it with their real
    results, every game from it on simulated ``n`` times with its teams' form entering that week (a
    play-head model reads each real game's own pregame features)."""
    import numpy as np

    from scrimmage.football.simulate.engine import simulate
    from scrimmage.football.simulate.season import project_season, split_season

    workdir = resolve_workdir(workdir)
    _check_common(n, seed, max_minutes)
    _check_week(from_week, "--from-week")
    rule_set, dev = check_rules(rules), check_device(device)
    games = _games(workdir)
    held = sorted(int(s) for s in games.loc[games["season_type"] == "REG", "season"].unique())
    if season not in held:
        raise ArgumentError(f"--season {season} is not in the data; seasons with regular-season games: {_span(held)}")
    played, remaining = split_season(games, season, from_week)
    if remaining.empty:
        last = int(played["week"].max())
        raise ArgumentError(f"--from-week {from_week}: the {season} regular season has no games from week {from_week} "
                            f"(its last week is {last}); give 1-{last}")
    check_duration(len(remaining) * n, _kind(sampler), dev, max_minutes,
                   f"{len(remaining):,} games left x --n {n:,}")
    check_memory(len(remaining) * n, f"{len(remaining):,} games left x --n {n:,}", per_game=8)  # margins kept
    sim = _simulator(sampler, workdir)
    home, away = remaining["home_team"].astype(str).tolist(), remaining["away_team"].astype(str).tolist()
    for code in sorted(set(home) | set(away)):
        _team(code, sim, f"season {season} team")
    notes = []
    s = sim.sampler
    # every remaining game with its teams' form entering from_week: nothing from the weeks projected
    if getattr(s, "conditions_on_real_games", False):
        # a play-head model reads each real game's own pregame features (form up to that game's week)
        context = s.matchup_context(home, away, game_ids=remaining["game_id"].astype(str).tolist())
        notes.append("the model's pregame features of a later game include results after --from-week")
    else:
        context = s.matchup_context(home, away, season=season, week=from_week) if hasattr(s, "matchup_context") else None
    rule_set = _nfl_rules(rule_set, season)
    per_call = max(1, min(n, SEASON_BATCH // len(home)))
    margins, seconds = [], 0.0
    if progress is not None:
        progress(0, n * len(home))
    for k, lo in enumerate(range(0, n, per_call)):  # all remaining games in one batch per chunk of simulations
        count = min(per_call, n - lo)
        result = simulate(s, rule_set, home, away, n=count, device=dev, context=context, seed=seed + k,
                          share=within(progress, lo * len(home), count * len(home), n * len(home)))
        margins.append(result.margin.numpy().reshape(len(home), -1))  # games are ordered matchup by matchup
        seconds += result.seconds
        if progress is not None:
            progress(min(lo + per_call, n) * len(home), n * len(home))
    margin = np.concatenate(margins, axis=1)
    real_margin = (remaining["home_score"] - remaining["away_score"]).to_numpy(np.float64)
    teams = project_season(played, home, away, margin, real_remaining_margin=real_margin)
    error = float(np.mean([abs(t["mean"] - t["real_final_wins"]) for t in teams]))
    pace = None
    if all(t["played"] > 0 for t in teams):  # baseline: each team keeps its win rate so far
        pace = float(np.mean([abs(t["wins_so_far"] + t["remaining"] * t["wins_so_far"] / t["played"]
                                  - t["real_final_wins"]) for t in teams]))
    return SeasonResult(model=sim.model, sampler_cached=sim.cached, rules=rule_set.name, season=season,
                        from_week=from_week, n=n, seed=seed, device=str(dev), games_played=len(played),
                        games_simulated=len(remaining), form=f"entering week {from_week}", mean_abs_error=error,
                        mean_abs_error_pace=pace, seconds=seconds, teams=teams, notes=notes)


__all__ = [
    "BATCH",
    "GAME_SETS",
    "N_RANGE",
    "SEED_RANGE",
    "SPREAD_RANGE",
    "TOTAL_RANGE",
    "FidelityResult",
    "MatchupResult",
    "SeasonResult",
    "Simulator",
    "SituationResult",
    "after_play",
    "check_lines",
    "check_n",
    "check_seed",
    "fidelity",
    "from_state",
    "load",
    "matchup",
    "season",
]
