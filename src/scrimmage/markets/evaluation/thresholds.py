"""Scores at a decision threshold tuned on validation (max F1 of the positive class), as the model's is."""

from __future__ import annotations

import numpy as np


def best_f1_threshold(scores: np.ndarray, labels: np.ndarray) -> float:
    """The score threshold (predict positive when ``score >= t``) with the highest F1 of the positive class."""
    from sklearn.metrics import precision_recall_curve

    labels = np.asarray(labels).astype(int)
    if labels.min(initial=0) == labels.max(initial=0):
        return 0.5
    precision, recall, thresholds = precision_recall_curve(labels, scores)
    f1 = np.divide(2 * precision * recall, precision + recall, out=np.zeros_like(precision), where=(precision + recall) > 0)
    return float(thresholds[int(np.argmax(f1[:-1]))])


def at_threshold(scores: np.ndarray, labels: np.ndarray, threshold: float) -> dict[str, float]:
    """F1, precision, recall and accuracy of ``score >= threshold``."""
    labels = np.asarray(labels).astype(bool)
    pred = np.asarray(scores) >= threshold
    tp = float((pred & labels).sum())
    precision = tp / max(float(pred.sum()), 1.0)
    recall = tp / max(float(labels.sum()), 1.0)
    f1 = 2 * precision * recall / (precision + recall) if precision + recall > 0 else 0.0
    return {"f1": f1, "precision": precision, "recall": recall, "accuracy": float((pred == labels).mean()),
            "threshold": float(threshold)}
