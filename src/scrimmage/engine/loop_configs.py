"""The training loops a recipe can pick (``loop: {name: supervised}``); each builds its loop class.

A loop trains; the session around it (:mod:`scrimmage.engine.runner`) owns the run record,
tracking, signals, the budget, checkpoint files, callbacks and the result. Paradigms that are not
epochs over splits (offline RL with target networks, self-play) register a loop of their own here
or from a domain package.
"""

from __future__ import annotations

from typing import Any, Literal

from scrimmage.config.registry import LOOPS, Component


@LOOPS.register
class SupervisedLoopConfig(Component):
    """Epochs over the training split, validation at each epoch end (the default)"""

    name: Literal["supervised"] = "supervised"

    def build(self) -> Any:
        from scrimmage.engine.loop import TrainLoop

        return TrainLoop
