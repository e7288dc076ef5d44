"""What every failing ingest command must look like: exit 2, no traceback, the message, nothing written."""

from __future__ import annotations

from pathlib import Path
from typing import Any


def clean_failure(res: Any, *needles: str) -> str:
    """The CLI result failed cleanly and says each of ``needles``; returns its output on one line."""
    text = " ".join(res.output.split())
    assert res.exit_code == 2, res.output
    assert "Traceback" not in res.output
    for needle in needles:
        assert needle in text, (needle, text)
    return text


def nothing_written(wd: Path, league: str) -> None:
    """No table of ``league`` (nfl, cfb) was left in the workdir."""
    out = wd / "data" / league
    assert not out.exists() or not list(out.iterdir()), list(out.iterdir())
