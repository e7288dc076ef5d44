"""``run(config) -> RunResult``: the one path to train, used by the CLI, tune, campaign workers and tests.

A run is a session around a loop. The session owns what every paradigm shares: the run record
(``run.json``), tracking, signals and the session budget, checkpoint files (format 3, see
:mod:`scrimmage.engine.checkpoint`), callbacks, the final evaluation with the recipe's reports,
and the result. The loop (``loop.name``, from the ``LOOPS`` registry; ``supervised`` by default)
only trains (see :mod:`scrimmage.engine.session`). The session knows no dataset, task or model by
name: the recipe's components build themselves and reports are named in the recipe.

A run restores the process state it changed (torch threads, the deterministic-algorithms flag),
so many runs can share one process (a search's trials); the RNG state is the caller's business:
every run seeds python, numpy and torch from ``trainer.seed``. ``RunResult`` holds numbers and
paths, never the model or tensors.
"""

from __future__ import annotations

import contextlib
import difflib
import json
import math
import re
import time
from collections.abc import Iterator
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from rich.console import Console

from scrimmage.config.loader import config_to_dict, config_to_yaml, flatten
from scrimmage.config.registry import LOSSES, RUN_END
from scrimmage.config.schema import LOOP_METRICS, RunConfig
from scrimmage.config.types import parse_duration
from scrimmage.data.datamodule import DataBundle
from scrimmage.engine.callbacks.checkpointing import ModelCheckpoint
from scrimmage.engine.callbacks.progress import RichProgress
from scrimmage.engine.callbacks.run_status import RunStatus
from scrimmage.engine.callbacks.tracking import TrackingCallback
from scrimmage.engine.checkpoint import CHECKPOINT_FORMAT, check_resumable, input_signature, upgrade
from scrimmage.engine.events import Callback, Context, Event
from scrimmage.engine.resume import changed_keys, check_compatible, read_checkpoint, resolve_checkpoint
from scrimmage.engine.rng import capture_rng_state, restore_rng_state, seed_everything
from scrimmage.engine.runs import RunLock, RunRecord, create_run_dir, now, read_record
from scrimmage.engine.session import Loop, LoopHost
from scrimmage.engine.signals import StopRequest, graceful_stop
from scrimmage.engine.tasks.base import Closable, Stateful, task_hooks
from scrimmage.errors import (
    ArgumentError,
    CheckpointError,
    ConfigError,
    RunAborted,
    RunPruned,
    StoreError,
    TrainingDiverged,
    TrainingInterrupted,
)
from scrimmage.io import atomic_path, atomic_write_text, commit
from scrimmage.paths import resolve_workdir, runs_dir
from scrimmage.tracking.naming import run_name

RUN_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._=-]{0,199}$")


@dataclass
class RunResult:
    """Numbers and paths of a finished run (no model, no tensors: a search keeps hundreds of these)."""

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
    checkpoints: dict[str, str] = field(default_factory=dict)
    seconds: float = 0.0
    train_samples_per_s: float = 0.0
    data: dict[str, Any] = field(default_factory=dict)
    world_size: int = 1
    """Processes that trained together (DDP); each returns a result, only the main one reports."""
    is_main_process: bool = True
    sections: dict[str, Any] = field(default_factory=dict)
    """The report's top-level sections (e.g. ``simulation``), merged into ``to_dict`` by name."""
    tested: bool = True
    """False when the run skipped the test evaluation and reports (``evaluate_test=False``)."""
    model_checkpoint: dict[str, Any] = field(default_factory=dict)
    """The file holding the weights the report scored (``file`` under checkpoints/, the ``epoch`` they are from)."""

    def to_dict(self) -> dict[str, Any]:
        out = {f.name: getattr(self, f.name) for f in fields(self) if f.name != "sections"}
        return out | {k: v for k, v in self.sections.items() if k not in out}


class StopHandle:
    """Stops a run from another thread: ``handle.request_stop(reason, mode)`` (see ``Context.request_stop``)."""

    def __init__(self) -> None:
        self.request = StopRequest()

    def request_stop(self, reason: str, mode: str = "checkpoint") -> None:
        self.request.request(reason, mode)


def run(
    config: RunConfig,
    *,
    workdir: str | Path | None = None,
    recipe: str | None = None,
    resume: str | None = None,
    run_id: str | None = None,
    data: DataBundle | None = None,
    evaluate_test: bool = True,
    parent_run: str | None = None,
    tracking_uri: str | None = None,
    console: Console | None = None,
    progress: bool = True,
    callbacks: list[Callback] | None = None,
    stop: StopHandle | None = None,
) -> RunResult:
    """Train ``config`` and report on its test split; the one path every command and test takes.

    ``run_id`` fixes the run's id before it starts (a campaign job stores it; when ``runs/<id>`` has a
    ``last.ckpt`` the run resumes from it). ``data`` is an already built bundle (a search builds it
    once for all its trials). ``evaluate_test=False`` skips the test evaluation, the predictions and
    the reports. ``parent_run`` nests the MLflow run under that MLflow run id. ``stop`` is a
    :class:`StopHandle` another thread may use to stop the run.

    Lifecycle: everything that can be wrong with the inputs (data, task, model, optimizer,
    schedule, monitored metric, devices, tracking store, the checkpoint to resume) is built and
    checked before anything is written; then the run folder and the MLflow run are created, and
    however the run ends it is marked there: ``finished``, ``interrupted`` (SIGINT/SIGTERM, the
    session budget measured from this call, or ``request_stop(mode="checkpoint")``: a checkpoint
    is written first), ``aborted``, ``pruned``, ``diverged`` or ``failed`` (with its error).
    """
    with _process_state(), contextlib.ExitStack() as held:  # held: the run folder's lock, released however it ends
        return _run(config, workdir=workdir, recipe=recipe, resume=resume, run_id=run_id, data=data,
                    evaluate_test=evaluate_test, parent_run=parent_run, tracking_uri=tracking_uri, console=console,
                    progress=progress, callbacks=callbacks, stop=stop, held=held)


@contextlib.contextmanager
def _process_state() -> Iterator[None]:
    """Put back what a run changes in the process: torch threads and the deterministic flags."""
    import torch

    threads = torch.get_num_threads()
    deterministic = torch.are_deterministic_algorithms_enabled()
    warn_only = torch.is_deterministic_algorithms_warn_only_enabled()
    cudnn = (torch.backends.cudnn.deterministic, torch.backends.cudnn.benchmark)
    try:
        yield
    finally:
        torch.set_num_threads(threads)
        torch.use_deterministic_algorithms(deterministic, warn_only=warn_only)
        torch.backends.cudnn.deterministic, torch.backends.cudnn.benchmark = cudnn


def _run(config: RunConfig, *, workdir: str | Path | None, recipe: str | None, resume: str | None, run_id: str | None,
         data: DataBundle | None, evaluate_test: bool, parent_run: str | None, tracking_uri: str | None,
         console: Console | None, progress: bool, callbacks: list[Callback] | None, stop: StopHandle | None,
         held: contextlib.ExitStack) -> RunResult:
    import torch

    from scrimmage.engine.loop import make_fabric

    started = time.perf_counter()
    workdir = resolve_workdir(workdir)
    console = console or Console(stderr=True, quiet=not progress)
    if resume is not None and not str(resume).strip():
        raise ArgumentError("--resume needs a run id (see `scrimmage runs`) or a .ckpt path; it was empty.")
    if run_id is not None:
        _check_run_id(run_id)
        if resume is None and (runs_dir(workdir) / run_id / "checkpoints" / "last.ckpt").is_file():
            resume = run_id  # a re-claimed job continues where its run stopped
    checkpoint = resolve_checkpoint(resume, workdir) if resume else None
    folder = _existing_run_folder(checkpoint, workdir, run_id)
    if folder is not None:  # one writer per run: before anything is loaded or written
        if (folder / "run.json").exists():
            read_record(folder)  # a damaged record is named now, not after minutes of loading data
        held.callback(RunLock(folder).acquire().release)
    saved = upgrade(read_checkpoint(checkpoint), checkpoint) if checkpoint is not None else None
    saved_config = _normalised(saved["config"], checkpoint) if saved is not None else None
    if saved_config is not None:
        check_compatible(saved_config, config_to_dict(config))
        if folder is not None and (folder / "result.json").is_file() and saved_config == config_to_dict(config):
            raise CheckpointError(f"run {folder.name} is finished; resuming it with the same config would change nothing. "
                                  "To train it longer, resume with more epochs (-o trainer.epochs=N) or a larger "
                                  "early-stopping patience (-o callbacks.0.patience=N).")

    if config.trainer.threads:
        torch.set_num_threads(config.trainer.threads)
    seed_everything(config.trainer.seed, config.trainer.deterministic)
    bundle = data if data is not None else config.data.build(workdir)
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
    loop: Loop = config.loop.build()(config, fabric, model, task, bundle)  # optimizer and schedule are checked here
    loop.state.data = bundle  # callbacks that make passes of their own (SWA's batch-norm update) read the splits here
    if saved is not None:  # restored in memory before anything is written: a checkpoint that does not fit leaves no trace
        check_resumable(saved, loop.name, loop.required_keys, checkpoint)
        _restore_loop(loop, task, saved, checkpoint)
    main_process = fabric.is_global_zero
    store = _open_tracking_store(config, workdir, tracking_uri) if main_process else None
    if store is not None:
        _reconcile_killed(workdir, store)
    signature = input_signature(bundle.splits["train"].take(slice(0, 2)))

    # Everything that can be wrong with the inputs has been checked: now write (rank 0 only).
    if main_process:
        sizes = ", ".join(f"{len(split):,} {name}" for name, split in bundle.splits.items())
        console.print(f"data {config.data.name}: {sizes} examples, {bundle.spec.n_features} features; "
                      f"{fabric.world_size} process(es) on {fabric.device.type}", markup=False, highlight=False)
    record = _open_run_record(config, workdir, recipe, checkpoint, saved_config, run_id) if main_process else None
    if record is not None and folder is None:  # a new folder: lock it before anything else is written in it
        held.callback(RunLock(record.folder).acquire().release)
    meta = fabric.broadcast(record.meta if record is not None else None, src=0)
    run_dir = runs_dir(workdir) / meta["run_id"]
    resume_command = f"scrimmage --workdir {workdir} train --resume {meta['run_id']}"
    tracker = None
    chain: list[Callback] = []
    request = stop.request if stop is not None else StopRequest()
    saver = ModelCheckpoint(run_dir / "checkpoints", config.checkpoint, config.monitor)
    host: LoopHost | None = None
    try:
        if store is not None:
            tracker = _start_tracking(store, config, record, recipe, bundle.info, saved_config, parent_run)
        chain = [component.build(config) for component in config.callbacks]
        hooks = task_hooks(task)
        if hooks is not None:  # the task's own hooks run after the recipe's callbacks, before the run's bookkeeping
            chain.append(hooks)
        if record is not None:
            chain.append(RunStatus(record))
        if tracker is not None:
            chain.append(TrackingCallback())
        chain += [saver, *(callbacks or [])]
        if progress and main_process:
            chain.append(RichProgress(console, watch=(config.monitor.metric,)))

        def save_checkpoint(path: Any) -> None:
            _save_checkpoint(Path(path), loop, task, chain, config, bundle, signature, fabric)

        ctx = Context(save_checkpoint=save_checkpoint, load_weights=loop.load_weights,
                      log=tracker.log_metrics if tracker is not None else (lambda metrics, step: None),
                      print=(lambda text: console.print(text, markup=False, highlight=False)) if main_process else (lambda text: None),
                      is_main_process=main_process, run_id=meta["run_id"], run_dir=run_dir, request_stop=request.request)
        host = LoopHost(loop.state, ctx, chain, request, save_for_stop=lambda: save_checkpoint(saver.last_path))
        loop.attach(host)
        if saved is not None:
            _restore_session(chain, saved)
            host.fire(Event.CHECKPOINT_LOADED)
            if main_process:
                console.print(f"resumed from {checkpoint} at epoch {loop.state.epoch + 1}, step {loop.state.global_step}",
                              markup=False, highlight=False)
        budget = config.trainer.session_budget
        budget_left = parse_duration(budget) - (time.perf_counter() - started) if budget else None
        with graceful_stop(budget, budget_left, request):
            loop.fit()
        _close(chain, task)
        result = _finish(config, loop, task, bundle, fabric, saver, meta, run_dir, started, workdir, evaluate_test)
        if main_process:
            write_history(run_dir / "history.csv", loop.state.history)  # per-epoch metrics for reports, read without torch
            if tracker is not None:
                if result.predictions:
                    tracker.log_artifact(Path(result.predictions), "predictions")
                for _, hook in RUN_END.all():  # label counts, parameter count, figures (reports register them)
                    hook(tracker, config, result, loop.state.history, loop.model, bundle, console)
                _log_final(tracker, result, loop)
            atomic_write_text(run_dir / "result.json", json.dumps(result.to_dict(), indent=2, default=str))
            record.meta["model_checkpoint"] = result.model_checkpoint
            record.end("finished")
        return result
    except TrainingInterrupted as exc:  # a signal, the budget or a request: the loop checkpointed at the step it stopped on
        where = f"at epoch {loop.state.epoch + 1}, step {loop.state.global_step}"
        if host is not None and host.saved_for_stop:
            message = f"{exc} {where}; a checkpoint was saved. Continue with: {resume_command}"
        else:
            message = f"{exc} {where}; no checkpoint could be saved. {_restart_hint(saver, resume_command)}"
        _end(record, tracker, chain, task, "interrupted", message, "KILLED")
        raise TrainingInterrupted(message, exit_code=exc.exit_code) from None
    except KeyboardInterrupt:  # a second Ctrl-C (or one raised inside a callback): no new checkpoint
        message = f"interrupted at epoch {loop.state.epoch + 1}, step {loop.state.global_step}. {_restart_hint(saver, resume_command)}"
        _end(record, tracker, chain, task, "interrupted", message, "KILLED")
        raise TrainingInterrupted(message) from None
    except RunAborted as exc:  # a worker that lost its job: write nothing more than the status
        _end(record, tracker, chain, task, "aborted", str(exc), "KILLED")
        raise
    except RunPruned as exc:
        _end(record, tracker, chain, task, "pruned", str(exc), "KILLED")
        raise
    except TrainingDiverged as exc:
        _end(record, tracker, chain, task, "diverged", str(exc), "FAILED")
        raise
    except BaseException as exc:
        _end(record, tracker, chain, task, "failed", f"{type(exc).__name__}: {exc}", "FAILED")
        raise


def _existing_run_folder(checkpoint: Path | None, workdir: Path, run_id: str | None) -> Path | None:
    """The run folder this run writes into when it exists already (a resume, or a fixed run id)."""
    if checkpoint is not None and (checkpoint.parent.parent / "run.json").is_file():
        return checkpoint.parent.parent
    if run_id is not None and (runs_dir(workdir) / run_id).is_dir():
        return runs_dir(workdir) / run_id
    return None


def _normalised(raw: dict[str, Any], path: Path) -> dict[str, Any]:
    """A checkpoint's config with today's defaults filled in, so keys added since it was written (``loop``,
    ``reports`` ...) do not count as changes."""
    from scrimmage.config.loader import validate_config

    try:
        return config_to_dict(validate_config(dict(raw), source=f"the config inside {path}", check_files=False))
    except ConfigError as exc:
        raise CheckpointError(f"{exc} The checkpoint's config no longer validates; start a new run.") from None


def _check_run_id(run_id: str) -> None:
    if not isinstance(run_id, str) or not RUN_ID.match(run_id) or ".." in run_id:
        raise ArgumentError(f"run id {run_id!r} is not a valid folder name: use letters, digits, '.', '_', '=' and '-' "
                            "(up to 200 characters, starting with a letter or digit).")


def _restart_hint(saver: ModelCheckpoint, resume_command: str) -> str:
    if saver.last_path.is_file():
        return f"Continue from the last checkpoint with: {resume_command}"
    return "No checkpoint exists yet; start the run again."


def _restore_loop(loop: Loop, task: Any, saved: dict[str, Any], path: Path) -> None:
    """Model, the loop's objects and position, task state (all checked to fit first; nothing is half-restored)."""
    from scrimmage.engine.loop import unwrap_module

    try:
        unwrap_module(loop.model).load_state_dict(saved["model"])
        for key, obj in loop.stateful().items():
            obj.load_state_dict(saved[key])
    except (RuntimeError, KeyError, ValueError) as exc:
        raise CheckpointError(f"checkpoint {path} does not fit this model ({str(exc).splitlines()[0]}); "
                              "resume with the run's own config, or start a new run.") from None
    loop.load_loop_state(saved["loop"])
    loop.state.history[:] = list(saved["history"])
    if loop.state.history:
        loop.state.metrics = loop.state.history[-1]
    if isinstance(task, Stateful) and saved.get("task_state"):
        task.load_state_dict(saved["task_state"])


def _restore_session(chain: list[Callback], saved: dict[str, Any]) -> None:
    for callback in chain:
        callback.load_state_dict(saved["callbacks"].get(callback.name, {}))
    restore_rng_state(saved["rng"])


def _save_checkpoint(path: Path, loop: Loop, task: Any, chain: list[Callback], config: RunConfig, bundle: DataBundle,
                     signature: dict[str, Any], fabric: Any) -> None:
    """Format 3, atomic: written to a temp file beside ``path`` and renamed over it.

    Every rank joins ``fabric.save`` (it gathers state and synchronises); rank 0 alone writes
    and renames, so the temp name is fixed rather than per-process.
    """
    import scrimmage

    members = getattr(loop, "members", None)
    state = {
        "format": CHECKPOINT_FORMAT,
        "scrimmage_version": scrimmage.__version__,
        "model": loop.model,
        **loop.stateful(),
        "loop": loop.loop_state(),
        "history": list(loop.state.history),
        "callbacks": {cb.name: cb.state_dict() for cb in chain if getattr(cb, "keeps_state", True)},
        "rng": capture_rng_state(),
        "config": config.model_dump(mode="json"),
        # what rebuilds the model from this file alone (scrimmage.load_model)
        "task": config.task.name,
        "task_state": task.state_dict() if isinstance(task, Stateful) else {},
        "members": members() if callable(members) else None,
        "spec": bundle.spec.to_dict() | {"signature": signature},
        "data_version": bundle.version,
    }
    tmp = path.with_name(f".{path.name}.tmp")
    try:
        fabric.save(tmp, state)
        if fabric.is_global_zero:
            commit(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)  # never leave a half-written temp file behind
        raise
    fabric.barrier()


def _finish(config: RunConfig, loop: Loop, task: Any, bundle: DataBundle, fabric: Any, saver: ModelCheckpoint,
            meta: dict[str, Any], run_dir: Path, started: float, workdir: Path, evaluate_test: bool) -> RunResult:
    """Test with the reported weights (if asked), run the reports, save the predictions, assemble the result."""
    from scrimmage.engine.loop import unwrap_module

    state = loop.state
    history = state.history
    result = RunResult(
        run_id=meta["run_id"],
        run_dir=str(run_dir),
        mlflow_run_id=meta.get("mlflow_run_id"),
        epochs_completed=state.epoch,
        stop_reason=state.stop_reason or "max epochs",
        best=_best(history, config.monitor.metric, config.monitor.mode),
        val={k.removeprefix("val/"): v for k, v in (history[-1] if history else {}).items() if k.startswith("val/")},
        test={},
        checkpoints=saver.checkpoint_paths(),
        seconds=0.0,
        train_samples_per_s=state.samples_seen / state.train_seconds if state.train_seconds else 0.0,
        data=bundle.info,
        world_size=fabric.world_size,
        is_main_process=fabric.is_global_zero,
        sections=_callback_sections(loop),
        tested=evaluate_test,
    )
    # The run's model: the weights its report scores, named in run.json so a run id resolves to them (predict,
    # simulate, export). best.ckpt when restore_best has it; otherwise the weights as training left them (after
    # FIT_END: EMA or SWA weights included), written as final.ckpt since no other file need hold exactly those.
    # A trial that skips the test scores nothing: it names its best.ckpt when there is one and writes nothing more.
    if config.checkpoint.restore_best and saver.best_path.exists():
        if evaluate_test:
            loop.load_weights(saver.best_path)
            if isinstance(task, Stateful):  # the task state of the same epoch (e.g. its tuned decision threshold)
                saved_state = read_checkpoint(saver.best_path).get("task_state")
                if saved_state:
                    task.load_state_dict(saved_state)
        scored, epoch = saver.best_path, saver.best_epoch
    elif evaluate_test:
        scored, epoch = saver.directory / "final.ckpt", state.epoch
        loop.host.ctx.save_checkpoint(scored)
    else:
        scored = None
    if scored is not None:
        result.checkpoints["model"] = str(scored)
        result.model_checkpoint = {"file": scored.name, "epoch": int(epoch)}
    if evaluate_test:
        loop.model.eval()
        evaluation = task.evaluate(loop.model, bundle.splits["test"].to(fabric.device), config.trainer.eval_batch_size, "test")
        report = task.report(bundle, "test", evaluation)
        if config.reports:
            from scrimmage.engine.reports import ReportContext, run_reports

            ctx = ReportContext(config=config, data=bundle, split="test", evaluation=evaluation,
                                model=unwrap_module(loop.model).eval(), task=task, workdir=workdir, run_dir=run_dir,
                                device=fabric.device, print=loop.host.ctx.print)
            report = run_reports(config.reports, ctx, report)
        result.test = {k.removeprefix("test/"): v for k, v in evaluation.metrics.items()} | report.rows["model"]
        result.baselines = {name: row for name, row in report.rows.items() if name != "model"}
        result.report = report.to_dict()
        result.sections = dict(report.sections) | result.sections
        if fabric.is_global_zero:
            path = save_predictions(run_dir / "predictions" / "test.csv", task, evaluation, bundle, "test")
            result.predictions = str(path)
    result.seconds = time.perf_counter() - started
    return result


def _callback_sections(loop: Loop) -> dict[str, Any]:
    sections = {}
    for callback in loop.host.callbacks:
        section = callback.result_section() if hasattr(callback, "result_section") else None
        if section is not None:
            sections[callback.name] = section
    return sections


def _close(chain: list[Callback], task: Any = None) -> None:
    if isinstance(task, Closable):
        task.close()
    for callback in chain:
        close = getattr(callback, "close", None)
        if close is not None:
            close()


def _end(record: RunRecord | None, tracker: Any, chain: list[Callback], task: Any, status: str, error: str, mlflow_status: str) -> None:
    """Mark a run that did not finish, in run.json and MLflow; never mask the original error."""
    try:
        _close(chain, task)
    except Exception:  # closing must not hide why the run ended
        pass
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


def write_history(path: Path, history: list[dict[str, float]]) -> None:
    """The per-epoch metrics (a row per epoch, a column per metric) as CSV, written atomically."""
    import csv
    import io

    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, list(dict.fromkeys(key for row in history for key in row)))
    writer.writeheader()
    writer.writerows(history)
    atomic_write_text(path, buffer.getvalue())


def _open_run_record(
    config: RunConfig, workdir: Path, recipe: str | None, checkpoint: Path | None, saved_config: dict[str, Any] | None,
    run_id: str | None = None,
) -> RunRecord:
    """Reuse the run folder of a resumed checkpoint (updating its config); otherwise create ``runs/<id>/``."""
    try:
        if checkpoint is not None and (checkpoint.parent.parent / "run.json").is_file():
            run_dir = checkpoint.parent.parent
            record = RunRecord(run_dir, read_record(run_dir))
            if saved_config is not None and saved_config != config_to_dict(config):
                atomic_write_text(run_dir / "config.yaml", config_to_yaml(config))  # e.g. more epochs or patience
                record.meta.setdefault("resumes", []).append({"at": now(), "changed": changed_keys(saved_config, config_to_dict(config))})
            record.start()
            return record
        root = runs_dir(workdir)
        if run_id is not None:  # fixed by the caller: the folder may exist already (a job that died before its first checkpoint)
            run_dir = root / run_id
            (run_dir / "checkpoints").mkdir(parents=True, exist_ok=True)
        else:
            run_dir = create_run_dir(root, run_name(config.tracking.experiment, config.model.name, config.tracking.variant))
        record = RunRecord(run_dir, {
            "run_id": run_dir.name,
            "recipe": recipe,
            "started": now(),
            "resumed_from": str(checkpoint) if checkpoint else None,
        })
        atomic_write_text(run_dir / "config.yaml", config_to_yaml(config))
        record.start()
        return record
    except (OSError, ValueError) as exc:
        raise StoreError(f"cannot create the run's folder and record under {runs_dir(workdir)}: {exc}. Check that the "
                         "workdir is writable and has free space (--workdir or SCRIMMAGE_HOME).") from None


def _reconcile_killed(workdir: Path, store: Any) -> None:
    """Mark runs killed without a chance to say so (SIGKILL, power loss) as killed, in run.json and in MLflow
    when they were tracked in this store: their MLflow runs would otherwise show RUNNING forever."""
    from scrimmage.engine.runs import killed_runs

    for record in killed_runs(workdir):
        try:
            if record.meta.get("mlflow_run_id") and record.meta.get("tracking_uri") == store.uri:
                store.client.set_terminated(record.meta["mlflow_run_id"], status="KILLED")
            record.end("killed", "the process died without ending the run (killed, or its machine was lost); "
                       "resume it from its last checkpoint")
        except Exception:  # a store hiccup must not stop a new run; the next run tries again
            continue


def _open_tracking_store(config: RunConfig, workdir: Path, uri: str | None) -> Any:
    """Connect to the tracking store and find (or create) the experiment; no run is created yet."""
    if not config.tracking.enabled:
        return None
    from scrimmage.tracking.mlflow_tracker import MlflowTracker, default_tracking_uri

    if not (uri or config.tracking.uri):
        workdir.mkdir(parents=True, exist_ok=True)  # the default store lives in the workdir, which a first run creates
    return MlflowTracker(uri or config.tracking.uri or default_tracking_uri(workdir), config.tracking.experiment,
                         workdir / "mlartifacts")


def _start_tracking(
    tracker: Any, config: RunConfig, record: RunRecord, recipe: str | None, data_info: dict[str, Any],
    saved_config: dict[str, Any] | None, parent_run: str | None = None,
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
    if parent_run:
        tags["mlflow.parentRunId"] = parent_run  # MLflow's own nesting tag: the run shows under its parent
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


def _log_final(tracker: Any, result: RunResult, loop: Loop) -> None:
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
