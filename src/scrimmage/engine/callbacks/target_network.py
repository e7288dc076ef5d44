"""The target network of Q-learning as a callback on the supervised loop.

At FIT_START the callback copies the model (a frozen module, no gradients, eval mode) and hands it
to the task (:class:`TargetNetworked`), whose TD targets read the next states' Q-values from it.
After optimizer steps it follows the online network in one of two ways:

* hard (``every_n_steps: N``, DQN): the weights are copied after every N-th step;
* Polyak (``tau``): ``target = (1 - tau) * target + tau * online`` after every step, with torch's
  fused ``_foreach_lerp_``.

Its state (the target's weights and the update count) is saved in every checkpoint under the
callbacks entry ``target_network``, so a resumed run continues with the same target, not a fresh
copy of the resumed weights. Hand-written because the update is three lines; torch's
``AveragedModel`` keeps an EMA copy too but its update rule cannot do the hard copy, and the
task needs the plain module.
"""

from __future__ import annotations

import copy
from typing import Any, Protocol, runtime_checkable

import torch
from torch import nn

from scrimmage.engine.events import Callback, Context, LoopState
from scrimmage.errors import CheckpointError


@runtime_checkable
class TargetNetworked(Protocol):
    """A task whose loss reads TD targets from a target network."""

    def set_target_network(self, target: nn.Module | None) -> None:
        """The frozen copy to read next-state Q-values from (None: none)."""


class TargetNetwork(Callback):
    name = "target_network"

    def __init__(self, every_n_steps: int | None = None, tau: float | None = None):
        if (every_n_steps is None) == (tau is None):
            raise ValueError("give exactly one of every_n_steps (hard copy) and tau (Polyak)")
        self.every_n_steps, self.tau = every_n_steps, tau
        self.target: nn.Module | None = None
        self.updates = 0
        self._saved: dict[str, Any] | None = None

    def _online(self, state: LoopState) -> nn.Module:
        return getattr(state.model, "module", state.model)

    def on_fit_start(self, state: LoopState, ctx: Context) -> None:
        online = self._online(state)
        self.target = copy.deepcopy(online).eval().requires_grad_(False)
        if self._saved is not None:  # a resumed run: the target it had, not a copy of the resumed weights
            try:
                self.target.load_state_dict(self._saved["weights"])
            except (KeyError, RuntimeError) as exc:
                raise CheckpointError(f"the checkpoint's target network does not fit this model ({exc}); resume with "
                                      "the recipe that wrote it") from exc
            self.updates = int(self._saved["updates"])
            self._saved = None
        state.task.set_target_network(self.target)

    def on_optimizer_step(self, state: LoopState, ctx: Context) -> None:
        if self.target is None:
            return
        online = self._online(state)
        if self.tau is not None:
            with torch.no_grad():
                torch._foreach_lerp_(list(self.target.parameters()), list(online.parameters()), self.tau)
            self.updates += 1
        elif state.global_step % int(self.every_n_steps or 1) == 0:
            self.target.load_state_dict(online.state_dict())
            self.updates += 1

    def state_dict(self) -> dict[str, Any]:
        if self.target is None:
            return {"updates": self.updates, "weights": None}
        return {"updates": self.updates, "weights": {k: v.detach().clone() for k, v in self.target.state_dict().items()}}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self._saved = state if state.get("weights") is not None else None
        self.updates = int(state.get("updates", 0))
