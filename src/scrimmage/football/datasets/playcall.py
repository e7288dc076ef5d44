"""The ``nfl-playcall`` dataset: one example per offensive snap, the state before it → the play called.

Classes (``data.*`` options change them):

* ``run``, ``pass``, ``punt``, ``field_goal``, ``kneel``, ``spike``. A sack is a called dropback,
  so it counts as ``pass`` (``sacks_as_pass``); so does a QB scramble, which the ingest records
  as a run (``scrambles_as_pass``). Kneels and spikes are real clock-management calls that a game
  simulator must make, so they are classes of their own by default (``kneels_spikes: merge``
  folds them into run / pass, ``drop`` excludes them).
* Snaps nullified by a penalty (``no_play``) still show the call when the ball was snapped
  ("... pass incomplete ... PENALTY on ..., Defensive Pass Interference ... - No Play"): with
  ``no_plays: recover`` (default) the call is read from the description before the penalty text
  and the snap is kept (dropping them would bias the classes: pass interference only happens on
  passes). Pre-snap fouls (false start, delay of game, encroachment, neutral zone) show no call
  and are always excluded, as are all no-plays with ``no_plays: drop``. Accepted penalties on a
  play that stands do not change its label.

Excluded: kickoffs, extra points and two-point tries (not a down-and-distance call; a later head
can predict the PAT choice), snaps without a down (1-4), ``other`` entries (injuries, delays,
replay notes) and game types outside ``season_types`` (preseason by default).

Features, all from the state before the snap, each row from its own play only: down (one-hot),
yards to go (and its log), yards from the opponent's goal line, goal-to-go, quarter (one-hot,
overtime as one), seconds left in the half and in the game, inside the two-minute warning, the
offense's score difference (and the same over the square root of minutes left, how urgent it
is), offense at home, postseason, season (optional). Offense and defense ids share one ``team``
embedding group. Nothing after the snap (yards gained, first down, touchdown, turnover,
penalty, points, the description) is an input; the description only gives labels.

Timeouts remaining are not a feature: the ingest drops timeout entries as administrative rows
(``quality.administrative_entries``), and the only timeouts left in the plays table are the few
named inside a challenged play's description, so a team's remaining timeouts cannot be counted.
Keeping the timeout entries (or per-play timeouts remaining) at ingest would make them derivable.

The situation cell of every play (down × distance bucket × field zone × score-difference bucket ×
quarter, edges from the config) is kept in ``frames[split]["situation"]`` for the situation
baseline of :mod:`scrimmage.football.reports.playcall`.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import torch

from scrimmage.data.datamodule import DataBundle, InputSpec, TensorSplit
from scrimmage.errors import DataError
from scrimmage.football.common.splits import split_by_season
from scrimmage.football.common.tables import dataset_version
from scrimmage.football.common.teams import CANONICAL_TEAMS
from scrimmage.football.nfl.ingest import ensure_nfl_tables, load_nfl_table

if TYPE_CHECKING:
    from scrimmage.football.datasets.nfl_playcall import PlaycallDataConfig

#: Play-table columns that describe the state before the snap (the only ones features read).
PRE_SNAP_COLUMNS = (
    "game_id", "play_id", "play_index", "qtr", "down", "ydstogo", "yardline_100", "posteam", "defteam",
    "sec_remaining_half", "sec_remaining_game", "home_score_before", "away_score_before",
)
ID_COLUMNS = (
    "game_id", "play_id", "play_index", "season", "week", "season_type", "offense", "defense",
    "qtr", "down", "ydstogo", "yardline_100", "score_diff", "sec_remaining_game", "play_type",
)
NOT_SNAPS = ("kickoff", "extra_point", "two_point")

# Reading the call of a nullified snap: the text before the first "penalty", formation notes removed.
_FORMATION = re.compile(r"\((?:shotgun|no huddle|[^()]*formation)[^()]*\)", re.IGNORECASE)
_RUN = re.compile(
    r"\b(?:up the middle|(?:left|right) (?:end|tackle|guard)|rushes|scrambles)\b", re.IGNORECASE
)
_CALLS = (  # first match wins, in the order of scrimmage.football.nfl.playtypes.play_type
    ("two_point", re.compile(r"two-point conversion", re.IGNORECASE)),
    ("extra_point", re.compile(r"extra point", re.IGNORECASE)),
    ("kickoff", re.compile(r" kicks ", re.IGNORECASE)),
    ("punt", re.compile(r" punts |\bpunt is blocked", re.IGNORECASE)),
    ("field_goal", re.compile(r"field goal", re.IGNORECASE)),
    ("spike", re.compile(r"spiked the ball| spike", re.IGNORECASE)),
    ("kneel", re.compile(r"kneels", re.IGNORECASE)),
    ("sack", re.compile(r" sacked", re.IGNORECASE)),
    ("pass", re.compile(r" pass ", re.IGNORECASE)),
    ("run", _RUN),
)


def build_nfl_playcall(cfg: PlaycallDataConfig, workdir: Path) -> DataBundle:
    ensure_nfl_tables(workdir)  # a no-op when current tables exist
    plays = load_nfl_table(workdir, "plays")
    games = load_nfl_table(workdir, "games")
    frame, feature_columns, classes, teams, exclusions = playcall_examples(plays, games, cfg)

    splits, frames = {}, {}
    for name, part in split_by_season(frame, cfg, "plays").items():
        splits[name] = _to_split(part, feature_columns, cfg.team_embeddings)
        frames[name] = part

    categorical = {"team": (len(teams), 2)} if cfg.team_embeddings else {}
    spec = InputSpec(
        len(feature_columns), ("play_call",), categorical, feature_names=tuple(feature_columns),
        class_names=tuple(classes), vocabularies={"team": tuple(teams)} if cfg.team_embeddings else {},
    )
    info = {
        "dataset_version": dataset_version(workdir),
        "n_plays": {name: len(split) for name, split in splits.items()},
        "class_counts": {name: part["label"].value_counts().reindex(classes, fill_value=0).astype(int).to_dict()
                         for name, part in frames.items()},
        "excluded": exclusions,
        "n_features": len(feature_columns),
        "feature_columns": feature_columns,
        "classes": classes,
        "situation": {
            "distance_edges": list(cfg.distance_edges), "field_edges": list(cfg.field_edges),
            "score_edges": list(cfg.score_edges), "smoothing": cfg.situation_smoothing,
        },
    }
    return DataBundle(splits=splits, spec=spec, info=info, frames=frames, id_columns=ID_COLUMNS)


def playcall_examples(
    plays: pd.DataFrame, games: pd.DataFrame, cfg: PlaycallDataConfig
) -> tuple[pd.DataFrame, list[str], list[str], list[str], dict[str, int]]:
    """Every kept snap with its label, features and situation cell:
    (frame, feature columns, classes, team vocabulary, excluded plays by reason)."""
    meta = games[["game_id", "season", "week", "season_type", "home_team"]]
    plays = plays.merge(meta, on="game_id", how="left", validate="many_to_one")
    if plays["season"].isna().any():
        raise DataError("plays reference games missing from the games table; rebuild with `scrimmage data nfl --force`.")
    label, reason = play_labels(plays, cfg)
    exclusions = reason[label.isna()].value_counts().sort_index().astype(int).to_dict()
    kept = plays[label.notna()].copy()
    kept["label"] = label[label.notna()]

    classes = list(cfg.class_names())
    kept["y"] = kept["label"].map({c: i for i, c in enumerate(classes)}).astype(np.int64)
    features = snap_features(kept, cfg)
    feature_columns = list(features.columns)
    teams = sorted(CANONICAL_TEAMS | set(plays["posteam"]) | set(plays["defteam"]))
    index_of = {t: i for i, t in enumerate(teams)}
    frame = pd.concat([kept.reset_index(drop=True), features.reset_index(drop=True)], axis=1)
    frame = frame.rename(columns={"posteam": "offense", "defteam": "defense"})
    frame["offense_idx"] = frame["offense"].map(index_of).astype(np.int64)
    frame["defense_idx"] = frame["defense"].map(index_of).astype(np.int64)
    frame["situation"] = situation_cells(frame, cfg)
    frame = frame.sort_values(["season", "game_id", "play_index"], kind="stable").reset_index(drop=True)
    return frame, feature_columns, classes, teams, exclusions


def play_labels(plays: pd.DataFrame, cfg: PlaycallDataConfig) -> tuple[pd.Series, pd.Series]:
    """The class of every play (NaN where excluded) and, for excluded plays, why."""
    kind = plays["play_type"].astype(object).copy()
    reason = pd.Series("", index=plays.index, dtype=object)

    nullified = kind == "no_play"
    if cfg.no_plays == "recover":
        recovered = nullified_calls(plays.loc[nullified, "desc"])
        kind.loc[nullified] = recovered
        reason.loc[nullified & kind.isna()] = "no_play without a call (pre-snap foul)"
    else:
        kind.loc[nullified] = None
        reason.loc[nullified] = "no_play"
    if cfg.scrambles_as_pass:
        scramble = (kind == "run") & plays["desc"].str.contains("scrambles", case=False, regex=False)
        kind.loc[scramble] = "pass"
    if cfg.sacks_as_pass:
        kind.loc[kind == "sack"] = "pass"
    if cfg.kneels_spikes == "merge":
        kind = kind.replace({"kneel": "run", "spike": "pass"})
    elif cfg.kneels_spikes == "drop":
        drop = kind.isin(["kneel", "spike"])
        reason.loc[drop] = kind[drop]
        kind.loc[drop] = None

    for value in (*NOT_SNAPS, "other"):
        hit = kind == value
        reason.loc[hit] = value
        kind.loc[hit] = None
    no_down = kind.notna() & ~plays["down"].between(1, 4)
    reason.loc[no_down] = "no down (1-4)"
    kind.loc[no_down] = None
    no_spot = kind.notna() & plays["yardline_100"].isna()
    reason.loc[no_spot] = "no yard line"
    kind.loc[no_spot] = None
    other_type = kind.notna() & ~plays["season_type"].isin(cfg.season_types)
    reason.loc[other_type] = "season type not in data.season_types"
    kind.loc[other_type] = None
    return kind.where(kind.notna(), np.nan), reason


def nullified_calls(desc: pd.Series) -> pd.Series:
    """The call of each nullified snap read from its description (None for pre-snap fouls)."""
    before = desc.str.split(r"(?i)penalty", n=1, regex=True).str[0].str.replace(_FORMATION, "", regex=True)
    out = pd.Series(None, index=desc.index, dtype=object)
    for name, pattern in reversed(_CALLS):  # later assignments win: walk from the last rule to the first
        out[before.str.contains(pattern)] = name
    return out  # a scramble reads as run, like the ingest labels it; scrambles_as_pass then applies


def snap_features(plays: pd.DataFrame, cfg: PlaycallDataConfig) -> pd.DataFrame:
    """Numeric features of each snap from its own pre-snap state (see the module docstring)."""
    down = plays["down"].to_numpy(np.int64)
    togo = plays["ydstogo"].to_numpy(np.float64)
    yardline = plays["yardline_100"].to_numpy(np.float64)
    qtr = plays["qtr"].to_numpy(np.int64)
    half = plays["sec_remaining_half"].to_numpy(np.float64)
    game = plays["sec_remaining_game"].to_numpy(np.float64)
    diff = score_difference(plays).to_numpy(np.float64)
    out = {f"down_{d}": (down == d).astype(np.float32) for d in (1, 2, 3, 4)}
    out |= {
        "distance": togo,
        "log_distance": np.log1p(togo),
        # yardline_100 counts from the offense's own goal line (own 20 -> 20): the goal is 100 - it away
        "yards_to_goal": 100.0 - yardline,
        "goal_to_go": (100.0 - yardline <= togo).astype(np.float32),
    }
    out |= {f"qtr_{q}": (qtr == q).astype(np.float32) for q in (1, 2, 3, 4)}
    out |= {
        "overtime": (qtr >= 5).astype(np.float32),
        "half_seconds_left": half,
        "game_seconds_left": game,
        "two_minute": (half <= 120).astype(np.float32),
        "score_diff": diff,
        "score_diff_urgency": diff / np.sqrt(1.0 + game / 60.0),
        "offense_home": (plays["posteam"] == plays["home_team"]).to_numpy(np.float32),
        "postseason": (plays["season_type"] == "POST").to_numpy(np.float32),
    }
    if cfg.season_feature:
        out["season_number"] = plays["season"].to_numpy(np.float64) - 2000.0
    return pd.DataFrame(out, index=plays.index).astype(np.float32)


def score_difference(plays: pd.DataFrame) -> pd.Series:
    """Offense points minus defense points before the snap."""
    home = plays["home_score_before"] - plays["away_score_before"]
    return home.where(plays["posteam"] == plays["home_team"], -home)


def situation_cells(frame: pd.DataFrame, cfg: PlaycallDataConfig) -> np.ndarray:
    """One integer per (down, distance bucket, field zone, score-difference bucket, quarter) cell."""
    down = frame["down"].to_numpy(np.int64) - 1
    dist = np.digitize(frame["ydstogo"].to_numpy(), cfg.distance_edges)
    zone = np.digitize(frame["yardline_100"].to_numpy(np.int64), cfg.field_edges)
    score = np.digitize(frame["score_diff"].to_numpy(), cfg.score_edges)
    qtr = np.minimum(frame["qtr"].to_numpy(np.int64), 5) - 1  # overtime periods share one
    sizes = (4, len(cfg.distance_edges) + 1, len(cfg.field_edges) + 1, len(cfg.score_edges) + 1, 5)
    return np.ravel_multi_index((down, dist, zone, score, qtr), sizes).astype(np.int64)


def _to_split(part: pd.DataFrame, feature_columns: list[str], team_embeddings: bool) -> TensorSplit:
    x = part[feature_columns].to_numpy(np.float32)
    if not np.isfinite(x).all():
        bad = [c for c in feature_columns if not np.isfinite(part[c].to_numpy(np.float64)).all()]
        raise DataError(f"play-call features contain NaN/inf in columns {bad}; rebuild with `scrimmage data nfl --force`.")
    tensors = {"x": torch.from_numpy(x), "y": torch.from_numpy(part["y"].to_numpy(np.int64, copy=True))}
    if team_embeddings:
        tensors["cat"] = torch.from_numpy(part[["offense_idx", "defense_idx"]].to_numpy(np.int64, copy=True))
    return TensorSplit(tensors)
