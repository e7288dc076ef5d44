"""Opens a run folder in a child process (the concurrent run-id test); imports nothing heavy, so 8 children start fast."""

from __future__ import annotations

from pathlib import Path

from scrimmage.engine.runs import create_run_dir


def open_at_once(root: str) -> str:
    return create_run_dir(Path(root), "exp_mlp_base_20261203_120000").name
