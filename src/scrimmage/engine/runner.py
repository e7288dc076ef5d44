"""``run(config) -> RunResult``: the one path to train, used by the CLI, tune, campaign workers and tests.

The run knows no dataset, task or model by name: the recipe's components build themselves
(``config.data.build``, ``config.task.build`` ...), a domain's report is looked up by the
dataset's name in the report registry, and the result is a generic table.
"""

from __future__ import annotations

import difflib
import json
import math
import time
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from rich.console import Console

from scrimmage.config.loader import config_to_dict, config_to_yaml, flatten
from scrimmage.config.registry import LOSSES
from scrimmage.config.schema import LOOP_METRICS, RunConfig
from scrimmage.config.types import parse_duration
from scrimmage.data.datamodule import DataBundle
from scrimmage.engine.callbacks.checkpointing import ModelCheckpoint
from scrimmage.engine.callbacks.progress import RichProgress
from scrimmage.engine.callbacks.run_status import RunStatus
from scrimmage.engine.callbacks.tracking import TrackingCallback
from scrimmage.engine.events import Callback
from scrimmage.engine.loop import TrainLoop, make_fabric
from scrimmage.engine.resume import changed_keys, check_compatible, read_checkpoint_config, resolve_checkpoint
from scrimmage.engine.rng import seed_everything
from scrimmage.engine.runs import RunRecord, now
from scrimmage.engine.signals import graceful_stop
from scrimmage.errors import ConfigError, TrainingDiverged, TrainingInterrupted
from scrimmage.io import atomic_path, atomic_write_text
from scrimmage.paths import resolve_workdir, runs_dir
from scrimmage.tracking.naming import run_name


@dataclass
class RunResult:
    run_id: str
    run_dir: str
    mlflow_run_id: str | None
    epochs_completed: int
    stop_reason: str
    best: dict[str, Any]
    val: dict[str, float]
    test: dict[str, float]
    baselines: dict[str, dict[str, float]] = field(default_factory=dict)
    report: dict[str, Any] = field(default_factory=dict)
    """The result table (rows = model and baselines, columns, notes, extras) the CLI prints."""
    predictions: str | None = None
    """CSV of the test predictions per example (ids, targets, predictions)."""
    evaluation: Any = field(default=None, repr=False)
    """The test split's evaluation (tensors; not part of ``to_dict``)."""
    checkpoints: dict[str, str] = field(default_factory=dict)
    seconds: float = 0.0
    train_samples_per_s: float = 0.0
    data: dict[str, Any] = field(default_factory=dict)
    world_size: int = 1
    """Processes that trained together (DDP); each returns a result, only the main one reports."""
    is_main_process: bool = True
    sections: dict[str, Any] = field(default_factory=dict)
    """The report's top-level sections (e.g. ``simulation``), merged into ``to_dict`` by name."""

    def to_dict(self) -> dict[str, Any]:
        out = {f.name: getattr(self, f.name) for f in fields(self) if f.name not in ("evaluation", "sections")}
        return out | {k: v for k, v in self.sections.items() if k not in out}


def run(
    config: RunConfig,
    *,
    workdir: str | Path | None = None,
    recipe: str | None = None,
    resume: str | None = None,
    tracking_uri: str | None = None,
    console: Console | None = None,
    progress: bool = True,
    callbacks: list[Callback] | None = None,
) -> RunResult:
    """Train ``config`` and report on its test split; the one path every command and test takes.

    Lifecycle: everything that can be wrong with the inputs (data, task, model, optimizer,
    schedule, monitored metric, devices, tracking store) is built and checked before anything is
    written; then the run folder and the MLflow run are created, and however the run ends it is
    marked there: ``finished``, ``interrupted`` (SIGINT/SIGTERM or the session budget, measured from
    this call: a checkpoint is written first), ``diverged`` or ``failed`` (with its error).
    """
    started = time.perf_counter()
    workdir = resolve_workdir(workdir)
    console = console or Console(stderr=True, quiet=not progress)
    checkpoint = resolve_checkpoint(resume, workdir) if resume else None
    saved_config = read_checkpoint_config(checkpoint) if checkpoint is not None else None
    if saved_config is not None:
        check_compatible(saved_config, config_to_dict(config))

    seed_everything(config.trainer.seed, config.trainer.deterministic)
    bundle = config.data.build(workdir)
    task = config.task.build(bundle.spec)
    task.setup_training(config.loss or LOSSES.validate(task.default_loss()), bundle.splits["train"])
    model = task.build_model(config.model.build(bundle.spec, task.n_outputs()), bundle.splits["train"])
    check_monitored(config.monitor.metric, [*LOOP_METRICS, *task.metric_names("val")])
    for component in config.callbacks:  # checks a callback can make only once the task is built (loss weights ...)
        check_task = getattr(component, "check_task", None)
        if check_task is not None:
            check_task(task)
    fabric = make_fabric(config)
    fabric.launch()  # one process per device: started here by re-running the command (or by torchrun)
    loop = TrainLoop(config, fabric, model, task, bundle)  # optimizer and schedule are built (and checked) here
    main_process = fabric.is_global_zero
    store = _open_tracking_store(config, workdir, tracking_uri) if main_process else None

    # Everything that can be wrong with the inputs has been checked: now write (rank 0 only).
    if main_process:
        sizes = ", ".join(f"{len(split):,} {name}" for name, split in bundle.splits.items())
        console.print(f"data {config.data.name}: {sizes} examples, {bundle.spec.n_features} features; "
                      f"{fabric.world_size} process(es) on {fabric.device.type}", markup=False, highlight=False)
    record = _open_run_record(config, workdir, recipe, checkpoint, saved_config) if main_process else None
    meta = fabric.broadcast(record.meta if record is not None else None, src=0)
    run_dir = runs_dir(workdir) / meta["run_id"]
    resume_command = f"scrimmage --workdir {workdir} train --resume {meta['run_id']}"
    tracker = None
    chain: list[Callback] = []
    try:
        if store is not None:
            tracker = _start_tracking(store, config, record, recipe, bundle.info, saved_config)
        saver = ModelCheckpoint(run_dir / "checkpoints", config.checkpoint, config.monitor)
        chain = [component.build(config) for component in config.callbacks]
        if record is not None:
            chain.append(RunStatus(record))
        if tracker is not None:
            chain.append(TrackingCallback())
        chain += [saver, *(callbacks or [])]
        if progress and main_process:
            chain.append(RichProgress(console, watch=(config.monitor.metric,)))
        loop.set_callbacks(chain, log=tracker.log_metrics if tracker is not None else None)
        if main_process:  # what callbacks say (a phase starts ...) goes where the run's own lines go
            loop.ctx.print = lambda text: console.print(text, markup=False, highlight=False)
        loop.on_stop = lambda: loop.save_checkpoint(saver.last_path)
        if checkpoint is not None:
            loop.load_checkpoint(checkpoint)
            if main_process:
                console.print(f"resumed from {checkpoint} at epoch {loop.state.epoch + 1}, step {loop.state.global_step}",
                              markup=False, highlight=False)
        budget = config.trainer.session_budget
        budget_left = parse_duration(budget) - (time.perf_counter() - started) if budget else None
        with graceful_stop(budget, budget_left) as stop:
            loop.stop = stop
            loop.fit()
        _close(chain)
        result = _finish(config, loop, task, bundle, fabric, saver, meta, run_dir, started, workdir)
        if main_process:
            predictions = save_predictions(run_dir / "predictions" / "test.csv", task, result.evaluation, bundle, "test")
            result.predictions = str(predictions)
            if tracker is not None:
                tracker.log_artifact(predictions, "predictions")
                _log_final(tracker, result, loop)
            atomic_write_text(run_dir / "result.json", json.dumps(result.to_dict(), indent=2, default=str))
            record.end("finished")
        return result
    except TrainingInterrupted as exc:  # a signal or the budget: the loop checkpointed at the step it stopped on
        message = (f"{exc} at epoch {loop.state.epoch + 1}, step {loop.state.global_step}; a checkpoint was saved. "
                   f"Continue with: {resume_command}")
        _end(record, tracker, chain, "interrupted", message, "KILLED")
        raise TrainingInterrupted(message, exit_code=exc.exit_code) from None
    except KeyboardInterrupt:  # a second Ctrl-C (or one raised inside a callback): no new checkpoint
        message = (f"interrupted at epoch {loop.state.epoch + 1}, step {loop.state.global_step}. "
                   f"Continue from the last checkpoint with: {resume_command}")
        _end(record, tracker, chain, "interrupted", message, "KILLED")
        raise TrainingInterrupted(message) from None
    except TrainingDiverged as exc:
        _end(record, tracker, chain, "diverged", str(exc), "FAILED")
        raise
    except BaseException as exc:
        _end(record, tracker, chain, "failed", f"{type(exc).__name__}: {exc}", "FAILED")
        raise


def _finish(config: RunConfig, loop: TrainLoop, task: Any, bundle: DataBundle, fabric: Any, saver: ModelCheckpoint,
            meta: dict[str, Any], run_dir: Path, started: float, workdir: Path) -> RunResult:
    """Test with the best weights (if asked), build the report, assemble the result."""
    if config.checkpoint.restore_best and saver.best_path.exists():
        loop.load_weights(saver.best_path)
    loop.model.eval()
    evaluation = task.evaluate(loop.model, bundle.splits["test"].to(fabric.device), config.trainer.eval_batch_size, "test")
    report = task.report(bundle, "test", evaluation)
    if config.reports:
        from scrimmage.engine.reports import ReportContext, run_reports

        ctx = ReportContext(config=config, data=bundle, split="test", evaluation=evaluation,
                            model=unwrap_module(loop.model).eval(), task=task, workdir=workdir, run_dir=run_dir,
                            device=fabric.device, print=loop.ctx.print)
        report = run_reports(config.reports, ctx, report)
    result = RunResult(
        run_id=meta["run_id"],
        run_dir=str(run_dir),
        mlflow_run_id=meta.get("mlflow_run_id"),
        epochs_completed=loop.state.epoch,
        stop_reason=loop.state.stop_reason or "max epochs",
        best=_best(loop.state.history, config.monitor.metric, config.monitor.mode),
        val={k.removeprefix("val/"): v for k, v in (loop.history[-1] if loop.history else {}).items() if k.startswith("val/")},
        test={k.removeprefix("test/"): v for k, v in evaluation.metrics.items()} | report.rows["model"],
        baselines={name: row for name, row in report.rows.items() if name != "model"},
        report=report.to_dict(),
        checkpoints=saver.checkpoint_paths(),
        seconds=time.perf_counter() - started,
        train_samples_per_s=loop.state.samples_seen / loop.state.train_seconds if loop.state.train_seconds else 0.0,
        data=bundle.info,
        world_size=fabric.world_size,
        is_main_process=fabric.is_global_zero,
        sections=dict(report.sections) | _callback_sections(loop),
    )
    result.evaluation = evaluation
    return result


def unwrap_module(model: Any) -> Any:
    """The user's module inside Fabric's wrapper (what reports and exports see)."""
    return getattr(model, "module", model)


def _callback_sections(loop: TrainLoop) -> dict[str, Any]:
    sections = {}
    for callback in loop.callbacks:
        section = callback.result_section() if hasattr(callback, "result_section") else None
        if section is not None:
            sections[callback.name] = section
    return sections


def _close(chain: list[Callback]) -> None:
    for callback in chain:
        close = getattr(callback, "close", None)
        if close is not None:
            close()


def _end(record: RunRecord | None, tracker: Any, chain: list[Callback], status: str, error: str, mlflow_status: str) -> None:
    """Mark a run that did not finish, in run.json and MLflow; never mask the original error."""
    _close(chain)
    for action in (lambda: record and record.end(status, error), lambda: tracker and tracker.end(mlflow_status, error)):
        try:
            action()
        except Exception:  # the store may be what failed; the run's own error is what the user needs
            pass


def check_monitored(metric: str, available: list[str]) -> None:
    if metric not in available:
        close = difflib.get_close_matches(metric, available, n=1)
        hint = f" Did you mean '{close[0]}'?" if close else ""
        raise ConfigError(f"monitor.metric '{metric}' is not computed by this task.{hint} Available: {', '.join(available)}.")


def _best(history: list[dict[str, float]], metric: str, mode: str) -> dict[str, Any]:
    finite = [(m[metric], int(m["epoch"])) for m in history if metric in m and math.isfinite(m[metric])]
    if not finite:
        return {"metric": metric, "value": None, "epoch": None}
    value, epoch = (min if mode == "min" else max)(finite, key=lambda item: item[0])
    return {"metric": metric, "value": value, "epoch": epoch}


def save_predictions(path: Path, task: Any, evaluation: Any, bundle: DataBundle, split: str) -> Path:
    """Per-example test predictions (ids, targets, predictions) as CSV, written atomically."""
    import pandas as pd

    columns = task.prediction_columns(evaluation)
    frame = bundle.frames.get(split)
    ids = frame[list(bundle.id_columns)].reset_index(drop=True) if frame is not None and bundle.id_columns else None
    table = pd.DataFrame(columns)
    if ids is not None and len(ids) == len(table):
        table = pd.concat([ids, table], axis=1)
    with atomic_path(path) as tmp:
        table.to_csv(tmp, index=False, float_format="%.6g")
    return path


def _open_run_record(
    config: RunConfig, workdir: Path, recipe: str | None, checkpoint: Path | None, saved_config: dict[str, Any] | None
) -> RunRecord:
    """Reuse the run folder of a resumed checkpoint (updating its config); otherwise create ``runs/<run name>/``."""
    if checkpoint is not None and (checkpoint.parent.parent / "run.json").is_file():
        run_dir = checkpoint.parent.parent
        record = RunRecord(run_dir, json.loads((run_dir / "run.json").read_text()))
        if saved_config is not None and saved_config != config_to_dict(config):
            atomic_write_text(run_dir / "config.yaml", config_to_yaml(config))  # e.g. more epochs or patience
            record.meta.setdefault("resumes", []).append({"at": now(), "changed": changed_keys(saved_config, config_to_dict(config))})
        record.start()
        return record
    root = runs_dir(workdir)
    name = run_name(config.tracking.experiment, config.model.name, config.tracking.variant, taken=root)
    run_dir = root / name
    (run_dir / "checkpoints").mkdir(parents=True)
    record = RunRecord(run_dir, {
        "run_id": name,
        "recipe": recipe,
        "started": now(),
        "resumed_from": str(checkpoint) if checkpoint else None,
    })
    atomic_write_text(run_dir / "config.yaml", config_to_yaml(config))
    record.start()
    return record


def _open_tracking_store(config: RunConfig, workdir: Path, uri: str | None) -> Any:
    """Connect to the tracking store and find (or create) the experiment; no run is created yet."""
    if not config.tracking.enabled:
        return None
    from scrimmage.tracking.mlflow_tracker import MlflowTracker, default_tracking_uri

    return MlflowTracker(uri or config.tracking.uri or default_tracking_uri(workdir), config.tracking.experiment,
                         workdir / "mlartifacts")


def _start_tracking(
    tracker: Any, config: RunConfig, record: RunRecord, recipe: str | None, data_info: dict[str, Any],
    saved_config: dict[str, Any] | None,
) -> Any:
    from scrimmage.tracking.environment import environment_info

    meta = record.meta
    resumed = meta.get("mlflow_run_id")
    dataset_version = config.tracking.dataset_version
    if dataset_version == "auto":
        dataset_version = str(data_info.get("dataset_version", "unknown"))
    environment = environment_info()
    tags = {
        "recipe": recipe or "",
        "model_type": config.model.name,
        "task": config.task.name,
        "dataset": config.data.name,
        "dataset_version": dataset_version,
        "experiment_type": config.tracking.experiment_type,
        "variant": config.tracking.variant,
        "scrimmage.run_id": meta["run_id"],
        **{f"env.{k}": v for k, v in environment.items()},
        **config.tracking.tags,
    }
    tracker.start(meta["run_id"], tags, resume_run_id=resumed)
    if not resumed:
        tracker.log_params(flatten(config_to_dict(config)))
        tracker.log_text(config_to_yaml(config), "config/resolved.yaml")
        tracker.log_text(json.dumps(environment, indent=2), "environment.json")
        meta["mlflow_run_id"] = tracker.run_id
        meta["tracking_uri"] = tracker.uri
        record.save()
    elif saved_config is not None and saved_config != config_to_dict(config):
        # MLflow params cannot change value: the new values of a resume go in as tags and a new config artifact
        changed = changed_keys(saved_config, config_to_dict(config))
        new = flatten(config_to_dict(config))
        tracker.set_tags({f"resumed.{key}": new.get(key) for key in changed})
        tracker.log_text(config_to_yaml(config), "config/resolved.yaml")
    return tracker


def _log_final(tracker: Any, result: RunResult, loop: TrainLoop) -> None:
    final: dict[str, float] = {}
    if result.best["value"] is not None:
        final["best/" + result.best["metric"].replace("/", "_")] = result.best["value"]
        final["best/epoch"] = result.best["epoch"]
    final.update({f"test/{k}": v for k, v in result.test.items() if isinstance(v, (int, float))})
    for name, metrics in result.baselines.items():
        final.update({f"baseline/{name}/{k}": v for k, v in metrics.items() if isinstance(v, (int, float))})
    final["train/samples_per_s_overall"] = result.train_samples_per_s
    tracker.log_metrics(final, step=loop.state.epoch)
    tracker.set_tags({f"checkpoint.{k}": v for k, v in result.checkpoints.items()} | {"stop_reason": result.stop_reason})
    tracker.log_text(json.dumps(result.to_dict(), indent=2, default=str), "result.json")
    tracker.end("FINISHED")
