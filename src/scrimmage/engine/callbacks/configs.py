"""Callbacks a recipe lists under ``callbacks:``, by name, with their own options.

Order (documented, and what the run builds): the recipe's callbacks in list order, then the
built-ins: tracking (logs the epoch), checkpoint (saves every callback's updated state, so it
comes after the ones that change state), progress (prints). Early stopping, checkpoints and the
plateau schedule all watch the one ``monitor`` section.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

from pydantic import Field

from scrimmage.config.registry import CALLBACKS, Component
from scrimmage.config.types import FiniteFloat, NonNegativeInt

if TYPE_CHECKING:
    from scrimmage.config.schema import RunConfig
    from scrimmage.engine.events import Callback


@CALLBACKS.register
class EarlyStoppingConfig(Component):
    """Stop when the monitored metric has not improved for patience epochs."""

    name: Literal["early_stopping"] = "early_stopping"
    patience: NonNegativeInt = Field(10, description="Epochs without improvement before stopping.")
    min_delta: FiniteFloat = Field(0.0, ge=0, description="Smallest change that counts as an improvement.")

    def build(self, config: RunConfig) -> Callback:
        from scrimmage.engine.callbacks.early_stopping import EarlyStopping

        return EarlyStopping(config.monitor.metric, config.monitor.mode, self.patience, self.min_delta)
