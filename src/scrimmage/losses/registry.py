"""Loss registry: ``loss.name`` → an element-wise loss; multi-target sums use per-target weights."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch
import torch.nn.functional as F
from torch import Tensor

from scrimmage.errors import ConfigError

ElementLoss = Callable[[Tensor, Tensor, Any], Tensor]
_LOSSES: dict[str, ElementLoss] = {}


def register_loss(name: str) -> Callable[[ElementLoss], ElementLoss]:
    def decorator(fn: ElementLoss) -> ElementLoss:
        _LOSSES[name] = fn
        return fn

    return decorator


@register_loss("mse")
def _mse(pred: Tensor, target: Tensor, cfg: Any) -> Tensor:
    return F.mse_loss(pred, target, reduction="none")


@register_loss("huber")
def _huber(pred: Tensor, target: Tensor, cfg: Any) -> Tensor:
    return F.huber_loss(pred, target, reduction="none", delta=cfg.huber_delta)


@register_loss("l1")
def _l1(pred: Tensor, target: Tensor, cfg: Any) -> Tensor:
    return F.l1_loss(pred, target, reduction="none")


class MultiTargetLoss:
    """Weighted sum over targets of the mean element-wise loss; returns total and per-target parts.

    Weights are a tensor so curricula (phases) can change them between epochs without rebuilding.
    """

    def __init__(self, loss_config: Any, target_names: tuple[str, ...]):
        if loss_config.name not in _LOSSES:
            raise ConfigError(f"unknown loss '{loss_config.name}'. Registered: {', '.join(sorted(_LOSSES))}.")
        unknown = set(loss_config.weights) - set(target_names)
        if unknown:
            raise ConfigError(
                f"loss.weights names unknown targets {sorted(unknown)}; targets are {list(target_names)}."
            )
        self.fn = _LOSSES[loss_config.name]
        self.config = loss_config
        self.target_names = target_names
        self.weights = torch.tensor([float(loss_config.weights.get(n, 1.0)) for n in target_names])

    def __call__(self, pred: Tensor, target: Tensor) -> tuple[Tensor, Tensor]:
        per_target = self.fn(pred.float(), target.float(), self.config).mean(dim=0)
        weights = self.weights.to(per_target.device)
        return (per_target * weights).sum() / weights.sum(), per_target.detach()
