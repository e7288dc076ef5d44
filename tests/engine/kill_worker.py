"""Trains the synthetic kill-test config in its own process (started and SIGKILLed by a test).

With ``--park-at STEP MARKER`` it writes ``MARKER`` right after optimizer step STEP (after that
step's checkpoint: the callback runs after the checkpoint writer) and then waits to be killed, so
the test kills it at a known point instead of racing a timer.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

from scrimmage.engine import run
from scrimmage.engine.events import Callback
from tests.engine.synthetic import synthetic_config

KILL_TEST_OVERRIDES = (
    "trainer.epochs=3", "trainer.batch_size=32", "checkpoint.every_n_steps=3", "callbacks=[]",
)


class ParkAt(Callback):
    """Write a marker file after optimizer step ``step``, then sleep until killed."""

    name = "park"

    def __init__(self, step: int, marker: Path):
        self.step, self.marker = step, marker

    def on_optimizer_step(self, state, ctx) -> None:
        if state.global_step == self.step:
            self.marker.write_text(str(state.global_step))
            while True:
                time.sleep(60)


if __name__ == "__main__":
    args = sys.argv[1:]
    callbacks = []
    overrides = list(KILL_TEST_OVERRIDES)
    if args[:1] == ["--tracking"]:
        overrides.append("tracking.enabled=true")
        args = args[1:]
    if args[:1] == ["--park-at"]:
        callbacks.append(ParkAt(int(args[1]), Path(args[2])))
        args = args[3:]
    workdir, resume = args[0], (args[1] if len(args) > 1 else None)
    run(synthetic_config(*overrides), workdir=workdir, resume=resume, progress=False, callbacks=callbacks)
