"""The training loop: one compact, readable loop on Lightning Fabric.

Fabric handles devices, precision and distributed strategies; the loop itself is ours because
(measured here) Lightning's Trainer costs 2-4x per step on small models and its resume does not
restore RNG state. Every checkpoint holds model, optimizer, schedule, loop position, data order,
callback state and RNG states, so a resumed run continues bit-for-bit in deterministic mode.
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import torch
from lightning.fabric import Fabric
from torch import nn

from scrimmage.config.schema import RunConfig
from scrimmage.data.datamodule import DataBundle, EpochOrder
from scrimmage.engine.events import Callback, LoopState
from scrimmage.engine.optim import Schedule, build_optimizer, build_schedule, trainable_parameters
from scrimmage.engine.rng import capture_rng_state, restore_rng_state
from scrimmage.engine.task import RegressionTask
from scrimmage.errors import ConfigError, TrainingDiverged
from scrimmage.io import commit

CHECKPOINT_FORMAT = 1


class TrainLoop:
    def __init__(
        self,
        config: RunConfig,
        fabric: Fabric,
        model: nn.Module,
        task: RegressionTask,
        data: DataBundle,
        callbacks: Sequence[Callback] = (),
    ):
        self.config, self.fabric, self.task, self.data = config, fabric, task, data
        trainer = config.trainer
        self.train_split = data.splits["train"].to(fabric.device)
        self.val_split = data.splits["val"].to(fabric.device)
        self.order = EpochOrder(
            len(self.train_split), trainer.batch_size, trainer.seed,
            rank=fabric.global_rank, world_size=fabric.world_size,
        )
        self.steps_per_epoch = -(-len(self.order) // trainer.accumulate)
        optimizer = build_optimizer(trainable_parameters(model), config.optim)
        self.model, self.optimizer = fabric.setup(model, optimizer)
        self.schedule: Schedule = build_schedule(
            self.optimizer, config.scheduler, steps_per_epoch=self.steps_per_epoch,
            epochs=trainer.epochs, mode=config.early_stopping.mode,
        )
        self.callbacks = list(callbacks)
        self.state = LoopState()
        self.history: list[dict[str, float]] = []
        self._reset_running()
        self.samples_seen = 0
        self.train_seconds = 0.0

    # ---- running training loss of the epoch ---------------------------------------------
    def _reset_running(self, loss_sum: float = 0.0, count: int = 0) -> None:
        self._loss_sum = torch.tensor(loss_sum, dtype=torch.float64, device=self.fabric.device)
        self._count = int(count)

    def running_loss(self) -> float:
        """Mean training loss of the epoch so far (a host sync: call it when you need the number)."""
        return float(self._loss_sum) / max(1, self._count)

    # ---- events -------------------------------------------------------------------------
    def _fire(self, event: str, *args: Any) -> None:
        for callback in self.callbacks:
            getattr(callback, event)(self, *args)

    # ---- the loop -----------------------------------------------------------------------
    def fit(self) -> list[dict[str, float]]:
        trainer = self.config.trainer
        self._fire("on_fit_start")
        while self.state.epoch < trainer.epochs and not self.state.should_stop:
            self._fire("on_epoch_start")
            self.order.start_epoch(self.state.epoch)
            if self.order.position == 0:
                self._reset_running()
            started = time.perf_counter()
            self._train_epoch()
            self.train_seconds += time.perf_counter() - started
            metrics = self._end_of_epoch_metrics()
            self.history.append(metrics)
            self.schedule.step_after_epoch(metrics.get(self.config.early_stopping.metric))
            self.state.epoch += 1
            self._fire("on_epoch_end", metrics)
        self._fire("on_fit_end")
        return self.history

    def _train_epoch(self) -> None:
        trainer = self.config.trainer
        self.model.train()
        n_batches = len(self.order)
        for idx in self.order:
            batch = self.train_split.take(idx.to(self.fabric.device))
            micro = self.order.position  # 1-based count of micro-batches served this epoch
            boundary = micro % trainer.accumulate == 0 or micro == n_batches
            with self.fabric.no_backward_sync(self.model, enabled=not boundary):
                loss, _ = self.task.training_loss(self.model, batch)
                self.fabric.backward(loss / trainer.accumulate)
            size = int(idx.shape[0])
            self._loss_sum += loss.detach() * size  # stays on the device: no host sync per step
            self._count += size
            self.samples_seen += size
            if boundary:
                if trainer.grad_clip:
                    self.fabric.clip_gradients(self.model, self.optimizer, max_norm=trainer.grad_clip, error_if_nonfinite=False)
                self.optimizer.step()
                self.optimizer.zero_grad(set_to_none=True)
                self.schedule.step_after_optimizer()
                self.state.global_step += 1
                self._fire("on_optimizer_step")

    def _end_of_epoch_metrics(self) -> dict[str, float]:
        self.model.eval()
        val_metrics, _ = self.task.evaluate(self.model, self.val_split, self.config.trainer.eval_batch_size, "val")
        totals = torch.tensor([float(self._loss_sum), float(self._count)], dtype=torch.float64)
        if self.fabric.world_size > 1:
            totals = self.fabric.all_reduce(totals.to(self.fabric.device), reduce_op="sum").cpu()
        metrics = {"epoch": float(self.state.epoch), "train/loss": float(totals[0] / totals[1].clamp_min(1))}
        if not math.isfinite(metrics["train/loss"]):
            raise TrainingDiverged(
                f"the training loss is {metrics['train/loss']} in epoch {self.state.epoch + 1}: the run diverged. "
                f"Lower optim.lr (now {self.config.optim.lr:g}), set trainer.grad_clip, or check the data for "
                "extreme values; checkpoints written so far are kept."
            )
        metrics["lr"] = float(self.optimizer.param_groups[0]["lr"])
        metrics.update(val_metrics)
        return metrics

    # ---- checkpoints --------------------------------------------------------------------
    def checkpoint_state(self) -> dict[str, Any]:
        return {
            "format": CHECKPOINT_FORMAT,
            "model": self.model,
            "optimizer": self.optimizer,
            "schedule": self.schedule.state_dict(),
            "loop": self.state.state_dict(),
            "data_order": self.order.state_dict(),
            "running": {"loss_sum": float(self._loss_sum), "count": self._count},
            "history": list(self.history),
            "callbacks": {cb.name: cb.state_dict() for cb in self.callbacks},
            "rng": capture_rng_state(),
            "config": self.config.model_dump(mode="json"),
        }

    def save_checkpoint(self, path: Any) -> None:
        """Atomic: written to a temp file beside ``path`` and renamed over it.

        Every rank joins ``fabric.save`` (it gathers state and synchronises); rank 0 alone writes
        and renames, so the temp name is fixed rather than per-process.
        """
        path = Path(path)
        tmp = path.with_name(f".{path.name}.tmp")
        self.fabric.save(tmp, self.checkpoint_state())
        if self.fabric.is_global_zero:
            commit(tmp, path)
        self.fabric.barrier()

    def load_checkpoint(self, path: Any) -> None:
        state = {"model": self.model, "optimizer": self.optimizer}
        rest = self.fabric.load(path, state, weights_only=False)  # our own files: RNG states are numpy objects
        self.schedule.load_state_dict(rest["schedule"])
        self.state.load_state_dict(rest["loop"])
        self.order.load_state_dict(rest["data_order"])
        self._reset_running(rest["running"]["loss_sum"], rest["running"]["count"])
        self.history = list(rest["history"])
        for callback in self.callbacks:
            callback.load_state_dict(rest["callbacks"].get(callback.name, {}))
        restore_rng_state(rest["rng"])

    def load_weights(self, path: Any) -> None:
        self.fabric.load(path, {"model": self.model}, strict=False, weights_only=False)


def make_fabric(config: RunConfig) -> Fabric:
    trainer = config.trainer
    if trainer.threads:
        torch.set_num_threads(trainer.threads)
    strategy = "ddp" if trainer.devices > 1 else "auto"
    try:
        fabric = Fabric(
            accelerator=trainer.accelerator, devices=trainer.devices, precision=trainer.precision, strategy=strategy
        )
    except (RuntimeError, ValueError) as exc:  # e.g. cuda asked for on a machine without a GPU
        raise ConfigError(
            f"cannot set up trainer.accelerator={trainer.accelerator!r}, trainer.devices={trainer.devices}, "
            f"trainer.precision={trainer.precision!r}: {exc}. Pick settings this machine supports (e.g. accelerator: cpu)."
        ) from None
    # One process per device: started here by re-running the command (or already started by torchrun).
    fabric.launch()
    return fabric
