"""Rebuild a trained model from its checkpoint file alone, and predict with it.

A checkpoint holds the resolved config, the task name, the input spec (feature names,
categorical cardinalities and vocabularies), the scaler statistics (in the model's buffers) and
the data version, so nothing is re-ingested or re-built to get the model back. New examples
come from the dataset's registered predictor (e.g. ``nfl-pregame`` builds pregame features for
chosen games from the ingested history).

An ensemble run (``loop: ensemble``; checkpoint key ``members``) loads as one model whose output is
the members' mean, with :meth:`LoadedModel.predict_members` for each member's own predictions and
:meth:`LoadedModel.member_model` for one member as a plain model.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from scrimmage.config.loader import validate_config
from scrimmage.config.registry import PREDICTORS
from scrimmage.config.schema import RunConfig
from scrimmage.data.datamodule import InputSpec
from scrimmage.engine.tasks.base import Stateful, Task
from scrimmage.errors import ArgumentError, CheckpointError, ConfigError
from scrimmage.paths import resolve_workdir, runs_dir


@dataclass
class LoadedModel:
    """A trained model with what it needs to predict: config, task, input spec."""

    path: Path
    config: RunConfig
    task: Task
    spec: InputSpec
    model: nn.Module
    data_version: str
    run_id: str | None
    epoch: int | None = None
    """Epochs completed when the checkpoint was written."""
    run_status: str | None = None
    """The run's status when loaded by run id (``finished``, ``running``, ``interrupted`` ...)."""
    members: list[str] | None = None
    """An ensemble's member names (``seed42`` ...), None for a single model."""
    member_meta: list[dict[str, Any]] | None = None
    """Each member's seed, best epoch and metric, stop epoch and status, as the checkpoint holds them."""

    @torch.no_grad()
    def predict_tensors(self, tensors: dict[str, torch.Tensor]) -> dict[str, np.ndarray]:
        """Raw input tensors (``x``, ``cat`` ...) → named prediction columns (real units / probabilities)."""
        return self.task.decode(self.model(tensors))

    @torch.no_grad()
    def predict_members(self, tensors: dict[str, torch.Tensor]) -> list[dict[str, np.ndarray]]:
        """Each member's prediction columns (an ensemble; a single model gives a list of one)."""
        stacked = _stacked_net(self.model)
        if stacked is None:
            return [self.predict_tensors(tensors)]
        with stacked.use("all"):
            outputs = self.model(tensors)
        return [self.task.decode(out) for out in outputs]

    def member_model(self, index: int) -> nn.Module:
        """Member ``index`` of an ensemble as a plain model (the task's wrapper around an ``mlp``, weights copied)."""
        import copy

        stacked = _stacked_net(self.model)
        if stacked is None or not 0 <= index < stacked.members:
            raise ArgumentError(f"{self.path} has no member {index}" + (f" (it has {stacked.members})" if stacked else
                                                                          " (it is not an ensemble)"))
        model = copy.deepcopy(self.model)
        name = next(n for n, m in model.named_modules() if m.__class__ is stacked.__class__)
        parent_name, _, attr = name.rpartition(".")
        setattr(model.get_submodule(parent_name) if parent_name else model, attr, stacked.member_module(index).eval())
        return model.eval()

    def predict(self, workdir: str | Path | None = None, **query: Any) -> list[dict[str, Any]]:
        """Predictions for the examples ``query`` selects (what it may say depends on the dataset)."""
        predictor = PREDICTORS.get(self.config.data.name)
        if predictor is None:
            raise ArgumentError(
                f"{self.path} is a {self.config.task.name} model on dataset '{self.config.data.name}', which has no "
                f"registered predictor; datasets with one: {', '.join(PREDICTORS.describe()) or 'none'}."
            )
        return predictor(self, resolve_workdir(workdir), **query)


def resolve_model_checkpoint(target: str | Path, workdir: str | Path | None = None) -> Path:
    """A ``.ckpt`` path, or a run id: the checkpoint its report scored (run.json's ``model_checkpoint``), else
    best.ckpt, else last.ckpt (a run that has not finished)."""
    text = str(target)
    path = Path(text).expanduser()
    if text.endswith(".ckpt") or path.is_file():
        if not path.is_file():
            raise CheckpointError(f"checkpoint not found: {path}. Pass an existing .ckpt file or a run id.")
        return path.resolve()
    root = runs_dir(resolve_workdir(workdir))
    folder = root / text
    if not folder.is_dir():
        for meta in root.glob("*/run.json") if root.is_dir() else []:
            try:
                if json.loads(meta.read_text()).get("mlflow_run_id") == text:
                    folder = meta.parent
                    break
            except (OSError, ValueError):
                continue
    if not folder.is_dir():
        raise CheckpointError(f"no run '{text}' under {root}; pass a run id from `scrimmage runs` or a .ckpt file.")
    scored = run_status(folder).get("model_checkpoint") or {}
    names = ([scored["file"]] if isinstance(scored, dict) and scored.get("file") else []) + ["best.ckpt", "last.ckpt"]
    for name in names:
        if (folder / "checkpoints" / name).is_file():
            return folder / "checkpoints" / name
    raise CheckpointError(f"run '{text}' has no checkpoint yet ({folder / 'checkpoints'} holds neither best.ckpt nor last.ckpt).")


def run_status(folder: Path) -> dict[str, Any]:
    """What a run folder says of itself: ``status`` (finished, running, killed ...) and ``model_checkpoint``."""
    from scrimmage.engine.runs import read_run

    try:
        info = read_run(folder)
        meta = json.loads((folder / "run.json").read_text())
    except (OSError, ValueError, KeyError, TypeError):
        return {}
    return {"status": info.status, "model_checkpoint": meta.get("model_checkpoint")}


def load_model(target: str | Path, workdir: str | Path | None = None) -> LoadedModel:
    """Rebuild the model of a run id or ``.ckpt`` file on the CPU, in eval mode."""
    path = resolve_model_checkpoint(target, workdir)
    try:
        state = torch.load(path, map_location="cpu", weights_only=False)
    except Exception as exc:  # torch raises many types for a damaged file
        raise CheckpointError(f"cannot read checkpoint {path}: {str(exc).splitlines()[0]}. Is it a damaged or partial file?") from None
    if not isinstance(state, dict) or "config" not in state:
        raise CheckpointError(f"{path} is not a scrimmage checkpoint (no config inside).")
    missing = [key for key in ("spec", "model", "task") if key not in state]
    if missing:
        raise CheckpointError(f"{path} lacks {missing}: it was written by an older scrimmage; retrain to predict from it.")
    try:
        config = validate_config(state["config"], source=str(path), check_files=False)
    except ConfigError as exc:
        raise CheckpointError(f"the config inside {path} no longer validates: {exc}") from None
    spec = InputSpec.from_dict(state["spec"])
    task = config.task.build(spec)
    members = _members(state.get("members"), path)
    if members is not None:
        from scrimmage.models.vectorized import VectorizedMLP

        m = config.model
        net: nn.Module = VectorizedMLP(spec, task.n_outputs(), len(members[0]), m.hidden, m.dropout, m.activation,  # type: ignore[attr-defined]
                                       m.embedding_dim)  # type: ignore[attr-defined]
    else:
        net = config.model.build(spec, task.n_outputs())
    model = task.build_model(net, None)
    try:
        model.load_state_dict(state["model"])
    except RuntimeError as exc:
        expected, saved = set(model.state_dict()), set(state["model"])
        detail = "; ".join(part for part in (
            f"missing {sorted(expected - saved)[:4]}" if expected - saved else "",
            f"unexpected {sorted(saved - expected)[:4]}" if saved - expected else "",
        ) if part) or str(exc).splitlines()[-1].strip()
        raise CheckpointError(f"the weights in {path} do not fit the model its config builds ({detail}); it was probably "
                              "written by another scrimmage version: retrain it with this one") from None
    model.eval()
    if isinstance(task, Stateful) and state.get("task_state"):  # e.g. the decision threshold tuned with these weights
        task.load_state_dict(state["task_state"])
    run_id = path.parent.parent.name if (path.parent.parent / "run.json").is_file() else None
    status = run_status(path.parent.parent).get("status") if run_id else None
    position = (state.get("loop") or {}).get("position") if state.get("format") == 3 else state.get("loop")
    epoch = int(position["epoch"]) if isinstance(position, dict) and "epoch" in position else None
    return LoadedModel(path, config, task, spec, model, str(state.get("data_version", "unknown")), run_id, epoch, status,
                       members[0] if members else None, members[1] if members else None)


def _members(entry: Any, path: Path) -> tuple[list[str], list[dict[str, Any]]] | None:
    """An ensemble checkpoint's member names and meta (None for a single model), checked to pair up."""
    if entry is None:
        return None
    names = entry.get("names") if isinstance(entry, dict) else None
    meta = entry.get("meta") if isinstance(entry, dict) else None
    if not (isinstance(names, list) and isinstance(meta, list) and names and len(names) == len(meta)
            and all(isinstance(n, str) for n in names) and all(isinstance(m, dict) for m in meta)):
        raise CheckpointError(f"{path} has a damaged members entry (it needs names and meta lists of the same, non-zero "
                              "length); load another checkpoint of the run, or retrain it.")
    return names, meta


def _stacked_net(model: nn.Module) -> Any:
    from scrimmage.models.vectorized import VectorizedMLP

    return next((m for m in model.modules() if isinstance(m, VectorizedMLP)), None)
