"""``scrimmage runs`` reads at 80 columns: a run id is never split (one block per run when the table cannot hold
it whole), and an empty listing says where it looked."""

from __future__ import annotations

import io
from pathlib import Path

from rich.console import Console

from scrimmage.cli.runs import print_runs
from scrimmage.engine.runs import RunInfo

LONG_ID = "nfl-hierarchical_hierarchical_lstm-64-32_20261206_164744"


def info(run_id: str, status: str = "finished", resumable: bool = False) -> RunInfo:
    return RunInfo(run_id=run_id, status=status, resumable=resumable, recipe=None, started=None, epochs_completed=12,
                   best={"metric": "val/pregame_game_rmse_combined", "value": 11.214, "epoch": 1}, test={},
                   mlflow_run_id=None, headline=("pregame_game_rmse_combined", 11.05))


def printed(found: list[RunInfo], width: int, root: Path = Path("/tmp/work")) -> list[str]:
    buffer = io.StringIO()
    print_runs(Console(file=buffer, width=width, color_system=None), root, found)
    return buffer.getvalue().splitlines()


def test_at_80_columns_every_run_id_is_whole_on_its_own_line():
    lines = printed([info(LONG_ID), info("nfl-pregame_mlp_mlp-form_20261206_172756", "interrupted", True)], 80)
    assert lines[0] == "2 runs in /tmp/work"
    assert LONG_ID in lines and "nfl-pregame_mlp_mlp-form_20261206_172756" in lines
    assert "    interrupted, resumable, 12 epochs" in lines
    assert "    best val/pregame_game_rmse_combined 11.2140" in lines
    assert "    test pregame_game_rmse_combined 11.050" in lines
    assert all(len(line) <= 80 for line in lines)


def test_a_wide_console_gets_the_table_with_whole_ids():
    lines = printed([info(LONG_ID)], 140)
    assert lines[1].startswith("┏") and any(f"│ {LONG_ID} │" in line for line in lines)


def test_an_empty_listing_says_where_it_looked(tmp_path):
    assert printed([], 80, tmp_path / "nowhere") == [f"no runs in {tmp_path / 'nowhere'} (no such folder yet)"]
    assert printed([], 80, tmp_path) == [f"no runs in {tmp_path}"]
