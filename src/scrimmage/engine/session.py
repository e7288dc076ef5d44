"""What a run's session lends its loop, and what it asks of one.

A run (:func:`scrimmage.engine.runner.run`) is a session — run record, tracking, signals, budget,
checkpoint files, callbacks, result — around a loop picked from the ``LOOPS`` registry. A loop
only trains: it fires events through its :class:`LoopHost` and calls :meth:`LoopHost.stop_point`
where its state is consistent (after an optimizer step, at an epoch end); the host turns a pending
stop (a signal, the budget, ``ctx.request_stop``) into a checkpoint plus ``TrainingInterrupted``,
``RunAborted`` or ``RunPruned``. So a new loop gets tracking, checkpoints, signals, resume and
``--json`` without a line of its own for them.

Checkpoint format 3 (see :mod:`scrimmage.engine.checkpoint`) stores the loop's own keys
(``loop_state()`` under ``loop``, and ``stateful()`` objects such as the optimizer at the top
level, which Fabric saves and restores in place) beside the session's.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, Protocol, runtime_checkable

from scrimmage.engine.events import Callback, Context, Dispatcher, Event, LoopState
from scrimmage.engine.signals import StopRequest
from scrimmage.errors import RunAborted, RunPruned, TrainingInterrupted


@runtime_checkable
class Loop(Protocol):
    """A way to train, built as ``cls(config, fabric, model, task, data)`` (the optimizer is checked there)."""

    name: str
    required_keys: tuple[str, ...]
    """Top-level keys a checkpoint must hold to resume this loop (besides the session's)."""
    state: LoopState
    model: Any
    """The (Fabric-wrapped) model being trained; the session saves, evaluates and reports it."""

    def attach(self, host: LoopHost) -> None:
        """Take the session's callbacks, context and stop request (after the run folder exists)."""

    def fit(self) -> Any:
        """Train until done, ``state.should_stop``, or a stop request (raised from ``host.stop_point()``)."""

    def stateful(self) -> dict[str, Any]:
        """Objects with ``state_dict``/``load_state_dict`` saved as top-level keys (the optimizer ...)."""

    def loop_state(self) -> dict[str, Any]:
        """The loop's position as plain data (checkpoint key ``loop``; ``name`` included)."""

    def load_loop_state(self, saved: dict[str, Any]) -> None:
        """Restore :meth:`loop_state` (a :class:`~scrimmage.errors.CheckpointError` when it does not fit)."""

    def load_weights(self, path: Any) -> None:
        """Load only the model weights of a checkpoint file (best.ckpt before the test)."""


class LoopHost:
    """The callbacks by event, their context and the run's stop request, shared by the session and the loop."""

    def __init__(self, state: LoopState, ctx: Context, callbacks: Sequence[Callback] = (),
                 stop: StopRequest | None = None, save_for_stop: Callable[[], None] | None = None):
        self.state = state
        self.ctx = ctx
        self.callbacks = list(callbacks)
        self.dispatch = Dispatcher(self.callbacks)
        self.stop = stop if stop is not None else StopRequest()
        self.save_for_stop = save_for_stop
        """Writes last.ckpt for a ``checkpoint`` stop (None: no checkpoint can be written)."""
        self.saved_for_stop = False

    def fire(self, event: Event) -> None:
        self.dispatch(event, self.state, self.ctx)

    def has(self, event: Event) -> bool:
        return self.dispatch.has(event)

    def stop_point(self) -> None:
        """A consistent point: honour a pending stop request, else return at once."""
        stop = self.stop
        if not stop.pending:
            return
        if stop.mode == "abort":
            raise RunAborted(f"aborted: {stop.reason or 'requested'}")
        if stop.mode == "prune":
            raise RunPruned(f"pruned: {stop.reason or 'requested'}")
        if self.save_for_stop is not None:
            self.save_for_stop()
            self.saved_for_stop = True
        raise TrainingInterrupted(f"stopped by {stop.name}", exit_code=stop.exit_code)
