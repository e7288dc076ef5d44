"""A study end to end on the synthetic binary dataset: trials are engine runs nested in MLflow, pruned
trials really stop early, the best trial is kept, written as a recipe, registered, and its checkpoint
scores its recorded validation value again; the same command resumes the study."""

from __future__ import annotations

import copy
import json
import time
from pathlib import Path

import optuna
import pytest
import yaml
from typer.testing import CliRunner

import tests.tune.synthetic  # noqa: F401  (registers synthetic-binary)
from scrimmage.cli.main import app
from scrimmage.config import load_config
from scrimmage.config.loader import validate_config
from scrimmage.errors import ArgumentError
from scrimmage.tune.study import tune
from tests.tune.synthetic import RECIPE, write_recipe

runner = CliRunner()


def last_json(output: str) -> dict:
    return json.loads(output.strip().splitlines()[-1])


@pytest.fixture(scope="module")
def study(tmp_path_factory):
    """A 4-trial study through the CLI, tracked in MLflow (the workdir's SQLite stores)."""
    root = tmp_path_factory.mktemp("study")
    recipe = write_recipe(root / "hpo.yaml", tracking={"enabled": True, "experiment": "tune-test"})
    workdir = root / "wd"
    result = runner.invoke(app, ["--workdir", str(workdir), "tune", str(recipe), "--trials", "4", "--json"])
    assert result.exit_code == 0, result.output
    return {"workdir": workdir, "recipe": recipe, "summary": last_json(result.stdout), "output": result.output}


def test_a_four_trial_study_counts_its_trials_and_names_the_best(study):
    summary = study["summary"]
    assert summary["study"] == "hpo" and summary["storage"] == f"sqlite:///{study['workdir'] / 'optuna.db'}"
    counts = summary["trials"]
    assert counts["total"] == counts["counted"] == 4 and counts["complete"] + counts["pruned"] == 4
    assert counts["complete"] >= 2 and counts["failed"] == 0
    best = summary["best"]
    completed = [t["value"] for t in summary["trial_list"] if t["state"] == "complete"]
    assert best["value"] == min(completed)
    assert best["params"]["model.hidden"] in ([8], [16, 8]) and best["stored_params"]["model.hidden"] in ("[8]", "[16, 8]")
    assert set(summary["importance"]) == {"optim.lr", "model.hidden", "model.dropout"}
    assert summary["epochs_spent"] == sum(t["epochs"] for t in summary["trial_list"]) > 0
    assert "trial 0 complete: val/loss" in study["output"]


def test_trials_are_runs_without_a_test_and_only_the_best_keeps_its_checkpoint(study):
    runs = study["workdir"] / "runs"
    summary = study["summary"]
    for trial in summary["trial_list"]:
        meta = json.loads((runs / trial["run_id"] / "run.json").read_text())
        assert meta["status"] == ("finished" if trial["state"] == "complete" else "pruned")
        if trial["state"] == "complete":
            result = json.loads((runs / trial["run_id"] / "result.json").read_text())
            assert result["tested"] is False and result["test"] == {}
        checkpoints = list((runs / trial["run_id"] / "checkpoints").glob("*.ckpt"))
        assert bool(checkpoints) == (trial["run_id"] == summary["best"]["run_id"])
    assert Path(summary["best"]["checkpoint"]).name == "best.ckpt"


def test_the_best_trial_becomes_a_recipe_with_its_stop_epoch(study):
    best = study["summary"]["best"]
    path = study["workdir"] / "studies" / "hpo" / "best.yaml"
    assert best["recipe"] == str(path)
    assert path.read_text().startswith("# Derived from study hpo")
    raw = yaml.safe_load(path.read_text())
    assert "search" not in raw
    config = load_config(path)
    assert config.trainer.epochs == best["epochs"]
    assert config.optim.lr == pytest.approx(best["params"]["optim.lr"])
    assert config.model.hidden == best["params"]["model.hidden"]
    assert (study["workdir"] / "studies" / "hpo" / "trials.csv").is_file()


def test_trials_are_nested_mlflow_runs_and_the_best_is_registered(study):
    from mlflow.tracking import MlflowClient

    client = MlflowClient(f"sqlite:///{study['workdir'] / 'mlflow.db'}")
    experiment = client.get_experiment_by_name("tune-test")
    found = client.search_runs([experiment.experiment_id])
    parents = [r for r in found if r.info.run_name == "study-hpo"]
    assert len(parents) == 1
    parent = parents[0]
    assert parent.data.tags["experiment_type"] == "HPO" and parent.data.tags["study"] == "hpo"
    assert parent.info.status == "FINISHED"
    children = [r for r in found if r.data.tags.get("mlflow.parentRunId") == parent.info.run_id]
    assert len(children) == 4
    for child in children:
        tags = child.data.tags
        assert tags["experiment_type"] == "HPO" and tags["study"] == "hpo" and tags["model_type"] == "mlp"
        assert tags["dataset_version"] == "synthetic-binary-v1" and tags["trial_number"] in {"0", "1", "2", "3"}
    registered = study["summary"]["best"]["registered"]
    assert registered["model"] == "scrimmage-hpo" and registered["version"] == 1
    version = client.get_model_version("scrimmage-hpo", "1")
    assert version.tags["trial_number"] == str(study["summary"]["best"]["trial"])
    best_child = next(c for c in children if c.data.tags["trial_number"] == str(study["summary"]["best"]["trial"]))
    artifacts = {a.path for a in client.list_artifacts(best_child.info.run_id, "model")}
    assert {"model/best.ckpt", "model/config.yaml", "model/best.yaml"} <= artifacts


def test_evaluate_on_val_reproduces_the_recorded_value(study):
    result = runner.invoke(app, ["--workdir", str(study["workdir"]), "evaluate", "hpo", "--split", "val", "--json"])
    assert result.exit_code == 0, result.output
    scored = last_json(result.stdout)
    assert scored["kind"] == "study" and scored["checkpoint"] == study["summary"]["best"]["checkpoint"]
    recorded = scored["recorded_metric"]
    assert recorded["metric"] == "val/loss"
    assert recorded["this_split"] == pytest.approx(recorded["value"], abs=1e-6)
    assert recorded["value"] == pytest.approx(study["summary"]["best"]["value"], abs=1e-12)


def test_evaluate_scores_the_test_split_and_the_spread_of_retrained_seeds(study):
    result = runner.invoke(app, ["--workdir", str(study["workdir"]), "evaluate", "hpo", "--retrain-seeds", "2", "--json"])
    assert result.exit_code == 0, result.output
    scored = last_json(result.stdout)
    assert scored["split"] == "test" and 0.0 < scored["metrics"]["auroc"] <= 1.0
    retrain = scored["retrain"]
    assert [r["seed"] for r in retrain["runs"]] == [1, 2]
    auroc = retrain["spread"]["auroc"]
    assert auroc["n"] == 2 and auroc["min"] <= auroc["mean"] <= auroc["max"] and auroc["sd"] >= 0
    assert "checkpoint beside 2 retrained seeds" in result.output


def test_the_same_study_name_with_another_space_is_refused(study):
    raw = copy.deepcopy(RECIPE)
    raw["tracking"] = {"enabled": True, "experiment": "tune-test"}
    raw["search"]["params"]["optim.lr"]["high"] = 0.1
    config = validate_config(raw, source="other.yaml")
    with pytest.raises(ArgumentError, match="study 'hpo' in .* was made with another search space"):
        tune(config, trials=5, recipe=str(study["recipe"]), workdir=study["workdir"])


def test_rerunning_the_command_resumes_the_study(study):
    args = ["--workdir", str(study["workdir"]), "tune", str(study["recipe"]), "--json"]
    again = runner.invoke(app, [*args, "--trials", "4"])
    assert again.exit_code == 0, again.output
    assert "already holds 4 trial(s) (--trials 4); nothing to run" in again.output
    assert last_json(again.stdout)["trials"]["total"] == 4
    more = runner.invoke(app, [*args, "--trials", "5"])
    assert more.exit_code == 0, more.output
    assert "4 trial(s) done, running 1 more" in more.output
    assert last_json(more.stdout)["trials"]["total"] == 5


def test_a_pruned_trial_stops_early(tmp_path):
    raw = copy.deepcopy(RECIPE)
    raw["trainer"]["epochs"] = 6
    raw["search"]["pruner"] = {"name": "threshold", "upper": 0.0, "n_warmup_steps": 2}  # every loss is > 0: prune
    config = validate_config(raw, source="prune.yaml")
    summary = tune(config, trials=2, recipe="prune.yaml", workdir=tmp_path)
    assert summary["trials"]["pruned"] == 2 and summary["best"] is None
    assert any("no trial completed" in note for note in summary["notes"])
    for trial in summary["trial_list"]:
        assert trial["epochs"] == 2  # of 6
        meta = json.loads((tmp_path / "runs" / trial["run_id"] / "run.json").read_text())
        assert meta["status"] == "pruned" and "pruned by the search at epoch 2" in meta["error"]
        assert not (tmp_path / "runs" / trial["run_id"] / "result.json").exists()
    study = optuna.load_study(study_name="prune", storage=f"sqlite:///{tmp_path / 'optuna.db'}")
    assert [sorted(t.intermediate_values) for t in study.trials] == [[1, 2], [1, 2]]


@pytest.mark.filterwarnings("ignore:Heartbeat of storage is supposed to be used with Study.optimize")
def test_a_trial_whose_heartbeat_stopped_is_failed_and_retried(tmp_path):
    """The database storages' path for a process lost on another machine (this host's dead processes are
    reaped at once by pid; here the trial claims another host, so only its stale heartbeat can tell)."""
    from optuna.trial import TrialState

    from scrimmage.tune.storage import open_store

    raw = copy.deepcopy(RECIPE)
    raw["search"] |= {"heartbeat_interval": 1, "grace_period": 1, "pruner": {"name": "none"}}
    config = validate_config(raw, source="hb.yaml")
    tune(config, trials=1, recipe="hb.yaml", workdir=tmp_path)
    store = open_store(None, tmp_path, create=False, heartbeat=(1, 1, 3))
    study = optuna.load_study(study_name="hb", storage=store.storage)
    lost = study.ask()  # a trial "running" elsewhere, whose process died after one heartbeat
    study._storage.record_heartbeat(lost._trial_id)
    for key, value in {"host": "another-machine", "pid": 1, "run_id": "hb-lost"}.items():
        lost.set_user_attr(key, value)
    time.sleep(2.5)
    summary = tune(config, trials=3, recipe="hb.yaml", workdir=tmp_path)
    states = {t["number"]: t["state"] for t in summary["trial_list"]}
    assert states[lost.number] == "failed"
    retries = [t for t in summary["trial_list"] if t["retry_of"] == lost.number]
    assert len(retries) == 1 and retries[0]["state"] == "complete"
    assert summary["trials"]["counted"] == 3  # the lost trial counts once, through its retry
    assert study.get_trials(states=(TrialState.RUNNING,)) == []
