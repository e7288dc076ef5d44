"""Engine throughput: training samples/s of ``scrimmage.engine.run`` against a minimal raw PyTorch loop.

The workload is the campaign system's seed model: an MLP 6 → [256, 128, 64] → 1, batch 64,
AdamW, one CPU thread. The raw loop is the floor any engine pays for: tensors in memory,
``randperm`` slicing, forward, backward, step — nothing else. Both train the same network class
on the same data; they run interleaved in one process (engine, raw, engine, raw ...) so machine
noise hits both alike, and the ratio is the median of the per-round ratios. Beside them, two
references measured once: a plain loop over torch's DataLoader (per-sample collation) and
Lightning's Trainer (what the engine chose not to use).

Prints one JSON line. Run: .venv/bin/python benchmarks/engine_throughput.py [--rows 20000] [--epochs 2] [--rounds 5]
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from typing import Literal

import torch
from torch.utils.data import DataLoader, TensorDataset

from scrimmage.config import load_config
from scrimmage.config.registry import DATASETS, Component
from scrimmage.data.datamodule import DataBundle, InputSpec, TensorSplit
from scrimmage.engine import run

FEATURES = 6
HIDDEN = [256, 128, 64]
SPEC = InputSpec(FEATURES, ("y",), {}, feature_names=tuple(f"f{i}" for i in range(FEATURES)))


def make_split(n: int, seed: int) -> TensorSplit:
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(n, FEATURES, generator=g)
    y = (x[:, :3].sum(1, keepdim=True) - x[:, 3:].prod(1, keepdim=True)) + 0.1 * torch.randn(n, 1, generator=g)
    return TensorSplit({"x": x, "y": y})


SPLITS: dict[str, TensorSplit] = {}


@DATASETS.register
class BenchSynthetic(Component):
    """Benchmark data: 6 features → 1 target (held in memory)."""

    name: Literal["bench-synthetic"] = "bench-synthetic"

    def build(self, workdir) -> DataBundle:
        return DataBundle(dict(SPLITS), SPEC, {"dataset_version": "bench"})


def engine_rate(config) -> float:
    with tempfile.TemporaryDirectory() as workdir:
        return run(config, workdir=workdir, progress=False).train_samples_per_s


def raw_rate(config, train: TensorSplit, epochs: int, batch_size: int) -> float:
    """The minimal loop: randperm slices of in-memory tensors, forward, loss, backward, step."""
    torch.manual_seed(0)
    model = config.model.build(SPEC, 1)
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-3, weight_decay=1e-4, foreach=True)
    x, y = train.tensors["x"], train.tensors["y"]
    n = len(x)
    model.train()
    started = time.perf_counter()
    for _ in range(epochs):
        perm = torch.randperm(n)
        for start in range(0, n, batch_size):
            idx = perm[start : start + batch_size]
            loss = torch.nn.functional.mse_loss(model({"x": x[idx]}), y[idx])
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
    return n * epochs / (time.perf_counter() - started)


def dataloader_rate(config, train: TensorSplit, epochs: int, batch_size: int) -> float:
    torch.manual_seed(0)
    model = config.model.build(SPEC, 1)
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-3)
    loader = DataLoader(TensorDataset(train.tensors["x"], train.tensors["y"]), batch_size=batch_size, shuffle=True)
    started = time.perf_counter()
    for _ in range(epochs):
        for x, y in loader:
            loss = torch.nn.functional.mse_loss(model({"x": x}), y)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
    return len(train) * epochs / (time.perf_counter() - started)


def lightning_trainer_rate(config, train: TensorSplit, epochs: int, batch_size: int) -> float:
    import lightning as L

    class Module(L.LightningModule):
        def __init__(self):
            super().__init__()
            self.net = config.model.build(SPEC, 1)

        def training_step(self, batch, _):
            x, y = batch
            return torch.nn.functional.mse_loss(self.net({"x": x}), y)

        def configure_optimizers(self):
            return torch.optim.AdamW(self.parameters(), lr=1e-3)

    torch.manual_seed(0)
    loader = DataLoader(TensorDataset(train.tensors["x"], train.tensors["y"]), batch_size=batch_size, shuffle=True)
    trainer = L.Trainer(max_epochs=epochs, accelerator="cpu", devices=1, logger=False, enable_checkpointing=False,
                        enable_progress_bar=False, enable_model_summary=False)
    started = time.perf_counter()
    trainer.fit(Module(), loader)
    return len(train) * epochs / (time.perf_counter() - started)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=20_000)
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    torch.set_num_threads(1)
    SPLITS.update(train=make_split(args.rows, 1), val=make_split(1000, 2), test=make_split(1000, 3))
    config = load_config(None, [
        "data.name=bench-synthetic", f"trainer.epochs={args.epochs}", f"trainer.batch_size={args.batch_size}",
        "trainer.threads=1", "trainer.grad_clip=null", "trainer.deterministic=false", "tracking.enabled=false",
        "checkpoint.save_top_k=0", "checkpoint.save_last=false", f"model.hidden={HIDDEN}", "model.dropout=0.0",
        "model.embedding_dim=0", "optim.name=adamw", "optim.lr=1e-3", "scheduler.name=constant",
    ])
    train = SPLITS["train"]
    engine_rate(config)  # warm-up: first-call costs (imports, allocator) hit neither side's numbers
    raw_rate(config, train, 1, args.batch_size)
    engine, raw = [], []
    for _ in range(args.rounds):
        engine.append(engine_rate(config))
        raw.append(raw_rate(config, train, args.epochs, args.batch_size))
    ratios = [e / r for e, r in zip(engine, raw)]
    loader = dataloader_rate(config, train, args.epochs, args.batch_size)
    trainer = lightning_trainer_rate(config, train, args.epochs, args.batch_size)
    engine_median = statistics.median(engine)
    print(json.dumps({
        "benchmark": "engine_throughput", "workload": f"mlp {FEATURES}->{HIDDEN}->1, batch {args.batch_size}, adamw, 1 thread",
        "rows": args.rows, "epochs": args.epochs, "rounds": args.rounds,
        "engine_samples_per_s": round(engine_median), "raw_loop_samples_per_s": round(statistics.median(raw)),
        "engine_vs_raw_loop": round(statistics.median(ratios), 3),
        "engine_vs_raw_loop_per_round": [round(r, 3) for r in ratios],
        "dataloader_samples_per_s": round(loader), "lightning_trainer_samples_per_s": round(trainer),
        "speedup_vs_dataloader": round(engine_median / loader, 2),
        "speedup_vs_lightning_trainer": round(engine_median / trainer, 2),
    }))


if __name__ == "__main__":
    main()
