"""``scrimmage campaign``: submit sweeps, watch them, read logs, retry, cancel, export results."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import typer

from scrimmage.cli.common import WORKDIR_OPTION, console, emit_json, err_console, print_table, user_errors, workdir_from
from scrimmage.cli.worker import QUEUE_HELP
from scrimmage.errors import ArgumentError

campaign_app = typer.Typer(no_args_is_help=True, rich_markup_mode=None, add_completion=False)

QUEUE = typer.Option(None, "--queue", metavar="URL", help=QUEUE_HELP)
JSON = typer.Option(False, "--json", help="Print one JSON object on the last stdout line.")


def _queue(ctx: typer.Context, queue: str | None, workdir: Path | None) -> Any:
    from scrimmage.campaign.db import open_queue

    return open_queue(queue, workdir_from(ctx, workdir))


@campaign_app.command("submit")
@user_errors
def submit(
    ctx: typer.Context,
    sweep: Path = typer.Argument(..., help="Sweep file (YAML): campaign name and phases, e.g. recipes/campaign-demo.yaml."),
    queue: str | None = QUEUE,
    append: bool = typer.Option(False, "--append", help="Add these phases to an existing campaign of the same name."),
    json_out: bool = JSON,
    workdir: Path | None = WORKDIR_OPTION,
) -> None:
    """Expand a sweep into tasks (every config validated first) and queue them."""
    from scrimmage.campaign import store
    from scrimmage.campaign.sweep import expand, load_sweep

    spec = load_sweep(sweep)
    expanded = None if append else expand(spec, sweep)  # every config checked before the queue is touched
    q = _queue(ctx, queue, workdir)
    if append:
        with q.connect() as conn:
            known = store.known_phase_configs(conn, spec.campaign)
        expanded = expand(spec, sweep, known_phases=known)
    summary = store.submit(q, expanded, append=append)
    out = err_console if json_out else console
    phases = ", ".join(f"{name} ({p['tasks']} task(s), priority {p['priority']}{', waiting' if p['state'] == 'waiting' else ''})"
                       for name, p in summary["phases"].items())
    out.print(f"campaign {summary['campaign']}: {summary['tasks']} task(s) queued in {summary['queue']}: {phases}. "
              f"Start workers with: scrimmage worker", markup=False, highlight=False, soft_wrap=True)
    if json_out:
        emit_json(summary)


@campaign_app.command("status")
@user_errors
def status(
    ctx: typer.Context,
    campaign: str | None = typer.Argument(None, help="Campaign name (default: list every campaign)."),
    queue: str | None = QUEUE,
    watch: bool = typer.Option(False, "--watch", help="Refresh every 2 s until the campaign has no task left to run (Ctrl-C stops)."),
    json_out: bool = JSON,
    workdir: Path | None = WORKDIR_OPTION,
) -> None:
    """Tasks by phase and state, live workers, failures, throughput and ETA."""
    from scrimmage.campaign import store
    from scrimmage.campaign.results import summary as summarise

    q = _queue(ctx, queue, workdir)
    if campaign is None:
        rows = store.campaigns(q)
        if json_out:
            emit_json({"campaigns": [{"campaign": r["name"], "tasks": {s: r[s] for s in store.STATES}} for r in rows]})
            return
        if not rows:
            console.print("no campaign in this queue yet; submit one with: scrimmage campaign submit SWEEP.yaml", markup=False)
            return
        print_table(console, "campaigns", ["campaign", *store.STATES],
                    [[r["name"], *(str(r[s]) for s in store.STATES)] for r in rows], wide=True)
        return
    while True:
        summary = summarise(campaign, store.tasks(q, campaign), store.workers(q, 30.0))
        if json_out and not watch:
            emit_json(summary)
            return
        if watch:
            console.clear()
        _print_status(summary)
        counts = summary["tasks"]
        if not watch or counts["waiting"] + counts["pending"] + counts["running"] == 0:
            if json_out:
                emit_json(summary)
            return
        time.sleep(2)


def _print_status(s: dict[str, Any]) -> None:
    counts = s["tasks"]
    line = ", ".join(f"{v} {k}" for k, v in counts.items() if v)
    rate = f"; {s['tasks_per_hour']} tasks/h" if s["tasks_per_hour"] else ""
    eta = f", ETA {_duration(s['eta_s'])}" if s["eta_s"] else ""
    console.print(f"campaign {s['campaign']}: {line or 'no tasks'}{rate}{eta}", markup=False, highlight=False)
    from scrimmage.campaign.store import STATES

    print_table(console, "phases", ["phase", "priority", *STATES],
                [[name, str(p["priority"]), *(str(p[st]) for st in STATES)] for name, p in s["phases"].items()], wide=True)
    if s["workers"]:
        print_table(console, "workers", ["worker", "host", "heartbeat", "task", "epoch", "samples/s", "threads", "done"],
                    [[w["id"], w["host"], f"{w['heartbeat_age_s']:.0f} s ago", str(w["task"] or "-"), str(w["epoch"] or "-"),
                      f"{w['samples_per_s']:,.0f}" if w["samples_per_s"] else "-", str(w["threads"] or "-"),
                      str(w["tasks_done"])] for w in s["workers"]], wide=True)
    for f in s["failures"]:
        console.print(f"failed: task {f['task']} ({f['phase']}/{f['label']}, attempt {f['attempt']}): {f['error']}",
                      markup=False, highlight=False, soft_wrap=True)


def _duration(seconds: float) -> str:
    seconds = int(seconds)
    return f"{seconds // 3600}h{seconds % 3600 // 60:02d}m" if seconds >= 3600 else f"{seconds // 60}m{seconds % 60:02d}s"


@campaign_app.command("logs")
@user_errors
def logs(
    ctx: typer.Context,
    task: int = typer.Argument(..., help="Task id (see campaign status)."),
    queue: str | None = QUEUE,
    follow: bool = typer.Option(False, "--follow", "-f", help="Keep printing new lines until the task stops running."),
    workdir: Path | None = WORKDIR_OPTION,
) -> None:
    """Print a task's log (its worker's log file when this machine sees it, else the tail kept in the queue)."""
    from scrimmage.campaign import store

    q = _queue(ctx, queue, workdir)
    row = store.task(q, task)
    path = Path(row["log_path"]) if row["log_path"] else None
    if path is None or not path.is_file():
        _follow_kept_tail(q, task, row, follow)
        return
    offset = 0
    while True:
        if path is not None and path.is_file():
            with path.open("rb") as handle:
                handle.seek(offset)
                chunk = handle.read()
                offset += len(chunk)
            if chunk:
                typer.echo(chunk.decode("utf-8", "replace"), nl=False)
        if not follow or store.task(q, task)["state"] not in ("waiting", "pending", "running"):
            return
        time.sleep(1)


def _follow_kept_tail(q: Any, task: int, row: dict[str, Any], follow: bool) -> None:
    """The log as the queue keeps it (its last 64 KB, renewed by the worker's heartbeat when the log grew), for a
    machine that cannot read the worker's file: with ``follow``, looked at every second and printed as it grows
    (``store.new_log_text``) until the task stops running."""
    from scrimmage.campaign import store

    where = row["worker_id"] or (row["worker"] or {}).get("host")
    if row["log_tail"]:
        err_console.print(f"(the log file {row['log_path'] or ''} is on worker {where}; its last lines as kept in the "
                          "queue" + (", followed every second" if follow else "") + ":)", markup=False, highlight=False)
    else:
        err_console.print(f"task {task} is {row['state']} and has no log yet.", markup=False)
    seen = ""
    while True:
        tail = row["log_tail"] or ""
        text = store.new_log_text(seen, tail)
        if text:
            typer.echo(text, nl=False)
        seen = tail or seen
        if not follow or row["state"] not in ("waiting", "pending", "running"):
            return
        time.sleep(1)
        row = store.task(q, task)


@campaign_app.command("retry")
@user_errors
def retry(
    ctx: typer.Context,
    campaign: str = typer.Argument(..., help="Campaign name."),
    task: int | None = typer.Option(None, "--task", metavar="ID", help="Retry only this task."),
    member: int | None = typer.Option(None, "--member", metavar="SEED", help="With --task of a vectorized ensemble: "
                                      "queue that member (its seed) again as a sequential single-seed task."),
    priority: int | None = typer.Option(None, "--priority", metavar="P", help="Queue them at this priority (0-100)."),
    queue: str | None = QUEUE,
    json_out: bool = JSON,
    workdir: Path | None = WORKDIR_OPTION,
) -> None:
    """Queue failed or cancelled tasks again as a new attempt (or one ensemble member as a task of its own)."""
    from scrimmage.campaign import store
    from scrimmage.campaign.db import check_priority

    if priority is not None:
        check_priority(priority, "--priority")
    if member is not None and task is None:
        raise ArgumentError("--member needs --task ID: the vectorized task whose member (seed) to train again.")
    q = _queue(ctx, queue, workdir)
    if member is not None:
        ids = _retry_member(q, campaign, int(task), member, priority)  # type: ignore[arg-type]
    else:
        ids = store.retry(q, campaign, task, priority)
    out = err_console if json_out else console
    out.print(f"campaign {campaign}: {len(ids)} task(s) queued again" + (f": {', '.join(map(str, ids))}" if ids else
              " (none was failed or cancelled)"), markup=False, highlight=False)
    if json_out:
        emit_json({"campaign": campaign, "retried": ids})


def _retry_member(q: Any, campaign: str, task_id: int, seed: int, priority: int | None) -> list[int]:
    """A new sequential task for one member of a vectorized task (the task itself stays as it is)."""
    from scrimmage.campaign import store
    from scrimmage.campaign.sweep import Expanded, member_retry

    row = store.task(q, task_id)
    if row["campaign"] != campaign:
        raise ArgumentError(f"task {task_id} belongs to campaign {row['campaign']}, not {campaign}.")
    spec = member_retry(row, seed)
    if priority is not None:
        spec.priority = priority
    summary = store.submit(q, Expanded(campaign, {"retry_member": {"task": task_id, "seed": seed}}, [spec]), append=True)
    return list(range(summary["task_ids"][0], summary["task_ids"][1] + 1)) if summary["task_ids"] else []


@campaign_app.command("cancel")
@user_errors
def cancel(
    ctx: typer.Context,
    campaign: str = typer.Argument(..., help="Campaign name."),
    task: int | None = typer.Option(None, "--task", metavar="ID", help="Cancel only this task."),
    queue: str | None = QUEUE,
    json_out: bool = JSON,
    workdir: Path | None = WORKDIR_OPTION,
) -> None:
    """Cancel waiting and pending tasks and abort running ones."""
    from scrimmage.campaign import store

    q = _queue(ctx, queue, workdir)
    ids, job_ids = store.cancel(q, campaign, task)
    from scrimmage.campaign.worker import make_app

    app = make_app(q.url)
    app.open()
    try:
        for job_id in job_ids:
            try:
                app.job_manager.cancel_job_by_id(job_id, abort=True)
            except Exception:  # a ticket already finished: nothing to stop
                pass
    finally:
        app.close()
    out = err_console if json_out else console
    out.print(f"campaign {campaign}: {len(ids)} task(s) cancelled (running ones are aborted by their workers)",
              markup=False, highlight=False)
    if json_out:
        emit_json({"campaign": campaign, "cancelled": ids})


@campaign_app.command("results")
@user_errors
def results(
    ctx: typer.Context,
    campaign: str = typer.Argument(..., help="Campaign name."),
    csv: Path = typer.Option(..., "--csv", metavar="FILE", help="Write one row per done task here."),
    plots: Path | None = typer.Option(None, "--plots", metavar="DIR", help="Also write PNG plots here (swept values vs metric, learning curves)."),
    queue: str | None = QUEUE,
    json_out: bool = JSON,
    workdir: Path | None = WORKDIR_OPTION,
) -> None:
    """One row per done task: phase, label, swept values, seed, metrics, epochs, wall time, worker, attempts."""
    from scrimmage.campaign import results as res
    from scrimmage.campaign import store

    if csv.is_dir():
        raise ArgumentError(f"--csv {csv} is a folder; pass a file name such as results.csv.")
    if plots is not None and plots.exists() and not plots.is_dir():
        raise ArgumentError(f"--plots {plots} is a file; pass a folder (created if missing).")
    q = _queue(ctx, queue, workdir)
    tasks = store.tasks(q, campaign)
    rows = res.result_rows(tasks)
    if not rows:
        raise ArgumentError(f"campaign {campaign} has no done task yet; nothing written. See: scrimmage campaign status {campaign}")
    csv.parent.mkdir(parents=True, exist_ok=True)
    res.write_csv(rows, csv)
    written = res.write_plots(tasks, rows, plots) if plots is not None else []
    out = err_console if json_out else console
    out.print(f"campaign {campaign}: {len(rows)} done task(s) written to {csv}" +
              (f"; {len(written)} plot(s) in {plots}" if plots is not None else ""), markup=False, highlight=False)
    if json_out:
        emit_json({"campaign": campaign, "rows": len(rows), "csv": str(csv), "plots": written})


@campaign_app.command("server")
@user_errors
def server_cmd(
    ctx: typer.Context,
    stop: bool = typer.Option(False, "--stop", help="Stop the embedded server (its data stays; the next command starts it)."),
    json_out: bool = JSON,
    workdir: Path | None = WORKDIR_OPTION,
) -> None:
    """Where the embedded PostgreSQL server lives and whether it runs; --stop stops it."""
    from scrimmage.campaign import server

    root = workdir_from(ctx, workdir)
    stopped = server.stop(root) if stop else False
    info = server.status(root)
    out = err_console if json_out else console
    state = "stopped (its data stays; the next command starts it again)" if stopped else (
        f"running (pid {info.pid})" if info.running else "not running")
    out.print(f"embedded PostgreSQL in {info.data_dir}: {state}", markup=False, highlight=False)
    if json_out:
        emit_json({"data_dir": info.data_dir, "running": info.running, "pid": info.pid, "url": info.url, "stopped": stopped})
