"""Checkpoints: last.ckpt (resume point, also mid-epoch every N steps or N minutes), best.ckpt and top-k.

The loop writes every file atomically (temp file + rename). Top-k files are named
``epoch=007-val_loss=0.8123.ckpt`` (epochs 1-based, like everywhere users see them); files that
fall out of the top k are deleted. Best and top-k follow the run's one ``monitor``.

Other callbacks ask for extra files through ``state.checkpoint_requests`` (the phases callback's
``phase=01-warmup.ckpt`` at the end of each phase); this callback runs after the recipe's callbacks,
so it writes them with everyone's updated state, and at an optimizer step it refreshes last.ckpt too.
Timed saves (``every_n_minutes``) happen at an optimizer step, the first after the interval.
"""

from __future__ import annotations

import math
from pathlib import Path
from time import monotonic
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
        self.saved_at = monotonic()  # when last.ckpt was last written (every_n_minutes)

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
        self.saved_at = monotonic()
        for stale in self.directory.glob(".*.ckpt*.tmp"):
            stale.unlink(missing_ok=True)

    def on_optimizer_step(self, state: LoopState, ctx: Context) -> None:
        if state.checkpoint_requests:
            self._write_requested(state, ctx)
            if self.cfg.save_last:
                self._save_last(ctx)
            return
        if state.should_stop or not self.cfg.save_last:
            return  # a run stopped mid-epoch validates next and saves last.ckpt at that epoch's end
        n, minutes = self.cfg.every_n_steps, self.cfg.every_n_minutes
        if (n and state.global_step % n == 0) or (minutes and monotonic() - self.saved_at >= 60 * minutes):
            self._save_last(ctx)

    def _save_last(self, ctx: Context) -> None:
        ctx.save_checkpoint(self.last_path)
        self.saved_at = monotonic()

    def _write_requested(self, state: LoopState, ctx: Context) -> None:
        for name in state.checkpoint_requests:
            ctx.save_checkpoint(self.directory / name)
        state.checkpoint_requests.clear()

    def on_epoch_end(self, state: LoopState, ctx: Context) -> None:
        value = state.metrics.get(self.monitor.metric, float("nan"))
        epoch = int(state.metrics["epoch"])
        if self.cfg.save_top_k > 0 and is_improvement(value, self.best, self.monitor.mode, 0.0):
            self.best, self.best_epoch = value, epoch
            ctx.save_checkpoint(self.best_path)
        if self.cfg.save_top_k > 1:
            self._update_top_k(ctx, value, epoch)
        if self.cfg.save_last:
            self._save_last(ctx)
        if state.checkpoint_requests:
            self._write_requested(state, ctx)

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
        out.update({path.stem.replace("=", "_"): str(path) for path in sorted(self.directory.glob("phase=*.ckpt"))})
        return out
