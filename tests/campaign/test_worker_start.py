"""Two workers started at the same moment, and a queue that drops their procrastinate registrations while their
tasks train (what a prune does to a worker it takes for dead; seen in a real two-worker campaign, where a live
worker's ticket was then failed under it, its result write raised a traceback and a live worker showed as stopped).

Every ticket must end 'succeeded', every task done at attempt 1, no worker row may show stopped while tasks
remain, and no log may carry a traceback. Real worker processes on a real (embedded) PostgreSQL; heartbeats are
1 s, so another worker's housekeeping looks at the orphaned tickets several times while they train.
"""

from __future__ import annotations

import time

import pytest

from tests.campaign.conftest import rows, scrimmage, task_rows, wait_for, write_recipe, write_sweep

pytestmark = pytest.mark.slow


def test_workers_started_together_keep_their_tasks_when_the_queue_drops_their_registration(tmp_path, queue_url,
                                                                                            workers):
    recipe = write_recipe(tmp_path / "toy.yaml", trainer={"epochs": 4, "batch_size": 64, "seed": 0},
                          callbacks=[{"name": "campaign_pace", "seconds": 1.0}])
    sweep = write_sweep(tmp_path / "sweep.yaml", "together", [{"name": "p", "recipe": str(recipe), "seeds": [1, 2, 3]}])
    wd = tmp_path / "wd"
    out = scrimmage(wd, "campaign", "submit", str(sweep), "--queue", queue_url)
    assert out.returncode == 0, out.stderr + out.stdout
    pool = [workers(wd, queue_url, name, "--exit-when-empty", "--heartbeat", "1") for name in ("w1", "w2")]

    def both_training() -> bool:
        running = [t for t in task_rows(queue_url, "together") if t["state"] == "running"]
        return len(running) == 2 and all((t["progress"] or {}).get("epoch") for t in running)

    wait_for(both_training, 120, "both workers training a task")
    dropped = rows(queue_url, "DELETE FROM procrastinate_workers RETURNING id")
    assert len(dropped) == 2

    stopped_early = set()
    while any(w.proc.poll() is None for w in pool):  # no worker may show as stopped while a task remains
        active = rows(queue_url, "SELECT count(*) AS n FROM campaign_tasks WHERE state IN ('pending', 'running')")
        stopped = rows(queue_url, "SELECT id FROM campaign_workers WHERE stopped_at IS NOT NULL")
        if active[0]["n"]:
            stopped_early |= {r["id"] for r in stopped}
        time.sleep(0.3)
    logs = {w.log.name: w.output() for w in pool}
    assert all(w.wait(5) == 0 for w in pool), logs
    assert not stopped_early, logs
    tasks = task_rows(queue_url, "together")
    assert [(t["state"], t["attempt"], t["error"]) for t in tasks] == [("done", 1, None)] * 3, logs
    tickets = rows(queue_url, "SELECT id, status::text AS status FROM procrastinate_jobs ORDER BY id")
    assert [t["status"] for t in tickets] == ["succeeded"] * 3, (tickets, logs)
    for text in logs.values():
        assert "Traceback" not in text and "never retrieved" not in text and "cannot reach" not in text, text
    assert all("registration" in text for text in logs.values()), logs  # each noticed, and registered again
