"""Model registry (timm-style): one ``create_model(config, spec)`` over ``@register_model`` builders.

A new model family is one file with one decorated builder ``(ModelConfig, InputSpec) -> nn.Module``.
Models take a batch dict (``x`` float features, ``cat`` long categorical ids) and return a
tensor of shape ``[batch, len(spec.target_names)]``.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any

from torch import nn

from scrimmage.data.datamodule import InputSpec
from scrimmage.errors import ConfigError

ModelBuilder = Callable[[Any, InputSpec], nn.Module]
_MODELS: dict[str, ModelBuilder] = {}
_BUILTIN_MODULES = ("scrimmage.models.mlp",)


def register_model(name: str) -> Callable[[ModelBuilder], ModelBuilder]:
    def decorator(builder: ModelBuilder) -> ModelBuilder:
        _MODELS[name] = builder
        return builder

    return decorator


def available_models() -> list[str]:
    for module in _BUILTIN_MODULES:
        importlib.import_module(module)
    return sorted(_MODELS)


def create_model(model_config: Any, spec: InputSpec) -> nn.Module:
    names = available_models()
    if model_config.name not in _MODELS:
        raise ConfigError(f"unknown model '{model_config.name}' (model.name). Registered models: {', '.join(names)}.")
    return _MODELS[model_config.name](model_config, spec)
