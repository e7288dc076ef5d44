"""Task options by ``task.name``. ``build(spec)`` makes the task for the data's input spec.

A task's schema may also declare, for checks at load time before any data is built,
``expected_metrics(data_config) -> list | None`` (the validation metrics an epoch will report, or
None when only the built task knows) and ``loss_weight_names(data_config) -> list | None`` (the
names a phase's ``loss_weights`` may use). The built task names its metrics with
``Task.metric_names(prefix)``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, ClassVar, Literal

from pydantic import Field

from scrimmage.config.registry import TASKS, Component
from scrimmage.config.types import FiniteFloat, NonNegativeInt, PositiveInt
from scrimmage.engine.tasks.metric_names import (
    classification_metric_names,
    q_learning_metric_names,
    regression_metric_names,
)

if TYPE_CHECKING:
    from scrimmage.data.datamodule import InputSpec
    from scrimmage.engine.tasks.base import Task


@TASKS.register
class RegressionTaskConfig(Component):
    """Multi-target regression: loss on standardised targets, RMSE/MAE per target in real units."""

    name: Literal["regression"] = "regression"
    loss_kind: ClassVar[str] = "regression"

    def build(self, spec: InputSpec) -> Task:
        from scrimmage.engine.tasks.regression import RegressionTask

        return RegressionTask(spec)

    def expected_metrics(self, data: Component) -> list[str] | None:
        """What an epoch reports, when the dataset declares its targets without being built."""
        targets = getattr(data, "targets", lambda: None)()
        return regression_metric_names(tuple(targets)) if targets else None

    def loss_weight_names(self, data: Component) -> list[str] | None:
        """Names a curriculum phase's ``loss_weights`` may use (the targets), when the dataset declares them."""
        targets = getattr(data, "targets", lambda: None)()
        return list(targets) if targets else None


@TASKS.register
class ClassificationTaskConfig(Component):
    """Binary, multi-class or multi-label classification on logits: accuracy, log loss, F1, AUROC, ECE (binary: PR-AUC, tuned threshold)."""

    name: Literal["classification"] = "classification"
    loss_kind: ClassVar[str] = "classification"
    mode: Literal["auto", "binary", "multiclass", "multilabel"] = Field(
        "auto", description="auto: multilabel for several targets, binary for two classes, else multiclass."
    )
    class_weights: Literal["none", "balanced"] | list[FiniteFloat] = Field(
        "none", description="Loss weight per class: none, balanced (inverse training frequency) or one number per class."
    )
    ece_bins: PositiveInt = Field(15, description="Bins of the expected calibration error.")
    threshold: Literal["tuned"] | Annotated[FiniteFloat, Field(gt=0, lt=1)] = Field(
        "tuned", description="Binary decision threshold on P(positive): tuned (max F1 of the positive class on the "
                             "validation split, kept in the checkpoint) or a fixed number in (0, 1).",
    )

    def build(self, spec: InputSpec) -> Task:
        from scrimmage.engine.tasks.classification import ClassificationTask

        return ClassificationTask(spec, self.mode, self.class_weights, self.ece_bins, self.threshold)

    def expected_metrics(self, data: Component) -> list[str] | None:
        """Binary mode adds f1/precision/recall/brier/pr_auc/threshold and the *_at_0.5 metrics; with mode auto that
        needs the class count."""
        if self.mode == "auto":
            classes = getattr(data, "class_names", lambda: None)()
            if classes is None:
                return classification_metric_names(binary=True)  # the widest list; the run checks again
            return classification_metric_names(binary=len(classes) == 2)
        return classification_metric_names(binary=self.mode == "binary")


@TASKS.register
class OfflineQTaskConfig(Component):
    """Offline Q-learning over discrete actions (loss cql): greedy policy's reward, actions taken, ROI, win rate, mean Q."""

    name: Literal["offline-q"] = "offline-q"
    loss_kind: ClassVar[str] = "q_learning"
    null_action: NonNegativeInt | None = Field(
        0, description="The action that means doing nothing (not counted as an action taken in actions/roi/win_rate); null: every action counts.",
    )

    def build(self, spec: InputSpec) -> Task:
        from scrimmage.engine.tasks.q_learning import OfflineQTask

        return OfflineQTask(spec, self.null_action)

    def expected_metrics(self, data: Component) -> list[str] | None:
        return q_learning_metric_names()
