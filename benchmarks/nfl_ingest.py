"""Benchmark: forced full NFL ingest into a temp workdir; prints one JSON line.

Target: all 3,581 bundled games in under 30 s on a 2-core machine.
"""

from __future__ import annotations

import json
import sys
import tempfile
import time
from pathlib import Path

from scrimmage.football.nfl.ingest import ingest_nfl

TARGET_S = 30


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="scrimmage-bench-") as tmp:
        start = time.perf_counter()
        summary = ingest_nfl(Path(tmp), force=True)
        seconds = time.perf_counter() - start
    print(json.dumps({
        "benchmark": "nfl_ingest",
        "seconds": round(seconds, 2),
        "games": summary.games,
        "plays": summary.plays,
        "plays_per_s": round(summary.plays / seconds),
        "target_s": TARGET_S,
    }))
    sys.stdout.flush()


if __name__ == "__main__":
    main()
