"""Football report for ``nfl-playcall``: the model beside the majority-class and situation baselines.

Both baselines are fitted on the training seasons only:

* ``majority``: the training class frequencies for every play (its pick is the majority class).
* ``situation``: the training class frequencies of the play's situation cell (down × distance
  bucket × field zone × score-difference bucket × quarter, edges from ``data.*_edges``). Each
  cell is smoothed toward the overall training frequencies with ``data.situation_smoothing``
  pseudo-plays (``(counts + a * prior) / (n + a)``, a Dirichlet prior), so a thin cell leans on
  the league-wide mix and a cell never seen in training predicts that mix.

Every row (model included) is scored by the same code, :func:`multiclass_metrics` on class
probabilities with the task's ``ece_bins`` calibration bins (from the generic report's extras),
and carries ``n_plays``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from scrimmage.data.datamodule import DataBundle
from scrimmage.engine.reports import ReportContext
from scrimmage.engine.tasks.base import Report
from scrimmage.metrics.classification import multiclass_metrics

ECE_BINS = 15  # when the generic report does not say (the classification task's default)
COLUMNS = {"n_plays": "plays", "accuracy": "accuracy", "log_loss": "log loss", "macro_f1": "macro F1",
           "auroc": "AUROC", "ece": "ECE"}


@dataclass
class SituationBaseline:
    """Smoothed class frequencies per situation cell (see the module docstring)."""

    table: np.ndarray
    """``[n_cells, K]`` probabilities of the cells seen in training."""
    prior: np.ndarray
    """``[K]`` overall training frequencies (what an unseen cell predicts)."""
    counts: np.ndarray
    """``[n_cells]`` training plays per cell."""

    @classmethod
    def fit(cls, cells: np.ndarray, y: np.ndarray, n_classes: int, smoothing: float) -> SituationBaseline:
        cells, y = np.asarray(cells, np.int64), np.asarray(y, np.int64)
        n_cells = int(cells.max()) + 1 if len(cells) else 0
        counts = np.bincount(cells * n_classes + y, minlength=n_cells * n_classes).reshape(n_cells, n_classes)
        prior = np.bincount(y, minlength=n_classes) / max(len(y), 1)
        totals = counts.sum(1, keepdims=True)
        with np.errstate(invalid="ignore", divide="ignore"):
            table = (counts + smoothing * prior) / (totals + smoothing)
        table = np.where(totals + smoothing > 0, table, prior)
        return cls(table, prior, totals[:, 0])

    def predict(self, cells: np.ndarray) -> np.ndarray:
        cells = np.asarray(cells, np.int64)
        seen = cells < len(self.table)
        out = np.tile(self.prior, (len(cells), 1))
        out[seen] = self.table[cells[seen]]
        return out

    def seen(self, cells: np.ndarray) -> np.ndarray:
        cells = np.asarray(cells, np.int64)
        inside = cells < len(self.counts)
        return inside & (self.counts[np.where(inside, cells, 0)] > 0)


def fit_situation_baseline(bundle: DataBundle) -> SituationBaseline:
    """The situation baseline fitted on ``frames['train']``."""
    train = bundle.frames["train"]
    smoothing = float(bundle.info.get("situation", {}).get("smoothing", 1.0))
    return SituationBaseline.fit(train["situation"].to_numpy(), train["y"].to_numpy(), len(bundle.spec.class_names),
                                 smoothing)


def playcall_report(ctx: ReportContext, generic: Report) -> Report:
    """The ``nfl-playcall-baselines`` report: the task's table with the majority-class and situation rows added."""
    bundle, split, evaluation = ctx.data, ctx.split, ctx.evaluation
    frame = bundle.frames[split]
    classes = list(bundle.spec.class_names)
    target = evaluation.targets.long().cpu()
    n = len(target)
    situation = fit_situation_baseline(bundle)
    cells = frame["situation"].to_numpy()
    probabilities = {
        "model": evaluation.predictions.float().cpu(),
        "majority": torch.from_numpy(np.tile(situation.prior, (n, 1))).float(),
        "situation": torch.from_numpy(situation.predict(cells)).float(),
    }
    bins = int(generic.extras.get("ece_bins", ECE_BINS))
    rows: dict[str, dict[str, Any]] = {}
    for name, prob in probabilities.items():
        rows[name] = dict(generic.rows.get(name, {})) | multiclass_metrics(prob, target, bins) | {"n": n, "n_plays": n}

    unseen = int((~situation.seen(cells)).sum())
    majority = classes[int(np.argmax(situation.prior))]
    notes = [
        f"majority: training class frequencies (always picks '{majority}')",
        f"situation: training frequencies in {int((situation.counts > 0).sum()):,} (down, distance, field zone, "
        f"score difference, quarter) cells, smoothed toward the overall mix with "
        f"{bundle.info.get('situation', {}).get('smoothing', 10.0):g} pseudo-plays; "
        f"{unseen:,} of {n:,} {split} plays fall in cells unseen in training (they get the overall mix)",
    ]
    extras = dict(generic.extras) | {
        "classes": classes,
        "class_counts": {c: int(k) for c, k in zip(classes, np.bincount(target.numpy(), minlength=len(classes)),
                                                     strict=True)},
        "situation_unseen_plays": unseen,
        "ece_bins": bins,
    }
    return Report(f"{split} set: play calls", rows, dict(COLUMNS), rank_by="log_loss", notes=notes, extras=extras)
