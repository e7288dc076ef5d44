"""Optimizers come from the registry: every ``optim`` schema builds its own torch optimizer (foreach on)."""

from __future__ import annotations

import pytest
import torch

from scrimmage.config.registry import OPTIMIZERS
from scrimmage.errors import ConfigError

EXPECTED = {"adam": torch.optim.Adam, "adamw": torch.optim.AdamW, "sgd": torch.optim.SGD}


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_each_optimizer_schema_builds_its_torch_optimizer(name):
    params = [torch.nn.Parameter(torch.zeros(3))]
    cfg = OPTIMIZERS.validate({"name": name, "lr": 0.02, "weight_decay": 0.001})
    optimizer = cfg.build(params)
    assert type(optimizer) is EXPECTED[name]
    group = optimizer.param_groups[0]
    assert group["lr"] == 0.02 and group["weight_decay"] == 0.001 and group["foreach"] is True


def test_every_registered_optimizer_builds_itself():
    params = [torch.nn.Parameter(torch.zeros(2))]
    for entry in OPTIMIZERS.entries():
        assert isinstance(OPTIMIZERS.validate({"name": entry.name}).build(params), torch.optim.Optimizer), entry.name


def test_options_reach_the_optimizer():
    params = [torch.nn.Parameter(torch.zeros(2))]
    adam = OPTIMIZERS.validate({"name": "adamw", "betas": [0.8, 0.95]}).build(params)
    assert adam.param_groups[0]["betas"] == (0.8, 0.95)
    sgd = OPTIMIZERS.validate({"name": "sgd", "momentum": 0.5, "nesterov": True}).build(params)
    assert sgd.param_groups[0]["momentum"] == 0.5 and sgd.param_groups[0]["nesterov"] is True


def test_nesterov_without_momentum_is_a_config_error():
    with pytest.raises(ConfigError, match="nesterov needs optim.momentum > 0"):
        OPTIMIZERS.validate({"name": "sgd", "momentum": 0.0, "nesterov": True}).build([torch.nn.Parameter(torch.zeros(1))])
