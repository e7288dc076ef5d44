"""``scrimmage report compare RUN...``: finished runs side by side.

One table of the model row's test metrics per run (the union of every run's report columns), one
of their settings that differ (the config keys whose values are not the same in every run), and the
learning curves overlaid: training and validation loss, and the monitored metric when the runs share
one (each run's own otherwise, labelled).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from scrimmage.errors import ArgumentError
from scrimmage.reports import page, plots
from scrimmage.reports.run_report import _flat
from scrimmage.reports.runs import RunData, load_run


def report_compare(workdir: Path, run_ids: list[str], out: str | Path) -> dict[str, Any]:
    path = page.check_output(out)
    if len(run_ids) < 1:
        raise ArgumentError("report compare needs at least one run id (see `scrimmage runs`).")
    if len(set(run_ids)) != len(run_ids):
        raise ArgumentError(f"run ids repeat in {' '.join(run_ids)}; name each run once.")
    runs = [load_run(workdir, run_id) for run_id in run_ids]
    figures = curves(runs)
    page.write_page(path, render(runs, figures))
    return {"runs": run_ids, "html": str(path), "figures": [f.title for f in figures]}


def curves(runs: list[RunData]) -> list[page.Figure]:
    monitors = {run.monitor[0] for run in runs}
    monitor = monitors.pop() if len(monitors) == 1 else "val/loss"
    labels = [f"#{i}" for i in range(1, len(runs) + 1)]  # run ids are long: the table maps # to the run
    return plots.learning_curves(None, monitor, labels=labels, runs=[run.history for run in runs])


def metrics_table(runs: list[RunData]) -> tuple[list[str], list[list[Any]]]:
    columns: dict[str, str] = {}
    for run in runs:
        columns |= dict(run.report.get("columns") or {})
    for run in runs:
        for key, value in (run.result.get("test") or {}).items():
            if key not in columns and isinstance(value, (int, float)) and not isinstance(value, bool):
                columns[key] = key
    headers = ["#", "run", "data", "model", "epochs", "best val", *columns.values()]
    rows = []
    for i, run in enumerate(runs, 1):
        model = (run.report.get("rows") or {}).get("model") or run.result.get("test") or {}
        best = run.result.get("best") or {}
        rows.append([f"#{i}", run.run_id, run.data_name, (run.config.get("model") or {}).get("name"), run.result.get("epochs_completed"),
                     f"{best.get('metric')} {page.fmt(best.get('value'))}",
                     *(model.get(k) if not isinstance(model.get(k), (dict, list)) else None for k in columns)])
    return headers, rows


def differing_settings(runs: list[RunData]) -> tuple[list[str], list[list[Any]]]:
    flats = [dict(_flat(run.config)) for run in runs]
    keys = list(dict.fromkeys(k for flat in flats for k in flat))
    differ = [k for k in keys if len({repr(flat.get(k)) for flat in flats}) > 1]
    return ["setting", *(f"#{i}" for i in range(1, len(runs) + 1))], [[k, *(flat.get(k, "-") for flat in flats)] for k in differ]


def render(runs: list[RunData], figures: list[page.Figure]) -> str:
    headers, rows = metrics_table(runs)
    setting_headers, setting_rows = differing_settings(runs)
    settings = (page.table(setting_headers, setting_rows) if setting_rows
                else '<p class="empty">the runs share every setting</p>')
    sections = [
        page.section("test metrics (model row of each run)", page.table(headers, rows)),
        page.section("learning curves", page.figures(figures)),
        page.section("settings that differ", settings),
    ]
    subtitle = f"{len(runs)} runs: " + ", ".join(f"<code>{page.esc(run.run_id)}</code>" for run in runs)
    return page.document(f"scrimmage run comparison ({len(runs)} runs)", subtitle, sections)
