"""The task protocol: what the loop needs from a kind of problem (compare Composer's ``ComposerModel``).

A task wraps the network for the data's spec (input scaling, target scaling where it applies),
computes the training loss, evaluates a split into metrics and predictions, names the metrics an
epoch reports, and builds the result report (the model beside its baselines) that the CLI prints
and ``--json`` emits without knowing the domain. The loop is typed against :class:`Task` only.

Optional capabilities are small named protocols, checked once where a task is built or a
component that needs one is checked against it (``isinstance(task, LossWeighted)``), never probed
with ``getattr``/``hasattr`` along the way:

* :class:`LossWeighted`: named loss parts whose weights a curriculum phase sets.
* :class:`Stateful`: task state beyond the model's weights, saved in a checkpoint under ``task_state``.
* :class:`Closable`: holds resources (files, processes, pools) to release when the run ends.
* :class:`TaskCallbacks`: the task takes part in the loop's events like a callback (``on_epoch_end`` ...).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

if TYPE_CHECKING:
    import numpy as np
    from torch import Tensor, nn

    from scrimmage.data.datamodule import DataBundle, InputSpec
    from scrimmage.data.splits import Split
    from scrimmage.engine.events import Context, LoopState


@dataclass
class Evaluation:
    """A split's metrics (keys ``<prefix>/<metric>``) with the predictions and targets they came from."""

    metrics: dict[str, float]
    predictions: Tensor
    """Real units for regression; probabilities for classification."""
    targets: Tensor


@dataclass
class Report:
    """A result table: rows are the model and its baselines, columns are metrics.

    ``rows["model"]`` is the model; the rest are baselines. ``columns`` maps a metric key to its
    header, in display order; ``rank_by`` orders the rows (``lower_is_better`` says which way).
    ``extras`` holds structured results that are not per-row metrics (a confusion matrix, a
    betting record); ``notes`` are lines printed under the table. ``sections`` are results a
    domain puts at the top level of the run's result (``--json``), e.g. ``simulation``.
    """

    title: str
    rows: dict[str, dict[str, Any]]
    columns: dict[str, str]
    rank_by: str
    lower_is_better: bool = True
    notes: list[str] = field(default_factory=list)
    extras: dict[str, Any] = field(default_factory=dict)
    sections: dict[str, Any] = field(default_factory=dict)

    def ranked(self) -> list[tuple[str, dict[str, Any]]]:
        def key(item: tuple[str, dict[str, Any]]) -> float:
            value = item[1].get(self.rank_by)
            if not isinstance(value, (int, float)) or value != value:
                return float("inf")
            return float(value) if self.lower_is_better else -float(value)

        return sorted(self.rows.items(), key=key)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@runtime_checkable
class Task(Protocol):
    """One kind of problem. Registered by ``task.name``; built from its schema and the data's spec."""

    name: str

    def n_outputs(self) -> int:
        """Width of the network's output layer."""

    def default_loss(self) -> dict[str, Any]:
        """The loss config used when the recipe names none (e.g. ``{"name": "cross_entropy"}``)."""

    def build_model(self, net: nn.Module, train: Split | None) -> nn.Module:
        """Wrap ``net`` so it takes raw inputs and returns real units / logits; statistics from ``train``
        (None when rebuilding from a checkpoint, whose buffers then fill them)."""

    def setup_training(self, loss_config: Any, train: Split) -> None:
        """Build the loss (class weights and the like come from the training split)."""

    def prepare(self, model: nn.Module, split: Split) -> Split:
        """The split as the training loss wants it (scaled once, not per step)."""

    def training_loss(self, model: nn.Module, batch: dict[str, Tensor]) -> tuple[Tensor, Tensor]:
        """Loss of a prepared batch and its detached parts (per target, per head ...)."""

    def evaluate(self, model: nn.Module, split: Split, batch_size: int, prefix: str) -> Evaluation:
        """Metrics and predictions of a raw split."""

    def metric_names(self, prefix: str = "val") -> list[str]:
        """Every metric an epoch reports (what ``monitor.metric`` may name)."""

    def report(self, data: DataBundle, split: str, evaluation: Evaluation) -> Report:
        """The model beside the task's generic baselines (a domain may extend it)."""

    def prediction_columns(self, evaluation: Evaluation) -> dict[str, np.ndarray]:
        """Per-example columns (targets, predictions) for the saved predictions file."""

    def decode(self, outputs: Tensor) -> dict[str, np.ndarray]:
        """Model outputs (from ``model(batch)``) → named prediction columns."""


@runtime_checkable
class LossWeighted(Protocol):
    """Named loss parts (targets, levels) whose weights a curriculum phase sets while training."""

    def loss_weight_names(self) -> list[str]:
        """The names :meth:`set_loss_weights` accepts."""

    def set_loss_weights(self, weights: dict[str, float]) -> None:
        """Weights from now on; parts not named keep the recipe's own (``{}`` restores them all)."""


@runtime_checkable
class Stateful(Protocol):
    """Task state beyond the model's weights (fitted calibration, running statistics), saved under ``task_state``."""

    def state_dict(self) -> dict[str, Any]:
        """What a checkpoint saves (plain data and tensors)."""

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Restore what :meth:`state_dict` gave."""


@runtime_checkable
class Closable(Protocol):
    """Holds resources (files, worker processes, pools) released when the run ends, however it ends."""

    def close(self) -> None:
        """Release them; safe to call more than once."""


@runtime_checkable
class TaskCallbacks(Protocol):
    """Takes part in the loop's events like a callback: any :class:`~scrimmage.engine.events.Callback` hook it
    defines is called (the session puts the task after the recipe's callbacks, before the run's own bookkeeping:
    status, tracking, checkpoints); its state goes under ``task_state`` (:class:`Stateful`), not ``callbacks``."""

    def on_epoch_end(self, state: LoopState, ctx: Context) -> None:
        """After validation, with the epoch's metrics in ``state.metrics`` (other hooks as on :class:`Callback`)."""


def task_hooks(task: Any) -> Any:
    """The task as a callback in the chain (only the hooks it defines), or None when it defines none."""
    from scrimmage.engine.events import Callback, Event

    hooks = {event.value: getattr(task, event.value) for event in Event if callable(getattr(task, event.value, None))}
    if not hooks:
        return None
    methods = {name: _forward(fn) for name, fn in hooks.items()}
    # its state is the task's own (checkpoint key ``task_state``), so it adds nothing under ``callbacks``
    return type("TaskHooks", (Callback,), {"name": "task", "keeps_state": False, **methods})()


def _forward(fn: Any) -> Any:
    return lambda self, state, ctx: fn(state, ctx)


def named(metrics: dict[str, float], prefix: str) -> dict[str, float]:
    return {f"{prefix}/{k}": v for k, v in metrics.items()}


def spec_of(data: DataBundle | InputSpec) -> InputSpec:
    return getattr(data, "spec", data)  # type: ignore[return-value]
