"""Callbacks a recipe lists under ``callbacks:``, by name, with their own options.

Order (documented, and what the run builds): the recipe's callbacks in list order, then the
built-ins: tracking (logs the epoch), checkpoint (saves every callback's updated state, so it
comes after the ones that change state), progress (prints). Early stopping, checkpoints, the
plateau schedule and the phases' patience all watch the one ``monitor`` section.

A callback's schema may declare ``check_config(run_config)`` (checks against the rest of the recipe
at load time, raising ValueError) and ``check_task(task)`` (checks that need the built task, run
before anything is written, raising ConfigError; optional task capabilities are checked there as
the protocols of :mod:`scrimmage.engine.tasks.base`, e.g. ``LossWeighted``).
"""

from __future__ import annotations

import difflib
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator, model_validator

from scrimmage.config.registry import CALLBACKS, Component
from scrimmage.config.types import FiniteFloat, NonNegativeInt, PositiveInt
from scrimmage.errors import ConfigError

if TYPE_CHECKING:
    from scrimmage.config.schema import RunConfig
    from scrimmage.engine.events import Callback
    from scrimmage.engine.tasks.base import Task


@CALLBACKS.register
class EarlyStoppingConfig(Component):
    """Stop when the monitored metric has not improved for patience epochs."""

    name: Literal["early_stopping"] = "early_stopping"
    patience: NonNegativeInt = Field(10, description="Epochs without improvement before stopping.")
    min_delta: FiniteFloat = Field(0.0, ge=0, description="Smallest change that counts as an improvement.")

    def build(self, config: RunConfig) -> Callback:
        from scrimmage.engine.callbacks.early_stopping import EarlyStopping

        return EarlyStopping(config.monitor.metric, config.monitor.mode, self.patience, self.min_delta)


class _Options(BaseModel):
    model_config = ConfigDict(extra="forbid", validate_assignment=True)


class PhaseLRConfig(_Options):
    """A phase's learning rate: linear warmup from initial to peak, cosine decay to final, then final."""

    initial: FiniteFloat | None = Field(None, ge=0, description="LR of the phase's first step; it moves linearly to peak over warmup_steps (null = peak).")
    peak: FiniteFloat | None = Field(None, gt=0, description="LR at the end of warmup, where the cosine decay starts (null = optim.lr).")
    final: FiniteFloat | None = Field(None, ge=0, description="LR the cosine decay ends at and then holds until the phase ends (null = peak).")
    warmup_steps: NonNegativeInt = Field(0, description="Optimizer steps of linear warmup from initial to peak (0 = start at peak).")
    decay_steps: NonNegativeInt = Field(0, description="Optimizer steps of cosine decay from peak to final after warmup (0 = hold peak).")


PHASE_NAME = r"^[A-Za-z0-9_.-]+$"


class PhaseConfig(_Options):
    """One phase of a curriculum: how long, its loss weights, its LR schedule, its batch size and patience."""

    name: str | None = Field(None, pattern=PHASE_NAME, description="Phase name (letters, digits, _ . -) for logs and phase=NN-NAME.ckpt (null = phaseN).")
    epochs: PositiveInt | None = Field(None, description="Length in epochs (give exactly one of epochs, steps, minutes).")
    steps: PositiveInt | None = Field(None, description="Length in optimizer steps (give exactly one of epochs, steps, minutes).")
    minutes: FiniteFloat | None = Field(None, gt=0, description="Length in minutes of wall time (not reproducible; give exactly one of epochs, steps, minutes).")
    loss_weights: dict[str, FiniteFloat] = Field({}, description="Loss weights by name for this phase, passed to the task (regression: per target); unnamed ones keep the loss's own.")
    lr: PhaseLRConfig = Field(default_factory=PhaseLRConfig, description="This phase's learning-rate schedule (its own rates: nothing carries over from the phase before).")
    batch_size: PositiveInt | None = Field(None, description="Micro-batch size from the first epoch that starts in this phase (null = trainer.batch_size).")
    patience: NonNegativeInt | None = Field(None, description="Epochs without improvement of monitor.metric that end this phase early (null = the callback's patience).")

    @field_validator("loss_weights")
    @classmethod
    def _weights_not_negative(cls, value: dict[str, float]) -> dict[str, float]:
        negative = {k: v for k, v in value.items() if v < 0}
        if negative:
            raise ValueError(f"loss weights must be >= 0, got {negative}")
        return value

    @model_validator(mode="after")
    def _one_duration(self) -> PhaseConfig:
        given = [key for key in ("epochs", "steps", "minutes") if getattr(self, key) is not None]
        if len(given) != 1:
            which = f"it has {' and '.join(given)}" if given else "it has none"
            raise ValueError(f"a phase needs exactly one duration: epochs, steps or minutes ({which})")
        return self

    @property
    def duration(self) -> str:
        key = next(k for k in ("epochs", "steps", "minutes") if getattr(self, k) is not None)
        return f"{getattr(self, key):g} {key}"


@CALLBACKS.register
class PhasesConfig(Component):
    """Train in phases (a curriculum): each with its own length, loss weights, LR schedule, batch size and patience."""

    name: Literal["phases"] = "phases"
    phases: list[PhaseConfig] = Field([], description="The phases in order; the run stops when the last one ends (or at trainer.epochs).")
    patience: NonNegativeInt | None = Field(None, description="Epochs without improvement of monitor.metric that end the current phase (not the run); null = phases run their full length.")
    min_delta: FiniteFloat = Field(0.0, ge=0, description="Smallest change of monitor.metric that counts as an improvement (phase patience).")

    @model_validator(mode="after")
    def _names(self) -> PhasesConfig:
        for index, phase in enumerate(self.phases):
            if phase.name is None:
                phase.name = f"phase{index + 1}"
        names = [phase.name for phase in self.phases]
        repeated = sorted({n for n in names if names.count(n) > 1})
        if repeated:
            raise ValueError(f"phase names must be unique; {repeated} appear more than once")
        return self

    def check_config(self, config: RunConfig) -> None:
        """What can be checked against the rest of the recipe when it is loaded."""
        if not self.phases:
            raise ValueError("callback phases needs at least one phase, e.g. phases: [{name: warmup, epochs: 2}]")
        if config.scheduler.name != "constant":
            raise ValueError(f"callback phases sets the learning rate at every step from each phase's lr; set "
                             f"scheduler.name: constant (it is {config.scheduler.name!r})")
        if config.trainer.devices > 1 and any(p.minutes is not None for p in self.phases):
            raise ValueError("phases measured in minutes need trainer.devices: 1 (each process would read its own "
                             "clock and switch at a different step); use epochs or steps")
        if all(p.epochs is not None for p in self.phases):
            needed = sum(p.epochs or 0 for p in self.phases)
            if needed > config.trainer.epochs:
                raise ValueError(f"the phases last {needed} epochs but trainer.epochs is {config.trainer.epochs}; "
                                 f"set trainer.epochs: {needed} (or more) so the last phase is not cut short")
        names_for = getattr(config.task, "loss_weight_names", None)  # optional on a task's schema
        valid = names_for(config.data) if names_for is not None else None
        if valid is not None:
            self._check_weight_names(valid)

    def check_task(self, task: Task) -> None:
        """What needs the built task (run before anything is written): loss weights need a :class:`LossWeighted` task."""
        from scrimmage.engine.tasks.base import LossWeighted

        if not any(p.loss_weights for p in self.phases):
            return
        if not isinstance(task, LossWeighted):
            raise ConfigError(f"callbacks phases: task {task.name} has no loss weights to set (it is not LossWeighted: "
                              "no loss_weight_names/set_loss_weights); remove loss_weights from the phases or use a "
                              "task that has named loss parts")
        try:
            self._check_weight_names(task.loss_weight_names())
        except ValueError as exc:
            raise ConfigError(f"callbacks phases: {exc}") from None

    def _check_weight_names(self, valid: list[str]) -> None:
        for phase in self.phases:
            unknown = sorted(set(phase.loss_weights) - set(valid))
            if unknown:
                raise ValueError(f"phase '{phase.name}' weighs unknown loss parts {unknown}; the task's are {valid}")

    def build(self, config: RunConfig) -> Callback:
        from scrimmage.engine.callbacks.phases import Phases

        return Phases(self, config)


def _threshold(value: Any, info: ValidationInfo) -> Any:
    """Before the type check: a negative threshold gets a message that says what the option is."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        if info.field_name == "no_improvement_minutes" and value <= 0:
            raise ValueError(f"{info.field_name} is a threshold and must be > 0 (null turns the rule off), got {value}")
        if value < 0:
            off = "remove the rule to turn it off" if info.field_name == "drop" else "null turns the rule off"
            raise ValueError(f"{info.field_name} is a threshold and must be >= 0 ({off}), got {value}")
    return value


class MetricDropRule(_Options):
    """An alerts rule: a named validation metric moves more than ``drop`` the bad way from its best so far."""

    metric: str = Field(min_length=1, description="A validation metric the task reports, e.g. val/state_consistency_rate.")
    drop: FiniteFloat = Field(ge=0, description="Alert when the metric is more than this far from its best so far, the bad way.")
    mode: Literal["min", "max"] = Field("max", description="max: higher is better (a fall is bad); min: lower is better (a rise is bad).")

    _drop_not_negative = field_validator("drop", mode="before")(_threshold)


@CALLBACKS.register
class AlertsConfig(Component):
    """Alert (print, log, count) when validation worsens, a metric drops, progress stalls or gradients blow up."""

    name: Literal["alerts"] = "alerts"
    worse_than_best: FiniteFloat | None = Field(0.5, ge=0, description="Alert when monitor.metric is worse than its best so far by more than this (null = off).")
    metric_drops: list[MetricDropRule] | None = Field([], description="Rules {metric, drop, mode}: a validation metric more than drop from its best so far, the bad way (null or [] = none).")
    no_improvement_minutes: FiniteFloat | None = Field(30.0, gt=0, description="Alert when monitor.metric has not improved for this many minutes of training time (resumes count only training time; null = off).")
    grad_norm_above: FiniteFloat | None = Field(10.0, ge=0, description="Alert when the gradient norm before clipping exceeds this at an optimizer step (null = off).")

    _not_negative = field_validator("worse_than_best", "no_improvement_minutes", "grad_norm_above", mode="before")(_threshold)

    @field_validator("metric_drops")
    @classmethod
    def _one_rule_per_metric(cls, value: list[MetricDropRule] | None) -> list[MetricDropRule]:
        rules = value or []
        names = [rule.metric for rule in rules]
        repeated = sorted({n for n in names if names.count(n) > 1})
        if repeated:
            raise ValueError(f"metric_drops has more than one rule for {repeated}; keep one rule per metric")
        return rules

    def check_config(self, config: RunConfig) -> None:
        """Rule metrics against what the task reports, when the config alone can name its metrics."""
        names_for = getattr(config.task, "expected_metrics", None)  # optional on a task's schema
        names = names_for(config.data) if names_for is not None else None
        if names:
            try:
                self._check_metric_names(names)
            except ValueError as exc:
                raise ValueError(f"callbacks alerts: {exc}") from None

    def check_task(self, task: Task) -> None:
        """Rule metrics against the built task's validation metrics (run before anything is written)."""
        names = task.metric_names("val")
        if names:
            try:
                self._check_metric_names(names)
            except ValueError as exc:
                raise ConfigError(f"callbacks alerts: {exc}") from None

    def _check_metric_names(self, names: list[str]) -> None:
        from scrimmage.config.schema import LOOP_METRICS  # here: the schema module imports this one's registry

        valid = [*LOOP_METRICS, *names]
        for rule in self.metric_drops or []:
            if rule.metric not in valid:
                close = difflib.get_close_matches(rule.metric, valid, n=1)
                hint = f" Did you mean '{close[0]}'?" if close else ""
                raise ValueError(f"metric_drops names '{rule.metric}', which this task does not report.{hint} "
                                 f"Valid metrics: {', '.join(valid)}")

    def build(self, config: RunConfig) -> Callback:
        from scrimmage.engine.callbacks.alerts import Alerts

        return Alerts.from_config(self, config)


@CALLBACKS.register
class EMAConfig(Component):
    """Exponential moving average of the weights: validated, saved as best.ckpt and tested in their place."""

    name: Literal["ema"] = "ema"
    decay: FiniteFloat = Field(0.999, gt=0, lt=1, description="Weight of the old average at each update: ema = decay*ema + (1-decay)*w (0 < decay < 1).")
    start_step: NonNegativeInt = Field(0, description="Optimizer steps before the average starts; the first update after them copies the weights.")
    every_n_steps: PositiveInt = Field(1, description="Update the average after every N-th optimizer step (decay applies per update).")
    buffers: Literal["average", "copy"] = Field("average", description="average: floating-point buffers (batch-norm statistics) are averaged and swapped too; copy: the training model's buffers are used as they are.")

    def check_config(self, config: RunConfig) -> None:
        if config.callback("swa") is not None:
            raise ValueError("callbacks ema and swa both decide which weights are validated and tested; keep one of them")

    def build(self, config: RunConfig) -> Callback:
        from scrimmage.engine.callbacks.ema import EMA

        return EMA(self.decay, self.start_step, self.every_n_steps, self.buffers)


@CALLBACKS.register
class SWAConfig(Component):
    """Stochastic weight averaging: the mean of the end-of-epoch weights from start_epoch, with batch-norm statistics recomputed, is tested."""

    name: Literal["swa"] = "swa"
    start_epoch: PositiveInt | None = Field(None, description="First epoch (1-based) whose end-of-epoch weights join the average (null = the last quarter: floor(0.75*trainer.epochs)+1).")
    lr: FiniteFloat | None = Field(None, gt=0, description="SWA learning rate from start_epoch on (torch SWALR, stepped per epoch; needs scheduler.name: constant); null = the recipe's schedule continues.")
    anneal_epochs: NonNegativeInt = Field(0, description="Epochs over which the LR anneals from its value at start_epoch to lr (0 = switch at once; needs lr).")
    anneal_strategy: Literal["cos", "linear"] = Field("cos", description="Shape of the LR anneal towards lr: cos or linear.")
    update_bn: bool = Field(True, description="Recompute batch-norm running statistics of the averaged model with one pass over the training split (no-op without batch norm).")

    def first_epoch(self, epochs: int) -> int:
        """start_epoch, with null resolved against trainer.epochs."""
        return self.start_epoch if self.start_epoch is not None else min(epochs, int(0.75 * epochs) + 1)

    def check_config(self, config: RunConfig) -> None:
        epochs = config.trainer.epochs
        if self.first_epoch(epochs) > epochs:
            raise ValueError(f"callbacks swa: start_epoch is {self.start_epoch} but trainer.epochs is {epochs}, so no "
                             f"epoch would be averaged; set start_epoch to {epochs} or less (or raise trainer.epochs)")
        if self.anneal_epochs and self.lr is None:
            raise ValueError("callbacks swa: anneal_epochs anneals the LR towards lr; set lr (or anneal_epochs: 0)")
        if self.lr is not None and config.scheduler.name != "constant":
            raise ValueError(f"callbacks swa: lr sets the learning rate from start_epoch on, and scheduler "
                             f"{config.scheduler.name!r} would overwrite it; set scheduler.name: constant (or drop lr)")
        if self.lr is not None and config.callback("phases") is not None:
            raise ValueError("callbacks swa: lr and the phases callback would both set the learning rate; drop one")
        if config.checkpoint.restore_best:
            raise ValueError("callbacks swa: the test must evaluate the averaged model, but checkpoint.restore_best "
                             "loads best.ckpt (weights of one epoch) first; set checkpoint.restore_best: false")

    def build(self, config: RunConfig) -> Callback:
        from scrimmage.engine.callbacks.swa import SWA

        return SWA(self.first_epoch(config.trainer.epochs), self.lr, self.anneal_epochs, self.anneal_strategy,
                   self.update_bn, config.trainer.batch_size, config.trainer.eval_batch_size)


@CALLBACKS.register
class TargetNetworkConfig(Component):
    """Q-learning target network: a frozen copy of the model for TD targets, copied every N steps or Polyak-averaged (tau)."""

    name: Literal["target_network"] = "target_network"
    every_n_steps: PositiveInt | None = Field(None, description="Hard update: copy the online weights after every N-th optimizer step (DQN; default 100 when tau is null).")
    tau: FiniteFloat | None = Field(None, gt=0, le=1, description="Polyak update after every step: target = (1 - tau) * target + tau * online (give this or every_n_steps).")

    @model_validator(mode="after")
    def _one_rule(self) -> TargetNetworkConfig:
        if self.every_n_steps is not None and self.tau is not None:
            raise ValueError("callback target_network takes every_n_steps (hard copy) or tau (Polyak), not both")
        return self

    def check_config(self, config: RunConfig) -> None:
        if config.loop.name != "supervised":
            raise ValueError(f"callback target_network runs on the supervised loop; loop {config.loop.name} trains no "
                             "target network: remove the callback (one-step data need none) or use loop: supervised")

    def check_task(self, task: Task) -> None:
        from scrimmage.engine.callbacks.target_network import TargetNetworked

        if not isinstance(task, TargetNetworked):
            raise ConfigError(f"callback target_network needs a Q-learning task (one with set_target_network, e.g. "
                              f"offline-q); task {task.name} has none: remove the callback")

    def build(self, config: RunConfig) -> Callback:
        from scrimmage.engine.callbacks.target_network import TargetNetwork

        if self.tau is not None:
            return TargetNetwork(tau=self.tau)
        return TargetNetwork(every_n_steps=self.every_n_steps or 100)
