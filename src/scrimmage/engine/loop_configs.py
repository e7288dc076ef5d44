"""The training loops a recipe can pick (``loop: {name: supervised}``); each builds its loop class.

A loop trains; the session around it (:mod:`scrimmage.engine.runner`) owns the run record,
tracking, signals, the budget, checkpoint files, callbacks and the result. Paradigms that are not
epochs over splits (offline RL with target networks, self-play) register a loop of their own here
or from a domain package.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field, field_validator

from scrimmage.config.registry import LOOPS, Component
from scrimmage.errors import ConfigError


@LOOPS.register
class SupervisedLoopConfig(Component):
    """Epochs over the training split, validation at each epoch end (the default)"""

    name: Literal["supervised"] = "supervised"

    def build(self) -> Any:
        from scrimmage.engine.loop import TrainLoop

        return TrainLoop


ENSEMBLE_CALLBACKS = ("early_stopping", "alerts")
"""Callbacks the ensemble loop runs: it does each member's early stopping itself (with this callback's
patience and min_delta); the others act on one set of weights (EMA, SWA, phases, target networks)."""


@LOOPS.register
class EnsembleLoopConfig(Component):
    """A seed ensemble of mlp members trained together, stacked (each with its own init, data order, early stopping)"""

    name: Literal["ensemble"] = "ensemble"
    seeds: list[int] = Field(default_factory=lambda: [0, 1, 2, 3, 4], min_length=1,
                             description="One member per seed (default: five, seeds 0-4): its initialisation and data "
                             "order are what a supervised run with trainer.seed = that seed would use.")

    @field_validator("seeds")
    @classmethod
    def _distinct(cls, value: list[int]) -> list[int]:
        repeated = sorted({s for s in value if value.count(s) > 1})
        if repeated:
            raise ValueError(f"seeds {repeated} repeat; list each seed once (each seed is one member)")
        return value

    def check(self, config: Any) -> None:
        """What this loop cannot train, named before anything is built (a ConfigError listing each reason)."""
        problems = []
        model = config.model
        if model.name != "mlp":
            problems.append(f"model '{model.name}' (the ensemble stacks mlp members; use model.name: mlp)")
        elif getattr(model, "batch_norm", False):
            problems.append("model.batch_norm: true (batch statistics are not stacked per member; set it to false)")
        trainer = config.trainer
        if trainer.devices > 1:
            problems.append(f"trainer.devices={trainer.devices} (one process trains every member; use devices: 1)")
        if trainer.precision != "32-true":
            problems.append(f"trainer.precision={trainer.precision!r} (use 32-true)")
        if trainer.accumulate > 1:
            problems.append(f"trainer.accumulate={trainer.accumulate} (use 1 and a larger batch_size)")
        others = [c.name for c in config.callbacks if c.name not in ENSEMBLE_CALLBACKS]
        if others:
            problems.append(f"callbacks {others} (the ensemble loop runs {', '.join(ENSEMBLE_CALLBACKS)} only)")
        if problems:
            raise ConfigError("loop ensemble cannot train this config: " + "; ".join(problems) +
                              ". Fix these, or train the seeds one by one with loop: {name: supervised}.")

    def build(self) -> Any:
        from scrimmage.engine.ensemble_loop import EnsembleLoop

        return EnsembleLoop
