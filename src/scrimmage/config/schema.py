"""The run configuration: pydantic schemas that are the single source of truth for every option.

A run is made of registered components (``data``, ``model``, ``loss``, ``optim``, ``scheduler``,
``task`` and a ``callbacks`` list), each validated against the schema its ``name`` picks from the
registry (see :mod:`scrimmage.config.registry`), plus the engine's own sections (``monitor``,
``checkpoint``, ``trainer``, ``tracking``). Every field has a default and a one-line description;
unknown keys are errors (``extra="forbid"``), so a typo never silently falls back to a default.
"""

from __future__ import annotations

import difflib
import json
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, SerializeAsAny, field_validator, model_validator

from scrimmage.config.registry import (
    CALLBACKS,
    DATASETS,
    LOOPS,
    LOSSES,
    MODELS,
    OPTIMIZERS,
    REPORTS,
    SCHEDULERS,
    TASKS,
    Component,
)
from scrimmage.config.types import Duration, FiniteFloat, Int, NonNegativeInt, PositiveInt


class Section(BaseModel):
    """Base for config sections: unknown keys are errors, assignments are validated."""

    model_config = ConfigDict(extra="forbid", validate_assignment=True)


class MonitorConfig(Section):
    metric: str = Field("val/loss", description="Metric that early stopping, best/top-k checkpoints and plateau LR watch.")
    mode: Literal["min", "max"] = Field("min", description="Whether lower or higher values of the metric are better.")


class CheckpointConfig(Section):
    save_top_k: NonNegativeInt = Field(1, description="Keep this many best checkpoints by the monitored metric (best.ckpt needs >= 1).")
    save_last: bool = Field(True, description="Keep last.ckpt (what --resume continues from).")
    every_n_steps: NonNegativeInt = Field(0, description="Also write last.ckpt every N optimizer steps mid-epoch (0 = epoch ends only).")
    restore_best: bool = Field(True, description="Load best.ckpt back before the test report (else test the last weights).")
    every_n_minutes: FiniteFloat = Field(
        0.0, ge=0, description="Also write last.ckpt (at an optimizer step) every N minutes of wall time (0 = off)."
    )


class TrainerConfig(Section):
    epochs: PositiveInt = Field(60, description="Maximum number of epochs.")
    batch_size: PositiveInt = Field(256, description="Examples per micro-batch.")
    eval_batch_size: PositiveInt = Field(4096, description="Examples per batch during evaluation.")
    seed: Int = Field(0, description="Seed for python, numpy and torch RNGs and the data order.")
    deterministic: bool = Field(True, description="Use deterministic algorithms (exact resume and reruns).")
    precision: Literal["32-true", "bf16-mixed", "16-mixed", "64-true"] = Field(
        "32-true", description="Numeric precision (Lightning Fabric precision plugin)."
    )
    grad_clip: FiniteFloat | None = Field(1.0, gt=0, description="Clip the gradient norm to this value (null disables).")
    accumulate: PositiveInt = Field(1, description="Micro-batches per optimizer step (gradient accumulation).")
    accelerator: Literal["auto", "cpu", "cuda", "mps"] = Field("cpu", description="Device type for Lightning Fabric.")
    devices: PositiveInt = Field(1, description="Number of devices (processes with data-parallel training).")
    threads: NonNegativeInt = Field(0, description="torch intra-op threads (0 = torch default).")
    session_budget: Duration | None = Field(
        None, description="Wall-clock budget of this session, e.g. 12h, 90m, 45s: stop cleanly with a checkpoint when it "
        "runs out (exit 75; continue with --resume). null = no budget."
    )


class TrackingConfig(Section):
    enabled: bool = Field(True, description="Log the run to MLflow.")
    uri: str | None = Field(None, description="MLflow tracking URI (default: sqlite:///<workdir>/mlflow.db).")
    experiment: str = Field("scrimmage", min_length=1, description="MLflow experiment name (first part of the run name).")
    variant: str = Field("base", min_length=1, description="Variant label, part of the run name.")
    experiment_type: str = Field("train", description="Tag saying what kind of experiment this is (train, tune, ablation ...).")
    dataset_version: str = Field("auto", description="Dataset version tag ('auto' = the dataset's own fingerprint).")
    tags: dict[str, str] = Field({}, description="Extra tags for the run.")
    log_figures: bool = Field(
        True, description="Draw the run's figures and report page into MLflow at its end (about 0.4 s a run; "
                          "searches and campaigns of many short runs may turn it off).",
    )


LOOP_METRICS = ("train/loss", "lr")
"""Metrics the loop itself reports every epoch, whatever the task."""

# Component sections: the registry that validates each, and the name used when a recipe omits it.
COMPONENT_SECTIONS: dict[str, tuple[Any, str | None]] = {
    "data": (DATASETS, None),
    "task": (TASKS, "regression"),
    "model": (MODELS, "mlp"),
    "loss": (LOSSES, None),
    "optim": (OPTIMIZERS, "adamw"),
    "scheduler": (SCHEDULERS, "constant"),
    "loop": (LOOPS, "supervised"),
}


# Each item is validated against the callback its name picks; pydantic adds the index to error paths.
CallbackItem = Annotated[SerializeAsAny[Component], BeforeValidator(lambda value: CALLBACKS.validate(value))]
ReportItem = Annotated[SerializeAsAny[Component], BeforeValidator(lambda value: REPORTS.validate(value))]
LIST_SECTIONS: dict[str, Any] = {"callbacks": CALLBACKS, "reports": REPORTS}
"""Sections that are lists of components, and the registry each item is validated against."""


def _default(section: str) -> Any:
    registry, name = COMPONENT_SECTIONS[section]
    return lambda: registry.schema(name)()


class FloatParam(Section):
    type: Literal["float"] = Field("float", description="A real number between low and high.")
    low: FiniteFloat = Field(description="Smallest value (inclusive).")
    high: FiniteFloat = Field(description="Largest value (inclusive).")
    log: bool = Field(False, description="Sample on a log scale (learning rates, weight decay); needs low > 0.")
    step: FiniteFloat | None = Field(None, gt=0, description="Discretisation step (null = continuous; not with log).")


class IntParam(Section):
    type: Literal["int"] = Field("int", description="An integer between low and high.")
    low: Int = Field(description="Smallest value (inclusive).")
    high: Int = Field(description="Largest value (inclusive).")
    step: PositiveInt = Field(1, description="Only low, low + step, low + 2 step ... up to high.")
    log: bool = Field(False, description="Sample on a log scale (layer widths); needs low >= 1 and step 1.")


class CategoricalParam(Section):
    type: Literal["categorical"] = Field("categorical", description="One of a list of choices.")
    choices: list[Any] = Field(description="The choices: numbers, text, true/false, null, or lists and mappings "
                               "(e.g. hidden-layer sets [256, 128]); non-scalar choices are stored as their JSON text.")


SEARCH_TYPES: dict[str, type[Section]] = {"float": FloatParam, "int": IntParam, "categorical": CategoricalParam}
SearchParam = Annotated[FloatParam | IntParam | CategoricalParam, Field(discriminator="type")]


def _check_search_param(key: str, spec: Any) -> None:
    """Semantic checks with messages that name the key (pydantic checks the value types afterwards)."""
    where = f"'{key}'"
    if not isinstance(spec, dict):
        raise ValueError(f"{where} must be a mapping like {{type: float, low: 1e-4, high: 1e-2, log: true}}, got {spec!r}")
    kind = spec.get("type")
    if kind not in SEARCH_TYPES:
        close = difflib.get_close_matches(str(kind), list(SEARCH_TYPES), n=1)
        hint = f" (did you mean '{close[0]}'?)" if close else ""
        raise ValueError(f"{where}: unknown type {kind!r}{hint}; use one of {', '.join(SEARCH_TYPES)}")
    fields = list(SEARCH_TYPES[kind].model_fields)
    for name in spec:
        if name not in fields:
            close = difflib.get_close_matches(str(name), fields, n=1)
            hint = f" (did you mean '{close[0]}'?)" if close else ""
            raise ValueError(f"{where}: unknown option {name!r} for type {kind}{hint}; valid options: {', '.join(fields)}")
    for name in ("low", "high") if kind != "categorical" else ():
        value = spec.get(name)
        if value is None:
            raise ValueError(f"{where}: type {kind} needs {name}")
        if isinstance(value, bool) or not isinstance(value, (int, float)) or (kind == "int" and not isinstance(value, int)):
            raise ValueError(f"{where}: {name} must be {'an integer' if kind == 'int' else 'a number'}, got {value!r}")
    if kind == "categorical":
        choices = spec.get("choices")
        if not isinstance(choices, list) or not choices:
            raise ValueError(f"{where}: categorical needs a non-empty list of choices, e.g. choices: [relu, gelu]")
        texts = [json.dumps(c, sort_keys=True) for c in choices]
        repeated = sorted({t for t in texts if texts.count(t) > 1})
        if repeated:
            raise ValueError(f"{where}: choices {', '.join(repeated)} appear more than once; list each choice once")
        return
    low, high = spec["low"], spec["high"]
    if low > high:
        raise ValueError(f"{where}: low ({low}) is above high ({high}); swap them")
    if spec.get("log") and low <= 0:
        raise ValueError(f"{where}: a log scale needs low > 0, got low {low}")
    if spec.get("log") and spec.get("step") not in (None, 1):
        raise ValueError(f"{where}: log and step cannot be combined (Optuna samples either on a log scale or on a grid)")


class PrunerConfig(Section):
    name: Literal["median", "hyperband", "patient", "threshold", "none"] = Field(
        "median", description="Which Optuna pruner stops unpromising trials early (none = every trial runs to its end)."
    )
    n_startup_trials: NonNegativeInt = Field(10, description="median/patient: trials that are never pruned, so the median means something.")
    n_warmup_steps: NonNegativeInt = Field(5, description="median/patient/threshold: epochs of each trial before it may be pruned.")
    interval_steps: PositiveInt = Field(1, description="median/patient: check every this many epochs.")
    n_min_trials: PositiveInt = Field(1, description="median/patient: trials that must have reached an epoch before it is compared.")
    min_resource: PositiveInt = Field(1, description="hyperband: epochs every trial gets before its first rung.")
    max_resource: PositiveInt | Literal["auto"] = Field("auto", description="hyperband: most epochs a trial may run ('auto' = trainer.epochs).")
    reduction_factor: Int = Field(3, ge=2, description="hyperband: 1 / this share of trials go on at each rung.")
    patience: NonNegativeInt = Field(3, description="patient: epochs without improvement before the wrapped median pruner is asked.")
    min_delta: FiniteFloat = Field(0.0, ge=0, description="patient: smallest change that counts as an improvement.")
    lower: FiniteFloat | None = Field(None, description="threshold: prune a trial whose metric falls below this.")
    upper: FiniteFloat | None = Field(None, description="threshold: prune a trial whose metric rises above this.")

    @model_validator(mode="after")
    def _threshold_has_a_bound(self) -> PrunerConfig:
        if self.name == "threshold" and self.lower is None and self.upper is None:
            raise ValueError("pruner threshold needs lower or upper (the metric value beyond which a trial is pruned)")
        return self


class SamplerConfig(Section):
    name: Literal["tpe", "random"] = Field("tpe", description="Optuna sampler: tpe (TPESampler; constant_liar when trials run in parallel) or random.")
    seed: Int | None = Field(None, description="Sampler seed (null = trainer.seed); a resumed study offsets it by the trials done.")
    n_startup_trials: NonNegativeInt = Field(10, description="tpe: random trials before TPE starts modelling.")
    multivariate: bool = Field(False, description="tpe: model the parameters jointly (multivariate TPE).")


class SearchConfig(Section):
    """What ``scrimmage tune`` searches; ``train`` ignores this section."""

    metric: str | None = Field(None, description="Metric a trial is scored by (null = monitor.metric); it becomes the trials' monitor.")
    mode: Literal["min", "max"] | None = Field(None, description="Whether lower or higher is better (null = monitor.mode).")
    params: dict[str, SearchParam] = Field(description="Dotted config keys (optim.lr, model.hidden ...) and how to sample each.")
    pruner: PrunerConfig = Field(default_factory=PrunerConfig, description="Early stopping of unpromising trials (Optuna pruner).")
    sampler: SamplerConfig = Field(default_factory=SamplerConfig, description="How the next trial's values are chosen (Optuna sampler).")
    heartbeat_interval: PositiveInt = Field(30, description="Database storages: seconds between a running trial's heartbeats.")
    grace_period: PositiveInt = Field(120, description="Database storages: a trial without a heartbeat for this long is failed and retried.")
    max_retry: NonNegativeInt = Field(3, description="Times a trial whose process died is retried with the same values.")

    @field_validator("params", mode="before")
    @classmethod
    def _params(cls, value: Any) -> Any:
        if not isinstance(value, dict) or not value:
            raise ValueError("search.params must map at least one dotted config key to a spec, e.g. "
                             "optim.lr: {type: float, low: 1e-4, high: 1e-2, log: true}")
        for key, spec in value.items():
            if not isinstance(key, str) or not key or any(not part for part in key.split(".")):
                raise ValueError(f"search.params key {key!r} must be a dotted config key like optim.lr")
            if key.split(".")[0] == "search":
                raise ValueError(f"search.params['{key}']: the search section cannot search itself")
            _check_search_param(key, spec)
        return value

    @model_validator(mode="after")
    def _metric_and_mode(self) -> SearchConfig:
        if self.metric is not None and self.mode is None:
            raise ValueError(f"search.metric '{self.metric}' needs search.mode (min or max)")
        return self


class RunConfig(Section):
    """A whole run: what to learn from, which problem, what model, how to train, where to track it."""

    data: SerializeAsAny[Component] = Field(
        description="The dataset (data.name picks a registered dataset; its options follow). Required."
    )
    task: SerializeAsAny[Component] = Field(default_factory=_default("task"), description="The problem: regression, classification ... (task.name).")
    model: SerializeAsAny[Component] = Field(default_factory=_default("model"), description="The network (model.name picks a registered model).")
    loss: SerializeAsAny[Component] | None = Field(None, description="The training loss (loss.name); null = the task's default loss.")
    optim: SerializeAsAny[Component] = Field(default_factory=_default("optim"), description="The optimizer (optim.name).")
    scheduler: SerializeAsAny[Component] = Field(default_factory=_default("scheduler"), description="The learning-rate schedule (scheduler.name).")
    callbacks: list[CallbackItem] = Field(
        [], description="Callbacks by name with their options (early_stopping ...), run in this order."
    )
    reports: list[ReportItem] = Field(
        [], description="Reports by name with their options (baselines, simulations ...), added to the task's own "
        "metrics table in this order; none = the task's table alone."
    )
    loop: SerializeAsAny[Component] = Field(default_factory=_default("loop"), description="The training loop (loop.name): supervised epochs by default.")
    monitor: MonitorConfig = Field(default_factory=MonitorConfig, description="The metric early stopping, checkpoints and plateau LR watch.")
    checkpoint: CheckpointConfig = Field(default_factory=CheckpointConfig, description="Checkpointing.")
    trainer: TrainerConfig = Field(default_factory=TrainerConfig, description="The training loop.")
    tracking: TrackingConfig = Field(default_factory=TrackingConfig, description="Experiment tracking (MLflow).")
    search: SearchConfig | None = Field(
        None, description="Hyperparameter search space for `scrimmage tune` (metric, params, pruner, sampler); train ignores it."
    )

    @field_validator("data", "task", "model", "loss", "optim", "scheduler", "loop", mode="before")
    @classmethod
    def _component(cls, value: Any, info: Any) -> Any:
        if value is None and info.field_name == "loss":
            return None
        registry, default = COMPONENT_SECTIONS[info.field_name]
        return registry.validate(value, default)

    @field_validator("callbacks", "reports", mode="before")
    @classmethod
    def _component_list(cls, value: Any, info: Any) -> Any:
        if value is None:
            return []
        if not isinstance(value, list):
            example = "early_stopping" if info.field_name == "callbacks" else REPORTS.names()[0] if REPORTS.names() else "..."
            raise ValueError(f"{info.field_name} must be a list of mappings, each with a 'name' (e.g. - name: {example})")
        return value

    @model_validator(mode="after")
    def _monitor_is_computed(self) -> RunConfig:
        """Checked here (not only when the run starts) when the task can name its metrics from the config."""
        names_for = getattr(self.task, "expected_metrics", None)  # optional on a task's schema
        names = names_for(self.data) if names_for is not None else None
        if names is None:
            return self
        available = [*LOOP_METRICS, *names]
        if self.monitor.metric not in available:
            close = difflib.get_close_matches(self.monitor.metric, available, n=1)
            hint = f" Did you mean '{close[0]}'?" if close else ""
            raise ValueError(f"monitor.metric '{self.monitor.metric}' is not computed by task {self.task.name} on "
                             f"{self.data.name}.{hint} Available: {', '.join(available)}")
        return self

    @model_validator(mode="after")
    def _loss_fits_the_task(self) -> RunConfig:
        wanted = getattr(self.task, "loss_kind", None)
        if self.loss is not None and wanted and self.loss.kind and self.loss.kind != wanted:
            fitting = [e.name for e in LOSSES.entries() if e.schema.kind == wanted]
            raise ValueError(f"loss '{self.loss.name}' is a {self.loss.kind} loss but task {self.task.name} needs a "
                             f"{wanted} loss: one of {', '.join(fitting)}")
        return self

    @model_validator(mode="after")
    def _unique_callbacks(self) -> RunConfig:
        names = [callback.name for callback in self.callbacks]
        repeated = sorted({n for n in names if names.count(n) > 1})
        if repeated:
            raise ValueError(f"callbacks lists {repeated} more than once; keep one entry per callback")
        return self

    @model_validator(mode="after")
    def _callbacks_fit_the_run(self) -> RunConfig:
        """Cross-section checks a callback declares (``check_config(run_config)`` raising ValueError)."""
        for callback in self.callbacks:
            check = getattr(callback, "check_config", None)
            if check is not None:
                check(self)
        return self

    @model_validator(mode="after")
    def _clocks_need_one_process(self) -> RunConfig:
        """Each process would read its own clock and they would disagree on the step to act at."""
        timed = [key for key, on in (("trainer.session_budget", self.trainer.session_budget is not None),
                                     ("checkpoint.every_n_minutes", self.checkpoint.every_n_minutes > 0)) if on]
        if timed and self.trainer.devices > 1:
            raise ValueError(f"{' and '.join(timed)} need trainer.devices: 1 (with several processes each would read "
                             "its own clock and they would stop or checkpoint at different steps); use "
                             "checkpoint.every_n_steps and trainer.epochs instead")
        return self

    @model_validator(mode="after")
    def _reports_fit_the_run(self) -> RunConfig:
        """A report may declare what it needs of the run (``check_config(run_config)`` raising ValueError)."""
        for report in self.reports:
            check = getattr(report, "check_config", None)
            if check is not None:
                check(self)
        return self

    def callback(self, name: str) -> Component | None:
        """The options of callback ``name`` when the recipe uses it."""
        return next((c for c in self.callbacks if c.name == name), None)
