"""The metric names the shipped tasks report, shared by their schemas (checks at load time) and the tasks.

A module of its own (plain data, no imports) so the schemas and the tasks both import it without
importing each other.
"""

from __future__ import annotations


def regression_metric_names(targets: tuple[str, ...], prefix: str = "val") -> list[str]:
    return [f"{prefix}/loss", *(f"{prefix}/{name}_{kind}" for name in targets for kind in ("rmse", "mae"))]


CLASSIFICATION_METRICS = ("loss", "accuracy", "log_loss", "macro_f1", "auroc", "ece")
AT_HALF = "_at_0.5"
"""Suffix of a binary metric taken at the fixed threshold 0.5 (the plain name is at the tuned threshold)."""
THRESHOLD_METRICS = ("accuracy", "precision", "recall", "f1")
"""Binary metrics that depend on the decision threshold: reported at the task's threshold and at 0.5."""
BINARY_METRICS = ("f1", "precision", "recall", "brier", "pr_auc", "threshold", *(f"{n}{AT_HALF}" for n in THRESHOLD_METRICS))


def classification_metric_names(binary: bool, prefix: str = "val") -> list[str]:
    return [f"{prefix}/{n}" for n in (*CLASSIFICATION_METRICS, *(BINARY_METRICS if binary else ()))]


Q_LOSS_METRICS = ("loss", "td_loss", "conservative")
Q_POLICY_METRICS = ("mean_reward", "actions", "roi", "win_rate", "q_taken", "logged_reward")
"""offline-q: the CQL loss parts, then the greedy policy's reward per decision, actions taken, reward per action
taken, win rate, mean predicted Q of the taken actions and the logged policy's reward per decision."""


def q_learning_metric_names(prefix: str = "val") -> list[str]:
    return [f"{prefix}/{n}" for n in (*Q_LOSS_METRICS, *Q_POLICY_METRICS)]
