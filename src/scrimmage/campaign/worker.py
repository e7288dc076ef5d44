"""``scrimmage worker``: a procrastinate worker that trains campaign tasks in child processes.

What procrastinate gives us (and we do not rewrite): fetching jobs by priority with row locks,
LISTEN/NOTIFY wake-ups, worker registration and heartbeats, stalled-job detection
(``get_stalled_jobs``), ``retry_job``, aborts (``cancel_job_by_id(abort=True)`` cancels our async
task) and pruning of dead workers. What we add around it:

* each task runs in a child process (:mod:`scrimmage.campaign.child`, its own session so a
  terminal's Ctrl-C reaches the worker only) while the worker's event loop heartbeats, copies the
  child's progress into the task row (fenced by attempt) and watches it. The child is forked from
  the standard library's ``multiprocessing`` forkserver, started once per worker with the training
  code imported (a task starts in milliseconds instead of seconds of imports; ``--fresh-process``
  starts a new interpreter per task instead; why this keeps the isolation: see campaign.child);
* torch threads are pinned per task (``--threads``; by default the machine's CPUs shared among
  the live workers on this host), and the worker records its identity (host, CPUs, device, threads);
* housekeeping in every worker, every heartbeat: stalled jobs (a worker that stopped heartbeating:
  SIGKILL, power loss, network gone, SIGSTOP) are recovered: the task row gets attempt + 1 (or
  fails past ``max_attempts``) and the same ticket goes back with ``retry_job``; dead workers are
  pruned; pending tasks without a ticket get one. The task row's own heartbeat must be stale too: a
  live worker whose procrastinate registration was dropped keeps its task, and registers again;
* the queue's answers: only a lost connection is an outage (wait, say so once, retry); an outcome the
  database refuses fails the attempt at once with that error (:class:`RecordRefused`);
* signals: the first SIGTERM/SIGINT stops fetching and forwards SIGTERM to the child, which
  checkpoints; the task goes back to the queue with the same attempt (a procrastinate retry on
  :class:`HandBack`). A second signal kills the child at once; the task still goes back, to
  resume from its last checkpoint.
* a worker that lost its task (recovered while it was paused, or cancelled) aborts its child
  (SIGUSR1: ``request_stop(mode="abort")``) and leaves the ticket alone when another worker holds
  it now (:meth:`CampaignWorker._persist_job_status`).
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import json
import logging
import os
import signal
import socket
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from procrastinate import App, PsycopgConnector, RetryStrategy
from procrastinate import worker as procrastinate_worker
from procrastinate.jobs import Status

from scrimmage.campaign import store
from scrimmage.campaign.child import EXIT_DONE, EXIT_STOPPED, EXIT_USER_ERROR
from scrimmage.campaign.db import PRIORITY_MAX, TASK_NAME, Queue, queue_name
from scrimmage.envvars import temporary_environ

logger = logging.getLogger("scrimmage.worker")
ABORT_GRACE_S = 30.0
OUTAGE_REMINDER_S = 300.0
LOG_TAIL_BYTES = 64 * 1024
"""How much of a task's log the queue keeps (``campaign logs`` on a machine that cannot see the worker's files):
sent with a heartbeat only when the log grew, so an idle log costs no writes."""


class HandBack(Exception):
    """The task goes back to the queue (graceful stop, or a failed attempt with attempts left)."""


class TaskFailed(Exception):
    """The task failed for good (its error is in the task row)."""


class RecordRefused(Exception):
    """The queue refused a task's outcome for a reason other than an outage (a value PostgreSQL rejects, a
    constraint, a bug): waiting would not help."""


def make_app(url: str) -> App:
    app = App(connector=PsycopgConnector(conninfo=url))
    app.task(name=TASK_NAME, pass_context=True, retry=RetryStrategy(retry_exceptions=[HandBack]))(train_job)
    return app


async def train_job(context: Any, task_id: int) -> str:
    """The procrastinate task: its only argument names a ``campaign_tasks`` row."""
    runtime: Runtime = context.additional_context["runtime"]
    return await runtime.run_task(context, int(task_id))


class CampaignWorker(procrastinate_worker.Worker):
    async def _persist_job_status(self, job: Any, status: Any, retry_decision: Any, context: Any, job_result: Any) -> None:
        if context.additional_context.get("lost"):  # the ticket may be another worker's now: touch it only if ours
            row = await self.app.connector.execute_query_one_async(
                "SELECT status::text AS status, worker_id FROM procrastinate_jobs WHERE id = %(id)s", id=job.id)
            if row["status"] != "doing" or row["worker_id"] != self.worker_id:
                self._job_ids_to_abort.pop(job.id, None)
                return
            retry_decision, status = None, Status.ABORTED
        try:
            await super()._persist_job_status(job, status, retry_decision, context, job_result)
        except Exception:
            now = await self._ticket_status(job.id)
            if now in (None, "doing"):  # the queue is away, or the write failed for another reason: say so
                raise
            # another worker's housekeeping ended this ticket first (the task row holds the outcome): nothing to add
            self._job_ids_to_abort.pop(job.id, None)
            logger.warning("ticket %s was already %s when its task ended; left as it is", job.id, now)

    async def _ticket_status(self, job_id: int) -> str | None:
        """The ticket's status now, or None when the queue cannot say."""
        try:
            row = await self.app.connector.execute_query_one_async(
                "SELECT status::text AS status FROM procrastinate_jobs WHERE id = %(id)s", id=job_id)
        except Exception:
            return None
        return str(row["status"])


@dataclass
class WorkerOptions:
    worker_id: str | None = None
    min_priority: int = 0
    max_tasks: int | None = None
    exit_when_empty: bool = False
    threads: int | None = None
    heartbeat: float = 10.0
    fresh_process: bool = False
    """Start each task in a new interpreter (seconds of imports per task) instead of forking a preloaded one."""
    noop: bool = False
    """Tasks end at once without training (the latency benchmark: the real claim, process and writes)."""

    @property
    def stalled_after(self) -> float:
        return 3 * self.heartbeat


@dataclass
class Runtime:
    queue: Queue
    workdir: Path
    options: WorkerOptions
    identity: dict[str, Any]
    say: Any = print
    worker: CampaignWorker | None = None
    child: asyncio.subprocess.Process | None = None
    busy: bool = False
    job_id: int | None = None
    signals: int = 0
    stopped: str = ""
    """Why we stopped the procrastinate worker (a signal, --max-tasks, --exit-when-empty); empty when it stopped
    itself (one of its side tasks, the heartbeat or the listener, lost the queue): then a new one starts."""
    claimed: int = 0
    outcomes: dict[str, int] = field(default_factory=dict)
    down_since: float | None = None
    """When the queue became unreachable (monotonic seconds); None while it answers."""
    _down_said: float = 0.0

    @property
    def worker_id(self) -> str:
        return str(self.identity["worker_id"])

    # ------------------------------------------------------------------ signals

    def on_signal(self, signum: int) -> None:
        self.signals += 1
        name = signal.Signals(signum).name
        if self.signals == 1:
            self.say(f"{name}: stopping; the running task checkpoints and goes back to the queue "
                     "(send the signal again to stop at once)")
            self.stopped = name
            if self.worker is not None:
                self.worker.stop()
            self._signal_child(signal.SIGTERM)
        else:
            self.say(f"{name} again: stopping now; the task goes back to the queue and resumes from its last checkpoint")
            self._signal_child(signal.SIGKILL)

    def _signal_child(self, signum: int) -> None:
        if self.child is not None and self.child.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.child.pid, signum)

    # ------------------------------------------------------------------ one task

    def _threads(self) -> int:
        if self.options.threads:
            return self.options.threads
        try:
            local = store.local_workers(self.queue, self.identity["host"], self.options.stalled_after)
        except Exception:
            local = 1
        return max(1, int(self.identity["cpus"]) // max(1, local))

    async def run_task(self, context: Any, task_id: int) -> str:
        self.busy, self.job_id = True, context.job.id
        try:
            return await self._run_task(context, task_id)
        finally:
            self.busy, self.job_id = False, None
            self.child = None

    async def _run_task(self, context: Any, task_id: int) -> str:
        threads = await asyncio.to_thread(self._threads)
        identity = {**self.identity, "threads": threads}
        row = await asyncio.to_thread(store.claim, self.queue, task_id, context.job.id, self.worker_id, identity)
        if row is None:
            return f"task {task_id}: stale ticket (the task is not pending)"
        self.claimed += 1
        if self.options.max_tasks and self.claimed >= self.options.max_tasks and self.worker is not None:
            self.stopped = "--max-tasks"
            self.worker.stop()  # this task is the last one this worker takes
        attempt = int(row["attempt"])
        folder = self.workdir / "campaigns" / row["campaign"] / f"t{task_id}" / f"attempt-{attempt}"
        folder.mkdir(parents=True, exist_ok=True)
        for name in ("progress.json", "result.json", "error.json"):
            (folder / name).unlink(missing_ok=True)
        spec = {"task_id": task_id, "label": row["label"], "attempt": attempt, "run_id": row["run_id"],
                "config": row["config"], "recipe": row["recipe"], "workdir": str(self.workdir), "threads": threads,
                "worker_id": self.worker_id, "beat": str(folder / "beat"), "beat_stale_s": 2.5 * self.options.heartbeat,
                "noop": self.options.noop, "worker_pid": os.getpid()}
        beat = folder / "beat"
        beat.touch()
        (folder / "spec.json").write_text(json.dumps(spec, default=str))
        log_path = folder / "log.txt"
        self.say(f"task {task_id} {row['campaign']}/{row['phase']}/{row['label']}: attempt {attempt}, "
                 f"{threads} thread(s), log {log_path}")
        await self._wait_for_run_lock(Path(self.workdir) / "runs" / str(row["run_id"]), task_id, beat)
        started = time.monotonic()
        self.child = await self._start_child(folder / "spec.json", log_path, threads)
        proc = self.child
        if self.signals:
            self._signal_child(signal.SIGTERM if self.signals == 1 else signal.SIGKILL)
        lost: str | None = None
        lost_at = 0.0
        sent_size = -1  # the log's size when its tail last reached the queue
        beating = asyncio.create_task(_touch_every(beat, self.options.heartbeat / 2))
        try:
            while True:
                try:
                    await asyncio.wait_for(proc.wait(), timeout=self.options.heartbeat)
                    break
                except TimeoutError:
                    pass
                if lost is not None:
                    if time.monotonic() - lost_at > ABORT_GRACE_S:
                        self._signal_child(signal.SIGKILL)
                    continue
                progress = _read_json(folder / "progress.json")
                size = _size(log_path)
                try:
                    held = await asyncio.to_thread(store.heartbeat, self.queue, task_id, attempt, self.worker_id,
                                                   progress, _tail(log_path) if size != sent_size else None,
                                                   str(log_path))
                    sent_size = size
                except Exception as exc:  # the child keeps training; we try again next beat
                    if _connection_lost(exc):  # the database is away
                        self.queue_down(exc)
                    else:  # not an outage (a refused value, a bug): name it, at most every 30 s (_OneLine)
                        logger.warning("task %s: heartbeat not written: %s: %s", task_id, type(exc).__name__,
                                       (str(exc).strip().splitlines() or [""])[0][:200])
                    continue
                self.queue_up()
                if not held:
                    now = await asyncio.to_thread(store.task_state, self.queue, task_id)
                    lost = _lost_reason(now, attempt)
                    lost_at = time.monotonic()
                    self.say(f"task {task_id}: {lost}; aborting its child (nothing more is written)")
                    self._signal_child(signal.SIGUSR1)
        except asyncio.CancelledError:  # procrastinate aborts the job (campaign cancel)
            self.say(f"task {task_id}: cancelled; aborting its child")
            self._signal_child(signal.SIGUSR1)
            with contextlib.suppress(TimeoutError, asyncio.CancelledError):
                await asyncio.wait_for(asyncio.shield(proc.wait()), timeout=ABORT_GRACE_S)
            self._signal_child(signal.SIGKILL)
            raise
        finally:
            beating.cancel()
        seconds = time.monotonic() - started
        code = proc.returncode
        tail = _tail(log_path)
        if lost is not None:
            return await self._lost(context, f"task {task_id}: lost ({lost})")
        return await self._outcome_or_refused(context, task_id, attempt, folder, code, seconds, tail)

    async def _outcome_or_refused(self, context: Any, task_id: int, attempt: int, folder: Path, code: int | None,
                                  seconds: float, tail: str | None) -> str:
        try:
            return await self._outcome(context, task_id, attempt, folder, code, seconds, tail)
        except RecordRefused as exc:
            return await self._refused(context, task_id, attempt, str(exc), seconds, tail)

    async def _outcome(self, context: Any, task_id: int, attempt: int, folder: Path, code: int | None,
                       seconds: float, tail: str | None) -> str:
        """Record how the child ended (done, handed back, failed) in the task row."""
        if code == EXIT_DONE and (folder / "result.json").is_file():
            result = _read_json(folder / "result.json") or {}
            if await self._record(task_id, "result", store.finish, self.queue, task_id, attempt, self.worker_id, result,
                                  seconds, tail):
                self._count("done")
                self.say(f"task {task_id}: done in {seconds:.1f} s")
                return f"task {task_id}: done"
            return await self._lost(context, f"task {task_id}: finished, but another attempt holds it now; result not written")
        if self.signals or code == EXIT_STOPPED:  # stopped with a checkpoint (our signal, or the recipe's session budget)
            held = await self._record(task_id, "hand-back", store.hand_back, self.queue, task_id, attempt, self.worker_id,
                                      seconds, tail)
            if not held:
                return await self._lost(context, f"task {task_id}: stopped; another attempt holds it now")
            self._count("handed back")
            self.say(f"task {task_id}: stopped after {seconds:.1f} s; back in the queue (attempt {attempt} resumes "
                     "from its last checkpoint)")
            raise HandBack(f"task {task_id} handed back by a stopping worker")
        error = _read_json(folder / "error.json") or {}
        message = error.get("message") or _exit_text(code, tail)
        retryable = code != EXIT_USER_ERROR
        state = await self._record(task_id, "failure", functools.partial(store.fail_attempt, retryable=retryable),
                                   self.queue, task_id, attempt, self.worker_id, message, seconds, tail)
        if state is None:
            return await self._lost(context, f"task {task_id}: ended, but another attempt holds it now; nothing written")
        self._count("failed attempts")
        self.say(f"task {task_id}: attempt {attempt} failed ({message.splitlines()[0][:200]}); task {state}")
        if state == "pending":
            raise HandBack(f"task {task_id}: attempt {attempt} failed; retrying")
        raise TaskFailed(message)

    async def _refused(self, context: Any, task_id: int, attempt: int, message: str, seconds: float,
                       tail: str | None) -> str:
        """The queue refused the attempt's outcome: the attempt fails for good with that error (the same outcome would
        be refused again), so the campaign goes on and ``campaign status`` names it."""
        self.say(f"task {task_id}: {message}; failing attempt {attempt} with that error")
        try:
            state = await self._record(task_id, "failure", functools.partial(store.fail_attempt, retryable=False),
                                       self.queue, task_id, attempt, self.worker_id, message, seconds, tail)
        except RecordRefused as again:
            self.say(f"task {task_id}: the failure could not be written either ({again}); the task row stays as it is")
            raise TaskFailed(message) from None
        if state is None:
            return await self._lost(context, f"task {task_id}: ended, but another attempt holds it now; nothing written")
        self._count("failed attempts")
        raise TaskFailed(message)

    async def _start_child(self, spec: Path, log_path: Path, threads: int) -> Any:
        """The task's process: forked from the preloaded forkserver, or a fresh interpreter (``--fresh-process``)."""
        if not self.options.fresh_process and _can_fork():
            return ForkedChild(await asyncio.to_thread(fork_task, spec, log_path, threads))
        env = {**os.environ, "OMP_NUM_THREADS": str(threads), "MKL_NUM_THREADS": str(threads), "PYTHONUNBUFFERED": "1"}
        with log_path.open("ab") as log:
            return await asyncio.create_subprocess_exec(
                sys.executable, "-m", "scrimmage.campaign.child", str(spec), stdout=log,
                stderr=asyncio.subprocess.STDOUT, stdin=asyncio.subprocess.DEVNULL, start_new_session=True, env=env)

    async def _wait_for_run_lock(self, run_dir: Path, task_id: int, beat: Path) -> None:
        """A previous attempt's process (its worker paused or cut off) may still be aborting: let it release the run."""
        from scrimmage.engine.runs import is_locked

        waited = 0.0
        while run_dir.is_dir() and is_locked(run_dir) and waited < ABORT_GRACE_S:
            if waited == 0.0:
                self.say(f"task {task_id}: waiting for the previous attempt's process to release {run_dir.name}")
            await asyncio.sleep(0.5)
            waited += 0.5
            beat.touch()
            with contextlib.suppress(Exception):
                await asyncio.to_thread(store.worker_alive, self.queue, self.worker_id, None)

    def queue_down(self, exc: BaseException | str) -> None:
        """Say once per outage that the queue is unreachable and what goes on meanwhile (then a reminder every
        :data:`OUTAGE_REMINDER_S`), never a line per retry."""
        now = time.monotonic()
        reason = exc if isinstance(exc, str) else f"{type(exc).__name__}: {(str(exc).strip().splitlines() or [''])[0]}"
        if self.down_since is None:
            self.down_since = self._down_said = now
            self.say(f"cannot reach the queue at {self.queue.display} ({reason[:200]}); waiting for it: a running task "
                     f"keeps training and its outcome is recorded when the queue is back (retrying every "
                     f"{self._retry_s():.0f} s)")
        elif now - self._down_said >= OUTAGE_REMINDER_S:
            self._down_said = now
            self.say(f"the queue is still unreachable after {_minutes(now - self.down_since)} ({reason[:200]}); "
                     "still waiting")

    def queue_up(self) -> None:
        if self.down_since is not None:
            self.say(f"the queue is back after {_minutes(time.monotonic() - self.down_since)}; carrying on")
            self.down_since = None

    def _retry_s(self) -> float:
        return max(self.options.heartbeat, 2.0)

    def _count(self, outcome: str) -> None:
        self.outcomes[outcome] = self.outcomes.get(outcome, 0) + 1

    async def _record(self, task_id: int, what: str, write: Any, *args: Any) -> Any:
        """A task's outcome must reach the queue: while the database is away, wait and try again (saying so).
        Any other error raises :class:`RecordRefused` at once, naming it: retrying it would loop forever."""
        said = False
        while True:
            try:
                out = await asyncio.to_thread(write, *args)
                self.queue_up()
                return out
            except Exception as exc:
                if self.signals > 1:
                    raise
                if not _connection_lost(exc):
                    text = (str(exc).strip().splitlines() or [""])[0][:300]
                    raise RecordRefused(f"the queue refused this task's {what} ({type(exc).__name__}: {text})") from exc
                self.queue_down(exc)
                if not said:
                    said = True
                    self.say(f"task {task_id}: its {what} waits here until the queue is back")
                await asyncio.sleep(self._retry_s())

    async def _lost(self, context: Any, text: str) -> str:
        """This worker no longer holds the task: write nothing, leave the ticket to its holder."""
        context.additional_context["lost"] = True
        self._count("lost")
        self.say(text)
        await self._reregister_if_pruned()
        return text

    async def _reregister_if_pruned(self) -> None:
        """This worker's procrastinate registration is gone (it was paused past its heartbeat and pruned, or the row
        was dropped while it lived): register again, and give the ticket it runs back its worker, so no other worker
        takes that ticket for an orphan."""
        worker = self.worker
        if worker is None or worker.worker_id is None:
            return
        row = await worker.app.connector.execute_query_one_async(
            "SELECT count(*) AS n FROM procrastinate_workers WHERE id = %(id)s", id=worker.worker_id)
        if not row["n"]:
            old = worker.worker_id
            worker.worker_id = await worker.app.job_manager.register_worker()
            if self.job_id is not None:
                await worker.app.connector.execute_query_async(
                    "UPDATE procrastinate_jobs SET worker_id = %(worker)s WHERE id = %(id)s AND status = 'doing' "
                    "AND worker_id IS NULL", worker=worker.worker_id, id=self.job_id)
            self.say(f"the queue had dropped this worker's registration (queue worker {old}: it missed its heartbeats, "
                     f"or was pruned); registered again as queue worker {worker.worker_id}")

    # ------------------------------------------------------------------ housekeeping

    async def housekeeping(self) -> None:
        """Every heartbeat: our worker rows, stalled-job recovery, tickets, and --exit-when-empty.

        The procrastinate heartbeat is renewed here too: procrastinate's own heartbeat task ends when its
        worker stops itself after losing the database, while our task (and its child) go on. After the
        queue was unreachable, recovery waits one stalled period, so every live worker has beaten again
        before anyone is declared dead.
        """
        assert self.worker is not None
        app = self.worker.app
        reachable_since = time.monotonic() - self.options.stalled_after
        while True:
            try:
                if self.worker.worker_id is not None:
                    await self._reregister_if_pruned()
                    await app.job_manager.update_heartbeat(self.worker.worker_id)
                await asyncio.to_thread(store.worker_alive, self.queue, self.worker_id, self.worker.worker_id,
                                        self.identity["pid"])
                if time.monotonic() - reachable_since >= self.options.stalled_after:
                    await recover_stalled(app, self.queue, self.options.stalled_after, self.say, self.job_id)
                await asyncio.to_thread(store.issue_tickets, self.queue)
                self.queue_up()
                if self.options.exit_when_empty and not self.busy and not await asyncio.to_thread(
                        _work_left, self.queue, self.options.min_priority, self.options.stalled_after):
                    self.say("no task left to run: stopping (--exit-when-empty)")
                    self.stopped = "--exit-when-empty"
                    self.worker.stop()
                    return
            except Exception as exc:
                reachable_since = time.monotonic() + self.options.heartbeat
                if _connection_lost(exc):
                    self.queue_down(exc)
                else:  # a bug or a broken row, not an outage: name it (one line; at most every 30 s)
                    logger.warning("housekeeping failed: %s: %s", type(exc).__name__, str(exc)[:300])
            await asyncio.sleep(self.options.heartbeat)


async def recover_stalled(app: App, queue: Queue, stalled_after: float, say: Any = print,
                          running_here: int | None = None) -> list[int]:
    """Recover the tasks of workers that stopped heartbeating (see the module docstring); returns their ids.
    ``running_here``: the ticket this process is running (alive by definition, whatever its heartbeat says)."""
    recovered = []
    for job in await app.job_manager.get_stalled_jobs(task_name=TASK_NAME, seconds_since_heartbeat=stalled_after):
        if running_here is not None and job.id == running_here:
            continue
        task_id = int(job.task_kwargs.get("task_id", 0))
        state = await asyncio.to_thread(store.recover, queue, task_id, job.id, stalled_after)
        try:
            if state == "pending":
                await app.job_manager.retry_job(job)
                recovered.append(task_id)
                say(f"task {task_id}: its worker stopped heartbeating; back in the queue as a new attempt")
                continue
            row = await asyncio.to_thread(store.task_state, queue, task_id)
            if row is not None and row["job_id"] == job.id and row["state"] == "pending":
                await app.job_manager.retry_job(job)  # a hand-back whose retry was never written
                continue
            if row is not None and row["job_id"] == job.id and row["state"] == "running":
                # its holder still beats in the task row (procrastinate lost track of its worker: a registration
                # dropped while the worker lives, or a claim that landed between our two reads): never end its ticket
                continue
            final = {"done": Status.SUCCEEDED, "cancelled": Status.ABORTED}.get(row["state"] if row else "", Status.FAILED)
            await app.job_manager.finish_job_by_id_async(job.id, final, delete_job=False)
        except Exception as exc:  # another worker recovered it at the same moment
            logger.debug("recovering job %s: %s", job.id, exc)
    await app.job_manager.prune_stalled_workers(stalled_after)
    return recovered


def _work_left(queue: Queue, min_priority: int, stalled_after: float) -> bool:
    """Whether a task this worker could run may still come: pending, waiting, or running elsewhere (its worker may
    die, or a waiting phase may follow it; a worker that just went silent is not yet known to be dead)."""
    with queue.connect() as conn:
        row = conn.execute(
            "SELECT count(*) AS n FROM campaign_tasks WHERE priority >= %s AND state IN ('pending', 'waiting', 'running')",
            (min_priority,)).fetchone()
        return bool(row["n"])


def _can_fork() -> bool:
    import multiprocessing

    return "forkserver" in multiprocessing.get_all_start_methods()  # not on Windows: a fresh interpreter per task


def _forkserver_context() -> Any:
    """The multiprocessing context whose forkserver preloads the task code (see :mod:`scrimmage.campaign.child`)."""
    import multiprocessing

    from scrimmage.campaign.child import preload_modules

    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(preload_modules())
    return context


FORKSERVER_ENV = {"OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1", "JE_ARROW_MALLOC_CONF": "background_thread:false"}
"""The forkserver's environment while it imports: it must hold no thread when it forks. One OpenMP/MKL thread means no
pool (the task sets its own count; a pool in the forkserver could hang a forked task's first step), and pyarrow's
jemalloc (pandas imports it) starts no background thread."""


def start_forkserver() -> None:
    """Start the forkserver now (its imports take seconds) in :data:`FORKSERVER_ENV`."""
    from multiprocessing import forkserver

    _forkserver_context()
    with temporary_environ(FORKSERVER_ENV):
        forkserver.ensure_running()


def fork_task(spec: Path, log_path: Path, threads: int) -> Any:
    """Fork the task's process from the forkserver (blocking: the first call waits for the forkserver's imports)."""
    from scrimmage.campaign.child import forked_main

    start_forkserver()
    process = _forkserver_context().Process(target=forked_main, args=(str(spec), str(log_path), threads),
                                            name="scrimmage-task", daemon=False)
    process.start()
    return process


class ForkedChild:
    """A task process forked from the forkserver, with the ``pid`` / ``returncode`` / ``wait()`` of an asyncio
    subprocess (returncode: the exit code, or minus the signal that killed it)."""

    def __init__(self, process: Any):
        self.process, self.pid = process, process.pid
        self._ended = asyncio.Event()
        self._loop = asyncio.get_running_loop()
        self._loop.add_reader(process.sentinel, self._on_end)

    def _on_end(self) -> None:
        self._loop.remove_reader(self.process.sentinel)
        self._ended.set()

    @property
    def returncode(self) -> int | None:
        return self.process.exitcode

    async def wait(self) -> int | None:
        await self._ended.wait()
        return self.process.exitcode


async def _touch_every(path: Path, seconds: float) -> None:
    """The beat the child watches: a paused or starved worker stops touching it (see campaign.child)."""
    while True:
        with contextlib.suppress(OSError):
            path.touch()
        await asyncio.sleep(seconds)


def _lost_reason(row: dict[str, Any] | None, attempt: int) -> str:
    if row is None:
        return "the task is gone from the queue"
    if row["state"] == "cancelled":
        return "the task was cancelled"
    if int(row["attempt"]) != attempt:
        return (f"this worker stopped heartbeating long enough to be declared dead, and attempt {row['attempt']} "
                f"replaced attempt {attempt}")
    return f"the task is {row['state']} and no longer held by this worker"


def _exit_text(code: int | None, tail: str | None) -> str:
    if code is not None and code < 0:
        name = signal.Signals(-code).name if -code in signal.Signals._value2member_map_ else str(-code)
        why = " (the out-of-memory killer, or someone, killed it)" if -code == signal.SIGKILL else ""
        return f"the task's process died from {name}{why}"
    last = (tail or "").strip().splitlines()[-1:] or ["no output"]
    return f"the task's process exited with code {code}: {last[0][:300]}"


def _read_json(path: Path) -> dict[str, Any] | None:
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return None


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return -1


def _tail(path: Path) -> str | None:
    """The last :data:`LOG_TAIL_BYTES` of the log, from a line start (no half line, no broken UTF-8 character)."""
    try:
        with path.open("rb") as handle:
            handle.seek(0, os.SEEK_END)
            size = handle.tell()
            handle.seek(max(0, size - LOG_TAIL_BYTES))
            data = handle.read()
    except OSError:
        return None
    if size > LOG_TAIL_BYTES and b"\n" in data[:-1]:
        data = data[data.index(b"\n") + 1:]
    return data.decode("utf-8", "replace").replace("\x00", "\ufffd")  # PostgreSQL text refuses NUL (a binary dump)


def identity(worker_id: str | None) -> dict[str, Any]:
    """Who runs the tasks: host, CPUs, device; recorded in the worker row and in every task it claims."""
    import platform
    from importlib.metadata import version

    import scrimmage

    host = socket.gethostname()
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    return {"worker_id": worker_id or f"{host}-{os.getpid()}", "host": host, "pid": os.getpid(), "cpus": cpus,
            "device": _device(), "python": platform.python_version(), "torch": version("torch"),
            "scrimmage": scrimmage.__version__}


def _device() -> str:
    """The accelerator tasks will use. torch is imported only where one may exist (an NVIDIA driver, macOS): on a
    CPU machine its 1-2 s import would be paid by every worker start, and the forkserver imports it anyway."""
    if not (Path("/proc/driver/nvidia").exists() or Path("/dev/nvidiactl").exists() or sys.platform == "darwin"):
        return "cpu"
    import torch

    if torch.cuda.is_available():
        return f"cuda ({torch.cuda.get_device_name(0)})"
    mps = getattr(torch.backends, "mps", None)
    return "mps" if mps is not None and mps.is_available() else "cpu"


class _OneLine(logging.Handler):
    """procrastinate's and psycopg's warnings as one line each (no traceback), the same line at most every 30 s.
    Those that say the database is unreachable are left out: the worker's own outage line says it once."""

    def __init__(self, say: Any):
        super().__init__(logging.WARNING)
        self.say, self.last = say, {}

    def emit(self, record: logging.LogRecord) -> None:
        message = record.getMessage()
        exc = record.exc_info[1] if record.exc_info else None
        if (exc is not None and _connection_lost(exc)) or any(word in message.lower() for word in _UNREACHABLE):
            return
        text = f"{record.name}: {(message.strip().splitlines() or [''])[0][:200]}"
        if exc is not None:
            text += f" ({type(exc).__name__}: {(str(exc).strip().splitlines() or [''])[0][:160]})"
        now = time.monotonic()
        if now - self.last.get(text, -1e9) >= 30:
            self.last[text] = now
            self.say(text)


_UNREACHABLE = ("error connecting", "connection is bad", "connection failed", "server closed the connection",
                "terminating connection", "discarding closed connection")  # the last: psycopg.pool's, as the server went
"""Not "database error" (procrastinate's ConnectorException text): that one is an outage only when its cause says so."""


def _minutes(seconds: float) -> str:
    return f"{seconds:.0f} s" if seconds < 120 else f"{seconds / 60:.0f} min"


@contextlib.contextmanager
def _quiet_libraries(say: Any) -> Any:
    handler = _OneLine(say)
    loggers = [logging.getLogger(name) for name in ("procrastinate", "psycopg", "scrimmage.worker")]
    saved = [(lg.propagate, lg.level) for lg in loggers]
    for lg in loggers:
        lg.addHandler(handler)
        lg.propagate = False
        lg.setLevel(logging.WARNING)
    try:
        yield
    finally:
        for lg, (propagate, level) in zip(loggers, saved):
            lg.removeHandler(handler)
            lg.propagate, lg.level = propagate, level


def run_worker(queue: Queue, workdir: Path, options: WorkerOptions, say: Any = print) -> dict[str, Any]:
    """Run a worker until stopped (a signal, ``--max-tasks``, ``--exit-when-empty``); returns a summary."""
    ident = identity(options.worker_id)
    store.register_worker(queue, ident["worker_id"], None, ident, options.stalled_after)
    runtime = Runtime(queue, Path(workdir).resolve(), options, ident, say)
    started = time.monotonic()
    if not options.fresh_process and _can_fork():
        start_forkserver()  # its imports run while this worker connects; the first task waits for them only if sooner
    try:
        with _quiet_libraries(say):
            asyncio.run(_serve(runtime))
    finally:
        with contextlib.suppress(Exception):
            store.worker_stopped(queue, runtime.worker_id, ident["pid"])
    return {"worker_id": runtime.worker_id, "host": ident["host"], "tasks": runtime.claimed,
            "outcomes": runtime.outcomes, "seconds": round(time.monotonic() - started, 1),
            "stopped_by_signal": runtime.signals > 0}


async def _serve(runtime: Runtime) -> None:
    options = runtime.options
    app = make_app(runtime.queue.url)
    async with app.open_async():
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(signum, runtime.on_signal, signum)
        runtime.say(f"worker {runtime.worker_id} on {runtime.identity['host']} ({runtime.identity['cpus']} CPUs, "
                    f"{runtime.identity['device']}) pulling from {runtime.queue.display}, priorities >= {options.min_priority}")
        side: asyncio.Task[None] | None = None
        try:
            while True:  # one procrastinate worker per connection to the queue: a lost database means a new one
                worker = CampaignWorker(
                    app, queues=[queue_name(p) for p in range(options.min_priority, PRIORITY_MAX + 1)], name="scrimmage",
                    concurrency=1, wait=True, install_signal_handlers=False, update_heartbeat_interval=options.heartbeat,
                    stalled_worker_timeout=options.stalled_after, fetch_job_polling_interval=options.heartbeat,
                    abort_job_polling_interval=options.heartbeat, additional_context={"runtime": runtime})
                runtime.worker = worker
                try:
                    if side is None:  # at start; after a lost connection, housekeeping recovers once all had time to beat
                        await recover_stalled(app, runtime.queue, options.stalled_after, runtime.say)
                        await asyncio.to_thread(store.issue_tickets, runtime.queue)
                        side = asyncio.create_task(runtime.housekeeping())
                    await worker.run()
                    if runtime.stopped:
                        return
                    runtime.queue_down("the queue connection failed")
                except Exception as exc:
                    if runtime.signals:
                        raise
                    if _registration_dropped(exc):  # our procrastinate worker row was pruned: a new worker registers
                        runtime.say("the queue had dropped this worker's registration; registering again")
                        continue
                    if not _connection_lost(exc):
                        raise
                    runtime.queue_down(exc)
                if runtime.signals:
                    return
                await asyncio.sleep(max(options.heartbeat, 2.0))
        finally:
            if side is not None:
                side.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await side
            for signum in (signal.SIGTERM, signal.SIGINT):
                loop.remove_signal_handler(signum)


def _causes(exc: BaseException | None) -> list[BaseException]:
    """``exc`` and what it was raised from (procrastinate wraps psycopg's errors: ConnectorException from exc)."""
    chain: list[BaseException] = []
    while exc is not None and len(chain) < 6:
        chain.append(exc)
        exc = exc.__cause__ or exc.__context__
    return chain


def _connection_lost(exc: BaseException) -> bool:
    """Whether ``exc`` says the database went away (wait and retry), rather than an error the database gave (a value
    it refused, a constraint, a bug in a query: retrying would loop forever). The first psycopg error in the chain
    decides; a procrastinate ConnectorException with no database error under it counts as an outage."""
    import psycopg
    from procrastinate.exceptions import ConnectorException

    wrapped = False
    for cause in _causes(exc):
        if isinstance(cause, (psycopg.OperationalError, psycopg.InterfaceError)):
            return True  # connection refused or lost, server shut down, pool timeout
        if isinstance(cause, psycopg.Error):
            return False  # the server answered: RaiseException, DataError, IntegrityError ...
        if isinstance(cause, (ConnectionError, OSError)):
            return True
        wrapped = wrapped or isinstance(cause, ConnectorException)
    return wrapped


def _registration_dropped(exc: BaseException) -> bool:
    """Whether ``exc`` is procrastinate fetching with a worker id whose row is gone (pruned while this worker lived)."""
    import psycopg

    return any(isinstance(cause, psycopg.errors.ForeignKeyViolation) and "worker_id" in str(cause)
               for cause in _causes(exc))
