"""Optimizers (``optim.name``) and learning-rate schedules (``scheduler.name``), each with its own options.

Schemas only; ``build`` imports torch on call. Each optimizer schema builds its own torch
optimizer (a new one is one registered class), always with ``foreach=True``: one fused kernel
per op over all parameters instead of a Python loop per tensor; torch only turns it on by
default on CUDA, yet small models on CPU gain the most.
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
        """The torch optimizer over ``params``."""
        raise NotImplementedError(f"optimizer {self.name!r} does not say how to build itself")


@OPTIMIZERS.register
class AdamWConfig(OptimizerConfig):
    """AdamW: Adam with decoupled weight decay."""

    name: Literal["adamw"] = "adamw"
    betas: Betas = Field((0.9, 0.999), description="Adam betas, each in [0, 1).")

    def build(self, params: Any) -> Any:
        import torch

        return torch.optim.AdamW(params, lr=self.lr, weight_decay=self.weight_decay, betas=self.betas, foreach=True)


@OPTIMIZERS.register
class AdamConfig(OptimizerConfig):
    """Adam with L2 weight decay added to the gradient."""

    name: Literal["adam"] = "adam"
    betas: Betas = Field((0.9, 0.999), description="Adam betas, each in [0, 1).")

    def build(self, params: Any) -> Any:
        import torch

        return torch.optim.Adam(params, lr=self.lr, weight_decay=self.weight_decay, betas=self.betas, foreach=True)


@OPTIMIZERS.register
class SGDConfig(OptimizerConfig):
    """Stochastic gradient descent with momentum."""

    name: Literal["sgd"] = "sgd"
    momentum: FiniteFloat = Field(0.9, ge=0, lt=1, description="Momentum.")
    nesterov: bool = Field(False, description="Nesterov momentum (needs momentum > 0).")

    def build(self, params: Any) -> Any:
        import torch

        from scrimmage.errors import ConfigError

        if self.nesterov and self.momentum == 0:
            raise ConfigError("optim.nesterov needs optim.momentum > 0")
        return torch.optim.SGD(params, lr=self.lr, weight_decay=self.weight_decay, momentum=self.momentum,
                               nesterov=self.nesterov, foreach=True)


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
    """Multiply the LR by factor when the monitored metric stops improving (its direction is monitor.mode)."""

    name: Literal["plateau"] = "plateau"
    factor: FiniteFloat = Field(0.5, gt=0, lt=1, description="LR multiplier when the metric plateaus.")
    patience: NonNegativeInt = Field(3, description="Epochs without improvement before an LR drop.")
    min_lr: FiniteFloat = Field(0.0, ge=0, description="The LR never drops below this (absolute, e.g. 1e-6).")
    threshold: FiniteFloat = Field(1e-4, ge=0, description="Smallest relative change of the metric that counts as an improvement.")
    cooldown: NonNegativeInt = Field(0, description="Epochs after an LR drop before plateaus are counted again.")
