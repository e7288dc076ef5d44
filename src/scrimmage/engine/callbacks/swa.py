"""Stochastic weight averaging (SWA): the test evaluates the mean of the end-of-epoch weights.

Built on :mod:`torch.optim.swa_utils`: :class:`~torch.optim.swa_utils.AveragedModel` keeps the
running mean (a copy of the user's module, made at FIT_START) and is updated at each EPOCH_END
from ``start_epoch`` on (1-based: the epoch just finished is averaged, before the checkpoint
callback saves, so every checkpoint holds the average so far); :class:`~torch.optim.swa_utils.SWALR`
anneals the learning rate to ``lr`` when one is given (created at the start epoch's EPOCH_START,
stepped at each EPOCH_END from then on; ``scheduler.name: constant`` keeps the recipe's schedule
out of its way); :func:`~torch.optim.swa_utils.update_bn` recomputes the batch-norm statistics.
``update_bn`` expects a loader of tensors, but it calls ``model(batch)`` on whatever the loader
yields when ``device`` is None, so it is given the training split's batch dicts
(``split.batches(trainer.batch_size)``, raw, moved to the model's device), and the model is the
Fabric-wrapped one (its precision handling applies); no hand-written BN pass is needed. As in torch,
the pass runs in train mode under no_grad (dropout is active; its random draws come from the
restored RNG, so a resumed run makes the same pass).

FIT_END: the averaged weights are copied into the model, its batch-norm statistics recomputed, the
averaged model validated (its metrics are this callback's ``result_section`` and are logged as
``swa/val/...``), and it stays in the model, so the test and the reports evaluate the SWA model.
The runner loads best.ckpt before the test when ``checkpoint.restore_best`` is true, so the
schema asks for ``restore_best: false``. Checkpoints (last.ckpt, best.ckpt) hold the training
weights of their epoch and, in this callback's state, the averaged parameters and ``n_averaged``
(and SWALR's position), so a resumed run averages the same weights. Nothing is averaged before
``start_epoch``; if training stops first, the last weights are tested.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import torch

from scrimmage.engine.events import Callback, Context, LoopState
from scrimmage.errors import CheckpointError


class SWA(Callback):
    name = "swa"

    def __init__(self, start_epoch: int, lr: float | None = None, anneal_epochs: int = 0, anneal_strategy: str = "cos",
                 update_bn: bool = True, batch_size: int = 256, eval_batch_size: int = 1024):
        self.start_epoch, self.lr, self.anneal_epochs, self.anneal_strategy = start_epoch, lr, anneal_epochs, anneal_strategy
        self.update_bn, self.batch_size, self.eval_batch_size = update_bn, batch_size, eval_batch_size
        self.averaged: Any = None  # torch.optim.swa_utils.AveragedModel
        self.scheduler: Any = None  # torch.optim.swa_utils.SWALR, from start_epoch on (when lr is set)
        self._loaded: dict[str, Any] | None = None
        self.bn_updated = False
        self.val: dict[str, float] = {}

    @property
    def n_averaged(self) -> int:
        return int(self.averaged.n_averaged) if self.averaged is not None else 0

    def _module(self, state: LoopState) -> torch.nn.Module:
        return getattr(state.model, "module", state.model)

    def _optimizer(self, state: LoopState) -> Any:
        return getattr(state.optimizer, "optimizer", state.optimizer)  # the torch optimizer inside Fabric's wrapper

    def _make_scheduler(self, state: LoopState) -> None:
        from torch.optim.swa_utils import SWALR

        self.scheduler = SWALR(self._optimizer(state), swa_lr=self.lr, anneal_epochs=self.anneal_epochs,
                               anneal_strategy=self.anneal_strategy)

    # ---- events ---------------------------------------------------------------------------
    def on_fit_start(self, state: LoopState, ctx: Context) -> None:
        from torch.optim.swa_utils import AveragedModel

        self.averaged = AveragedModel(self._module(state))  # the running mean of the weights, buffers kept in sync
        saved, self._loaded = self._loaded, None
        if not saved:
            return
        try:
            self.averaged.load_state_dict(saved["averaged"])
        except (RuntimeError, KeyError) as exc:
            raise CheckpointError(f"the checkpoint's SWA average does not fit this model ({str(exc).splitlines()[0]}); "
                                  "resume with the run's own config, or start a new run.") from None
        if saved.get("scheduler") is not None and self.lr is not None:
            self._make_scheduler(state)  # leaves the restored LR as it is (SWALR's first step keeps or reaches lr)
            self.scheduler.load_state_dict(saved["scheduler"])

    def on_epoch_start(self, state: LoopState, ctx: Context) -> None:
        if self.lr is not None and self.scheduler is None and state.epoch + 1 >= self.start_epoch:
            self._make_scheduler(state)

    def on_epoch_end(self, state: LoopState, ctx: Context) -> None:
        if state.epoch < self.start_epoch:  # state.epoch: epochs finished, i.e. the 1-based number of this one
            return
        self.averaged.update_parameters(self._module(state))
        if self.scheduler is not None:
            self.scheduler.step()

    @torch.no_grad()
    def on_fit_end(self, state: LoopState, ctx: Context) -> None:
        if self.n_averaged == 0:
            return
        module = self._module(state)
        torch._foreach_copy_([p.detach() for p in module.parameters()],
                             [p.detach() for p in self.averaged.module.parameters()])
        data = state.data
        if self.update_bn and data is not None:
            from torch.optim.swa_utils import update_bn

            self.bn_updated = any(isinstance(m, torch.nn.modules.batchnorm._BatchNorm) for m in module.modules())
            update_bn(self._batches(data.splits["train"], module), state.model, device=None)
        if data is not None and state.task is not None and "val" in data.splits:
            state.model.eval()
            device = next(module.parameters()).device
            evaluation = state.task.evaluate(state.model, data.splits["val"].to(device), self.eval_batch_size, "val")
            self.val = dict(evaluation.metrics)
            ctx.log({f"swa/{k}": v for k, v in self.val.items()}, state.epoch)  # step: the last epoch, like the tracker

    def _batches(self, split: Any, module: torch.nn.Module) -> Iterator[dict[str, Any]]:
        device = next(module.parameters()).device
        for batch in split.batches(self.batch_size):
            yield {k: v.to(device) if hasattr(v, "to") else v for k, v in batch.items()}

    # ---- resumable state and result -------------------------------------------------------
    def state_dict(self) -> dict[str, Any]:
        if self.averaged is None:
            return self._loaded or {}
        return {"n_averaged": self.n_averaged, "averaged": self.averaged.state_dict(),
                "scheduler": self.scheduler.state_dict() if self.scheduler is not None else None}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self._loaded = dict(state) if state else None
        self.averaged = self.scheduler = None

    def result_section(self) -> dict[str, Any] | None:
        return {"start_epoch": self.start_epoch, "epochs_averaged": self.n_averaged, "lr": self.lr,
                "bn_updated": self.bn_updated, "val": {k.removeprefix("val/"): v for k, v in self.val.items()}}
