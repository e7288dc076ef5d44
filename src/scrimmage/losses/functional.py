"""Loss functions behind the registered loss schemas (:mod:`scrimmage.losses.configs`).

Each returns ``(total, parts)``: the scalar to backpropagate and a detached tensor of parts to
log (per target, or the unweighted loss). Weights are tensors, so a curriculum can change them
between epochs without rebuilding the loss.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import torch
import torch.nn.functional as F
from torch import Tensor


def mse(pred: Tensor, target: Tensor, reduction: str = "none") -> Tensor:
    return F.mse_loss(pred, target, reduction=reduction)


def l1(pred: Tensor, target: Tensor, reduction: str = "none") -> Tensor:
    return F.l1_loss(pred, target, reduction=reduction)


def huber(delta: float) -> Callable[..., Tensor]:
    def fn(pred: Tensor, target: Tensor, reduction: str = "none") -> Tensor:
        return F.huber_loss(pred, target, reduction=reduction, delta=delta)

    return fn


class MultiTargetLoss:
    """Weighted mean over targets of each target's mean element-wise loss.

    With a single target the weighted mean is the plain mean, taken in one reduction: on small
    models the extra per-target reduce, multiply and divide (and their backward) are a visible
    share of the step.
    """

    def __init__(self, elementwise: Callable[..., Tensor], weights: Sequence[float]):
        self.fn = elementwise
        self.weights = torch.tensor([float(w) for w in weights])
        self.single = len(self.weights) == 1

    def __call__(self, pred: Tensor, target: Tensor) -> tuple[Tensor, Tensor]:
        if self.single:
            total = self.fn(pred, target, "mean")
            return total, total.detach().reshape(1)
        per_target = self.fn(pred.float(), target.float()).mean(dim=0)
        if self.weights.device != per_target.device:
            self.weights = self.weights.to(per_target.device)
        return (per_target * self.weights).sum() / self.weights.sum(), per_target.detach()


def _weights(class_weights: Sequence[float] | None) -> Tensor | None:
    return None if class_weights is None else torch.tensor([float(w) for w in class_weights])


def cross_entropy(mode: str, class_weights: Sequence[float] | None, label_smoothing: float) -> Callable[..., tuple[Tensor, Tensor]]:
    weight = _weights(class_weights)

    def multiclass(logits: Tensor, target: Tensor) -> tuple[Tensor, Tensor]:
        w = None if weight is None else weight.to(logits.device)
        loss = F.cross_entropy(logits.float(), target.long(), weight=w, label_smoothing=label_smoothing)
        return loss, loss.detach()

    def sigmoid(logits: Tensor, target: Tensor) -> tuple[Tensor, Tensor]:
        # class weights here are (negative, positive) for binary or one positive weight per label
        pos = None if weight is None else _positive_weight(weight, mode).to(logits.device)
        loss = F.binary_cross_entropy_with_logits(logits.float(), target.float().reshape(logits.shape), pos_weight=pos)
        return loss, loss.detach()

    return multiclass if mode == "multiclass" else sigmoid


def _positive_weight(weight: Tensor, mode: str) -> Tensor:
    """Binary: weight of class 1 relative to class 0; multi-label: the given weight per label."""
    return weight[1:2] / weight[0:1] if mode == "binary" else weight


def focal(mode: str, class_weights: Sequence[float] | None, gamma: float, alpha: float | None) -> Callable[..., tuple[Tensor, Tensor]]:
    """Focal loss, the mean over examples (and labels).

    Sigmoid (binary, multi-label) is torchvision's ``sigmoid_focal_loss`` with ``reduction="mean"``:
    ``ce * (1 - p_t) ** gamma`` with ``p_t = p y + (1 - p)(1 - y)``, times ``alpha_t = alpha y +
    (1 - alpha)(1 - y)`` when ``alpha`` is given (else the class weights, if any). Multi-class:
    ``-(1 - p_t) ** gamma * log p_t`` of the true class, times its class weight.
    """
    weight = _weights(class_weights)

    def multiclass(logits: Tensor, target: Tensor) -> tuple[Tensor, Tensor]:
        log_p = F.log_softmax(logits.float(), dim=-1)
        target = target.long()
        log_pt = log_p.gather(-1, target.unsqueeze(-1)).squeeze(-1)
        loss = -((1 - log_pt.exp()) ** gamma) * log_pt
        if weight is not None:
            loss = loss * weight.to(logits.device)[target]
        loss = loss.mean()
        return loss, loss.detach()

    def sigmoid(logits: Tensor, target: Tensor) -> tuple[Tensor, Tensor]:
        logits = logits.float()
        target = target.float().reshape(logits.shape)
        ce = F.binary_cross_entropy_with_logits(logits, target, reduction="none")
        p = torch.sigmoid(logits)
        p_t = p * target + (1 - p) * (1 - target)
        loss = ce * (1 - p_t) ** gamma
        if alpha is not None:
            loss = loss * (alpha * target + (1 - alpha) * (1 - target))
        elif weight is not None:
            w = weight.to(logits.device)
            if mode == "binary":
                loss = loss * (w[1] * target + w[0] * (1 - target))
            else:
                loss = loss * (w * target + (1 - target))
        loss = loss.mean()
        return loss, loss.detach()

    return multiclass if mode == "multiclass" else sigmoid


def weighted_bce(mode: str, class_counts: Sequence[float], n_examples: int) -> Callable[..., tuple[Tensor, Tensor]]:
    """Binary cross-entropy on logits, each example weighted by ``N / N_pos`` (positive) or ``N / N_neg`` (negative).

    ``class_counts``: (negatives, positives) for binary, positives per label for multi-label; a
    count of zero counts as one (the weight of a class that never occurs never applies). The
    loss is the plain mean of the weighted terms (so a balanced split weighs every term 2).
    """
    n = float(n_examples)
    counts = torch.tensor([float(c) for c in class_counts])
    positives = counts[1:2] if mode == "binary" else counts
    w_pos = n / positives.clamp_min(1.0)
    w_neg = n / (n - positives).clamp_min(1.0)

    def fn(logits: Tensor, target: Tensor) -> tuple[Tensor, Tensor]:
        logits = logits.float()
        target = target.float().reshape(logits.shape)
        pos, neg = w_pos.to(logits.device), w_neg.to(logits.device)
        weight = pos * target + neg * (1 - target)
        loss = F.binary_cross_entropy_with_logits(logits, target, weight=weight)
        return loss, loss.detach()

    return fn
