"""scrimmage: a training lab for sports, betting and game-AI models."""

from __future__ import annotations

from typing import Any

__version__ = "0.1.0"
__all__ = ["__version__", "load_model"]


def load_model(target: Any, workdir: Any = None) -> Any:
    """Rebuild a trained model from a run id or ``.ckpt`` file; ``.predict(...)`` then predicts with it."""
    from scrimmage.export.checkpoint import load_model as _load

    return _load(target, workdir)
