"""``report compare`` and ``report study``: runs side by side; an Optuna study's history, importance and best trials."""

from __future__ import annotations

from scrimmage.reports.compare import report_compare
from scrimmage.reports.study import report_study
from tests.reports.pages import check_self_contained, figure_titles


def test_compare_puts_metrics_side_by_side_and_overlays_curves(runs, tmp_path):
    out = tmp_path / "cmp.html"
    summary = report_compare(runs.workdir, [runs.binary, runs.binary_b], out)
    text = check_self_contained(out)
    assert figure_titles(text) == ["learning curves"] == summary["figures"]
    assert runs.binary in text and runs.binary_b in text
    assert "model.hidden" in text  # the one setting that differs (tracking.enabled too)


def test_study_page_has_history_importance_parallel_coordinates_and_best_trials(runs, tmp_path):
    out = tmp_path / "study.html"
    summary = report_study(runs.workdir, runs.study, out, runs.study_storage)
    text = check_self_contained(out)
    assert figure_titles(text) == ["optimization history", "parameter importance", "parallel coordinates",
                                   "intermediate values"]
    assert summary["trials"] == 3 and summary["states"] == {"complete": 3}
    assert set(summary["importance"]) == {"x", "lr", "layers"}
    assert "best trials" in text and "optuna-dashboard" in text


def test_study_in_the_default_storage_needs_no_storage_option(runs, tmp_path):
    summary = report_study(runs.workdir, runs.study, tmp_path / "s.html")  # sqlite:///<workdir>/optuna.db
    assert summary["best_trial"] in (0, 1, 2)
