"""Studies across processes, with real child processes running ``scrimmage tune``: a study whose process
is SIGKILLed mid-trial resumes (the trial is failed, re-queued and continued from its run's last
checkpoint); two processes share one journal study without "database is locked"; a PostgreSQL study
(skipped when no server is reachable) runs trials in parallel threads."""

from __future__ import annotations

import copy
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import optuna
import pytest

import tests.tune.synthetic  # noqa: F401  (registers synthetic-binary)
from scrimmage.config.loader import validate_config
from scrimmage.tune.study import tune
from tests.conftest import scratch_postgres_database
from tests.tune.synthetic import RECIPE, write_recipe

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.slow


def worker(*args: str) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.Popen([sys.executable, "-m", "tests.tune.worker", *args], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def finish(proc: subprocess.Popen, timeout: float = 300) -> tuple[str, str]:
    out, err = proc.communicate(timeout=timeout)
    assert proc.returncode == 0, f"exit {proc.returncode}\n{out}\n{err}"
    return out, err


def test_a_study_killed_with_sigkill_resumes(tmp_path):
    marker = tmp_path / "parked"
    recipe = write_recipe(tmp_path / "killed.yaml", callbacks=[
        {"name": "early_stopping", "patience": 3}, {"name": "park_once", "at_epoch": 2, "marker": str(marker)}])
    workdir = tmp_path / "wd"
    args = ("--workdir", str(workdir), "tune", str(recipe), "--trials", "2", "--json")
    proc = worker(*args)
    deadline = time.monotonic() + 180
    while not marker.exists() and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.1)
    assert marker.exists(), f"the study never reached the parked epoch: {proc.communicate()}"
    proc.send_signal(signal.SIGKILL)
    proc.communicate(timeout=30)
    assert proc.returncode == -signal.SIGKILL

    storage = f"sqlite:///{workdir / 'optuna.db'}"
    killed = optuna.load_study(study_name="killed", storage=storage).trials[-1]
    assert killed.state == optuna.trial.TrialState.RUNNING  # nobody told the study: the process just vanished
    run_id = marker.read_text()
    assert killed.user_attrs["run_id"] == run_id
    assert (workdir / "runs" / run_id / "checkpoints" / "last.ckpt").is_file()

    out, err = finish(worker(*args))
    assert f"trials {killed.number} of study killed lost their process (killed); re-queued" in err
    summary = json.loads(out.strip().splitlines()[-1])
    assert summary["trials"]["counted"] == 2 and summary["trials"]["failed"] == 1
    states = {t["number"]: t for t in summary["trial_list"]}
    assert states[killed.number]["state"] == "failed" and "died" in states[killed.number]["error"]
    retry = next(t for t in summary["trial_list"] if t["retry_of"] == killed.number)
    assert retry["state"] in ("complete", "pruned") and retry["params"] == states[killed.number]["params"]
    assert retry["run_id"] == run_id  # the retry continued the killed trial's own run
    meta = json.loads((workdir / "runs" / run_id / "run.json").read_text())
    assert meta["status"] in ("finished", "pruned")
    assert "database is locked" not in err


def test_two_processes_share_one_journal_study(tmp_path):
    recipe = write_recipe(tmp_path / "shared.yaml", callbacks=[
        {"name": "early_stopping", "patience": 3}, {"name": "rendezvous", "folder": str(tmp_path / "ready")}])
    workdir = tmp_path / "wd"
    args = ("--workdir", str(workdir), "tune", str(recipe), "--trials", "4", "--storage", "journal", "--json")
    procs = [worker(*args), worker(*args)]
    outputs = [finish(p) for p in procs]
    for out, err in outputs:
        assert "database is locked" not in out + err
    study = optuna.load_study(study_name="shared", storage=optuna.storages.JournalStorage(
        optuna.storages.journal.JournalFileBackend(str(workdir / "optuna-journal.log"))))
    finished = [t for t in study.trials if t.state.is_finished()]
    assert len(finished) == len(study.trials) >= 4  # each process may finish the trial it was in
    assert all(t.state != optuna.trial.TrialState.FAIL for t in study.trials)
    run_ids = [t.user_attrs["run_id"] for t in study.trials]
    assert len(set(run_ids)) == len(run_ids)
    assert len({t.user_attrs["pid"] for t in study.trials}) == 2, "both processes ran trials"


@pytest.fixture
def postgres_url():
    with scratch_postgres_database("scrimmage_optuna") as url:
        yield url


def test_a_postgresql_study_runs_parallel_trials(tmp_path, postgres_url):
    raw = copy.deepcopy(RECIPE)
    config = validate_config(raw, source="pg.yaml")
    summary = tune(config, trials=4, recipe="pg.yaml", workdir=tmp_path, storage=postgres_url, n_jobs=2)
    assert summary["storage"] == postgres_url and summary["trials"]["counted"] >= 4
    assert summary["trials"]["failed"] == 0 and summary["best"] is not None
    assert not (tmp_path / "optuna.db").exists()
    study = optuna.load_study(study_name="pg", storage=postgres_url)
    assert len(study.trials) == summary["trials"]["total"]
