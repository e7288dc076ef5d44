"""Where scrimmage keeps its files: the workdir (``--workdir`` > ``SCRIMMAGE_HOME`` > ./scrimmage-runs)."""

from __future__ import annotations

import os
from pathlib import Path

DEFAULT_WORKDIR = "scrimmage-runs"
ENV_WORKDIR = "SCRIMMAGE_HOME"


def resolve_workdir(explicit: str | os.PathLike[str] | None = None) -> Path:
    """Return the workdir as an absolute path (not created)."""
    chosen = explicit or os.environ.get(ENV_WORKDIR) or DEFAULT_WORKDIR
    return Path(chosen).expanduser().resolve()


def data_dir(workdir: Path) -> Path:
    """Folder for tidy data tables (Parquet)."""
    return workdir / "data"


def runs_dir(workdir: Path) -> Path:
    """Folder for run outputs (checkpoints, resolved configs)."""
    return workdir / "runs"
