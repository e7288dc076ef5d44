"""The market reports a recipe can name (light schemas: ``build()`` imports the report on call)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from scrimmage.config.registry import REPORTS, Component
from scrimmage.config.types import NonNegativeInt, PositiveInt

Baseline = Literal["volatility", "logistic", "lightgbm"]


@REPORTS.register
class MarketBaselinesReport(Component):
    """Model beside volatility-only, logistic and LightGBM scores: PR/ROC-AUC with day-bootstrap intervals"""

    name: Literal["market-baselines"] = "market-baselines"
    baselines: list[Baseline] = Field(["volatility", "logistic", "lightgbm"],
                                      description="Baselines scored on the same test windows.")
    bootstrap: NonNegativeInt = Field(400, description="Resamples of whole test days for the 95% intervals (0: none).")
    seed: NonNegativeInt = Field(0, description="Seed of the bootstrap and of the baselines' training subsample.")
    max_train_windows: PositiveInt = Field(100_000, description="Training windows the fitted baselines see (a seeded subsample).")
    lightgbm_rounds: PositiveInt = Field(300, description="Most boosting rounds (early-stopped on validation PR-AUC).")

    def check_config(self, config: Any) -> None:
        if config.data.name != "market-windows":
            raise ValueError(f"report market-baselines needs data market-windows, not {config.data.name}; "
                             "remove it from reports")

    def build(self) -> Any:
        from scrimmage.markets.evaluation.report import market_report

        return lambda ctx, report: market_report(
            ctx, report, baselines=tuple(self.baselines), bootstrap=self.bootstrap, seed=self.seed,
            max_train_windows=self.max_train_windows, lightgbm_rounds=self.lightgbm_rounds)
