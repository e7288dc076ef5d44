"""Run names: ``{experiment}_{model}_{variant}_{YYYYmmdd_HHMMSS}`` (unique within a workdir)."""

from __future__ import annotations

import re
from datetime import datetime
from pathlib import Path


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9.-]+", "-", text).strip("-") or "x"


def run_name(experiment: str, model: str, variant: str, when: datetime | None = None, taken: Path | None = None) -> str:
    """Build the run name; if ``taken/<name>`` exists, append ``-2``, ``-3`` ... ."""
    stamp = (when or datetime.now()).strftime("%Y%m%d_%H%M%S")
    base = f"{_slug(experiment)}_{_slug(model)}_{_slug(variant)}_{stamp}"
    if taken is None:
        return base
    name, suffix = base, 2
    while (taken / name).exists():
        name, suffix = f"{base}-{suffix}", suffix + 1
    return name
