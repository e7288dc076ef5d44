"""Dataset-specific evaluation after training (e.g. football metrics beside baselines).

An evaluator gets the data bundle, a split name and the model's real-unit predictions for that
split and returns ``{"metrics": {...}, "baselines": {name: {...}}}``. Datasets without one get
the generic regression metrics only.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any

from torch import Tensor

from scrimmage.data.datamodule import DataBundle

Evaluator = Callable[[DataBundle, str, Tensor], dict[str, Any]]
_EVALUATORS: dict[str, Evaluator] = {}
_PROVIDERS = {"nfl-pregame": "scrimmage.engine.evaluate_nfl"}


def register_evaluator(dataset: str) -> Callable[[Evaluator], Evaluator]:
    def decorator(fn: Evaluator) -> Evaluator:
        _EVALUATORS[dataset] = fn
        return fn

    return decorator


def get_evaluator(dataset: str) -> Evaluator | None:
    if dataset not in _EVALUATORS and dataset in _PROVIDERS:
        importlib.import_module(_PROVIDERS[dataset])
    return _EVALUATORS.get(dataset)
