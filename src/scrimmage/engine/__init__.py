"""The training engine: ``run(config) -> RunResult`` on a compact Fabric loop with callbacks.

Imported lazily: ``from scrimmage.engine import run`` pulls in torch and Lightning only when used,
so commands that do not train start fast.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from scrimmage.engine.runner import RunResult, run

__all__ = ["RunResult", "run"]


def __getattr__(name: str) -> Any:
    if name in __all__:
        import importlib

        # the module is runner.py, not run.py: a submodule named like the function would replace it here
        return getattr(importlib.import_module("scrimmage.engine.runner"), name)
    raise AttributeError(name)
