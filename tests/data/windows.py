"""A synthetic windowed dataset (tests and the memory benchmark): windows over per-asset base rows.

``synthetic-windows`` builds one :class:`~scrimmage.data.splits.WindowSplit` per split: ``groups``
assets of consecutive rows (``x`` float features on different scales, ``cat`` the asset id per
row), windows of ``length`` rows every ``stride`` rows inside each asset, and a binary label per
window from the last steps' first feature. ``gap`` rows at the end of each asset belong to no
window and are NaN, so a statistic that reads them (instead of the covered rows only) shows up as a
NaN loss. ``materialise: true`` gives the same windows as a :class:`TensorSplit` (``[N, T, F]``).

Run as a module, it measures what the 4M-window case costs: it builds the data and trains a GRU
classifier for ``--steps`` optimizer steps through :func:`scrimmage.engine.run`, then prints one
JSON line with the process's peak RSS (``python -m tests.data.windows --windows 4000000``).
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import tempfile
import time
from typing import Literal

import torch
from pydantic import Field

from scrimmage.config import load_config
from scrimmage.config.registry import DATASETS, Component
from scrimmage.data.datamodule import DataBundle, InputSpec, TensorSplit
from scrimmage.data.splits import WindowSplit
from scrimmage.engine.events import Callback

CLASSES = ("down", "up")


def window_split(windows: int, length: int, features: int, groups: int, stride: int, gap: int, seed: int) -> WindowSplit:
    """``windows`` windows spread over ``groups`` assets (the first assets take one more when it does not divide)."""
    g = torch.Generator().manual_seed(seed)
    counts = [windows // groups + (1 if i < windows % groups else 0) for i in range(groups)]
    sizes = [(c - 1) * stride + length + gap if c else gap for c in counts]
    offsets = torch.tensor([0, *sizes]).cumsum(0)
    x = torch.randn(int(offsets[-1]), features, generator=g)
    x.mul_(1.0 + 0.5 * torch.arange(features)).add_(torch.arange(features).float())  # in place: no second copy
    cat = torch.repeat_interleave(torch.arange(groups), torch.tensor(sizes)).unsqueeze(1)
    start = torch.cat([torch.arange(int(offsets[i]), int(offsets[i]) + c * stride, stride) for i, c in enumerate(counts)])
    row = start + (length - 1)  # each window's last row
    first = x[:, 0]
    y = first[row]
    y.add_(first[row.sub_(min(2, length - 1))], alpha=0.5)
    y = (y > 0).long()
    del row
    if gap:
        for i, size in enumerate(sizes):
            x[int(offsets[i]) + size - gap : int(offsets[i]) + size] = float("nan")
    return WindowSplit({"x": x, "cat": cat}, start, length, {"y": y}, offsets)


@DATASETS.register
class SyntheticWindows(Component):
    """Windows over synthetic per-asset rows, as a WindowSplit or materialised (tests only)."""

    name: Literal["synthetic-windows"] = "synthetic-windows"
    windows: int = Field(1200, description="Training windows.")
    eval_windows: int = Field(400, description="Validation and test windows each.")
    length: int = Field(8, description="Rows per window.")
    features: int = Field(5, description="Features per row.")
    groups: int = Field(3, description="Assets (groups of rows).")
    stride: int = Field(1, description="Rows between the starts of consecutive windows of an asset.")
    gap: int = Field(0, description="NaN rows at the end of each asset that no window covers.")
    materialise: bool = Field(False, description="Give every split as a TensorSplit of the gathered windows.")

    def build(self, workdir) -> DataBundle:
        sizes = (("train", self.windows, 1), ("val", self.eval_windows, 2), ("test", self.eval_windows, 3))
        splits = {}
        for name, n, seed in sizes:
            split = window_split(n, self.length, self.features, self.groups, self.stride, self.gap, seed)
            splits[name] = TensorSplit(split.take(torch.arange(len(split)))) if self.materialise else split
        spec = InputSpec(self.features, ("label",), {"asset": (self.groups, 1)},
                         feature_names=tuple(f"f{i}" for i in range(self.features)), class_names=CLASSES)
        return DataBundle(splits, spec, {"dataset_version": "synthetic-windows-v1"})


class StopAfter(Callback):
    """Ends the run after ``steps`` optimizer steps (the loop then validates once and stops)."""

    name = "stop_after"

    def __init__(self, steps: int):
        self.steps = steps

    def on_optimizer_step(self, state, ctx) -> None:
        if state.global_step >= self.steps:
            state.should_stop = True
            state.stop_reason = f"stopped after {self.steps} steps"


class RunningLoss(Callback):
    """Records the epoch's running training loss at every optimizer step (exact: a host sync per step)."""

    name = "running_loss"

    def __init__(self):
        self.losses: list[float] = []

    def on_optimizer_step(self, state, ctx) -> None:
        self.losses.append(state.running_loss())


def windows_config(*overrides: str):
    return load_config(None, [
        "data.name=synthetic-windows", "task.name=classification", "model.name=gru", "model.hidden=[16]",
        "model.dropout=0.0", "model.output=last", "model.embedding_dim=2", "trainer.epochs=1",
        "trainer.batch_size=16", "trainer.threads=1", "tracking.enabled=false", "monitor.metric=val/log_loss",
        "callbacks=[]", *overrides,
    ])


def measure(windows: int, steps: int, length: int = 24, features: int = 23, groups: int = 4,
            batch_size: int = 256) -> dict:
    """Build ``windows`` training windows and train ``steps`` GRU steps through ``run``; peak RSS of this process."""
    from scrimmage.engine import run

    started = time.perf_counter()
    config = windows_config(
        f"data={{name: synthetic-windows, windows: {windows}, eval_windows: 2000, length: {length}, "
        f"features: {features}, groups: {groups}}}", f"trainer.batch_size={batch_size}",
        "checkpoint.restore_best=false",
    )
    with tempfile.TemporaryDirectory() as workdir:
        result = run(config, workdir=workdir, progress=False, callbacks=[StopAfter(steps)])
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux
    base_rows = windows + groups * (length - 1)
    return {
        "benchmark": "window_split_memory", "windows": windows, "length": length, "features": features,
        "groups": groups, "steps": steps, "batch_size": batch_size, "stop_reason": result.stop_reason,
        "test_accuracy": round(float(result.test["accuracy"]), 4),
        "peak_rss_gb": round(peak_kb * 1024 / 1e9, 3),
        "base_arrays_gb": round(base_rows * features * 4 / 1e9, 3),
        "materialised_x_gb": round(windows * length * features * 4 / 1e9, 3),
        "seconds": round(time.perf_counter() - started, 1),
        "torch": torch.__version__,
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--windows", type=int, default=4_000_000)
    parser.add_argument("--steps", type=int, default=50)
    args = parser.parse_args(argv)
    print(json.dumps(measure(args.windows, args.steps)))
    sys.stdout.flush()


if __name__ == "__main__":
    main()
