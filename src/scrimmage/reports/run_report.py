"""``scrimmage report run RUN``: one finished run on one page.

Sections: the run's summary and config, its result table (rows = the model and its baselines, as
the CLI prints it), learning curves from ``history.csv``, the pictures its task calls for (binary
classification: ROC and precision-recall curves; every classifier: the confusion matrix and a
reliability curve; regression: residuals against predictions) and the domain's own pictures from
:data:`scrimmage.reports.hooks.FIGURES` for the run's ``data.name``.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np

from scrimmage.reports import page, plots
from scrimmage.reports.page import Figure
from scrimmage.reports.runs import RunData, load_run

MAX_CONFIG_ROWS = 80


def report_run(workdir: Path, run_id: str, out: str | Path) -> dict[str, Any]:
    """Write the run's page to ``out`` (checked before any work, written atomically); returns a summary."""
    path = page.check_output(out)
    run = load_run(workdir, run_id)
    figures, notes = run_figures(run)
    page.write_page(path, render(run, figures, notes))
    return {"run_id": run_id, "html": str(path), "figures": [f.title for f in figures], "notes": notes}


def run_figures(run: RunData) -> tuple[list[Figure], list[str]]:
    """Learning curves, the task's pictures and the domain's, plus notes on what could not be drawn."""
    notes: list[str] = []
    figures = plots.learning_curves(run.history, run.monitor[0])
    if not figures:
        notes.append("no per-epoch history found (history.csv): learning curves are missing")
    figures += task_figures(run, notes)
    figures += domain_figures(run, notes)
    return figures, notes


def task_figures(run: RunData, notes: list[str]) -> list[Figure]:
    pred = run.predictions
    if pred is None or len(pred) == 0:
        notes.append("no test predictions (predictions/test.csv): the run skipped its test evaluation")
        return []
    if any(c.startswith("prob_") for c in pred.columns):
        return classification_figures(run)
    return regression_figures(pred)


def _threshold(run: RunData) -> float | None:
    for source in (run.extras, run.result.get("test") or {}):
        for key in ("threshold", "decision_threshold"):
            value = source.get(key)
            if isinstance(value, (int, float)) and math.isfinite(value):
                return float(value)
    return None


def classification_figures(run: RunData) -> list[Figure]:
    pred = run.predictions
    assert pred is not None
    prob_columns = [c for c in pred.columns if c.startswith("prob_")]
    classes = [str(c) for c in run.extras.get("classes") or [c.removeprefix("prob_") for c in prob_columns]]
    probs = pred[[f"prob_{c}" for c in classes if f"prob_{c}" in pred]].to_numpy(float)
    if probs.shape[1] != len(classes):
        classes = [c.removeprefix("prob_") for c in prob_columns]
        probs = pred[prob_columns].to_numpy(float)
    figures: list[Figure] = []
    if "label" not in pred:  # multi-label: one 0/1 column per label
        truth = np.stack([pred[c].to_numpy(float) for c in classes if c in pred], axis=1) if all(c in pred for c in classes) else None
        if truth is not None:
            figures.append(plots.reliability(truth.ravel(), probs.ravel(), title="calibration (all labels pooled)"))
        return figures
    index = {c: i for i, c in enumerate(classes)}
    labels = pred["label"].astype(str).map(index)
    keep = labels.notna().to_numpy()
    y = labels[keep].to_numpy(int)
    probs = probs[keep]
    threshold = _threshold(run)
    binary = len(classes) == 2
    if binary:
        figures += plots.roc_pr((y == 1).astype(int), probs[:, 1], classes[1], threshold)
    matrix = run.extras.get("confusion_matrix")
    if not (isinstance(matrix, list) and len(matrix) == len(classes)):
        if "pred" in pred:
            picked = pred["pred"].astype(str).map(index)[keep].fillna(-1).to_numpy(int)
        else:
            picked = probs.argmax(1)
        matrix = np.zeros((len(classes), len(classes)), dtype=int)
        for t, p in zip(y, picked, strict=True):
            if p >= 0:
                matrix[t, p] += 1
    title = "confusion matrix" + (f" (threshold {threshold:.3g})" if binary and threshold is not None else "")
    figures.append(plots.confusion(matrix, classes, title, "confusion_matrix"))
    if binary:
        figures.append(plots.reliability((y == 1).astype(float), probs[:, 1],
                                         what=f"predicted P({classes[1]})", outcome=f"observed share of '{classes[1]}'"))
    else:
        top = probs.argmax(1)
        figures.append(plots.reliability((top == y).astype(float), probs.max(1), title="calibration (top class)",
                                         what="confidence of the predicted class", outcome="observed accuracy"))
    return figures


def regression_figures(pred: Any) -> list[Figure]:
    targets = [c.removesuffix("_pred") for c in pred.columns if c.endswith("_pred") and c.removesuffix("_pred") in pred]
    return [plots.residuals(pred[t].to_numpy(float), pred[f"{t}_pred"].to_numpy(float), t) for t in targets[:6]]


def domain_figures(run: RunData, notes: list[str]) -> list[Figure]:
    from scrimmage.reports.hooks import FIGURES

    hook = FIGURES.get(run.data_name)
    if hook is None:
        return []
    try:
        return list(hook(run))
    except Exception as exc:  # a domain's broken picture must not cost the rest of the page
        notes.append(f"the {run.data_name} figures failed: {type(exc).__name__}: {exc}")
        return []


def result_table(report: dict[str, Any]) -> tuple[list[str], list[list[Any]]]:
    """The report's rows (model first, then baselines in rank order) under its own columns, then any other scalar metric."""
    rows: dict[str, dict[str, Any]] = report.get("rows") or {}
    columns: dict[str, str] = dict(report.get("columns") or {})
    model = rows.get("model") or {}
    for key, value in model.items():
        if key not in columns and isinstance(value, (int, float)) and not isinstance(value, bool):
            columns[key] = key
    rank_by, lower = report.get("rank_by"), report.get("lower_is_better", True)

    def order(item: tuple[str, dict[str, Any]]) -> tuple[int, float]:
        value = item[1].get(rank_by)
        if not isinstance(value, (int, float)) or value != value:
            return (item[0] != "model", math.inf)
        return (item[0] != "model", float(value) if lower else -float(value))

    headers = ["row", *columns.values()]
    body = [[name, *(row.get(k) if not isinstance(row.get(k), (dict, list)) else None for k in columns)]
            for name, row in sorted(rows.items(), key=order)]
    return headers, body


def _flat(d: dict[str, Any], prefix: str = "") -> list[tuple[str, Any]]:
    out: list[tuple[str, Any]] = []
    for key, value in d.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict) and value:
            out += _flat(value, f"{name}.")
        else:
            out.append((name, value))
    return out


def summary_pairs(run: RunData) -> list[tuple[str, Any]]:
    result, best = run.result, run.result.get("best") or {}
    metric, mode = run.monitor
    pairs = [
        ("run id", run.run_id), ("recipe", run.meta.get("recipe") or "-"), ("data", run.data_name),
        ("task", run.task_name), ("model", (run.config.get("model") or {}).get("name", "-")),
        ("started", run.meta.get("started")), ("ended", run.meta.get("ended")),
        ("epochs", result.get("epochs_completed")), ("stop reason", result.get("stop_reason")),
        (f"best {best.get('metric', metric)} ({mode})", best.get("value")), ("best epoch", best.get("epoch")),
        ("reported weights", (result.get("model_checkpoint") or {}).get("file")),
        ("training samples/s", result.get("train_samples_per_s")), ("seconds", result.get("seconds")),
        ("dataset version", (result.get("data") or {}).get("dataset_version")),
        ("MLflow run", result.get("mlflow_run_id")),
    ]
    return [(k, v) for k, v in pairs if v is not None]


def render(run: RunData, figures: list[Figure], notes: list[str]) -> str:
    report = run.report
    headers, rows = result_table(report)
    curves = [f for f in figures if f.name == "learning_curves"]
    others = [f for f in figures if f.name != "learning_curves"]
    config_rows = _flat(run.config)
    data_rows = [(k, v) for k, v in _flat(run.result.get("data") or {}) if not isinstance(v, list) or len(v) <= 12]
    sections = [
        page.section("summary", page.key_values(summary_pairs(run))),
        page.section(f"result: {report.get('title', 'test set')}",
                     (page.table(headers, rows, highlight="model") if rows else '<p class="empty">no result table</p>')
                     + (f"<p>ranked by <code>{page.esc(report.get('rank_by'))}</code> "
                        f"({'lower' if report.get('lower_is_better', True) else 'higher'} is better)</p>" if report.get("rank_by") else "")
                     + page.notes(report.get("notes") or [])),
        page.section("learning curves", page.figures(curves)),
        page.section("test-set pictures", page.figures(others) + page.notes(notes)),
        page.section("config", page.key_values(config_rows[:MAX_CONFIG_ROWS])),
    ]
    if data_rows:
        sections.append(page.section("data", page.key_values(data_rows[:MAX_CONFIG_ROWS])))
    subtitle = (f"run <code>{page.esc(run.run_id)}</code> · data {page.esc(run.data_name)} · task {page.esc(run.task_name)} · "
                f"model {page.esc((run.config.get('model') or {}).get('name', '-'))}")
    return page.document(f"scrimmage run report: {run.run_id}", subtitle, sections)
