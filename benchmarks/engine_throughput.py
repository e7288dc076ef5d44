"""Engine throughput: training samples/s of ``scrimmage.engine`` vs a plain DataLoader loop.

Both train the same MLP with the same optimizer on the same in-memory data for the same number
of epochs; the baseline uses torch's DataLoader over a TensorDataset (per-sample collation), the
engine slices tensors by index. Prints one JSON line with both rates and their ratio.
Run: .venv/bin/python benchmarks/engine_throughput.py [--rows 50000] [--epochs 3] [--batch-size 256]
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time

import torch
from torch.utils.data import DataLoader, TensorDataset

from scrimmage.config import load_config
from scrimmage.data.datamodule import DataBundle, InputSpec, TensorSplit
from scrimmage.data.registry import register_dataset
from scrimmage.engine import run
from scrimmage.models.registry import create_model

FEATURES = 32


def make_split(n: int, seed: int) -> TensorSplit:
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(n, FEATURES, generator=g)
    cat = torch.randint(0, 32, (n, 2), generator=g)
    y = torch.stack([x[:, :4].sum(1), x[:, 4:8].sum(1), x[:, 8:12].sum(1)], dim=1)
    return TensorSplit({"x": x, "cat": cat, "y": y})


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=50_000)
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--batch-size", type=int, default=256)
    args = parser.parse_args()
    spec = InputSpec(FEATURES, ("a", "b", "c"), {"team": (32, 2)})
    train = make_split(args.rows, 1)

    @register_dataset("bench-synthetic")
    def build(cfg, workdir) -> DataBundle:
        return DataBundle({"train": train, "val": make_split(2000, 2), "test": make_split(2000, 3)}, spec, {})

    config = load_config(None, [
        "data.name=bench-synthetic", f"trainer.epochs={args.epochs}", f"trainer.batch_size={args.batch_size}",
        "tracking.enabled=false", "early_stopping.enabled=false", "checkpoint.save_top_k=0",
        "checkpoint.save_last=false", "early_stopping.metric=val/loss", "model.hidden=[64, 32]",
    ])
    with tempfile.TemporaryDirectory() as workdir:
        result = run(config, workdir=workdir, progress=False)
    engine_rate = result.train_samples_per_s

    torch.manual_seed(0)
    model = create_model(config.model, spec)
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-3)
    loader = DataLoader(TensorDataset(train.tensors["x"], train.tensors["cat"], train.tensors["y"]),
                        batch_size=args.batch_size, shuffle=True)
    started = time.perf_counter()
    for _ in range(args.epochs):
        for x, cat, y in loader:
            loss = torch.nn.functional.mse_loss(model({"x": x, "cat": cat}), y)
            optimizer.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            optimizer.step()
    baseline_rate = args.rows * args.epochs / (time.perf_counter() - started)
    print(json.dumps({
        "benchmark": "engine_throughput", "rows": args.rows, "epochs": args.epochs, "batch_size": args.batch_size,
        "engine_samples_per_s": round(engine_rate), "dataloader_samples_per_s": round(baseline_rate),
        "speedup_vs_dataloader": round(engine_rate / baseline_rate, 2),
    }))


if __name__ == "__main__":
    main()
