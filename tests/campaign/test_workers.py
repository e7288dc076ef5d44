"""Workers as real processes on a real queue: two workers drain a campaign by priority and phase (one of
them takes high priorities only); a stopped task goes back with its attempt and resumes; a SIGKILLed
worker's task is recovered as attempt 2 from its checkpoint and ends with the metrics of an
uninterrupted twin; a worker paused past its heartbeat cannot overwrite the attempt that replaced it; a
database that goes away mid-task loses nothing; only a lost connection is waited out as an outage: an outcome the
database refuses fails the attempt at once, naming why (the fast tests at the end, on a real database).

Each test trains the tiny ``campaign-toy`` regression; ``campaign_pace`` makes its epochs last a second
so a worker can be stopped mid-task at a known epoch. Heartbeats are 1 s (a silent worker is dead
after 3 s).
"""

from __future__ import annotations

import asyncio
import json
import signal
import time
from pathlib import Path

import psycopg
import pytest

from scrimmage.campaign import store
from scrimmage.campaign.db import Queue, migrate
from scrimmage.errors import StoreError
from tests.campaign.conftest import rows, scrimmage, task_rows, wait_for, write_recipe, write_sweep


def progress_epoch(url: str, campaign: str) -> int:
    row = task_rows(url, campaign)[0]
    return int((row["progress"] or {}).get("epoch") or 0) if row["state"] == "running" else 0


def submit(workdir: Path, url: str, sweep: Path) -> None:
    out = scrimmage(workdir, "campaign", "submit", str(sweep), "--queue", url)
    assert out.returncode == 0, out.stderr + out.stdout


@pytest.mark.slow
def test_two_workers_drain_a_campaign_by_priority_then_waiting_phases(tmp_path, queue_url, workers):
    recipe = write_recipe(tmp_path / "toy.yaml", trainer={"epochs": 2, "batch_size": 64, "seed": 0})
    sweep = write_sweep(tmp_path / "sweep.yaml", "drain", [
        {"name": "low", "priority": 3, "recipe": str(recipe), "seeds": [3]},
        {"name": "high", "priority": 9, "recipe": str(recipe), "grid": {"optim.lr": [0.01, 0.003]}},
        {"name": "best", "priority": 5, "base": {"best_of": ["high"], "metric": "val/loss", "mode": "min"},
         "seeds": [11]}])
    wd = tmp_path / "wd"
    submit(wd, queue_url, sweep)
    pool = [workers(wd, queue_url, "w1", "--exit-when-empty", "--heartbeat", "1", "--min-priority", "4"),
            workers(wd, queue_url, "w2", "--exit-when-empty", "--heartbeat", "1")]
    for worker in pool:
        assert worker.wait(420) == 0, worker.output()
    tasks = {t["label"]: t for t in task_rows(queue_url, "drain")}
    assert {t["state"] for t in tasks.values()} == {"done"}, {k: (t["state"], t["error"]) for k, t in tasks.items()}
    assert {t["attempt"] for t in tasks.values()} == {1}
    high = [t for t in tasks.values() if t["phase"] == "high"]
    low = tasks["s3"]
    best = [t for t in tasks.values() if t["phase"] == "best"]
    assert all(t["started_at"] < low["started_at"] for t in high), "priority 9 runs before priority 3"
    assert all(b["started_at"] >= max(h["finished_at"] for h in high) for b in best), "a waiting phase waits for its bases"
    winner = min(high, key=lambda t: t["result"]["best"]["value"])
    assert all(b["swept"]["base_task"] == winner["id"] and b["config"]["optim"]["lr"] == winner["config"]["optim"]["lr"]
               for b in best)
    assert [b["config"]["trainer"]["seed"] for b in best] == [11]
    assert low["worker"]["worker_id"] == "w2", "w1 takes priority 4 and up only"
    identity = low["worker"]
    assert identity["threads"] == 1 and identity["cpus"] >= 1 and identity["device"] and identity["host"]

    status = scrimmage(wd, "campaign", "status", "drain", "--queue", queue_url, "--json")
    summary = json.loads(status.stdout.strip().splitlines()[-1])
    assert summary["tasks"]["done"] == 4 and summary["workers"] == [] and summary["tasks_per_hour"] > 0
    out = scrimmage(wd, "campaign", "results", "drain", "--queue", queue_url, "--csv", str(tmp_path / "r.csv"),
                    "--plots", str(tmp_path / "plots"))
    assert out.returncode == 0, out.stderr
    import pandas as pd

    table = pd.read_csv(tmp_path / "r.csv")
    assert len(table) == 4 and {"task", "phase", "label", "optim.lr", "seed", "best", "epochs", "wall_s", "worker",
                                "attempts", "val/loss", "test/loss"} <= set(table.columns)
    assert {"curves-high.png", "curves-best.png", "swept-optim_lr.png", "swept-seed.png"} <= {
        p.name for p in (tmp_path / "plots").iterdir()}
    logs = scrimmage(wd, "campaign", "logs", str(low["id"]), "--queue", queue_url)
    assert "done: max epochs after 2 epochs" in logs.stdout


@pytest.mark.slow
def test_a_stopped_task_goes_back_and_a_killed_workers_task_is_recovered(tmp_path, queue_url, workers):
    recipe = write_recipe(tmp_path / "toy.yaml", trainer={"epochs": 8, "batch_size": 64, "seed": 0},
                          callbacks=[{"name": "campaign_pace", "seconds": 1.0}])
    twin = write_recipe(tmp_path / "twin.yaml", trainer={"epochs": 8, "batch_size": 64, "seed": 0})  # no pace
    sweep = write_sweep(tmp_path / "sweep.yaml", "chaos", [{"name": "one", "priority": 5, "recipe": str(recipe)},
                                                           {"name": "twin", "priority": 4, "recipe": str(twin)}])
    wd = tmp_path / "wd"
    submit(wd, queue_url, sweep)
    run_id = task_rows(queue_url, "chaos")[0]["run_id"]
    last = wd / "runs" / run_id / "checkpoints" / "last.ckpt"

    first = workers(wd, queue_url, "first", "--heartbeat", "1")
    wait_for(lambda: progress_epoch(queue_url, "chaos") >= 2, 240, "epoch 2 on the first worker")
    first.signal(signal.SIGTERM)  # graceful: the child checkpoints, the task goes back with the same attempt
    assert first.wait(120) == 0, first.output()
    row = task_rows(queue_url, "chaos")[0]
    assert (row["state"], row["attempt"], row["worker_id"]) == ("pending", 1, None), first.output()
    assert last.is_file() and "back in the queue" in first.output()

    second = workers(wd, queue_url, "second", "--heartbeat", "1")
    wait_for(lambda: progress_epoch(queue_url, "chaos") >= 5, 240, "epoch 5 on the second worker")
    assert task_rows(queue_url, "chaos")[0]["attempt"] == 1
    second.signal(signal.SIGKILL)  # its child dies with it; the queue notices the silence
    second.wait(30)

    third = workers(wd, queue_url, "third", "--heartbeat", "1", "--exit-when-empty")
    assert third.wait(300) == 0, third.output()
    row = task_rows(queue_url, "chaos")[0]
    assert (row["state"], row["attempt"], row["worker"]["worker_id"]) == ("done", 2, "third"), row["error"]
    assert row["result"]["epochs_completed"] == 8
    twin_row = task_rows(queue_url, "chaos")[1]
    assert twin_row["state"] == "done" and twin_row["attempt"] == 1
    # stopped, resumed, killed and resumed again: exactly the numbers of the uninterrupted twin (deterministic training)
    assert row["result"]["val"] == twin_row["result"]["val"]
    assert row["result"]["test"] == twin_row["result"]["test"]
    assert row["result"]["best"] == twin_row["result"]["best"]
    attempt1 = (wd / "campaigns" / "chaos" / f"t{row['id']}" / "attempt-1" / "log.txt").read_text()
    attempt2 = (wd / "campaigns" / "chaos" / f"t{row['id']}" / "attempt-2" / "log.txt").read_text()
    assert attempt1.count("resumed from") == 1, attempt1  # the second worker resumed the stopped attempt
    assert "resumed from" in attempt2 and "at epoch 1," not in attempt2.split("resumed from")[1].splitlines()[0]


@pytest.mark.slow
def test_a_paused_worker_cannot_overwrite_the_attempt_that_replaced_it(tmp_path, queue_url, workers):
    recipe = write_recipe(tmp_path / "toy.yaml", trainer={"epochs": 8, "batch_size": 64, "seed": 0},
                          callbacks=[{"name": "campaign_pace", "seconds": 1.0}])
    sweep = write_sweep(tmp_path / "sweep.yaml", "fence", [{"name": "one", "recipe": str(recipe)}])
    wd = tmp_path / "wd"
    submit(wd, queue_url, sweep)
    paused = workers(wd, queue_url, "paused", "--heartbeat", "1")
    wait_for(lambda: progress_epoch(queue_url, "fence") >= 2, 240, "epoch 2 on the first worker")
    paused.signal(signal.SIGSTOP)
    successor = workers(wd, queue_url, "successor", "--heartbeat", "1", "--exit-when-empty")
    wait_for(lambda: (lambda r: r["state"] == "running" and r["attempt"] == 2 and r["worker_id"] == "successor")(
        task_rows(queue_url, "fence")[0]), 240, "attempt 2 running on the successor")
    paused.signal(signal.SIGCONT)
    wait_for(lambda: "another attempt holds it now" in paused.output() or "replaced attempt 1" in paused.output(),
             60, "the paused worker to notice it lost the task")
    row = task_rows(queue_url, "fence")[0]
    assert (row["attempt"], row["worker_id"]) == (2, "successor")
    assert successor.wait(300) == 0, successor.output()
    row = task_rows(queue_url, "fence")[0]
    assert (row["state"], row["attempt"], row["worker"]["worker_id"]) == ("done", 2, "successor")
    assert "abort" in (wd / "campaigns" / "fence" / f"t{row['id']}" / "attempt-1" / "log.txt").read_text()
    paused.signal(signal.SIGTERM)
    assert paused.wait(60) == 0, paused.output()
    assert task_rows(queue_url, "fence")[0]["state"] == "done"


@pytest.mark.slow
def test_a_database_that_goes_away_loses_nothing(server_home, workers):
    """The embedded server stops for longer than the stalled-worker timeout while a task trains and another is done:
    the worker says so once (and once that it is back), the running task finishes and is recorded as its first
    attempt, the finished one stays done."""
    from scrimmage.campaign import server

    wd = server_home
    recipe = write_recipe(wd / "toy.yaml", trainer={"epochs": 4, "batch_size": 64, "seed": 0},
                          callbacks=[{"name": "campaign_pace", "seconds": 1.0}])
    sweep = write_sweep(wd / "sweep.yaml", "away", [{"name": "one", "recipe": str(recipe), "seeds": [1, 2]}])
    out = scrimmage(wd, "campaign", "submit", str(sweep))  # the embedded server in the workdir
    assert out.returncode == 0, out.stderr
    url = server.status(wd).url
    worker = workers(wd, None, "steady", "--heartbeat", "1", "--exit-when-empty")

    def second_running() -> bool:
        first, second = task_rows(url, "away")
        return first["state"] == "done" and second["state"] == "running" and (second["progress"] or {}).get("epoch")

    wait_for(second_running, 240, "the first task done and the second training")
    assert server.stop(wd)
    import time

    time.sleep(6)  # longer than the stalled-worker timeout (3 heartbeats)
    server.start(wd)
    assert worker.wait(240) == 0, worker.output()
    first, second = task_rows(url, "away")
    assert (first["state"], first["attempt"]) == ("done", 1)
    assert (second["state"], second["attempt"]) == ("done", 1), (second["error"], worker.output())
    assert second["result"]["epochs_completed"] == 4
    text = worker.output()
    assert text.count("cannot reach the queue") == 1 and text.count("the queue is back after") == 1, text
    assert "Traceback" not in text and "psycopg" not in text, text


@pytest.mark.slow
def test_a_worker_on_a_real_postgresql_server(tmp_path, real_queue_url, workers):
    recipe = write_recipe(tmp_path / "toy.yaml", trainer={"epochs": 1, "batch_size": 64, "seed": 0})
    sweep = write_sweep(tmp_path / "sweep.yaml", "remote", [{"name": "one", "recipe": str(recipe)}])
    wd = tmp_path / "wd"
    submit(wd, real_queue_url, sweep)
    worker = workers(wd, real_queue_url, "remote", "--heartbeat", "1", "--exit-when-empty", "--max-tasks", "1")
    assert worker.wait(240) == 0, worker.output()
    row = task_rows(real_queue_url, "remote")[0]
    assert (row["state"], row["attempt"], row["worker"]["worker_id"]) == ("done", 1, "remote")
    assert not (wd / "postgres").exists(), "a --queue URL never starts the embedded server"


@pytest.mark.slow
def test_a_running_task_cancelled_by_the_user_is_aborted(tmp_path, queue_url, workers):
    recipe = write_recipe(tmp_path / "toy.yaml", trainer={"epochs": 30, "batch_size": 64, "seed": 0},
                          callbacks=[{"name": "campaign_pace", "seconds": 1.0}])
    sweep = write_sweep(tmp_path / "sweep.yaml", "stop", [{"name": "one", "recipe": str(recipe)}])
    wd = tmp_path / "wd"
    submit(wd, queue_url, sweep)
    worker = workers(wd, queue_url, "busy", "--heartbeat", "1", "--exit-when-empty")
    wait_for(lambda: progress_epoch(queue_url, "stop") >= 2, 240, "epoch 2")
    row = task_rows(queue_url, "stop")[0]
    out = scrimmage(wd, "campaign", "cancel", "stop", "--task", str(row["id"]), "--queue", queue_url, "--json")
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout.strip().splitlines()[-1])["cancelled"] == [row["id"]]
    assert worker.wait(60) == 0, worker.output()  # the child stopped long before its 30 epochs; nothing is left to run
    row = task_rows(queue_url, "stop")[0]
    assert (row["state"], row["attempt"], row["error"]) == ("cancelled", 1, "cancelled by the user")
    assert row["result"] is None and "cancelled" in worker.output()
    log = (wd / "campaigns" / "stop" / f"t{row['id']}" / "attempt-1" / "log.txt").read_text()
    assert "abort" in log, log
    run_dir = wd / "runs" / row["run_id"]
    assert not (run_dir / "result.json").exists(), "an aborted run writes no result"
    assert int(row["progress"]["epoch"]) < 10, "the run stopped at the cancel, not at its end"


def _ticket(queue: Queue) -> int:
    """A procrastinate ticket (for a task id no row has: procrastinate does not care)."""
    with queue.connect() as conn:
        store._defer(conn, [{"id": 999, "priority": 0}])
        conn.commit()
    return int(rows(queue.url, "SELECT max(id) AS id FROM procrastinate_jobs")[0]["id"])


def test_only_a_lost_connection_counts_as_an_outage(tmp_path, queue_url):
    from procrastinate.exceptions import ConnectorException
    from procrastinate.jobs import Status

    from scrimmage.campaign.worker import _connection_lost, make_app

    queue = Queue(queue_url, embedded=False)
    migrate(queue)
    job_id = _ticket(queue)

    async def finish_twice() -> BaseException:
        app = make_app(queue_url)
        async with app.open_async():
            await app.job_manager.finish_job_by_id_async(job_id, Status.SUCCEEDED, delete_job=False)
            with pytest.raises(ConnectorException) as raised:  # PostgreSQL's RAISE, wrapped by procrastinate
                await app.job_manager.finish_job_by_id_async(job_id, Status.FAILED, delete_job=False)
            return raised.value

    assert not _connection_lost(asyncio.run(finish_twice()))
    with pytest.raises(psycopg.DataError) as refused:  # a value PostgreSQL refuses (NUL in a json string)
        store.finish(queue, 999, 1, "w", {"note": "a\x00b"}, 1.0, None)
    assert not _connection_lost(refused.value)
    with pytest.raises(StoreError) as away:  # no server at that socket: unreachable
        store.task_state(Queue(f"postgresql://postgres@/postgres?host={tmp_path}", embedded=False), 1)
    assert _connection_lost(away.value)


def test_an_outcome_the_queue_refuses_fails_the_attempt_instead_of_waiting(tmp_path, queue_url):
    from types import SimpleNamespace

    from scrimmage.campaign.sweep import expand, load_sweep
    from scrimmage.campaign.worker import Runtime, TaskFailed, WorkerOptions

    queue = Queue(queue_url, embedded=False)
    migrate(queue)
    sweep = write_sweep(tmp_path / "sweep.yaml", "refused", [{"name": "one", "recipe": str(write_recipe(tmp_path / "t.yaml"))}])
    store.submit(queue, expand(load_sweep(sweep), sweep), append=False)
    task = task_rows(queue_url, "refused")[0]
    assert store.claim(queue, task["id"], task["job_id"], "w", {"host": "h"}) is not None
    folder = tmp_path / "attempt-1"
    folder.mkdir()
    (folder / "result.json").write_text(json.dumps({"note": "a\x00b"}))  # PostgreSQL's json refuses NUL
    said: list[str] = []
    runtime = Runtime(queue, tmp_path, WorkerOptions(heartbeat=0.2), {"worker_id": "w"}, said.append)
    started = time.monotonic()
    with pytest.raises(TaskFailed, match="the queue refused this task's result .*UntranslatableCharacter"):
        asyncio.run(runtime._outcome_or_refused(SimpleNamespace(additional_context={}), task["id"], 1, folder, 0,
                                                1.0, "the log"))
    assert time.monotonic() - started < 10, "failed at once, not retried"
    row = task_rows(queue_url, "refused")[0]
    assert (row["state"], row["attempt"]) == ("failed", 1) and "UntranslatableCharacter" in row["error"], row
    assert not any("cannot reach" in line for line in said), said


def test_a_lost_connection_is_waited_out_and_said_once(tmp_path):
    from scrimmage.campaign.worker import Runtime, WorkerOptions

    away = Queue(f"postgresql://postgres@/postgres?host={tmp_path}", embedded=False)  # no server there
    said: list[str] = []
    runtime = Runtime(away, tmp_path, WorkerOptions(heartbeat=0.2), {"worker_id": "w"}, said.append)

    async def record() -> None:
        await asyncio.wait_for(runtime._record(1, "result", store.task_state, away, 1), timeout=2.5)

    with pytest.raises(TimeoutError):  # still waiting: retried every 2 s, said once
        asyncio.run(record())
    assert sum("cannot reach the queue" in line for line in said) == 1, said
    assert sum("waits here until the queue is back" in line for line in said) == 1, said


def test_logs_follow_on_another_machine_prints_the_kept_tail_as_it_grows(tmp_path, queue_url):
    """The worker's log file is not visible here: ``campaign logs --follow`` re-reads the tail the queue keeps every
    second and prints each line once, until the task ends."""
    import subprocess
    import sys

    from scrimmage.campaign.sweep import expand, load_sweep
    from tests.campaign.conftest import REPO, cli_env

    queue = Queue(queue_url, embedded=False)
    migrate(queue)
    sweep = write_sweep(tmp_path / "sweep.yaml", "far", [{"name": "one", "recipe": str(write_recipe(tmp_path / "t.yaml"))}])
    store.submit(queue, expand(load_sweep(sweep), sweep), append=False)
    task = task_rows(queue_url, "far")[0]
    assert store.claim(queue, task["id"], task["job_id"], "w", {"host": "elsewhere"}) is not None
    elsewhere = "/nonexistent/worker/log.txt"  # the worker's file, on its own machine
    assert store.heartbeat(queue, task["id"], 1, "w", None, "epoch 1\n", elsewhere)
    out = tmp_path / "follow.out"
    with out.open("w") as handle:
        follower = subprocess.Popen(
            [sys.executable, "-m", "tests.campaign.cli", "campaign", "logs", str(task["id"]), "--follow", "--queue",
             queue_url], cwd=REPO, env=cli_env(), stdout=handle, stderr=subprocess.DEVNULL)
        try:
            wait_for(lambda: out.read_text() == "epoch 1\n", 60, "the kept tail printed")
            assert store.heartbeat(queue, task["id"], 1, "w", None, "epoch 1\nepoch 2\n", elsewhere)
            wait_for(lambda: out.read_text() == "epoch 1\nepoch 2\n", 10, "the new line printed")
            assert store.finish(queue, task["id"], 1, "w", {"best": None}, 1.0, "epoch 1\nepoch 2\ndone\n")
            assert follower.wait(10) == 0
        finally:
            follower.kill()
    assert out.read_text() == "epoch 1\nepoch 2\ndone\n"
