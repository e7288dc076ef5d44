"""``python -m scrimmage.campaign.child SPEC.json``: one attempt of a campaign task, in its own process.

The worker starts this process for each task and watches it, so a crash, an out-of-memory kill or a
leak in one task never takes the worker down. It trains through ``scrimmage.engine.run`` with the
run id the task row fixed (so a later attempt resumes from ``runs/<id>/checkpoints/last.ckpt``),
pins torch to the worker's thread count, and talks to the worker through files in its attempt
folder: ``progress.json`` after every epoch, then ``result.json`` or ``error.json``.

Signals: SIGTERM and SIGINT are the engine's graceful stop (finish the step, checkpoint, exit 75
here); SIGUSR1 means "this worker lost the task": ``request_stop(mode="abort")``, nothing more is
written. Exit codes: 0 done, 75 stopped with a checkpoint, 76 aborted, 2 a user error (the config
or data is wrong: retrying will not help), 1 anything else.

``SCRIMMAGE_CAMPAIGN_IMPORTS`` (comma-separated module names) is imported first: components a
campaign uses that no installed plugin registers (tests register their tiny datasets this way).

How the process starts: by default the worker forks it from a preloaded interpreter
(:func:`forked_main`, through the standard library's ``multiprocessing`` forkserver, which imported
:data:`PRELOAD` and the plugins once). Measured on the 2-core test machine: a fresh interpreter
spends 3-6 s importing torch, Lightning and the plugins before a toy task's first step, against
0.1-0.3 s for the whole task forked from the preloaded one. Isolation is the same: the task is its
own process in its own session (a crash, an out-of-memory kill or a leak ends with it), it dies
with the worker (the forkserver exits when the worker does, and the task has ``PR_SET_PDEATHSIG``),
and the forkserver is started with one OpenMP/MKL thread and never runs torch, so there is no
thread pool to break in the fork. The one difference: the preloaded code is the code as it was
when the worker started (restart workers after changing code, or use ``--fresh-process``).
A task with ``"noop": true`` in its spec writes an empty result and exits without training: the
campaign latency benchmark measures the queue's own round trip through the real process path.
"""

from __future__ import annotations

import contextlib
import importlib
import json
import os
import signal
import sys
import time
import traceback
from pathlib import Path
from typing import Any

from scrimmage.engine.events import Callback, Context, LoopState
from scrimmage.io import atomic_write_text

IMPORTS_ENV = "SCRIMMAGE_CAMPAIGN_IMPORTS"
PRELOAD = ("scrimmage.campaign.child", "scrimmage.config.loader", "scrimmage.engine.runner", "scrimmage.engine.loop",
           "scrimmage.cli.main", "rich.console", "pandas")
"""Imported once by the worker's forkserver (``scrimmage.cli.main``: multiprocessing re-runs the worker's main module
in each task process, cheap only when its imports are loaded; pandas writes every run's predictions)."""
EXIT_DONE, EXIT_STOPPED, EXIT_ABORTED, EXIT_USER_ERROR, EXIT_FAILED = 0, 75, 76, 2, 1


class ProgressFile(Callback):
    """Writes the epoch, the metrics and the throughput after each epoch, for the worker to heartbeat."""

    name = "campaign_progress"
    keeps_state = False

    def __init__(self, path: Path, monitor: str):
        self.path, self.monitor = path, monitor
        self.started = time.time()

    def on_epoch_end(self, state: LoopState, ctx: Context) -> None:
        metrics = {k: float(v) for k, v in state.metrics.items() if isinstance(v, (int, float))}
        atomic_write_text(self.path, json.dumps({
            "epoch": state.epoch, "epochs": state.max_epochs, "step": state.global_step,
            "samples_per_s": state.samples_seen / state.train_seconds if state.train_seconds else 0.0,
            "monitor": self.monitor, "value": metrics.get(self.monitor), "metrics": metrics, "at": time.time(),
        }))


def _history(run_dir: Path, monitor: str) -> list[dict[str, float]]:
    """The per-epoch curve of the monitored metric and the training loss, for the results' plots."""
    import csv

    path = run_dir / "history.csv"
    if not path.is_file():
        return []
    keep = ("epoch", monitor, "train/loss", "val/loss")
    rows = []
    with path.open() as handle:
        for row in csv.DictReader(handle):
            rows.append({k: float(row[k]) for k in keep if row.get(k) not in (None, "")})
    return rows


def _finished_run(workdir: Path, run_id: str) -> dict[str, Any] | None:
    """The result of a run that finished (``runs/<id>/result.json`` is written last, atomically), else None."""
    from scrimmage.paths import runs_dir

    path = runs_dir(workdir) / run_id / "result.json"
    try:
        return json.loads(path.read_text()) if path.is_file() else None
    except (OSError, ValueError):
        return None  # unreadable: train (the engine names what is wrong)


def _watch_worker(stop: Any, beat: Path, stale_after: float, worker_pid: int | None) -> None:
    """Die with the worker, and stop writing when it stops beating.

    This process is SIGKILLed the moment the worker exits: a thread waits on a pidfd of the worker
    (Linux; elsewhere it polls), because the worker is not always the parent (a forked task's parent
    is the forkserver, which outlives the worker by up to a second while it shuts down), and
    ``PR_SET_PDEATHSIG`` covers the parent. A worker that is alive but silent (paused with SIGSTOP,
    starved) touches no beat file; past ``stale_after`` (less than the queue's stalled-worker
    timeout) this process aborts, writing nothing more, so the attempt that replaces it trains the
    run alone (it waits for this one's run lock).
    """
    import ctypes
    import select
    import threading

    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    parent = os.getppid()
    worker = worker_pid or parent

    def die_with_worker() -> None:
        try:
            fd = os.pidfd_open(worker)
        except ProcessLookupError:  # gone already
            fd = -1
        except (AttributeError, OSError):
            fd = None
        if fd is not None and fd >= 0:
            select.select([fd], [], [])  # readable once the worker has exited (a zombie counts)
        elif fd is None:
            while os.getppid() == parent and _alive(worker):
                time.sleep(0.1)
        os.kill(os.getpid(), signal.SIGKILL)

    def watch() -> None:
        while True:
            time.sleep(0.25)
            try:
                age = time.time() - beat.stat().st_mtime
            except OSError:
                age = float("inf")
            if os.getppid() != parent or age > stale_after:
                stop.request_stop(f"the worker stopped beating ({age:.0f} s); aborting so a new attempt can take over",
                                  "abort")
                return

    threading.Thread(target=die_with_worker, name="worker-death", daemon=True).start()
    threading.Thread(target=watch, name="worker-watch", daemon=True).start()


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def extra_imports() -> list[str]:
    return [m.strip() for m in os.environ.get(IMPORTS_ENV, "").split(",") if m.strip()]


def preload_modules() -> list[str]:
    """What the worker's forkserver imports once; ``preload`` (imported last) loads the plugins too."""
    return [*PRELOAD, *extra_imports(), "scrimmage.campaign.preload"]


def forked_main(spec_path: str, log_path: str, threads: int) -> None:
    """A task process forked from the worker's preloaded forkserver: the same process state as ``python -m
    scrimmage.campaign.child`` started with its output to the log, a session of its own and its thread count."""
    from multiprocessing import forkserver

    os.setsid()  # a terminal's Ctrl-C reaches the worker only, as with start_new_session
    with contextlib.suppress(Exception):  # the forkserver's "alive" pipe: the worker must be its only holder, so
        server = forkserver._forkserver  # the forkserver (and with it this process) ends when the worker dies
        if server._forkserver_alive_fd is not None:
            os.close(server._forkserver_alive_fd)
            server._forkserver_alive_fd = None
    fd = os.open(log_path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    os.dup2(fd, 1)
    os.dup2(fd, 2)
    os.close(fd)
    sys.stdout = open(1, "w", buffering=1, encoding="utf-8", errors="replace", closefd=False)  # line-buffered: the
    sys.stderr = open(2, "w", buffering=1, encoding="utf-8", errors="replace", closefd=False)  # log follows live
    os.environ.update({"OMP_NUM_THREADS": str(threads), "MKL_NUM_THREADS": str(threads), "PYTHONUNBUFFERED": "1"})
    os.environ.pop("JE_ARROW_MALLOC_CONF", None)  # the forkserver's (campaign.worker.FORKSERVER_ENV), not the task's
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    signal.signal(signal.SIGINT, signal.default_int_handler)
    code = main(spec_path)
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)  # no interpreter teardown: nothing is left to write, and exit codes must reach the worker as is


def main(spec_path: str) -> int:
    started = time.time()
    spec = json.loads(Path(spec_path).read_text())
    folder = Path(spec_path).parent
    if spec.get("noop"):  # the latency benchmark: the real process and queue path, no training
        atomic_write_text(folder / "result.json", json.dumps({"noop": True, "epochs_completed": 0, "started": started}))
        return EXIT_DONE
    for module in extra_imports():
        importlib.import_module(module)

    import torch
    from rich.console import Console

    from scrimmage.config.loader import validate_config
    from scrimmage.engine.runner import StopHandle, run
    from scrimmage.errors import RunAborted, ScrimmageError, TrainingInterrupted

    torch.set_num_threads(int(spec["threads"]))
    stop = StopHandle()
    signal.signal(signal.SIGUSR1, lambda signum, frame: stop.request_stop(
        "the worker lost this task (it was handed to another attempt or cancelled)", "abort"))
    _watch_worker(stop, Path(spec["beat"]), float(spec["beat_stale_s"]), spec.get("worker_pid"))

    def write(name: str, payload: dict[str, Any]) -> None:
        atomic_write_text(folder / name, json.dumps(payload, default=str))

    try:
        config = validate_config(spec["config"], source=f"campaign task {spec['task_id']}", check_files=False)
        print(f"task {spec['task_id']} ({spec['label']}), attempt {spec['attempt']}, run {spec['run_id']}, "
              f"{spec['threads']} thread(s), worker {spec['worker_id']}", flush=True)
        finished = _finished_run(Path(spec["workdir"]), spec["run_id"])
        if finished is not None:  # an earlier attempt trained it all; its worker died before recording the result
            finished["history"] = _history(Path(finished.get("run_dir") or ""), config.monitor.metric)
            write("result.json", finished)
            print(f"run {spec['run_id']} finished in an earlier attempt (its worker stopped before recording it); "
                  "recording its result", flush=True)
            return EXIT_DONE
        result = run(config, workdir=spec["workdir"], run_id=spec["run_id"], recipe=spec.get("recipe"),
                     progress=False, console=Console(file=sys.stdout, no_color=True, width=160), stop=stop, evaluate_test=True,
                     callbacks=[ProgressFile(folder / "progress.json", config.monitor.metric)])
        out = result.to_dict()
        out["history"] = _history(Path(result.run_dir), config.monitor.metric)
        write("result.json", out)
        print(f"done: {result.stop_reason} after {result.epochs_completed} epochs; best {result.best}", flush=True)
        return EXIT_DONE
    except TrainingInterrupted as exc:
        print(str(exc), flush=True)
        return EXIT_STOPPED
    except RunAborted as exc:
        print(str(exc), flush=True)
        return EXIT_ABORTED
    except ScrimmageError as exc:
        write("error.json", {"type": type(exc).__name__, "message": str(exc), "retryable": False})
        print(f"error: {exc}", flush=True)
        return EXIT_USER_ERROR
    except KeyboardInterrupt:  # a stop signal before training started (data loading): nothing to checkpoint yet
        print("stopped before training started", flush=True)
        return EXIT_STOPPED
    except BaseException as exc:
        text = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
        write("error.json", {"type": type(exc).__name__, "message": f"{type(exc).__name__}: {exc}", "retryable": True})
        print(text, flush=True)
        return EXIT_FAILED


if __name__ == "__main__":
    signal.signal(signal.SIGTERM, signal.default_int_handler)  # before training: a stop raises KeyboardInterrupt
    sys.exit(main(sys.argv[1]))
