"""The task's pictures from a run's prediction columns: multi-class and multi-label too, and no predictions at all."""

from __future__ import annotations

import numpy as np
import pandas as pd

from scrimmage.reports.run_report import run_figures
from scrimmage.reports.runs import RunData


def _run(predictions, extras=None) -> RunData:
    history = pd.DataFrame({"epoch": [1, 2], "train/loss": [1.0, 0.8], "val/loss": [1.1, 0.9], "val/accuracy": [0.5, 0.6]})
    config = {"data": {"name": "tests-none"}, "monitor": {"metric": "val/accuracy", "mode": "max"}}
    return RunData("r", config, {"report": {"extras": extras or {}}}, history, predictions)


def test_multiclass_gets_confusion_and_top_class_calibration_but_no_roc():
    rng = np.random.default_rng(0)
    probs = rng.dirichlet([1, 1, 1], 120)
    classes = np.array(["run", "pass", "punt"])
    frame = pd.DataFrame({"label": classes[rng.integers(0, 3, 120)], "pred": classes[probs.argmax(1)]}
                         | {f"prob_{c}": probs[:, i] for i, c in enumerate(classes)})
    figures, notes = run_figures(_run(frame, {"classes": list(classes)}))
    assert [f.title for f in figures] == ["learning curves", "confusion matrix", "calibration (top class)"] and notes == []


def test_multilabel_gets_pooled_calibration():
    rng = np.random.default_rng(1)
    frame = pd.DataFrame({"a": rng.integers(0, 2, 50), "b": rng.integers(0, 2, 50),
                          "prob_a": rng.random(50), "prob_b": rng.random(50)})
    figures, _ = run_figures(_run(frame))
    assert [f.title for f in figures] == ["learning curves", "calibration (all labels pooled)"]


def test_a_run_without_predictions_or_history_says_what_is_missing():
    run = _run(None)
    run.history = pd.DataFrame()
    figures, notes = run_figures(run)
    assert figures == [] and len(notes) == 2 and "history.csv" in notes[0] and "predictions" in notes[1]
