"""The ``nfl-pregame`` dataset: one example per game, pregame features → home/away points and margin.

Seasons are split by config (train/val/test ranges). Features are built once for all games
(each row only sees earlier games), then rows are assigned to splits by season.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import torch

from scrimmage.data.datamodule import DataBundle, InputSpec, TensorSplit
from scrimmage.errors import DataError
from scrimmage.football.common.splits import split_by_season
from scrimmage.football.common.tables import dataset_version
from scrimmage.football.nfl.ingest import ensure_nfl_tables, load_nfl_table
from scrimmage.football.nfl.lines import join_lines
from scrimmage.football.ratings.elo import elo_predictions
from scrimmage.football.ratings.form import PregameFeatureSpec, add_play_stats, build_pregame_frame
from scrimmage.football.ratings.power import RatingSpec, massey_predictions

if TYPE_CHECKING:
    from scrimmage.football.datasets.nfl_pregame import PregameDataConfig

TARGETS = ("home", "away", "margin")
TARGET_COLUMNS = ("home_score", "away_score", "margin")
LINE_COLUMNS = ("spread_home", "total_line")
ID_COLUMNS = ("game_id", "season", "week", "season_type", "date", "home_team", "away_team")


def build_nfl_pregame(cfg: PregameDataConfig, workdir: Path) -> DataBundle:
    games, lines_report = pregame_games(cfg, workdir)
    frame, feature_columns, teams = pregame_examples(games, cfg)

    splits, frames = {}, {"games": games}
    for name, part in split_by_season(frame, cfg, "games").items():
        splits[name] = _to_split(part, feature_columns)
        frames[name] = part

    categorical = {"team": (len(teams), 2)} if cfg.team_embeddings else {}
    spec = InputSpec(
        len(feature_columns), TARGETS, categorical, feature_names=tuple(feature_columns),
        vocabularies={"team": tuple(teams)},
    )
    info = {
        "dataset_version": dataset_version(workdir),
        "n_games": {name: len(split) for name, split in splits.items()},
        "n_features": len(feature_columns),
        "feature_columns": feature_columns,
        "teams": teams,
    }
    if lines_report is not None:
        info["lines"] = {k: v for k, v in lines_report.items() if k != "unmatched_examples"}
    return DataBundle(splits=splits, spec=spec, info=info, frames=frames, id_columns=ID_COLUMNS)


def pregame_games(
    cfg: PregameDataConfig, workdir: Path, fixtures: pd.DataFrame | None = None
) -> tuple[pd.DataFrame, dict | None]:
    """The games table the features are built from, and the lines join report (``None`` without ``data.lines``).

    The ingested games plus play-derived stats; then ``fixtures`` (future games whose scores are
    unknown, used by the predictor) appended; then ``data.lines`` joined, which wins over lines
    joined at ingest.
    """
    ensure_nfl_tables(workdir)  # a no-op when current tables exist
    # per-team success rate and plays come from the plays table: a modelling choice, made here, not in the ingest
    games = add_play_stats(load_nfl_table(workdir, "games"), load_nfl_table(workdir, "plays"))
    if fixtures is not None and len(fixtures):
        games = pd.concat([games, fixtures], ignore_index=True)
    lines_report = None
    if cfg.lines is not None:
        games = games.drop(columns=[c for c in LINE_COLUMNS if c in games.columns])
        games, lines_report = join_lines(games, Path(cfg.lines))
    return games, lines_report


def pregame_examples(games: pd.DataFrame, cfg: PregameDataConfig) -> tuple[pd.DataFrame, list[str], list[str]]:
    """All examples with their features (team form, optional Elo and power ratings): (frame, feature columns, teams)."""
    spec = PregameFeatureSpec(
        halflife_games=cfg.halflife_games, prior_games=cfg.prior_games, season_types=tuple(cfg.season_types)
    )
    pregame = build_pregame_frame(games, spec)
    frame = pregame.frame.reset_index(drop=True)
    feature_columns = list(pregame.feature_columns)
    if cfg.elo_features:
        frame, elo_columns = _add_elo_features(frame, games)
        feature_columns += elo_columns
    if cfg.rating_features:
        ratings = massey_predictions(games, RatingSpec(cfg.rating_halflife_days, cfg.rating_ridge))
        frame = frame.merge(ratings, left_on="game_id", right_index=True, how="left", validate="one_to_one")
        feature_columns += list(ratings.columns)
    return frame, feature_columns, pregame.teams


def _add_elo_features(frame: pd.DataFrame, games: pd.DataFrame) -> tuple[pd.DataFrame, list[str]]:
    """Pregame Elo (ratings before each game, updated over earlier games only) as features."""
    elo = elo_predictions(games).rename(
        columns={"elo_home_pre": "elo_home", "elo_away_pre": "elo_away", "pred_margin": "elo_margin",
                 "pred_home_win_prob": "elo_home_win_prob"}
    )
    columns = ["elo_home", "elo_away", "elo_margin", "elo_home_win_prob"]
    merged = frame.merge(elo[columns], left_on="game_id", right_index=True, how="left", validate="one_to_one")
    return merged, columns


def _to_split(part: pd.DataFrame, feature_columns: list[str]) -> TensorSplit:
    x = part[feature_columns].to_numpy(np.float32)
    if not np.isfinite(x).all():
        bad = [c for c in feature_columns if not np.isfinite(part[c].to_numpy(np.float64)).all()]
        raise DataError(f"pregame features contain NaN/inf in columns {bad}; rebuild with `scrimmage data nfl --force`.")
    return TensorSplit(
        {
            "x": torch.from_numpy(x),
            "cat": torch.from_numpy(part[["home_idx", "away_idx"]].to_numpy(np.int64)),
            "y": torch.from_numpy(part[list(TARGET_COLUMNS)].to_numpy(np.float32)),
        }
    )
