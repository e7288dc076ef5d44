"""Football datasets' options (``data.name``), registered with the core by :mod:`scrimmage.football.plugin`.

Schemas only (pydantic): ``build(workdir)`` imports pandas and the feature code on call.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Literal

from pydantic import Field, model_validator

from scrimmage.config.registry import DATASETS, Component
from scrimmage.config.types import FiniteFloat, Int

if TYPE_CHECKING:
    from scrimmage.data.datamodule import DataBundle

SeasonRange = tuple[Int, Int]


class SeasonSplits(Component):
    """Seasons split into train / validation / test ranges that must not overlap."""

    train_seasons: SeasonRange = Field((2009, 2016), description="First and last season (inclusive) used for training.")
    val_seasons: SeasonRange = Field((2017, 2017), description="First and last season (inclusive) used for validation.")
    test_seasons: SeasonRange = Field((2018, 2019), description="First and last season (inclusive) held out for the test report.")

    @model_validator(mode="after")
    def _ranges_ordered(self) -> SeasonSplits:
        ranges = {"train_seasons": self.train_seasons, "val_seasons": self.val_seasons, "test_seasons": self.test_seasons}
        for name, (first, last) in ranges.items():
            if first > last:
                raise ValueError(f"data.{name} must be [first, last] with first <= last, got [{first}, {last}]")
        names = list(ranges)
        for i, a in enumerate(names):
            for b in names[i + 1 :]:
                if ranges[a][0] <= ranges[b][1] and ranges[b][0] <= ranges[a][1]:
                    raise ValueError(f"data.{a} {list(ranges[a])} overlaps data.{b} {list(ranges[b])}; splits must not share seasons")
        return self


@DATASETS.register
class PregameDataConfig(SeasonSplits):
    """NFL games: pregame team form, Elo and power ratings → home points, away points and margin."""

    name: Literal["nfl-pregame"] = "nfl-pregame"
    lines: Path | None = Field(
        None, description="Betting-lines CSV ('NFL scores and betting data' format) to join; enables the closing-line baseline."
    )
    season_types: list[Literal["REG", "POST"]] = Field(["REG", "POST"], min_length=1, description="Game types that become examples.")
    halflife_games: FiniteFloat = Field(6.0, gt=0, description="Half-life, in games, of the exponentially weighted team form.")
    prior_games: FiniteFloat = Field(4.0, ge=0, description="Weight, in games, of last season's form in early-season shrinkage.")
    team_embeddings: bool = Field(True, description="Feed home/away team ids to the model (learned team embeddings).")
    elo_features: bool = Field(True, description="Add pregame Elo ratings (from earlier games only) as features.")
    rating_features: bool = Field(True, description="Add time-decayed Massey power ratings (earlier games only) as features.")
    rating_halflife_days: FiniteFloat = Field(150.0, gt=0, description="Days for a result's weight in the power ratings to halve.")
    rating_ridge: FiniteFloat = Field(2.0, ge=0, description="Ridge shrinkage of power ratings toward average.")

    def build(self, workdir: Path) -> DataBundle:
        from scrimmage.football.pregame import build_nfl_pregame

        return build_nfl_pregame(self, workdir)
