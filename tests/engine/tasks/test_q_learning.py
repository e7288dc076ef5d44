"""The offline-q task: exact policy metrics where every action's reward is known, its checks, and bootstrapping."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
from torch import nn

from scrimmage.config.registry import LOSSES, TASKS
from scrimmage.data.datamodule import InputSpec
from scrimmage.data.splits import TensorSplit
from scrimmage.engine.tasks.q_learning import OfflineQTask, policy_metrics
from scrimmage.errors import ConfigError, DataError
from tests.engine import synthetic  # noqa: F401  (registers the synthetic-regression dataset name the config uses)

ACTIONS = ("no_bet", "home", "away")
SPEC = InputSpec(2, tuple(f"reward_{a}" for a in ACTIONS), feature_names=("a", "b"), class_names=ACTIONS)


def split(n: int = 8, done: float = 1.0, next_x: bool = False, actions: int = 3) -> TensorSplit:
    g = torch.Generator().manual_seed(0)
    x = torch.randn(n, 2, generator=g)
    rewards = torch.zeros(n, actions)
    rewards[:, 1] = torch.where(x[:, 0] > 0, 0.909, -1.0)
    rewards[:, 2] = torch.where(x[:, 0] > 0, -1.0, 0.909)
    action = torch.arange(n) % actions
    tensors = {"x": x, "action": action, "reward": rewards[torch.arange(n), action], "done": torch.full((n,), done),
               "y": rewards}
    if next_x:
        tensors["next_x"] = torch.randn(n, 2, generator=g)
    return TensorSplit(tensors)


class Fixed(nn.Module):
    """Q-values the test chooses: action 1 where the first feature is positive, else action 2 (or no bet)."""

    def forward(self, batch):
        x = batch["x"]
        return torch.stack([torch.zeros(len(x)), x[:, 0], -x[:, 0] - 0.5], dim=1)


def built(task: OfflineQTask, train: TensorSplit, **loss) -> nn.Module:
    task.setup_training(LOSSES.validate({"name": "cql", **loss}), train)
    model = task.build_model(Fixed(), None)  # identity scaling: the raw features reach the net
    return model


def test_policy_metrics_by_hand():
    q = torch.tensor([[0.0, 1.0, 0.0], [0.0, 0.0, 2.0], [1.0, 0.0, 0.0], [0.0, 3.0, 0.0]])
    rewards = torch.tensor([[0.0, 0.909, -1.0], [0.0, 0.909, -1.0], [0.0, -1.0, 0.909], [0.0, 0.0, 0.0]])
    got = policy_metrics(q, rewards, q.argmax(1), null_action=0)
    assert got["actions"] == 3  # the no-bet row is not an action taken
    assert got["mean_reward"] == pytest.approx((0.909 - 1.0 + 0 + 0) / 4)
    assert got["roi"] == pytest.approx((0.909 - 1.0 + 0.0) / 3)
    assert got["win_rate"] == pytest.approx(0.5)  # the push (reward 0) is left out
    assert got["q_taken"] == pytest.approx((1 + 2 + 3) / 3)


def test_evaluate_scores_the_greedy_policy_exactly():
    task = OfflineQTask(SPEC, null_action=0)
    data = split(16)
    model = built(task, data)
    ev = task.evaluate(model, data, 5, "val")
    # Fixed picks the winning side of every game: home when x0 > 0 (Q = x0 > 0), else away or no bet
    x0 = data.column("x")[:, 0]
    away = -x0 - 0.5 > torch.maximum(x0, torch.zeros_like(x0))
    assert ev.metrics["val/actions"] == float((x0 > 0).sum() + away.sum())
    assert ev.metrics["val/win_rate"] == 1.0
    assert ev.metrics["val/roi"] == pytest.approx(0.909, abs=1e-6)
    assert set(ev.metrics) == set(task.metric_names("val"))
    assert set(TASKS.validate({"name": "offline-q"}).expected_metrics(None)) == set(task.metric_names("val"))
    report = task.report(type("B", (), {"splits": {"val": data}})(), "val", ev)
    assert report.rows["always_no_bet"]["actions"] == 0 and report.rows["model"]["roi"] == pytest.approx(0.909, abs=1e-6)


def test_wrong_action_count_and_missing_keys_are_data_errors():
    task = OfflineQTask(SPEC, null_action=0)
    with pytest.raises(DataError, match="one reward column per action"):
        task.setup_training(LOSSES.validate({"name": "cql"}), split(actions=5))
    bare = TensorSplit({"x": torch.zeros(2, 2), "y": torch.zeros(2, 3)})
    with pytest.raises(DataError, match="lacks"):
        task.setup_training(LOSSES.validate({"name": "cql"}), bare)
    with pytest.raises(ConfigError, match="null_action"):
        OfflineQTask(SPEC, null_action=3)
    with pytest.raises(ConfigError, match="not a Q-learning loss"):
        task.setup_training(LOSSES.validate({"name": "mse"}), split())


def test_bootstrapping_needs_a_target_network():
    task = OfflineQTask(SPEC, null_action=0)
    data = split(6, done=0.0, next_x=True)
    model = built(task, data, gamma=0.9)
    batch = task.prepare(model, data).take(slice(None))
    with pytest.raises(ConfigError, match="target_network"):
        task.training_loss(model, batch)
    task.set_target_network(model)
    loss, parts = task.training_loss(model, batch)
    assert torch.isfinite(loss) and parts.shape == (3,)
    # one-step data never ask for it
    task2 = OfflineQTask(SPEC, null_action=0)
    model2 = built(task2, split(6), gamma=0.9)
    assert not task2.needs_target
    task2.training_loss(model2, task2.prepare(model2, split(6)).take(slice(None)))


def test_non_terminal_data_without_next_states_is_refused():
    task = OfflineQTask(SPEC, null_action=0)
    with pytest.raises(DataError, match="next_x"):
        task.setup_training(LOSSES.validate({"name": "cql", "gamma": 0.9}), split(4, done=0.0))


def test_bootstrapped_run_keeps_its_target_network_in_the_checkpoint(tmp_path):
    """gamma > 0 with non-terminal transitions through engine.run: the target_network callback feeds the TD targets
    and its weights ride in the checkpoint's callbacks entry; the same run without it is refused."""
    from scrimmage.config import load_config
    from scrimmage.data.datamodule import DataBundle
    from scrimmage.engine import run

    g = torch.Generator().manual_seed(3)
    splits = {}
    for name, n in (("train", 64), ("val", 32), ("test", 32)):
        data = split(n, done=0.0, next_x=True)
        done = (torch.rand(n, generator=g) < 0.5).float()
        splits[name] = TensorSplit({**data.tensors, "done": done})
    bundle = DataBundle(splits=splits, spec=SPEC, info={"dataset_version": "synthetic-mdp"})
    overrides = ["data.name=synthetic-regression", "task.name=offline-q", "loss.name=cql", "loss.gamma=0.9", "model.name=mlp",
                 "model.hidden=[8]", "trainer.epochs=2", "trainer.batch_size=16", "tracking.enabled=false",
                 "monitor.metric=val/roi", "monitor.mode=max"]
    with_target = load_config(None, [*overrides, "callbacks=[{name: target_network, every_n_steps: 3}]"])
    result = run(with_target, workdir=tmp_path, data=bundle, progress=False)
    saved = torch.load(Path(result.run_dir) / "checkpoints" / "last.ckpt", weights_only=False)
    entry = saved["callbacks"]["target_network"]
    assert entry["updates"] == 8 // 3 and set(entry["weights"]) == set(saved["model"])  # 8 steps, a copy every 3
    assert all(torch.isfinite(torch.tensor(result.val[k])) for k in ("loss", "td_loss", "conservative")), result.val
    with pytest.raises(ConfigError, match="target_network"):
        run(load_config(None, overrides), workdir=tmp_path, data=bundle, progress=False)
