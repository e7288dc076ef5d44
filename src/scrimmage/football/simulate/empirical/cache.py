"""The fitted empirical sampler cached in the workdir (``<workdir>/simulate/empirical-<key>.pt``), keyed by
the NFL tables' manifest (which holds every table's checksum), the fit options and the sampler version;
a damaged cache file is refitted, never trusted."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from scrimmage.errors import DataError
from scrimmage.football.simulate.empirical.fitting import fit_empirical
from scrimmage.football.simulate.empirical.sampling import SAMPLER_VERSION, EmpiricalConfig, EmpiricalSampler

__all__ = ["EmpiricalConfig", "EmpiricalSampler", "cache_path", "load_or_fit"]


def _manifest_digest(workdir: Path) -> str:
    from scrimmage.football.common.tables import nfl_dir

    path = nfl_dir(workdir) / "manifest.json"
    if not path.is_file():
        raise DataError(f"NFL tables not found in {nfl_dir(workdir)}; run `scrimmage data nfl` first")
    return hashlib.sha256(path.read_bytes()).hexdigest()


def cache_path(workdir: Path, config: EmpiricalConfig = EmpiricalConfig()) -> Path:
    key = json.dumps({"manifest": _manifest_digest(workdir), "config": config.key(), "version": SAMPLER_VERSION},
                     sort_keys=True)
    return Path(workdir) / "simulate" / f"empirical-{hashlib.sha256(key.encode()).hexdigest()[:16]}.pt"


def load_or_fit(workdir: Path, config: EmpiricalConfig = EmpiricalConfig()) -> tuple[EmpiricalSampler, bool]:
    """The sampler for the workdir's NFL tables: from the cache when the data and options match,
    else fitted and cached. Returns ``(sampler, cached)``. Missing tables are a :class:`DataError`
    that says to run ``scrimmage data nfl``."""
    from scrimmage.football.nfl.ingest import load_nfl_table

    path = cache_path(workdir, config)
    if path.is_file():
        try:
            sampler = EmpiricalSampler.load(path)
            if sampler.meta.get("version") == SAMPLER_VERSION:
                return sampler, True
        except Exception:  # a damaged cache is refitted, never trusted
            pass
    games = load_nfl_table(workdir, "games")
    plays = load_nfl_table(workdir, "plays")
    sampler = fit_empirical(plays, games, config)
    sampler.save(path)
    return sampler, False

