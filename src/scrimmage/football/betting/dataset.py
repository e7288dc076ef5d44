"""The ``nfl-betting`` dataset: one betting decision per NFL game with a closing line.

State (``data.features``, in this order): ``spread_home``, ``total_line``, ``edge_margin`` =
walk-forward predicted margin + ``spread_home`` (the market expects a home margin of
``-spread_home``, so a positive edge means the model likes home against the spread),
``edge_total`` = predicted total - ``total_line``, ``uncertainty`` (std of the predicted margin
across the bootstrap members) and ``rest_diff`` (home - away rest days, capped at 14).

Walk-forward (:mod:`.walkforward`): season ``s`` is predicted by ridge models fit only on seasons
``< s``, for training seasons as much as for test seasons; the first season of the data has no
earlier season and is dropped (default: decisions from 2010; 2009 only feeds the 2010 models).
The predictions are cached in ``<workdir>/cache/nfl-betting/`` keyed by the games' data version,
the lines file's sha256 and every option they depend on.

Actions: ``no_bet``, ``home_ats``, ``away_ats`` (+ ``over``, ``under`` with ``data.over_under``);
``y`` holds every action's reward (win ``payout(odds)``, loss -1, push and no bet 0), known for
every game because the result settles every bet. Logged action (behaviour policy):

* ``behaviour: all`` (default): each training game is logged once per action (the same state with
  each action and its reward), i.e. a uniform behaviour policy with full coverage. This is the most
  the data can tell: no action is ever unseen. CQL's penalty (logsumexp Q - Q of the logged action)
  then no longer guards against extrapolating to actions missing from the data (there are none);
  averaged over the logged actions it penalises the spread of Q across actions, shrinking every
  state's Q-values toward each other and toward the no-bet value 0, so only states where the TD fit
  sees a clear edge keep a bet above no-bet: a regulariser toward not betting.
* ``behaviour: uniform``: one action per game drawn uniformly (seeded), the classic offline setting.

Validation and test splits hold one row per game whatever the behaviour (their logged action is a
uniform draw, used only by the split's loss); the metrics score the greedy policy on ``y``.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import torch

from scrimmage.data.datamodule import DataBundle, InputSpec, TensorSplit
from scrimmage.errors import DataError
from scrimmage.football.betting.rewards import action_rewards, price_payout
from scrimmage.football.betting.walkforward import PREDICTION_COLUMNS, walk_forward
from scrimmage.football.common.splits import SPLITS, split_by_season

if TYPE_CHECKING:
    from scrimmage.football.betting.configs import BettingDataConfig

CACHE_VERSION = 1
"""Bump when the walk-forward or the features change, so cached predictions are rebuilt."""
ID_COLUMNS = ("game_id", "season", "week", "season_type", "date", "home_team", "away_team")


def build_nfl_betting(cfg: BettingDataConfig, workdir: Path) -> DataBundle:
    table, version, info = predicted_games(cfg, workdir)
    payout = price_payout(cfg.odds)
    actions = cfg.class_names()
    frames: dict[str, pd.DataFrame] = {}
    splits = {}
    for name, part in split_by_season(table, cfg, "games with a closing line and a walk-forward prediction").items():
        rewards = action_rewards(part["margin"].to_numpy(), (part["home_score"] + part["away_score"]).to_numpy(),
                                 part["spread_home"].to_numpy(), part["total_line"].to_numpy(), payout, cfg.over_under)
        x = state_features(part, cfg.features)
        # a seeded generator per split: the logged draws of one split do not move when another changes size
        rng = np.random.default_rng([cfg.seed, SPLITS.index(name)])
        if name == "train" and cfg.behaviour == "all":
            n, k = len(part), len(actions)
            logged = np.tile(np.arange(k), n)
            x, rewards = np.repeat(x, k, axis=0), np.repeat(rewards, k, axis=0)
            part = part.loc[part.index.repeat(k)].reset_index(drop=True)
        else:
            logged = rng.integers(0, len(actions), len(part))
        part = part.assign(logged_action=np.asarray(actions, dtype=object)[logged])
        frames[name] = part
        splits[name] = TensorSplit({
            "x": torch.from_numpy(x.astype(np.float32)),
            "action": torch.from_numpy(logged.astype(np.int64)),
            "reward": torch.from_numpy(rewards[np.arange(len(logged)), logged].astype(np.float32)),
            "done": torch.ones(len(logged)),  # one-step decisions: every transition is terminal
            "y": torch.from_numpy(rewards.astype(np.float32)),
        })
    spec = InputSpec(len(cfg.features), tuple(f"reward_{a}" for a in actions), feature_names=tuple(cfg.features),
                     class_names=actions)
    info |= {
        "dataset_version": version, "payout": payout, "actions": list(actions), "features": list(cfg.features),
        "behaviour": cfg.behaviour,
        "n_games": {name: int(frame["game_id"].nunique()) for name, frame in frames.items()},
        "n_examples": {name: len(split) for name, split in splits.items()},
    }
    return DataBundle(splits=splits, spec=spec, info=info, frames=frames, id_columns=ID_COLUMNS)


def state_features(part: pd.DataFrame, features: list[str]) -> np.ndarray:
    """The state columns, named as in ``data.features`` (see the module docstring)."""
    columns = {
        "spread_home": part["spread_home"],
        "total_line": part["total_line"],
        "edge_margin": part["pred_margin"] + part["spread_home"],
        "edge_total": part["pred_total"] - part["total_line"],
        "uncertainty": part["pred_margin_std"],
        "rest_diff": part["diff_rest_days"],
    }
    return np.column_stack([columns[f].to_numpy(np.float64) for f in features])


def predicted_games(cfg: BettingDataConfig, workdir: Path) -> tuple[pd.DataFrame, str, dict[str, Any]]:
    """Games with a closing spread and total and their walk-forward predictions (cached), the data version, facts."""
    from scrimmage.football.common.store import sha256_file
    from scrimmage.football.common.tables import dataset_version

    lines_file = _lines_file(cfg)
    base = dataset_version(workdir) if cfg.games_from == "play_by_play" else "lines-only"
    key = {"cache": CACHE_VERSION, "games": base if cfg.games_from == "play_by_play" else None,
           "lines": sha256_file(lines_file), "games_from": cfg.games_from, "season_types": list(cfg.season_types),
           "members": cfg.members, "ridge_alpha": cfg.ridge_alpha, "seed": cfg.seed,
           "seasons": [cfg.train_seasons[0], cfg.test_seasons[1]]}
    digest = hashlib.sha256(json.dumps(key, sort_keys=True).encode()).hexdigest()[:16]
    version = f"{base}+betting-{digest}"
    path = Path(workdir) / "cache" / "nfl-betting" / f"{digest}.pkl"
    table, cached = None, False
    if path.is_file():
        try:
            table, cached = pd.read_pickle(path), True
        except (OSError, ValueError, EOFError, ImportError, AttributeError):  # damaged or foreign: build again
            table = None
    if table is None:
        table = _build_table(cfg, workdir, lines_file)
        try:
            from scrimmage.io import atomic_path

            with atomic_path(path) as tmp:
                table.to_pickle(tmp)
        except OSError:  # a read-only workdir: the run goes on without a cache
            pass
    return table, version, {"walk_forward_cached": cached, "lines": str(lines_file)}


def _lines_file(cfg: BettingDataConfig) -> Path:
    if cfg.lines is None:
        raise DataError("nfl-betting needs the closing lines: set data.lines to a spreadspoke_scores.csv file "
                        "('NFL scores and betting data' format), e.g. -o data.lines=../shared/data/nfl_lines/spreadspoke_scores.csv")
    path = Path(cfg.lines)
    if not path.is_file():
        raise DataError(f"betting lines file {path} not found; pass the path of a spreadspoke_scores.csv file")
    return path


def _build_table(cfg: BettingDataConfig, workdir: Path, lines_file: Path) -> pd.DataFrame:
    from scrimmage.football.datasets.nfl_pregame import PregameDataConfig
    from scrimmage.football.datasets.pregame import pregame_examples, pregame_games
    from scrimmage.football.nfl.lines import games_from_spreadspoke

    first, last = cfg.train_seasons[0], cfg.test_seasons[1]
    pregame = PregameDataConfig(lines=lines_file, season_types=list(cfg.season_types), train_seasons=cfg.train_seasons,
                                val_seasons=cfg.val_seasons, test_seasons=cfg.test_seasons)
    if cfg.games_from == "lines":
        games = games_from_spreadspoke(lines_file, (first, last))
    else:
        games, _ = pregame_games(pregame, workdir)
    games = games[games["season"].between(first, last)].reset_index(drop=True)
    frame, feature_columns, _ = pregame_examples(games, pregame)
    predicted = walk_forward(frame, feature_columns, cfg.members, cfg.ridge_alpha, cfg.seed)
    keep = [*ID_COLUMNS, "home_score", "away_score", "margin", "spread_home", "total_line", "diff_rest_days",
            *PREDICTION_COLUMNS]
    table = predicted[[c for c in keep if c in predicted.columns]]
    missing = [c for c in ("spread_home", "total_line") if c not in table.columns]
    if missing:
        raise DataError(f"the games have no {missing} after joining {lines_file}; pass a spreadspoke_scores.csv file")
    usable = table["spread_home"].notna() & table["total_line"].notna() & table["pred_margin"].notna()
    return table[usable].reset_index(drop=True)
