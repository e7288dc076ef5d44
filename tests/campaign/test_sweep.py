"""The sweep format: phases expand into validated tasks; every mistake is named (phase, task, key) before
anything is queued."""

from __future__ import annotations

import pytest

import tests.campaign.plugin  # noqa: F401  (registers campaign-toy)
from scrimmage.campaign.sweep import expand, load_sweep, metric_value
from scrimmage.errors import ConfigError
from tests.campaign.conftest import write_recipe, write_sweep


def sweep(tmp_path, phases, campaign="c1"):
    recipe = write_recipe(tmp_path / "toy.yaml")
    for phase in phases:
        if phase.get("recipe") == "TOY":
            phase["recipe"] = str(recipe)
    path = write_sweep(tmp_path / "sweep.yaml", campaign, phases)
    return expand(load_sweep(path), path)


def test_configs_times_grid_times_seeds(tmp_path):
    out = sweep(tmp_path, [{"name": "quality", "priority": 8, "recipe": "TOY", "overrides": {"trainer.epochs": 2},
                            "configs": [{"label": "a", "optim.lr": 0.01}, {"label": "b", "optim.lr": 0.001}],
                            "grid": {"model.hidden": [[8], [16, 8]]}, "seeds": [1, 2]}])
    assert len(out.tasks) == 2 * 2 * 2
    first = out.tasks[0]
    assert first.label == "a-hidden=8-s1"
    assert first.swept == {"optim.lr": 0.01, "model.hidden": [8], "seed": 1}
    assert first.config["optim"]["lr"] == 0.01 and first.config["trainer"]["epochs"] == 2
    assert first.config["trainer"]["seed"] == 1 and first.priority == 8 and first.state == "pending"
    assert len({t.label for t in out.tasks}) == 8
    assert out.phases() == {"quality": {"tasks": 8, "priority": 8, "state": "pending"}}


def test_a_waiting_phase_is_validated_against_every_base_config(tmp_path):
    out = sweep(tmp_path, [
        {"name": "quality", "recipe": "TOY", "grid": {"model.hidden": [[8], [4]]}},
        {"name": "robustness", "priority": 6, "base": {"best_of": ["quality"], "metric": "val/loss", "mode": "min"},
         "overrides": {"trainer.epochs": 5}, "seeds": [42, 43, 44]}])
    waiting = [t for t in out.tasks if t.phase == "robustness"]
    assert [t.label for t in waiting] == ["best-s42", "best-s43", "best-s44"]
    assert all(t.state == "waiting" and t.config is None for t in waiting)
    with pytest.raises(ConfigError, match=r"phase 'robustness', task 'best-s1'.*trainer.*epohcs"):
        sweep(tmp_path, [{"name": "quality", "recipe": "TOY"},
                         {"name": "robustness", "base": {"best_of": ["quality"], "metric": "val/loss"},
                          "overrides": {"trainer.epohcs": 5}, "seeds": [1]}])


@pytest.mark.parametrize("phases, message", [
    ([{"name": "q", "recipe": "TOY", "configs": [{"label": "a03", "optim.lrr": 0.1}]}],
     r"phase 'q', task 'a03'.*lrr"),
    ([{"name": "q", "recipe": "TOY", "grid": {"model.hiden": [[8]]}}], r"phase 'q', task 'hiden=8'.*hiden"),
    ([{"name": "q", "recipe": "TOY", "seed": [1]}], r"phase 'q': unknown key 'seed'"),
    ([{"name": "q", "recipe": "TOY", "priority": 101}], r"phase 'q', priority: must be a whole number from 0 to 100"),
    ([{"name": "q", "recipe": "TOY", "priority": "high"}], r"priority: must be a whole number"),
    ([{"name": "q", "recipe": "TOY"}, {"name": "q", "recipe": "TOY"}], r"phase 'q' appears twice"),
    ([{"name": "q", "recipe": "TOY", "configs": [{"optim.lr": 0.1}]}], r"every entry of configs needs a label"),
    ([{"name": "q", "recipe": "TOY", "seeds": [1, 1]}], r"seeds repeat"),
    ([{"name": "q", "recipe": "TOY", "grid": {"optim.lr": []}}], r"grid key 'optim.lr': give a non-empty list"),
    ([{"name": "q", "recipe": "missing.yaml"}], r"recipe missing.yaml not found"),
    ([{"name": "q"}], r"phase 'q' needs a recipe"),
    ([{"name": "r", "base": {"best_of": ["nope"], "metric": "val/loss"}}], r"'nope' is not an earlier phase"),
    ([{"name": "q", "recipe": "TOY"}, {"name": "r", "recipe": "TOY", "base": {"best_of": ["q"], "metric": "val/loss"}}],
     r"takes overrides and seeds only"),
    ([{"name": "q", "recipe": "TOY", "ensemble": "vectorise"}], r"ensemble"),
])
def test_mistakes_are_named(tmp_path, phases, message):
    with pytest.raises(ConfigError, match=message):
        sweep(tmp_path, phases)


def test_a_bad_campaign_name_and_an_unknown_top_level_key(tmp_path):
    with pytest.raises(ConfigError, match="campaign: use letters"):
        sweep(tmp_path, [{"name": "q", "recipe": "TOY"}], campaign="no spaces")
    path = tmp_path / "s.yaml"
    path.write_text("campaign: c\nphase: []\n")
    with pytest.raises(ConfigError, match="unknown key 'phase'"):
        load_sweep(path)


def test_metric_value_reads_the_best_the_last_val_or_the_test_value():
    result = {"best": {"metric": "val/loss", "value": 0.2, "epoch": 3}, "val": {"loss": 0.3, "roi": 0.05},
              "test": {"roi": -0.01}}
    assert metric_value(result, "val/loss") == 0.2
    assert metric_value(result, "val/roi") == 0.05
    assert metric_value(result, "test/roi") == -0.01
    assert metric_value(result, "roi") == 0.05
    assert metric_value(result, "val/nope") is None
    assert metric_value(None, "val/loss") is None


def test_the_shipped_demo_sweep_expands_and_validates():
    from tests.campaign.conftest import REPO

    path = REPO / "recipes" / "campaign-demo.yaml"
    out = expand(load_sweep(path), path)
    assert out.campaign == "demo"
    assert out.phases() == {"quality": {"tasks": 4, "priority": 8, "state": "pending"},
                            "robustness": {"tasks": 3, "priority": 6, "state": "waiting"}}
    assert {t.config["trainer"]["epochs"] for t in out.tasks if t.config} == {12}
