"""Events, the loop's state and the callback contract (compare Composer's ``core/event.py``).

This module imports nothing from the loop: callbacks see a :class:`LoopState` (model, optimizer,
metrics, position) and a small :class:`Context` (save a checkpoint, load weights, log), never the
loop's internals. Callbacks keep their own resumable state (``state_dict``/``load_state_dict``),
which every checkpoint stores under the callback's ``name``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any


class Event(StrEnum):
    """When callbacks run. The supervised loop, as pseudocode::

        CHECKPOINT_LOADED                                # only when resuming: every saved state is back in place
        FIT_START
        while state.epoch < max_epochs and not state.should_stop:
            EPOCH_START
            for batch in the epoch's order:             # a resumed run starts at the saved position
                loss = task.training_loss(model, batch)
                backward(loss / accumulate)
                if the accumulation window is full:
                    AFTER_BACKWARD                       # gradients exist; before clipping and the step
                    clip gradients (state.grad_norm: the norm before clipping); optimizer.step(); schedule.step()
                    state.global_step += 1
                    OPTIMIZER_STEP
                    if state.should_stop: break          # a callback ended the run mid-epoch: validate, then stop
                    honour a stop request (signal, budget, ctx.request_stop): checkpoint/abort/prune
            VALIDATION_START                             # the weights in the model are the ones validated
            state.metrics = train loss + task.evaluate(model, val split)
            VALIDATION_END                               # metrics known; checkpoints and early stopping not yet run
            plateau schedule.step(state.metrics[monitor])
            state.epoch += 1
            EPOCH_END                                    # checkpoints, early stopping (state.metrics: this epoch's values)
            honour a stop request
        FIT_END

    Other loops (``loop.name``) fire the events that apply to them in the same order. Each value is
    the name of the :class:`Callback` hook it calls.
    """

    CHECKPOINT_LOADED = "on_checkpoint_loaded"
    FIT_START = "on_fit_start"
    EPOCH_START = "on_epoch_start"
    AFTER_BACKWARD = "on_after_backward"
    OPTIMIZER_STEP = "on_optimizer_step"
    VALIDATION_START = "on_validation_start"
    VALIDATION_END = "on_validation_end"
    EPOCH_END = "on_epoch_end"
    FIT_END = "on_fit_end"


STOP_MODES = ("checkpoint", "abort", "prune")
"""How a requested stop ends a run: ``checkpoint`` writes last.ckpt at the step and ends ``interrupted``
(resumable); ``abort`` writes nothing more (no checkpoint, test or result) and ends ``aborted``;
``prune`` stops at once and ends ``pruned`` (a search's trial)."""


@dataclass
class LoopState:
    """Where the loop is and what it trains. ``epoch``, ``global_step`` and the stop flags are saved."""

    max_epochs: int
    steps_per_epoch: int
    model: Any = None
    optimizer: Any = None
    task: Any = None
    """The task being trained; a callback may call its optional hooks (``set_loss_weights``)."""
    data: Any = None
    """The run's data bundle (``splits`` by name, raw, as built; ``spec``), for callbacks that make passes of
    their own (SWA's batch-norm update and validation of the averaged model). Read it, never change it. Not saved."""
    epoch: int = 0
    """Index of the epoch in progress (or next to run); after EPOCH_END, the number of epochs done."""
    global_step: int = 0
    """Optimizer steps taken so far."""
    step_in_epoch: int = 0
    """Optimizer steps taken in the current epoch (non-zero at EPOCH_START after a mid-epoch resume)."""
    should_stop: bool = False
    stop_reason: str = ""
    metrics: dict[str, float] = field(default_factory=dict)
    """The last finished epoch's metrics (``epoch`` is 1-based, like every epoch number users see)."""
    history: list[dict[str, float]] = field(default_factory=list)
    samples_seen: int = 0
    train_seconds: float = 0.0
    running_loss: Callable[[], float] = lambda: float("nan")
    """Mean training loss of the epoch so far (a host sync: call it only when you need the number)."""
    grad_norm: Any = None
    """Total 2-norm of the gradients at the last optimizer step, before clipping: a 0-dim tensor on the training
    device (``float()`` is a host sync: call it only when you need the number). Set when the loop clips
    (``trainer.grad_clip``) or when a callback set ``want_grad_norm``; otherwise None. Not saved."""
    want_grad_norm: bool = False
    """Set it at FIT_START to have the loop compute ``grad_norm`` even with clipping off (one more pass over the
    gradients per step, so only on request). Not saved."""
    checkpoint_requests: list[str] = field(default_factory=list)
    """Names of extra checkpoint files (``phase=01-warmup.ckpt``) a callback asks for at this step or epoch
    end; the checkpoint callback (last in the saving order) writes them, with every callback's updated
    state, and clears the list. Not saved."""

    def state_dict(self) -> dict[str, Any]:
        return {"epoch": self.epoch, "global_step": self.global_step, "should_stop": self.should_stop,
                "stop_reason": self.stop_reason}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.epoch, self.global_step = int(state["epoch"]), int(state["global_step"])
        self.should_stop, self.stop_reason = bool(state["should_stop"]), str(state["stop_reason"])


def _no_stop(reason: str, mode: str = "checkpoint") -> None:
    raise RuntimeError("this context cannot stop a run")


@dataclass
class Context:
    """What a callback may ask of the run: write a checkpoint, load weights, log, print, stop it."""

    save_checkpoint: Callable[[Path], None]
    load_weights: Callable[[Path], None]
    log: Callable[[dict[str, float], int], None] = lambda metrics, step: None
    print: Callable[[str], None] = lambda text: None
    is_main_process: bool = True
    run_id: str = ""
    run_dir: Path | None = None
    request_stop: Callable[..., None] = _no_stop
    """``request_stop(reason, mode="checkpoint")``: end the run at the next consistent point (after this
    optimizer step or epoch end) in one of :data:`STOP_MODES`. Safe from any thread."""
    set_batch_size: Callable[[int], None] | None = None
    """Micro-batch size of the data order from the next epoch on. Call it at FIT_START (to restore the size a
    resumed epoch was using) or at EPOCH_START of an epoch not yet begun (``state.step_in_epoch == 0``);
    an epoch in progress keeps its size. None when the loop cannot change it."""


class Callback:
    """Override the hooks you need; one hook per :class:`Event`. ``name`` keys the saved state."""

    name = "callback"

    def on_checkpoint_loaded(self, state: LoopState, ctx: Context) -> None:
        """After a resume restored the model, optimizer, loop position, task and callback states."""

    def on_fit_start(self, state: LoopState, ctx: Context) -> None: ...

    def on_epoch_start(self, state: LoopState, ctx: Context) -> None: ...

    def on_after_backward(self, state: LoopState, ctx: Context) -> None:
        """Gradients of the accumulation window exist; before clipping and the optimizer step."""

    def on_optimizer_step(self, state: LoopState, ctx: Context) -> None:
        """After each optimizer step (``state.global_step`` already counts it)."""

    def on_validation_start(self, state: LoopState, ctx: Context) -> None:
        """Before the validation pass (the model's weights are the ones validated)."""

    def on_validation_end(self, state: LoopState, ctx: Context) -> None:
        """``state.metrics`` holds this epoch's values; checkpoints and early stopping have not read them yet."""

    def on_epoch_end(self, state: LoopState, ctx: Context) -> None:
        """After validation; ``state.metrics`` holds this epoch's train/ and val/ values."""

    def on_fit_end(self, state: LoopState, ctx: Context) -> None: ...

    def state_dict(self) -> dict[str, Any]:
        return {}

    def load_state_dict(self, state: dict[str, Any]) -> None: ...

    def result_section(self) -> dict[str, Any] | None:
        """What this callback adds to the run's final result under its ``name`` (None: nothing)."""
        return None


class Dispatcher:
    """Calls each event's hook on the callbacks that override it, in order.

    Hooks a callback leaves as the base no-op are skipped once, up front: the optimizer-step
    event fires every step, and a Python call per callback per step shows on small models.
    """

    def __init__(self, callbacks: Sequence[Callback]):
        self.callbacks = list(callbacks)
        self._by_event = {
            event: [getattr(cb, event.value) for cb in self.callbacks
                    if getattr(type(cb), event.value) is not getattr(Callback, event.value)]
            for event in Event
        }

    def __call__(self, event: Event, state: LoopState, ctx: Context) -> None:
        for hook in self._by_event[event]:
            hook(state, ctx)

    def has(self, event: Event) -> bool:
        return bool(self._by_event[event])
