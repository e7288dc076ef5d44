"""``nfl-playcall``: the dataset's options (registered by :mod:`scrimmage.football.plugin`).

Light: its ``build(workdir)`` imports the builder (:mod:`.playcall`: pandas, torch) on call.
"""

from __future__ import annotations

from itertools import pairwise
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from pydantic import Field, model_validator

from scrimmage.config.registry import DATASETS
from scrimmage.config.types import FiniteFloat, Int
from scrimmage.football.common.playtypes import PLAYCALL_CLASSES
from scrimmage.football.common.splits import SeasonSplits

if TYPE_CHECKING:
    from scrimmage.data.datamodule import DataBundle

__all__ = ["PLAYCALL_CLASSES", "PlaycallDataConfig"]


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
        description="Situation baseline: edges of the field zones, in yards from the offense's own goal line (yardline_100).",
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
        from scrimmage.football.datasets.playcall import build_nfl_playcall

        return build_nfl_playcall(self, workdir)

