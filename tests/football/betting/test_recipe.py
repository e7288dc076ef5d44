"""recipes/nfl-cql.yaml end to end through engine.run (points-only games from the lines file: no ingest needed)."""

from __future__ import annotations

from pathlib import Path

import pytest

from scrimmage.config import load_config
from scrimmage.engine import run

RECIPE = Path(__file__).resolve().parents[3] / "recipes" / "nfl-cql.yaml"


def config(lines_csv: Path, *extra: str):
    return load_config(RECIPE, [f"data.lines={lines_csv}", "data.games_from=lines", "data.members=3",
                                "trainer.epochs=3", "tracking.enabled=false", "reports.0.bootstrap=200", *extra])


@pytest.mark.slow
def test_nfl_cql_trains_selects_on_val_roi_and_reports_the_betting_table(lines_csv, tmp_path):
    first = run(config(lines_csv), workdir=tmp_path, progress=False)
    assert first.best["metric"] == "val/roi" and first.epochs_completed == 3
    assert {"roi", "actions", "q_taken", "win_rate", "mean_reward"} <= set(first.test)
    rows = first.report["rows"]
    for name in ("random", "kelly_pregame", "logistic_cover", "cql"):
        assert {"bets", "win_rate", "roi", "sharpe", "max_drawdown", "p_break_even"} <= set(rows[name]), name
    assert rows["random"]["bets"] == first.test["n"]  # random bets every game
    assert rows["cql"]["bets"] == first.test["actions"]
    betting = first.sections["betting"]
    assert betting["cql"]["roi_ci"][0] <= betting["cql"]["roi"] <= betting["cql"]["roi_ci"][1]
    assert set(betting["cql"]["by_season"]) == {2018, 2019}
    assert any("break-even" in note for note in first.report["notes"])
    # a second seed with the first as a member: the agreeing ensemble bets a subset of its own bets
    second = run(config(lines_csv, "trainer.seed=43", f"reports.0.ensemble_runs=[{first.run_id}]"),
                 workdir=tmp_path, progress=False)
    agree = second.sections["betting"]["cql_ensemble_agree"]
    assert agree["bets"] <= second.report["extras"]["ensemble"]["test_bets_all"]
    assert len(second.report["extras"]["ensemble"]["members"]) == 2


def test_a_target_network_is_refused_under_the_ensemble_loop(lines_csv):
    with pytest.raises(Exception, match="target_network"):
        config(lines_csv, "loop.name=ensemble", "loop.seeds=[1,2]", "callbacks=[{name: target_network}]")
