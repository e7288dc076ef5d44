"""A small synthetic regression dataset for engine mechanics (resume, checkpoints, schedules).

The football recipe is tested end to end on real data elsewhere; here we need many fast,
deterministic steps, so the data is a fixed noisy linear problem generated from a seed.
Importable from a subprocess too (the kill test trains in a separate process).
"""

from __future__ import annotations

from typing import Literal

import torch

from scrimmage.config import load_config
from scrimmage.config.registry import DATASETS, Component
from scrimmage.config.schema import RunConfig
from scrimmage.data.datamodule import DataBundle, InputSpec, TensorSplit
from scrimmage.engine.events import Callback

BASE_OVERRIDES = [
    "data.name=synthetic-regression", "trainer.epochs=4", "trainer.batch_size=32",
    "model.hidden=[16]", "model.dropout=0.2", "tracking.enabled=false", "monitor.metric=val/loss",
    "callbacks=[{name: early_stopping, patience: 10}]",
]


def _split(n: int, seed: int) -> TensorSplit:
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(n, 6, generator=g)
    cat = torch.randint(0, 5, (n, 2), generator=g)
    w = torch.tensor([[1.0, -2.0], [0.5, 0.0], [0.0, 1.0], [2.0, 0.3], [-1.0, 1.0], [0.1, 0.1]])
    y = x @ w + cat.float().mean(1, keepdim=True) + 0.3 * torch.randn(n, 2, generator=g)
    return TensorSplit({"x": x, "cat": cat, "y": y})


@DATASETS.register
class SyntheticRegression(Component):
    """A fixed noisy linear regression problem (tests only)."""

    name: Literal["synthetic-regression"] = "synthetic-regression"

    def build(self, workdir) -> DataBundle:
        splits = {"train": _split(600, 1), "val": _split(200, 2), "test": _split(200, 3)}
        spec = InputSpec(6, ("a", "b"), {"team": (5, 2)}, feature_names=tuple(f"f{i}" for i in range(6)))
        return DataBundle(splits, spec, {"dataset_version": "synthetic-v1"})


def synthetic_config(*overrides: str) -> RunConfig:
    return load_config(None, BASE_OVERRIDES + list(overrides))


class Interrupt(Callback):
    """Simulates a crash: raises after optimizer step ``at_step`` (after any checkpoint written at that step)."""

    name = "interrupt"

    def __init__(self, at_step: int):
        self.at_step = at_step

    def on_optimizer_step(self, state, ctx) -> None:
        if state.global_step == self.at_step:
            raise KeyboardInterrupt
