"""The supervised training loop: one compact, readable loop on Lightning Fabric, typed against :class:`Task`.

Fabric handles devices, precision and distributed strategies; the loop itself is ours because
(measured here) Lightning's Trainer costs 2-4x per step on small models and its resume does not
restore RNG state. The loop trains; the session around it (:mod:`scrimmage.engine.runner`) writes
checkpoint files, tracks, handles signals and builds the result. The loop's own checkpoint keys
(``loop_state``: position, schedule, data order, running loss; ``stateful``: the optimizer) go
into every checkpoint beside the session's (model, config, spec, task and callback state, RNG),
so a resumed run continues bit-for-bit in deterministic mode.

A loop for another paradigm implements the same few methods (see :class:`scrimmage.engine.session.Loop`)
and is registered in ``LOOPS`` (:mod:`scrimmage.engine.loop_configs`).
"""

from __future__ import annotations

import math
import time
from typing import Any

import torch
from lightning.fabric import Fabric
from torch import nn

from scrimmage.config.schema import RunConfig
from scrimmage.data.datamodule import DataBundle, EpochOrder
from scrimmage.engine.events import Callback, Context, Event, LoopState
from scrimmage.engine.optim import Schedule, trainable_parameters
from scrimmage.engine.session import LoopHost
from scrimmage.engine.tasks.base import Task
from scrimmage.errors import CheckpointError, ConfigError, TrainingDiverged


class TrainLoop:
    name = "supervised"
    required_keys = ("optimizer", "loop")
    """What a resumable checkpoint must hold for this loop (beside the session's keys)."""

    def __init__(self, config: RunConfig, fabric: Fabric, model: nn.Module, task: Task, data: DataBundle):
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
        self.state = LoopState(
            max_epochs=trainer.epochs, steps_per_epoch=steps_per_epoch, model=self.model,
            optimizer=self.optimizer, task=task, data=data, running_loss=self.running_loss,
        )
        self.host = LoopHost(self.state, Context(save_checkpoint=lambda path: None, load_weights=self.load_weights,
                                                 set_batch_size=self.set_batch_size,
                                                 is_main_process=fabric.is_global_zero))
        self._reset_running()

    @property
    def ctx(self) -> Context:
        return self.host.ctx

    @property
    def callbacks(self) -> list[Callback]:
        return self.host.callbacks

    def attach(self, host: LoopHost) -> None:
        """Take the session's host (callbacks, context, stop request); its context keeps this loop's own handles."""
        host.ctx.load_weights, host.ctx.set_batch_size = self.load_weights, self.set_batch_size
        host.state = self.state
        self.host = host

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
        state, host = self.state, self.host
        host.fire(Event.FIT_START)
        while state.epoch < state.max_epochs and not state.should_stop:
            self.order.start_epoch(state.epoch)
            if self.order.position == 0:
                self._reset_running()
            state.step_in_epoch = self.order.position // self.config.trainer.accumulate
            host.fire(Event.EPOCH_START)
            started = time.perf_counter()
            self._train_epoch()
            state.train_seconds += time.perf_counter() - started
            host.fire(Event.VALIDATION_START)
            metrics = self._end_of_epoch_metrics()
            state.metrics = metrics
            host.fire(Event.VALIDATION_END)
            state.history.append(metrics)
            self.schedule.step_after_epoch(metrics.get(self.config.monitor.metric))
            state.epoch += 1
            host.fire(Event.EPOCH_END)
            host.stop_point()
        host.fire(Event.FIT_END)
        return state.history

    def _train_epoch(self) -> None:
        trainer, state, fabric, host = self.config.trainer, self.state, self.fabric, self.host
        model, optimizer, task, split = self.train_model, self.raw_optimizer, self.task, self.train_split
        accumulate, clip, direct = trainer.accumulate, trainer.grad_clip, self.direct
        norm_only = not clip and state.want_grad_norm  # a callback wants the norm though nothing clips
        parameters = [p for p in self.model.parameters() if p.requires_grad]
        step_hooks = host.has(Event.OPTIMIZER_STEP)
        backward_hooks = host.has(Event.AFTER_BACKWARD)
        stop = host.stop
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
                if backward_hooks:
                    host.fire(Event.AFTER_BACKWARD)
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
                    host.fire(Event.OPTIMIZER_STEP)
                    if state.should_stop:  # a callback ended the run here (e.g. the last phase's step count)
                        break
                if stop.pending:
                    host.stop_point()

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

    # ---- checkpoints: the loop's own keys -------------------------------------------------
    def stateful(self) -> dict[str, Any]:
        """Objects Fabric saves and restores in place (top-level checkpoint keys)."""
        return {"optimizer": self.optimizer}

    def loop_state(self) -> dict[str, Any]:
        """The loop's position (checkpoint key ``loop``): where it is, the schedule, data order, running loss."""
        return {
            "name": self.name,
            "position": self.state.state_dict(),
            "schedule": self.schedule.state_dict(),
            "data_order": self.order.state_dict(),
            "running": {"loss_sum": float(self._loss_sum), "count": self._count},
        }

    def load_loop_state(self, saved: dict[str, Any]) -> None:
        try:
            self.schedule.load_state_dict(saved["schedule"])
            self.state.load_state_dict(saved["position"])
            self.order.load_state_dict(saved["data_order"])
            self._reset_running(saved["running"]["loss_sum"], saved["running"]["count"])
        except (KeyError, TypeError) as exc:
            raise CheckpointError(f"the checkpoint's supervised-loop state lacks {exc}; it is damaged or was written "
                                  "by another loop") from None

    def load_weights(self, path: Any) -> None:
        self.fabric.load(path, {"model": self.model}, strict=False, weights_only=False)


def unwrap_module(model: Any) -> nn.Module:
    """The user's module inside Fabric's wrapper (what checkpoints, reports and exports see)."""
    return getattr(model, "module", model)


def make_fabric(config: RunConfig) -> Fabric:
    """Fabric for the trainer's devices and precision (torch threads are set by the session, which restores them)."""
    trainer = config.trainer
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
