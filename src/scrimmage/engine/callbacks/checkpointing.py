"""Checkpoints: last.ckpt (resume point, also mid-epoch every N steps), best.ckpt and top-k.

The loop writes every file atomically (temp file + rename). Top-k files are named
``epoch=007-val_loss=0.8123.ckpt`` (epochs 1-based, like everywhere users see them); files that
fall out of the top k are deleted. Best and top-k follow the run's one ``monitor``.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

from scrimmage.config.schema import CheckpointConfig, MonitorConfig
from scrimmage.engine.callbacks.early_stopping import is_improvement
from scrimmage.engine.events import Callback, Context, LoopState


class ModelCheckpoint(Callback):
    name = "checkpoint"

    def __init__(self, directory: Path, cfg: CheckpointConfig, monitor: MonitorConfig):
        self.directory = directory
        self.cfg = cfg
        self.monitor = monitor
        self.best: float | None = None
        self.best_epoch = 0
        self.top_k: list[tuple[float, str]] = []  # (metric, filename), best first

    @property
    def last_path(self) -> Path:
        return self.directory / "last.ckpt"

    @property
    def best_path(self) -> Path:
        return self.directory / "best.ckpt"

    def on_fit_start(self, state: LoopState, ctx: Context) -> None:
        """A process killed while writing leaves a temp file; it was never renamed, so drop it."""
        if not ctx.is_main_process:
            return
        for stale in self.directory.glob(".*.ckpt*.tmp"):
            stale.unlink(missing_ok=True)

    def on_optimizer_step(self, state: LoopState, ctx: Context) -> None:
        n = self.cfg.every_n_steps
        if n and self.cfg.save_last and state.global_step % n == 0:
            ctx.save_checkpoint(self.last_path)

    def on_epoch_end(self, state: LoopState, ctx: Context) -> None:
        value = state.metrics.get(self.monitor.metric, float("nan"))
        epoch = int(state.metrics["epoch"])
        if self.cfg.save_top_k > 0 and is_improvement(value, self.best, self.monitor.mode, 0.0):
            self.best, self.best_epoch = value, epoch
            ctx.save_checkpoint(self.best_path)
        if self.cfg.save_top_k > 1:
            self._update_top_k(ctx, value, epoch)
        if self.cfg.save_last:
            ctx.save_checkpoint(self.last_path)

    def _update_top_k(self, ctx: Context, value: float, epoch: int) -> None:
        descending = self.monitor.mode == "max"  # best first
        candidates = sorted([*self.top_k, (value, "")], key=lambda item: item[0], reverse=descending)
        if math.isnan(value) or "" not in [name for _, name in candidates[: self.cfg.save_top_k]]:
            return
        safe_metric = self.monitor.metric.replace("/", "_")
        filename = f"epoch={epoch:03d}-{safe_metric}={value:.4f}.ckpt"
        ctx.save_checkpoint(self.directory / filename)
        self.top_k = [(v, n or filename) for v, n in candidates][: self.cfg.save_top_k]
        for _, dropped in candidates[self.cfg.save_top_k :]:
            if dropped:
                (self.directory / dropped).unlink(missing_ok=True)

    def state_dict(self) -> dict[str, Any]:
        return {"best": self.best, "best_epoch": self.best_epoch, "top_k": [list(item) for item in self.top_k]}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.best = state.get("best")
        self.best_epoch = int(state.get("best_epoch", 0))
        self.top_k = [(float(v), str(n)) for v, n in state.get("top_k", [])]

    def checkpoint_paths(self) -> dict[str, str]:
        paths = {"last": self.last_path, "best": self.best_path}
        out = {name: str(path) for name, path in paths.items() if path.exists()}
        out.update({f"top_{i + 1}": str(self.directory / name) for i, (_, name) in enumerate(self.top_k)})
        return out
