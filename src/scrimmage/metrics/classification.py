"""Classification metrics on accumulated probabilities, once per evaluation.

torchmetrics' functional API for most; scikit-learn for average precision and the precision-
recall curve a decision threshold is tuned on (it returns every distinct threshold at once).
Binary decisions at a threshold count ``P(positive) >= threshold`` as positive, the rule
:func:`sklearn.metrics.precision_recall_curve` uses, so a tuned threshold reproduces its F1.
"""

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
    """accuracy, precision, recall, f1, auroc, pr_auc (average precision), ece (expected calibration error) and
    brier of P(class 1)."""
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
        "pr_auc": average_precision(p.numpy(), t.numpy()),
        "ece": float(binary_calibration_error(p, t, n_bins=ece_bins)),
        "brier": float(torch.mean((p - t.float()) ** 2)),
    }


def average_precision(prob: ArrayLike, target: ArrayLike) -> float:
    """Area under the precision-recall curve as average precision (scikit-learn's step-wise sum, no interpolation);
    NaN when there is no positive example (it is undefined then)."""
    from sklearn.metrics import average_precision_score

    p, t = np.asarray(prob, dtype=np.float64).ravel(), np.asarray(target).astype(np.int64).ravel()
    if t.size == 0 or not t.any():
        return float("nan")
    return float(average_precision_score(t, p))


def threshold_metrics(prob: ArrayLike, target: ArrayLike, threshold: float) -> dict[str, float]:
    """accuracy, precision, recall and F1 of the positive class when ``prob >= threshold`` is called positive
    (precision 0 when nothing is, F1 0 when precision and recall are)."""
    p, t = np.asarray(prob, dtype=np.float64).ravel(), np.asarray(target).astype(bool).ravel()
    if t.size == 0:
        return {}
    called = p >= threshold
    tp = float(np.count_nonzero(called & t))
    fp = float(np.count_nonzero(called & ~t))
    fn = float(np.count_nonzero(~called & t))
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"accuracy": float(np.count_nonzero(called == t)) / t.size, "precision": precision, "recall": recall, "f1": f1}


def best_f1_threshold(prob: ArrayLike, target: ArrayLike) -> float | None:
    """The threshold on P(positive) with the highest F1 of the positive class (``prob >= threshold`` is positive).

    Candidates are the distinct probabilities (every different decision); ties go to the lowest
    threshold. None when F1 is undefined or zero at every threshold (no positive example, none at all).
    """
    from sklearn.metrics import precision_recall_curve

    p, t = np.asarray(prob, dtype=np.float64).ravel(), np.asarray(target).astype(np.int64).ravel()
    if t.size == 0 or not t.any():
        return None
    precision, recall, thresholds = precision_recall_curve(t, p)
    precision, recall = precision[:-1], recall[:-1]  # the last point (recall 0) has no threshold
    total = precision + recall
    f1 = np.divide(2 * precision * recall, total, out=np.zeros_like(total), where=total > 0)
    best = int(np.argmax(f1))
    return float(thresholds[best]) if f1[best] > 0 else None


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
