"""Task options by ``task.name``. ``build(spec)`` makes the task for the data's input spec."""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

from pydantic import Field

from scrimmage.config.registry import TASKS, Component
from scrimmage.config.types import FiniteFloat, PositiveInt

if TYPE_CHECKING:
    from scrimmage.data.datamodule import InputSpec
    from scrimmage.engine.tasks.base import Task


@TASKS.register
class RegressionTaskConfig(Component):
    """Multi-target regression: loss on standardised targets, RMSE/MAE per target in real units."""

    name: Literal["regression"] = "regression"

    def build(self, spec: InputSpec) -> Task:
        from scrimmage.engine.tasks.regression import RegressionTask

        return RegressionTask(spec)


@TASKS.register
class ClassificationTaskConfig(Component):
    """Binary, multi-class or multi-label classification on logits: accuracy, log loss, F1, AUROC, ECE."""

    name: Literal["classification"] = "classification"
    mode: Literal["auto", "binary", "multiclass", "multilabel"] = Field(
        "auto", description="auto: multilabel for several targets, binary for two classes, else multiclass."
    )
    class_weights: Literal["none", "balanced"] | list[FiniteFloat] = Field(
        "none", description="Loss weight per class: none, balanced (inverse training frequency) or one number per class."
    )
    ece_bins: PositiveInt = Field(15, description="Bins of the expected calibration error.")

    def build(self, spec: InputSpec) -> Task:
        from scrimmage.engine.tasks.classification import ClassificationTask

        return ClassificationTask(spec, self.mode, self.class_weights, self.ece_bins)
