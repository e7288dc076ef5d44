"""Trains the synthetic kill-test config in its own process (started and SIGKILLed by a test)."""

from __future__ import annotations

import sys

from scrimmage.engine import run
from tests.engine.synthetic import synthetic_config

KILL_TEST_OVERRIDES = (
    "trainer.epochs=5", "trainer.batch_size=4", "model.hidden=[256, 256]", "checkpoint.every_n_steps=3",
    "callbacks=[]",
)

if __name__ == "__main__":
    workdir, resume = sys.argv[1], (sys.argv[2] if len(sys.argv) > 2 else None)
    run(synthetic_config(*KILL_TEST_OVERRIDES), workdir=workdir, resume=resume, progress=False)
