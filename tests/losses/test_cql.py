"""The discrete CQL loss against a batch computed by hand from Kumar et al. (2020) and d3rlpy's conventions.

d3rlpy is not a test dependency (it pulls gym, gymnasium, h5py ... into the environment), so the
reference numbers below follow d3rlpy 2.8.1's source read for the purpose
(``DiscreteCQLImpl._compute_conservative_loss``: ``(logsumexp(Q, 1) - Q[a]).mean()``; the TD part
``DiscreteMeanQFunctionForwarder.compute_error``: ``huber(Q[a], r + gamma * target * (1 - done))``
with beta 1, mean over the batch; ``DoubleDQNImpl.compute_target``: the online network's argmax
valued by the target network).
"""

from __future__ import annotations

import math

import pytest
import torch

from scrimmage.config.registry import LOSSES
from scrimmage.errors import ConfigError
from scrimmage.losses.cql import conservative_penalty, cql_loss

Q = torch.tensor([[1.0, 2.0, 0.5], [0.0, -1.0, 3.0]])
ACTION = torch.tensor([1, 0])
REWARD = torch.tensor([0.5, -1.0])
NEXT_TARGET = torch.tensor([[0.2, 1.0, 0.4], [2.0, 0.1, 0.3]])
NEXT_ONLINE = torch.tensor([[0.0, 0.0, 5.0], [0.0, 5.0, 0.0]])


def huber(x: float) -> float:
    return 0.5 * x * x if abs(x) < 1 else abs(x) - 0.5


def lse(values: list[float]) -> float:
    return math.log(sum(math.exp(v) for v in values))


def test_one_step_loss_by_hand():
    """done = 1: the TD target is the reward; alpha weighs the penalty."""
    total, parts = cql_loss(Q, ACTION, REWARD, torch.ones(2), alpha=0.5, gamma=0.99)
    td = (huber(2.0 - 0.5) + huber(0.0 - (-1.0))) / 2  # 1.0 (linear branch) and 0.5 (|x| = 1 is not < 1)
    penalty = ((lse([1.0, 2.0, 0.5]) - 2.0) + (lse([0.0, -1.0, 3.0]) - 0.0)) / 2
    assert parts.tolist() == pytest.approx([td + 0.5 * penalty, td, penalty], abs=1e-6)
    assert float(total) == pytest.approx(td + 0.5 * penalty, abs=1e-6)


def test_bootstrapped_targets_paper_max_and_double_q():
    done, gamma = torch.tensor([0.0, 1.0]), 0.9
    _, parts = cql_loss(Q, ACTION, REWARD, done, alpha=0.0, gamma=gamma, next_q_target=NEXT_TARGET)
    y0 = 0.5 + gamma * 1.0  # max_a' Q_target(s', a') of row 0; row 1 is terminal
    assert float(parts[1]) == pytest.approx((huber(2.0 - y0) + huber(0.0 - (-1.0))) / 2, abs=1e-6)
    _, parts = cql_loss(Q, ACTION, REWARD, done, alpha=0.0, gamma=gamma, next_q_target=NEXT_TARGET,
                        next_q_online=NEXT_ONLINE)
    y0 = 0.5 + gamma * 0.4  # the online network picks action 2, the target network values it
    assert float(parts[1]) == pytest.approx((huber(2.0 - y0) + huber(1.0)) / 2, abs=1e-6)


def test_mse_td_and_gradient_pushes_logged_action_up():
    q = Q.clone().requires_grad_(True)
    total, parts = cql_loss(q, ACTION, REWARD, torch.ones(2), alpha=1.0, gamma=0.0, td="mse")
    assert float(parts[1]) == pytest.approx(0.5 * ((2.0 - 0.5) ** 2 + 1.0) / 2, abs=1e-6)
    total.backward()
    # the penalty lowers every action's Q (softmax weights) and raises the logged one's; unlogged ones only go down
    assert q.grad[0, 0] > 0 and q.grad[0, 2] > 0 and q.grad[1, 1] > 0 and q.grad[1, 2] > 0


def test_penalty_is_zero_only_when_logged_action_dominates():
    assert float(conservative_penalty(torch.tensor([[50.0, 0.0]]), torch.tensor([0]))) == pytest.approx(0.0, abs=1e-6)
    assert float(conservative_penalty(torch.tensor([[0.0, 0.0]]), torch.tensor([0]))) == pytest.approx(math.log(2))


def test_negative_alpha_is_a_config_error():
    with pytest.raises(Exception, match="alpha"):
        LOSSES.validate({"name": "cql", "alpha": -0.1})


def test_cql_is_not_a_loss_for_regression():
    from scrimmage.data.datamodule import InputSpec
    from scrimmage.engine.tasks.regression import RegressionTask

    with pytest.raises(ConfigError, match="not a regression loss"):
        RegressionTask(InputSpec(2, ("a",))).setup_training(LOSSES.validate({"name": "cql"}), None)


def test_parity_with_d3rlpy_discrete_cql_when_installed():
    """Where d3rlpy is importable (not a dependency: e.g. ``pip install --target DIR --no-deps d3rlpy gym gymnasium
    ...`` and ``PYTHONPATH=DIR``), its DiscreteCQL loss on a random batch equals ours with double_q (its target)."""
    d3rlpy = pytest.importorskip("d3rlpy")
    from d3rlpy.torch_utility import TorchMiniBatch

    torch.manual_seed(0)
    algo = d3rlpy.algos.DiscreteCQLConfig(alpha=0.7, gamma=0.9).create(device="cpu:0")
    algo.create_impl((4,), 3)
    impl, n = algo.impl, 16
    obs, nxt, act = torch.randn(n, 4), torch.randn(n, 4), torch.randint(0, 3, (n, 1))
    rew, term = torch.randn(n, 1), (torch.rand(n, 1) < 0.5).float()
    with torch.no_grad():
        for p in impl._modules.targ_q_funcs.parameters():  # a target that differs, so the double-Q choice matters
            p.add_(0.3 * torch.randn_like(p))
        batch = TorchMiniBatch(observations=obs, actions=act, rewards=rew, next_observations=nxt, next_actions=act,
                               returns_to_go=rew, terminals=term, intervals=torch.ones(n, 1), device="cpu:0")
        ref = impl.compute_loss(batch, impl.compute_target(batch))
        _, parts = cql_loss(impl._q_func_forwarder.compute_expected_q(obs), act.view(-1), rew.view(-1), term.view(-1),
                            alpha=0.7, gamma=0.9, next_q_target=impl._targ_q_func_forwarder.compute_expected_q(nxt),
                            next_q_online=impl._q_func_forwarder.compute_expected_q(nxt))
    assert parts.tolist() == pytest.approx([float(ref.loss), float(ref.td_loss), float(ref.conservative_loss)], abs=1e-6)
