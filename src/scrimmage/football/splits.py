"""Season and week splits: rows of a frame assigned to train / val / test by their season (every NFL dataset) or by
their week within one season (college, whose sample holds a few weeks)."""

from __future__ import annotations

import pandas as pd

from scrimmage.errors import DataError
from scrimmage.football.configs import SeasonSplits, WeekSplits

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


def split_by_week(frame: pd.DataFrame, cfg: WeekSplits, unit: str, season: int | None = None) -> dict[str, pd.DataFrame]:
    """``{split: rows of its weeks}`` (``frame`` holds one season); a split that selects nothing is an
    error naming the weeks held and how many ``unit`` each has."""
    parts = {}
    for name in SPLITS:
        first, last = getattr(cfg, f"{name}_weeks")
        part = frame[frame["week"].between(first, last)].reset_index(drop=True)
        if part.empty:
            counts = frame["week"].value_counts().sort_index()
            held = ", ".join(f"{week} ({n} {unit})" for week, n in counts.items()) or "none"
            of = f" of season {season}" if season is not None else ""
            raise DataError(
                f"data.{name}_weeks [{first}, {last}] selects no {unit}{of}; the data holds weeks {held}. "
                f"Change data.{name}_weeks."
            )
        parts[name] = part
    return parts
