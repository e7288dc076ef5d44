"""A small event system (Composer-style): the loop fires events, callbacks react.

Callbacks hold their own resumable state (``state_dict``/``load_state_dict``), which the
checkpoint stores, so early stopping, top-k bookkeeping and the like survive a resume.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from scrimmage.engine.loop import TrainLoop


@dataclass
class LoopState:
    """Where the loop is; saved in every checkpoint."""

    epoch: int = 0
    """Index of the epoch in progress (or next to run)."""
    global_step: int = 0
    """Optimizer steps taken so far."""
    should_stop: bool = False
    stop_reason: str = ""

    def state_dict(self) -> dict[str, Any]:
        return {"epoch": self.epoch, "global_step": self.global_step, "should_stop": self.should_stop, "stop_reason": self.stop_reason}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.epoch, self.global_step = int(state["epoch"]), int(state["global_step"])
        self.should_stop, self.stop_reason = bool(state["should_stop"]), str(state["stop_reason"])


class Callback:
    """Override the hooks you need. ``name`` keys the callback's state in checkpoints."""

    name = "callback"

    def on_fit_start(self, loop: TrainLoop) -> None: ...

    def on_epoch_start(self, loop: TrainLoop) -> None: ...

    def on_optimizer_step(self, loop: TrainLoop) -> None:
        """After each optimizer step (``loop.state.global_step`` already incremented)."""

    def on_epoch_end(self, loop: TrainLoop, metrics: dict[str, float]) -> None:
        """After validation; ``metrics`` holds train/ and val/ values for the epoch."""

    def on_fit_end(self, loop: TrainLoop) -> None: ...

    def state_dict(self) -> dict[str, Any]:
        return {}

    def load_state_dict(self, state: dict[str, Any]) -> None: ...
