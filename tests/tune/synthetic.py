"""A tiny synthetic binary-classification dataset and recipe for the search tests (no market data).

Importable from a subprocess too (the kill and two-process tests run ``scrimmage tune`` in child
processes through :mod:`tests.tune.worker`). ``park_once`` is a recipe callback that writes a marker
file and then sleeps at a chosen epoch, the first time only, so a test can SIGKILL a trial at a known
point instead of racing a timer; ``rendezvous`` holds each process's first trial until the others are
training too, so two processes really share a study.
"""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Literal

import torch
import yaml
from pydantic import Field

from scrimmage.config.registry import CALLBACKS, DATASETS, Component
from scrimmage.data.datamodule import DataBundle, InputSpec, TensorSplit
from scrimmage.engine.events import Callback
from scrimmage.errors import DataError

SEARCH = {
    "params": {
        "optim.lr": {"type": "float", "low": 1e-3, "high": 3e-2, "log": True},
        "model.hidden": {"type": "categorical", "choices": [[8], [16, 8]]},
        "model.dropout": {"type": "float", "low": 0.0, "high": 0.3},
    },
    "pruner": {"name": "median", "n_startup_trials": 2, "n_warmup_steps": 1},
    "sampler": {"name": "tpe", "seed": 7, "n_startup_trials": 2},
}

RECIPE = {
    "data": {"name": "synthetic-binary"},
    "task": {"name": "classification"},
    "model": {"name": "mlp", "hidden": [8], "dropout": 0.1},
    "monitor": {"metric": "val/loss", "mode": "min"},
    "trainer": {"epochs": 4, "batch_size": 64, "seed": 0},
    "callbacks": [{"name": "early_stopping", "patience": 3}],
    "tracking": {"enabled": False},
    "search": SEARCH,
}


def _split(n: int, seed: int) -> TensorSplit:
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(n, 5, generator=g)
    cat = torch.randint(0, 3, (n, 1), generator=g)
    logit = 1.5 * x[:, 0] - x[:, 1] + 0.5 * cat[:, 0].float() - 0.5 + 0.5 * torch.randn(n, generator=g)
    return TensorSplit({"x": x, "cat": cat, "y": (logit > 0).long()})


@DATASETS.register
class SyntheticBinary(Component):
    """A fixed noisy binary classification problem (tests only)."""

    name: Literal["synthetic-binary"] = "synthetic-binary"

    def class_names(self) -> tuple[str, ...]:
        return ("no", "yes")

    def build(self, workdir) -> DataBundle:
        splits = {"train": _split(400, 1), "val": _split(200, 2), "test": _split(200, 3)}
        spec = InputSpec(5, ("y",), {"group": (3, 1)}, feature_names=tuple(f"f{i}" for i in range(5)),
                         class_names=("no", "yes"))
        return DataBundle(splits, spec, {"dataset_version": "synthetic-binary-v1"})


@DATASETS.register
class SyntheticMissing(Component):
    """A dataset whose data is never there (tests only: a build that fails like a missing ingest)."""

    name: Literal["synthetic-missing"] = "synthetic-missing"

    def class_names(self) -> tuple[str, ...]:
        return ("no", "yes")

    def build(self, workdir) -> DataBundle:
        raise DataError(f"no synthetic data here ({workdir}); nothing to build")


class ParkOnce(Callback):
    name = "park_once"

    def __init__(self, at_epoch: int, marker: Path):
        self.at_epoch, self.marker = at_epoch, marker

    def on_epoch_end(self, state, ctx) -> None:
        if int(state.metrics["epoch"]) == self.at_epoch and not self.marker.exists():
            self.marker.write_text(ctx.run_id)
            while True:
                time.sleep(60)


@CALLBACKS.register
class ParkOnceConfig(Component):
    """Write a marker and sleep at an epoch, once (tests only: a trial to SIGKILL at a known point)."""

    name: Literal["park_once"] = "park_once"
    at_epoch: int = Field(2, description="Epoch at whose end to park.")
    marker: str = Field("", description="Marker file written before parking; once it exists nobody parks.")

    def build(self, config) -> Callback:
        return ParkOnce(self.at_epoch, Path(self.marker))


class Rendezvous(Callback):
    name = "rendezvous"

    def __init__(self, folder: Path, processes: int):
        self.folder, self.processes = folder, processes

    def on_fit_start(self, state, ctx) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        (self.folder / f"ready-{os.getpid()}").touch()
        deadline = time.monotonic() + 180
        while len(list(self.folder.glob("ready-*"))) < self.processes and time.monotonic() < deadline:
            time.sleep(0.05)


@CALLBACKS.register
class RendezvousConfig(Component):
    """Hold each process's first trial until N processes are training (tests only: two processes really overlap)."""

    name: Literal["rendezvous"] = "rendezvous"
    folder: str = Field("", description="Folder where each process leaves a ready-<pid> file.")
    processes: int = Field(2, description="How many processes to wait for.")

    def build(self, config) -> Callback:
        return Rendezvous(Path(self.folder), self.processes)


def write_recipe(path: Path, **sections) -> Path:
    recipe = {**RECIPE, **sections}
    path.write_text(yaml.safe_dump(recipe, sort_keys=False))
    return path
