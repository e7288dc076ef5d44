"""Simulator throughput: complete simulated NFL games per second on this CPU (two torch threads).

The empirical sampler is fitted once from the ingested tables (or read from the workdir's
cache), then ``--games`` games of one matchup (with team strength, as ``scrimmage simulate``
runs it) are simulated ``--rounds`` times; the median round is reported. Target: at least
1,000 complete games per second.

``--model RUN`` also measures a trained ``nfl-hierarchical`` model's play head (the neural
sampler; the kicking game and the clock stay empirical) on the same matchup's real 2017 game,
and reports its rate beside the empirical one measured in the same process (``neural_vs_empirical``).

Prints one JSON line. Run: .venv/bin/python benchmarks/simulate_throughput.py [--games 10000]
[--rounds 3] [--workdir DIR] (without --workdir the bundled data is ingested into a temp folder,
which adds about 20 s before the measurement).
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from pathlib import Path

import torch

TARGET = 1000.0


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--games", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--workdir", type=Path, default=None)
    parser.add_argument("--model", default=None, help="Run id or .ckpt of an nfl-hierarchical model (needs --workdir).")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)

    from scrimmage.football.nfl.ingest import ensure_nfl_tables
    from scrimmage.football.simulate.empirical.cache import load_or_fit

    with tempfile.TemporaryDirectory(prefix="scrimmage-bench-") as tmp:
        workdir = args.workdir or Path(tmp)
        ensure_nfl_tables(workdir)
        start = time.perf_counter()
        sampler, cached = load_or_fit(workdir)
        fit_seconds = time.perf_counter() - start
        context = sampler.matchup_context(["KC"], ["BUF"], season=2019)
        rates, steps = _measure(sampler, context, args)
        neural: dict = {}
        if args.model:
            from scrimmage.football.simulate.neural import load_neural_sampler

            play_head = load_neural_sampler(args.model, workdir)
            # KC hosted BUF in week 12 of 2017: the neural sampler conditions on a real game's pregame features
            n_rates, _ = _measure(play_head, play_head.matchup_context(["KC"], ["BUF"], season=2017, week=12), args)
            neural = {"neural_games_per_second": round(statistics.median(n_rates), 1),
                      "neural_rounds": [round(r, 1) for r in n_rates],
                      "neural_vs_empirical": round(statistics.median(n_rates) / statistics.median(rates), 3),
                      "neural_meets_target": statistics.median(n_rates) >= TARGET, "model": args.model}
    rate = statistics.median(rates)
    print(json.dumps({
        "benchmark": "simulate_throughput",
        "games_per_second": round(rate, 1),
        "target_games_per_second": TARGET,
        "meets_target": rate >= TARGET,
        "games": args.games,
        "rounds": [round(r, 1) for r in rates],
        "steps": steps,
        "threads": args.threads,
        "device": args.device,
        "sampler_fit_seconds": round(fit_seconds, 2),
        "sampler_cached": cached,
        "torch": torch.__version__,
    } | neural))


def _measure(sampler, context, args) -> tuple[list[float], int]:
    from scrimmage.football.simulate.engine import simulate
    from scrimmage.football.simulate.rules import NFLRules

    rates, steps = [], 0
    for round_ in range(args.rounds):
        with torch.inference_mode():
            result = simulate(sampler, NFLRules(), ["KC"], ["BUF"], n=args.games, seed=round_, device=args.device,
                              context=context)
        rates.append(result.games_per_second())
        steps = result.steps
        assert bool(result.finished.all()), "some games did not finish"
    return rates, steps


if __name__ == "__main__":
    main()
