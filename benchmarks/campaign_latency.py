"""Campaign queue latency: how long a task waits for an idle worker, from its claim to its process start, and its
whole round trip, at 1, 4 and 8 worker processes (on a throwaway embedded PostgreSQL server).

    .venv/bin/python benchmarks/campaign_latency.py [--workers 1 4 8] [--rounds 20]

Tasks are no-ops run through the real path: ``scrimmage worker --noop`` claims each task (procrastinate's fetch,
our conditional claim), writes its spec, forks the task process from its preloaded forkserver, which writes a
result and exits at once instead of training; the worker records it (the fenced finish, the worker row, waiting
phases). The workers start and run one warm-up burst first (their forkserver imports are not latency). Then, each
round, W tasks are submitted at once (one transaction) to W idle workers and the round ends when all are done.

Per task: ``pickup`` = claim time - submit time (LISTEN/NOTIFY wake-up and fetch), ``claim_to_start`` = the task
process's start - claim time, ``round_trip`` = done time - submit time (everything a user waits for). Times come
from the database's clock (now() of each transaction) and the task process's clock, one machine. Prints one JSON
line with p50/p99 of each per worker count.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


def summary(values: list[float]) -> dict[str, float]:
    return {"p50_ms": round(1000 * statistics.median(values), 1), "p99_ms": round(1000 * percentile(values, 0.99), 1)}


def burst(queue, expand, load_sweep, store, sweep_path: Path, campaign: str, n: int, first: bool) -> list[int]:
    seeds = list(range(n))
    sweep_path.write_text(yaml.safe_dump({"campaign": campaign, "phases": [
        {"name": f"b{time.perf_counter_ns()}", "recipe": str(sweep_path.parent / "toy.yaml"), "seeds": seeds}]}))
    out = store.submit(queue, expand(load_sweep(sweep_path), sweep_path), append=not first)
    return list(range(out["task_ids"][0], out["task_ids"][1] + 1))


def wait_done(queue, ids: list[int], timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with queue.connect() as conn:
            left = conn.execute("SELECT count(*) AS n FROM campaign_tasks WHERE id = ANY(%s) AND state <> 'done'",
                                (ids,)).fetchone()["n"]
        if not left:
            return
        time.sleep(0.02)
    raise SystemExit(f"tasks {ids} not done after {timeout} s: see the worker logs")


def measure(home: Path, base_url: str, workers: int, rounds: int) -> dict[str, object]:
    import psycopg

    from scrimmage.campaign import store
    from scrimmage.campaign.db import open_queue
    from scrimmage.campaign.sweep import expand, load_sweep

    name = f"lat{workers}"
    with psycopg.connect(base_url, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        conn.execute(f"CREATE DATABASE {name}")
    url = base_url.replace("/postgres?", f"/{name}?")
    queue = open_queue(url, home)
    sweep = home / "sweep.yaml"
    env = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONPATH": str(ROOT)}
    logs = [open(home / f"worker-{workers}-{i}.log", "w") for i in range(workers)]  # closed in the finally below
    procs = [subprocess.Popen([sys.executable, "-c", "from scrimmage.cli.main import cli; cli()", "--workdir",
                               str(home / "wd"), "worker", "--queue", url, "--worker-id", f"w{workers}-{i}", "--threads",
                               "1", "--heartbeat", "2", "--noop"], cwd=ROOT, env=env, stdout=logs[i],
                              stderr=subprocess.STDOUT) for i in range(workers)]
    try:
        wait_done(queue, burst(queue, expand, load_sweep, store, sweep, "latency", 2 * workers, True), 300)  # warm-up
        ids: list[int] = []
        for _ in range(rounds):
            time.sleep(0.3)  # every worker back to waiting on LISTEN
            batch = burst(queue, expand, load_sweep, store, sweep, "latency", workers, False)
            wait_done(queue, batch)
            ids += batch
        with queue.connect() as conn:
            rows = conn.execute(
                "SELECT extract(epoch FROM created_at) AS submitted, extract(epoch FROM started_at) AS claimed, "
                "extract(epoch FROM finished_at) AS finished, (result->>'started')::float AS process, "
                "worker->>'worker_id' AS worker FROM campaign_tasks WHERE id = ANY(%s)", (ids,)).fetchall()
    finally:
        for proc in procs:
            proc.terminate()
        for proc in procs:
            proc.wait(timeout=60)
        for log in logs:
            log.close()
    pickup = [float(r["claimed"] - r["submitted"]) for r in rows]
    start = [float(r["process"]) - float(r["claimed"]) for r in rows]
    trip = [float(r["finished"] - r["submitted"]) for r in rows]
    return {"workers": workers, "tasks": len(rows), "workers_used": len({r["worker"] for r in rows}),
            "pickup": summary(pickup), "claim_to_start": summary(start), "round_trip": summary(trip)}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 4, 8])
    parser.add_argument("--rounds", type=int, default=20, help="bursts of W tasks per worker count")
    args = parser.parse_args()

    import tests.campaign.plugin as plugin  # registers campaign-toy: a recipe that needs no data on disk
    from scrimmage.campaign import server

    home = Path(tempfile.mkdtemp(prefix="scrimmage-bench-"))
    try:
        (home / "toy.yaml").write_text(yaml.safe_dump(plugin.RECIPE))
        base_url = server.start(home)
        results = [measure(home, base_url, w, args.rounds) for w in args.workers]
        print(json.dumps({"benchmark": "campaign_latency", "cpus": len(os.sched_getaffinity(0)),
                          "rounds": args.rounds, "results": results}))
    finally:
        server.stop(home)
        shutil.rmtree(home, ignore_errors=True)


if __name__ == "__main__":
    main()
