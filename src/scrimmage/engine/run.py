"""``run(config) -> RunResult``: the one path to train, used by the CLI, tune, campaign workers and tests."""

from __future__ import annotations

import json
import time
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from rich.console import Console

from scrimmage.config.loader import config_to_dict, config_to_yaml, flatten
from scrimmage.config.schema import RunConfig
from scrimmage.data.registry import build_dataset
from scrimmage.engine.callbacks import EarlyStopping, ModelCheckpoint, RichProgress, TrackingCallback
from scrimmage.engine.evaluators import get_evaluator
from scrimmage.engine.events import Callback
from scrimmage.engine.loop import TrainLoop, make_fabric
from scrimmage.engine.resume import check_compatible, read_checkpoint_config, resolve_checkpoint
from scrimmage.engine.rng import seed_everything
from scrimmage.engine.task import RegressionTask
from scrimmage.errors import TrainingInterrupted
from scrimmage.io import atomic_write_text
from scrimmage.losses.registry import MultiTargetLoss
from scrimmage.models.registry import create_model
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
    checkpoints: dict[str, str] = field(default_factory=dict)
    seconds: float = 0.0
    train_samples_per_s: float = 0.0
    data: dict[str, Any] = field(default_factory=dict)
    world_size: int = 1
    """Processes that trained together (DDP); each returns a result, only the main one reports."""
    is_main_process: bool = True

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


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
    started = time.perf_counter()
    workdir = resolve_workdir(workdir)
    console = console or Console(stderr=True, quiet=not progress)
    checkpoint = resolve_checkpoint(resume, workdir) if resume else None
    if checkpoint is not None:
        check_compatible(read_checkpoint_config(checkpoint), config_to_dict(config))

    seed_everything(config.trainer.seed, config.trainer.deterministic)
    bundle = build_dataset(config.data, workdir)
    loss = MultiTargetLoss(config.loss, bundle.spec.target_names)
    task = RegressionTask(loss, bundle.spec.target_names)
    model = task.wrap(create_model(config.model, bundle.spec), bundle.splits["train"])
    task.check_monitored(config.early_stopping.metric)
    fabric = make_fabric(config)

    # Everything that can be wrong with the inputs has been checked: now write (rank 0 only).
    main_process = fabric.is_global_zero
    if main_process:
        sizes = ", ".join(f"{len(split):,} {name}" for name, split in bundle.splits.items())
        console.print(f"data {config.data.name}: {sizes} examples, {bundle.spec.n_features} features; "
                      f"{fabric.world_size} process(es) on {fabric.device.type}")
    tracker = None
    if main_process:
        run_dir, meta = _open_run_dir(config, workdir, recipe, checkpoint)
        tracker = _open_tracker(config, workdir, tracking_uri, meta, recipe, bundle.info)
    meta = fabric.broadcast(meta if main_process else None, src=0)
    run_dir = runs_dir(workdir) / meta["run_id"]
    early = EarlyStopping(config.early_stopping)
    saver = ModelCheckpoint(run_dir / "checkpoints", config.checkpoint, config.early_stopping)
    chain: list[Callback] = [early]
    if tracker is not None:
        chain.append(TrackingCallback(tracker))
    chain += [saver, *(callbacks or [])]
    if progress and main_process:
        chain.append(RichProgress(console, watch=(config.early_stopping.metric,)))

    loop = TrainLoop(config, fabric, model, task, bundle, chain)
    if checkpoint is not None:
        loop.load_checkpoint(checkpoint)
        if main_process:
            console.print(f"resumed from {checkpoint} at epoch {loop.state.epoch + 1}, step {loop.state.global_step}")
    try:
        loop.fit()
    except KeyboardInterrupt:
        if tracker is not None:
            tracker.end("KILLED")
        raise TrainingInterrupted(
            f"interrupted at epoch {loop.state.epoch + 1}, step {loop.state.global_step}. "
            f"Continue from the last checkpoint with: scrimmage train {recipe or 'RECIPE'} --resume {meta['run_id']}"
        ) from None
    except BaseException:
        if tracker is not None:
            tracker.end("FAILED")
        raise

    if config.early_stopping.restore_best and saver.best_path.exists():
        loop.load_weights(saver.best_path)
    loop.model.eval()
    test_split = bundle.splits["test"].to(fabric.device)
    test_metrics, test_pred = task.evaluate(loop.model, test_split, config.trainer.eval_batch_size, "test")
    val_metrics = loop.history[-1] if loop.history else {}
    evaluator = get_evaluator(config.data.name)
    report = evaluator(bundle, "test", test_pred.cpu()) if evaluator else {"metrics": {}, "baselines": {}}
    test = {k.removeprefix("test/"): v for k, v in test_metrics.items()} | report["metrics"]

    result = RunResult(
        run_id=meta["run_id"],
        run_dir=str(run_dir),
        mlflow_run_id=meta.get("mlflow_run_id"),
        epochs_completed=loop.state.epoch,
        stop_reason=loop.state.stop_reason or "max epochs",
        best={"metric": config.early_stopping.metric, "value": early.best, "epoch": early.best_epoch + 1},  # 1-based
        val={k.removeprefix("val/"): v for k, v in val_metrics.items() if k.startswith("val/")},
        test=test,
        baselines=report["baselines"],
        checkpoints=saver.checkpoint_paths(),
        seconds=time.perf_counter() - started,
        train_samples_per_s=loop.samples_seen / loop.train_seconds if loop.train_seconds else 0.0,
        data=bundle.info,
        world_size=fabric.world_size,
        is_main_process=main_process,
    )
    if main_process:
        if tracker is not None:
            _log_final(tracker, result, loop)
        atomic_write_text(run_dir / "result.json", json.dumps(result.to_dict(), indent=2, default=str))
    return result


def _open_run_dir(
    config: RunConfig, workdir: Path, recipe: str | None, checkpoint: Path | None
) -> tuple[Path, dict[str, Any]]:
    """Reuse the run folder of a resumed checkpoint; otherwise create ``runs/<run name>/``."""
    if checkpoint is not None and (checkpoint.parent.parent / "run.json").is_file():
        run_dir = checkpoint.parent.parent
        return run_dir, json.loads((run_dir / "run.json").read_text())
    root = runs_dir(workdir)
    name = run_name(config.tracking.experiment, config.model.name, config.tracking.variant, taken=root)
    run_dir = root / name
    (run_dir / "checkpoints").mkdir(parents=True)
    meta = {
        "run_id": name,
        "recipe": recipe,
        "started": datetime.now(UTC).isoformat(timespec="seconds"),
        "resumed_from": str(checkpoint) if checkpoint else None,
    }
    atomic_write_text(run_dir / "config.yaml", config_to_yaml(config))
    atomic_write_text(run_dir / "run.json", json.dumps(meta, indent=2))
    return run_dir, meta


def _open_tracker(
    config: RunConfig, workdir: Path, uri: str | None, meta: dict[str, Any], recipe: str | None, data_info: dict[str, Any]
):
    if not config.tracking.enabled:
        return None
    from scrimmage.tracking.environment import environment_info
    from scrimmage.tracking.mlflow_tracker import MlflowTracker, default_tracking_uri

    tracker = MlflowTracker(
        uri or config.tracking.uri or default_tracking_uri(workdir), config.tracking.experiment, workdir / "mlartifacts"
    )
    resumed = meta.get("mlflow_run_id")
    dataset_version = config.tracking.dataset_version
    if dataset_version == "auto":
        dataset_version = str(data_info.get("dataset_version", "unknown"))
    environment = environment_info()
    tags = {
        "recipe": recipe or "",
        "model_type": config.model.name,
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
        run_dir = runs_dir(workdir) / meta["run_id"]
        atomic_write_text(run_dir / "run.json", json.dumps(meta, indent=2))
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
