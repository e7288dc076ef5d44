"""Graceful stop on SIGINT and SIGTERM: finish the optimizer step, checkpoint, then stop.

Why not let ``KeyboardInterrupt`` fly: it can land in the middle of ``optimizer.step()`` and a
checkpoint written then would hold half-updated state. The handler only records the signal; the
loop looks at it after each optimizer step (one attribute read) and stops cleanly there. A second
signal gets the default behaviour (Ctrl-C twice raises at once; a second SIGTERM kills), so a
stuck run can still be stopped.

A session budget (``trainer.session_budget``) stops the run the same way: a timer thread records
:data:`SESSION_BUDGET` where a handler would record the signal, so the loop pays nothing per step
for it. Its exit code is 75 (``EX_TEMPFAIL``: not finished, try again), distinct from 0 (the run
finished) and from 130/143 (someone stopped it).

Callbacks and other threads stop a run through the same object (``Context.request_stop(reason,
mode)``): ``checkpoint`` behaves like a signal, ``abort`` and ``prune`` end the run at the next
consistent point without writing a checkpoint. Requests are recorded under a lock; the loop reads
one attribute (``pending``) per step.
"""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Iterator
from types import FrameType

from scrimmage.engine.events import STOP_MODES

EXIT_CODES = {signal.SIGINT: 130, signal.SIGTERM: 143}
NAMES = {signal.SIGINT: "SIGINT (Ctrl-C)", signal.SIGTERM: "SIGTERM"}
SESSION_BUDGET = -1
"""Recorded instead of a signal number when the session budget runs out."""
BUDGET_EXIT_CODE = 75  # EX_TEMPFAIL (sysexits.h)


REQUESTED = -2
"""Recorded instead of a signal number when a callback or another thread asked for the stop."""


class StopRequest:
    """Set by a signal handler, the budget timer or ``request_stop``; read by the loop."""

    def __init__(self) -> None:
        self.signum: int | None = None
        self.budget = ""  # the session budget as written (for the message)
        self.mode = "checkpoint"
        self.reason = ""
        self.pending = False
        self._lock = threading.Lock()

    @property
    def requested(self) -> bool:
        return self.pending

    def request(self, reason: str, mode: str = "checkpoint") -> None:
        """Ask the run to stop at its next consistent point. ``abort`` wins over a pending checkpoint stop (a
        worker that lost its lease must not write); otherwise the first request wins."""
        if mode not in STOP_MODES:
            raise ValueError(f"stop mode must be one of {', '.join(STOP_MODES)}, got {mode!r}")
        with self._lock:
            if self.pending and not (mode == "abort" and self.mode != "abort"):
                return
            if self.signum is None or mode == "abort":
                self.signum = REQUESTED
            self.mode, self.reason, self.pending = mode, str(reason), True

    @property
    def exit_code(self) -> int:
        if self.signum == SESSION_BUDGET:
            return BUDGET_EXIT_CODE
        if self.signum == REQUESTED:
            return 2
        return EXIT_CODES.get(self.signum, 130) if self.signum is not None else 0

    @property
    def name(self) -> str:
        if self.signum == SESSION_BUDGET:
            return f"the session budget ({self.budget})"
        if self.signum == REQUESTED:
            return f"a request ({self.reason})" if self.reason else "a request"
        return NAMES.get(self.signum, str(self.signum)) if self.signum is not None else ""

    def budget_spent(self) -> None:
        with self._lock:
            if not self.pending:  # a signal that came first keeps its own exit code
                self.signum, self.mode, self.pending = SESSION_BUDGET, "checkpoint", True

    def signalled(self, signum: int) -> None:
        if not self.pending:
            self.signum, self.mode, self.pending = signum, "checkpoint", True


@contextlib.contextmanager
def graceful_stop(budget: str | None = None, budget_left: float | None = None,
                  request: StopRequest | None = None) -> Iterator[StopRequest]:
    """Install the handlers for the duration of a run (main thread only; elsewhere signals stay as they are).

    ``budget_left`` seconds from now (``budget`` is how the user wrote it) the stop is requested as if
    by a signal; at or below zero, at the first optimizer step.
    """
    request = request if request is not None else StopRequest()
    timer = None
    if budget_left is not None:
        request.budget = budget or f"{budget_left:g}s"
        timer = threading.Timer(max(0.0, budget_left), request.budget_spent)
        timer.daemon = True
        timer.start()
    try:
        if threading.current_thread() is not threading.main_thread():
            yield request
            return
        with _signal_handlers(request):
            yield request
    finally:
        if timer is not None:
            timer.cancel()


@contextlib.contextmanager
def _signal_handlers(request: StopRequest) -> Iterator[None]:
    previous = {signum: signal.getsignal(signum) for signum in EXIT_CODES}

    def handler(signum: int, frame: FrameType | None) -> None:
        request.signalled(signum)
        signal.signal(signum, signal.default_int_handler if signum == signal.SIGINT else signal.SIG_DFL)

    for signum in EXIT_CODES:
        signal.signal(signum, handler)
    try:
        yield
    finally:
        for signum, old in previous.items():
            signal.signal(signum, old)
