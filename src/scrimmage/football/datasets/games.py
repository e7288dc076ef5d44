"""The ``nfl-games`` and ``cfb-games`` datasets: one example per game, its snaps in order, padded with a mask.

Both are :func:`build_games_dataset` over one league's tables (:class:`LeagueTables`): the NFL's
split by season (:func:`build_nfl_games`), college's by week of one season (:func:`build_cfb_games`,
which adds the neutral-site and division flags as per-play features and a rare-team bucket).

Tensors of a split (``G`` games, ``T`` = the split's longest game in snaps; nothing is truncated,
``info["longest_game"]`` says how long that is):

* ``x`` ``[G, T, F]``: the state before each snap, the nfl-playcall recipe's features (down,
  distance, yard line, quarter, clock, score difference, possession, season ...) plus the home
  and away score before the snap, the drive number, the play number in the drive and in the
  game, then (``pregame_features``) the nfl-pregame recipe's features of the game repeated at
  every snap. Timeouts remaining are not derivable (the ingest drops timeout entries; see
  :mod:`scrimmage.football.datasets.playcall`), so they are not a feature.
* ``cat`` ``[G, T, C]``: offense and defense ids (group ``team``, 2 columns) and the season id
  (group ``season``: seasons after / before the training range map to the last / first training
  season, so a held-out season never reads an untrained embedding).
* ``mask`` ``[G, T]``: true on real snaps; padding at the end.
* Play targets (per step): ``play_type`` (class ids of the playcall classes: run, pass incl. sacks
  and scrambles, punt, field goal, kneel, spike), ``play_flags`` ``[G, T, 6]`` (first down,
  touchdown, turnover, sack, penalty, explosive >= 20 yards), ``yards`` (yards gained) and
  ``yard_bin`` (its bin of :data:`~.targets.YARD_BINS`).
* Drive targets (per step, of the drive the snap belongs to): ``drive_outcome`` (class ids of
  :data:`~.targets.DRIVE_OUTCOMES`, -1 where the drives table has no usable result) and
  ``drive_metrics`` ``[G, T, 5]`` (yards, plays, seconds, first downs, penalty yards).
* Game targets (per game): ``game_points`` ``[G, 2]`` (final home, away) and ``game_stats``
  ``[G, 20]`` (:data:`~.targets.STAT_GROUPS`: box-score volume; yards per rush / pass,
  completion rate and third-down rate; plays of 20+ and 40+ yards from the plays table).
* State (raw, not inputs; for the consistency loss and live metrics): ``score_before`` ``[G, T, 2]``
  (home, away), ``yards_to_goal`` and ``play_in_drive`` ``[G, T]``.

Vectorised: every per-play array is scattered into ``[G, T]`` with one fancy-index assignment.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import torch

from scrimmage.data.datamodule import DataBundle, InputSpec, TensorSplit
from scrimmage.errors import DataError
from scrimmage.football.common.splits import split_by_season, split_by_week
from scrimmage.football.common.tables import dataset_version
from scrimmage.football.datasets.nfl_playcall import PlaycallDataConfig
from scrimmage.football.datasets.nfl_pregame import PregameDataConfig
from scrimmage.football.datasets.playcall import playcall_examples
from scrimmage.football.datasets.pregame import pregame_examples, pregame_games
from scrimmage.football.datasets.targets import (
    DRIVE_METRICS,
    DRIVE_OUTCOMES,
    DRIVE_RESULT_MAP,
    EXPLOSIVE_YARDS,
    GAME_STATS,
    PLAY_FLAGS,
    YARD_BINS,
)
from scrimmage.football.nfl.ingest import ensure_nfl_tables, load_nfl_table
from scrimmage.football.ratings.form import add_play_stats

if TYPE_CHECKING:
    from scrimmage.football.datasets.cfb_games import CfbGamesConfig
    from scrimmage.football.datasets.nfl_games import HierarchicalDataConfig

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
    tables = LeagueTables(plays, drives, games, lines_report, dataset_version(workdir), "`scrimmage data nfl --force`")
    return build_games_dataset(
        cfg, tables, pregame_cfg, list(cfg.season_types), lambda frame: split_by_season(frame, cfg, "games"),
        season_range=tuple(cfg.train_seasons) if cfg.season_embedding else None,
    )


@dataclass(frozen=True)
class LeagueTables:
    """One league's ingested tables as :func:`build_games_dataset` reads them."""

    plays: pd.DataFrame
    drives: pd.DataFrame
    games: pd.DataFrame  #: the games table plus play-derived stats (``add_play_stats``) and any lines
    lines_report: dict | None
    dataset_version: str
    rebuild: str  #: the command that rebuilds the tables, named in data errors


#: ``(snaps, game frame, training rows of the game frame) -> (offense ids, defense ids, team vocabulary)``
TeamRule = Callable[[pd.DataFrame, pd.DataFrame, np.ndarray], tuple[np.ndarray, np.ndarray, list[str]]]


def build_games_dataset(
    cfg: HierarchicalDataConfig | CfbGamesConfig,
    tables: LeagueTables,
    pregame_cfg: PregameDataConfig,
    season_types: list[str],
    split_rule: Callable[[pd.DataFrame], dict[str, pd.DataFrame]],
    *,
    season_range: tuple[int, int] | None = None,
    team_rule: TeamRule | None = None,
    game_features: pd.DataFrame | None = None,
    frame_columns: tuple[str, ...] = (),
    info: dict | None = None,
) -> DataBundle:
    """The games dataset of any league's tables (see the module docstring).

    ``split_rule`` maps the game frame to ``{train, val, test}`` (seasons, weeks ...);
    ``season_range`` (first, last training season) adds the season embedding; ``team_rule``
    replaces the play-call recipe's team ids (default: one id per team of the plays table);
    ``game_features`` (float columns indexed by ``game_id``) are repeated at every play after the
    snap features; ``frame_columns`` of the games table are kept in the split frames; ``info`` is
    merged into the bundle's info.
    """
    plays, drives, games = tables.plays, tables.drives, tables.games
    playcall_cfg = PlaycallDataConfig(name="nfl-playcall", season_types=list(season_types))
    snaps, snap_columns, classes, teams, excluded = playcall_examples(plays, games, playcall_cfg)
    if tuple(classes) != cfg.class_names():
        raise DataError(f"play classes {classes} differ from the ones the config declares {cfg.class_names()}")

    pregame_columns: list[str] = []
    if cfg.pregame_features:
        pregame, pregame_columns, _ = pregame_examples(games, pregame_cfg)
        pregame = pregame.set_index("game_id")[pregame_columns]
    game_frame = _game_frame(games, season_types, snaps, frame_columns)
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
    game_frame["row"] = np.arange(len(game_frame))
    parts = split_rule(game_frame)

    features = list(snap_columns) + list(EXTRA_FEATURES)
    per_play = snaps[features].to_numpy(np.float32)
    if game_features is not None:
        context = game_features.loc[game_frame["game_id"]].to_numpy(np.float32)
        per_play = np.concatenate([per_play, context[g_index]], axis=1)
        features += list(game_features.columns)
    if pregame_columns:
        per_game = pregame.loc[game_frame["game_id"], pregame_columns].to_numpy(np.float32)
        per_play = np.concatenate([per_play, per_game[g_index]], axis=1)
        features += pregame_columns
    if not np.isfinite(per_play).all():
        bad = [f for i, f in enumerate(features) if not np.isfinite(per_play[:, i]).all()]
        raise DataError(f"{cfg.name} features contain NaN/inf in columns {bad}; rebuild with {tables.rebuild}.")

    offense, defense = snaps["offense_idx"].to_numpy(np.int64), snaps["defense_idx"].to_numpy(np.int64)
    if cfg.team_embeddings and team_rule is not None:
        offense, defense, teams = team_rule(snaps, game_frame, parts["train"]["row"].to_numpy())
    cat_columns = [offense, defense] if cfg.team_embeddings else []
    if season_range is not None:
        first, last = season_range
        cat_columns.append(np.clip(snaps["season"].to_numpy(np.int64), first, last) - first)
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
    used = []
    for name, part in parts.items():
        rows = part["row"].to_numpy()
        used.append(rows)
        splits[name] = _pad(rows, g_index, pos, lengths, per_step, per_game_targets)
        frames[name] = part.drop(columns="row")

    categorical = {}
    if cfg.team_embeddings:
        categorical["team"] = (len(teams), 2)
    if season_range is not None:
        categorical["season"] = (season_range[1] - season_range[0] + 1, 1)
    spec = InputSpec(
        len(features), ("home", "away", "margin"), categorical, feature_names=tuple(features), class_names=tuple(classes),
        vocabularies={"team": tuple(teams)} if cfg.team_embeddings else {},
    )
    used_rows = np.concatenate(used)
    longest_row = int(used_rows[lengths[used_rows].argmax()])
    out_info = {
        "dataset_version": tables.dataset_version,
        "n_games": {name: len(split) for name, split in splits.items()},
        "n_plays": {name: int(split.column("mask").sum()) for name, split in splits.items()},
        "longest_game": {"plays": int(lengths[longest_row]), "game_id": str(game_frame["game_id"].iloc[longest_row])},
        "steps_per_split": {name: int(split.shape("mask")[1]) for name, split in splits.items()},
        "n_features": len(features),
        "feature_columns": features,
        "classes": list(classes),
        "excluded_plays": excluded,
        "drive_outcome_unknown": int((snaps["drive_outcome"] < 0).sum()),
    }
    out_info["play_type_situation"] = situation_baseline(snaps, g_index, {n: p["row"].to_numpy() for n, p in parts.items()},
                                                         list(classes))
    if tables.lines_report is not None:
        out_info["lines"] = {k: v for k, v in tables.lines_report.items() if k != "unmatched_examples"}
    out_info.update(info or {})
    return DataBundle(splits=splits, spec=spec, info=out_info, frames=frames, id_columns=ID_COLUMNS)


def situation_baseline(snaps: pd.DataFrame, game_of_snap: np.ndarray, rows: dict[str, np.ndarray],
                       classes: list[str]) -> dict:
    """The play-type accuracy of the situation baseline per split: every snap called as the commonest call of its
    situation cell (down x distance x field zone x score x quarter, the nfl-playcall recipe's cells) in the
    training games; a cell the training games never had gets their commonest call (``majority``: that call for
    every snap). ``game_of_snap``: each snap's row in the game frame; ``rows``: the game-frame rows of each split."""
    split_of = np.full(int(game_of_snap.max()) + 1 if len(game_of_snap) else 0, -1)
    names = list(rows)
    for i, name in enumerate(names):
        split_of[rows[name]] = i
    where = split_of[game_of_snap]
    cells, calls = snaps["situation"].to_numpy(np.int64), snaps["y"].to_numpy(np.int64)
    train = where == names.index("train")
    counts = np.zeros((int(cells.max()) + 1 if len(cells) else 1, len(classes)))
    np.add.at(counts, (cells[train], calls[train]), 1)
    overall = int(counts.sum(0).argmax())
    call = np.where(counts.sum(1) > 0, counts.argmax(1), overall)

    def accuracy(predicted: np.ndarray) -> dict[str, float | None]:
        return {name: round(float((predicted[where == i] == calls[where == i]).mean()), 4) if (where == i).any()
                else None for i, name in enumerate(names)}

    return {"accuracy": accuracy(call[cells]), "cells_seen_in_training": int((counts.sum(1) > 0).sum()),
            "majority": {"call": classes[overall], "accuracy": accuracy(np.full(len(calls), overall))}}


#: Team id of the teams with too few training games (``cfb-games``: ``min_team_games``); always id 0.
UNKNOWN_TEAM = "UNKNOWN"
#: Divisions flagged per side by the ``cfb-games`` context features (others, e.g. ii / iii, are all zeros).
CONTEXT_DIVISIONS = ("fbs", "fcs")
#: Games-table columns college keeps in its split frames (besides the ``home_``/``away_`` ones).
CFB_FRAME_COLUMNS = ("neutral_site", "conference_game", "line_provider")


def build_cfb_games(cfg: CfbGamesConfig, workdir: Path) -> DataBundle:
    """The ``cfb-games`` dataset: the tables of ``scrimmage data cfb`` (ingested first when
    ``data.source`` is set), regular-season games of ``data.season`` split by week.

    Per-play features are nfl-games' plus, with ``context_features``, ``neutral_site`` and the
    home / away FBS and FCS flags (so a model can drop home field at neutral sites and knows an
    FBS-FCS mismatch before kickoff). Team ids: teams with fewer than ``min_team_games`` games in
    the training weeks map to id 0, :data:`UNKNOWN_TEAM` (trained by every rare team's plays), so
    no validation or test game reads an embedding training never updated. The closing line
    (``spread_home``, ``total_line``; the ingest picks one book per game) stays in the split
    frames for the report. ``info["league"]`` is ``"cfb"`` and ``info["rules"]`` the simulator's
    rule set, ``"ncaa"``.
    """
    from scrimmage.football.cfb.ingest import ingest_cfb, load_cfb_table
    from scrimmage.football.common.tables import MANIFEST, cfb_dir

    if cfg.source is not None:
        assert cfg.games is not None  # the config requires both
        ingest_cfb(workdir, cfg.source, cfg.games, lines=cfg.lines)  # cached: a no-op for the same files
    manifest_path = cfb_dir(workdir) / MANIFEST
    if not manifest_path.is_file():
        raise DataError(
            f"no college tables in {cfb_dir(workdir)}: run `scrimmage --workdir {workdir} data cfb --source PBP_DIR "
            "--games win_loss.csv --lines betting_lines.csv` first, or set data.source and data.games (and data.lines)"
        )
    plays = load_cfb_table(workdir, "plays")
    drives = load_cfb_table(workdir, "drives")
    games = add_play_stats(load_cfb_table(workdir, "games"), plays)
    manifest = json.loads(manifest_path.read_bytes())
    lines_report = (manifest.get("summary") or {}).get("lines")
    version = dataset_version(workdir, "cfb")

    seasons = sorted(int(s) for s in games["season"].unique())
    season = cfg.season
    if season is None:
        if len(seasons) != 1:
            raise DataError(f"the CFB tables hold seasons {seasons}; set data.season to the one whose weeks are split")
        season = seasons[0]
    elif season not in seasons:
        raise DataError(f"data.season {season} is not in the CFB tables (they hold seasons {seasons}); change data.season")

    pregame_cfg = PregameDataConfig(
        name="nfl-pregame", season_types=["REG"], halflife_games=cfg.halflife_games, prior_games=cfg.prior_games,
    )
    context = None
    if cfg.context_features:
        context = pd.DataFrame({"neutral_site": games["neutral_site"].astype(np.float32).to_numpy()}, index=games["game_id"])
        for side in ("home", "away"):
            for division in CONTEXT_DIVISIONS:
                context[f"{side}_{division}"] = (games[f"{side}_division"] == division).astype(np.float32).to_numpy()
    tables = LeagueTables(plays, drives, games, lines_report, version, "`scrimmage data cfb ... --force`")
    bundle = build_games_dataset(
        cfg, tables, pregame_cfg, ["REG"],
        lambda frame: split_by_week(frame[frame["season"] == season], cfg, "games", season=season),
        team_rule=_rare_teams_unknown(cfg.min_team_games), game_features=context, frame_columns=CFB_FRAME_COLUMNS,
        info={"league": "cfb", "rules": "ncaa", "season": season,
              "weeks": {name: list(getattr(cfg, f"{name}_weeks")) for name in ("train", "val", "test")},
              "postseason_games_left_out": int((games["season_type"] != "REG").sum())},
    )
    info = bundle.info
    for name in ("train", "val", "test"):
        frame = bundle.frames[name]
        info.setdefault("neutral_site_games", {})[name] = int(frame["neutral_site"].sum())
        info.setdefault("games_with_line", {})[name] = int(frame["spread_home"].notna().sum())
    classes = list(bundle.spec.class_names)
    counts = {name: np.bincount(split.column("play_type")[split.column("mask")].numpy(), minlength=len(classes))
              for name, split in bundle.splits.items()}
    majority = int(counts["train"].argmax())  # the play-type baseline: always the training weeks' commonest call
    info["play_type_counts"] = {name: dict(zip(classes, c.tolist(), strict=True)) for name, c in counts.items()}
    info["play_type_majority"] = {"class": classes[majority],
                                  "accuracy": {name: round(float(c[majority] / max(c.sum(), 1)), 4) for name, c in counts.items()}}
    if cfg.team_embeddings:
        vocabulary = bundle.spec.vocabularies["team"]
        info["teams"] = {"min_team_games": cfg.min_team_games, "with_embedding": len(vocabulary) - 1,
                         "unknown_id": vocabulary.index(UNKNOWN_TEAM), "unknown_play_share": {}}
        for name, split in bundle.splits.items():
            real = split.column("mask")
            share = (split.column("cat")[..., :2][real] == 0).float().mean()
            info["teams"]["unknown_play_share"][name] = round(float(share), 4)
    return bundle


def _rare_teams_unknown(min_games: int) -> TeamRule:
    """Team ids: one per team with ``min_games`` or more training games, id 0 (:data:`UNKNOWN_TEAM`) for the rest."""

    def rule(snaps: pd.DataFrame, game_frame: pd.DataFrame, train_rows: np.ndarray) -> tuple[np.ndarray, np.ndarray, list[str]]:
        train = game_frame.iloc[train_rows]
        counts = pd.concat([train["home_team"], train["away_team"]]).value_counts()
        teams = [UNKNOWN_TEAM, *sorted(t for t in counts.index[counts >= min_games] if t != UNKNOWN_TEAM)]
        index = {team: i for i, team in enumerate(teams)}
        offense = snaps["offense"].map(index).fillna(0).to_numpy(np.int64)
        defense = snaps["defense"].map(index).fillna(0).to_numpy(np.int64)
        return offense, defense, teams

    return rule


def _game_frame(games: pd.DataFrame, season_types: list[str], snaps: pd.DataFrame, extra: tuple[str, ...] = ()) -> pd.DataFrame:
    frame = games[games["season_type"].isin(season_types) & games["game_id"].isin(set(snaps["game_id"]))].copy()
    for column in ("spread_home", "total_line"):
        if column not in frame.columns:
            frame[column] = np.nan
    side = [c for c in frame.columns if c.startswith(("home_", "away_")) and c not in GAME_COLUMNS]
    return frame[list(GAME_COLUMNS) + side + [c for c in extra if c in frame.columns and c not in side]]


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
