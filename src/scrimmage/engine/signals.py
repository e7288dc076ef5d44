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
"""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Iterator
from types import FrameType

EXIT_CODES = {signal.SIGINT: 130, signal.SIGTERM: 143}
NAMES = {signal.SIGINT: "SIGINT (Ctrl-C)", signal.SIGTERM: "SIGTERM"}
SESSION_BUDGET = -1
"""Recorded instead of a signal number when the session budget runs out."""
BUDGET_EXIT_CODE = 75  # EX_TEMPFAIL (sysexits.h)


class StopRequest:
    """Set by a signal handler; read by the loop."""

    def __init__(self) -> None:
        self.signum: int | None = None
        self.budget = ""  # the session budget as written (for the message)

    @property
    def requested(self) -> bool:
        return self.signum is not None

    @property
    def exit_code(self) -> int:
        if self.signum == SESSION_BUDGET:
            return BUDGET_EXIT_CODE
        return EXIT_CODES.get(self.signum, 130) if self.signum is not None else 0

    @property
    def name(self) -> str:
        if self.signum == SESSION_BUDGET:
            return f"the session budget ({self.budget})"
        return NAMES.get(self.signum, str(self.signum)) if self.signum is not None else ""

    def budget_spent(self) -> None:
        if self.signum is None:  # a signal that came first keeps its own exit code
            self.signum = SESSION_BUDGET


@contextlib.contextmanager
def graceful_stop(budget: str | None = None, budget_left: float | None = None) -> Iterator[StopRequest]:
    """Install the handlers for the duration of a run (main thread only; elsewhere signals stay as they are).

    ``budget_left`` seconds from now (``budget`` is how the user wrote it) the stop is requested as if
    by a signal; at or below zero, at the first optimizer step.
    """
    request = StopRequest()
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
        request.signum = signum
        signal.signal(signum, signal.default_int_handler if signum == signal.SIGINT else signal.SIG_DFL)

    for signum in EXIT_CODES:
        signal.signal(signum, handler)
    try:
        yield
    finally:
        for signum, old in previous.items():
            signal.signal(signum, old)
