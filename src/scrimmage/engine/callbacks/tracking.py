"""Per-epoch metrics to the tracker in one batched call per epoch (step = the 1-based epoch)."""

from __future__ import annotations

from scrimmage.engine.events import Callback, Context, LoopState


class TrackingCallback(Callback):
    name = "tracking"

    def on_epoch_end(self, state: LoopState, ctx: Context) -> None:
        values = {k: v for k, v in state.metrics.items() if k != "epoch"}
        if state.train_seconds > 0:
            values["train/samples_per_s"] = state.samples_seen / state.train_seconds
        ctx.log(values, int(state.metrics["epoch"]))
