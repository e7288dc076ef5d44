"""The one list of names: registries that map a component's ``name`` to its config schema.

A component (a dataset, model, loss, optimizer, schedule, task or callback) is a pydantic schema
whose ``name`` field is a ``Literal`` and whose ``build(...)`` method makes the thing. Recipes pick
components by ``name``; the loader validates each section against the schema registered under
that name (a discriminated union on ``name``, resolved through the registry because plugins
register after import time, which pydantic's static unions cannot see).

Why lazy: schemas are light (pydantic only) but what they build needs torch, pandas or a domain
package; ``build`` imports those when called, so ``scrimmage --help``, ``config validate`` and
``list`` never import torch. Domain packages (football, markets, games) register through the
``scrimmage.plugins`` entry point group; the core never imports a domain by name.
"""

from __future__ import annotations

import difflib
import importlib
import typing
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from importlib.metadata import entry_points
from typing import Any, ClassVar, TypeVar

from pydantic import BaseModel, ConfigDict

from scrimmage.errors import ConfigError

PLUGIN_GROUP = "scrimmage.plugins"
# Core modules whose import registers the built-in components (strings: imported on first use).
CORE_MODULES = (
    "scrimmage.models.configs",
    "scrimmage.losses.configs",
    "scrimmage.engine.optim_configs",
    "scrimmage.engine.tasks.configs",
    "scrimmage.engine.callbacks.configs",
    "scrimmage.engine.loop_configs",
)


class Component(BaseModel):
    """Base of every registered component's options: ``name`` picks it, unknown keys are errors."""

    model_config = ConfigDict(extra="forbid", validate_assignment=True)
    name: str

    kind: ClassVar[str] = ""
    """Optional family tag a consumer checks (e.g. a loss's ``regression`` / ``classification``)."""


C = TypeVar("C", bound=type[Component])


@dataclass(frozen=True)
class Entry:
    name: str
    schema: type[Component]
    description: str


class Registry:
    """Names of one kind of component → their schemas (and through ``schema.build``, their builders)."""

    def __init__(self, kind: str, section: str):
        self.kind = kind  # plural noun used by `scrimmage list` (models, losses ...)
        self.section = section  # the recipe key that picks one (model.name, callbacks[].name ...)
        self._entries: dict[str, Entry] = {}

    def register(self, schema: C) -> C:
        """Class decorator: register ``schema`` under the default of its ``name`` field."""
        name = _literal_name(schema)
        if name in self._entries and self._entries[name].schema is not schema:
            raise ValueError(f"{self.kind} '{name}' is registered twice ({self._entries[name].schema} and {schema})")
        doc = (schema.__doc__ or "").strip().splitlines()
        self._entries[name] = Entry(name, schema, doc[0].rstrip(".") if doc else "")
        return schema

    def names(self) -> list[str]:
        load_plugins()
        return sorted(self._entries)

    def entries(self) -> list[Entry]:
        load_plugins()
        return [self._entries[name] for name in sorted(self._entries)]

    def schema(self, name: Any) -> type[Component]:
        load_plugins()
        if not isinstance(name, str) or name not in self._entries:
            raise ConfigError(self.unknown_message(name))
        return self._entries[name].schema

    def unknown_message(self, name: Any) -> str:
        names = sorted(self._entries)
        if name is None:
            return f"{self.section} needs a name: one of {', '.join(names)} (see `scrimmage list {self.kind}`)."
        close = difflib.get_close_matches(str(name), names, n=1, cutoff=0.5)
        hint = f" Did you mean '{close[0]}'?" if close else ""
        return (f"unknown {self.kind.rstrip('s')} '{name}' ({self.section}).{hint} "
                f"Registered {self.kind}: {', '.join(names)} (see `scrimmage list {self.kind}`).")

    def validate(self, value: Any, default: str | None = None) -> Component:
        """A section's raw mapping (or an already built schema) → the schema registered under its name."""
        if isinstance(value, Component):
            return value
        if not isinstance(value, dict):
            raise ConfigError(f"{self.section} must be a mapping with a 'name' key, got {value!r}.")
        name = value.get("name", default)
        return self.schema(name).model_validate({**value, "name": name})


def _literal_name(schema: type[Component]) -> str:
    field = schema.model_fields.get("name")
    args = typing.get_args(field.annotation) if field is not None else ()
    if field is None or typing.get_origin(field.annotation) is not typing.Literal or len(args) != 1:
        raise TypeError(f"{schema.__name__}.name must be a Literal of one name, e.g. name: Literal['mlp'] = 'mlp'")
    return str(args[0])


DATASETS = Registry("datasets", "data.name")
MODELS = Registry("models", "model.name")
LOSSES = Registry("losses", "loss.name")
OPTIMIZERS = Registry("optimizers", "optim.name")
SCHEDULERS = Registry("schedulers", "scheduler.name")
TASKS = Registry("tasks", "task.name")
CALLBACKS = Registry("callbacks", "callbacks[].name")
REPORTS = Registry("reports", "reports[].name")
"""Report components: ``build()`` returns ``fn(ctx: ReportContext, report: Report) -> Report`` (see
:mod:`scrimmage.engine.reports`), run in the recipe's ``reports:`` order after the task's own table."""
LOOPS = Registry("loops", "loop.name")
"""Training loops (``supervised`` by default): ``build()`` returns a loop class (see :mod:`scrimmage.engine.session`)."""
COMPONENTS: dict[str, Registry] = {
    r.kind: r for r in (DATASETS, MODELS, LOSSES, OPTIMIZERS, SCHEDULERS, TASKS, CALLBACKS, REPORTS, LOOPS)
}


class NamedHooks:
    """A registry of plain callables by name (reports, predictors, CLI commands), not config sections."""

    def __init__(self, kind: str):
        self.kind = kind
        self._items: dict[str, tuple[Callable[..., Any] | str, str]] = {}

    def register(self, name: str, target: Callable[..., Any] | str, description: str = "") -> None:
        """``target`` is a callable or ``"module:attr"`` (imported on first use, to keep startup fast)."""
        if name in self._items and self._items[name][0] != target:
            raise ValueError(f"{self.kind} '{name}' is registered twice ({self._items[name][0]} and {target})")
        self._items[name] = (target, description)

    def get(self, name: str) -> Callable[..., Any] | None:
        load_plugins()
        if name not in self._items:
            return None
        target, description = self._items[name]
        if isinstance(target, str):
            module, _, attr = target.partition(":")
            target = getattr(importlib.import_module(module), attr)
            self._items[name] = (target, description)
        return target

    def describe(self) -> dict[str, str]:
        load_plugins()
        return {name: desc for name, (_, desc) in sorted(self._items.items())}

    def all(self) -> list[tuple[str, Callable[..., Any]]]:
        """Every hook by name, in registration order (each imported on first use)."""
        load_plugins()
        return [(name, hook) for name in list(self._items) if (hook := self.get(name)) is not None]


PREDICTORS = NamedHooks("predictors")
"""Dataset name → ``fn(loaded_model, **query) -> list[dict]``: predictions for new examples."""
COMMANDS = NamedHooks("commands")
"""``"data nfl"`` (a command in the ``data`` group) or ``"simulate"`` (a top-level command) → the
typer command function a domain adds to the CLI (wrapped in ``cli.common.user_errors``)."""

RUN_END = NamedHooks("run-end hooks")
"""``fn(tracker, config, result, history, model, bundle, console)`` called once a tracked run has
finished, while its MLflow run is open: what a run logs beyond its metrics. The engine calls them
without importing their modules (reports depend on the engine, never the reverse); a hook must
warn, never raise, since the run has trained."""
RUN_END.register("artifacts", "scrimmage.reports.artifacts:log_run_artifacts",
                 "label counts, parameter count, the run report's figures and page")

_loaded = False


def load_plugins(extra: Iterable[str] = ()) -> None:
    """Import the core component modules and every installed plugin's ``register()`` once."""
    global _loaded
    if _loaded:
        return
    _loaded = True
    for module in (*CORE_MODULES, *extra):
        importlib.import_module(module)
    for point in entry_points(group=PLUGIN_GROUP):
        try:
            point.load()()
        except Exception as exc:  # a broken plugin must say which one, not take the CLI down silently
            raise ConfigError(f"plugin '{point.name}' ({point.value}) failed to load: {exc}") from exc
