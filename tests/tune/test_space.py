"""The recipe's ``search:`` section: every kind of parameter parses and samples, every bad spec is named.

Parsing is pydantic (no study, no training); sampling asks a real in-memory Optuna trial.
"""

from __future__ import annotations

import copy

import optuna
import pytest

import tests.tune.synthetic  # noqa: F401  (registers synthetic-binary)
from scrimmage.config.loader import validate_config
from scrimmage.config.schema import CategoricalParam, FloatParam, IntParam
from scrimmage.errors import ConfigError
from scrimmage.tune.space import check_space, decoded_params, stored_choices, suggest, trial_config
from tests.tune.synthetic import RECIPE


def config_with(params=None, **search):
    raw = copy.deepcopy(RECIPE)
    raw["search"] = {"params": params if params is not None else RECIPE["search"]["params"], **search}
    return validate_config(raw, source="hpo.yaml")


def test_every_kind_parses_with_its_options():
    config = config_with({
        "optim.lr": {"type": "float", "low": 1e-4, "high": 1e-2, "log": True},
        "model.dropout": {"type": "float", "low": 0.0, "high": 0.5, "step": 0.1},
        "trainer.batch_size": {"type": "int", "low": 32, "high": 256, "step": 32},
        "callbacks.0.patience": {"type": "int", "low": 2, "high": 8},
        "model.activation": {"type": "categorical", "choices": ["relu", "gelu"]},
        "model.hidden": {"type": "categorical", "choices": [[256, 128, 64], [128, 64], [64]]},
    })
    params = config.search.params
    assert params["optim.lr"] == FloatParam(low=1e-4, high=1e-2, log=True)
    assert params["model.dropout"].step == 0.1
    assert params["trainer.batch_size"] == IntParam(low=32, high=256, step=32)
    assert isinstance(params["model.hidden"], CategoricalParam)
    assert config.search.pruner.name == "median" and config.search.pruner.n_startup_trials == 10
    assert config.search.pruner.n_warmup_steps == 5 and config.search.pruner.interval_steps == 1
    assert config.search.sampler.name == "tpe"
    check_space(config, "hpo.yaml")  # every key exists, every bound and choice validates


def test_train_ignores_the_section_and_trials_drop_it():
    config = config_with()
    trial = trial_config(config, config.search, {"optim.lr": 0.01, "model.hidden": [16, 8]}, "trial 0")
    assert trial.search is None and trial.optim.lr == 0.01 and trial.model.hidden == [16, 8]
    assert trial.monitor.metric == "val/loss" and trial.monitor.mode == "min"


def test_search_metric_becomes_the_trials_monitor():
    config = config_with(metric="val/auroc", mode="max")
    trial = trial_config(config, config.search, {}, "trial 0")
    assert (trial.monitor.metric, trial.monitor.mode) == ("val/auroc", "max")


def test_list_choices_are_stored_as_json_text_and_decoded():
    config = config_with()
    spec = config.search.params["model.hidden"]
    assert stored_choices(spec) == ["[8]", "[16, 8]"]  # Optuna keeps scalars only; text keeps importance working
    study = optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=1))
    trial = study.ask()
    values = suggest(trial, config.search.params)
    assert values["model.hidden"] in ([8], [16, 8])
    assert isinstance(trial.params["model.hidden"], str)
    assert decoded_params(trial.params, config.search)["model.hidden"] == values["model.hidden"]
    assert 1e-3 <= values["optim.lr"] <= 3e-2


def test_int_steps_and_scalar_choices_sample_on_their_grid():
    config = config_with({"trainer.batch_size": {"type": "int", "low": 32, "high": 96, "step": 32},
                          "model.activation": {"type": "categorical", "choices": ["relu", "gelu"]}})
    study = optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=0))
    seen = set()
    for _ in range(20):
        values = suggest(study.ask(), config.search.params)
        assert values["trainer.batch_size"] in (32, 64, 96)
        seen.add(values["model.activation"])
    assert seen == {"relu", "gelu"}


BAD_SPECS = [
    ({"optim.lr": {"type": "float", "low": 0.1, "high": 0.01}}, "'optim.lr': low (0.1) is above high (0.01); swap them"),
    ({"trainer.epochs": {"type": "int", "low": 9, "high": 3}}, "'trainer.epochs': low (9) is above high (3)"),
    ({"optim.lr": {"type": "flaot", "low": 0.1, "high": 1}}, "unknown type 'flaot' (did you mean 'float'?)"),
    ({"model.hidden": {"type": "categorical", "choices": []}}, "'model.hidden': categorical needs a non-empty list"),
    ({"model.hidden": {"type": "categorical"}}, "categorical needs a non-empty list of choices"),
    ({"model.hidden": {"type": "categorical", "choices": [[8], [8]]}}, "appear more than once"),
    ({"optim.lr": {"type": "float", "low": 0.0, "high": 1.0, "log": True}}, "a log scale needs low > 0"),
    ({"optim.lr": {"type": "float", "low": "a", "high": 1.0}}, "'optim.lr': low must be a number, got 'a'"),
    ({"trainer.epochs": {"type": "int", "low": 1.5, "high": 3}}, "low must be an integer, got 1.5"),
    ({"optim.lr": {"type": "float", "high": 1.0}}, "'optim.lr': type float needs low"),
    ({"optim.lr": {"type": "float", "low": 0.1, "hgih": 1.0}}, "unknown option 'hgih' for type float (did you mean 'high'?)"),
    ({"optim.lr": {"type": "float", "low": 0.1, "high": 1.0, "log": True, "step": 0.1}}, "log and step cannot be combined"),
    ({"optim.lr": 0.1}, "'optim.lr' must be a mapping like"),
    ({}, "search.params must map at least one dotted config key"),
    ({"search.metric": {"type": "categorical", "choices": ["a"]}}, "cannot search itself"),
]


@pytest.mark.parametrize("params, message", BAD_SPECS, ids=[m[:30] for _, m in BAD_SPECS])
def test_bad_specs_are_named(params, message):
    with pytest.raises(ConfigError) as err:
        config_with(params)
    assert message in str(err.value)


def test_bad_pruner_and_sampler_options_are_named():
    with pytest.raises(ConfigError, match="search.pruner.name"):
        config_with(pruner={"name": "medain"})
    with pytest.raises(ConfigError, match="pruner threshold needs lower or upper"):
        config_with(pruner={"name": "threshold"})
    with pytest.raises(ConfigError, match="search.metric 'val/auroc' needs search.mode"):
        config_with(metric="val/auroc")


@pytest.mark.parametrize("key, message", [
    ("model.hiden", "'model.hiden' is not a key of the recipe (the resolved recipe, defaults included, has no such key). "
                    "Did you mean 'model.hidden'?"),
    ("optim.lr.x", "'optim.lr' is a value, not a section"),
    ("callbacks.3.patience", "'callbacks.3' indexes a list of 1 item(s) in the recipe; use 0..0"),
    ("data.noise", "data options cannot be searched, because the trials share one built dataset"),
])
def test_a_key_the_recipe_lacks_is_named(key, message):
    config = config_with({key: {"type": "float", "low": 0.1, "high": 0.2}})
    with pytest.raises(ConfigError) as err:
        check_space(config, "hpo.yaml")
    assert message in str(err.value)


def test_a_bound_the_recipe_refuses_is_named_before_any_trial():
    config = config_with({"model.dropout": {"type": "float", "low": 0.1, "high": 1.5}})
    with pytest.raises(ConfigError) as err:
        check_space(config, "hpo.yaml")
    assert "search.params['model.dropout'] = 1.5 makes an invalid config" in str(err.value)
    assert "model.dropout" in str(err.value)


def test_a_recipe_without_search_says_how_to_add_one():
    raw = copy.deepcopy(RECIPE)
    del raw["search"]
    with pytest.raises(ConfigError, match="has no search section; add one"):
        check_space(validate_config(raw, source="plain.yaml"), "plain.yaml")
