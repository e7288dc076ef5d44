"""What :func:`~.neural.load_neural_sampler` would otherwise recompute on every load, cached in the workdir.

Two things cost most of a load (about 15 s and 5-10 s on two CPU threads): every season's pregame
features (:func:`pregame_frame`, rebuilt from the ingested tables by the training's own code) and
the two short calibration simulations of the strength of the day
(:meth:`~.neural.NeuralPlaySampler.calibrate_strength`). Both are pure functions of what they read,
so both are cached under ``<workdir>/cache/neural/``:

* ``pregame-<key>.parquet`` — the games frame, keyed by the NFL tables' manifest (its sha256: the
  manifest records every table's sha256), the data options that shape the features, the lines
  file's identity (path, size, mtime) and :data:`CACHE_VERSION`;
* ``strength-<key>.json`` — the calibrated SD, keyed by a hash of the model's weights and buffers
  (so a retrained or overwritten checkpoint misses), the pregame key, the empirical sampler's cache
  key (its fit and data), the target variance, the calibration's settings and :data:`CACHE_VERSION`.

Files are written atomically (:mod:`scrimmage.io`); one that cannot be read, or whose recorded key
differs, is rebuilt and rewritten, never trusted. Without NFL tables nothing is cached (the build
raises its own error).
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd

from scrimmage.football.common.tables import manifest_digest

#: Bump when the pregame frame or the strength calibration changes, so cached files are rebuilt.
CACHE_VERSION = 1


def cache_dir(workdir: Path) -> Path:
    return Path(workdir) / "cache" / "neural"


def _digest(payload: Any) -> str:
    return hashlib.sha256(json.dumps(payload, sort_keys=True, default=str).encode()).hexdigest()[:16]


def pregame_key(cfg: Any, workdir: Path) -> str | None:
    """The pregame frame's cache key (``None`` without NFL tables: nothing to key on)."""
    manifest = manifest_digest(workdir, "nfl")
    if manifest is None:
        return None
    lines = None
    if getattr(cfg, "lines", None) is not None:
        path = Path(cfg.lines)
        stat = path.stat() if path.is_file() else None
        lines = [str(path.resolve()), stat.st_size if stat else None, stat.st_mtime_ns if stat else None]
    options = {k: getattr(cfg, k) for k in ("pregame_features", "season_types", "halflife_games", "prior_games")}
    return _digest({"manifest": manifest, "lines": lines, "options": options, "version": CACHE_VERSION})


def pregame_frame(cfg: Any, workdir: Path) -> pd.DataFrame:
    """Every game the data config ``cfg`` covers, by ``game_id``: season, season type, week, teams
    and the pregame features, rebuilt from the ingested tables by the training's own code."""
    from scrimmage.football.datasets.nfl_pregame import PregameDataConfig
    from scrimmage.football.datasets.pregame import pregame_examples, pregame_games
    from scrimmage.football.nfl.ingest import load_nfl_table

    keep = ["game_id", "season", "season_type", "week", "home_team", "away_team"]
    if not cfg.pregame_features:
        games = load_nfl_table(workdir, "games")
        return games[games["season_type"].isin(cfg.season_types)][keep].set_index("game_id")
    pregame_cfg = PregameDataConfig(name="nfl-pregame", lines=cfg.lines, season_types=list(cfg.season_types),
                                    halflife_games=cfg.halflife_games, prior_games=cfg.prior_games)
    games, _ = pregame_games(pregame_cfg, workdir)
    frame, columns, _ = pregame_examples(games, pregame_cfg)
    facts = [c for c in ("home_score", "away_score", "spread_home", "total_line") if c in frame.columns]
    return frame[keep + facts + columns].drop_duplicates("game_id").set_index("game_id")


def cached_pregame_frame(cfg: Any, workdir: Path) -> tuple[pd.DataFrame, str | None, bool]:
    """``(frame, key, hit)``: :func:`pregame_frame` from the cache when a file of its key reads back whole,
    else built and cached."""
    from scrimmage.io import atomic_path

    key = pregame_key(cfg, workdir)
    if key is None:
        return pregame_frame(cfg, workdir), None, False
    path = cache_dir(workdir) / f"pregame-{key}.parquet"
    if path.is_file():
        try:
            frame = pd.read_parquet(path)
            if frame.index.name == "game_id" and len(frame) and set(_FRAME_COLUMNS) <= set(frame.columns):
                return frame, key, True
        except Exception:  # a damaged cache file is rebuilt, never trusted
            pass
    frame = pregame_frame(cfg, workdir)
    path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_path(path) as tmp:
        frame.to_parquet(tmp)
    return frame, key, False


_FRAME_COLUMNS = ("season", "season_type", "week", "home_team", "away_team")


def weights_digest(model: Any) -> str:
    """A hash of a model's parameters and buffers (names, shapes, dtypes and values)."""
    import torch

    h = hashlib.sha256()
    for name, tensor in sorted(model.state_dict().items()):
        t = tensor.detach().cpu().contiguous()
        h.update(f"{name}:{tuple(t.shape)}:{t.dtype}".encode())
        h.update(t.reshape(-1).view(torch.uint8).numpy().tobytes() if t.numel() else b"")
    return h.hexdigest()[:16]


def cached_strength(workdir: Path, parts: dict[str, Any], compute: Callable[[], float]) -> tuple[float, bool]:
    """``(sd, hit)``: the strength-of-the-day SD recorded under the key of ``parts``, else ``compute()``d and
    recorded. A file that is not JSON, names another key or holds no finite SD is recomputed."""
    from scrimmage.io import atomic_write_text

    key = _digest({**parts, "version": CACHE_VERSION})
    path = cache_dir(workdir) / f"strength-{key}.json"
    if path.is_file():
        try:
            blob = json.loads(path.read_text())
            sd = float(blob["latent_sd"])
            if blob.get("key") == key and math.isfinite(sd) and sd >= 0:
                return sd, True
        except Exception:  # damaged: recomputed, never trusted
            pass
    sd = float(compute())
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_text(path, json.dumps({"key": key, "latent_sd": sd, "parts": parts}, default=str, indent=2))
    return sd, False
