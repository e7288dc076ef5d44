"""``scrimmage worker``: pull campaign tasks from the queue and train them (see :mod:`scrimmage.campaign.worker`)."""

from __future__ import annotations

from pathlib import Path

import typer

from scrimmage.cli.common import WORKDIR_OPTION, console, emit_json, err_console, user_errors, workdir_from
from scrimmage.errors import ArgumentError

QUEUE_HELP = ("PostgreSQL URL of the campaign queue (postgresql://user@host:5432/db); default: $SCRIMMAGE_QUEUE, "
              "else the embedded server in <workdir>/postgres.")


@user_errors
def worker(
    ctx: typer.Context,
    queue: str | None = typer.Option(None, "--queue", metavar="URL", help=QUEUE_HELP),
    worker_id: str | None = typer.Option(None, "--worker-id", metavar="ID", help="This worker's name in status (default: host-pid)."),
    min_priority: int = typer.Option(0, "--min-priority", metavar="P", help="Take only tasks of priority P or higher (0-100)."),
    max_tasks: int | None = typer.Option(None, "--max-tasks", metavar="N", help="Stop after taking N tasks."),
    exit_when_empty: bool = typer.Option(False, "--exit-when-empty", help="Stop when the queue holds no task this worker could run (pending, waiting or running elsewhere)."),
    threads: int | None = typer.Option(None, "--threads", metavar="N", help="Torch threads per task (default: this machine's CPUs shared among its live workers)."),
    heartbeat: float = typer.Option(10.0, "--heartbeat", metavar="SECONDS", help="Heartbeat period; a worker silent for 3 periods is declared dead and its task recovered."),
    fresh_process: bool = typer.Option(False, "--fresh-process", help="Start each task in a new Python interpreter (seconds of imports per task) instead of forking it from one that preloaded the training code; use it when workers must pick up code changed while they run."),
    noop: bool = typer.Option(False, "--noop", hidden=True, help="Tasks end at once without training (benchmarks of the queue itself)."),
    json_out: bool = typer.Option(False, "--json", help="Print a summary as one JSON object on the last stdout line."),
    workdir: Path | None = WORKDIR_OPTION,
) -> None:
    """Run campaign tasks from the queue, each in a child process, until stopped (Ctrl-C: checkpoint and hand back)."""
    root = workdir_from(ctx, workdir)
    from scrimmage.campaign.db import check_priority, open_queue
    from scrimmage.campaign.sweep import NAME

    check_priority(min_priority, "--min-priority")
    if max_tasks is not None and max_tasks < 1:
        raise ArgumentError(f"--max-tasks must be at least 1 (or left out to run until stopped), got {max_tasks}.")
    if threads is not None and threads < 1:
        raise ArgumentError(f"--threads must be at least 1, got {threads}.")
    if not 0.2 <= heartbeat <= 600:
        raise ArgumentError(f"--heartbeat must be between 0.2 and 600 seconds, got {heartbeat}.")
    if worker_id is not None and not NAME.match(worker_id):
        raise ArgumentError(f"--worker-id {worker_id!r}: use letters, digits, '.', '_' and '-' (up to 80 characters).")
    q = open_queue(queue, root)
    from scrimmage.campaign.worker import WorkerOptions, run_worker

    out = err_console if json_out else console
    options = WorkerOptions(worker_id=worker_id, min_priority=min_priority, max_tasks=max_tasks,
                            exit_when_empty=exit_when_empty, threads=threads, heartbeat=heartbeat,
                            fresh_process=fresh_process, noop=noop)
    summary = run_worker(q, root, options, say=lambda text: out.print(text, markup=False, highlight=False, soft_wrap=True))
    out.print(f"worker {summary['worker_id']} stopped: {summary['tasks']} task(s) taken "
              f"({', '.join(f'{v} {k}' for k, v in summary['outcomes'].items()) or 'none finished'}) in {summary['seconds']} s",
              markup=False, highlight=False)
    if json_out:
        emit_json(summary)
