"""Classification metrics on accumulated probabilities (torchmetrics functional API), once per evaluation."""

from __future__ import annotations

import numpy as np
import torch
from numpy.typing import ArrayLike
from torchmetrics.functional.classification import (
    binary_accuracy,
    binary_auroc,
    binary_calibration_error,
    binary_f1_score,
    binary_precision,
    binary_recall,
)


def binary_metrics(prob: ArrayLike, target: ArrayLike, threshold: float = 0.5, ece_bins: int = 10) -> dict[str, float]:
    """accuracy, precision, recall, f1, auroc, ece (expected calibration error) and brier of P(class 1)."""
    p = torch.as_tensor(np.asarray(prob, dtype=np.float32))
    t = torch.as_tensor(np.asarray(target, dtype=np.int64))
    if p.numel() == 0:
        return {}
    kwargs = {"threshold": threshold}
    return {
        "accuracy": float(binary_accuracy(p, t, **kwargs)),
        "precision": float(binary_precision(p, t, **kwargs)),
        "recall": float(binary_recall(p, t, **kwargs)),
        "f1": float(binary_f1_score(p, t, **kwargs)),
        "auroc": float(binary_auroc(p, t)) if 0 < int(t.sum()) < t.numel() else float("nan"),
        "ece": float(binary_calibration_error(p, t, n_bins=ece_bins)),
        "brier": float(torch.mean((p - t.float()) ** 2)),
    }


def multiclass_metrics(prob: torch.Tensor, target: torch.Tensor, ece_bins: int = 15) -> dict[str, float]:
    """accuracy, log loss, macro-F1, macro AUROC (one-vs-rest) and top-label ECE of class probabilities ``[N, K]``."""
    from torchmetrics.functional.classification import (
        multiclass_accuracy,
        multiclass_auroc,
        multiclass_calibration_error,
        multiclass_f1_score,
    )

    n_classes = int(prob.shape[1])
    prob, target = prob.float(), target.long()
    if target.numel() == 0:
        return {}
    present = torch.bincount(target, minlength=n_classes) > 0
    return {
        "accuracy": float(multiclass_accuracy(prob, target, n_classes, average="micro")),
        "log_loss": log_loss(prob, target),
        "macro_f1": float(multiclass_f1_score(prob, target, n_classes, average="macro")),
        # AUROC of a class that never occurs is undefined; average over the classes that do
        "auroc": float(multiclass_auroc(prob, target, n_classes, average=None)[present].mean()) if int(present.sum()) > 1 else float("nan"),
        "ece": float(multiclass_calibration_error(prob, target, n_classes, n_bins=ece_bins)),
    }


def log_loss(prob: torch.Tensor, target: torch.Tensor) -> float:
    """Mean negative log-likelihood of the true class (probabilities clipped at 1e-7)."""
    picked = prob.float().gather(1, target.long().unsqueeze(1)).squeeze(1)
    return float(-torch.log(picked.clamp_min(1e-7)).mean())


def confusion_matrix(pred: torch.Tensor, target: torch.Tensor, n_classes: int) -> list[list[int]]:
    """Counts ``[true class][predicted class]``."""
    flat = target.long() * n_classes + pred.long()
    return torch.bincount(flat, minlength=n_classes * n_classes).reshape(n_classes, n_classes).tolist()
