"""``report run``: a finished run's page has its summary, result table, learning curves and the task's pictures."""

from __future__ import annotations

import csv

from scrimmage.paths import runs_dir
from scrimmage.reports.run_report import report_run
from tests.reports.pages import check_self_contained, figure_titles


def test_a_finished_run_keeps_its_history_per_epoch(runs):
    rows = list(csv.DictReader((runs_dir(runs.workdir) / runs.binary / "history.csv").open()))
    assert [float(r["epoch"]) for r in rows] == [1.0, 2.0, 3.0]
    assert {"train/loss", "val/loss", "val/log_loss"} <= set(rows[0])


def test_binary_classifier_page_shows_curves_roc_pr_confusion_and_calibration(runs, tmp_path):
    out = tmp_path / "run.html"
    summary = report_run(runs.workdir, runs.binary, out)
    text = check_self_contained(out)
    titles = figure_titles(text)
    assert titles[:2] == ["learning curves", "ROC and precision-recall curves"]
    assert titles[2].startswith("confusion matrix") and titles[3] == "calibration (reliability)" and len(titles) == 4
    assert summary["figures"] == figure_titles(text) and summary["notes"] == []
    assert runs.binary in text and "<title>" in text
    assert '<tr class="model"><td>model</td>' in text and "<td>majority</td>" in text  # the model row beside its baseline
    assert "optim.lr" in text  # the config summary
    assert not list(tmp_path.glob(".*.tmp"))


def test_regression_page_shows_residuals_per_target(runs, tmp_path):
    out = tmp_path / "reg.html"
    report_run(runs.workdir, runs.regression, out)
    assert figure_titles(check_self_contained(out)) == ["learning curves", "residuals: a", "residuals: b"]


def test_run_without_history_file_reads_its_checkpoint(runs, tmp_path):
    import shutil

    folder = runs_dir(tmp_path) / "old-run"
    shutil.copytree(runs_dir(runs.workdir) / runs.regression, folder)
    (folder / "history.csv").unlink()  # as a run trained before history.csv existed
    report_run(tmp_path, "old-run", tmp_path / "old.html")
    assert "learning curves" in figure_titles((tmp_path / "old.html").read_text())


def test_reading_a_run_does_not_import_torch(runs, tmp_path):
    import subprocess
    import sys

    code = ("import sys; from pathlib import Path; from scrimmage.reports.run_report import report_run; "
            f"report_run(Path({str(runs.workdir)!r}), {runs.binary!r}, Path({str(tmp_path / 'x.html')!r})); "
            "print('torch' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True)
    assert out.stdout.strip() == "False"
