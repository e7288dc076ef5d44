"""The ``nfl-betting`` report's options (registered by :mod:`scrimmage.football.plugin`): a light schema whose
``build()`` imports :mod:`.betting` on call."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from scrimmage.config.registry import REPORTS, Component
from scrimmage.config.types import FiniteFloat, NonNegativeInt, PositiveInt


@REPORTS.register
class BettingReport(Component):
    """Test-season betting record of the CQL policy beside random, Kelly, logistic and agreeing-ensemble bets, with intervals"""

    name: Literal["nfl-betting"] = "nfl-betting"
    ensemble_runs: list[str] = Field([], description="Run ids or .ckpt files of other CQL runs on the same data (e.g. other seeds): with this run, the ensemble that bets where its members agree.")
    agreement_share: FiniteFloat = Field(0.2, gt=0, le=1, description="Share of the validation bets with the least member disagreement that sets the ensemble's threshold.")
    bootstrap: PositiveInt = Field(2000, description="Bootstrap resamples of the test games for every interval.")
    seed: NonNegativeInt = Field(0, description="Seed of the random strategy and the bootstrap.")

    def check_config(self, config: Any) -> None:
        if config.data.name != "nfl-betting" or config.task.name != "offline-q":
            raise ValueError(f"report nfl-betting needs data nfl-betting and task offline-q (got {config.data.name}, "
                             f"{config.task.name}); remove it from reports")

    def build(self) -> Any:
        from scrimmage.football.reports.betting import betting_report

        return lambda ctx, report: betting_report(ctx, report, self.ensemble_runs, self.agreement_share,
                                                  self.bootstrap, self.seed)
