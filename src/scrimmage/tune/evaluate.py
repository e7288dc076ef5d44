"""``evaluate(target)``: score a study's best checkpoint (or any run's) on a split without retraining,
and optionally retrain its configuration with other seeds to show how much of the score was luck.

The search picked the best of many trials on the validation split, so its validation score is
biased upward (the winner's curse); the test split, which no trial saw, says what the model is
worth, and retraining the same configuration with ``K`` other seeds says how much of it a rerun
keeps. Scored on ``val``, the checkpoint reproduces the trial's recorded value (same weights, same
data, same task state: the decision threshold tuned on validation included).
"""

from __future__ import annotations

import copy
import json
import math
import statistics
from pathlib import Path
from typing import Any

from scrimmage.errors import ArgumentError, CheckpointError
from scrimmage.paths import runs_dir

SPLITS = ("test", "val", "train")


def resolve_target(target: str, *, workdir: Path, storage: str | None) -> dict[str, Any]:
    """A run id, a ``.ckpt`` path or a study name → the checkpoint to score and what was recorded for it."""
    from scrimmage.export.checkpoint import resolve_model_checkpoint

    if not isinstance(target, str) or not target.strip():
        raise ArgumentError("evaluate needs a study name, a run id or a .ckpt file; it was empty.")
    is_run = target.endswith(".ckpt") or Path(target).expanduser().is_file() or (runs_dir(workdir) / target).is_dir()
    if is_run:
        checkpoint = resolve_model_checkpoint(target, workdir)
        recorded = None
        result = checkpoint.parent.parent / "result.json"
        if result.is_file():
            try:
                recorded = json.loads(result.read_text()).get("best")
            except (OSError, ValueError):
                recorded = None
        return {"kind": "run", "target": target, "checkpoint": checkpoint, "recorded": recorded, "study": None}
    from scrimmage.tune.study import check_study_name, load_study_summary

    try:
        check_study_name(target)
    except ArgumentError:
        raise ArgumentError(f"'{target}' is neither a run under {runs_dir(workdir)}, a .ckpt file nor a study name.") from None
    _, summary, store = load_study_summary(target, workdir=workdir, storage=storage)
    best = summary["best"]
    if best is None:
        raise ArgumentError(f"study '{target}' in {store.url} has no complete trial yet, so no best checkpoint; "
                            f"trials: {summary['trials']}.")
    folder = runs_dir(workdir) / str(best["run_id"])
    if not folder.is_dir():
        raise CheckpointError(f"the best trial of study '{target}' ran as {best['run_id']}, which is not under "
                              f"{runs_dir(workdir)}: evaluate it with the --workdir it ran in.")
    checkpoint = resolve_model_checkpoint(str(best["run_id"]), workdir)
    recorded = {"metric": summary["metric"], "value": best["value"], "epoch": best.get("best_epoch")}
    return {"kind": "study", "target": target, "checkpoint": checkpoint, "recorded": recorded, "study": summary}


def score_checkpoint(checkpoint: Path, bundle: Any, split: str) -> dict[str, float]:
    """The checkpoint's model and task state, evaluated on ``split`` of ``bundle`` (metrics without the prefix)."""
    import torch

    from scrimmage.config.registry import LOSSES
    from scrimmage.engine.tasks.base import Stateful
    from scrimmage.export.checkpoint import load_model

    loaded = load_model(checkpoint)
    state = torch.load(checkpoint, map_location="cpu", weights_only=False)
    task = loaded.task
    config = loaded.config
    task.setup_training(config.loss or LOSSES.validate(task.default_loss()), bundle.splits["train"])
    if isinstance(task, Stateful) and state.get("task_state"):
        task.load_state_dict(state["task_state"])
    loaded.model.eval()
    with torch.no_grad():
        evaluation = task.evaluate(loaded.model, bundle.splits[split].to(torch.device("cpu")),
                                   config.trainer.eval_batch_size, split)
    return {k.removeprefix(f"{split}/"): float(v) for k, v in evaluation.metrics.items() if isinstance(v, (int, float))}


def spread(values: list[float]) -> dict[str, float | None]:
    finite = [v for v in values if isinstance(v, (int, float)) and math.isfinite(v)]
    if not finite:
        return {"mean": None, "sd": None, "min": None, "max": None, "n": 0}
    return {"mean": statistics.fmean(finite), "sd": statistics.stdev(finite) if len(finite) > 1 else 0.0,
            "min": min(finite), "max": max(finite), "n": len(finite)}


def evaluate(target: str, *, workdir: Path, storage: str | None = None, split: str = "test", retrain_seeds: int = 0,
             tracking_uri: str | None = None, print: Any = lambda text: None) -> dict[str, Any]:
    """Score the target's checkpoint on ``split``; with ``retrain_seeds`` K, retrain its config K times with
    seeds ``trainer.seed + 1 .. + K`` (each tested on the test split) and report each metric's spread."""
    if split not in SPLITS:
        raise ArgumentError(f"--split must be one of {', '.join(SPLITS)}, got {split!r}.")
    if not isinstance(retrain_seeds, int) or retrain_seeds < 0:
        raise ArgumentError(f"--retrain-seeds must be 0 or more, got {retrain_seeds!r}.")
    found = resolve_target(target, workdir=workdir, storage=storage)
    from scrimmage.export.checkpoint import load_model

    loaded = load_model(found["checkpoint"])
    config = loaded.config
    print(f"building {config.data.name} to score {found['checkpoint']}")
    bundle = config.data.build(workdir)
    if split not in bundle.splits:
        raise ArgumentError(f"dataset {config.data.name} has no '{split}' split (it has {', '.join(bundle.splits)}).")
    notes = []
    if loaded.data_version not in ("unknown", str(bundle.version)):
        notes.append(f"the data changed since this model was trained (checkpoint {loaded.data_version}, now "
                     f"{bundle.version}): scores are on today's data")
    metrics = score_checkpoint(found["checkpoint"], bundle, split)
    out: dict[str, Any] = {"target": target, "kind": found["kind"], "checkpoint": str(found["checkpoint"]),
                           "epoch": loaded.epoch, "split": split, "metrics": metrics, "recorded": found["recorded"],
                           "notes": notes}
    recorded = found["recorded"] or {}
    if recorded.get("metric") and recorded.get("value") is not None:
        name = str(recorded["metric"]).split("/", 1)[-1]
        out["recorded_metric"] = {"metric": recorded["metric"], "value": recorded["value"], "this_split": metrics.get(name)}
    if retrain_seeds:
        out["retrain"] = _retrain(config, bundle, retrain_seeds, workdir, tracking_uri, found, print)
        if split != "test":
            out["test_metrics"] = score_checkpoint(found["checkpoint"], bundle, "test")
    return out


def _retrain(config: Any, bundle: Any, seeds: int, workdir: Path, tracking_uri: str | None, found: dict[str, Any],
             print: Any) -> dict[str, Any]:
    from scrimmage.config.loader import config_to_dict, validate_config
    from scrimmage.engine import run

    base = config_to_dict(config)
    base.pop("search", None)
    runs = []
    for i in range(1, seeds + 1):
        raw = copy.deepcopy(base)
        raw["trainer"]["seed"] = int(config.trainer.seed) + i
        raw["tracking"]["experiment_type"] = "HPO-retrain"
        raw["tracking"]["tags"] = {**raw["tracking"].get("tags", {}), "retrain_of": str(found["target"])}
        seeded = validate_config(raw, source=f"retrain seed {raw['trainer']['seed']}", check_files=False)
        print(f"retraining with seed {seeded.trainer.seed} ({i}/{seeds})")
        result = run(seeded, workdir=workdir, data=bundle, evaluate_test=True, tracking_uri=tracking_uri, progress=False)
        runs.append({"seed": seeded.trainer.seed, "run_id": result.run_id, "epochs": result.epochs_completed,
                     "test": {k: v for k, v in result.test.items() if isinstance(v, (int, float))}})
    names = sorted(set.intersection(*(set(r["test"]) for r in runs)) - {"n"}) if runs else []
    return {"runs": runs, "spread": {name: spread([r["test"][name] for r in runs]) for name in names}}
