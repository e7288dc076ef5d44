"""Binary classification metrics on accumulated probabilities (torchmetrics functional API)."""

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
