"""``ensemble: vectorize``: each config's seeds become one ensemble task; results list one row per member; one
member can be queued again on its own. No worker processes: a real ensemble run's result is recorded by hand."""

from __future__ import annotations

import pytest

import tests.campaign.plugin  # noqa: F401  (registers campaign-toy)
from scrimmage.campaign import store
from scrimmage.campaign.db import open_queue
from scrimmage.campaign.results import result_rows
from scrimmage.campaign.sweep import expand, load_sweep, member_retry
from scrimmage.config.loader import validate_config
from scrimmage.engine import run
from scrimmage.errors import ArgumentError, ConfigError
from tests.campaign.conftest import write_recipe, write_sweep
from tests.campaign.test_cli import fails, ok


def sweep(tmp_path, phases, **recipe):
    path = write_recipe(tmp_path / "toy.yaml", **recipe)
    for phase in phases:
        phase.setdefault("recipe", str(path))
    sweep_path = write_sweep(tmp_path / "sweep.yaml", "ens", phases)
    return expand(load_sweep(sweep_path), sweep_path)


def test_each_configs_seeds_become_one_ensemble_task(tmp_path):
    out = sweep(tmp_path, [
        {"name": "robust", "ensemble": "vectorize", "seeds": [1, 2, 3], "configs": [{"label": "a", "optim.lr": 0.01},
                                                                                 {"label": "b", "optim.lr": 0.001}]},
        {"name": "plain", "seeds": [1, 2]}])
    robust = [t for t in out.tasks if t.phase == "robust"]
    assert [t.label for t in robust] == ["a-ens3", "b-ens3"]
    assert all(t.config["loop"] == {"name": "ensemble", "seeds": [1, 2, 3]} and t.seed is None for t in robust)
    assert robust[1].swept == {"optim.lr": 0.001, "seeds": [1, 2, 3]} and robust[1].config["optim"]["lr"] == 0.001
    assert [t.config["loop"]["name"] for t in out.tasks if t.phase == "plain"] == ["supervised", "supervised"]


@pytest.mark.parametrize(("phase", "recipe", "message"), [
    ({"name": "q", "ensemble": "vectorize"}, {}, "phase 'q': ensemble: vectorize needs seeds"),
    ({"name": "q", "ensemble": "vectorize", "seeds": [1, 2]}, {"trainer": {"epochs": 3, "batch_size": 64, "accumulate": 2}},
     r"phase 'q' \(ensemble: vectorize\), task 'ens2'.*trainer.accumulate=2"),
    ({"name": "q", "ensemble": "vectorize", "seeds": [1, 2], "overrides": {"model.batch_norm": True}}, {},
     "model.batch_norm: true"),
])
def test_what_the_ensemble_loop_cannot_train_is_refused_naming_the_phase(tmp_path, phase, recipe, message):
    with pytest.raises(ConfigError, match=message):
        sweep(tmp_path, [phase], **recipe)


def test_a_base_phase_vectorizes_the_best_config_as_one_waiting_task(tmp_path):
    out = sweep(tmp_path, [{"name": "q", "configs": [{"label": "a", "optim.lr": 0.01}, {"label": "b", "optim.lr": 0.1}]},
                           {"name": "r", "recipe": None, "ensemble": "vectorize", "seeds": [4, 5],
                            "overrides": {"trainer.epochs": 5}, "base": {"best_of": ["q"], "metric": "val/loss"}}])
    waiting = [t for t in out.tasks if t.phase == "r"]
    assert len(waiting) == 1 and waiting[0].state == "waiting" and waiting[0].label == "best-ens2"
    assert waiting[0].overrides == {"trainer.epochs": 5, "loop": {"name": "ensemble", "seeds": [4, 5]}}
    with pytest.raises(ConfigError, match=r"phase 'r' \(ensemble: vectorize\), task 'best-ens2'.*trainer.accumulate=2"):
        sweep(tmp_path, [{"name": "q", "configs": [{"label": "a"}, {"label": "p", "trainer.accumulate": 2}]},
                         {"name": "r", "recipe": None, "ensemble": "vectorize", "seeds": [4, 5],
                          "base": {"best_of": ["q"], "metric": "val/loss"}}])


def train_and_record(q, task, wd, worker="w1") -> dict:
    """Train a queued task for real (as a worker's child would) and record its result as the worker would."""
    config = validate_config(task["config"], source="task", check_files=False)
    result = run(config, workdir=wd, run_id=task["run_id"], progress=False).to_dict()
    assert store.claim(q, task["id"], task["job_id"], worker, {"host": "here"}) is not None
    assert store.finish(q, task["id"], 1, worker, result, 1.0, None)
    return result


def test_results_list_every_member_and_one_member_can_be_queued_again(tmp_path, queue_url):
    wd = tmp_path / "wd"
    recipe = write_recipe(tmp_path / "toy.yaml")
    path = write_sweep(tmp_path / "sweep.yaml", "ens", [
        {"name": "q", "recipe": str(recipe), "overrides": {"trainer.epochs": 1}},
        {"name": "robust", "ensemble": "vectorize", "seeds": [1, 2, 3], "overrides": {"trainer.epochs": 2},
         "base": {"best_of": ["q"], "metric": "val/loss", "mode": "min"}}])
    assert ok(wd, "campaign", "submit", str(path), "--queue", queue_url)["tasks"] == 2
    q = open_queue(queue_url, wd)
    first, waiting = store.tasks(q, "ens")
    assert waiting["state"] == "waiting"
    train_and_record(q, first, wd)
    task = store.task(q, waiting["id"])  # the base finished: the ensemble task is queued with the best config
    assert task["state"] == "pending" and task["config"]["loop"] == {"name": "ensemble", "seeds": [1, 2, 3]}
    train_and_record(q, task, wd)

    table = result_rows(store.tasks(q, "ens"))
    assert [(r["task"], r["seed"], r["member"], r["status"]) for r in table] == [
        (first["id"], 0, None, "done"),
        (task["id"], 1, "seed1", "done"), (task["id"], 2, "seed2", "done"), (task["id"], 3, "seed3", "done")]
    assert all(r["metric"] == "val/loss" and r["best"] > 0 and r["best_epoch"] in (1, 2) and "val/loss" in r
               for r in table[1:])

    out = ok(wd, "campaign", "retry", "ens", "--task", str(task["id"]), "--member", "2", "--queue", queue_url)
    single = store.task(q, out["retried"][0])
    assert single["state"] == "pending" and single["seed"] == 2 and single["config"]["loop"] == {"name": "supervised"}
    assert single["config"]["trainer"]["seed"] == 2 and single["swept"]["member_of"] == task["id"]
    fails(wd, ["campaign", "retry", "ens", "--member", "2", "--queue", queue_url], "--member needs --task ID")
    fails(wd, ["campaign", "retry", "ens", "--task", str(task["id"]), "--member", "9", "--queue", queue_url],
          "has no member with seed 9")
    with pytest.raises(ArgumentError, match="not a vectorized ensemble"):
        member_retry(single, 2)
