"""A small synthetic sequence dataset (tests only): padded sequences of varying length with a mask.

Padding is poisoned on purpose (NaN features and targets, id -1), so any padded step that reaches
a loss, a statistic or a real step's output shows up as NaN or an index error.

- ``per_step_regression``: at every step, ``a = x0 + 0.8 * x1 of the previous step + team
  effect`` and ``b = 2 * running mean of x2`` (both need memory of earlier steps, none of later).
- ``pooled_classes``: one label per sequence from the mean of x0 over its real steps (down, flat, up).
"""

from __future__ import annotations

from typing import Literal

import torch
from pydantic import Field

from scrimmage.config.registry import DATASETS, Component
from scrimmage.data.datamodule import DataBundle, InputSpec, TensorSplit

N_FEATURES, TEAMS, MAX_LEN = 3, 4, 20
CLASSES = ("down", "flat", "up")


def make_split(n: int, seed: int, kind: str, min_len: int = 6, max_len: int = MAX_LEN) -> TensorSplit:
    g = torch.Generator().manual_seed(seed)
    lengths = torch.randint(min_len, max_len + 1, (n,), generator=g)
    mask = torch.arange(max_len).unsqueeze(0) < lengths.unsqueeze(1)
    x = torch.randn(n, max_len, N_FEATURES, generator=g)
    team = torch.randint(0, TEAMS, (n, 1), generator=g)
    cat = team.unsqueeze(1).expand(n, max_len, 1).clone()
    real = mask.float()
    steps = real.cumsum(1).clamp_min(1)
    if kind == "per_step_regression":
        previous = torch.cat([torch.zeros(n, 1), x[:, :-1, 1]], dim=1)
        a = x[:, :, 0] + 0.8 * previous + 0.5 * (team.float() - 1.5)
        b = 2 * (x[:, :, 2] * real).cumsum(1) / steps
        y = torch.stack([a, b], dim=-1) + 0.1 * torch.randn(n, max_len, 2, generator=g)
        y[~mask] = float("nan")
    else:
        mean = (x[:, :, 0] * real).sum(1) / lengths
        y = (mean > -0.15).long() + (mean > 0.15).long()
    x[~mask] = float("nan")
    cat[~mask] = -1
    return TensorSplit({"x": x, "cat": cat, "mask": mask, "y": y})


@DATASETS.register
class SyntheticSequences(Component):
    """Padded synthetic sequences with a mask (tests only)."""

    name: Literal["synthetic-sequences"] = "synthetic-sequences"
    problem: Literal["per_step_regression", "pooled_classes"] = Field("per_step_regression", description="Which targets to make.")
    train_size: int = Field(384, description="Training sequences.")

    def build(self, workdir) -> DataBundle:
        sizes = (("train", self.train_size, 1), ("val", 128, 2), ("test", 128, 3))
        splits = {name: make_split(n, seed, self.problem) for name, n, seed in sizes}
        features = tuple(f"x{i}" for i in range(N_FEATURES))
        if self.problem == "per_step_regression":
            spec = InputSpec(N_FEATURES, ("a", "b"), {"team": (TEAMS, 1)}, feature_names=features)
        else:
            spec = InputSpec(N_FEATURES, ("label",), {"team": (TEAMS, 1)}, feature_names=features, class_names=CLASSES)
        return DataBundle(splits, spec, {"dataset_version": f"synthetic-sequences-{self.problem}-v1"})
