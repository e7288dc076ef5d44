"""Season and week splits: the schemas every dataset's options share (train / val / test ranges that
must not overlap) and the functions that assign a frame's rows to them by season (every NFL dataset)
or by week within one season (college, whose sample holds a few weeks).

Light: pydantic only at import time (the dataset schemas that subclass these are registered when
the CLI starts); the split functions take the frames they are given.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Literal

from pydantic import Field, ValidationInfo, field_validator, model_validator

from scrimmage.config.registry import Component
from scrimmage.config.types import Int
from scrimmage.errors import DataError

if TYPE_CHECKING:
    import pandas as pd

SPLITS = ("train", "val", "test")
SeasonRange = tuple[Int, Int]
WeekRange = tuple[Int, Int]


def check_split_ranges(ranges: dict[str, tuple[int, int]], unit: str) -> None:
    """Each ``[first, last]`` range ordered, and no two of them sharing a season (or week)."""
    for name, (first, last) in ranges.items():
        if first > last:
            raise ValueError(f"data.{name} must be [first, last] with first <= last, got [{first}, {last}]")
    names = list(ranges)
    for i, a in enumerate(names):
        for b in names[i + 1 :]:
            if ranges[a][0] <= ranges[b][1] and ranges[b][0] <= ranges[a][1]:
                raise ValueError(f"data.{a} {list(ranges[a])} overlaps data.{b} {list(ranges[b])}; splits must not share {unit}")


class SeasonSplits(Component):
    """Seasons split into train / validation / test ranges that must not overlap."""

    train_seasons: SeasonRange = Field((2009, 2016), description="First and last season (inclusive) used for training.")
    val_seasons: SeasonRange = Field((2017, 2017), description="First and last season (inclusive) used for validation.")
    test_seasons: SeasonRange = Field((2018, 2019), description="First and last season (inclusive) held out for the test report.")

    @model_validator(mode="after")
    def _ranges_ordered(self) -> SeasonSplits:
        check_split_ranges({"train_seasons": self.train_seasons, "val_seasons": self.val_seasons,
                            "test_seasons": self.test_seasons}, "seasons")
        return self


class NFLGames(SeasonSplits):
    """Season splits of REG/POST games, with an optional betting-lines file joined onto them."""

    lines: Path | None = Field(
        None, description="Betting-lines CSV ('NFL scores and betting data' format) to join; enables the closing-line baseline."
    )
    season_types: list[Literal["REG", "POST"]] = Field(["REG", "POST"], min_length=1, description="Game types that become examples.")

    @field_validator("lines")
    @classmethod
    def _lines_file_exists(cls, value: Path | None, info: ValidationInfo) -> Path | None:
        # Checked at load time, before any long work; a model loaded from its checkpoint skips it.
        if value is not None and (info.context or {}).get("check_files", True) and not value.is_file():
            raise ValueError(f"betting-lines file {value} not found; pass the path of a spreadspoke_scores.csv file")
        return value


class WeekSplits(Component):
    """Weeks of one season split into train / validation / test ranges that must not overlap."""

    train_weeks: WeekRange = Field((1, 9), description="First and last week (inclusive) used for training.")
    val_weeks: WeekRange = Field((10, 11), description="First and last week (inclusive) used for validation.")
    test_weeks: WeekRange = Field((12, 16), description="First and last week (inclusive) held out for the test report.")

    @model_validator(mode="after")
    def _weeks_ordered(self) -> WeekSplits:
        check_split_ranges({"train_weeks": self.train_weeks, "val_weeks": self.val_weeks, "test_weeks": self.test_weeks},
                           "weeks")
        return self


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
