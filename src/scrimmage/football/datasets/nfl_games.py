"""``nfl-games``: the dataset's options (registered by :mod:`scrimmage.football.plugin`).

Light: its ``build(workdir)`` imports the builder (:mod:`.games`: pandas, torch, the features) on call.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Literal

from pydantic import Field

from scrimmage.config.registry import DATASETS
from scrimmage.config.types import FiniteFloat
from scrimmage.football.common.playtypes import PLAYCALL_CLASSES
from scrimmage.football.common.splits import NFLGames

if TYPE_CHECKING:
    from scrimmage.data.datamodule import DataBundle


@DATASETS.register
class HierarchicalDataConfig(NFLGames):
    """NFL games as sequences of snaps: per-play state + pregame features → play, drive and game targets."""

    name: Literal["nfl-games"] = "nfl-games"
    pregame_features: bool = Field(True, description="Repeat the nfl-pregame recipe's features (form, Elo, ratings) at every play.")
    halflife_games: FiniteFloat = Field(10.0, gt=0, description="Pregame features: half-life, in games, of the team form.")
    prior_games: FiniteFloat = Field(4.0, ge=0, description="Pregame features: weight, in games, of last season's form early on.")
    team_embeddings: bool = Field(True, description="Feed offense/defense ids (one shared team embedding) at every play.")
    season_embedding: bool = Field(True, description="Feed a season id (seasons outside training map to the nearest training season).")

    def class_names(self) -> tuple[str, ...]:
        """Play-type classes of the play head (the nfl-playcall recipe's defaults)."""
        return tuple(c for c in PLAYCALL_CLASSES if c != "sack")

    def build(self, workdir: Path) -> DataBundle:
        from scrimmage.football.datasets.games import build_nfl_games

        return build_nfl_games(self, workdir)

