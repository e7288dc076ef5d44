"""Early stopping on a monitored metric (mode, patience, min_delta); remembers the best epoch."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

from scrimmage.config.schema import EarlyStoppingConfig
from scrimmage.engine.events import Callback
from scrimmage.errors import ConfigError

if TYPE_CHECKING:
    from scrimmage.engine.loop import TrainLoop


def is_improvement(value: float, best: float | None, mode: str, min_delta: float) -> bool:
    if not math.isfinite(value):
        return False
    if best is None:
        return True
    return value < best - min_delta if mode == "min" else value > best + min_delta


class EarlyStopping(Callback):
    name = "early_stopping"

    def __init__(self, cfg: EarlyStoppingConfig):
        self.cfg = cfg
        self.best: float | None = None
        self.best_epoch: int = -1
        self.bad_epochs = 0

    def on_epoch_end(self, loop: TrainLoop, metrics: dict[str, float]) -> None:
        if self.cfg.metric not in metrics:
            raise ConfigError(
                f"early_stopping.metric '{self.cfg.metric}' is not computed; available: {', '.join(sorted(metrics))}."
            )
        value = metrics[self.cfg.metric]
        if is_improvement(value, self.best, self.cfg.mode, self.cfg.min_delta):
            self.best, self.best_epoch, self.bad_epochs = value, int(metrics["epoch"]), 0
        else:
            self.bad_epochs += 1
        if self.cfg.enabled and self.bad_epochs > self.cfg.patience:
            loop.state.should_stop = True
            loop.state.stop_reason = (
                f"early stopping: {self.cfg.metric} did not improve for {self.bad_epochs} epochs "
                f"(best {self.best:.4f} at epoch {self.best_epoch + 1})"
            )

    def state_dict(self) -> dict[str, Any]:
        return {"best": self.best, "best_epoch": self.best_epoch, "bad_epochs": self.bad_epochs}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.best = state.get("best")
        self.best_epoch = int(state.get("best_epoch", -1))
        self.bad_epochs = int(state.get("bad_epochs", 0))
