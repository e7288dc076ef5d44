"""Market windows memory: peak RSS of building ``market-windows`` for all 100 symbols and one MLP epoch.

The dataset holds per-segment base rows (2.35M rows x 23 features, 0.22 GB as float32) and
gathers each batch's ``[B, 24, 23]`` windows at ``take`` time; materialised, the 2.35M windows'
``x`` alone would be 5.2 GB. What is measured is the whole process: torch, the engine, the
tables read from ``<workdir>/data/markets`` (ingested first from ``--source`` when given), the
features, the three WindowSplits with their frames, and one epoch of the ``market-mlp`` recipe's
model ([256, 128, 64], batch norm, asset embedding 8, focal loss, batch 1024) through
``scrimmage.engine.run`` with validation and test evaluation (tracking and the baselines report
off: they are measured elsewhere). ``ru_maxrss`` at the end; the goal is under 2 GB.

Prints one JSON line. Run:
    .venv/bin/python benchmarks/market_windows_memory.py --source ../shared/data/markets/binance_spot_1h
    [--workdir DIR] [--max-train-windows N] [--build-only]
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_SOURCE = ROOT.parent / "shared" / "data" / "markets" / "binance_spot_1h"


def _rss_gb() -> float:
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 / 1e9, 3)  # KiB on Linux


def measure(workdir: Path, source: Path | None, max_train_windows: int | None, build_only: bool) -> dict:
    import torch

    from scrimmage.config import load_config
    from scrimmage.markets.ingest import ingest_markets

    started = time.perf_counter()
    if source is not None:
        ingest_markets(workdir, source)
    ingest_s = time.perf_counter() - started
    overrides = ["tracking.enabled=false", "reports=[]", "callbacks=[]", "trainer.epochs=1", "trainer.threads=2",
                 "checkpoint.save_top_k=0", "checkpoint.save_last=false", "checkpoint.restore_best=false"]
    if max_train_windows is not None:
        overrides.append(f"data.max_train_windows={max_train_windows}")
    config = load_config(ROOT / "recipes" / "market-mlp.yaml", overrides)
    t0 = time.perf_counter()
    bundle = config.data.build(workdir)
    build_s = time.perf_counter() - t0
    build_rss = _rss_gb()
    windows = {k: len(v) for k, v in bundle.splits.items()}
    base_rows = sum(int(v.base["x"].shape[0]) for v in bundle.splits.values())
    n_features = bundle.spec.n_features
    out = {
        "benchmark": "market_windows_memory", "symbols": len(bundle.spec.vocabularies["asset"]), "windows": windows,
        "features": n_features, "lookback": bundle.spec.window, "ingest_s": round(ingest_s, 1),
        "build_s": round(build_s, 1), "build_peak_rss_gb": build_rss,
        "base_arrays_gb": round(base_rows * n_features * 4 / 1e9, 3),
        "materialised_x_gb": round(sum(windows.values()) * bundle.spec.window * n_features * 4 / 1e9, 3),
        "positive_rate": bundle.info["positive_rate"]["split"],
    }
    if not build_only:
        from scrimmage.engine import run

        t0 = time.perf_counter()
        result = run(config, workdir=workdir, data=bundle, progress=False)
        out.update({
            "model": "mlp [256, 128, 64] (market-mlp recipe), 1 epoch, val + test evaluated",
            "epoch_s": round(time.perf_counter() - t0, 1), "stop_reason": result.stop_reason,
            "test_pr_auc": round(float(result.test.get("pr_auc", float("nan"))), 4) if result.test else None,
        })
    out.update({"peak_rss_gb": _rss_gb(), "seconds": round(time.perf_counter() - started, 1), "torch": torch.__version__})
    return out


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source", type=Path, default=None,
                        help=f"OHLCV folder to ingest first (default: {DEFAULT_SOURCE} when --workdir is not given)")
    parser.add_argument("--workdir", type=Path, default=None, help="a workdir that holds data/markets already")
    parser.add_argument("--max-train-windows", type=int, default=None, help="subsample the training windows (quick runs)")
    parser.add_argument("--build-only", action="store_true", help="measure the dataset build only (no epoch)")
    args = parser.parse_args(argv)
    if args.workdir is not None:
        print(json.dumps(measure(args.workdir, args.source, args.max_train_windows, args.build_only)))
    else:
        with tempfile.TemporaryDirectory() as tmp:
            print(json.dumps(measure(Path(tmp), args.source or DEFAULT_SOURCE, args.max_train_windows, args.build_only)))
    sys.stdout.flush()


if __name__ == "__main__":
    main()
