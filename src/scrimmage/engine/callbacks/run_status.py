"""Keeps ``run.json`` current after every epoch (epochs done, steps), so listings need no torch."""

from __future__ import annotations

from scrimmage.engine.events import Callback, Context, LoopState
from scrimmage.engine.runs import RunRecord


class RunStatus(Callback):
    name = "run_status"

    def __init__(self, record: RunRecord):
        self.record = record

    def on_epoch_end(self, state: LoopState, ctx: Context) -> None:
        self.record.progress(state.epoch, state.global_step)
