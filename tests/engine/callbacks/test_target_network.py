"""The target_network callback: hard and Polyak updates, the task hook, and its checkpointed state."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from scrimmage.engine.callbacks.target_network import TargetNetwork
from scrimmage.engine.events import Context, LoopState
from scrimmage.errors import CheckpointError


class Holder:
    def __init__(self):
        self.target = None

    def set_target_network(self, target):
        self.target = target


def state_for(model: nn.Module) -> LoopState:
    return LoopState(max_epochs=1, steps_per_epoch=1, model=model, task=Holder())


CTX = Context(save_checkpoint=lambda p: None, load_weights=lambda p: None)


def nudge(model: nn.Module, by: float) -> None:
    with torch.no_grad():
        for p in model.parameters():
            p.add_(by)


def test_hard_update_copies_every_n_steps():
    torch.manual_seed(0)
    model = nn.Linear(3, 2)
    state, cb = state_for(model), TargetNetwork(every_n_steps=2)
    cb.on_fit_start(state, CTX)
    assert state.task.target is cb.target and not any(p.requires_grad for p in cb.target.parameters())
    start = cb.target.weight.clone()
    nudge(model, 1.0)
    state.global_step = 1
    cb.on_optimizer_step(state, CTX)
    assert torch.equal(cb.target.weight, start)  # step 1: not yet
    state.global_step = 2
    cb.on_optimizer_step(state, CTX)
    assert torch.equal(cb.target.weight, model.weight) and cb.updates == 1


def test_polyak_update_moves_tau_of_the_way():
    model = nn.Linear(3, 2)
    state, cb = state_for(model), TargetNetwork(tau=0.1)
    cb.on_fit_start(state, CTX)
    before = cb.target.weight.clone()
    nudge(model, 1.0)
    state.global_step = 1
    cb.on_optimizer_step(state, CTX)
    assert torch.allclose(cb.target.weight, before + 0.1 * (model.weight - before), atol=1e-6)


def test_checkpoint_round_trip_restores_the_target_not_a_copy_of_the_model():
    model = nn.Linear(3, 2)
    state, cb = state_for(model), TargetNetwork(every_n_steps=100)
    cb.on_fit_start(state, CTX)
    saved = cb.state_dict()
    nudge(model, 1.0)  # the resumed model differs from the target it had
    resumed = TargetNetwork(every_n_steps=100)
    resumed.load_state_dict(saved)
    resumed.on_fit_start(state_for(model), CTX)
    assert torch.equal(resumed.target.weight, saved["weights"]["weight"])
    assert not torch.equal(resumed.target.weight, model.weight)
    broken = TargetNetwork(every_n_steps=100)
    broken.load_state_dict({"updates": 1, "weights": {"weight": torch.zeros(5, 5)}})
    with pytest.raises(CheckpointError, match="does not fit"):
        broken.on_fit_start(state_for(model), CTX)


def test_config_needs_one_rule_and_a_q_task():
    from scrimmage.config.registry import CALLBACKS
    from scrimmage.data.datamodule import InputSpec
    from scrimmage.engine.tasks.regression import RegressionTask
    from scrimmage.errors import ConfigError

    with pytest.raises(Exception, match="not both"):
        CALLBACKS.validate({"name": "target_network", "every_n_steps": 5, "tau": 0.1})
    with pytest.raises(ConfigError, match="Q-learning task"):
        CALLBACKS.validate({"name": "target_network"}).check_task(RegressionTask(InputSpec(1, ("a",))))
