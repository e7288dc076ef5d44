"""Exponential moving average (EMA) of the weights, validated, checkpointed as best and tested.

After every ``every_n_steps``-th optimizer step past ``start_step`` the callback updates a shadow
copy of the weights, ``ema = decay * ema + (1 - decay) * w`` (the first update copies ``w``). The
average itself is torch's :func:`torch.optim.swa_utils.get_ema_multi_avg_fn` (one fused
``_foreach_lerp_`` per device and dtype). :class:`~torch.optim.swa_utils.AveragedModel` is not
used: it keeps a deep copy of the whole module to evaluate separately, but here the loop, the
checkpoints and the final test all evaluate the one model in ``state.model``, so the shadow is a
list of tensors that is swapped into that model instead.

The swap, by event:

- VALIDATION_START: the training weights are stashed in the callback and the EMA weights copied
  into the model, so validation, the monitored metric, early stopping and best.ckpt / top-k /
  last.ckpt written at EPOCH_END all hold the EMA weights (the stash rides along in this
  callback's saved state).
- EPOCH_START: the stash is copied back, so training always continues from the training weights.
- CHECKPOINT_LOADED: a resumed checkpoint written at an epoch end holds the EMA weights in
  ``model`` and the training weights in this callback's stash: they are put back at once.
  Mid-epoch checkpoints (``checkpoint.every_n_steps``, signals, budget) hold the training weights
  in ``model`` and the shadow in this callback's state.
- FIT_END: the EMA weights stay in the model (swapped in if a resume of a finished run put the
  training weights back), so the test and the reports evaluate the EMA model, with
  ``checkpoint.restore_best`` true (best.ckpt holds the EMA weights that scored) or false (the
  last epoch's EMA weights).

Until the first update (``start_step``) there is no average and the training weights are validated.
``buffers: average`` also averages floating-point buffers (batch-norm running statistics; the
task's scaler statistics are constant and stay so) and swaps them with the weights; ``copy``
leaves the buffers as the training model has them. Integer buffers are never averaged. The
shadow has the parameters' dtype (with ``precision: bf16-true`` a decay close to 1 rounds away).
"""

from __future__ import annotations

from typing import Any

import torch
from torch import Tensor

from scrimmage.engine.events import Callback, Context, LoopState
from scrimmage.errors import CheckpointError


class EMA(Callback):
    name = "ema"

    def __init__(self, decay: float = 0.999, start_step: int = 0, every_n_steps: int = 1, buffers: str = "average"):
        from torch.optim.swa_utils import get_ema_multi_avg_fn

        self.decay, self.start_step, self.every_n_steps, self.buffers = decay, start_step, every_n_steps, buffers
        self._average = get_ema_multi_avg_fn(decay)
        self.n_averaged = 0
        self.names: list[str] = []
        self._targets: list[Tensor] = []  # detached views of the model's averaged tensors (share storage)
        self.shadow: list[Tensor] | None = None
        self.stash: list[Tensor] | None = None  # the training weights while the EMA weights are in the model
        self._groups: list[tuple[list[Tensor], list[Tensor]]] = []
        self._loaded: dict[str, Any] | None = None

    # ---- binding to the model -------------------------------------------------------------
    def _bind(self, state: LoopState) -> None:
        if self._targets:
            return
        module = getattr(state.model, "module", state.model)
        named = list(module.named_parameters())
        if self.buffers == "average":
            named += [(n, b) for n, b in module.named_buffers() if torch.is_floating_point(b)]
        self.names = [name for name, _ in named]
        self._targets = [t.detach() for _, t in named]
        saved, self._loaded = self._loaded, None
        if saved and saved.get("shadow") is not None:
            self.n_averaged = int(saved["n_averaged"])
            self.shadow = [self._from_saved(saved["shadow"], name, t, "shadow") for name, t in zip(self.names, self._targets, strict=True)]
            if saved.get("stash") is not None:
                self.stash = [self._from_saved(saved["stash"], name, t, "stash") for name, t in zip(self.names, self._targets, strict=True)]
            self._group()

    @staticmethod
    def _from_saved(saved: dict[str, Tensor], name: str, like: Tensor, what: str) -> Tensor:
        if name not in saved or tuple(saved[name].shape) != tuple(like.shape):
            raise CheckpointError(f"the checkpoint's EMA {what} does not fit this model (at {name!r}); resume with the "
                                  "run's own config (callbacks ema: buffers as before), or start a new run.")
        return saved[name].to(device=like.device, dtype=like.dtype, copy=True)

    def _group(self) -> None:
        """Shadow and model tensors by (device, dtype): one foreach call per group."""
        groups: dict[tuple[Any, Any], tuple[list[Tensor], list[Tensor]]] = {}
        for ema, current in zip(self.shadow or [], self._targets, strict=True):
            pair = groups.setdefault((ema.device, ema.dtype), ([], []))
            pair[0].append(ema)
            pair[1].append(current)
        self._groups = list(groups.values())

    # ---- events ---------------------------------------------------------------------------
    def on_checkpoint_loaded(self, state: LoopState, ctx: Context) -> None:
        self._bind(state)
        self._swap_out()  # written at an epoch end: the model holds the EMA weights, the stash the training ones

    def on_fit_start(self, state: LoopState, ctx: Context) -> None:
        self._bind(state)

    def on_epoch_start(self, state: LoopState, ctx: Context) -> None:
        self._swap_out()

    @torch.no_grad()
    def on_optimizer_step(self, state: LoopState, ctx: Context) -> None:
        step = state.global_step
        if step <= self.start_step or step % self.every_n_steps:
            return
        if self.shadow is None:
            self.shadow = [t.clone() for t in self._targets]
            self._group()
        else:
            for ema, current in self._groups:
                self._average(ema, current, self.n_averaged)
        self.n_averaged += 1

    def on_validation_start(self, state: LoopState, ctx: Context) -> None:
        self._swap_in()

    def on_fit_end(self, state: LoopState, ctx: Context) -> None:
        self._swap_in()  # the test evaluates the EMA model (a no-op when they are in already)

    # ---- the swap -------------------------------------------------------------------------
    @torch.no_grad()
    def _swap_in(self) -> None:
        if self.shadow is None or self.stash is not None:
            return
        self.stash = [t.clone() for t in self._targets]
        torch._foreach_copy_(self._targets, self.shadow)

    @torch.no_grad()
    def _swap_out(self) -> None:
        if self.stash is None:
            return
        torch._foreach_copy_(self._targets, self.stash)
        self.stash = None

    @property
    def swapped(self) -> bool:
        """Whether the EMA weights are in the model now."""
        return self.stash is not None

    # ---- resumable state ------------------------------------------------------------------
    def state_dict(self) -> dict[str, Any]:
        if self._loaded is not None:  # saved before binding (not expected): keep what was loaded
            return self._loaded
        named = lambda tensors: dict(zip(self.names, tensors, strict=True)) if tensors is not None else None  # noqa: E731
        return {"n_averaged": self.n_averaged, "decay": self.decay, "buffers": self.buffers,
                "shadow": named(self.shadow), "stash": named(self.stash)}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self._loaded = dict(state) if state else None
        self.n_averaged, self.shadow, self.stash, self._targets = 0, None, None, []

    def result_section(self) -> dict[str, Any] | None:
        return {"decay": self.decay, "updates": self.n_averaged, "evaluated": "ema" if self.n_averaged else "training weights"}
