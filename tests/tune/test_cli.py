"""Misuse of ``scrimmage tune`` and ``scrimmage evaluate``: exit 2, one message that names the problem,
no traceback, and nothing written (no study store, no run folder) for input errors."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import optuna
import pytest
import yaml
from typer.testing import CliRunner

import tests.tune.synthetic  # noqa: F401  (registers synthetic-binary)
from scrimmage.cli.main import app
from tests.tune.synthetic import RECIPE, write_recipe

runner = CliRunner()


def files_in(folder: Path) -> set[Path]:
    return set(folder.rglob("*")) if folder.exists() else set()


def fails_cleanly(workdir: Path, args: list[str], message: str, before: set[Path] | None = None) -> str:
    result = runner.invoke(app, ["--workdir", str(workdir), *args])
    output = " ".join(result.output.split())
    assert result.exit_code == 2, result.output
    assert message in output, output
    assert "Traceback" not in result.output
    assert files_in(workdir) == (before or set()), f"left files behind: {files_in(workdir) - (before or set())}"
    return output


@pytest.fixture
def recipe(tmp_path: Path) -> Path:
    return write_recipe(tmp_path / "hpo.yaml")


def test_trials_zero(tmp_path, recipe):
    fails_cleanly(tmp_path / "wd", ["tune", str(recipe), "--trials", "0"], "--trials must be at least 1")


def test_trials_not_a_number(tmp_path, recipe):
    fails_cleanly(tmp_path / "wd", ["tune", str(recipe), "--trials", "many"], "Invalid value for '--trials'")


def test_trials_missing(tmp_path, recipe):
    fails_cleanly(tmp_path / "wd", ["tune", str(recipe)], "Missing option '--trials'")


def test_n_jobs_zero(tmp_path, recipe):
    fails_cleanly(tmp_path / "wd", ["tune", str(recipe), "--trials", "2", "--n-jobs", "0"], "--n-jobs must be at least 1")


def test_a_timeout_that_is_not_a_duration(tmp_path, recipe):
    fails_cleanly(tmp_path / "wd", ["tune", str(recipe), "--trials", "2", "--timeout", "soon"],
                  "--timeout 'soon': 'soon' is not a duration")


def test_a_recipe_without_search(tmp_path):
    raw = copy.deepcopy(RECIPE)
    del raw["search"]
    path = tmp_path / "plain.yaml"
    path.write_text(yaml.safe_dump(raw))
    fails_cleanly(tmp_path / "wd", ["tune", str(path), "--trials", "2"], "plain.yaml has no search section; add one")


def test_low_above_high(tmp_path):
    raw = copy.deepcopy(RECIPE)
    raw["search"]["params"]["optim.lr"] = {"type": "float", "low": 0.1, "high": 0.01}
    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump(raw))
    fails_cleanly(tmp_path / "wd", ["tune", str(path), "--trials", "2"], "'optim.lr': low (0.1) is above high (0.01)")


def test_a_search_key_the_recipe_lacks(tmp_path):
    raw = copy.deepcopy(RECIPE)
    raw["search"]["params"] = {"optim.lrate": {"type": "float", "low": 0.01, "high": 0.1}}
    path = tmp_path / "typo.yaml"
    path.write_text(yaml.safe_dump(raw))
    fails_cleanly(tmp_path / "wd", ["tune", str(path), "--trials", "2"], "Did you mean 'optim.lr'?")


def test_a_missing_recipe(tmp_path):
    fails_cleanly(tmp_path / "wd", ["tune", str(tmp_path / "nope.yaml"), "--trials", "2"], "recipe file not found")


def test_a_bad_study_name(tmp_path, recipe):
    fails_cleanly(tmp_path / "wd", ["tune", str(recipe), "--trials", "2", "--study", "my study!"],
                  "--study 'my study!' is not a valid study name")


def test_an_unreachable_storage_url(tmp_path, recipe):
    output = fails_cleanly(tmp_path / "wd", ["tune", str(recipe), "--trials", "2", "--storage",
                                             "postgresql://scrimmage:secret@127.0.0.1:1/studies"],
                           "cannot open the study storage postgresql://scrimmage:***@127.0.0.1:1/studies")
    assert "secret" not in output


def test_a_storage_in_a_missing_folder(tmp_path, recipe):
    fails_cleanly(tmp_path / "wd", ["tune", str(recipe), "--trials", "2", "--storage", f"sqlite:///{tmp_path}/no/optuna.db"],
                  f"folder {tmp_path}/no does not exist")
    fails_cleanly(tmp_path / "wd", ["tune", str(recipe), "--trials", "2", "--storage", f"{tmp_path}/no/studies.log"],
                  f"folder {tmp_path}/no does not exist")


def test_a_storage_that_is_neither_url_nor_journal(tmp_path, recipe):
    fails_cleanly(tmp_path / "wd", ["tune", str(recipe), "--trials", "2", "--storage", "studies.db"],
                  "--storage 'studies.db' is not a storage")


def test_json_mode_ends_with_the_error_line(tmp_path, recipe):
    result = runner.invoke(app, ["--workdir", str(tmp_path / "wd"), "tune", str(recipe), "--trials", "0", "--json"])
    assert result.exit_code == 2
    error = json.loads(result.stdout.strip().splitlines()[-1])["error"]
    assert error["type"] == "ArgumentError" and "--trials must be at least 1" in error["message"]


def test_evaluate_a_study_when_no_store_exists(tmp_path):
    fails_cleanly(tmp_path / "wd", ["evaluate", "nosuch"], "no study store at")


def test_evaluate_a_study_name_that_does_not_exist(tmp_path):
    workdir = tmp_path / "wd"
    workdir.mkdir()
    optuna.create_study(study_name="other", storage=f"sqlite:///{workdir / 'optuna.db'}")
    before = files_in(workdir)
    fails_cleanly(workdir, ["evaluate", "nosuch"], "no study 'nosuch' in sqlite:///", before)
    fails_cleanly(workdir, ["evaluate", "nosuch"], "studies there: other", before)


def test_evaluate_a_study_without_a_complete_trial(tmp_path):
    workdir = tmp_path / "wd"
    workdir.mkdir()
    optuna.create_study(study_name="empty", storage=f"sqlite:///{workdir / 'optuna.db'}")
    before = files_in(workdir)
    fails_cleanly(workdir, ["evaluate", "empty"], "study 'empty' in", before)
    fails_cleanly(workdir, ["evaluate", "empty"], "has no complete trial yet", before)


def test_evaluate_options(tmp_path):
    fails_cleanly(tmp_path / "wd", ["evaluate", "x", "--retrain-seeds", "-1"], "--retrain-seeds must be 0 or more")
    fails_cleanly(tmp_path / "wd", ["evaluate", "x", "--split", "holdout"], "--split must be one of test, val, train")
    fails_cleanly(tmp_path / "wd", ["evaluate", ""], "evaluate needs a study name, a run id or a .ckpt file")
    fails_cleanly(tmp_path / "wd", ["evaluate", "a/b c"], "is neither a run under")


def test_an_unreachable_tracking_store_leaves_no_study(tmp_path):
    recipe = write_recipe(tmp_path / "tracked.yaml", tracking={"enabled": True})
    workdir = tmp_path / "wd"
    result = runner.invoke(app, ["--workdir", str(workdir), "tune", str(recipe), "--trials", "2",
                                 "--tracking-uri", "postgresql://nobody@127.0.0.1:1/mlflow"])
    assert result.exit_code == 2, result.output
    assert "cannot" in result.output and "127.0.0.1:1" in result.output and "Traceback" not in result.output
    assert files_in(workdir) == set(), f"left files behind: {files_in(workdir)}"


def test_a_dataset_that_cannot_be_built_leaves_no_study(tmp_path):
    recipe = write_recipe(tmp_path / "nodata.yaml", data={"name": "synthetic-missing"})
    workdir = tmp_path / "wd"
    for storage in ([], ["--storage", "journal"]):
        result = runner.invoke(app, ["--workdir", str(workdir), "tune", str(recipe), "--trials", "2", *storage])
        assert result.exit_code == 2, result.output
        assert "no synthetic data here" in result.output and "Traceback" not in result.output
        assert files_in(workdir) == set(), f"left files behind: {files_in(workdir)}"


def test_a_storage_that_is_another_database(tmp_path, recipe):
    import sqlite3

    workdir = tmp_path / "wd"
    workdir.mkdir()
    other = workdir / "mlflow.db"
    with sqlite3.connect(other) as db:
        db.execute("CREATE TABLE experiments (id INTEGER)")
    before = files_in(workdir)
    size = other.stat().st_size
    fails_cleanly(workdir, ["tune", str(recipe), "--trials", "2", "--storage", f"sqlite:///{other}"],
                  "is a database of something else (no Optuna studies table)", before)
    fails_cleanly(workdir, ["evaluate", "hpo", "--storage", f"sqlite:///{other}"], "is a database of something else", before)
    assert other.stat().st_size == size


def test_a_search_metric_the_task_does_not_compute(tmp_path):
    raw = copy.deepcopy(RECIPE)
    raw["search"] |= {"metric": "val/pr_acu", "mode": "max"}
    path = tmp_path / "metric.yaml"
    path.write_text(yaml.safe_dump(raw))
    fails_cleanly(tmp_path / "wd", ["tune", str(path), "--trials", "2"],
                  "search.metric 'val/pr_acu' (max): config: monitor.metric 'val/pr_acu' is not computed by task "
                  "classification on synthetic-binary. Did you mean 'val/pr_auc'?")
