"""The supervised training loop: one compact, readable loop on Lightning Fabric, typed against :class:`Task`.

Fabric handles devices, precision and distributed strategies; the loop itself is ours because
(measured here) Lightning's Trainer costs 2-4x per step on small models and its resume does not
restore RNG state. Every checkpoint holds model, optimizer, schedule, loop position, data order,
callback state and RNG states, plus what rebuilds the model alone (config, input spec, data
version), so a resumed run continues bit-for-bit in deterministic mode.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import torch
from lightning.fabric import Fabric
from torch import nn

import scrimmage
from scrimmage.config.schema import RunConfig
from scrimmage.data.datamodule import DataBundle, EpochOrder
from scrimmage.engine.events import Callback, Context, Dispatcher, Event, LoopState
from scrimmage.engine.optim import Schedule, trainable_parameters
from scrimmage.engine.rng import capture_rng_state, restore_rng_state
from scrimmage.engine.signals import StopRequest
from scrimmage.engine.tasks.base import Task
from scrimmage.errors import CheckpointError, ConfigError, TrainingDiverged, TrainingInterrupted
from scrimmage.io import commit

CHECKPOINT_FORMAT = 2
REQUIRED_KEYS = ("format", "model", "optimizer", "schedule", "loop", "data_order", "running", "history", "callbacks", "rng", "config")


class TrainLoop:
    def __init__(
        self,
        config: RunConfig,
        fabric: Fabric,
        model: nn.Module,
        task: Task,
        data: DataBundle,
        callbacks: Sequence[Callback] = (),
        log: Callable[[dict[str, float], int], None] | None = None,
        print_fn: Callable[[str], None] | None = None,
    ):
        self.config, self.fabric, self.task, self.data = config, fabric, task, data
        trainer = config.trainer
        self.order = EpochOrder(
            len(data.splits["train"]), trainer.batch_size, trainer.seed,
            rank=fabric.global_rank, world_size=fabric.world_size,
        )
        steps_per_epoch = -(-len(self.order) // trainer.accumulate)
        optimizer = config.optim.build(trainable_parameters(model))
        self.model, self.optimizer = fabric.setup(model, optimizer)
        # One process at full precision: call the module, backward and the optimizer directly.
        # Fabric's wrappers only add precision casts and gradient sync there, and on a small
        # model their per-step Python calls cost several percent of the step.
        self.direct = fabric.world_size == 1 and trainer.precision == "32-true"
        self.train_model = self.model.module if self.direct else self.model
        self.raw_optimizer = self.optimizer.optimizer if self.direct else self.optimizer
        device = fabric.device
        self.train_split = task.prepare(model, data.splits["train"].to(device))  # scaled once, not per step
        self.val_split = data.splits["val"].to(device)
        self.schedule: Schedule = config.scheduler.build(  # on the torch optimizer: its step() is what runs
            self.optimizer.optimizer, steps_per_epoch=steps_per_epoch, epochs=trainer.epochs, mode=config.monitor.mode,
        )
        self.callbacks = list(callbacks)
        self.dispatch = Dispatcher(self.callbacks)
        self.state = LoopState(
            max_epochs=trainer.epochs, steps_per_epoch=steps_per_epoch, model=self.model,
            optimizer=self.optimizer, task=task, running_loss=self.running_loss,
        )
        self.ctx = Context(
            save_checkpoint=self.save_checkpoint, load_weights=self.load_weights,
            log=log or (lambda metrics, step: None), print=print_fn or (lambda text: None),
            is_main_process=fabric.is_global_zero, set_batch_size=self.set_batch_size,
        )
        self._reset_running()
        self.stop: StopRequest = StopRequest()  # the runner swaps in the one its signal handlers set
        self.on_stop: Callable[[], None] | None = None  # what to save before stopping for a signal

    def set_callbacks(self, callbacks: Sequence[Callback], log: Callable[[dict[str, float], int], None] | None = None) -> None:
        """Attach callbacks after construction: the run folder they write to exists only once the
        optimizer, schedule and data are known to work."""
        self.callbacks = list(callbacks)
        self.dispatch = Dispatcher(self.callbacks)
        if log is not None:
            self.ctx.log = log

    def set_batch_size(self, size: int) -> None:
        """Serve micro-batches of ``size`` (see :attr:`Context.set_batch_size`); the epoch's step count follows."""
        self.order.batch_size = int(size)
        self.state.steps_per_epoch = -(-len(self.order) // self.config.trainer.accumulate)

    @property
    def history(self) -> list[dict[str, float]]:
        return self.state.history

    # ---- running training loss of the epoch ---------------------------------------------
    def _reset_running(self, loss_sum: float = 0.0, count: int = 0) -> None:
        self._loss_sum = torch.tensor(loss_sum, dtype=torch.float64, device=self.fabric.device)
        self._count = int(count)

    def running_loss(self) -> float:
        """Mean training loss of the epoch so far (a host sync: call it when you need the number)."""
        return float(self._loss_sum) / max(1, self._count)

    # ---- the loop -----------------------------------------------------------------------
    def fit(self) -> list[dict[str, float]]:
        state = self.state
        self.dispatch(Event.FIT_START, state, self.ctx)
        while state.epoch < state.max_epochs and not state.should_stop:
            self.order.start_epoch(state.epoch)
            if self.order.position == 0:
                self._reset_running()
            state.step_in_epoch = self.order.position // self.config.trainer.accumulate
            self.dispatch(Event.EPOCH_START, state, self.ctx)
            started = time.perf_counter()
            self._train_epoch()
            state.train_seconds += time.perf_counter() - started
            metrics = self._end_of_epoch_metrics()
            state.metrics = metrics
            state.history.append(metrics)
            self.schedule.step_after_epoch(metrics.get(self.config.monitor.metric))
            state.epoch += 1
            self.dispatch(Event.EPOCH_END, state, self.ctx)
            if self.stop.signum is not None:
                self._stop_for_signal()
        self.dispatch(Event.FIT_END, state, self.ctx)
        return state.history

    def _train_epoch(self) -> None:
        trainer, state, fabric = self.config.trainer, self.state, self.fabric
        model, optimizer, task, split = self.train_model, self.raw_optimizer, self.task, self.train_split
        accumulate, clip, direct = trainer.accumulate, trainer.grad_clip, self.direct
        norm_only = not clip and state.want_grad_norm  # a callback wants the norm though nothing clips
        parameters = [p for p in self.model.parameters() if p.requires_grad]
        step_hooks = self.dispatch.has(Event.OPTIMIZER_STEP)
        stop = self.stop
        n_batches = len(self.order)
        device = fabric.device
        self.model.train()
        for idx in self.order:
            batch = split.take(idx if idx.device == device else idx.to(device))
            micro = self.order.position  # 1-based count of micro-batches served this epoch
            boundary = accumulate == 1 or micro % accumulate == 0 or micro == n_batches
            if direct:
                loss, _ = task.training_loss(model, batch)
                (loss / accumulate if accumulate > 1 else loss).backward()
            else:
                with fabric.no_backward_sync(self.model, enabled=not boundary):
                    loss, _ = task.training_loss(model, batch)
                    fabric.backward(loss / accumulate)
            size = int(idx.shape[0])
            self._loss_sum.add_(loss.detach(), alpha=size)  # stays on the device: no host sync per step
            self._count += size
            state.samples_seen += size
            if boundary:
                if clip:  # both return the norm before clipping (state.grad_norm)
                    if direct:
                        state.grad_norm = torch.nn.utils.clip_grad_norm_(parameters, clip, foreach=True)
                    else:
                        state.grad_norm = fabric.clip_gradients(self.model, self.optimizer, max_norm=clip, error_if_nonfinite=False)
                elif norm_only:
                    if direct:
                        state.grad_norm = torch.nn.utils.get_total_norm([p.grad for p in parameters if p.grad is not None], foreach=True)
                    else:  # through Fabric so mixed-precision gradients are unscaled first; an infinite norm clips nothing
                        state.grad_norm = fabric.clip_gradients(self.model, self.optimizer, max_norm=math.inf, error_if_nonfinite=False)
                optimizer.step()
                optimizer.zero_grad(set_to_none=True)
                self.schedule.step_after_optimizer()
                state.global_step += 1
                if step_hooks:
                    state.step_in_epoch += 1
                    self.dispatch(Event.OPTIMIZER_STEP, state, self.ctx)
                    if state.should_stop:  # a callback ended the run here (e.g. the last phase's step count)
                        break
                if stop.signum is not None:
                    self._stop_for_signal()

    def _stop_for_signal(self) -> None:
        """Checkpoint at this optimizer step (a consistent state) and stop the run."""
        if self.on_stop is not None:
            self.on_stop()
        raise TrainingInterrupted(f"stopped by {self.stop.name}", exit_code=self.stop.exit_code)

    def _end_of_epoch_metrics(self) -> dict[str, float]:
        self.model.eval()
        evaluation = self.task.evaluate(self.model, self.val_split, self.config.trainer.eval_batch_size, "val")
        totals = torch.tensor([float(self._loss_sum), float(self._count)], dtype=torch.float64)
        if self.fabric.world_size > 1:
            totals = self.fabric.all_reduce(totals.to(self.fabric.device), reduce_op="sum").cpu()
        epoch = self.state.epoch + 1  # 1-based, like checkpoint names, logs and MLflow steps
        metrics = {"epoch": float(epoch), "train/loss": float(totals[0] / totals[1].clamp_min(1))}
        if not math.isfinite(metrics["train/loss"]):
            raise TrainingDiverged(
                f"the training loss is {metrics['train/loss']} in epoch {epoch}: the run diverged. "
                f"Lower optim.lr (now {self.config.optim.lr:g}), set trainer.grad_clip, or check the data for "
                "extreme values; checkpoints written so far are kept."
            )
        metrics["lr"] = float(self.optimizer.param_groups[0]["lr"])
        metrics.update(evaluation.metrics)
        return metrics

    # ---- checkpoints --------------------------------------------------------------------
    def checkpoint_state(self) -> dict[str, Any]:
        return {
            "format": CHECKPOINT_FORMAT,
            "scrimmage_version": scrimmage.__version__,
            "model": self.model,
            "optimizer": self.optimizer,
            "schedule": self.schedule.state_dict(),
            "loop": self.state.state_dict(),
            "data_order": self.order.state_dict(),
            "running": {"loss_sum": float(self._loss_sum), "count": self._count},
            "history": list(self.state.history),
            "callbacks": {cb.name: cb.state_dict() for cb in self.callbacks},
            "rng": capture_rng_state(),
            "config": self.config.model_dump(mode="json"),
            # what rebuilds the model from this file alone (scrimmage.load_model)
            "task": self.config.task.name,
            "spec": self.data.spec.to_dict(),
            "data_version": self.data.version,
        }

    def save_checkpoint(self, path: Any) -> None:
        """Atomic: written to a temp file beside ``path`` and renamed over it.

        Every rank joins ``fabric.save`` (it gathers state and synchronises); rank 0 alone writes
        and renames, so the temp name is fixed rather than per-process.
        """
        path = Path(path)
        tmp = path.with_name(f".{path.name}.tmp")
        try:
            self.fabric.save(tmp, self.checkpoint_state())
            if self.fabric.is_global_zero:
                commit(tmp, path)
        except BaseException:
            tmp.unlink(missing_ok=True)  # never leave a half-written temp file behind
            raise
        self.fabric.barrier()

    def load_checkpoint(self, path: Any) -> None:
        state = {"model": self.model, "optimizer": self.optimizer}
        try:
            rest = self.fabric.load(path, state, weights_only=False)  # our own files: RNG states are numpy objects
        except (RuntimeError, KeyError, ValueError) as exc:
            raise CheckpointError(f"checkpoint {path} does not fit this model ({str(exc).splitlines()[0]}); "
                                  "resume with the run's own config, or start a new run.") from None
        missing = [key for key in REQUIRED_KEYS if key not in rest and key not in state]
        if missing:
            raise CheckpointError(f"checkpoint {path} lacks {missing}; it is damaged or not a scrimmage checkpoint.")
        self.schedule.load_state_dict(rest["schedule"])
        self.state.load_state_dict(rest["loop"])
        self.order.load_state_dict(rest["data_order"])
        self._reset_running(rest["running"]["loss_sum"], rest["running"]["count"])
        self.state.history[:] = list(rest["history"])
        if self.state.history:
            self.state.metrics = self.state.history[-1]
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
    return fabric
