"""What every failing ingest command must look like: exit 2, no traceback, the message, nothing written."""

from __future__ import annotations

from pathlib import Path

from tests.cli_helpers import clean_failure

__all__ = ["clean_failure", "nothing_written"]


def nothing_written(wd: Path, league: str) -> None:
    """No table of ``league`` (nfl, cfb) was left in the workdir."""
    out = wd / "data" / league
    assert not out.exists() or not list(out.iterdir()), list(out.iterdir())
