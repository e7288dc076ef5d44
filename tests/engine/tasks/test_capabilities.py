"""Task capabilities are named protocols, checked once when the run is built (no getattr probes)."""

from __future__ import annotations

import pytest

from scrimmage.config.registry import CALLBACKS, TASKS
from scrimmage.data.datamodule import InputSpec
from scrimmage.engine.tasks.base import Closable, LossWeighted, Stateful, Task, TaskCallbacks
from scrimmage.errors import ConfigError

SPECS = {"regression": InputSpec(3, ("a", "b")), "classification": InputSpec(3, ("label",), class_names=("no", "yes"))}


def built(name: str):
    return TASKS.validate({"name": name}).build(SPECS[name])


def test_the_builtin_tasks_are_tasks_with_a_default_loss():
    for name in ("regression", "classification"):
        task = built(name)
        assert isinstance(task, Task)
        assert task.default_loss()["name"]


def test_loss_weights_are_a_capability_of_regression_only():
    assert isinstance(built("regression"), LossWeighted)
    assert not isinstance(built("classification"), LossWeighted)
    for protocol in (Stateful, Closable, TaskCallbacks):
        assert not isinstance(built("regression"), protocol)


def test_phases_with_loss_weights_need_a_loss_weighted_task():
    phases = CALLBACKS.validate({"name": "phases", "phases": [{"epochs": 1, "loss_weights": {"yes": 2.0}}]})
    with pytest.raises(ConfigError, match="not LossWeighted"):
        phases.check_task(built("classification"))
    with pytest.raises(ConfigError, match="unknown loss parts"):
        phases.check_task(built("regression"))
    CALLBACKS.validate({"name": "phases", "phases": [{"epochs": 1, "loss_weights": {"b": 2.0}}]}).check_task(built("regression"))


def test_config_time_metrics_are_expected_metrics_and_built_tasks_name_theirs():
    schema = TASKS.validate({"name": "classification", "mode": "binary"})
    assert not hasattr(schema, "metric_names")  # one meaning per name: the built task's metric_names(prefix)
    assert schema.expected_metrics(None) == built("classification").metric_names("val")
    assert built("classification").metric_names("test")[0] == "test/loss"
