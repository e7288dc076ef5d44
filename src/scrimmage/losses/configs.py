"""Losses by ``loss.name``; each schema holds its own options and builds a ``(pred, target) -> (total, parts)``.

``kind`` says which tasks may use a loss: ``regression`` losses compare standardised targets,
``classification`` losses take logits. The task passes what the loss needs to know
(:class:`LossInfo`: target or class names, the mode, class weights).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, ClassVar, Literal

from pydantic import Field

from scrimmage.config.registry import LOSSES, Component
from scrimmage.config.types import FiniteFloat
from scrimmage.errors import ConfigError

LossFn = Callable[[Any, Any], tuple[Any, Any]]


@dataclass(frozen=True)
class LossInfo:
    mode: str  # regression | binary | multiclass | multilabel
    target_names: tuple[str, ...]
    class_names: tuple[str, ...] = ()
    class_weights: tuple[float, ...] | None = None


class RegressionLoss(Component):
    kind: ClassVar[str] = "regression"
    weights: dict[str, FiniteFloat] = Field({}, description="Per-target loss weights by target name (missing targets weigh 1.0).")

    def target_weights(self, info: LossInfo) -> list[float]:
        unknown = sorted(set(self.weights) - set(info.target_names))
        if unknown:
            raise ConfigError(f"loss.weights names unknown targets {unknown}; targets are {list(info.target_names)}.")
        weights = [float(self.weights.get(name, 1.0)) for name in info.target_names]
        if any(w < 0 for w in weights) or sum(weights) <= 0:
            raise ConfigError(f"loss.weights must be >= 0 with a positive sum, got {self.weights}.")
        return weights

    def build(self, info: LossInfo) -> LossFn:
        from scrimmage.losses.functional import MultiTargetLoss

        return MultiTargetLoss(self.elementwise(), self.target_weights(info))

    def elementwise(self) -> Callable[[Any, Any], Any]:
        raise NotImplementedError


@LOSSES.register
class MSELoss(RegressionLoss):
    """Mean squared error per target (standardised units), weighted over targets."""

    name: Literal["mse"] = "mse"

    def elementwise(self) -> Callable[[Any, Any], Any]:
        from scrimmage.losses.functional import mse

        return mse


@LOSSES.register
class HuberLoss(RegressionLoss):
    """Huber loss per target: squared near zero, linear beyond delta (robust to outliers)."""

    name: Literal["huber"] = "huber"
    delta: FiniteFloat = Field(1.0, gt=0, description="Transition point, in standardised target units.")

    def elementwise(self) -> Callable[[Any, Any], Any]:
        from scrimmage.losses.functional import huber

        return huber(self.delta)


@LOSSES.register
class L1Loss(RegressionLoss):
    """Mean absolute error per target (standardised units), weighted over targets."""

    name: Literal["l1"] = "l1"

    def elementwise(self) -> Callable[[Any, Any], Any]:
        from scrimmage.losses.functional import l1

        return l1


@LOSSES.register
class CrossEntropyLoss(Component):
    """Cross-entropy on logits (softmax for multi-class, sigmoid for binary and multi-label), with class weights."""

    kind: ClassVar[str] = "classification"
    name: Literal["cross_entropy"] = "cross_entropy"
    label_smoothing: FiniteFloat = Field(0.0, ge=0, lt=1, description="Label smoothing (multi-class only).")

    def build(self, info: LossInfo) -> LossFn:
        from scrimmage.losses.functional import cross_entropy

        return cross_entropy(info.mode, info.class_weights, self.label_smoothing)


@LOSSES.register
class FocalLoss(Component):
    """Focal loss (Lin et al. 2017): down-weights easy examples for imbalanced classes."""

    kind: ClassVar[str] = "classification"
    name: Literal["focal"] = "focal"
    gamma: FiniteFloat = Field(2.0, ge=0, description="Focusing strength; 0 gives (weighted) cross-entropy.")
    alpha: FiniteFloat | None = Field(
        None, gt=0, lt=1, description="Weight of the positive class (binary/multi-label); null uses the task's class weights."
    )

    def build(self, info: LossInfo) -> LossFn:
        from scrimmage.losses.functional import focal

        return focal(info.mode, info.class_weights, self.gamma, self.alpha)
