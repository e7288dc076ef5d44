"""Optimizers (``optim.name``) and learning-rate schedules (``scheduler.name``), each with its own options.

Schemas only; ``build`` imports torch on call (see :mod:`scrimmage.engine.optim`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any, Literal

from pydantic import Field

from scrimmage.config.registry import OPTIMIZERS, SCHEDULERS, Component
from scrimmage.config.types import FiniteFloat, NonNegativeInt, PositiveInt

if TYPE_CHECKING:
    from scrimmage.engine.optim import Schedule

Beta = Annotated[float, Field(ge=0, lt=1)]
Betas = tuple[Beta, Beta]


class OptimizerConfig(Component):
    lr: FiniteFloat = Field(1e-3, gt=0, description="Learning rate (finite, > 0).")
    weight_decay: FiniteFloat = Field(1e-4, ge=0, description="Weight decay.")

    def build(self, params: Any) -> Any:
        from scrimmage.engine.optim import build_optimizer

        return build_optimizer(params, self)


@OPTIMIZERS.register
class AdamWConfig(OptimizerConfig):
    """AdamW: Adam with decoupled weight decay."""

    name: Literal["adamw"] = "adamw"
    betas: Betas = Field((0.9, 0.999), description="Adam betas, each in [0, 1).")


@OPTIMIZERS.register
class AdamConfig(OptimizerConfig):
    """Adam with L2 weight decay added to the gradient."""

    name: Literal["adam"] = "adam"
    betas: Betas = Field((0.9, 0.999), description="Adam betas, each in [0, 1).")


@OPTIMIZERS.register
class SGDConfig(OptimizerConfig):
    """Stochastic gradient descent with momentum."""

    name: Literal["sgd"] = "sgd"
    momentum: FiniteFloat = Field(0.9, ge=0, lt=1, description="Momentum.")
    nesterov: bool = Field(False, description="Nesterov momentum (needs momentum > 0).")


class ScheduleConfig(Component):
    def build(self, optimizer: Any, *, steps_per_epoch: int, epochs: int, mode: str) -> Schedule:
        from scrimmage.engine.optim import build_schedule

        return build_schedule(optimizer, self, steps_per_epoch=steps_per_epoch, epochs=epochs, mode=mode)


@SCHEDULERS.register
class ConstantSchedule(ScheduleConfig):
    """Constant learning rate."""

    name: Literal["constant"] = "constant"


@SCHEDULERS.register
class CosineSchedule(ScheduleConfig):
    """Cosine decay from optim.lr to min_lr_ratio * optim.lr over the run, stepped every optimizer step."""

    name: Literal["cosine"] = "cosine"
    min_lr_ratio: FiniteFloat = Field(0.01, ge=0, le=1, description="Final LR as a fraction of optim.lr.")


@SCHEDULERS.register
class WarmupCosineSchedule(ScheduleConfig):
    """Linear warmup, then cosine decay."""

    name: Literal["warmup_cosine"] = "warmup_cosine"
    warmup_epochs: FiniteFloat = Field(1.0, ge=0, description="Linear warmup length in epochs.")
    min_lr_ratio: FiniteFloat = Field(0.01, ge=0, le=1, description="Final LR as a fraction of optim.lr.")


@SCHEDULERS.register
class StepSchedule(ScheduleConfig):
    """Multiply the LR by gamma every step_size epochs."""

    name: Literal["step"] = "step"
    step_size: PositiveInt = Field(10, description="Epochs between LR drops.")
    gamma: FiniteFloat = Field(0.5, gt=0, le=1, description="LR multiplier at each drop.")


@SCHEDULERS.register
class PlateauSchedule(ScheduleConfig):
    """Multiply the LR by factor when the monitored metric stops improving."""

    name: Literal["plateau"] = "plateau"
    factor: FiniteFloat = Field(0.5, gt=0, lt=1, description="LR multiplier when the metric plateaus.")
    patience: NonNegativeInt = Field(3, description="Epochs without improvement before an LR drop.")
