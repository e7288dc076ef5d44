"""Chaos: 50 short tasks, 4 worker processes, and a killer that SIGKILLs a random worker every few seconds and
starts a replacement; every task ends done exactly once, none lost, none duplicated. On the embedded server and
on the machine's PostgreSQL (skipped with the reason when it is unreachable).

The killer's choices (which worker, how long until the next kill) come from a seeded generator, so a failing
schedule replays; when it kills still depends on how fast this machine runs the tasks. Killing starts once a
task is done (the workers are busy, past their start) and stops after 4 kills. Tasks are the tiny
``campaign-toy`` regression for 2 epochs, about 0.3 s of CPU each (forked from the worker's preloaded
interpreter) plus 0.4 s asleep per epoch, so most kills land mid-task at no CPU cost; heartbeats are 1 s, so a
killed worker's task is recovered 3 s after it went silent. Most of the test's CPU is the 8 worker starts (each
forkserver imports torch and Lightning once). Checks: every task done, one results row each, one recorded
finish each (the workers' done counts add up to 50), each run's history holds each epoch once.
"""

from __future__ import annotations

import random
import signal
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from scrimmage.campaign import store
from scrimmage.campaign.db import open_queue
from scrimmage.campaign.results import result_rows
from scrimmage.campaign.sweep import expand, load_sweep
from tests.campaign.conftest import Worker, rows, task_rows, write_recipe, write_sweep

pytestmark = pytest.mark.slow

SEED = 13
TASKS = 50
WORKERS = 4
KILLS = 4
EPOCHS = 2
PACE = 0.4  # seconds asleep after each epoch: tasks last long enough to be killed mid-way, at no CPU cost


def _done(url: str, campaign: str) -> int:
    return int(rows(url, "SELECT count(*) AS n FROM campaign_tasks WHERE campaign = %s AND state = 'done'",
                    campaign)[0]["n"])


def run_chaos(tmp_path: Path, url: str, start: Callable[..., Worker]) -> dict[str, int]:
    recipe = write_recipe(tmp_path / "toy.yaml", trainer={"epochs": EPOCHS, "batch_size": 64, "seed": 0},
                          callbacks=[{"name": "campaign_pace", "seconds": PACE}])
    sweep = write_sweep(tmp_path / "sweep.yaml", "chaos", [{"name": "seeds", "recipe": str(recipe),
                                                            "seeds": list(range(TASKS))}])
    wd = tmp_path / "wd"
    submitted = store.submit(open_queue(url, wd), expand(load_sweep(sweep), sweep), append=False)  # as `campaign
    assert submitted["tasks"] == TASKS  # submit` does, in this process: a CLI start costs seconds of CPU
    t0 = time.monotonic()
    marks: dict[str, float] = {}
    rng = random.Random(SEED)
    args = ("--heartbeat", "1", "--exit-when-empty")
    live = {f"w{i}": start(wd, url, f"w{i}", *args) for i in range(WORKERS)}
    everyone = dict(live)
    kills = 0
    deadline = time.monotonic() + 240
    while _done(url, "chaos") < 1 and time.monotonic() < deadline:  # kill workers that are busy, not starting
        time.sleep(0.2)
    marks["first_done_s"] = round(time.monotonic() - t0, 1)
    while kills < KILLS and _done(url, "chaos") < TASKS and time.monotonic() < deadline:
        time.sleep(rng.uniform(1.0, 2.5))
        victim = rng.choice(sorted(live))
        live.pop(victim).signal(signal.SIGKILL)
        kills += 1
        name = f"r{kills}"
        live[name] = everyone[name] = start(wd, url, name, *args)
    marks["kills_over_s"] = round(time.monotonic() - t0, 1)
    marks["done_by_then"] = _done(url, "chaos")
    for name, worker in live.items():
        assert worker.wait(max(1.0, deadline - time.monotonic())) == 0, f"{name}:\n{worker.output()}"

    marks["all_exited_s"] = round(time.monotonic() - t0, 1)
    tasks = task_rows(url, "chaos")
    assert len(tasks) == TASKS
    states = {t["id"]: (t["state"], t["attempt"], t["error"]) for t in tasks if t["state"] != "done"}
    assert not states, f"tasks not done: {states}\n" + "\n".join(f"--- {n}\n{w.output()[-3000:]}" for n, w in everyone.items())
    results = result_rows(tasks)
    assert sorted(r["task"] for r in results) == sorted(t["id"] for t in tasks), "one results row per task"
    assert {r["epochs"] for r in results} == {EPOCHS}
    finishes = rows(url, "SELECT coalesce(sum(tasks_done), 0) AS n FROM campaign_workers")[0]["n"]
    assert finishes == TASKS, f"{finishes} finishes recorded for {TASKS} tasks: a task was finished twice"
    for t in tasks:  # the run's history holds each epoch once: no two attempts trained one run at the same time
        history = (wd / "runs" / t["run_id"] / "history.csv").read_text().splitlines()
        assert [float(line.split(",")[0]) for line in history[1:]] == list(range(1, EPOCHS + 1)), (t["id"], history)
    counts = {"kills": kills, "retries": sum(t["attempt"] - 1 for t in tasks),
              "recovered_tasks": sum(t["attempt"] > 1 for t in tasks), "done": len(results),
              "workers": len(everyone)}
    print(f"chaos ({url.split('@')[-1].split('?')[0]}): {counts} {marks}")
    assert kills == KILLS, "the killer ran out of time before its kills: the tasks finished too fast to test anything"
    return counts


def test_chaos_on_the_embedded_server(tmp_path, queue_url, workers):
    run_chaos(tmp_path, queue_url, workers)


def test_chaos_on_postgresql(tmp_path, real_queue_url, workers):
    run_chaos(tmp_path, real_queue_url, workers)
