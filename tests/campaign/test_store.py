"""The rules of the task table, without training: claims are exclusive, every write of a running attempt is
fenced by its attempt and worker, recovery bumps the attempt (and fails past max_attempts), failures retry
or fail, waiting phases take their best base by metric and mode, and every pending task has a ticket."""

from __future__ import annotations

import pytest

import tests.campaign.plugin  # noqa: F401  (registers campaign-toy)
from scrimmage.campaign import store
from scrimmage.campaign.db import Queue, migrate
from scrimmage.campaign.sweep import expand, load_sweep
from tests.campaign.conftest import rows, task_rows, write_recipe, write_sweep


@pytest.fixture
def queue(queue_url) -> Queue:
    q = Queue(queue_url, embedded=False)
    migrate(q)
    migrate(q)  # idempotent: every command migrates on start
    return q


def submit(queue: Queue, tmp_path, mode: str = "min", max_attempts: int = 2) -> list[dict]:
    recipe = write_recipe(tmp_path / "toy.yaml")
    path = write_sweep(tmp_path / "sweep.yaml", "c", [
        {"name": "base", "priority": 7, "recipe": str(recipe), "grid": {"optim.lr": [0.01, 0.003]},
         "max_attempts": max_attempts},
        {"name": "follow", "priority": 4, "base": {"best_of": ["base"], "metric": "val/loss", "mode": mode},
         "overrides": {"trainer.epochs": 5}, "seeds": [1, 2]}])
    store.submit(queue, expand(load_sweep(path), path), append=False)
    return task_rows(queue.url, "c")


def result(loss: float) -> dict:
    return {"best": {"metric": "val/loss", "value": loss, "epoch": 2}, "val": {"loss": loss}, "test": {}}


def ticket_status(queue: Queue, job_id: int) -> str:
    return rows(queue.url, "SELECT status::text AS s FROM procrastinate_jobs WHERE id = %s", job_id)[0]["s"]


def test_claims_are_exclusive_and_writes_are_fenced(tmp_path, queue):
    first = submit(queue, tmp_path)[0]
    claimed = store.claim(queue, first["id"], first["job_id"], "w1", {"host": "h"})
    assert claimed["state"] == "running" and claimed["attempt"] == 1
    assert store.claim(queue, first["id"], first["job_id"], "w2", {"host": "h"}) is None  # a second ticket is a no-op
    assert store.heartbeat(queue, first["id"], 1, "w1", {"epoch": 1}, "log", None)
    assert not store.heartbeat(queue, first["id"], 1, "w2", {"epoch": 9}, None, None)  # not w2's
    assert store.recover(queue, first["id"], first["job_id"]) == "pending"  # w1 went silent
    row = task_rows(queue.url, "c")[0]
    assert (row["state"], row["attempt"], row["progress"]) == ("pending", 2, {"epoch": 1})
    assert "stopped heartbeating" in row["error"]
    # w1 comes back: nothing it writes lands
    assert not store.heartbeat(queue, first["id"], 1, "w1", {"epoch": 2}, None, None)
    assert not store.finish(queue, first["id"], 1, "w1", result(0.1), 5.0, None)
    assert not store.hand_back(queue, first["id"], 1, "w1", 5.0, None)
    assert store.fail_attempt(queue, first["id"], 1, "w1", "boom", 1.0, None, retryable=True) is None
    assert task_rows(queue.url, "c")[0]["progress"] == {"epoch": 1}
    # attempt 2 (the last one allowed) is recovered too: the task fails, naming why
    assert store.claim(queue, first["id"], first["job_id"], "w2", {"host": "h"})["attempt"] == 2
    assert store.recover(queue, first["id"], first["job_id"]) == "failed"
    assert store.recover(queue, first["id"], first["job_id"]) is None  # not running: nothing to recover


def test_failures_retry_until_max_attempts_and_user_errors_fail_at_once(tmp_path, queue):
    first, second = submit(queue, tmp_path)[:2]
    store.claim(queue, first["id"], first["job_id"], "w", {})
    assert store.fail_attempt(queue, first["id"], 1, "w", "crash", 1.0, None, retryable=True) == "pending"
    store.claim(queue, first["id"], first["job_id"], "w", {})
    assert store.fail_attempt(queue, first["id"], 2, "w", "crash again", 1.0, None, retryable=True) == "failed"
    store.claim(queue, second["id"], second["job_id"], "w", {})
    assert store.fail_attempt(queue, second["id"], 1, "w", "unknown key", 1.0, None, retryable=False) == "failed"
    states = {t["id"]: (t["state"], t["attempt"], t["error"]) for t in task_rows(queue.url, "c")}
    assert states[first["id"]] == ("failed", 2, "crash again") and states[second["id"]] == ("failed", 1, "unknown key")
    # both bases failed: the waiting phase fails with a reason instead of waiting forever
    follow = [t for t in task_rows(queue.url, "c") if t["phase"] == "follow"]
    assert {t["state"] for t in follow} == {"failed"} and "no task of base finished" in follow[0]["error"]
    # a retry gives each task a new attempt and a ticket; the waiting phase waits again
    assert len(store.retry(queue, "c", None, None)) == 4
    tasks = task_rows(queue.url, "c")
    assert [(t["state"], t["attempt"]) for t in tasks] == [("pending", 3), ("pending", 2), ("waiting", 2), ("waiting", 2)]
    assert all(ticket_status(queue, t["job_id"]) == "todo" for t in tasks[:2])


@pytest.mark.parametrize("mode, winner", [("min", 1), ("max", 0)])
def test_a_waiting_phase_takes_its_best_base(tmp_path, queue, mode, winner):
    tasks = submit(queue, tmp_path, mode=mode)
    for task, loss in zip(tasks[:2], (0.5, 0.3)):
        store.claim(queue, task["id"], task["job_id"], "w", {})
        assert store.finish(queue, task["id"], 1, "w", result(loss), 2.0, None)
    follow = [t for t in task_rows(queue.url, "c") if t["phase"] == "follow"]
    best = tasks[winner]
    assert {t["state"] for t in follow} == {"pending"}
    assert [t["config"]["trainer"]["seed"] for t in follow] == [1, 2]
    assert all(t["config"]["optim"]["lr"] == best["config"]["optim"]["lr"] and t["config"]["trainer"]["epochs"] == 5
               and t["swept"]["base_task"] == best["id"] for t in follow)
    assert [rows(queue.url, "SELECT priority FROM procrastinate_jobs WHERE id = %s", t["job_id"])[0]["priority"]
            for t in follow] == [4, 4]


def test_a_pending_task_without_a_live_ticket_gets_one(tmp_path, queue):
    first = submit(queue, tmp_path)[0]
    with queue.connect() as conn:
        conn.execute("UPDATE procrastinate_jobs SET status = 'failed' WHERE id = %s", (first["job_id"],))
    assert store.issue_tickets(queue) == 1
    assert store.issue_tickets(queue) == 0
    job = task_rows(queue.url, "c")[0]["job_id"]
    assert job != first["job_id"] and ticket_status(queue, job) == "todo"


def test_a_phase_appended_to_finished_bases_starts_at_once(tmp_path, queue):
    tasks = submit(queue, tmp_path)
    for task, loss in zip(tasks[:2], (0.5, 0.3)):
        store.claim(queue, task["id"], task["job_id"], "w", {})
        store.finish(queue, task["id"], 1, "w", result(loss), 2.0, None)
    more = write_sweep(tmp_path / "more.yaml", "c", [
        {"name": "longer", "priority": 3, "base": {"best_of": ["base"], "metric": "val/loss", "mode": "min"},
         "overrides": {"trainer.epochs": 9}, "seeds": [5]}])
    with queue.connect() as conn:
        known = store.known_phase_configs(conn, "c")
    store.submit(queue, expand(load_sweep(more), more, known_phases=known), append=True)
    longer = task_rows(queue.url, "c")[-1]
    assert (longer["phase"], longer["state"], longer["config"]["trainer"]["epochs"]) == ("longer", "pending", 9)
    assert longer["config"]["optim"]["lr"] == tasks[1]["config"]["optim"]["lr"]


def test_a_result_with_nan_or_infinite_metrics_is_recorded_with_nulls(tmp_path, queue):
    # PostgreSQL's json refuses NaN: a win rate over no bets must not make a finished task unrecordable
    first = submit(queue, tmp_path)[0]
    store.claim(queue, first["id"], first["job_id"], "w1", {"host": "h"})
    assert store.heartbeat(queue, first["id"], 1, "w1", {"epoch": 1, "val/win_rate": float("nan")}, None, None)
    done = result(0.2) | {"val": {"loss": 0.2, "win_rate": float("nan"), "q": [1.0, float("inf")]}}
    assert store.finish(queue, first["id"], 1, "w1", done, 3.0, None)
    row = task_rows(queue.url, "c")[0]
    assert row["state"] == "done"
    assert row["result"]["val"] == {"loss": 0.2, "win_rate": None, "q": [1.0, None]}
