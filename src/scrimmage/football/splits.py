"""Season splits: rows of a frame assigned to train / val / test by their season (one rule for every football dataset)."""

from __future__ import annotations

import pandas as pd

from scrimmage.errors import DataError
from scrimmage.football.configs import SeasonSplits

SPLITS = ("train", "val", "test")


def split_by_season(frame: pd.DataFrame, cfg: SeasonSplits, unit: str) -> dict[str, pd.DataFrame]:
    """``{split: rows of its seasons}``; a split that selects nothing is an error naming the seasons held."""
    parts = {}
    for name in SPLITS:
        first, last = getattr(cfg, f"{name}_seasons")
        part = frame[frame["season"].between(first, last)].reset_index(drop=True)
        if part.empty:
            seasons = sorted(frame["season"].unique().tolist())
            held = f"{seasons[0]}-{seasons[-1]}" if seasons else "none"
            raise DataError(
                f"data.{name}_seasons [{first}, {last}] selects no {unit}; the data holds seasons {held}. "
                f"Change data.{name}_seasons."
            )
        parts[name] = part
    return parts
