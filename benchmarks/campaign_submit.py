"""Submitting a big campaign: expanding and validating N task configs, then one transaction that inserts the task
rows and defers their procrastinate tickets (on a throwaway embedded PostgreSQL server).

    .venv/bin/python benchmarks/campaign_submit.py [--tasks 10000]

Prints one JSON line: tasks, seconds to expand and validate, seconds to insert and defer, tasks/s.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--tasks", type=int, default=10_000)
    args = parser.parse_args()

    import tests.campaign.plugin as plugin  # registers campaign-toy: a recipe that needs no data on disk
    from scrimmage.campaign import server, store
    from scrimmage.campaign.db import open_queue
    from scrimmage.campaign.sweep import expand, load_sweep

    home = Path(tempfile.mkdtemp(prefix="scrimmage-bench-"))
    try:
        recipe = home / "toy.yaml"
        recipe.write_text(yaml.safe_dump(plugin.RECIPE))
        lrs = [round(1e-4 * (1 + i), 6) for i in range(100)]
        seeds = list(range(max(1, args.tasks // len(lrs))))
        sweep = home / "sweep.yaml"
        sweep.write_text(yaml.safe_dump({"campaign": "bench", "phases": [
            {"name": "grid", "recipe": str(recipe), "grid": {"optim.lr": lrs}, "seeds": seeds}]}))
        started = time.perf_counter()
        expanded = expand(load_sweep(sweep), sweep)
        expand_s = time.perf_counter() - started
        queue = open_queue(None, home)
        started = time.perf_counter()
        summary = store.submit(queue, expanded, append=False)
        insert_s = time.perf_counter() - started
        print(json.dumps({"benchmark": "campaign_submit", "tasks": summary["tasks"], "expand_validate_s": round(expand_s, 2),
                          "insert_defer_s": round(insert_s, 2),
                          "tasks_per_s": round(summary["tasks"] / (expand_s + insert_s), 1)}))
    finally:
        server.stop(home)
        shutil.rmtree(home, ignore_errors=True)


if __name__ == "__main__":
    main()
