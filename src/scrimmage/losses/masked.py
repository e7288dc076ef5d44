"""Losses over padded sequences: means over real steps (``mask``) and per-step weights.

Generic pieces a multi-head sequence task sums (the football hierarchical model uses them):
each returns a scalar, the mean of the per-step loss over the real steps (``mask`` true), or a
weighted sum when the task gives per-step weights (e.g. to weigh one step of a sequence as much
as all the others together). Padded steps never contribute, whatever values they hold.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor


def masked_mean(values: Tensor, mask: Tensor) -> Tensor:
    """Mean of ``values`` ``[N, T, ...]`` over real steps (trailing dims averaged first)."""
    if values.dim() > mask.dim():
        values = values.flatten(mask.dim()).mean(-1)
    weight = mask.to(values.dtype)
    return (values * weight).sum() / weight.sum().clamp_min(1.0)


def weighted_sum(values: Tensor, weights: Tensor) -> Tensor:
    """``sum(values * weights) / N``: per-step weights ``[N, T]`` that sum to one per sequence make each
    sequence count once, however long it is."""
    if values.dim() > weights.dim():
        values = values.flatten(weights.dim()).mean(-1)
    return (values * weights).sum() / max(int(weights.shape[0]), 1)


def sequence_cross_entropy(logits: Tensor, target: Tensor, mask: Tensor, label_smoothing: float = 0.0,
                           ignore_index: int = -1) -> Tensor:
    """Cross-entropy per step ``[N, T]`` (zero on padded steps and on ``ignore_index`` targets)."""
    valid = mask & (target != ignore_index)
    loss = F.cross_entropy(logits.flatten(0, 1), target.clamp_min(0).flatten(), reduction="none",
                           label_smoothing=label_smoothing).view(target.shape)
    return loss * valid.to(loss.dtype)


def balanced_pos_weight(target: Tensor, mask: Tensor | None = None, cap: float = 100.0) -> Tensor:
    """Positive-class weights per label (negatives / positives over real steps), the 'balanced' BCE weighting."""
    rows = target.flatten(0, -2) if mask is None else target[mask.bool()]
    positives = rows.float().sum(0)
    negatives = rows.shape[0] - positives
    return (negatives / positives.clamp_min(1.0)).clamp(max=cap)


def sequence_bce(logits: Tensor, target: Tensor, pos_weight: Tensor | None = None) -> Tensor:
    """Binary cross-entropy on logits per step and label ``[N, T, L]`` (mask with :func:`masked_mean`)."""
    return F.binary_cross_entropy_with_logits(logits, target.to(logits.dtype), pos_weight=pos_weight, reduction="none")


def squared_error(pred: Tensor, target: Tensor) -> Tensor:
    return (pred - target.to(pred.dtype)) ** 2


def expected_calibration_error(prob: Tensor, outcome: Tensor, bins: int) -> float:
    """Count-weighted mean |mean probability - mean outcome| over ``bins`` equal-width probability bins."""
    prob, outcome = prob.flatten().float(), outcome.flatten().float()
    if prob.numel() == 0:
        return float("nan")
    index = (prob * bins).long().clamp(0, bins - 1)
    count = torch.bincount(index, minlength=bins).float()
    p_sum = torch.bincount(index, weights=prob, minlength=bins)
    o_sum = torch.bincount(index, weights=outcome, minlength=bins)
    return float(((p_sum - o_sum).abs().sum() / count.sum()).item())
