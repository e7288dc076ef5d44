"""The ``nfl-games`` predictor: ``scrimmage predict RUN --season 2019 --week 10`` for a hierarchical model.

Per selected game: the **pregame projection** (the game head before the first snap, averaged
over which side receives the opening kickoff, see
:meth:`~scrimmage.football.simulate.neural.NeuralPlaySampler.opening_projection`) and the **simulated distribution**
(``--sims`` games from kickoff with the model's play head under the season's NFL rules: mean
and SD of each side's points, the margin and the total, the home win probability and, where the
games carry closing lines, cover and over probabilities), beside the real result when the game
has been played. ``--sims 0`` skips the simulation. The simulation shows progress on stderr, and a
request estimated over ``--max-minutes`` (default 60, at the documented 500 games/s of a play
head) is refused before the sampler is built (:mod:`~scrimmage.football.simulate.progress`).

Selection is the ``nfl-pregame`` predictor's (``--season``, ``--week``, ``--season-type``); the
features come from the ingested tables by the training's own code. Future fixtures
(``--games FILE.csv``) are not supported for this model yet: their pregame features exist, but
the fixture rows are not wired into the sampler's game table.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import torch
from pydantic import Field

from scrimmage.errors import ArgumentError
from scrimmage.football.predictors.pregame import PredictQuery, parse_query, select_games
from scrimmage.football.simulate.progress import (
    DEFAULT_MAX_MINUTES,
    ProgressCallback,
    StderrProgress,
    check_duration,
    check_memory,
    within,
)

if TYPE_CHECKING:
    from scrimmage.export.checkpoint import LoadedModel

DATASET = "nfl-games"


class HierarchicalQuery(PredictQuery):
    """The pregame selection plus how many games to simulate per selected game."""

    sims: int = Field(1000, ge=0, le=100_000, description="Games to simulate per selected game, 0-100,000 (0 = no "
                      "simulation); see --max-minutes.")
    seed: int = Field(0, ge=0, le=2**32 - 1, description="Seed of the simulations, 0 to 4294967295 (2^32 - 1).")
    max_minutes: float = Field(DEFAULT_MAX_MINUTES, ge=0, allow_inf_nan=False,
                               description="Refuse a --sims request estimated (selected games x --sims at the documented "
                               "500 games/s of a play head on a CPU) to take longer than this many minutes; 0 = no limit.")


def predict_games(loaded: LoadedModel, workdir: Path, progress: ProgressCallback | None = None,
                  **query: Any) -> list[dict[str, Any]]:
    """One dict per selected game: pregame projection, simulated distribution, real result (see the module docstring).

    ``progress(done, total)`` hears the simulated games after each season's batch; without one the
    simulation is shown on stderr (:class:`~scrimmage.football.simulate.progress.StderrProgress`: a bar on
    a terminal, else a line every 10 s), since ``scrimmage predict`` knows no dataset; pass
    ``progress=lambda done, total: None`` for silence. A ``--sims`` request estimated over
    ``--max-minutes`` is refused before the sampler is built."""
    from scrimmage.football.nfl.ingest import load_nfl_table, require_nfl_tables
    from scrimmage.football.simulate.neural import NeuralPlaySampler

    if progress is not None and not callable(progress):  # `--progress x` typed on the command line
        query, progress = {**query, "progress": progress}, None
    q = parse_query(query, HierarchicalQuery, DATASET)
    if q.games is not None:
        raise ArgumentError("--games FILE.csv (future fixtures) is not supported for the hierarchical model yet; "
                            "predict games in the data with --season 2019 [--week 10]")
    require_nfl_tables(workdir, "predict")  # never ingests: a workdir without current tables is an error
    # the selection checked on the games table first (the same games the sampler's frame covers), so a
    # season or week the data lacks fails before the sampler is built
    games = load_nfl_table(workdir, "games")
    selected = select_games(games[games["season_type"].isin(loaded.config.data.season_types)], q, loaded.config.data)
    if q.sims:
        what = f"--sims {q.sims:,} x {len(selected):,} selected games"
        check_duration(len(selected) * q.sims, "model", "cpu", q.max_minutes, what)
        check_memory(len(selected) * q.sims, what)
    sampler = NeuralPlaySampler.from_checkpoint(loaded, workdir)
    frame = sampler.games.reset_index()
    chosen = select_games(frame, q, loaded.config.data)
    if chosen.empty:
        return []
    home, away, ids = chosen["home_team"].tolist(), chosen["away_team"].tolist(), chosen["game_id"].tolist()
    context = sampler.matchup_context(home, away, game_ids=ids)
    opening = {k: v.numpy() for k, v in sampler.opening_projection(home, away, context).items()}
    rows: list[dict[str, Any]] = []
    for i, gid in enumerate(ids):
        real = chosen.iloc[i]
        row: dict[str, Any] = {
            "game_id": gid, "season": int(chosen["season"].iloc[i]), "week": int(chosen["week"].iloc[i]),
            "home": home[i], "away": away[i], "home_points": float(opening["home_points"][i]),
            "away_points": float(opening["away_points"][i]), "margin": float(opening["margin"][i]),
            "home_win_prob": float(opening["home_win_prob"][i]),
        }
        rows.append(row | _lines(real) | _result(real))
    if q.sims:
        if progress is None:
            with StderrProgress() as shown:
                _simulate(sampler, chosen, context, rows, q.sims, q.seed, shown)
        else:
            _simulate(sampler, chosen, context, rows, q.sims, q.seed, progress)
    return rows


def _simulate(sampler: Any, chosen: Any, context: dict[str, torch.Tensor], rows: list[dict[str, Any]], n: int,
              seed: int, progress: ProgressCallback) -> None:
    from scrimmage.football.simulate.engine import simulate
    from scrimmage.football.simulate.rules import NFLRules

    total, done = len(chosen) * n, 0
    progress(0, total)
    for (season, kind), part in chosen.reset_index(drop=True).groupby(["season", "season_type"], sort=False):
        index = part.index.to_numpy()
        ctx = {k: v[torch.tensor(index, dtype=torch.long)] for k, v in context.items()}  # a copy: the index may be read-only
        result = simulate(sampler, NFLRules.for_season(int(season), kind == "POST"), part["home_team"].tolist(),
                          part["away_team"].tolist(), n=n, context=ctx, seed=seed,
                          share=within(progress, done, len(part) * n, total))
        done += len(part) * n
        progress(done, total)
        for j, i in enumerate(index):
            row = rows[i]
            s = result.summary(result.rows(j), spread=row.get("spread_home"), total_line=row.get("total_line"))
            row |= {"sim_home_points": s["home_points"]["mean"], "sim_away_points": s["away_points"]["mean"],
                    "sim_margin": s["margin"]["mean"], "sim_margin_sd": s["margin"]["sd"],
                    "sim_total": s["total"]["mean"], "sim_home_win": s["home_win"] + s["tie"] / 2}
            if "spread" in s:
                row["sim_home_cover"] = s["spread"]["home_cover"]
            if "total_line" in s:
                row["sim_over"] = s["total_line"]["over"]


def _lines(real: Any) -> dict[str, Any]:
    out = {}
    for column in ("spread_home", "total_line"):
        value = real.get(column) if hasattr(real, "get") else None
        if value is not None and not (isinstance(value, float) and np.isnan(value)):
            out[column] = float(value)
    return out


def _result(real: Any) -> dict[str, Any]:
    home, away = real.get("home_score"), real.get("away_score")
    if home is None or away is None or (isinstance(home, float) and np.isnan(home)):
        return {}
    return {"home_score": int(home), "away_score": int(away)}
