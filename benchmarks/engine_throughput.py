"""Engine throughput: training samples/s of ``scrimmage.engine`` vs two baselines.

All three train the same MLP with AdamW on the same in-memory data for the same number of
epochs: the engine (Fabric + index-sliced batches), a plain loop over torch's DataLoader
(per-sample collation), and Lightning's Trainer over the same DataLoader (what the engine
chose not to use). Prints one JSON line with the rates and the ratios.
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
    trainer_rate = lightning_trainer_rate(config, spec, train, args)
    print(json.dumps({
        "benchmark": "engine_throughput", "rows": args.rows, "epochs": args.epochs, "batch_size": args.batch_size,
        "engine_samples_per_s": round(engine_rate), "dataloader_samples_per_s": round(baseline_rate),
        "lightning_trainer_samples_per_s": round(trainer_rate),
        "speedup_vs_dataloader": round(engine_rate / baseline_rate, 2),
        "speedup_vs_lightning_trainer": round(engine_rate / trainer_rate, 2),
    }))


def lightning_trainer_rate(config, spec: InputSpec, train: TensorSplit, args: argparse.Namespace) -> float:
    import lightning as L

    class Module(L.LightningModule):
        def __init__(self):
            super().__init__()
            self.net = create_model(config.model, spec)

        def training_step(self, batch, _):
            x, cat, y = batch
            return torch.nn.functional.mse_loss(self.net({"x": x, "cat": cat}), y)

        def configure_optimizers(self):
            return torch.optim.AdamW(self.parameters(), lr=1e-3)

    torch.manual_seed(0)
    loader = DataLoader(TensorDataset(train.tensors["x"], train.tensors["cat"], train.tensors["y"]),
                        batch_size=args.batch_size, shuffle=True)
    trainer = L.Trainer(max_epochs=args.epochs, accelerator="cpu", devices=1, logger=False,
                        enable_checkpointing=False, enable_progress_bar=False, enable_model_summary=False,
                        gradient_clip_val=1.0)
    started = time.perf_counter()
    trainer.fit(Module(), loader)
    return args.rows * args.epochs / (time.perf_counter() - started)


if __name__ == "__main__":
    main()
