"""Early stopping on the monitored metric (mode, patience, min_delta); remembers the best epoch.

The run stops at the end of the ``patience``-th consecutive epoch without improvement (patience 3:
best at epoch 5, epochs 6, 7 and 8 worse, stop after epoch 8), as in Keras; patience 0 and 1 both
stop at the first epoch that does not improve."""

from __future__ import annotations

import math
from typing import Any

from scrimmage.engine.events import Callback, Context, LoopState


def is_improvement(value: float, best: float | None, mode: str, min_delta: float) -> bool:
    if not math.isfinite(value):
        return False
    if best is None:
        return True
    return value < best - min_delta if mode == "min" else value > best + min_delta


class EarlyStopping(Callback):
    name = "early_stopping"

    def __init__(self, metric: str, mode: str, patience: int, min_delta: float):
        self.metric, self.mode, self.patience, self.min_delta = metric, mode, patience, min_delta
        self.best: float | None = None
        self.best_epoch: int = 0  # 1-based; 0 = none yet
        self.bad_epochs = 0

    def on_epoch_end(self, state: LoopState, ctx: Context) -> None:
        value = state.metrics[self.metric]
        if is_improvement(value, self.best, self.mode, self.min_delta):
            self.best, self.best_epoch, self.bad_epochs = value, int(state.metrics["epoch"]), 0
            return
        self.bad_epochs += 1
        if self.bad_epochs >= self.patience:  # patience = epochs without improvement after which the run stops
            state.should_stop = True
            best = f"best {self.best:.4f} at epoch {self.best_epoch}" if self.best is not None else "never finite"
            state.stop_reason = f"early stopping: {self.metric} did not improve for {self.bad_epochs} epoch{'s' if self.bad_epochs != 1 else ''} ({best})"

    def on_checkpoint_loaded(self, state: LoopState, ctx: Context) -> None:
        """A run that early stopping ended, resumed with a larger patience, trains on."""
        if state.should_stop and state.stop_reason.startswith("early stopping") and self.bad_epochs < self.patience:
            state.should_stop, state.stop_reason = False, ""

    def state_dict(self) -> dict[str, Any]:
        return {"best": self.best, "best_epoch": self.best_epoch, "bad_epochs": self.bad_epochs}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.best = state.get("best")
        self.best_epoch = int(state.get("best_epoch", 0))
        self.bad_epochs = int(state.get("bad_epochs", 0))

    def update_patience(self, patience: int) -> None:
        self.patience = patience
