"""``nfl-pregame``: the dataset's options (registered by :mod:`scrimmage.football.plugin`).

Light: its ``build(workdir)`` imports the builder (:mod:`.pregame`: pandas, torch, the features) on call.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Literal

from pydantic import Field

from scrimmage.config.registry import DATASETS
from scrimmage.config.types import FiniteFloat
from scrimmage.football.common.splits import NFLGames

if TYPE_CHECKING:
    from scrimmage.data.datamodule import DataBundle


@DATASETS.register
class PregameDataConfig(NFLGames):
    """NFL games: pregame team form, Elo and power ratings → home points, away points and margin."""

    name: Literal["nfl-pregame"] = "nfl-pregame"
    halflife_games: FiniteFloat = Field(6.0, gt=0, description="Half-life, in games, of the exponentially weighted team form.")
    prior_games: FiniteFloat = Field(4.0, ge=0, description="Weight, in games, of last season's form in early-season shrinkage.")
    team_embeddings: bool = Field(True, description="Feed home/away team ids to the model (learned team embeddings).")
    elo_features: bool = Field(True, description="Add pregame Elo ratings (from earlier games only) as features.")
    rating_features: bool = Field(True, description="Add time-decayed Massey power ratings (earlier games only) as features.")
    rating_halflife_days: FiniteFloat = Field(150.0, gt=0, description="Days for a result's weight in the power ratings to halve.")
    rating_ridge: FiniteFloat = Field(2.0, ge=0, description="Ridge shrinkage of power ratings toward average.")

    def targets(self) -> tuple[str, ...]:
        """The regression targets (known without building the data, so the monitor is checked at load time)."""
        return ("home", "away", "margin")

    def build(self, workdir: Path) -> DataBundle:
        from scrimmage.football.datasets.pregame import build_nfl_pregame

        return build_nfl_pregame(self, workdir)

