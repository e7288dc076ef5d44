"""Config: defaults, recipes, typed overrides and errors that name the key and the fix."""

from __future__ import annotations

from pathlib import Path

import pytest

from scrimmage.config import load_config, parse_override
from scrimmage.config.schema import RunConfig
from scrimmage.errors import ConfigError

RECIPES = Path(__file__).resolve().parents[1] / "recipes"


def test_every_field_has_a_default_and_a_description():
    def walk(model, prefix=""):
        for name, field in model.model_fields.items():
            assert field.description, f"{prefix}{name} lacks a description"
            assert not field.is_required(), f"{prefix}{name} lacks a default"
            annotation = field.annotation
            if isinstance(annotation, type) and hasattr(annotation, "model_fields"):
                walk(annotation, f"{prefix}{name}.")

    walk(RunConfig)


def test_public_contract_keys_exist():
    config = RunConfig()
    for key in (
        "trainer.epochs", "trainer.batch_size", "trainer.seed", "trainer.deterministic", "trainer.precision",
        "trainer.grad_clip", "trainer.accumulate", "optim.name", "optim.lr", "optim.weight_decay",
        "scheduler.name", "early_stopping.metric", "early_stopping.mode", "early_stopping.patience",
        "early_stopping.min_delta", "data.lines",
    ):
        section, field = key.split(".")
        assert hasattr(getattr(config, section), field), key


@pytest.mark.parametrize("recipe", sorted(RECIPES.glob("*.yaml")), ids=lambda p: p.name)
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
        (["trainer.epochs=ten"], r"'trainer.epochs'.*expected int.*got 'ten' \(str\)"),
        (["trainer.batch_size=0"], r"'trainer.batch_size'.*greater than or equal to 1"),
        (["optim.name=rmsprop"], r"'optim.name'.*one of 'adamw', 'adam', 'sgd'"),
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
    recipe.write_text("trainer:\n  epocs: 3\n")
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
