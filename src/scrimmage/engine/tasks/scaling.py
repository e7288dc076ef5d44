"""Input and target standardisation held in the model's buffers, fitted once on the training split.

Why in the model: a checkpoint or an export then takes raw features and returns real units by
itself. Why ``prepared=True``: the training loop standardises its splits once, up front, and
asks the network for standardised outputs, so nothing is rescaled per step (on small models the
two extra element-wise passes per step cost more than a layer).

Sequences (``x`` ``[N, T, F]`` with an optional ``mask`` ``[N, T]``, true = real step) are
supported by the same tasks: input statistics (and per-step target statistics) come from real
steps only, and :func:`real_steps` turns per-step outputs and targets into rows of real steps, so
the loss, the metrics, the baselines and the saved predictions see real steps only (one row per
real step, in sequence order). Targets with a time axis (regression ``[N, T, K]``, classification
``[N, T]``) are per step; targets without one (``[N, K]`` / ``[N]``) go with a pooled model output.
Tensors without a time axis take exactly the paths they took before.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn

from scrimmage.data.splits import EPS, Split, tensor_stats
from scrimmage.errors import DataError

__all__ = ["EPS", "Standardized", "feature_stats", "mask_key", "real_rows", "real_steps", "real_targets", "unwrap"]


def feature_stats(x: Tensor, mask: Tensor | None = None) -> tuple[Tensor, Tensor]:
    """Per-feature mean and std over rows (and time steps of ``[N, T, F]`` sequences, where ``mask`` is true)."""
    return tensor_stats(x, mask)


def mask_key(split: Split) -> str | None:
    """``"mask"`` where the split holds real-step flags, else None (every step real)."""
    return "mask" if "mask" in split.keys() else None


def is_per_step(target: Tensor, target_dims: int) -> bool:
    """Whether ``target`` has a time axis: ``target_dims`` is one example's target rank without it
    (1 for regression ``[K]`` and multi-label ``[L]``, 0 for class indices)."""
    return target.dim() == target_dims + 2


def real_rows(values: Tensor, mask: Tensor | None) -> Tensor:
    """``[N, T, ...]`` → ``[real steps, ...]`` in sequence order (every step when ``mask`` is None)."""
    rows = values.flatten(0, 1)
    return rows if mask is None else rows[mask.reshape(-1).bool()]


def real_steps(pred: Tensor, target: Tensor, mask: Tensor | None, target_dims: int) -> tuple[Tensor, Tensor]:
    """Model outputs and targets as rows: real steps of per-step targets, otherwise unchanged."""
    if not is_per_step(target, target_dims):
        if pred.dim() > 2:
            raise DataError(f"the model gives an output per step {list(pred.shape)} but the targets are one per "
                            f"sequence {list(target.shape)}: set model.output to last, mean or attention")
        return pred, target
    if pred.dim() != 3:
        raise DataError(f"the targets are per step {list(target.shape)} but the model gives one output per sequence "
                        f"{list(pred.shape)}: set model.output to per_step")
    return real_rows(pred, mask), real_rows(target, mask)


def real_targets(split: Split, target_dims: int) -> Tensor:
    """A split's targets as rows (real steps of per-step targets)."""
    y = split.column("y")
    if not is_per_step(y, target_dims):
        return y
    mask = mask_key(split)
    return real_rows(y, split.column(mask) if mask is not None else None)


class Standardized(nn.Module):
    """``net`` behind input standardisation and (optionally) target un-standardisation."""

    def __init__(self, net: nn.Module, n_features: int, n_targets: int | None):
        super().__init__()
        self.net = net
        self.register_buffer("x_mean", torch.zeros(n_features))
        self.register_buffer("x_std", torch.ones(n_features))
        self.scales_targets = n_targets is not None
        if n_targets is not None:
            self.register_buffer("target_mean", torch.zeros(n_targets))
            self.register_buffer("target_std", torch.ones(n_targets))

    def fit(self, x: Tensor, y: Tensor | None = None, mask: Tensor | None = None) -> Standardized:
        mean, std = feature_stats(x, mask)
        self.x_mean.copy_(mean)
        self.x_std.copy_(std)
        if self.scales_targets and y is not None and y.dim() > 2:  # per-step targets [N, T, K]: real steps only
            mean, std = feature_stats(y, mask)
            self.target_mean.copy_(mean)
            self.target_std.copy_(std)
        elif self.scales_targets and y is not None:
            y = y.float()
            self.target_mean.copy_(y.mean(0))
            self.target_std.copy_(y.std(0).clamp_min(EPS))
        return self

    def fit_split(self, train: Split) -> Standardized:
        """:meth:`fit` from a split's own statistics (over its underlying rows: a windowed split is not expanded)."""
        mask = mask_key(train)
        mean, std = train.feature_stats("x", mask)
        self.x_mean.copy_(mean)
        self.x_std.copy_(std)
        if self.scales_targets:  # per-step targets [N, T, K]: real steps only, like the inputs
            mean, std = train.feature_stats("y", mask)
            self.target_mean.copy_(mean)
            self.target_std.copy_(std)
        return self

    def scale_inputs(self, x: Tensor) -> Tensor:
        return (x - self.x_mean) / self.x_std

    def scale_targets(self, y: Tensor) -> Tensor:
        return (y - self.target_mean) / self.target_std if self.scales_targets else y

    def forward(self, batch: dict[str, Tensor], prepared: bool = False) -> Tensor:
        if prepared:  # inputs already scaled; return scaled outputs (what the training loss compares)
            return self.net(batch)
        out = self.net({**batch, "x": self.scale_inputs(batch["x"])})
        return out * self.target_std + self.target_mean if self.scales_targets else out


def unwrap(model: nn.Module) -> Standardized:
    """The :class:`Standardized` module inside Fabric / DDP wrappers."""
    while not isinstance(model, Standardized):
        model = model.module
    return model
