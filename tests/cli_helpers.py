"""Assertions every command's tests share."""

from __future__ import annotations

from typing import Any


def clean_failure(res: Any, *needles: str) -> str:
    """The CLI result failed cleanly (exit 2, no traceback) and says each of ``needles``; returns its output on one line."""
    text = " ".join(res.output.split())
    assert res.exit_code == 2, res.output
    assert "Traceback" not in res.output
    for needle in needles:
        assert needle in text, (needle, text)
    return text
