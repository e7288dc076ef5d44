"""Dataset registry: ``data.name`` in a recipe → a builder returning a :class:`DataBundle`."""

from __future__ import annotations

import importlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

from scrimmage.data.datamodule import DataBundle
from scrimmage.errors import ConfigError

_BUILDERS: dict[str, Callable[..., DataBundle]] = {}
# Modules that register datasets on import (kept lazy: importing pandas/pyarrow stacks costs time).
_PROVIDERS = {"nfl-pregame": "scrimmage.data.nfl.pregame_dataset"}


def register_dataset(name: str) -> Callable[[Callable[..., DataBundle]], Callable[..., DataBundle]]:
    def decorator(builder: Callable[..., DataBundle]) -> Callable[..., DataBundle]:
        _BUILDERS[name] = builder
        return builder

    return decorator


def build_dataset(data_config: Any, workdir: Path) -> DataBundle:
    name = data_config.name
    if name not in _BUILDERS and name in _PROVIDERS:
        importlib.import_module(_PROVIDERS[name])
    if name not in _BUILDERS:
        raise ConfigError(f"unknown dataset '{name}'. Known datasets: {', '.join(sorted(_PROVIDERS))}.")
    return _BUILDERS[name](data_config, workdir)
