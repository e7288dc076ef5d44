"""The training report reads at 80 columns: the columns that fit, a note naming the rest, ids never wrapped."""

from __future__ import annotations

import io

from rich.console import Console

from scrimmage.cli.train import print_result

LONG_ID = "nfl-hierarchical_hierarchical_lstm-64x32-with-a-long-variant-name_20261203_124648"


def result(n_columns: int) -> dict:
    columns = {f"metric_{i}": f"metric {i}" for i in range(n_columns)}
    rows = {name: {key: 10.0 + i for i, key in enumerate(columns)} for name in ("model", "closing_line", "elo")}
    return {"report": {"title": "test set", "rows": rows, "columns": columns, "rank_by": "metric_0",
                       "lower_is_better": True, "notes": [], "extras": {}, "sections": {}},
            "best": {"metric": "val/loss", "value": 0.5, "epoch": 3}, "stop_reason": "max epochs",
            "run_id": LONG_ID, "run_dir": f"/tmp/work/runs/{LONG_ID}"}


def printed(payload: dict, width: int, wide: bool = False) -> list[str]:
    buffer = io.StringIO()
    print_result(Console(file=buffer, width=width, color_system=None), payload, wide=wide)
    return buffer.getvalue().splitlines()


def test_a_wide_report_keeps_to_80_columns_and_names_what_it_left_out():
    lines = printed(result(14), 80)
    table = [line for line in lines if line.startswith(("┃", "│", "┏", "└"))]
    assert table and all(len(line) <= 80 for line in table)
    text = " ".join(lines)
    assert "more columns not shown at 80 columns" in text and "metric 13" in text and "--wide" in text


def test_ids_and_paths_print_whole_on_their_own_lines():
    lines = printed(result(3), 80)
    assert f"run: {LONG_ID}" in lines
    assert f"run dir: /tmp/work/runs/{LONG_ID}" in lines


def test_wide_shows_every_column():
    lines = printed(result(14), 80, wide=True)
    assert any("metric 13" in line for line in lines)
    assert not any("more columns not shown" in line for line in lines)
