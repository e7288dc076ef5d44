"""Per-epoch metrics to MLflow in one batched call per epoch."""

from __future__ import annotations

from typing import TYPE_CHECKING

from scrimmage.engine.events import Callback

if TYPE_CHECKING:
    from scrimmage.engine.loop import TrainLoop
    from scrimmage.tracking.mlflow_tracker import MlflowTracker


class TrackingCallback(Callback):
    name = "tracking"

    def __init__(self, tracker: MlflowTracker):
        self.tracker = tracker

    def on_epoch_end(self, loop: TrainLoop, metrics: dict[str, float]) -> None:
        values = {k: v for k, v in metrics.items() if k != "epoch"}
        if loop.train_seconds > 0:
            values["train/samples_per_s"] = loop.samples_seen / loop.train_seconds
        self.tracker.log_metrics(values, step=int(metrics["epoch"]))
