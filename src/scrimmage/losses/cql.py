"""Discrete conservative Q-learning (CQL(H), Kumar et al. 2020, eq. 4) as a loss on Q-values.

For a batch of transitions ``(s, a, r, s', done)`` and Q-values ``Q(s, .)`` ``[N, A]``::

    y        = r + gamma * (1 - done) * Q_target(s', a')      a' = argmax_a Q_target(s', a)   (paper, DQN)
                                                            or argmax_a Q(s', a)             (double_q, as d3rlpy)
    td       = mean over the batch of huber(Q(s, a) - y) (beta 1, as d3rlpy) or 0.5 * (Q(s, a) - y)^2
    penalty  = mean over the batch of logsumexp_a Q(s, a) - Q(s, a_logged)
    loss     = td + alpha * penalty

These are d3rlpy's ``DiscreteCQLImpl`` conventions (read from d3rlpy 2.8.1's source: huber TD error
with beta 1, mean reductions, the double-DQN target of ``DoubleDQNImpl``), with the paper's max
target as the default; the tests compute a small batch by hand from that source, and where d3rlpy is
importable compare with its ``DiscreteCQLImpl.compute_loss`` directly (measured here with d3rlpy 2.8.1
on torch 2.13: equal to the last digit with ``double_q``).

Why hand-written: the objective is ten lines of tensor code; d3rlpy ships it inside its own
trainer (its own networks, datasets and loop), which would replace the engine's loop,
checkpoints and callbacks rather than plug into them.

The penalty pushes down Q everywhere (the soft maximum) and up on the logged actions: where some
actions never appear in the data it keeps their Q from being over-estimated. With ``done`` all 1
(one-step decisions) the target is the reward and no target network is needed.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor


def td_targets(reward: Tensor, done: Tensor, gamma: float, next_q_target: Tensor | None,
               next_q_online: Tensor | None = None) -> Tensor:
    """``r + gamma * (1 - done) * Q_target(s', a')`` (no gradient); ``next_q_target`` may be None only when
    nothing bootstraps (``gamma == 0`` or every transition terminal)."""
    reward = reward.float()
    if next_q_target is None:
        return reward
    with torch.no_grad():
        if next_q_online is not None:  # double DQN: the online network picks, the target network values
            best = next_q_target.gather(1, next_q_online.argmax(1, keepdim=True)).squeeze(1)
        else:
            best = next_q_target.max(1).values
        return reward + gamma * (1.0 - done.float()) * best


def conservative_penalty(q: Tensor, action: Tensor) -> Tensor:
    """``logsumexp_a Q(s, a) - Q(s, a_logged)`` per transition ``[N]`` (>= 0 up to log(A) - spread)."""
    return torch.logsumexp(q, dim=1) - q.gather(1, action.long().view(-1, 1)).squeeze(1)


def cql_loss(q: Tensor, action: Tensor, reward: Tensor, done: Tensor, *, alpha: float, gamma: float,
             next_q_target: Tensor | None = None, next_q_online: Tensor | None = None,
             td: str = "huber") -> tuple[Tensor, Tensor]:
    """``(td + alpha * penalty, detached [total, td, penalty])`` for Q-values ``q`` ``[N, A]`` of the states."""
    target = td_targets(reward, done, gamma, next_q_target, next_q_online)
    taken = q.gather(1, action.long().view(-1, 1)).squeeze(1)
    if td == "huber":
        td_error = F.smooth_l1_loss(taken, target, beta=1.0)  # == d3rlpy's compute_huber_loss, beta 1
    else:
        td_error = 0.5 * F.mse_loss(taken, target)
    penalty = conservative_penalty(q, action).mean()
    total = td_error + alpha * penalty
    return total, torch.stack([total, td_error, penalty]).detach()


CQL_PARTS = ("loss", "td_loss", "conservative")
"""Names of the parts :func:`cql_loss` returns, in order."""
