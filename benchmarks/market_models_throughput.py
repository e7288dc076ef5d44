"""Market window classifiers: training samples/s per architecture, and what share of a step the window gather takes.

The workload is the market recipes' shape on synthetic numbers: a :class:`~scrimmage.data.splits.WindowSplit`
over 100 assets of hourly rows (23 features), windows of 24 steps, the asset id per window, a
rare positive label; batch 256, focal loss (alpha 0.25, gamma 2), AdamW. Each architecture is
built from its registered schema at the documented recipe sizes (mlp [256, 128, 64] relu + batch
norm, dropout 0.3; lstm-attention 2 x 128, attention 64 / 4 heads; gru-attention 2 x 64, attention
32 / 2 heads; cnn-lstm defaults; asset embedding 8) behind the task's input scaling.

A *step* is what the supervised loop does per batch: ``split.take(idx)`` on the standardised
training split (the gather of ``[256, 24, 23]`` windows from the base rows, scaled at gather
time), forward, loss, backward, optimizer step. The *gather* side times ``split.take(idx)`` alone
on the same index batches. The sides alternate within every round (gather, step, gather, step
...) and across architectures, so machine noise hits them alike; figures are medians over rounds.
Torch runs on one thread (stated in the output) unless ``--threads`` says otherwise.

Prints one JSON line. Run: .venv/bin/python benchmarks/market_models_throughput.py [--steps 20] [--rounds 5]
[--rows-per-asset 2000] [--device cpu|cuda]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time

import torch

from scrimmage.config.registry import LOSSES, MODELS
from scrimmage.data.datamodule import InputSpec
from scrimmage.data.splits import WindowSplit
from scrimmage.engine.tasks.scaling import Standardized
from scrimmage.losses.configs import LossInfo

STEPS, FEATURES, ASSETS, BATCH = 24, 23, 100, 256
RECIPES = {
    "mlp": {"hidden": [256, 128, 64], "dropout": 0.3, "activation": "relu", "batch_norm": True, "embedding_dim": 8},
    "lstm-attention": {"hidden": 128, "layers": 2, "attention_dim": 64, "heads": 4, "dropout": 0.4, "embedding_dim": 8},
    "gru-attention": {"hidden": 64, "layers": 2, "attention_dim": 32, "heads": 2, "dropout": 0.35, "embedding_dim": 8},
    "cnn-lstm": {"embedding_dim": 8},
}


def market_like_split(rows_per_asset: int, seed: int = 0) -> WindowSplit:
    """100 assets x ``rows_per_asset`` hourly rows of 23 features; every full window of 24 rows; ~5% positives."""
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(ASSETS * rows_per_asset, FEATURES, generator=g).mul_(torch.linspace(0.5, 3.0, FEATURES))
    offsets = torch.arange(ASSETS + 1) * rows_per_asset
    per_asset = rows_per_asset - STEPS + 1
    start = (torch.arange(ASSETS).repeat_interleave(per_asset) * rows_per_asset) + torch.arange(per_asset).repeat(ASSETS)
    asset = torch.arange(ASSETS).repeat_interleave(per_asset).unsqueeze(1)
    y = (torch.rand(len(start), generator=g) < 0.05).long()
    return WindowSplit({"x": x}, start, STEPS, {"cat": asset, "y": y}, offsets)


def spec() -> InputSpec:
    return InputSpec(FEATURES, ("opportunity",), {"asset": (ASSETS, 1)}, class_names=("no", "yes"),
                     vocabularies={"asset": tuple(f"A{i:03d}" for i in range(ASSETS))}, window=STEPS)


def sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


class Bench:
    """One architecture's model, optimizer and loss on the prepared split."""

    def __init__(self, name: str, split: WindowSplit, device: torch.device):
        torch.manual_seed(0)
        net = MODELS.validate({"name": name, **RECIPES[name]}).build(spec(), 1)
        self.model = Standardized(net, FEATURES, None).fit_split(split).to(device).train()
        self.split = split.to(device).standardized("x", self.model.x_mean, self.model.x_std)
        self.optimizer = torch.optim.AdamW(self.model.parameters(), lr=1e-3, weight_decay=1e-4, foreach=True)
        counts = torch.bincount(split.per_window["y"], minlength=2)
        info = LossInfo("binary", ("opportunity",), ("no", "yes"), None, tuple(float(c) for c in counts), len(split))
        self.loss = LOSSES.validate({"name": "focal", "alpha": 0.25, "gamma": 2.0}).build(info)
        self.params = sum(p.numel() for p in self.model.parameters())
        self.device = device

    def step(self, idx: torch.Tensor) -> None:
        batch = self.split.take(idx)
        loss, _ = self.loss(self.model(batch, prepared=True), batch["y"])
        self.optimizer.zero_grad(set_to_none=True)
        loss.backward()
        self.optimizer.step()

    def timed(self, batches: list[torch.Tensor], gather_only: bool) -> float:
        sync(self.device)
        started = time.perf_counter()
        for idx in batches:
            if gather_only:
                self.split.take(idx)
            else:
                self.step(idx)
        sync(self.device)
        return time.perf_counter() - started


def measure(steps: int, rounds: int, rows_per_asset: int, device: str, threads: int) -> dict:
    torch.set_num_threads(threads)
    dev = torch.device(device)
    split = market_like_split(rows_per_asset)
    benches = {name: Bench(name, split, dev) for name in RECIPES}
    g = torch.Generator().manual_seed(1)
    times: dict[str, dict[str, list[float]]] = {name: {"step": [], "gather": []} for name in RECIPES}
    for bench in benches.values():  # warm-up: allocator, kernels, lazy init
        warm = [torch.randint(0, len(split), (BATCH,), generator=g).to(dev) for _ in range(3)]
        bench.timed(warm, False)
        bench.timed(warm, True)
    for _ in range(rounds):
        for name, bench in benches.items():
            batches = [torch.randperm(len(split), generator=g)[:BATCH].to(dev) for _ in range(steps)]
            times[name]["gather"].append(bench.timed(batches, True) / steps)
            times[name]["step"].append(bench.timed(batches, False) / steps)
    models = {}
    for name, bench in benches.items():
        step, gather = statistics.median(times[name]["step"]), statistics.median(times[name]["gather"])
        models[name] = {
            "samples_per_s": round(BATCH / step, 1), "step_ms": round(step * 1e3, 3), "gather_ms": round(gather * 1e3, 3),
            "gather_share": round(gather / step, 4), "params": bench.params, "options": RECIPES[name],
        }
    return {
        "benchmark": "market_models_throughput", "device": str(dev),
        "device_name": torch.cuda.get_device_name(dev) if dev.type == "cuda" else "cpu",
        "torch_threads": torch.get_num_threads(), "batch_size": BATCH, "window": STEPS, "features": FEATURES,
        "assets": ASSETS, "windows": len(split), "steps_per_round": steps, "rounds": rounds,
        "loss": "focal alpha 0.25 gamma 2", "optimizer": "adamw", "models": models, "torch": torch.__version__,
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=20, help="Steps per architecture per round.")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--rows-per-asset", type=int, default=2000, help="Hourly rows per asset (windows = rows - 23).")
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--threads", type=int, default=1, help="torch threads (stated in the output).")
    args = parser.parse_args(argv)
    print(json.dumps(measure(args.steps, args.rounds, args.rows_per_asset, args.device, args.threads)))
    sys.stdout.flush()


if __name__ == "__main__":
    main()
