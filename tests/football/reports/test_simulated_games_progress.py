"""The ``simulate-test-games`` report shows its final simulation's progress through the run's printer (``ctx.print``);
the simulation itself is replaced here, so the test needs no model and takes milliseconds."""

from __future__ import annotations

from types import SimpleNamespace

import pandas as pd

from scrimmage.football.reports import simulated_games


def test_the_report_prints_progress_lines_through_ctx_print(monkeypatch):
    printed: list[str] = []
    heard: list[tuple[int, int]] = []

    def fake_simulate_report(*args, progress=None, **kwargs):
        for done in (0, 400, 1046):  # what evaluate_games reports after each chunk
            progress(done, 1046)
            heard.append((done, 1046))
        return {"simulated": {}}, {"games": 523}, ["simulated: ..."]

    monkeypatch.setattr(simulated_games, "simulate_report", fake_simulate_report)
    ctx = SimpleNamespace(task=SimpleNamespace(loss=None), data=SimpleNamespace(frames={"train": pd.DataFrame(
        {"season": [2016, 2017]})}), model=None, split="test", workdir=None, print=printed.append)
    report = SimpleNamespace(rows={"model": {}}, sections={}, notes=[])
    out = simulated_games.simulated_games_report(ctx, report, n=2, seed=0)
    assert out.sections["simulation"] == {"games": 523} and heard[-1] == (1046, 1046)
    assert printed and printed[-1].startswith("simulated 1,046 of 1,046 test games (100%) in ")
