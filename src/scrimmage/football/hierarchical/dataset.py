"""The ``nfl-games`` dataset: one example per game, its snaps in order, padded with a mask.

Tensors of a split (``G`` games, ``T`` = the split's longest game in snaps; nothing is truncated,
``info["longest_game"]`` says how long that is):

* ``x`` ``[G, T, F]``: the state before each snap, the nfl-playcall recipe's features (down,
  distance, yard line, quarter, clock, score difference, possession, season ...) plus the home
  and away score before the snap, the drive number, the play number in the drive and in the
  game, then (``pregame_features``) the nfl-pregame recipe's features of the game repeated at
  every snap. Timeouts remaining are not derivable (the ingest drops timeout entries; see
  :mod:`scrimmage.football.playcall`), so they are not a feature.
* ``cat`` ``[G, T, C]``: offense and defense ids (group ``team``, 2 columns) and the season id
  (group ``season``: seasons after / before the training range map to the last / first training
  season, so a held-out season never reads an untrained embedding).
* ``mask`` ``[G, T]``: true on real snaps; padding at the end.
* Play targets (per step): ``play_type`` (class ids of the playcall classes: run, pass incl. sacks
  and scrambles, punt, field goal, kneel, spike), ``play_flags`` ``[G, T, 6]`` (first down,
  touchdown, turnover, sack, penalty, explosive >= 20 yards), ``yards`` (yards gained) and
  ``yard_bin`` (its bin of :data:`~.constants.YARD_BINS`).
* Drive targets (per step, of the drive the snap belongs to): ``drive_outcome`` (class ids of
  :data:`~.constants.DRIVE_OUTCOMES`, -1 where the drives table has no usable result) and
  ``drive_metrics`` ``[G, T, 5]`` (yards, plays, seconds, first downs, penalty yards).
* Game targets (per game): ``game_points`` ``[G, 2]`` (final home, away) and ``game_stats``
  ``[G, 20]`` (:data:`~.constants.STAT_GROUPS`: box-score volume; yards per rush / pass,
  completion rate and third-down rate; plays of 20+ and 40+ yards from the plays table).
* State (raw, not inputs; for the consistency loss and live metrics): ``score_before`` ``[G, T, 2]``
  (home, away), ``yards_to_goal`` and ``play_in_drive`` ``[G, T]``.

Vectorised: every per-play array is scattered into ``[G, T]`` with one fancy-index assignment.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import torch

from scrimmage.data.datamodule import DataBundle, InputSpec, TensorSplit
from scrimmage.errors import DataError
from scrimmage.football.configs import HierarchicalDataConfig, PlaycallDataConfig, PregameDataConfig
from scrimmage.football.hierarchical.constants import (
    DRIVE_METRICS,
    DRIVE_OUTCOMES,
    DRIVE_RESULT_MAP,
    EXPLOSIVE_YARDS,
    GAME_STATS,
    PLAY_FLAGS,
    YARD_BINS,
)
from scrimmage.football.ingest import ensure_nfl_tables, load_nfl_table
from scrimmage.football.playcall import _dataset_version, playcall_examples
from scrimmage.football.pregame import pregame_examples, pregame_games
from scrimmage.football.splits import split_by_season

EXTRA_FEATURES = ("home_score_before", "away_score_before", "drive_number", "play_in_drive", "play_number")
ID_COLUMNS = ("game_id", "season", "week", "season_type", "home_team", "away_team")
GAME_COLUMNS = ("game_id", "season", "week", "season_type", "date", "home_team", "away_team", "home_score",
                "away_score", "spread_home", "total_line")


def yard_bin(yards: np.ndarray) -> np.ndarray:
    """Index of each yardage in :data:`YARD_BINS` (values outside the range go to the end bins)."""
    lows = np.array([lo for lo, _ in YARD_BINS])
    return np.clip(np.searchsorted(lows, np.asarray(yards), side="right") - 1, 0, len(YARD_BINS) - 1)


def build_nfl_games(cfg: HierarchicalDataConfig, workdir: Path) -> DataBundle:
    ensure_nfl_tables(workdir)
    plays = load_nfl_table(workdir, "plays")
    drives = load_nfl_table(workdir, "drives")
    pregame_cfg = PregameDataConfig(
        name="nfl-pregame", lines=cfg.lines, season_types=list(cfg.season_types), halflife_games=cfg.halflife_games,
        prior_games=cfg.prior_games,
    )
    games, lines_report = pregame_games(pregame_cfg, workdir)
    playcall_cfg = PlaycallDataConfig(name="nfl-playcall", season_types=list(cfg.season_types))
    snaps, snap_columns, classes, teams, excluded = playcall_examples(plays, games, playcall_cfg)
    if tuple(classes) != cfg.class_names():
        raise DataError(f"play classes {classes} differ from the ones the config declares {cfg.class_names()}")

    pregame_columns: list[str] = []
    if cfg.pregame_features:
        pregame, pregame_columns, _ = pregame_examples(games, pregame_cfg)
        pregame = pregame.set_index("game_id")[pregame_columns]
    game_frame = _game_frame(games, cfg, snaps)
    if cfg.pregame_features:
        game_frame = game_frame[game_frame["game_id"].isin(pregame.index)].reset_index(drop=True)
    snaps = snaps[snaps["game_id"].isin(set(game_frame["game_id"]))]
    snaps = _add_play_targets(snaps, drives)
    snaps = snaps.sort_values(["game_id", "play_index"], kind="stable").reset_index(drop=True)
    game_frame = game_frame.sort_values("game_id", kind="stable").reset_index(drop=True)
    stats = _game_stats(game_frame, plays)

    g_index = pd.Index(game_frame["game_id"]).get_indexer(snaps["game_id"])
    pos = snaps.groupby("game_id", sort=False).cumcount().to_numpy()
    snaps["play_number"] = pos + 1
    lengths = np.bincount(g_index, minlength=len(game_frame))
    game_frame["n_plays"] = lengths

    features = list(snap_columns) + list(EXTRA_FEATURES)
    per_play = snaps[features].to_numpy(np.float32)
    if pregame_columns:
        per_game = pregame.loc[game_frame["game_id"], pregame_columns].to_numpy(np.float32)
        per_play = np.concatenate([per_play, per_game[g_index]], axis=1)
        features += pregame_columns
    if not np.isfinite(per_play).all():
        bad = [f for i, f in enumerate(features) if not np.isfinite(per_play[:, i]).all()]
        raise DataError(f"nfl-games features contain NaN/inf in columns {bad}; rebuild with `scrimmage data nfl --force`.")

    first, last = cfg.train_seasons
    season_id = np.clip(snaps["season"].to_numpy(np.int64), first, last) - first
    cat_columns = [snaps["offense_idx"].to_numpy(np.int64), snaps["defense_idx"].to_numpy(np.int64)] if cfg.team_embeddings else []
    if cfg.season_embedding:
        cat_columns.append(season_id)
    per_step = {
        "x": per_play,
        "play_type": snaps["y"].to_numpy(np.int64),
        "play_flags": snaps[[f"flag_{f}" for f in PLAY_FLAGS]].to_numpy(np.float32),
        "yards": snaps["yards_gained"].to_numpy(np.float32),
        "yard_bin": yard_bin(snaps["yards_gained"].to_numpy(np.int64)),
        "drive_outcome": snaps["drive_outcome"].to_numpy(np.int64),
        "drive_metrics": snaps[[f"drive_{m}" for m in DRIVE_METRICS]].to_numpy(np.float32),
        "score_before": snaps[["home_score_before", "away_score_before"]].to_numpy(np.float32),
        # yardline_100 counts from the offense's own goal line (own 20 -> 20): the goal is 100 - it away
        "yards_to_goal": 100.0 - snaps["yardline_100"].to_numpy(np.float32),
        "play_in_drive": snaps["play_in_drive"].to_numpy(np.float32),
    }
    if cat_columns:
        per_step["cat"] = np.stack(cat_columns, axis=1)
    per_game_targets = {
        "game_points": game_frame[["home_score", "away_score"]].to_numpy(np.float32),
        "game_stats": stats,
    }

    splits, frames = {}, {"games": games}
    game_frame["row"] = np.arange(len(game_frame))
    used = []
    for name, part in split_by_season(game_frame, cfg, "games").items():
        rows = part["row"].to_numpy()
        used.append(rows)
        splits[name] = _pad(rows, g_index, pos, lengths, per_step, per_game_targets)
        frames[name] = part.drop(columns="row")

    categorical = {}
    if cfg.team_embeddings:
        categorical["team"] = (len(teams), 2)
    if cfg.season_embedding:
        categorical["season"] = (last - first + 1, 1)
    spec = InputSpec(
        len(features), ("home", "away", "margin"), categorical, feature_names=tuple(features), class_names=tuple(classes),
        vocabularies={"team": tuple(teams)} if cfg.team_embeddings else {},
    )
    used_rows = np.concatenate(used)
    longest_row = int(used_rows[lengths[used_rows].argmax()])
    info = {
        "dataset_version": _dataset_version(workdir),
        "n_games": {name: len(split) for name, split in splits.items()},
        "n_plays": {name: int(split.tensors["mask"].sum()) for name, split in splits.items()},
        "longest_game": {"plays": int(lengths[longest_row]), "game_id": str(game_frame["game_id"].iloc[longest_row])},
        "steps_per_split": {name: int(split.tensors["mask"].shape[1]) for name, split in splits.items()},
        "n_features": len(features),
        "feature_columns": features,
        "classes": list(classes),
        "excluded_plays": excluded,
        "drive_outcome_unknown": int((snaps["drive_outcome"] < 0).sum()),
    }
    if lines_report is not None:
        info["lines"] = {k: v for k, v in lines_report.items() if k != "unmatched_examples"}
    return DataBundle(splits=splits, spec=spec, info=info, frames=frames, id_columns=ID_COLUMNS)


def _game_frame(games: pd.DataFrame, cfg: HierarchicalDataConfig, snaps: pd.DataFrame) -> pd.DataFrame:
    frame = games[games["season_type"].isin(cfg.season_types) & games["game_id"].isin(set(snaps["game_id"]))].copy()
    for column in ("spread_home", "total_line"):
        if column not in frame.columns:
            frame[column] = np.nan
    return frame[list(GAME_COLUMNS) + [c for c in frame.columns if c.startswith(("home_", "away_")) and c not in GAME_COLUMNS]]


def _add_play_targets(snaps: pd.DataFrame, drives: pd.DataFrame) -> pd.DataFrame:
    out = snaps.copy()
    yards = out["yards_gained"].to_numpy(np.int64)
    out["flag_first_down"] = out["first_down"].astype(np.float32)
    out["flag_touchdown"] = out["touchdown"].astype(np.float32)
    out["flag_turnover"] = out["turnover"].astype(np.float32)
    out["flag_sack"] = ((out["play_type"] == "sack") | out["desc"].str.contains(" sacked", regex=False)).astype(np.float32)
    out["flag_penalty"] = out["penalty"].astype(np.float32)
    out["flag_explosive"] = (yards >= EXPLOSIVE_YARDS).astype(np.float32)
    d = drives[["game_id", "drive_id", "result", "yards", "plays", "top_sec", "first_downs", "penalty_yds"]].rename(
        columns={"yards": "drive_yards", "plays": "drive_plays", "top_sec": "drive_seconds",
                 "first_downs": "drive_first_downs", "penalty_yds": "drive_penalty_yards"})
    out = out.merge(d, on=["game_id", "drive_id"], how="left", validate="many_to_one")
    outcome = out["result"].map(DRIVE_RESULT_MAP).map({name: i for i, name in enumerate(DRIVE_OUTCOMES)})
    out["drive_outcome"] = outcome.fillna(-1).astype(np.int64)
    for m in DRIVE_METRICS:
        out[f"drive_{m}"] = out[f"drive_{m}"].fillna(0).astype(np.float32)
    out = out.sort_values(["game_id", "play_index"], kind="stable")
    out["drive_number"] = out["drive_id"].astype(np.float32)
    out["play_in_drive"] = (out.groupby(["game_id", "drive_id"], sort=False).cumcount() + 1).astype(np.float32)
    out["home_score_before"] = out["home_score_before"].astype(np.float32)
    out["away_score_before"] = out["away_score_before"].astype(np.float32)
    return out


def _game_stats(frame: pd.DataFrame, plays: pd.DataFrame) -> np.ndarray:
    """``[G, 20]`` in :data:`GAME_STATS` order: box-score volume, efficiency and explosive plays."""
    snaps = plays[plays["play_type"].isin(["run", "pass", "sack"]) & plays["game_id"].isin(set(frame["game_id"]))]
    passes = snaps[snaps["play_type"] == "pass"]
    complete = ~passes["desc"].str.contains("incomplete|intercepted", case=False, regex=True)
    third = snaps[snaps["down"] == 3]
    converted = third["first_down"] | third["touchdown"]
    keyed = {
        "completions": complete.groupby([passes["game_id"], passes["posteam"]]).sum(),
        "passes": passes.groupby(["game_id", "posteam"]).size(),
        "third_conv": converted.groupby([third["game_id"], third["posteam"]]).sum(),
        "third_att": third.groupby(["game_id", "posteam"]).size(),
        "plays_20": (snaps["yards_gained"] >= 20).groupby([snaps["game_id"], snaps["posteam"]]).sum(),
        "plays_40": (snaps["yards_gained"] >= 40).groupby([snaps["game_id"], snaps["posteam"]]).sum(),
    }
    values = {}
    for side in ("home", "away"):
        key = pd.MultiIndex.from_arrays([frame["game_id"], frame[f"{side}_team"]])
        got = {k: v.reindex(key).fillna(0).to_numpy(np.float64) for k, v in keyed.items()}
        rush_att = frame[f"{side}_rush_att"].to_numpy(np.float64)
        pass_att = frame[f"{side}_pass_att"].to_numpy(np.float64)
        values[f"{side}_rush_yds"] = frame[f"{side}_rush_yds"].to_numpy(np.float64)
        values[f"{side}_pass_yds"] = frame[f"{side}_pass_yds"].to_numpy(np.float64)
        values[f"{side}_rush_att"] = rush_att
        values[f"{side}_pass_att"] = pass_att
        values[f"{side}_yards_per_rush"] = values[f"{side}_rush_yds"] / np.maximum(rush_att, 1)
        values[f"{side}_yards_per_pass"] = values[f"{side}_pass_yds"] / np.maximum(pass_att, 1)
        values[f"{side}_completion_rate"] = got["completions"] / np.maximum(got["passes"], 1)
        values[f"{side}_third_down_rate"] = got["third_conv"] / np.maximum(got["third_att"], 1)
        values[f"{side}_plays_20"] = got["plays_20"]
        values[f"{side}_plays_40"] = got["plays_40"]
    return np.stack([values[name] for name in GAME_STATS], axis=1).astype(np.float32)


def _pad(rows: np.ndarray, g_index: np.ndarray, pos: np.ndarray, lengths: np.ndarray,
         per_step: dict[str, np.ndarray], per_game: dict[str, np.ndarray]) -> TensorSplit:
    """The split's games ``rows`` as ``[G, T, ...]`` tensors, T = its longest game, padding at the end."""
    local = np.full(len(lengths), -1)
    local[rows] = np.arange(len(rows))
    keep = local[g_index] >= 0
    gi, ti = local[g_index[keep]], pos[keep]
    steps = int(lengths[rows].max())
    tensors: dict[str, torch.Tensor] = {}
    for name, values in per_step.items():
        fill = -1 if name == "drive_outcome" else 0
        out = np.full((len(rows), steps, *values.shape[1:]), fill, dtype=values.dtype)
        out[gi, ti] = values[keep]
        tensors[name] = torch.from_numpy(out)
    mask = np.zeros((len(rows), steps), dtype=bool)
    mask[gi, ti] = True
    tensors["mask"] = torch.from_numpy(mask)
    for name, values in per_game.items():
        tensors[name] = torch.from_numpy(np.ascontiguousarray(values[rows]))
    return TensorSplit(tensors)
