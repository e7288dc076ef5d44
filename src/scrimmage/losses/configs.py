"""Losses by ``loss.name``; each schema holds its own options and builds a ``(pred, target) -> (total, parts)``.

``kind`` says which tasks may use a loss: ``regression`` losses compare standardised targets,
``classification`` losses take logits. The task passes what the loss needs to know
(:class:`LossInfo`: target or class names, the mode, class weights, the training split's class
counts).

Class imbalance is weighted in one place per run: the task's ``class_weights``, focal's ``alpha``
or ``weighted_bce``'s own weights. Two of them at once would multiply, so that is a config error.
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
    class_counts: tuple[float, ...] | None = None
    """Training examples per class (binary, multi-class) or positives per label (multi-label)."""
    n_examples: int | None = None
    """Training examples (rows; real steps of sequences) the counts come from."""


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
    """Focal loss (Lin et al. 2017): down-weights easy examples; binary as torchvision's sigmoid_focal_loss."""

    kind: ClassVar[str] = "classification"
    name: Literal["focal"] = "focal"
    gamma: FiniteFloat = Field(2.0, ge=0, description="Focusing strength; 0 gives (weighted) cross-entropy.")
    alpha: FiniteFloat | None = Field(
        None, gt=0, lt=1,
        description="Binary/multi-label: weight of the positive class, 1 - alpha of the negative (e.g. 0.25); null uses the task's class weights.",
    )

    def build(self, info: LossInfo) -> LossFn:
        from scrimmage.losses.functional import focal

        if self.alpha is not None and info.mode == "multiclass":
            raise ConfigError(f"loss.alpha ({self.alpha}) weighs the positive class of a binary or multi-label task; "
                              "this task is multi-class: drop loss.alpha and set task.class_weights instead.")
        if self.alpha is not None and info.class_weights is not None:
            raise ConfigError(f"loss.alpha ({self.alpha}) and task.class_weights both weight the classes and would "
                              "multiply; keep one (task.class_weights: none, or drop loss.alpha).")
        return focal(info.mode, info.class_weights, self.gamma, self.alpha)


@LOSSES.register
class WeightedBCELoss(Component):
    """Binary cross-entropy on logits with w_pos = N / N_pos and w_neg = N / N_neg from the training split."""

    kind: ClassVar[str] = "classification"
    name: Literal["weighted_bce"] = "weighted_bce"

    def build(self, info: LossInfo) -> LossFn:
        from scrimmage.losses.functional import weighted_bce

        if info.mode not in ("binary", "multilabel"):
            raise ConfigError(f"loss weighted_bce is a sigmoid loss for binary or multi-label tasks; this task is {info.mode}: "
                              "use cross_entropy with task.class_weights: balanced.")
        if info.class_weights is not None:
            raise ConfigError("loss weighted_bce weights the classes itself (N / count from the training split) and "
                              "task.class_weights would multiply it; set task.class_weights: none.")
        if info.class_counts is None or info.n_examples is None:
            raise ConfigError(f"loss weighted_bce needs the training split's class counts, which task mode {info.mode!r} "
                              "does not give; use cross_entropy or focal.")
        return weighted_bce(info.mode, info.class_counts, info.n_examples)


@LOSSES.register
class CQLLossConfig(Component):
    """Discrete conservative Q-learning (Kumar et al. 2020): TD error plus alpha * (logsumexp Q - Q of the logged action)."""

    kind: ClassVar[str] = "q_learning"
    name: Literal["cql"] = "cql"
    alpha: FiniteFloat = Field(1.0, ge=0, description="Conservatism weight of the penalty (0 gives plain DQN's TD error).")
    gamma: FiniteFloat = Field(0.99, ge=0, le=1, description="Discount of the bootstrapped target (unused where every transition is terminal).")
    td_loss: Literal["huber", "mse"] = Field("huber", description="TD error: huber (beta 1, as d3rlpy) or 0.5 * squared error.")
    double_q: bool = Field(False, description="Double-DQN target (the online network picks a', the target values it, as d3rlpy) instead of the paper's max.")

    def build(self, info: LossInfo) -> LossFn:
        from functools import partial

        from scrimmage.losses.cql import cql_loss

        return partial(cql_loss, alpha=self.alpha, gamma=self.gamma, td=self.td_loss)
