"""Reads and writes of the campaign tables; the rules that keep a campaign consistent live here.

* A task row is the truth; a procrastinate job is a ticket naming it. Tickets are deferred in the
  same transaction as the rows they serve (procrastinate's ``batch_defer_jobs`` on our
  connection), so a submit is all or nothing. A pending task whose ticket is gone (a crash
  between two statements, a retry) gets a new one from :func:`issue_tickets`; a stale ticket
  (its task already claimed, cancelled or done) is a no-op for the worker that draws it.
* Claiming is one conditional UPDATE (``state = 'pending'``): two tickets for one task can never
  run it twice.
* Every write of a running attempt is fenced: ``WHERE id = task AND attempt = A AND worker_id = W
  AND state = 'running'``. Recovery of a stalled task bumps ``attempt``, so a worker that was
  paused past its heartbeat and comes back writes nothing: its UPDATE matches no row, and it
  aborts its child.
"""

from __future__ import annotations

import json
import math
from dataclasses import asdict
from typing import Any

from psycopg.types.json import Jsonb

from scrimmage.campaign.db import TASK_NAME, Queue, queue_name
from scrimmage.campaign.sweep import Expanded, TaskSpec, metric_value, resolve
from scrimmage.errors import ArgumentError, ConfigError

STATES = ("waiting", "pending", "running", "done", "failed", "cancelled")
ACTIVE = ("waiting", "pending", "running")


def _finite(value: Any) -> Any:
    """``value`` with NaN and infinities as null: PostgreSQL's json type refuses them, and a metric can be one
    (a win rate over no bets)."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {key: _finite(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_finite(item) for item in value]
    return value


def _jsonb(value: Any) -> Jsonb:
    return Jsonb(_finite(value))


def _jobs() -> Any:
    """A procrastinate job manager used only with our own connections (never opened: no pool of its own)."""
    from procrastinate import PsycopgConnector
    from procrastinate.manager import JobManager

    return JobManager(PsycopgConnector())


def _defer(conn: Any, rows: list[dict[str, Any]]) -> None:
    """Tickets for ``rows`` (id, priority) in the caller's transaction; their ids go into the rows."""
    if not rows:
        return
    from procrastinate.jobs import Job

    jobs = [Job(id=None, queue=queue_name(r["priority"]), task_name=TASK_NAME, priority=r["priority"], lock=None,
                queueing_lock=None, task_kwargs={"task_id": r["id"]}) for r in rows]
    deferred = _jobs().batch_defer_jobs(jobs, connection=conn)
    with conn.cursor() as cur:
        cur.executemany("UPDATE campaign_tasks SET job_id = %s WHERE id = %s",
                        [(job.id, row["id"]) for job, row in zip(deferred, rows)])


def campaign_exists(conn: Any, campaign: str) -> bool:
    return conn.execute("SELECT 1 FROM campaigns WHERE name = %s", (campaign,)).fetchone() is not None


def known_phase_configs(conn: Any, campaign: str) -> dict[str, list[dict[str, Any]]]:
    out: dict[str, list[dict[str, Any]]] = {}
    for row in conn.execute("SELECT phase, config FROM campaign_tasks WHERE campaign = %s ORDER BY id", (campaign,)):
        out.setdefault(row["phase"], [])
        if row["config"] is not None:
            out[row["phase"]].append(row["config"])
    return out


def submit(queue: Queue, expanded: Expanded, *, append: bool) -> dict[str, Any]:
    """Insert the campaign and its tasks and defer their tickets, in one transaction."""
    with queue.connect() as conn:
        with conn.transaction():
            conn.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", (f"campaign:{expanded.campaign}",))
            exists = campaign_exists(conn, expanded.campaign)
            if exists and not append:
                raise ArgumentError(f"campaign '{expanded.campaign}' exists already in {queue.display}; pass --append "
                                    "to add these phases to it, or give the sweep another campaign name.")
            if not exists:
                conn.execute("INSERT INTO campaigns (name, spec) VALUES (%s, %s)",
                             (expanded.campaign, _jsonb({"submits": [expanded.spec]})))
            else:
                conn.execute("UPDATE campaigns SET spec = jsonb_set(spec, '{submits}', (spec->'submits') || %s) "
                             "WHERE name = %s", (_jsonb([expanded.spec]), expanded.campaign))
            ids = _insert_tasks(conn, expanded.campaign, expanded.tasks)
            pending = [{"id": i, "priority": t.priority} for i, t in zip(ids, expanded.tasks) if t.state == "pending"]
            _defer(conn, pending)
    if exists and any(t.state == "waiting" for t in expanded.tasks):
        activate_waiting(queue, expanded.campaign)  # appended to bases that may have finished already
    return {"campaign": expanded.campaign, "tasks": len(expanded.tasks), "phases": expanded.phases(),
            "task_ids": [min(ids), max(ids)] if ids else [], "queue": queue.display, "appended": append and exists}


def _insert_tasks(conn: Any, campaign: str, tasks: list[TaskSpec]) -> list[int]:
    ids = []
    with conn.cursor() as cur:
        for task in tasks:
            cur.execute(
                "INSERT INTO campaign_tasks (campaign, phase, label, priority, recipe, config, overrides, swept, seed, "
                "base, state, max_attempts) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s) RETURNING id",
                (campaign, task.phase, task.label, task.priority, task.recipe,
                 _jsonb(task.config) if task.config is not None else None, _jsonb(task.overrides), _jsonb(task.swept),
                 task.seed, _jsonb(task.base) if task.base else None, task.state, task.max_attempts))
            task_id = cur.fetchone()["id"]
            ids.append(task_id)
            cur.execute("UPDATE campaign_tasks SET run_id = %s WHERE id = %s", (f"{campaign}-t{task_id}", task_id))
    return ids


# ---------------------------------------------------------------- worker side (fenced writes)


def claim(queue: Queue, task_id: int, job_id: int, worker_id: str, identity: dict[str, Any]) -> dict[str, Any] | None:
    """Take a pending task for this worker; None when the ticket is stale (claimed, cancelled, done)."""
    with queue.connect() as conn:
        return conn.execute(
            "UPDATE campaign_tasks SET state = 'running', worker_id = %s, worker = %s, job_id = %s, "
            "started_at = coalesce(started_at, now()), heartbeat_at = now(), error = NULL "
            "WHERE id = %s AND state = 'pending' RETURNING *",
            (worker_id, _jsonb(identity), job_id, task_id)).fetchone()


_FENCE = "WHERE id = %s AND attempt = %s AND worker_id = %s AND state = 'running'"


def heartbeat(queue: Queue, task_id: int, attempt: int, worker_id: str, progress: dict[str, Any] | None,
              log_tail: str | None, log_path: str | None) -> bool:
    """Progress of a running attempt; False when this worker no longer holds it (superseded, cancelled)."""
    with queue.connect() as conn:
        row = conn.execute(
            "UPDATE campaign_tasks SET heartbeat_at = now(), progress = coalesce(%s, progress), "
            f"log_tail = coalesce(%s, log_tail), log_path = coalesce(%s, log_path) {_FENCE} RETURNING id",
            (_jsonb(progress) if progress is not None else None, log_tail, log_path, task_id, attempt, worker_id)).fetchone()
        conn.execute("UPDATE campaign_workers SET heartbeat_at = now(), task_id = %s WHERE id = %s", (task_id, worker_id))
        conn.commit()
        return row is not None


def finish(queue: Queue, task_id: int, attempt: int, worker_id: str, result: dict[str, Any], seconds: float,
           log_tail: str | None) -> bool:
    with queue.connect() as conn:
        row = conn.execute(
            "UPDATE campaign_tasks SET state = 'done', result = %s, finished_at = now(), worker_id = NULL, "
            f"wall_seconds = wall_seconds + %s, log_tail = coalesce(%s, log_tail), error = NULL {_FENCE} RETURNING campaign",
            (_jsonb(result), seconds, log_tail, task_id, attempt, worker_id)).fetchone()
        if row is not None:
            conn.execute("UPDATE campaign_workers SET tasks_done = tasks_done + 1, task_id = NULL WHERE id = %s", (worker_id,))
        conn.commit()
    if row is not None:
        activate_waiting(queue, row["campaign"])
    return row is not None


def hand_back(queue: Queue, task_id: int, attempt: int, worker_id: str, seconds: float, log_tail: str | None) -> bool:
    """A gracefully stopped attempt goes back to pending with the same attempt number (it checkpointed)."""
    with queue.connect() as conn:
        row = conn.execute(
            "UPDATE campaign_tasks SET state = 'pending', worker_id = NULL, wall_seconds = wall_seconds + %s, "
            f"log_tail = coalesce(%s, log_tail) {_FENCE} RETURNING id", (seconds, log_tail, task_id, attempt, worker_id)).fetchone()
        conn.execute("UPDATE campaign_workers SET task_id = NULL WHERE id = %s", (worker_id,))
        conn.commit()
        return row is not None


def fail_attempt(queue: Queue, task_id: int, attempt: int, worker_id: str, error: str, seconds: float,
                 log_tail: str | None, *, retryable: bool) -> str | None:
    """An attempt that failed: the task is pending again with attempt + 1 while attempts remain (and the error
    can change on a retry), else failed. Returns the new state, or None when this worker no longer held it."""
    with queue.connect() as conn:
        row = conn.execute(
            "UPDATE campaign_tasks SET error = %s, worker_id = NULL, wall_seconds = wall_seconds + %s, "
            "log_tail = coalesce(%s, log_tail), "
            "state = CASE WHEN %s AND attempt < max_attempts THEN 'pending' ELSE 'failed' END, "
            "attempt = CASE WHEN %s AND attempt < max_attempts THEN attempt + 1 ELSE attempt END, "
            f"finished_at = CASE WHEN %s AND attempt < max_attempts THEN NULL ELSE now() END {_FENCE} RETURNING state, campaign",
            (error, seconds, log_tail, retryable, retryable, retryable, task_id, attempt, worker_id)).fetchone()
        conn.execute("UPDATE campaign_workers SET task_id = NULL WHERE id = %s", (worker_id,))
        conn.commit()
    if row is not None and row["state"] == "failed":
        activate_waiting(queue, row["campaign"])
    return row["state"] if row is not None else None


def recover(queue: Queue, task_id: int, job_id: int, stale_after: float = 0.0) -> str | None:
    """A running task whose worker stopped heartbeating: attempt + 1, pending (or failed past max attempts).
    Returns the new state, or None when the task was not running on that ticket, or its own heartbeat is younger
    than ``stale_after`` seconds (nothing to do).

    The task row's heartbeat decides, not procrastinate's view of the worker: a live worker whose queue
    registration was dropped (its ticket then shows no worker) still beats here, and must keep its task."""
    with queue.connect() as conn:
        row = conn.execute(
            "UPDATE campaign_tasks SET worker_id = NULL, "
            "error = 'worker ' || coalesce(worker_id, '?') || ' stopped heartbeating (killed, paused or lost) during attempt ' || attempt, "
            "state = CASE WHEN attempt < max_attempts THEN 'pending' ELSE 'failed' END, "
            "finished_at = CASE WHEN attempt < max_attempts THEN NULL ELSE now() END, "
            "attempt = attempt + 1 "
            "WHERE id = %s AND job_id = %s AND state = 'running' "
            "AND coalesce(heartbeat_at, '-infinity') <= now() - make_interval(secs => %s) RETURNING state, campaign",
            (task_id, job_id, stale_after)).fetchone()
        conn.commit()
    if row is not None and row["state"] == "failed":
        activate_waiting(queue, row["campaign"])
    return row["state"] if row is not None else None


def task_state(queue: Queue, task_id: int) -> dict[str, Any] | None:
    with queue.connect() as conn:
        return conn.execute("SELECT id, state, attempt, job_id, priority FROM campaign_tasks WHERE id = %s",
                            (task_id,)).fetchone()


def issue_tickets(queue: Queue, campaign: str | None = None) -> int:
    """Defer a ticket for every pending task that has none in the queue (todo or doing); returns how many."""
    with queue.connect() as conn:
        with conn.transaction():
            rows = conn.execute(
                "SELECT t.id, t.priority FROM campaign_tasks t LEFT JOIN procrastinate_jobs j ON j.id = t.job_id "
                "WHERE t.state = 'pending' AND (%s::text IS NULL OR t.campaign = %s) "
                "AND (j.id IS NULL OR j.status NOT IN ('todo', 'doing')) ORDER BY t.id FOR UPDATE OF t SKIP LOCKED",
                (campaign, campaign)).fetchall()
            _defer(conn, rows)
    return len(rows)


def activate_waiting(queue: Queue, campaign: str) -> list[int]:
    """Waiting phases whose bases have all ended: pick the best base task, resolve and queue the phase's tasks
    (or fail them, naming why, when no base task finished)."""
    activated: list[int] = []
    with queue.connect() as conn:
        with conn.transaction():
            conn.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", (f"campaign:{campaign}",))
            waiting = conn.execute("SELECT * FROM campaign_tasks WHERE campaign = %s AND state = 'waiting' ORDER BY id",
                                   (campaign,)).fetchall()
            phases: dict[str, list[dict[str, Any]]] = {}
            for row in waiting:
                phases.setdefault(row["phase"], []).append(row)
            for phase, rows in phases.items():
                base = rows[0]["base"]
                bases = conn.execute("SELECT * FROM campaign_tasks WHERE campaign = %s AND phase = ANY(%s)",
                                     (campaign, base["best_of"])).fetchall()
                if any(b["state"] in ACTIVE for b in bases):
                    continue
                scored = [(metric_value(b["result"], base["metric"]), b) for b in bases if b["state"] == "done"]
                scored = [(v, b) for v, b in scored if v is not None]
                if not scored:
                    conn.execute("UPDATE campaign_tasks SET state = 'failed', finished_at = now(), error = %s "
                                 "WHERE id = ANY(%s)", (f"no task of {', '.join(base['best_of'])} finished with "
                                 f"{base['metric']}; nothing to build on (retry the base phases, then this one)",
                                 [r["id"] for r in rows]))
                    continue
                _, best = (max if base["mode"] == "max" else min)(scored, key=lambda item: item[0])
                ready = []
                for row in rows:
                    try:
                        config = resolve(best["config"], row["overrides"], row["seed"], phase=phase, label=row["label"],
                                         check_files=False)
                    except ConfigError as exc:
                        conn.execute("UPDATE campaign_tasks SET state = 'failed', finished_at = now(), error = %s "
                                     "WHERE id = %s", (str(exc), row["id"]))
                        continue
                    swept = {**{k: v for k, v in best["swept"].items() if k != "seed"},
                             "base_task": best["id"], "base_label": best["label"], "seed": config["trainer"]["seed"]}
                    conn.execute("UPDATE campaign_tasks SET state = 'pending', config = %s, swept = %s, seed = %s, "
                                 "recipe = %s WHERE id = %s", (_jsonb(config), _jsonb(swept), config["trainer"]["seed"],
                                                                best["recipe"], row["id"]))
                    ready.append({"id": row["id"], "priority": row["priority"]})
                _defer(conn, ready)
                activated += [r["id"] for r in ready]
    return activated


# ---------------------------------------------------------------- user commands


def require_campaign(conn: Any, campaign: str) -> None:
    if not campaign_exists(conn, campaign):
        names = [r["name"] for r in conn.execute("SELECT name FROM campaigns ORDER BY created_at")]
        import difflib

        close = difflib.get_close_matches(campaign, names, n=1)
        hint = f" Did you mean '{close[0]}'?" if close else ""
        known = f" Campaigns: {', '.join(names)}." if names else " No campaign has been submitted to this queue yet."
        raise ArgumentError(f"no campaign named '{campaign}' in this queue.{hint}{known}")


def tasks(queue: Queue, campaign: str) -> list[dict[str, Any]]:
    with queue.connect() as conn:
        require_campaign(conn, campaign)
        return conn.execute("SELECT * FROM campaign_tasks WHERE campaign = %s ORDER BY id", (campaign,)).fetchall()


def task(queue: Queue, task_id: int) -> dict[str, Any]:
    with queue.connect() as conn:
        row = conn.execute("SELECT * FROM campaign_tasks WHERE id = %s", (task_id,)).fetchone()
    if row is None:
        raise ArgumentError(f"no task {task_id} in this queue; `scrimmage campaign status CAMPAIGN` lists task ids.")
    return row


def campaigns(queue: Queue) -> list[dict[str, Any]]:
    with queue.connect() as conn:
        return conn.execute(
            "SELECT c.name, c.created_at, " + ", ".join(
                f"count(*) FILTER (WHERE t.state = '{s}') AS {s}" for s in STATES) +
            " FROM campaigns c LEFT JOIN campaign_tasks t ON t.campaign = c.name GROUP BY c.name ORDER BY c.created_at"
        ).fetchall()


def workers(queue: Queue, stale_after: float) -> list[dict[str, Any]]:
    """Workers that heartbeat within ``stale_after`` seconds and have not stopped, with the task they run."""
    with queue.connect() as conn:
        return conn.execute(
            "SELECT w.*, extract(epoch FROM now() - w.heartbeat_at) AS heartbeat_age, t.campaign, t.label, t.progress, "
            "t.worker AS task_worker "
            "FROM campaign_workers w LEFT JOIN campaign_tasks t ON t.id = w.task_id AND t.state = 'running' "
            "AND t.worker_id = w.id WHERE w.stopped_at IS NULL AND w.heartbeat_at > now() - make_interval(secs => %s) "
            "ORDER BY w.id", (stale_after,)).fetchall()


def _task_state(conn: Any, campaign: str, task_id: int) -> dict[str, Any]:
    """The task's row (its state), or an error naming the campaign and how to list its tasks."""
    row = conn.execute("SELECT state FROM campaign_tasks WHERE id = %s AND campaign = %s", (task_id, campaign)).fetchone()
    if row is None:
        raise ArgumentError(f"campaign '{campaign}' has no task {task_id}; `scrimmage campaign status {campaign}` "
                            "lists its tasks.")
    return row


def retry(queue: Queue, campaign: str, task_id: int | None, priority: int | None) -> list[int]:
    """Failed or cancelled tasks (or one of them) back to the queue as a new attempt, optionally at a new priority."""
    with queue.connect() as conn:
        with conn.transaction():
            require_campaign(conn, campaign)
            if task_id is not None:
                row = _task_state(conn, campaign, task_id)
                if row["state"] not in ("failed", "cancelled"):
                    raise ArgumentError(f"task {task_id} is {row['state']}; only failed or cancelled tasks can be retried.")
            rows = conn.execute(
                "UPDATE campaign_tasks SET state = CASE WHEN config IS NULL THEN 'waiting' ELSE 'pending' END, "
                "attempt = attempt + 1, max_attempts = attempt + 1 + (max_attempts - least(attempt, max_attempts)), "
                "priority = coalesce(%s, priority), error = NULL, finished_at = NULL, worker_id = NULL "
                "WHERE campaign = %s AND state IN ('failed', 'cancelled') AND (%s::bigint IS NULL OR id = %s) "
                "RETURNING id, priority, state", (priority, campaign, task_id, task_id)).fetchall()
            _defer(conn, [r for r in rows if r["state"] == "pending"])
    activate_waiting(queue, campaign)
    return [r["id"] for r in rows]


def cancel(queue: Queue, campaign: str, task_id: int | None) -> tuple[list[int], list[int]]:
    """Cancel waiting, pending and running tasks; returns (cancelled task ids, tickets to abort or cancel)."""
    with queue.connect() as conn:
        with conn.transaction():
            require_campaign(conn, campaign)
            if task_id is not None:
                row = _task_state(conn, campaign, task_id)
                if row["state"] not in ACTIVE:
                    raise ArgumentError(f"task {task_id} is {row['state']} already; only waiting, pending or running "
                                        "tasks can be cancelled.")
            rows = conn.execute(
                "UPDATE campaign_tasks SET state = 'cancelled', finished_at = now(), error = 'cancelled by the user' "
                "WHERE campaign = %s AND state IN ('waiting', 'pending', 'running') AND (%s::bigint IS NULL OR id = %s) "
                "RETURNING id, job_id", (campaign, task_id, task_id)).fetchall()
    return [r["id"] for r in rows], [r["job_id"] for r in rows if r["job_id"] is not None]


def register_worker(queue: Queue, worker_id: str, queue_worker_id: int | None, identity: dict[str, Any],
                    stale_after: float) -> None:
    from scrimmage.errors import StoreError

    with queue.connect() as conn:
        with conn.transaction():
            live = conn.execute("SELECT host, pid FROM campaign_workers WHERE id = %s AND stopped_at IS NULL AND "
                                "heartbeat_at > now() - make_interval(secs => %s) FOR UPDATE", (worker_id, stale_after)).fetchone()
            if live is not None:
                raise StoreError(f"a worker with id '{worker_id}' is running already (host {live['host']}, pid "
                                 f"{live['pid']}); give this one another --worker-id, or leave it out.")
            conn.execute(
                "INSERT INTO campaign_workers (id, queue_worker_id, host, pid, identity) VALUES (%s, %s, %s, %s, %s) "
                "ON CONFLICT (id) DO UPDATE SET queue_worker_id = excluded.queue_worker_id, host = excluded.host, "
                "pid = excluded.pid, identity = excluded.identity, started_at = now(), heartbeat_at = now(), "
                "stopped_at = NULL, task_id = NULL, tasks_done = 0",
                (worker_id, queue_worker_id, identity["host"], identity["pid"], _jsonb(identity)))


def worker_alive(queue: Queue, worker_id: str, queue_worker_id: int | None, pid: int | None = None) -> None:
    """The worker's heartbeat; the process that registered the row (``pid``) also clears a ``stopped_at`` that is
    not true (a live worker must show in ``campaign status``)."""
    with queue.connect() as conn:
        conn.execute("UPDATE campaign_workers SET heartbeat_at = now(), queue_worker_id = coalesce(%s, queue_worker_id), "
                     "stopped_at = CASE WHEN pid = %s THEN NULL ELSE stopped_at END WHERE id = %s",
                     (queue_worker_id, pid, worker_id))
        conn.commit()


def local_workers(queue: Queue, host: str, stale_after: float) -> int:
    with queue.connect() as conn:
        row = conn.execute("SELECT count(*) AS n FROM campaign_workers WHERE host = %s AND stopped_at IS NULL AND "
                           "heartbeat_at > now() - make_interval(secs => %s)", (host, stale_after)).fetchone()
        return int(row["n"])


def worker_stopped(queue: Queue, worker_id: str, pid: int | None = None) -> None:
    """Mark the worker stopped; with ``pid``, only while the row is that process's (a worker that took the same id
    since is left alone)."""
    with queue.connect() as conn:
        conn.execute("UPDATE campaign_workers SET stopped_at = now(), task_id = NULL "
                     "WHERE id = %s AND (%s::bigint IS NULL OR pid = %s)", (worker_id, pid, pid))
        conn.commit()


def new_log_text(seen: str, tail: str) -> str:
    """What ``tail`` (the log tail the queue keeps now) adds to ``seen`` (the tail printed before), for ``campaign
    logs --follow`` on a machine that cannot read the worker's log file. The kept tail slides over the log, so the
    end of ``seen`` is looked for in ``tail``; when the log grew by more than the tail between two looks, the whole
    tail is new, after a line that says lines were skipped."""
    if tail.startswith(seen):  # the log still fits in the kept tail (or nothing was seen yet)
        return tail[len(seen):]
    anchor = seen[-512:]  # short enough to lie in the overlap of two looks, long enough to be unique in a log
    at = tail.rfind(anchor)
    if at >= 0:
        return tail[at + len(anchor):]
    return "[... earlier lines were not kept in the queue ...]\n" + tail


def dumps(value: Any) -> str:
    return json.dumps(value, default=str)


__all__ = ["STATES", "TaskSpec", "asdict"]
