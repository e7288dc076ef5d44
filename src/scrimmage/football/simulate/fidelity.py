"""Fidelity: the simulator's games beside the real ones.

The same statistics are computed for real games (from the ingested games and drives tables) and
for simulated ones, so they can be printed side by side: margin (home minus away) mean and SD,
total mean and SD, the share of games decided by exactly 3 and exactly 7 points, ties, overtime
games, and the drive outcome mix. Real games are REG and POST games (preseason is left out).

Real drive results map onto the simulator's outcomes: punts and blocked punts → ``punt``;
interceptions and fumbles → ``turnover``; missed and blocked field goals → ``missed_fg``;
"End of Half" and "End of Game" → ``end_of_half``; a blocked kick that also turned over on
downs counts with the kick; drives with an unknown result are left out.

``evaluate_games`` simulates every game of a set ``n`` times with each team's pregame form (no
information from the game itself or later) and reports the table plus the RMSE of each game's
simulated mean margin against its real margin (beside the RMSE of always predicting the
simulator's overall home edge, and of the closing line when the games have one).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import torch

from scrimmage.football.simulate.engine import SimulationResult, simulate
from scrimmage.football.simulate.progress import within
from scrimmage.football.simulate.rules import NFLRules
from scrimmage.football.simulate.sampler import PlaySampler
from scrimmage.football.simulate.state import DRIVE_OUTCOMES

REAL_DRIVE_RESULTS: dict[str, str] = {
    "Touchdown": "touchdown", "Field Goal": "field_goal", "Missed FG": "missed_fg", "Blocked FG": "missed_fg",
    "Blocked FG, Downs": "missed_fg", "Punt": "punt", "Blocked Punt": "punt", "Blocked Punt, Downs": "punt",
    "Blocked Punt, Safety": "punt", "Interception": "turnover", "Fumble": "turnover", "Fumble, Safety": "turnover",
    "Downs": "downs", "Safety": "safety", "End of Half": "end_of_half", "End of Game": "end_of_half",
}
#: The statistics of a fidelity table, in print order: key → label.
ROWS: dict[str, str] = {
    "n_games": "games", "margin_mean": "margin mean", "margin_sd": "margin SD", "total_mean": "total mean",
    "total_sd": "total SD", "exactly_3": "decided by exactly 3", "exactly_7": "decided by exactly 7",
    "ties": "ties", "overtime": "overtime", "drives_per_game": "drives per game",
    **{f"drive_{name}": f"drives: {name.replace('_', ' ')}" for name in DRIVE_OUTCOMES},
}
TEST_SEASONS = (2018, 2019)
SEASON_TYPES = ("REG", "POST")


def _scores(margin: np.ndarray, total: np.ndarray, overtime: np.ndarray) -> dict[str, float]:
    return {
        "n_games": len(margin), "margin_mean": float(margin.mean()), "margin_sd": float(margin.std(ddof=1)),
        "total_mean": float(total.mean()), "total_sd": float(total.std(ddof=1)),
        "exactly_3": float((np.abs(margin) == 3).mean()), "exactly_7": float((np.abs(margin) == 7).mean()),
        "ties": float((margin == 0).mean()), "overtime": float(overtime.mean()),
    }


def select_games(games: pd.DataFrame, seasons: tuple[int, int]) -> pd.DataFrame:
    """REG and POST games of ``seasons`` (inclusive), in date order."""
    first, last = seasons
    kept = games[games["season_type"].isin(SEASON_TYPES) & games["season"].between(first, last)]
    return kept.sort_values(["date", "game_id"], kind="stable").reset_index(drop=True)


def real_statistics(games: pd.DataFrame, drives: pd.DataFrame) -> dict[str, float]:
    """The fidelity statistics of real ``games`` (already selected) from the games and drives tables."""
    margin = (games["home_score"] - games["away_score"]).to_numpy(np.float64)
    total = (games["home_score"] + games["away_score"]).to_numpy(np.float64)
    d = drives[drives["game_id"].isin(set(games["game_id"]))]
    ot_games = set(d.loc[(d["qtr"] >= 5) | (d["end_qtr"] >= 5), "game_id"])
    overtime = games["game_id"].isin(ot_games).to_numpy(np.float64)
    out = _scores(margin, total, overtime)
    kind = d["result"].map(REAL_DRIVE_RESULTS).dropna()
    shares = kind.value_counts(normalize=True)
    out["drives_per_game"] = float(len(kind) / max(len(games), 1))
    out |= {f"drive_{name}": float(shares.get(name, 0.0)) for name in DRIVE_OUTCOMES}
    return out


def simulated_statistics(result: SimulationResult) -> dict[str, float]:
    margin = result.margin.numpy().astype(np.float64)
    total = result.total.numpy().astype(np.float64)
    out = _scores(margin, total, result.overtime.numpy().astype(np.float64))
    drives = result.drive_outcomes.sum(0).double()
    out["drives_per_game"] = float(drives.sum() / max(result.n_games, 1))
    out |= {f"drive_{name}": float(drives[k] / max(float(drives.sum()), 1.0)) for k, name in enumerate(DRIVE_OUTCOMES)}
    return out


@dataclass
class FidelityReport:
    """Real beside simulated for one set of games (``rows``: statistic → {real, simulated})."""

    label: str
    rows: dict[str, dict[str, float]]
    games: int
    sims_per_game: int
    rmse: dict[str, float] = field(default_factory=dict)
    seconds: float = 0.0
    games_per_second: float = 0.0
    unfinished: int = 0

    def to_dict(self) -> dict[str, Any]:
        return {"label": self.label, "games": self.games, "sims_per_game": self.sims_per_game, "rows": self.rows,
                "rmse": self.rmse, "seconds": self.seconds, "games_per_second": self.games_per_second,
                "unfinished": self.unfinished}


def compare(label: str, real: dict[str, float], simulated: dict[str, float], sims_per_game: int) -> FidelityReport:
    rows = {key: {"real": real.get(key, float("nan")), "simulated": simulated.get(key, float("nan"))} for key in ROWS}
    return FidelityReport(label, rows, int(real["n_games"]), sims_per_game)


def evaluate_games(
    sampler: PlaySampler,
    games: pd.DataFrame,
    drives: pd.DataFrame,
    rules: NFLRules | None = None,
    n: int = 100,
    seed: int = 0,
    device: str | torch.device = "cpu",
    label: str = "",
    max_batch: int = 200_000,
    progress: Callable[[int, int], None] | None = None,
) -> FidelityReport:
    """Simulate every game of ``games`` ``n`` times (each with its teams' pregame form when the
    sampler has ``matchup_context``) and compare with the real games (see the module docstring).

    ``rules=None``: each game under its own season's NFL rules (:meth:`NFLRules.for_season`: the
    overtime of its era, playoff overtime for POST games). Games run in chunks of at most
    ``max_batch`` simulated games (memory), one rule set per chunk; chunk ``i`` is seeded with
    ``seed + i``. ``progress(done, total)`` is called after each chunk with the simulated games so far, and
    while a chunk runs with its share of game time played (:func:`~.progress.within`).
    """
    games = games.reset_index(drop=True)
    home, away = games["home_team"].tolist(), games["away_team"].tolist()
    ids = games["game_id"].tolist()
    if rules is None:
        per_game = [NFLRules.for_season(int(s), t == "POST") for s, t in zip(games["season"], games["season_type"], strict=True)]
    else:
        per_game = [rules] * len(games)
    groups: dict[Any, list[int]] = {}
    for i, r in enumerate(per_game):
        groups.setdefault(r.key() if hasattr(r, "key") else id(r), []).append(i)
    per_chunk = max(1, max_batch // n)
    total, done = len(games) * n, 0
    if progress is not None:
        progress(0, total)
    results: list[SimulationResult] = []
    order: list[int] = []
    for rows in groups.values():
        for lo in range(0, len(rows), per_chunk):
            chunk = rows[lo:lo + per_chunk]
            h, a = [home[i] for i in chunk], [away[i] for i in chunk]
            context = None
            if hasattr(sampler, "matchup_context"):
                context = sampler.matchup_context(h, a, game_ids=[ids[i] for i in chunk])
            results.append(simulate(sampler, per_game[chunk[0]], h, a, n=n, device=device, context=context,
                                    seed=seed + len(results), share=within(progress, done, len(chunk) * n, total)))
            order += chunk
            done += len(chunk) * n
            if progress is not None:
                progress(done, total)
    result = _concat(results, n)
    report = compare(label, real_statistics(games, drives), simulated_statistics(result), n)
    real_margin = (games["home_score"] - games["away_score"]).to_numpy(np.float64)
    predicted = np.empty(len(games))
    predicted[np.asarray(order)] = result.mean_margin_by_matchup().numpy()
    report.rmse = {"simulated_mean_margin": float(np.sqrt(np.mean((predicted - real_margin) ** 2))),
                   "constant_home_edge": float(np.sqrt(np.mean((float(predicted.mean()) - real_margin) ** 2)))}
    if "spread_home" in games and games["spread_home"].notna().any():
        lined = games["spread_home"].notna().to_numpy()
        line = -games.loc[lined, "spread_home"].to_numpy(np.float64)
        report.rmse["closing_line"] = float(np.sqrt(np.mean((line - real_margin[lined]) ** 2)))
        report.rmse["simulated_mean_margin_on_lined_games"] = float(np.sqrt(np.mean((predicted[lined] - real_margin[lined]) ** 2)))
    report.seconds = float(sum(r.seconds for r in results))
    report.games_per_second = result.n_games / report.seconds if report.seconds > 0 else float("nan")
    report.unfinished = int((~result.finished).sum())
    return report


def _concat(results: list[SimulationResult], n: int) -> SimulationResult:
    offset, matchups = 0, []
    parts = []
    for r in results:
        parts.append(r.matchup + offset)
        offset += len(r.matchups)
        matchups += r.matchups
    cat = {name: torch.cat([getattr(r, name) for r in results]) for name in
           ("home_score", "away_score", "overtime", "finished", "stats", "drive_outcomes")}
    return SimulationResult(**cat, matchup=torch.cat(parts), matchups=matchups,
                            steps=max(r.steps for r in results), seconds=sum(r.seconds for r in results),
                            device=results[0].device)
