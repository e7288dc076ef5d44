"""``nfl-betting``: the dataset's options (registered by :mod:`scrimmage.football.plugin`).

Light: pydantic only; ``build(workdir)`` imports the builder (:mod:`.dataset`: pandas, scikit-learn, torch).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Literal

from pydantic import Field, field_validator

from scrimmage.config.registry import DATASETS
from scrimmage.config.types import FiniteFloat, NonNegativeInt, PositiveInt
from scrimmage.football.common.splits import NFLGames

if TYPE_CHECKING:
    from scrimmage.data.datamodule import DataBundle

Feature = Literal["spread_home", "total_line", "edge_margin", "edge_total", "uncertainty", "rest_diff"]
FEATURES: tuple[str, ...] = ("spread_home", "total_line", "edge_margin", "edge_total", "uncertainty", "rest_diff")


@DATASETS.register
class BettingDataConfig(NFLGames):
    """NFL games with a closing line as one-step betting decisions: walk-forward pregame edge → every action's payoff."""

    name: Literal["nfl-betting"] = "nfl-betting"
    features: list[Feature] = Field(
        list(FEATURES), min_length=1,
        description="State features: spread_home, total_line, edge_margin (walk-forward predicted margin + spread_home: > 0 favours home against the spread), edge_total (predicted total - total_line), uncertainty (std of the predicted margin across the bootstrap members), rest_diff (home - away rest days).",
    )
    over_under: bool = Field(False, description="Add the actions over and under the total line to no_bet, home_ats, away_ats.")
    odds: FiniteFloat = Field(-110.0, description="American price of every bet (-110: a win pays 100/110 = 0.909 per unit risked, a loss costs 1, a push 0).")
    behaviour: Literal["all", "uniform"] = Field(
        "all",
        description="Logged actions of the training split: all (every action of every game is a logged transition: the payoffs are all known) or uniform (one action per game drawn uniformly, seeded).",
    )
    games_from: Literal["play_by_play", "lines"] = Field(
        "play_by_play",
        description="Games and pregame features from the ingested play-by-play (box-score form) or from the lines file's scores alone (points-only form; no ingest needed).",
    )
    members: PositiveInt = Field(5, description="Bootstrap ridge models per walk-forward season (their spread is the uncertainty feature).")
    ridge_alpha: FiniteFloat = Field(10.0, gt=0, description="Ridge penalty of the walk-forward models (on standardised features).")
    seed: NonNegativeInt = Field(0, description="Seed of the bootstrap resamples and of the uniform logged actions.")

    @field_validator("odds")
    @classmethod
    def _american(cls, value: float) -> float:
        if -100 < value < 100:
            raise ValueError(f"data.odds is an American price: <= -100 (favourite, -110) or >= 100 (underdog, +120), got {value}")
        return value

    @field_validator("features")
    @classmethod
    def _unique(cls, value: list[str]) -> list[str]:
        repeated = sorted({f for f in value if value.count(f) > 1})
        if repeated:
            raise ValueError(f"data.features lists {repeated} more than once")
        return value

    def class_names(self) -> tuple[str, ...]:
        """The actions (known without building the data)."""
        from scrimmage.football.betting.rewards import ATS_ACTIONS, TOTAL_ACTIONS

        return ATS_ACTIONS + (TOTAL_ACTIONS if self.over_under else ())

    def build(self, workdir: Path) -> DataBundle:
        from scrimmage.football.betting.dataset import build_nfl_betting

        return build_nfl_betting(self, workdir)

