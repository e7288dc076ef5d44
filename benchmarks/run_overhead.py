"""Fixed cost of one ``run()``: config in to result out, minus the time spent training.

A search or a campaign pays it per trial. The workload is a tiny MLP (6 → [16] → 2) on 200 rows
for one epoch, so training is milliseconds and what remains is the session: building the data and
model, the run folder and record, MLflow tracking on SQLite (experiment, run, params, metrics,
artifacts), checkpoints, the test evaluation, predictions and result files. Training time is
measured from FIT_START to FIT_END by a callback (both events exist on every engine version, so
the same script measures an older checkout: ``PYTHONPATH=<old>/src python benchmarks/run_overhead.py``).

Reported: the first run in a fresh process and workdir (imports already done, MLflow store
created), and the median of 50 sequential runs in one process (one workdir, one MLflow store), on
one torch thread. Prints one JSON line. Run: .venv/bin/python benchmarks/run_overhead.py [--runs 50]
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from pathlib import Path
from typing import Literal

import torch

from scrimmage.config import load_config
from scrimmage.config.registry import DATASETS, Component
from scrimmage.data.datamodule import DataBundle, InputSpec, TensorSplit
from scrimmage.engine import run
from scrimmage.engine.events import Callback


def _split(n: int, seed: int) -> TensorSplit:
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(n, 6, generator=g)
    return TensorSplit({"x": x, "y": x[:, :2] * 2 + 0.1 * torch.randn(n, 2, generator=g)})


@DATASETS.register
class OverheadData(Component):
    """Benchmark data: 200 rows, 6 features, 2 targets."""

    name: Literal["overhead-bench"] = "overhead-bench"

    def build(self, workdir: Path) -> DataBundle:
        return DataBundle({"train": _split(200, 1), "val": _split(100, 2), "test": _split(100, 3)},
                          InputSpec(6, ("a", "b"), {}, feature_names=tuple(f"f{i}" for i in range(6))),
                          {"dataset_version": "bench"})


class FitClock(Callback):
    name = "fit_clock"

    def __init__(self) -> None:
        self.seconds = 0.0
        self._start = 0.0

    def on_fit_start(self, state, ctx) -> None:
        self._start = time.perf_counter()

    def on_fit_end(self, state, ctx) -> None:
        self.seconds = time.perf_counter() - self._start


def one_run(workdir: Path, tracking: bool, *extra: str) -> float:
    config = load_config(None, ["data.name=overhead-bench", "trainer.epochs=1", "trainer.batch_size=50",
                                "model.hidden=[16]", f"tracking.enabled={str(tracking).lower()}",
                                "tracking.experiment=overhead", *extra])
    clock = FitClock()
    workdir.mkdir(parents=True, exist_ok=True)  # older engines expected the workdir to exist
    started = time.perf_counter()
    run(config, workdir=workdir, progress=False, callbacks=[clock])
    return time.perf_counter() - started - clock.seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=50)
    args = parser.parse_args()
    torch.set_num_threads(1)
    with tempfile.TemporaryDirectory() as tmp:
        one_run(Path(tmp) / "warmup", tracking=True)  # imports and MLflow's own first-use costs
        first = one_run(Path(tmp) / "fresh", tracking=True)
        many = [one_run(Path(tmp) / "many", tracking=True) for _ in range(args.runs)]
        untracked = [one_run(Path(tmp) / "untracked", tracking=False) for _ in range(10)]
        no_figures = [one_run(Path(tmp) / "no-figures", True, "tracking.log_figures=false") for _ in range(10)]
    print(json.dumps({
        "benchmark": "run_overhead", "threads": 1,
        "first_run_fixed_seconds": round(first, 4),
        "sequential_runs": args.runs,
        "sequential_median_fixed_seconds": round(statistics.median(many), 4),
        "sequential_total_seconds": round(sum(many), 2),
        "sequential_last_fixed_seconds": round(many[-1], 4),
        "untracked_median_fixed_seconds": round(statistics.median(untracked), 4),
        "tracked_without_figures_median_fixed_seconds": round(statistics.median(no_figures), 4),
    }))


if __name__ == "__main__":
    main()
