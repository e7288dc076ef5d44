"""The ensemble loop (``loop: {name: ensemble, seeds: [...]}``): a seed ensemble of mlps trained as one stack.

Members are the recipe's ``mlp`` stacked along a leading axis (:class:`~scrimmage.models.vectorized.VectorizedMLP`),
behind the task's own wrapper (input/target scaling). Per member, as a supervised run with
``trainer.seed`` = that seed would: its initialisation, its data order (``EpochOrder`` with its seed),
its loss (``task.training_loss`` on its own outputs), its gradient clipping (its own norm), its
validation metrics, its early stopping (the recipe's ``early_stopping`` patience and min_delta on
``monitor``), its best epoch and best weights. One forward and one backward serve every member.

A member stops (early stopping) or fails (its training loss goes non-finite) alone:
its parameters and its optimizer state (AdamW's ``exp_avg``, ``exp_avg_sq``; weight decay never
touches it) freeze exactly: before each optimizer step the loop keeps the stopped members' slices
and writes them back after it (hand-written: torch optimizers cannot mask part of a tensor, and
this works for any of them whose state tensors carry the member axis). The run ends when every
member has stopped or the epochs end; if every member failed it ends ``diverged``. Schedules that
step with the optimizer or the epoch are the same for every member, so one optimizer learning rate
serves them all. ``plateau`` follows each member's own metric: each member has its own torch
``ReduceLROnPlateau`` (on a one-parameter holder optimizer whose learning rate is that member's),
and a step's update of member ``m`` is scaled by ``lr_m / lr``: what a step at ``lr_m`` gives, up to
rounding, for AdamW, Adam and SGD, whose update is linear in the learning rate given their state
(the moments do not depend on it). What the loop cannot train is refused up front
(:meth:`~scrimmage.engine.loop_configs.EnsembleLoopConfig.check`).

A task's ``training_loss(model, batch)`` is called per member with a view of the model: calling it
on that member's batch returns its slice of the one stacked forward; any other input (a second
pass of the task's own) runs that member alone, so the loop stays generic over tasks.

The epoch's metrics (what the monitor, the progress bar and tracking see) are the mean over the
members that trained in it; each member's own values are in the checkpoint's ``members`` meta.
``best.ckpt`` (and ``final.ckpt`` with ``restore_best``) hold each member's own best weights. Everything resumes:
data orders, running losses, member states and best weights are in the loop's checkpoint keys.

The session's mean-metric ``early_stopping`` callback is taken out of the dispatch (each member
stops on its own metric here), so it never ends the run on the mean.
"""

from __future__ import annotations

import math
import time
from pathlib import Path
from typing import Any

import torch
from lightning.fabric import Fabric
from torch import Tensor, nn

from scrimmage.config.schema import RunConfig
from scrimmage.data.datamodule import DataBundle, EpochOrder
from scrimmage.engine.callbacks.early_stopping import is_improvement
from scrimmage.engine.events import Callback, Context, Dispatcher, Event, LoopState
from scrimmage.engine.session import LoopHost
from scrimmage.engine.tasks.base import Task
from scrimmage.errors import CheckpointError, TrainingDiverged
from scrimmage.models.vectorized import VectorizedMLP


class _MemberView:
    """What ``task.training_loss`` calls as "the model" for member ``m``: its slice of the stacked forward for
    its own batch (computed once per step for all members), or member ``m`` alone for any other input."""

    def __init__(self, loop: EnsembleLoop, m: int, batch: dict[str, Tensor]):
        self.loop, self.m, self.batch = loop, m, batch

    def __call__(self, batch: dict[str, Tensor], **kwargs: Any) -> Tensor:
        loop = self.loop
        if batch is self.batch:
            key = tuple(sorted(kwargs.items()))
            if key not in loop._stacked_out:
                with loop.net.use("stacked"):
                    loop._stacked_out[key] = loop.model(loop._stacked_batch, **kwargs)
            return loop._stacked_out[key][self.m]
        with loop.net.use(self.m):
            return loop.model(batch, **kwargs)


class _MembersSection(Callback):
    """Puts the members' meta in the run's result (``result["members"]``); no hooks, no checkpointed state."""

    name = "members"
    keeps_state = False

    def __init__(self, loop: EnsembleLoop):
        self.loop = loop

    def result_section(self) -> dict[str, Any]:
        return self.loop.members()


class EnsembleLoop:
    name = "ensemble"
    required_keys = ("optimizer", "loop")

    def __init__(self, config: RunConfig, fabric: Fabric, model: nn.Module, task: Task, data: DataBundle):
        loop_cfg = config.loop
        loop_cfg.check(config)  # type: ignore[attr-defined]
        self.config, self.fabric, self.task, self.data = config, fabric, task, data
        self.seeds = [int(s) for s in loop_cfg.seeds]  # type: ignore[attr-defined]
        trainer, mcfg = config.trainer, config.model
        n = len(data.splits["train"])
        self.orders = [EpochOrder(n, trainer.batch_size, seed) for seed in self.seeds]
        steps_per_epoch = len(self.orders[0])
        self.net = VectorizedMLP.from_seeds(data.spec, task.n_outputs(), self.seeds, mcfg.hidden, mcfg.dropout,  # type: ignore[attr-defined]
                                            mcfg.activation, mcfg.embedding_dim)  # type: ignore[attr-defined]
        device = fabric.device
        self.model = task.build_model(self.net, data.splits["train"]).to(device)  # the task's scaling, fitted as a run would
        self.optimizer = config.optim.build([p for p in self.model.parameters() if p.requires_grad])
        self.schedule = config.scheduler.build(self.optimizer, steps_per_epoch=steps_per_epoch, epochs=trainer.epochs,
                                               mode=config.monitor.mode)
        self.plateau = config.scheduler.name == "plateau"  # the optimizer's own plateau schedule is never stepped
        self._lr_holders = [torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=config.optim.lr)
                            for _ in self.seeds] if self.plateau else []
        self.member_schedules = [config.scheduler.build(holder, steps_per_epoch=steps_per_epoch, epochs=trainer.epochs,
                                                        mode=config.monitor.mode) for holder in self._lr_holders]
        self.train_split = task.prepare(self.model, data.splits["train"].to(device))
        self.val_split = data.splits["val"].to(device)
        stopping = next((c for c in config.callbacks if c.name == "early_stopping"), None)
        self.patience = stopping.patience if stopping is not None else None  # type: ignore[attr-defined]
        self.min_delta = float(stopping.min_delta) if stopping is not None else 0.0  # type: ignore[attr-defined]
        size = len(self.seeds)
        self.status = ["running"] * size
        self.best: list[float | None] = [None] * size
        self.best_epoch = [0] * size
        self.stop_best: list[float | None] = [None] * size  # early stopping's best (with min_delta)
        self.bad_epochs = [0] * size
        self.stopped_epoch: list[int | None] = [None] * size
        self.errors: list[str | None] = [None] * size
        self.last: list[dict[str, float]] = [{} for _ in self.seeds]
        self.best_weights = {k: v.detach().clone() for k, v in self.net.state_dict().items()}
        self.state = LoopState(max_epochs=trainer.epochs, steps_per_epoch=steps_per_epoch, model=self.model,
                               optimizer=self.optimizer, task=task, data=data, running_loss=self.running_loss)
        self.host = LoopHost(self.state, Context(save_checkpoint=lambda path: None, load_weights=self.load_weights))
        self._reset_running()
        self._stacked_batch: dict[str, Tensor] = {}
        self._stacked_out: dict[Any, Tensor] = {}
        self._best_written: int | None = None

    # ---- session hooks ---------------------------------------------------------------------
    def attach(self, host: LoopHost) -> None:
        """Take the session's host; the mean-metric early stopping leaves the dispatch (members stop on their own)."""
        host.ctx.load_weights = self.load_weights
        host.ctx.set_batch_size = None
        host.state = self.state
        host.dispatch = Dispatcher([cb for cb in host.callbacks if cb.name != "early_stopping"])
        host.callbacks.append(_MembersSection(self))  # the result's ``members`` section (campaign results read it)
        save = host.ctx.save_checkpoint

        def save_checkpoint(path: Any) -> None:  # best.ckpt, whoever writes it, holds each member's own best weights
            if Path(path).name != "best.ckpt":
                save(path)
                return
            live = {k: v.detach().clone() for k, v in self.net.state_dict().items()}
            try:
                self._swap_in_best()
                save(path)
            finally:
                self.net.load_state_dict(live)
            self._best_written = self.state.epoch

        host.ctx.save_checkpoint = save_checkpoint
        self.host = host

    def live(self) -> list[int]:
        return [m for m, status in enumerate(self.status) if status == "running"]

    def _reset_running(self, sums: list[float] | None = None, count: int = 0) -> None:
        values = sums if sums is not None else [0.0] * len(self.seeds)
        self._loss_sums = torch.tensor(values, dtype=torch.float64, device=self.fabric.device)
        self._count = int(count)

    def running_loss(self) -> float:
        live = self.live()
        if not live or not self._count:
            return float("nan")
        return float(self._loss_sums[live].mean()) / self._count

    # ---- the loop ------------------------------------------------------------------------
    def fit(self) -> list[dict[str, float]]:
        state, host = self.state, self.host
        host.fire(Event.FIT_START)
        while state.epoch < state.max_epochs and not state.should_stop:
            for order in self.orders:
                order.start_epoch(state.epoch)
            if self.orders[0].position == 0:
                self._reset_running()
            state.step_in_epoch = self.orders[0].position
            host.fire(Event.EPOCH_START)
            started = time.perf_counter()
            self._train_epoch()
            state.train_seconds += time.perf_counter() - started
            host.fire(Event.VALIDATION_START)
            improved = self._end_of_epoch()
            host.fire(Event.VALIDATION_END)
            state.history.append(state.metrics)
            self.schedule.step_after_epoch(None)
            state.epoch += 1
            host.fire(Event.EPOCH_END)
            self._write_best(improved)
            if not self.live():
                state.should_stop = True
                state.stop_reason = state.stop_reason or "every member stopped (early stopping)"
            host.stop_point()
        host.fire(Event.FIT_END)
        if self.config.checkpoint.restore_best:
            self._swap_in_best()
        return state.history

    def _train_epoch(self) -> None:
        state, host, task = self.state, self.host, self.task
        size = len(self.seeds)
        clip = self.config.trainer.grad_clip
        params = [p for p in self.model.parameters() if p.requires_grad]
        step_hooks = host.has(Event.OPTIMIZER_STEP)
        backward_hooks = host.has(Event.AFTER_BACKWARD)
        self.model.train()
        for indices in zip(*self.orders, strict=True):
            live = self.live()
            if not live:
                break
            idx = torch.stack(indices).to(self.fabric.device)  # [members, batch]: each member's own rows
            flat = self.train_split.take(idx.flatten())
            self._stacked_batch = {k: v.view(size, idx.shape[1], *v.shape[1:]) for k, v in flat.items()}
            self._stacked_out = {}
            losses = []
            for m in live:
                batch = {k: v[m] for k, v in self._stacked_batch.items()}
                loss, _ = task.training_loss(_MemberView(self, m, batch), batch)  # type: ignore[arg-type]
                losses.append(loss)
            self._stacked_out = {}
            values = torch.stack([loss.detach() for loss in losses]).to(torch.float64)
            finite = torch.isfinite(values).tolist()
            if not all(finite):  # a member diverged: it freezes, marked failed; the others go on
                for m, loss, ok in zip(live, losses, finite, strict=True):
                    if not ok:
                        self._fail(m, f"training loss {float(loss.detach())} in epoch {state.epoch + 1}")
                losses = [loss for loss, ok in zip(losses, finite, strict=True) if ok]
                values = values[torch.tensor(finite)]
                live = self.live()
                self._check_all_failed()
                if not live:
                    break
            total = torch.stack(losses).sum()  # members share no parameter: each gets exactly its own gradient
            total.backward()
            self._loss_sums[live] += values * idx.shape[1]
            self._count += int(idx.shape[1])
            state.samples_seen += int(idx.shape[1]) * len(live)
            if backward_hooks:
                host.fire(Event.AFTER_BACKWARD)
            if clip or state.want_grad_norm:  # callbacks read one norm: the largest of the live members'
                state.grad_norm = _clip_per_member(params, clip)[live].max()
            self._step(params, live)
            self.schedule.step_after_optimizer()
            state.global_step += 1
            if step_hooks:
                state.step_in_epoch += 1
                host.fire(Event.OPTIMIZER_STEP)
                if state.should_stop:
                    break
            if host.stop.pending:
                host.stop_point()

    def _step(self, params: list[Tensor], live: list[int]) -> None:
        """One optimizer step in which the members not live keep their parameters and optimizer state exactly."""
        size = len(self.seeds)
        frozen = [m for m in range(size) if m not in set(live)]
        ratios = self._lr_ratios()
        if ratios is not None:  # each member's own plateau LR: its update scaled by lr_m / lr (linear in the LR)
            before = [p.detach().clone() for p in params]
        if not frozen:
            self.optimizer.step()
            self.optimizer.zero_grad(set_to_none=True)
            if ratios is not None:
                _scale_updates(params, before, ratios)
            return
        keep = torch.zeros(size, dtype=torch.bool, device=self.fabric.device)
        keep[frozen] = True
        tensors = [*params]
        for p in params:
            tensors += [v for v in self.optimizer.state.get(p, {}).values()
                        if isinstance(v, Tensor) and v.dim() > 0 and v.shape[0] == size]
        saved = [t.detach()[keep].clone() for t in tensors]
        self.optimizer.step()
        self.optimizer.zero_grad(set_to_none=True)
        if ratios is not None:
            _scale_updates(params, before, ratios)
        with torch.no_grad():
            for p in params:  # state created by this step (the first one) is written back too
                for v in self.optimizer.state.get(p, {}).values():
                    if isinstance(v, Tensor) and v.dim() > 0 and v.shape[0] == size and not any(v is t for t in tensors):
                        v[keep] = 0
            for t, old in zip(tensors, saved, strict=True):
                t.detach()[keep] = old

    def member_lr(self, m: int) -> float:
        """Member ``m``'s learning rate (its own under ``plateau``; else the optimizer's)."""
        holder = self._lr_holders[m] if self.plateau else self.optimizer
        return float(holder.param_groups[0]["lr"])

    def _lr_ratios(self) -> Tensor | None:
        """``lr_m / lr`` per member when a member's plateau LR differs from the optimizer's, else None."""
        if not self.plateau:
            return None
        base = float(self.optimizer.param_groups[0]["lr"])
        ratios = [self.member_lr(m) / base for m in range(len(self.seeds))]
        if all(r == 1.0 for r in ratios):
            return None
        return torch.tensor(ratios, dtype=torch.float32, device=self.fabric.device)

    def _check_all_failed(self) -> None:
        """The run diverged when every member failed (members that stopped early end it normally)."""
        if all(status == "failed" for status in self.status):
            reasons = "; ".join(f"seed{seed}: {error}" for seed, error in zip(self.seeds, self.errors, strict=True))
            raise TrainingDiverged(f"every member of the ensemble failed ({reasons}). Lower optim.lr (now "
                                   f"{self.config.optim.lr:g}) or set trainer.grad_clip; checkpoints so far are kept.")

    def _fail(self, m: int, reason: str) -> None:
        self.status[m] = "failed"
        self.errors[m] = reason
        self.stopped_epoch[m] = self.state.epoch + 1
        self.host.ctx.print(f"member seed{self.seeds[m]} failed: {reason}; it is frozen, the others go on")

    def _end_of_epoch(self) -> bool:
        """Each live member's metrics, best and early stopping; the epoch's metrics are their mean. True if a best moved."""
        state, config = self.state, self.config
        metric, mode = config.monitor.metric, config.monitor.mode
        epoch = state.epoch + 1
        trained = self.live()
        rows: list[dict[str, float]] = []
        improved = False
        self.model.eval()
        for m in trained:
            with self.net.use(m):
                evaluation = self.task.evaluate(self.model, self.val_split, config.trainer.eval_batch_size, "val")
            row = {"train/loss": float(self._loss_sums[m]) / max(1, self._count), **evaluation.metrics}
            self.last[m] = row
            rows.append(row)
            value = row.get(metric, float("nan"))
            if not math.isfinite(row["train/loss"]):
                self._fail(m, f"training loss {row['train/loss']} in epoch {epoch}")
                continue
            if self.plateau:
                self.member_schedules[m].step_after_epoch(value)
            if is_improvement(value, self.best[m], mode, 0.0):
                self.best[m], self.best_epoch[m] = value, epoch
                self._keep_best(m)
                improved = True
            if self.patience is None:
                continue
            if is_improvement(value, self.stop_best[m], mode, self.min_delta):
                self.stop_best[m], self.bad_epochs[m] = value, 0
            else:
                self.bad_epochs[m] += 1
                if self.bad_epochs[m] >= self.patience:
                    self.status[m] = "done"
                    self.stopped_epoch[m] = epoch
        self._check_all_failed()
        lrs = [self.member_lr(m) for m in trained] or [float(self.optimizer.param_groups[0]["lr"])]
        metrics = {"epoch": float(epoch), "lr": sum(lrs) / len(lrs)}
        keys = dict.fromkeys(k for row in rows for k in row)
        for key in keys:
            values = [row[key] for row in rows if key in row and math.isfinite(row[key])]
            metrics[key] = sum(values) / len(values) if values else float("nan")
        metrics["members_live"] = float(len(self.live()))
        state.metrics = metrics
        return improved

    # ---- best weights ------------------------------------------------------------------------
    def _keep_best(self, m: int) -> None:
        with torch.no_grad():
            for key, value in self.net.state_dict().items():
                self.best_weights[key][m].copy_(value[m])

    def _swap_in_best(self) -> None:
        """Each member that has a best epoch gets its best weights back (restore_best, per member)."""
        with torch.no_grad():
            for key, value in self.net.state_dict().items():
                for m in range(len(self.seeds)):
                    if self.best_epoch[m]:
                        value[m].copy_(self.best_weights[key][m])

    def _write_best(self, improved: bool) -> None:
        """best.ckpt follows each member's own best: rewritten when a member improved in an epoch in which the
        checkpoint callback (which follows the mean) did not write it."""
        if not improved or self.config.checkpoint.save_top_k < 1 or self.host.ctx.run_dir is None:
            return
        if self._best_written != self.state.epoch:
            self.host.ctx.save_checkpoint(Path(self.host.ctx.run_dir) / "checkpoints" / "best.ckpt")

    # ---- checkpoint keys -------------------------------------------------------------------
    def members(self) -> dict[str, Any]:
        """Checkpoint key ``members``: names and each member's seed, best epoch and metric, stop epoch, status."""
        finished = self.state.should_stop or self.state.epoch >= self.state.max_epochs
        meta = []
        for m, seed in enumerate(self.seeds):
            status = self.status[m]
            if status == "running" and finished:
                status = "done"
            meta.append({"seed": seed, "metric": self.config.monitor.metric, "best_metric": self.best[m],
                         "best_epoch": self.best_epoch[m] or None, "stopped_epoch": self.stopped_epoch[m],
                         "status": status, "error": self.errors[m], "last": dict(self.last[m])})
        return {"names": [f"seed{s}" for s in self.seeds], "meta": meta}

    def stateful(self) -> dict[str, Any]:
        return {"optimizer": self.optimizer}

    def loop_state(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "seeds": list(self.seeds),
            "position": self.state.state_dict(),
            "schedule": self.schedule.state_dict(),
            "data_orders": [order.state_dict() for order in self.orders],
            "running": {"loss_sums": self._loss_sums.tolist(), "count": self._count},
            "members": {"status": list(self.status), "best": list(self.best), "best_epoch": list(self.best_epoch),
                        "stop_best": list(self.stop_best), "bad_epochs": list(self.bad_epochs),
                        "stopped_epoch": list(self.stopped_epoch), "errors": list(self.errors),
                        "last": [dict(row) for row in self.last]},
            "best_weights": {k: v.clone() for k, v in self.best_weights.items()},
            "member_lr": {"lrs": [self.member_lr(m) for m in range(len(self.seeds))],
                          "schedules": [schedule.state_dict() for schedule in self.member_schedules]} if self.plateau else None,
        }

    def load_loop_state(self, saved: dict[str, Any]) -> None:
        try:
            if [int(s) for s in saved["seeds"]] != self.seeds:
                raise CheckpointError(f"the checkpoint's ensemble has seeds {saved['seeds']}, the config {self.seeds}; "
                                      "resume with the run's own seeds, or start a new run.")
            members = saved["members"]
            size = len(self.seeds)
            if any(len(members[key]) != size for key in ("status", "best", "best_epoch", "bad_epochs", "stopped_epoch")) \
                    or len(saved["data_orders"]) != size or set(saved["best_weights"]) != set(self.best_weights):
                raise CheckpointError("the checkpoint's ensemble state does not pair up with its seeds; it is damaged. "
                                      "Resume from another checkpoint of the run, or start a new run.")
            self.schedule.load_state_dict(saved["schedule"])
            self.state.load_state_dict(saved["position"])
            for order, order_state in zip(self.orders, saved["data_orders"], strict=True):
                order.load_state_dict(order_state)
            self._reset_running(list(saved["running"]["loss_sums"]), saved["running"]["count"])
            self.status = list(members["status"])
            self.best, self.best_epoch = list(members["best"]), [int(e) for e in members["best_epoch"]]
            self.stop_best, self.bad_epochs = list(members["stop_best"]), [int(b) for b in members["bad_epochs"]]
            self.stopped_epoch, self.errors = list(members["stopped_epoch"]), list(members["errors"])
            self.last = [dict(row) for row in members["last"]]
            with torch.no_grad():
                for key, value in saved["best_weights"].items():
                    self.best_weights[key].copy_(value)
            if self.plateau:
                member_lr = saved["member_lr"]
                for holder, schedule, lr, state in zip(self._lr_holders, self.member_schedules, member_lr["lrs"],
                                                       member_lr["schedules"], strict=True):
                    schedule.load_state_dict(state)
                    holder.param_groups[0]["lr"] = float(lr)
            self._revive()
        except (KeyError, TypeError, ValueError) as exc:
            raise CheckpointError(f"the checkpoint's ensemble-loop state lacks or mangles {exc}; it is damaged or was "
                                  "written by another loop") from None

    def _revive(self) -> None:
        """Members early stopping ended train on when a resume gives them a larger patience (as a supervised run does)."""
        if self.patience is None:
            return
        for m, status in enumerate(self.status):
            if status == "done" and self.errors[m] is None and self.bad_epochs[m] < self.patience:
                self.status[m], self.stopped_epoch[m] = "running", None
        if self.live() and self.state.should_stop and self.state.stop_reason.startswith("every member stopped"):
            self.state.should_stop, self.state.stop_reason = False, ""

    def load_weights(self, path: Any) -> None:
        state = torch.load(path, map_location=self.fabric.device, weights_only=False)
        self.model.load_state_dict(state["model"])


@torch.no_grad()
def _scale_updates(params: list[Tensor], before: list[Tensor], ratios: Tensor) -> None:
    """``p = before + ratio_m * (p - before)`` per member: member m's step as if its LR were ``ratio_m * lr``."""
    for p, old in zip(params, before, strict=True):
        ratio = ratios.view(-1, *([1] * (p.dim() - 1)))
        p.copy_(torch.where(ratio == 1.0, p, old + ratio * (p - old)))  # ratio 1: the step as taken, not re-rounded


def _clip_per_member(params: list[Tensor], max_norm: float | None) -> Tensor:
    """Each member's gradients clipped by its own total norm (as ``clip_grad_norm_`` on its own run; ``None`` or 0:
    not clipped); the norms before clipping [M]."""
    grads = [p.grad for p in params if p.grad is not None]
    squares = torch.stack([g.detach().pow(2).flatten(1).sum(1) for g in grads]).sum(0)
    norms = squares.sqrt()
    if not max_norm:
        return norms
    coef = (max_norm / (norms + 1e-6)).clamp(max=1.0)
    for g in grads:
        g.detach().mul_(coef.view(-1, *([1] * (g.dim() - 1))))
    return norms
