"""Football datasets' options (``data.name``), registered with the core by :mod:`scrimmage.football.plugin`.

Schemas only (pydantic): ``build(workdir)`` imports pandas and the feature code on call.
"""

from __future__ import annotations

from itertools import pairwise
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from pydantic import Field, ValidationInfo, field_validator, model_validator

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

    @field_validator("lines")
    @classmethod
    def _lines_file_exists(cls, value: Path | None, info: ValidationInfo) -> Path | None:
        # Checked at load time, before any long work; a model loaded from its checkpoint skips it.
        if value is not None and (info.context or {}).get("check_files", True) and not value.is_file():
            raise ValueError(f"betting-lines file {value} not found; pass the path of a spreadspoke_scores.csv file")
        return value

    def targets(self) -> tuple[str, ...]:
        """The regression targets (known without building the data, so the monitor is checked at load time)."""
        return ("home", "away", "margin")

    def build(self, workdir: Path) -> DataBundle:
        from scrimmage.football.pregame import build_nfl_pregame

        return build_nfl_pregame(self, workdir)


#: Every class the play-call dataset can make, in class-index order (its options pick a subset).
PLAYCALL_CLASSES = ("run", "pass", "sack", "punt", "field_goal", "kneel", "spike")


def _increasing(values: list[int], field: str) -> list[int]:
    if any(b <= a for a, b in pairwise(values)):
        raise ValueError(f"data.{field} must be strictly increasing, got {values}")
    return values


@DATASETS.register
class PlaycallDataConfig(SeasonSplits):
    """NFL play calls: the game state before each offensive snap → run, pass, punt, field goal, kneel or spike."""

    name: Literal["nfl-playcall"] = "nfl-playcall"
    season_types: list[Literal["PRE", "REG", "POST"]] = Field(
        ["REG", "POST"], min_length=1, description="Game types whose snaps become examples (preseason calls are vanilla)."
    )
    sacks_as_pass: bool = Field(True, description="Count sacks as pass calls (a called dropback); false keeps 'sack' as a class.")
    scrambles_as_pass: bool = Field(True, description="Count QB scrambles (recorded as runs) as pass calls.")
    kneels_spikes: Literal["classes", "merge", "drop"] = Field(
        "classes", description="Kneels and spikes: own classes, merged (kneel→run, spike→pass) or dropped."
    )
    no_plays: Literal["recover", "drop"] = Field(
        "recover", description="Snaps nullified by a penalty: recover the call from the description, or drop them all."
    )
    team_embeddings: bool = Field(True, description="Feed offense/defense team ids to the model (one shared team embedding).")
    season_feature: bool = Field(True, description="Add the season as a numeric feature (league-wide trends such as more passing).")
    distance_edges: list[Int] = Field(
        [2, 3, 4, 7, 11], min_length=1,
        description="Situation baseline: lower edges of the yards-to-go buckets after the first (1, 2, 3, 4-6, 7-10, 11+).",
    )
    field_edges: list[Int] = Field(
        [10, 20, 40, 60, 80, 95], min_length=1,
        description="Situation baseline: edges of the field zones, in yards from the opponent's goal line.",
    )
    score_edges: list[Int] = Field(
        [-16, -8, -3, 0, 1, 4, 9, 17], min_length=1,
        description="Situation baseline: lower edges of the offense's score-difference buckets after the first.",
    )
    situation_smoothing: FiniteFloat = Field(
        1.0, ge=0,
        description="Situation baseline: pseudo-plays pulling each cell toward the overall training mix (1 was best on 2017).",
    )

    @model_validator(mode="after")
    def _edges_increasing(self) -> PlaycallDataConfig:
        for field in ("distance_edges", "field_edges", "score_edges"):
            _increasing(getattr(self, field), field)
        return self

    def class_names(self) -> tuple[str, ...]:
        """The classes, in class-index order (known without building the data)."""
        dropped = {"sack"} if self.sacks_as_pass else set()
        if self.kneels_spikes != "classes":
            dropped |= {"kneel", "spike"}
        return tuple(c for c in PLAYCALL_CLASSES if c not in dropped)

    def build(self, workdir: Path) -> DataBundle:
        from scrimmage.football.playcall import build_nfl_playcall

        return build_nfl_playcall(self, workdir)
