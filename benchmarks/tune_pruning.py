"""Pruning savings: the same N-trial search with and without pruning (same sampler, same seed).

Pruning that saves epochs but loses the best trial is no saving, so both sides are reported: the
epochs each search ran, its wall time (without building the dataset, ``data_s``), the best validation value it reached, and how good each was
at equal cost (the unpruned search's best after as many epochs as the pruned one spent in all). The
anytime curves (cumulative epochs → best so far, at each trial's end) are in the line too.

The recipe argument is any recipe with a ``search:`` section (its pruner is the "with pruning"
side; ``pruner: none`` is the other); without one, a synthetic binary problem (in memory, runs
anywhere in a minute or two) stands in. Both studies run in one process, one after the other, each
in its own temporary workdir with the default SQLite storage and MLflow off, so seeds and trial
order are deterministic.

Prints one JSON line. Run:
    .venv/bin/python benchmarks/tune_pruning.py [RECIPE] [--trials 20] [--workdir DIR] [-o key=value ...]
    .venv/bin/python benchmarks/tune_pruning.py recipes/market-mlp-hpo.yaml --trials 60 --workdir /tmp/bench
(a real recipe's dataset is built from the workdir's ingested data: pass the workdir that holds it).
"""

from __future__ import annotations

import argparse
import copy
import json
import shutil
import tempfile
import time
from pathlib import Path
from typing import Any, Literal

import torch
import yaml

from scrimmage.config import load_config
from scrimmage.config.loader import config_to_dict, validate_config
from scrimmage.config.registry import DATASETS, Component
from scrimmage.data.datamodule import DataBundle, InputSpec, TensorSplit
from scrimmage.tune.study import tune

FEATURES = 12


def _split(n: int, seed: int) -> TensorSplit:
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(n, FEATURES, generator=g)
    cat = torch.randint(0, 8, (n, 1), generator=g)
    signal = x[:, 0] * x[:, 1] + torch.sin(2 * x[:, 2]) - 0.5 * x[:, 3] ** 2 + 0.3 * (cat[:, 0] % 3).float()
    y = (signal + 0.6 * torch.randn(n, generator=g) > 0.4).long()
    return TensorSplit({"x": x, "cat": cat, "y": y})


@DATASETS.register
class BenchTuneBinary(Component):
    """Benchmark data: a noisy non-linear binary problem (12 features, one categorical), held in memory."""

    name: Literal["bench-tune-binary"] = "bench-tune-binary"

    def class_names(self) -> tuple[str, ...]:
        return ("no", "yes")

    def build(self, workdir) -> DataBundle:
        splits = {"train": _split(4000, 1), "val": _split(1500, 2), "test": _split(1500, 3)}
        spec = InputSpec(FEATURES, ("y",), {"group": (8, 1)}, feature_names=tuple(f"f{i}" for i in range(FEATURES)),
                         class_names=("no", "yes"))
        return DataBundle(splits, spec, {"dataset_version": "bench-tune-binary-v1"})


SYNTHETIC = {
    "data": {"name": "bench-tune-binary"},
    "task": {"name": "classification"},
    "model": {"name": "mlp", "hidden": [64, 32], "dropout": 0.1},
    "monitor": {"metric": "val/loss", "mode": "min"},
    "trainer": {"epochs": 20, "batch_size": 128, "seed": 0, "threads": 1},
    "callbacks": [{"name": "early_stopping", "patience": 5, "min_delta": 1e-4}],
    "tracking": {"enabled": False},
    "search": {
        "params": {
            "optim.lr": {"type": "float", "low": 1e-4, "high": 1e-1, "log": True},
            "optim.weight_decay": {"type": "float", "low": 1e-6, "high": 1e-1, "log": True},
            "model.hidden": {"type": "categorical", "choices": [[16], [64, 32], [128, 64, 32]]},
            "model.dropout": {"type": "float", "low": 0.0, "high": 0.5},
        },
        "pruner": {"name": "median", "n_startup_trials": 5, "n_warmup_steps": 3},
        "sampler": {"name": "tpe", "seed": 0, "n_startup_trials": 5},
    },
}


def _side(summary: dict[str, Any], wall: float, mode: str) -> dict[str, Any]:
    trials = sorted(summary["trial_list"], key=lambda t: t["number"])
    better = (lambda a, b: a > b) if mode == "max" else (lambda a, b: a < b)
    curve, best, spent = [], None, 0
    for t in trials:
        spent += int(t["epochs"] or 0)
        if t["state"] == "complete" and t["value"] is not None and (best is None or better(t["value"], best)):
            best = t["value"]
        curve.append([spent, best])
    value = summary["best"]["value"] if summary["best"] else None
    return {"epochs": spent, "wall_s": round(wall, 2), "trial_s": round(sum(t["seconds"] or 0 for t in trials), 2),
            "best_value": value, "best_trial": summary["best"]["trial"] if summary["best"] else None,
            "complete": summary["trials"]["complete"], "pruned": summary["trials"]["pruned"],
            "failed": summary["trials"]["failed"],
            "best_value_per_1k_epochs": None if value is None or not spent else value / spent * 1000,
            "curve": curve}


def best_at(curve: list[list[Any]], epochs: int) -> float | None:
    """The best value a search had reached once it had spent ``epochs`` (its last trial end at or before it)."""
    reached = [best for spent, best in curve if spent <= epochs]
    return reached[-1] if reached else None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("recipe", nargs="?", default=None, help="Recipe with a search: section (default: synthetic).")
    parser.add_argument("--trials", type=int, default=20)
    parser.add_argument("--workdir", default=None, help="Workdir holding the recipe's ingested data (default: temporary).")
    parser.add_argument("-o", "--override", action="append", default=[], help="KEY.PATH=VALUE, repeatable.")
    args = parser.parse_args()

    if args.recipe:
        base = load_config(args.recipe, ["tracking.enabled=false", *args.override])
    else:
        with tempfile.TemporaryDirectory() as folder:
            recipe = Path(folder) / "bench-tune.yaml"
            recipe.write_text(yaml.safe_dump(SYNTHETIC, sort_keys=False))
            base = load_config(recipe, list(args.override))
    if base.search is None:
        raise SystemExit(f"{args.recipe} has no search: section")
    raw = config_to_dict(base)
    pruner = raw["search"]["pruner"] if raw["search"]["pruner"]["name"] != "none" else {"name": "median"}
    mode = raw["search"]["mode"] or raw["monitor"]["mode"]
    results = {}
    for side, chosen in (("with_pruning", pruner), ("without_pruning", {"name": "none"})):
        variant = copy.deepcopy(raw)
        variant["search"]["pruner"] = chosen
        config = validate_config(variant, source=side)
        scratch = Path(tempfile.mkdtemp(prefix=f"tune-bench-{side}-"))
        workdir = scratch
        if args.workdir:  # the studies go in scratch folders; the data is read from the given workdir
            workdir = scratch / "wd"
            workdir.mkdir()
            for name in ("data",):
                source = Path(args.workdir) / name
                if source.exists():
                    (workdir / name).symlink_to(source.resolve())
        started = time.perf_counter()
        summary = tune(config, trials=args.trials, recipe=f"bench-{side}.yaml", workdir=workdir, keep_checkpoints=False)
        results[side] = _side(summary, time.perf_counter() - started - summary["data_seconds"], mode)  # search only
        results[side]["data_s"] = summary["data_seconds"]
        shutil.rmtree(scratch, ignore_errors=True)
    pruned, full = results["with_pruning"], results["without_pruning"]
    saved = 1 - pruned["epochs"] / full["epochs"] if full["epochs"] else None
    lost = None
    if pruned["best_value"] is not None and full["best_value"] is not None:
        lost = pruned["best_value"] < full["best_value"] if mode == "max" else pruned["best_value"] > full["best_value"]
    line = {
        "benchmark": "tune_pruning",
        "recipe": args.recipe or "synthetic (bench-tune-binary)",
        "trials": args.trials,
        "metric": raw["search"]["metric"] or raw["monitor"]["metric"],
        "mode": mode,
        "pruner": pruner,
        "sampler": raw["search"]["sampler"],
        "epochs_saved_share": None if saved is None else round(saved, 4),
        "wall_saved_share": round(1 - pruned["wall_s"] / full["wall_s"], 4) if full["wall_s"] else None,
        "pruned_search_lost_the_best": lost,
        "unpruned_best_at_pruned_epochs": best_at(full["curve"], pruned["epochs"]),
        "pruned_best_at_equal_epochs": pruned["best_value"],
        "with_pruning": pruned,
        "without_pruning": full,
        "threads": torch.get_num_threads(),
    }
    print(json.dumps(line, default=str))


if __name__ == "__main__":
    main()
