"""Optuna pruning as an engine callback: report the monitored metric each epoch, stop a pruned trial.

The callback runs after validation (``EPOCH_END``) and reports the trial's metric at the epoch
number (1-based) to the Optuna trial; when the pruner says so it asks the run to stop with
``request_stop(reason, mode="prune")``, so the run ends ``pruned`` (no test, no result) and the
search records the trial as pruned. Early stopping stays on inside trials: it ends a trial that has
stopped improving, the pruner one that is worse than its peers.

A retried trial that resumes its killed run from ``last.ckpt`` reports the restored history first
(``CHECKPOINT_LOADED``), so the pruner sees every epoch once.
"""

from __future__ import annotations

import math
from typing import Any

from scrimmage.engine.events import Callback, Context, LoopState


class OptunaPruning(Callback):
    name = "optuna_pruning"
    keeps_state = False  # the trial lives in the study's storage, not in the checkpoint

    def __init__(self, trial: Any, metric: str):
        self.trial, self.metric = trial, metric
        self.pruned_at: int | None = None
        self.reported: set[int] = set()

    def _report(self, metrics: dict[str, float]) -> None:
        epoch = int(metrics.get("epoch", 0))
        value = metrics.get(self.metric)
        if value is None or epoch in self.reported:
            return
        self.trial.report(float(value) if math.isfinite(value) else float("nan"), epoch)
        self.reported.add(epoch)

    def on_checkpoint_loaded(self, state: LoopState, ctx: Context) -> None:
        for metrics in state.history:
            self._report(metrics)

    def on_epoch_end(self, state: LoopState, ctx: Context) -> None:
        self._report(state.metrics)
        if state.should_stop:  # early stopping (or another callback) ends the trial anyway: it completes
            return
        if self.trial.should_prune():
            self.pruned_at = int(state.metrics.get("epoch", state.epoch))
            value = state.metrics.get(self.metric, float("nan"))
            ctx.request_stop(f"pruned by the search at epoch {self.pruned_at} ({self.metric} {value:.4g})", mode="prune")
