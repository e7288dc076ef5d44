"""LR schedules from their schemas (torch.optim; stepped per step, epoch or metric); optimizers build themselves
(:mod:`scrimmage.engine.optim_configs`)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import torch
from torch import nn


@dataclass
class Schedule:
    """A torch LR scheduler plus when to step it: every optimizer step, every epoch, or on a metric."""

    scheduler: Any
    interval: str  # "step" | "epoch" | "metric" | "never"

    def step_after_optimizer(self) -> None:
        if self.interval == "step":
            self.scheduler.step()

    def step_after_epoch(self, metric: float | None) -> None:
        if self.interval == "epoch":
            self.scheduler.step()
        elif self.interval == "metric" and metric is not None and math.isfinite(metric):
            self.scheduler.step(metric)

    def state_dict(self) -> dict[str, Any]:
        return self.scheduler.state_dict()

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.scheduler.load_state_dict(state)


def build_schedule(
    optimizer: torch.optim.Optimizer, cfg: Any, *, steps_per_epoch: int, epochs: int, mode: str
) -> Schedule:
    total = max(1, steps_per_epoch * epochs)
    floor = getattr(cfg, "min_lr_ratio", 0.0)
    lr_sched = torch.optim.lr_scheduler
    if cfg.name == "constant":  # a LambdaLR that is never stepped: same state, no per-step cost
        return Schedule(lr_sched.LambdaLR(optimizer, lambda step: 1.0), "never")
    if cfg.name == "cosine":
        return Schedule(lr_sched.LambdaLR(optimizer, lambda step: _cosine(step / total, floor)), "step")
    if cfg.name == "warmup_cosine":
        warmup = max(1, round(cfg.warmup_epochs * steps_per_epoch))

        def warmup_cosine(step: int) -> float:
            if step < warmup:
                return (step + 1) / warmup
            return _cosine((step - warmup) / max(1, total - warmup), floor)

        return Schedule(lr_sched.LambdaLR(optimizer, warmup_cosine), "step")
    if cfg.name == "step":
        return Schedule(lr_sched.StepLR(optimizer, step_size=cfg.step_size, gamma=cfg.gamma), "epoch")
    return Schedule(
        lr_sched.ReduceLROnPlateau(optimizer, mode=mode, factor=cfg.factor, patience=cfg.patience, min_lr=cfg.min_lr,
                                   threshold=cfg.threshold, cooldown=cfg.cooldown), "metric"
    )


def _cosine(progress: float, floor: float) -> float:
    progress = min(1.0, max(0.0, progress))
    return floor + (1 - floor) * 0.5 * (1 + math.cos(math.pi * progress))


def trainable_parameters(model: nn.Module) -> list[nn.Parameter]:
    return [p for p in model.parameters() if p.requires_grad]
