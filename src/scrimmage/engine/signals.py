"""Graceful stop on SIGINT and SIGTERM: finish the optimizer step, checkpoint, then stop.

Why not let ``KeyboardInterrupt`` fly: it can land in the middle of ``optimizer.step()`` and a
checkpoint written then would hold half-updated state. The handler only records the signal; the
loop looks at it after each optimizer step (one attribute read) and stops cleanly there. A second
signal gets the default behaviour (Ctrl-C twice raises at once; a second SIGTERM kills), so a
stuck run can still be stopped.
"""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Iterator
from types import FrameType

EXIT_CODES = {signal.SIGINT: 130, signal.SIGTERM: 143}
NAMES = {signal.SIGINT: "SIGINT (Ctrl-C)", signal.SIGTERM: "SIGTERM"}


class StopRequest:
    """Set by a signal handler; read by the loop."""

    def __init__(self) -> None:
        self.signum: int | None = None

    @property
    def requested(self) -> bool:
        return self.signum is not None

    @property
    def exit_code(self) -> int:
        return EXIT_CODES.get(self.signum, 130) if self.signum is not None else 0

    @property
    def name(self) -> str:
        return NAMES.get(self.signum, str(self.signum)) if self.signum is not None else ""


@contextlib.contextmanager
def graceful_stop() -> Iterator[StopRequest]:
    """Install the handlers for the duration of a run (main thread only; elsewhere signals stay as they are)."""
    request = StopRequest()
    if threading.current_thread() is not threading.main_thread():
        yield request
        return
    previous = {signum: signal.getsignal(signum) for signum in EXIT_CODES}

    def handler(signum: int, frame: FrameType | None) -> None:
        request.signum = signum
        signal.signal(signum, signal.default_int_handler if signum == signal.SIGINT else signal.SIG_DFL)

    for signum in EXIT_CODES:
        signal.signal(signum, handler)
    try:
        yield request
    finally:
        for signum, old in previous.items():
            signal.signal(signum, old)
