"""What a run ran on: python, torch, lightning, scrimmage versions and the git commit (if any)."""

from __future__ import annotations

import platform
import subprocess
from pathlib import Path


def environment_info(cwd: Path | None = None) -> dict[str, str]:
    import lightning
    import torch

    import scrimmage

    info = {
        "python": platform.python_version(),
        "torch": torch.__version__,
        "lightning": lightning.__version__,
        "scrimmage": scrimmage.__version__,
        "platform": platform.platform(),
    }
    commit = git_commit(cwd)
    if commit:
        info["git_commit"] = commit
    return info


def git_commit(cwd: Path | None = None) -> str | None:
    """The HEAD commit (with ``-dirty`` when there are uncommitted changes), or None outside a repo."""
    try:
        head = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=cwd, capture_output=True, text=True, timeout=5, check=True
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"], cwd=cwd, capture_output=True, text=True, timeout=5
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return None
    return f"{head}-dirty" if dirty else head
