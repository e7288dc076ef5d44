"""Config: defaults, recipes, typed overrides and errors that name the key and the fix."""

from __future__ import annotations

from pathlib import Path

import pytest

from scrimmage.config import load_config, parse_override
from scrimmage.config.schema import RunConfig
from scrimmage.errors import ConfigError

RECIPES = Path(__file__).resolve().parents[2] / "recipes"


def test_every_field_has_a_default_and_a_description():
    """Every option of the engine's sections and of every registered component (data.name aside)."""
    from scrimmage.config.registry import COMPONENTS, Component

    def walk(model, prefix=""):
        for name, field in model.model_fields.items():
            assert field.description or name == "name", f"{prefix}{name} lacks a description"
            assert not field.is_required() or (prefix, name) == ("", "data") or name == "name", f"{prefix}{name} lacks a default"
            annotation = field.annotation
            if isinstance(annotation, type) and hasattr(annotation, "model_fields") and annotation is not Component:
                walk(annotation, f"{prefix}{name}.")

    walk(RunConfig)
    for kind, registry in COMPONENTS.items():
        for entry in registry.entries():
            assert entry.description, f"{kind} {entry.name} has no docstring"
            walk(entry.schema, f"{kind}:{entry.name}.")


def test_public_contract_keys_exist():
    config = load_config(RECIPES / "nfl-pregame.yaml")
    for key in (
        "trainer.epochs", "trainer.batch_size", "trainer.seed", "trainer.deterministic", "trainer.precision",
        "trainer.grad_clip", "trainer.accumulate", "optim.name", "optim.lr", "optim.weight_decay",
        "scheduler.name", "monitor.metric", "monitor.mode", "task.name", "data.lines", "checkpoint.restore_best",
    ):
        section, field = key.split(".")
        assert hasattr(getattr(config, section), field), key


TRAINING_RECIPES = sorted(p for p in RECIPES.glob("*.yaml") if not p.name.startswith("campaign-"))
"""Recipes ``train`` runs; ``campaign-*.yaml`` are sweeps (validated by tests/campaign)."""


@pytest.mark.parametrize("recipe", TRAINING_RECIPES, ids=lambda p: p.name)
def test_shipped_recipes_validate(recipe):
    load_config(recipe)


def test_overrides_are_typed_and_nested():
    config = load_config(RECIPES / "nfl-pregame.yaml", [
        "optim.lr=3e-4", "trainer.epochs=5", "model.hidden=[8, 4]", "loss.weights={home: 2, margin: 0.5}",
        "trainer.grad_clip=null", "data.test_seasons=[2019, 2019]",
    ])
    assert config.optim.lr == pytest.approx(3e-4)
    assert config.trainer.epochs == 5
    assert config.model.hidden == [8, 4]
    assert config.loss.weights == {"home": 2.0, "margin": 0.5}
    assert config.trainer.grad_clip is None
    assert config.data.test_seasons == (2019, 2019)


def test_override_value_is_yaml():
    assert parse_override("a.b=[1, 2]") == ("a.b", [1, 2])
    assert parse_override("a.b=true") == ("a.b", True)
    assert parse_override("a.b=hello world") == ("a.b", "hello world")


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        (["optim.lrr=1"], r"unknown config key 'optim.lrr'. Did you mean 'optim.lr'\?"),
        (["trainer.epoch=3"], r"Did you mean 'trainer.epochs'\?"),
        (["trianer.epochs=3"], r"Did you mean 'trainer'\?"),
        (["trainer.epochs=ten"], r"'trainer.epochs'.*got 'ten' \(str\)"),
        (["trainer.epochs=true"], r"'trainer.epochs'.*got True \(bool\)"),
        (["trainer.batch_size=0"], r"'trainer.batch_size'.*greater than or equal to 1"),
        (["optim.name=rmsprop"], r"unknown optimizer 'rmsprop' \(optim.name\).*Registered optimizers: adam, adamw, sgd"),
        (["model.name=mlp_typo"], r"unknown model 'mlp_typo' \(model.name\). Did you mean 'mlp'\?"),
        (["model.hiden=[8]"], r"unknown config key 'model.hiden'. Did you mean 'model.hidden'\?"),
        (["loss.name=focal", "loss.gama=2"], r"unknown config key 'loss.gama'. Did you mean 'loss.gamma'\?"),
        (["loss.weights={home: 1}", "loss.name=focal"], r"unknown config key 'loss.weights'"),
        (["callbacks.0.patiense=3"], r"unknown config key 'callbacks.0.patiense'. Did you mean 'callbacks.0.patience'\?"),
        (["callbacks=[{name: early_stoping}]"], r"Did you mean 'early_stopping'\?"),
        (["scheduler.step_size=2"], r"unknown config key 'scheduler.step_size'"),
        (["model.hidden=[]"], r"'model.hidden'.*at least 1 item"),
        (["model.hidden=[0, 4]"], r"'model.hidden.0'.*greater than or equal to 1"),
        (["optim.betas=[0.9, 1.0]"], r"'optim.betas.1'.*less than 1"),
        (["optim.lr=.inf"], r"'optim.lr'.*finite"),
        (["trainer.grad_clip=-1"], r"'trainer.grad_clip'.*greater than 0"),
        (["data.train_seasons=[2009, 2017]"], r"overlaps data.val_seasons"),
        (["epochs"], r"expected KEY.PATH=VALUE"),
        (["trainer.epochs.x=1"], r"'trainer.epochs' is a value, not a section"),
        (["optim.lr=[1,"], r"not valid YAML"),
    ],
)
def test_bad_overrides_name_the_key_and_the_fix(overrides, expected):
    with pytest.raises(ConfigError, match=expected):
        load_config(RECIPES / "nfl-pregame.yaml", overrides)


def test_unknown_key_in_recipe_names_nearest_key(tmp_path):
    recipe = tmp_path / "r.yaml"
    recipe.write_text("data: {name: nfl-pregame}\ntrainer:\n  epocs: 3\n")
    with pytest.raises(ConfigError, match=r"unknown config key 'trainer.epocs'. Did you mean 'trainer.epochs'\?"):
        load_config(recipe)


def test_malformed_yaml_reports_the_line(tmp_path):
    recipe = tmp_path / "bad.yaml"
    recipe.write_text("trainer:\n  epochs: 3\n  batch_size: [1, 2\n")
    with pytest.raises(ConfigError, match=r"malformed YAML in .*bad.yaml at line \d+"):
        load_config(recipe)


def test_missing_recipe_file(tmp_path):
    with pytest.raises(ConfigError, match="recipe file not found"):
        load_config(tmp_path / "absent.yaml")


def test_recipe_must_be_a_mapping(tmp_path):
    recipe = tmp_path / "list.yaml"
    recipe.write_text("- 1\n- 2\n")
    with pytest.raises(ConfigError, match="must hold a mapping"):
        load_config(recipe)


def test_empty_recipe_is_an_error(tmp_path):
    recipe = tmp_path / "empty.yaml"
    recipe.write_text("# nothing here\n")
    with pytest.raises(ConfigError, match="is empty"):
        load_config(recipe)


def test_recipe_without_data_names_the_fix(tmp_path):
    recipe = tmp_path / "r.yaml"
    recipe.write_text("trainer: {epochs: 3}\n")
    with pytest.raises(ConfigError, match="no data section"):
        load_config(recipe)


def test_duplicate_keys_are_refused(tmp_path):
    recipe = tmp_path / "dup.yaml"
    recipe.write_text("data: {name: nfl-pregame}\ntrainer:\n  epochs: 3\n  epochs: 4\n")
    with pytest.raises(ConfigError, match="duplicate key 'epochs' at line 4"):
        load_config(recipe)


def test_a_component_keeps_only_its_own_options():
    config = load_config(RECIPES / "nfl-pregame.yaml", ["loss={name: huber, delta: 2.5}", "optim={name: sgd, lr: 0.1}"])
    assert config.loss.name == "huber" and config.loss.delta == 2.5
    assert not hasattr(config.loss, "gamma")
    assert config.optim.momentum == 0.9 and not hasattr(config.optim, "betas")


def test_a_loss_must_fit_the_task():
    with pytest.raises(ConfigError, match="is a classification loss but task regression needs a regression loss"):
        load_config(RECIPES / "nfl-pregame.yaml", ["loss={name: focal, gamma: 1.5}"])
