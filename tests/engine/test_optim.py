"""Optimizers come from the registry: every ``optim`` schema builds its own torch optimizer (foreach on)."""

from __future__ import annotations

import itertools

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


# --- schedules ---------------------------------------------------------------------------------------------------
def schedule(options: dict, *, mode: str = "min", steps_per_epoch: int = 1, epochs: int = 10, lr: float = 1e-3):
    from scrimmage.config.registry import SCHEDULERS

    optimizer = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=lr)
    return optimizer, SCHEDULERS.validate(options).build(optimizer, steps_per_epoch=steps_per_epoch, epochs=epochs, mode=mode)


def test_plateau_in_max_mode_halves_the_lr_after_patience_epochs_and_stops_at_min_lr():
    optimizer, sched = schedule({"name": "plateau", "factor": 0.5, "patience": 5, "min_lr": 1e-6}, mode="max", lr=4e-6)
    lrs = []
    for metric in [0.5, 0.6, 0.7] + [0.7] * 20:  # rising is better in max mode, then a long plateau
        sched.step_after_epoch(metric)
        lrs.append(optimizer.param_groups[0]["lr"])
    assert lrs[:8] == [4e-6] * 8  # improving, then 5 epochs of patience
    assert lrs[8] == pytest.approx(2e-6)  # the 6th epoch without improvement drops it
    assert lrs[-1] == pytest.approx(1e-6)  # never below min_lr
    assert sched.scheduler.mode == "max"


def test_plateau_in_max_mode_keeps_the_lr_while_the_metric_rises():
    optimizer, sched = schedule({"name": "plateau", "patience": 0}, mode="max")
    for metric in (0.1, 0.2, 0.3, 0.4):
        sched.step_after_epoch(metric)
    assert optimizer.param_groups[0]["lr"] == 1e-3


def test_plateau_options_reach_torch():
    _, sched = schedule({"name": "plateau", "factor": 0.25, "patience": 2, "min_lr": 1e-5, "threshold": 0.01, "cooldown": 1})
    inner = sched.scheduler
    assert (inner.factor, inner.patience, inner.min_lrs, inner.threshold, inner.cooldown) == (0.25, 2, [1e-5], 0.01, 1)
    assert sched.interval == "metric"


def test_cosine_decays_from_lr_to_its_floor_every_step():
    optimizer, sched = schedule({"name": "cosine", "min_lr_ratio": 0.1}, steps_per_epoch=5, epochs=2)
    lrs = [optimizer.param_groups[0]["lr"]]
    for _ in range(10):
        optimizer.step()
        sched.step_after_optimizer()
        lrs.append(optimizer.param_groups[0]["lr"])
    assert lrs[0] == pytest.approx(1e-3) and lrs[5] == pytest.approx(0.55e-3) and lrs[10] == pytest.approx(1e-4)
    assert all(a >= b for a, b in itertools.pairwise(lrs))


@pytest.mark.parametrize(("options", "key"), [
    ({"name": "plateau", "min_lr": -1e-6}, "scheduler.min_lr"),
    ({"name": "plateau", "factor": 1.0}, "scheduler.factor"),
    ({"name": "plateau", "patience": 2.5}, "scheduler.patience"),
    ({"name": "cosine", "min_lr_ratio": 2}, "scheduler.min_lr_ratio"),
    ({"name": "plateau", "min_lr_ratio": 0.1}, "min_lr_ratio"),
])
def test_bad_schedule_options_are_config_errors(options, key):
    import tests.engine.synthetic  # noqa: F401  (registers the synthetic-regression dataset)
    from scrimmage.config import load_config

    body = ", ".join(f"{k}: {v}" for k, v in options.items())
    with pytest.raises(ConfigError, match=key):
        load_config(None, ["data.name=synthetic-regression", f"scheduler={{{body}}}"])
