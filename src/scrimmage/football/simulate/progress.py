"""Progress and time limits of long simulations: the callback protocol, the estimate that refuses the absurd, and a renderer.

* A **progress callback** is ``progress(done, total)``: the simulator's Python API
  (:mod:`.api`) calls it with 0 when the simulation starts (the sampler loaded), after every
  batch of simulated games with the games done so far (increasing, ending at ``total``), and while
  a batch runs (every few plays) with the batch counted by the share of its game time played
  (:func:`within`), so one long batch shows progress too. The API never prints; the CLI renders the calls.
* :func:`check_duration` refuses, before anything is loaded or simulated, a request whose
  estimated time is over ``max_minutes`` (default :data:`DEFAULT_MAX_MINUTES`; ``None`` or 0: no
  limit). The estimate is ``games / rate`` from the documented rates in :data:`GAMES_PER_SECOND`:
  the empirical sampler 5,000 games/s on a CPU (``benchmarks/simulate_throughput.py`` measured
  5,101 on one thread of this project's 2-core machine, the README 5,800 on two), a trained play
  head 500 (the README measures about 1,050 on two threads; half of it leaves room for a slower
  machine); a GPU is assumed 10x either (not measured here). No pilot batch: the estimate needs nothing
  loaded, so the refusal comes before any work. It names the estimate and the override
  (``--max-minutes N``, 0: no limit). :func:`check_memory` refuses, as early, a request whose kept
  results (:data:`RESULT_BYTES` a game) would need over half of the machine's memory.
* :class:`StderrProgress` renders the calls: a rich progress bar (fraction done, ETA) when stderr
  is a terminal, otherwise one line every ``interval`` seconds (default 10;
  ``SCRIMMAGE_PROGRESS_INTERVAL`` overrides it) and a last one when done, e.g.
  ``simulated 12,000 of 50,000 games (24%), 40 s left`` — so a CI or worker log shows life.
  It never writes to stdout (``--json`` stays one JSON line there).

Hand-written because rich's bar needs a terminal; the line mode is the few lines below.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable
from typing import Any, TextIO

from scrimmage.errors import ArgumentError

#: ``progress(done, total)``: simulated games so far and in all.
ProgressCallback = Callable[[int, int], None]



def within(progress: ProgressCallback | None, done: int, games: int, total: int) -> Callable[[float], None] | None:
    """The ``share`` callback of one batch (:func:`~.engine.simulate`) as ``progress`` calls: ``done`` games
    before the batch, ``games`` in it, ``total`` in all; a batch in progress never reports itself complete
    (the caller reports it when it returns). None without ``progress``."""
    if progress is None:
        return None
    last = [done]

    def share(fraction: float) -> None:
        now = done + max(0, min(games - 1, int(fraction * games)))
        if now > last[0]:  # increasing counts only, as the protocol says
            last[0] = now
            progress(now, total)

    return share


#: Documented simulation speeds (games per second) used to estimate a request's time before it starts.
GAMES_PER_SECOND = {("empirical", "cpu"): 5_000.0, ("empirical", "cuda"): 50_000.0,
                    ("model", "cpu"): 500.0, ("model", "cuda"): 5_000.0}
#: A request estimated to take longer than this is refused unless ``max_minutes`` is raised.
DEFAULT_MAX_MINUTES = 60.0
#: Seconds between two progress lines when stderr is not a terminal.
DEFAULT_INTERVAL = 10.0


def games_per_second(kind: str, device: Any = "cpu") -> float:
    """The documented speed of ``kind`` (``"empirical"``, or ``"model"``: a trained play head) on ``device``."""
    dev = "cuda" if "cuda" in str(device) else "cpu"
    return GAMES_PER_SECOND[("empirical" if kind == "empirical" else "model", dev)]


def format_seconds(seconds: float) -> str:
    """``40 s``, ``12 min``, ``3.5 h``, ``2.3 days``."""
    if seconds < 90:
        return f"{seconds:.0f} s"
    if seconds < 90 * 60:
        return f"{seconds / 60:.0f} min"
    if seconds < 48 * 3600:
        return f"{seconds / 3600:.1f} h"
    return f"{seconds / 86400:.1f} days"


def check_max_minutes(max_minutes: float | None) -> float | None:
    """``--max-minutes``: ``None``/0 (no limit) or a finite positive number of minutes."""
    if max_minutes is None or max_minutes == 0:
        return None
    if isinstance(max_minutes, bool) or not isinstance(max_minutes, int | float) or not (0 < max_minutes < float("inf")):
        raise ArgumentError(f"--max-minutes must be a finite number of minutes above 0 (0: no limit), got {max_minutes!r}")
    return float(max_minutes)


def check_duration(games: int, kind: str, device: Any = "cpu", max_minutes: float | None = DEFAULT_MAX_MINUTES,
                   what: str = "") -> float:
    """The estimated seconds of simulating ``games`` games with ``kind`` (see :func:`games_per_second`); over ``max_minutes`` it is an ArgumentError
    naming the estimate and the override. ``what`` says how ``games`` came about (e.g. ``--n 1,000,000``)."""
    limit = check_max_minutes(max_minutes)
    rate = games_per_second(kind, device)
    seconds = games / rate
    if limit is not None and seconds > limit * 60:
        name = "empirical sampler" if kind == "empirical" else "trained play head"
        dev = "cuda" if "cuda" in str(device) else "cpu"
        needed = int(seconds / 60) + 1
        raise ArgumentError(
            f"{what + ': ' if what else ''}{games:,} games would take about {format_seconds(seconds)} (at the documented "
            f"{rate:,.0f} games/s of the {name} on {dev}), over the limit of --max-minutes {limit:g}; lower the count, "
            f"or allow it with --max-minutes {needed} (0: no limit)")
    return seconds


#: Bytes each simulated game's result holds in memory (scores, team stats and drive outcomes as int64).
RESULT_BYTES = 230


def physical_memory() -> int | None:
    """This machine's memory in bytes (``None`` where the OS does not say)."""
    try:
        return int(os.sysconf("SC_PAGE_SIZE")) * int(os.sysconf("SC_PHYS_PAGES"))
    except (AttributeError, ValueError, OSError):
        return None


def check_memory(games: int, what: str = "", memory: int | None = None, per_game: int = RESULT_BYTES) -> None:
    """Refuse keeping ``games`` results (``per_game`` bytes each) when they need over half of this machine's
    memory: an ArgumentError with the figures, before anything is simulated (a time override cannot help)."""
    memory = physical_memory() if memory is None else memory
    need = games * per_game
    if memory is not None and need > memory // 2:
        raise ArgumentError(
            f"{what + ': ' if what else ''}{games:,} simulated games keep about {need / 2**30:,.1f} GiB of results in "
            f"memory, over half of this machine's {memory / 2**30:,.1f} GiB; lower the count (at most about "
            f"{memory // 2 // per_game:,} games here), or run several smaller requests with different --seed")


def _interval() -> float:
    raw = os.environ.get("SCRIMMAGE_PROGRESS_INTERVAL")
    if raw is None:
        return DEFAULT_INTERVAL
    try:
        value = float(raw)
    except ValueError:
        return DEFAULT_INTERVAL
    return value if value >= 0 and value == value else DEFAULT_INTERVAL


class StderrProgress:
    """A :data:`ProgressCallback` that renders to stderr: a rich bar on a terminal, else a line every ``interval`` s.

    Use it as a context manager (the bar is closed on exit) or just call it; ``label`` names the unit.
    ``write`` sends the lines elsewhere (e.g. a training report's ``ctx.print``), never as a bar.
    """

    def __init__(self, label: str = "games", interval: float | None = None, stream: TextIO | None = None,
                 tty: bool | None = None, write: Callable[[str], None] | None = None) -> None:
        self.label = label
        self.interval = _interval() if interval is None else interval
        self._stream = stream
        self._write = write
        self._tty = False if write is not None else tty
        self._bar: Any = None
        self._task: Any = None
        self._start: float | None = None
        self._last_line = 0.0

    @property
    def stream(self) -> TextIO:
        return self._stream if self._stream is not None else sys.stderr

    def is_tty(self) -> bool:
        if self._tty is not None:
            return self._tty
        try:
            return bool(self.stream.isatty())
        except (AttributeError, ValueError):
            return False

    def __enter__(self) -> StderrProgress:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def close(self) -> None:
        if self._bar is not None:
            self._bar.stop()
            self._bar = None

    def __call__(self, done: int, total: int) -> None:
        now = time.perf_counter()
        if self._start is None:
            self._start = now
            self._last_line = now
        if self.is_tty():
            self._draw_bar(done, total)
            return
        if done >= total or now - self._last_line >= self.interval:
            self._last_line = now
            text = self.line(done, total, now - self._start)
            if self._write is not None:
                self._write(text)
            else:
                print(text, file=self.stream, flush=True)

    def line(self, done: int, total: int, elapsed: float) -> str:
        share = done / total if total else 1.0
        text = f"simulated {done:,} of {total:,} {self.label} ({share:.0%})"
        if done >= total:
            return f"{text} in {format_seconds(elapsed)}"
        if done > 0 and elapsed > 0:
            return f"{text}, {format_seconds(elapsed * (total - done) / done)} left"
        return text

    def _draw_bar(self, done: int, total: int) -> None:
        if self._bar is None:
            from rich.console import Console
            from rich.progress import (
                BarColumn,
                MofNCompleteColumn,
                Progress,
                TaskProgressColumn,
                TextColumn,
                TimeRemainingColumn,
            )

            self._bar = Progress(TextColumn(f"[bold]simulating {self.label}"), BarColumn(), MofNCompleteColumn(),
                                 TaskProgressColumn(), TimeRemainingColumn(), console=Console(file=self.stream),
                                 transient=True)
            self._bar.start()
            self._task = self._bar.add_task("simulate", total=total)
        self._bar.update(self._task, completed=done, total=total)
        if done >= total:
            self.close()


def notify(progress: ProgressCallback | None, done: int, total: int) -> None:
    """Call ``progress`` when there is one."""
    if progress is not None:
        progress(done, total)


__all__ = [
    "DEFAULT_MAX_MINUTES",
    "GAMES_PER_SECOND",
    "RESULT_BYTES",
    "ProgressCallback",
    "StderrProgress",
    "check_duration",
    "check_max_minutes",
    "check_memory",
    "format_seconds",
    "games_per_second",
    "notify",
    "physical_memory",
]
