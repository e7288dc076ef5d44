"""Offline Q-learning over discrete actions (``task.name: offline-q``), trained with the ``cql`` loss.

The data are logged transitions. A split holds, per row:

* ``x`` ``[N, F]``: the state; ``action`` ``[N]``: the logged action (class ids into the spec's
  ``class_names``); ``reward`` ``[N]``: its reward; ``done`` ``[N]``: 1 where the episode ended;
* ``next_x`` ``[N, F]``: the next state, needed only where something bootstraps (``gamma > 0`` and
  a transition that is not terminal);
* ``y`` ``[N, A]``: the reward of EVERY action in that state. Offline evaluation of a new policy
  needs the reward of the action it picks, which logged data usually lack; this task only
  evaluates data that carry all of them (one-step decisions with known payoffs: bets, offers),
  so its metrics are exact, not off-policy estimates.

The network outputs one Q-value per action in reward units (inputs standardised like the other
tasks; Q is not rescaled). The greedy policy takes ``argmax_a Q(s, a)``. Metrics per split
(``null_action``, e.g. "do nothing", is not counted as an action taken): ``mean_reward`` per
decision, ``actions`` (decisions not null), ``roi`` (reward per action taken: the realised
reward), ``win_rate`` (share of taken actions with positive reward among those with a non-zero
one), ``q_taken`` (mean predicted Q of the taken actions: read it beside ``roi``; a Q far above
the realised reward is an over-estimate), the logged policy's ``logged_reward`` and the loss parts.

The target network (bootstrapped targets) is a callback (``target_network``) that hands its
module to :meth:`OfflineQTask.set_target_network`. Data where every transition is terminal (or
``gamma == 0``) need none (a bootstrapped split's loss parts are NaN where no target network is at hand, as in a
model loaded from its checkpoint): :meth:`OfflineQTask.loss` then works on any loop that gives it the
model's outputs (the vectorized ensemble loop as well as the supervised one).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch
from torch import Tensor, nn

from scrimmage.data.datamodule import DataBundle, InputSpec
from scrimmage.data.splits import Split, TensorSplit
from scrimmage.engine.tasks.base import Evaluation, Report, named
from scrimmage.engine.tasks.metric_names import Q_LOSS_METRICS as LOSS_METRICS
from scrimmage.engine.tasks.metric_names import q_learning_metric_names
from scrimmage.engine.tasks.scaling import Standardized, unwrap
from scrimmage.errors import ConfigError, DataError

REQUIRED_KEYS = ("x", "action", "reward", "done", "y")


def policy_metrics(q: Tensor, rewards: Tensor, chosen: Tensor, null_action: int | None) -> dict[str, float]:
    """What the policy that picks ``chosen`` (``[N]``) earns where every action's reward is known (``rewards`` ``[N, A]``)."""
    got = rewards.gather(1, chosen.view(-1, 1)).squeeze(1).double()
    taken = torch.ones_like(chosen, dtype=torch.bool) if null_action is None else chosen != null_action
    n_taken = int(taken.sum())
    decided = taken & (got != 0)
    q_chosen = q.gather(1, chosen.view(-1, 1)).squeeze(1).double()
    return {
        "mean_reward": float(got.mean()) if len(got) else 0.0,
        "actions": float(n_taken),
        # no action taken: nothing risked, nothing returned (0, not NaN, so a monitor on roi can compare it)
        "roi": float(got[taken].mean()) if n_taken else 0.0,
        "win_rate": float((got[decided] > 0).double().mean()) if bool(decided.any()) else float("nan"),
        "q_taken": float(q_chosen[taken].mean()) if n_taken else float("nan"),
    }


class OfflineQTask:
    name = "offline-q"

    def __init__(self, spec: InputSpec, null_action: int | None):
        if len(spec.class_names) < 2:
            raise DataError("offline-q needs the dataset's action names (InputSpec.class_names, at least two actions)")
        if null_action is not None and not 0 <= null_action < len(spec.class_names):
            raise ConfigError(f"task.null_action {null_action} is not an action id; the actions are "
                              f"{dict(enumerate(spec.class_names))}")
        self.spec = spec
        self.actions = tuple(spec.class_names)
        self.null_action = null_action
        self.loss_fn: Any = None
        self.gamma = 0.0
        self.double_q = False
        self.bootstraps = False
        self.target: nn.Module | None = None

    # ---- Task protocol ---------------------------------------------------------------------
    def n_outputs(self) -> int:
        return len(self.actions)

    def default_loss(self) -> dict[str, Any]:
        return {"name": "cql"}

    def build_model(self, net: nn.Module, train: Split | None) -> nn.Module:
        model = Standardized(net, self.spec.n_features, None)  # Q in reward units: only the inputs are scaled
        if train is not None:
            model.fit_split(train)
        return model

    def setup_training(self, loss_config: Any, train: Split) -> None:
        from scrimmage.losses.configs import LossInfo

        if getattr(loss_config, "kind", "") != "q_learning":
            raise ConfigError(f"loss.name '{loss_config.name}' is not a Q-learning loss; task offline-q trains with "
                              "loss cql (alpha 0 gives plain DQN).")
        self.check_split(train, "train")
        self.loss_fn = loss_config.build(LossInfo("q_learning", self.spec.target_names, self.actions))
        self.gamma, self.double_q = float(loss_config.gamma), bool(loss_config.double_q)
        # decided once here, not per step (a per-step check would be a host sync on a GPU)
        self.bootstraps = self.gamma > 0 and not bool(train.column("done").bool().all())
        if self.bootstraps and "next_x" not in train.keys():
            raise DataError("the training data have non-terminal transitions (done = 0) and loss.gamma > 0 but no "
                            "next_x (the next states); add next_x to the dataset or set loss.gamma: 0")

    def check_split(self, split: Split, name: str) -> None:
        missing = [k for k in REQUIRED_KEYS if k not in split.keys()]
        if missing:
            raise DataError(f"offline-q needs {list(REQUIRED_KEYS)} in every split; the {name} split lacks {missing}")
        n_actions = len(self.actions)
        if split.shape("y")[1:] != (n_actions,):
            raise DataError(f"the {name} split's y (every action's reward) is {list(split.shape('y'))}, but the "
                            f"dataset names {n_actions} actions {list(self.actions)}: one reward column per action")
        action = split.column("action")
        if len(action) and (int(action.min()) < 0 or int(action.max()) >= n_actions):
            raise DataError(f"the {name} split logs action ids outside 0..{n_actions - 1} ({list(self.actions)})")

    def prepare(self, model: nn.Module, split: Split) -> Split:
        scaler = unwrap(model)
        with torch.no_grad():
            out = split.standardized("x", scaler.x_mean, scaler.x_std)
            if "next_x" in split.keys():
                out = out.standardized("next_x", scaler.x_mean, scaler.x_std)
            return out

    def loss(self, outputs: Tensor, batch: dict[str, Tensor], next_q: Tensor | None = None,
             next_q_online: Tensor | None = None) -> tuple[Tensor, Tensor]:
        """The CQL loss of Q-values ``outputs`` ``[B, A]`` of a prepared batch; ``next_q`` are the target network's
        Q-values of the next states (needed only where the data bootstrap)."""
        if self.bootstraps and next_q is None:
            raise ConfigError("these data bootstrap (loss.gamma > 0 with non-terminal transitions) and need a target "
                              "network: add `- name: target_network` to callbacks. The ensemble loop trains no "
                              "target network: use it only for one-step data (every done = 1) or loss.gamma: 0.")
        return self.loss_fn(outputs, batch["action"], batch["reward"], batch["done"],
                            next_q_target=next_q if self.bootstraps else None,
                            next_q_online=next_q_online if self.bootstraps else None)

    def training_loss(self, model: nn.Module, batch: dict[str, Tensor]) -> tuple[Tensor, Tensor]:
        q = model(batch, prepared=True)
        if not self.bootstraps:
            return self.loss(q, batch)
        if self.target is None:
            return self.loss(q, batch)  # raises the error that names the missing callback
        following = {"x": batch["next_x"], **({"cat": batch["next_cat"]} if "next_cat" in batch else {})}
        with torch.no_grad():
            next_q = self.target(following, prepared=True)
            next_online = model(following, prepared=True) if self.double_q else None
        return self.loss(q, batch, next_q, next_online)

    # ---- the target network's hook (the target_network callback calls it) -------------------
    def set_target_network(self, target: nn.Module | None) -> None:
        """The frozen copy whose Q-values of the next states make the TD targets (None: no bootstrapping)."""
        self.target = target

    @property
    def needs_target(self) -> bool:
        """Whether the training data bootstrap (known once :meth:`setup_training` ran)."""
        return self.bootstraps

    # ---- evaluation ------------------------------------------------------------------------
    def metric_names(self, prefix: str = "val") -> list[str]:
        return q_learning_metric_names(prefix)

    @torch.no_grad()
    def q_values(self, model: nn.Module, split: Split, batch_size: int) -> Tensor:
        outputs = [model(batch).float() for batch in split.batches(batch_size)]
        return torch.cat(outputs) if outputs else torch.empty(0, len(self.actions))

    @torch.no_grad()
    def evaluate(self, model: nn.Module, split: Split, batch_size: int, prefix: str) -> Evaluation:
        self.check_split(split, prefix)
        q = self.q_values(model, split, batch_size)
        rewards = split.column("y").float()
        metrics = policy_metrics(q, rewards, q.argmax(1), self.null_action)
        logged = split.column("action").long()
        metrics["logged_reward"] = float(rewards.gather(1, logged.view(-1, 1)).double().mean()) if len(logged) else 0.0
        transitions = {"action": logged, "reward": split.column("reward"), "done": split.column("done")}
        if self.loss_fn is not None and len(q) and not self.bootstraps:
            _, parts = self.loss(q, transitions)
            metrics |= dict(zip(LOSS_METRICS, (float(p) for p in parts), strict=True))
        elif self.loss_fn is not None and len(q) and self.target is not None:  # bootstrapped: while the target exists
            following = TensorSplit({"x": split.column("next_x")})
            next_q = self.q_values(self.target, following, batch_size)
            next_online = self.q_values(model, following, batch_size) if self.double_q else None
            _, parts = self.loss(q, transitions, next_q, next_online)
            metrics |= dict(zip(LOSS_METRICS, (float(p) for p in parts), strict=True))
        else:
            metrics |= {name: float("nan") for name in LOSS_METRICS}
        return Evaluation(named(metrics, prefix), q, rewards)

    def report(self, data: DataBundle, split: str, evaluation: Evaluation) -> Report:
        q, rewards = evaluation.predictions, evaluation.targets
        prefix = f"{split}/"
        n = len(rewards)
        rows: dict[str, dict[str, Any]] = {
            "model": {k.removeprefix(prefix): v for k, v in evaluation.metrics.items()} | {"n": n}}
        logged = data.splits[split].column("action").long().cpu()
        rows["logged_policy"] = policy_metrics(q, rewards, logged, self.null_action) | {"n": n}
        for a, action in enumerate(self.actions):  # always the same action: "never act" and each fixed choice
            rows[f"always_{action}"] = policy_metrics(q, rewards, torch.full((n,), a, dtype=torch.long),
                                                      self.null_action) | {"n": n}
        columns = {"n": "decisions", "mean_reward": "reward/decision", "actions": "actions", "roi": "ROI",
                   "win_rate": "win rate", "q_taken": "mean Q taken"}
        notes = ["ROI is the realised reward per action taken; mean Q taken is what the network predicted for those "
                 "actions (Q far above ROI is an over-estimate)"]
        return Report(f"{split} set, greedy policy", rows, columns, rank_by="mean_reward", lower_is_better=False,
                      notes=notes)

    def prediction_columns(self, evaluation: Evaluation) -> dict[str, np.ndarray]:
        rewards = evaluation.targets.cpu().numpy()
        chosen = evaluation.predictions.argmax(1).cpu().numpy()
        return ({f"reward_{a}": rewards[:, i] for i, a in enumerate(self.actions)}
                | self.decode(evaluation.predictions) | {"reward": rewards[np.arange(len(chosen)), chosen]})

    def decode(self, outputs: Tensor) -> dict[str, np.ndarray]:
        values = outputs.detach().float().cpu().numpy()
        names = np.asarray(self.actions, dtype=object)
        return {"action": names[values.argmax(1)]} | {f"q_{a}": values[:, i] for i, a in enumerate(self.actions)}
