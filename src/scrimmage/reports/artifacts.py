"""What every tracked run logs to MLflow beyond its metrics: label counts, parameter count, figures.

Called by the runner once a run has finished, while its MLflow run is open (registered as the
``artifacts`` hook in ``config.registry.RUN_END``, so the engine never imports reports): the label distribution of every split (classification data: counts and shares per
class, ``data/label_distribution.json`` plus ``labels/<split>/<class>`` share metrics), the model's
parameter count (``model/parameters``, ``model/trainable_parameters``), and the run report's figures
(``figures/*.png``) with the page itself (``report/run.html``), built from the same in-memory result
the run writes to ``result.json``. Nothing here may fail a run that trained: an error becomes a warning.
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Any


def label_distribution(bundle: Any) -> dict[str, dict[str, int]]:
    """Counts per class of each split's targets (positives per label for multi-label); {} for data whose targets
    are not class ids (a multi-head model's score targets beside its play classes)."""
    from scrimmage.engine.tasks.scaling import real_targets

    classes = tuple(getattr(bundle.spec, "class_names", ()) or ())
    if not classes:
        return {}
    out: dict[str, dict[str, int]] = {}
    for name, split in bundle.splits.items():
        y = split.column("y")
        multilabel = y.is_floating_point() and y.dim() >= 2 and y.shape[-1] == len(classes) and len(bundle.spec.target_names) > 1
        y = real_targets(split, 1 if multilabel else 0)
        if multilabel:
            counts = y.reshape(-1, len(classes)).sum(0).long().tolist()
        else:
            if y.is_floating_point() and not bool((y == y.round()).all()):
                return {}  # real-valued targets (scores, margins) beside class names of another head: not labels
            flat = y.reshape(-1).long()
            if bool((flat >= len(classes)).any()):
                return {}
            flat = flat[flat >= 0]  # negative ids mark padding
            counts = flat.bincount(minlength=len(classes)).tolist()
        out[name] = {str(c): int(n) for c, n in zip(classes, counts, strict=True)} | {"total": int(y.shape[0])}
    return out


def parameter_count(model: Any) -> dict[str, int]:
    from scrimmage.engine.loop import unwrap_module

    module = unwrap_module(model)
    params = list(module.parameters())
    return {"parameters": sum(p.numel() for p in params), "trainable_parameters": sum(p.numel() for p in params if p.requires_grad)}


def log_run_artifacts(tracker: Any, config: Any, result: Any, history: list[dict[str, float]], model: Any, bundle: Any,
                      console: Any = None) -> None:
    """Log label counts, parameter count and the report's figures; warn (never raise) when any part fails."""
    parts = (_log_labels_and_size, _log_figures) if config.tracking.log_figures else (_log_labels_and_size,)
    for part in parts:
        try:
            part(tracker, config, result, history, model, bundle)
        except Exception as exc:  # a picture must never fail a run that trained
            if console is not None:
                console.print(f"warning: could not log the run's {part.__name__.removeprefix('_log_')} to MLflow: "
                              f"{type(exc).__name__}: {exc}", markup=False, highlight=False)


def _log_labels_and_size(tracker: Any, config: Any, result: Any, history: Any, model: Any, bundle: Any) -> None:
    size = parameter_count(model)
    labels = label_distribution(bundle)
    metrics: dict[str, float] = {f"model/{k}": float(v) for k, v in size.items()}
    for split, counts in labels.items():
        total = max(counts["total"], 1)
        metrics |= {f"labels/{split}/{c}": n / total for c, n in counts.items() if c != "total"}
    tracker.log_metrics(metrics, step=0)
    tracker.set_tags({"model.parameters": size["parameters"]})
    tracker.log_text(json.dumps(size, indent=2), "model/parameters.json")
    if labels:
        tracker.log_text(json.dumps(labels, indent=2), "data/label_distribution.json")


def _log_figures(tracker: Any, config: Any, result: Any, history: Any, model: Any, bundle: Any) -> None:
    import pandas as pd

    from scrimmage.config.loader import config_to_dict
    from scrimmage.reports import run_report
    from scrimmage.reports.plots import png_bytes
    from scrimmage.reports.runs import RunData, history_frame

    data = result.to_dict()
    predictions = pd.read_csv(result.predictions) if result.predictions and Path(result.predictions).is_file() else None
    run = RunData(run_id=result.run_id, config=config_to_dict(config), result=data, history=history_frame(history),
                  predictions=predictions, meta={"run_id": result.run_id}, folder=Path(result.run_dir))
    figures, notes = run_report.run_figures(run)
    with tempfile.TemporaryDirectory(prefix="scrimmage-figures-") as tmp:
        for i, figure in enumerate(figures, 1):
            path = Path(tmp) / f"{i:02d}_{figure.name}.png"
            path.write_bytes(png_bytes(figure))
            tracker.log_artifact(path, "figures")
        page = Path(tmp) / "run.html"
        page.write_text(run_report.render(run, figures, notes), encoding="utf-8")
        tracker.log_artifact(page, "report")
