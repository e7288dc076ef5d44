"""Seed ensembles: 20 members trained vectorized (``loop: ensemble``) against 20 sequential engine runs.

The workload is the real ``recipes/nfl-pregame.yaml`` (its dataset, mlp, loss, AdamW, plateau schedule
(per member in the ensemble), grad clipping, batch size), with a fixed epoch count and early stopping
off on both sides, no tracking, and no test evaluation or reports (``evaluate_test=False``) on either side.
Both sides are full ``scrimmage.engine.run`` calls (run folders, checkpoints, callbacks) on one
data bundle built once, on one torch thread (``torch.set_num_threads(1)`` and ``trainer.threads=1``).
Sides are interleaved (vectorized, sequential, vectorized, sequential ...) so machine noise hits
both; each side's wall time is its median over the rounds, after one untimed warm-up run of each.

Quality: each member's best ``monitor`` value (val/margin_rmse) against its sequential twin's (same
seed: same initial weights and data order; dropout masks differ), as the mean absolute difference,
beside the spread of that metric across the sequential seeds (the noise scale it should sit within).

Needs the NFL tables: ingested into a temporary workdir (about a minute) unless ``--workdir`` holds them.
Prints one JSON line. Run: .venv/bin/python benchmarks/ensemble_vectorized.py [--members 20] [--epochs 10] [--rounds 2]
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from pathlib import Path

import torch

from scrimmage.config import load_config
from scrimmage.engine import run

RECIPE = Path(__file__).resolve().parents[1] / "recipes" / "nfl-pregame.yaml"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--members", type=int, default=20)
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--workdir", type=Path, default=None, help="A workdir with ingested NFL tables (else a temp one).")
    args = parser.parse_args()
    torch.set_num_threads(1)
    with tempfile.TemporaryDirectory() as tmp:
        workdir = args.workdir or Path(tmp)
        if args.workdir is None:
            from scrimmage.football.nfl.ingest import ingest_nfl

            ingest_nfl(workdir, force=True)
        print(json.dumps(measure(workdir, Path(tmp) / "runs", args.members, args.epochs, args.rounds)))


def measure(data_workdir: Path, run_root: Path, members: int, epochs: int, rounds: int) -> dict:
    seeds = list(range(42, 42 + members))
    common = [f"trainer.epochs={epochs}", "trainer.threads=1", "callbacks=[]", "reports=[]", "tracking.enabled=false"]
    base = load_config(RECIPE, common)
    bundle = base.data.build(data_workdir)
    monitor = base.monitor.metric
    vectorized = load_config(RECIPE, [*common, f"loop={{name: ensemble, seeds: {seeds}}}"])
    singles = [load_config(RECIPE, [*common, f"trainer.seed={seed}"]) for seed in seeds]

    for warm in (vectorized, singles[0]):  # first-call costs (imports, Fabric, allocator) paid by neither side
        run(warm.model_copy(update={"trainer": warm.trainer.model_copy(update={"epochs": 1})}), workdir=run_root / "warmup",
            data=bundle, evaluate_test=False, progress=False)
    times: dict[str, list[float]] = {"vectorized": [], "sequential": []}
    ensemble_meta: list[dict] = []
    sequential_best: list[float] = []
    for round_ in range(rounds):
        workdir = run_root / f"round{round_}"
        started = time.perf_counter()
        result = run(vectorized, workdir=workdir, data=bundle, evaluate_test=False, progress=False)
        times["vectorized"].append(time.perf_counter() - started)
        ensemble_meta = result.to_dict()["members"]["meta"]
        started = time.perf_counter()
        sequential_best = [run(c, workdir=workdir, data=bundle, evaluate_test=False, progress=False).best["value"]
                           for c in singles]
        times["sequential"].append(time.perf_counter() - started)
    vec_s, seq_s = statistics.median(times["vectorized"]), statistics.median(times["sequential"])
    member_best = [m["best_metric"] for m in ensemble_meta]
    diffs = [abs(a - b) for a, b in zip(member_best, sequential_best, strict=True)]
    return {
        "benchmark": "ensemble_vectorized",
        "recipe": "nfl-pregame", "members": members, "epochs": epochs, "rounds": rounds, "threads": 1,
        "train_rows": len(bundle.splits["train"]), "batch_size": base.trainer.batch_size,
        "vectorized_s": round(vec_s, 2), "sequential_s": round(seq_s, 2), "ratio": round(vec_s / seq_s, 3),
        "goal_ratio": 0.3, "times": {k: [round(v, 2) for v in vs] for k, vs in times.items()},
        "metric": monitor,
        "member_vs_twin_mean_abs_diff": round(statistics.mean(diffs), 4),
        "sequential_seed_std": round(statistics.stdev(sequential_best), 4) if members > 1 else None,
        "vectorized_seed_std": round(statistics.stdev(member_best), 4) if members > 1 else None,
        "vectorized_mean": round(statistics.mean(member_best), 4),
        "sequential_mean": round(statistics.mean(sequential_best), 4),
    }


if __name__ == "__main__":
    main()
