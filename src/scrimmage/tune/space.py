"""A recipe's ``search.params`` as Optuna distributions, and a trial's values as a validated run config.

Each sampled value is applied to the resolved recipe as a dotted override (``optim.lr``,
``model.hidden``, ``callbacks.0.patience``) and the trial's config is validated like ``-o``, so a
trial can never run a config that ``train`` would refuse. Before a study starts, every key is looked
up in the recipe (a typo is named with the nearest key) and each parameter's bounds and every
choice are validated on their own, so a bad space fails in a second rather than at trial 37.

List- and mapping-valued choices (hidden-layer sets like ``[256, 128, 64]``) are handed to Optuna
as their JSON text: Optuna's categorical distribution only stores scalars, and a text choice keeps
the study readable in optuna-dashboard and usable by ``optuna.importance``. :func:`decode` turns
the stored text back into the value.
"""

from __future__ import annotations

import copy
import difflib
import json
from typing import Any

from scrimmage.config.loader import config_to_dict, set_dotted, validate_config
from scrimmage.config.schema import CategoricalParam, FloatParam, IntParam, RunConfig, SearchConfig
from scrimmage.errors import ConfigError


def _is_scalar(value: Any) -> bool:
    return value is None or isinstance(value, (bool, int, float, str))


def stored_choices(spec: CategoricalParam) -> list[Any]:
    """The choices as Optuna stores them: as written when all are scalars, else each one's JSON text."""
    if all(_is_scalar(c) for c in spec.choices):
        return list(spec.choices)
    return [json.dumps(c) for c in spec.choices]


def decode(spec: Any, stored: Any) -> Any:
    """A value as Optuna stored it → the config value (JSON text of a list choice → the list)."""
    if isinstance(spec, CategoricalParam) and not all(_is_scalar(c) for c in spec.choices):
        return json.loads(stored)
    return stored


def distribution(spec: Any) -> Any:
    """The Optuna distribution of one spec (used to enqueue and to rebuild trials)."""
    import optuna

    if isinstance(spec, FloatParam):
        return optuna.distributions.FloatDistribution(spec.low, spec.high, log=spec.log, step=spec.step)
    if isinstance(spec, IntParam):
        return optuna.distributions.IntDistribution(spec.low, spec.high, log=spec.log, step=spec.step)
    return optuna.distributions.CategoricalDistribution(stored_choices(spec))


def suggest(trial: Any, params: dict[str, Any]) -> dict[str, Any]:
    """Ask the trial for every parameter; returns the config values by dotted key."""
    values: dict[str, Any] = {}
    for key, spec in params.items():
        if isinstance(spec, FloatParam):
            stored = trial.suggest_float(key, spec.low, spec.high, log=spec.log, step=spec.step)
        elif isinstance(spec, IntParam):
            stored = trial.suggest_int(key, spec.low, spec.high, log=spec.log, step=spec.step)
        else:
            stored = trial.suggest_categorical(key, stored_choices(spec))
        values[key] = decode(spec, stored)
    return values


def decoded_params(params: dict[str, Any], search: SearchConfig) -> dict[str, Any]:
    """A finished trial's ``params`` (as stored) → config values."""
    return {key: decode(search.params[key], value) if key in search.params else value for key, value in params.items()}


def trial_raw(config: RunConfig, search: SearchConfig, values: dict[str, Any]) -> dict[str, Any]:
    """The trial's raw config: the resolved recipe without its search section, monitored by the search
    metric, with ``values`` applied as dotted overrides."""
    raw = copy.deepcopy(config_to_dict(config))
    raw.pop("search", None)
    raw["monitor"] = {"metric": search_metric(config), "mode": search_mode(config)}
    for key, value in values.items():
        set_dotted(raw, key, copy.deepcopy(value), source=f"search.params['{key}']")
    return raw


def trial_config(config: RunConfig, search: SearchConfig, values: dict[str, Any], label: str) -> RunConfig:
    """The validated config of a trial (errors name the trial and its values)."""
    shown = ", ".join(f"{k}={json.dumps(v)}" for k, v in values.items())
    return validate_config(trial_raw(config, search, values), source=f"{label} ({shown})")


def search_metric(config: RunConfig) -> str:
    assert config.search is not None
    return config.search.metric or config.monitor.metric


def search_mode(config: RunConfig) -> str:
    assert config.search is not None
    return config.search.mode or config.monitor.mode


def check_space(config: RunConfig, source: str) -> None:
    """Every key exists in the recipe, and each bound and choice validates on its own (others at the recipe's
    values). Raises :class:`ConfigError` naming the key."""
    search = config.search
    if search is None:
        raise ConfigError(f"{source} has no search section; add one naming what to search, e.g.\n"
                          "search:\n  params:\n    optim.lr: {type: float, low: 1.0e-4, high: 1.0e-2, log: true}")
    resolved = config_to_dict(config)
    for key in search.params:
        if key.split(".")[0] == "data":
            raise ConfigError(f"{source}: search.params['{key}']: data options cannot be searched, because the trials "
                              "share one built dataset; run one study per data setting (e.g. --study lookback-48 "
                              f"-o {key}=...).")
        _check_key(resolved, key, source)
    try:  # the search metric becomes the trials' monitor: checked on its own first
        validate_config(trial_raw(config, search, {}), source="trial")
    except ConfigError as exc:
        detail = str(exc).replace("trial: ", "")
        raise ConfigError(f"{source}: search.metric '{search_metric(config)}' ({search_mode(config)}): {detail}") from None
    for key, spec in search.params.items():
        if isinstance(spec, CategoricalParam):
            probes = list(spec.choices)
        else:
            probes = [spec.low, spec.high]
        for value in probes:
            try:
                validate_config(trial_raw(config, search, {key: value}), source="trial")
            except ConfigError as exc:
                detail = str(exc).replace("trial: ", "")
                raise ConfigError(f"{source}: search.params['{key}'] = {json.dumps(value)} makes an invalid config: "
                                  f"{detail} Narrow the range or drop that choice.") from None


def _check_key(resolved: dict[str, Any], key: str, source: str) -> None:
    node: Any = resolved
    parts = key.split(".")
    for depth, part in enumerate(parts):
        where = ".".join(parts[: depth + 1])
        if isinstance(node, list):
            if not part.isdigit() or int(part) >= len(node):
                raise ConfigError(f"{source}: search.params['{key}']: '{where}' indexes a list of {len(node)} item(s) "
                                  f"in the recipe; use 0..{len(node) - 1}.")
            node = node[int(part)]
            continue
        if not isinstance(node, dict):
            parent = ".".join(parts[:depth])
            raise ConfigError(f"{source}: search.params['{key}']: '{parent}' is a value, not a section, so it has no "
                              f"'{part}'.")
        if part not in node:
            close = difflib.get_close_matches(part, list(node), n=1, cutoff=0.5)
            prefix = where.rsplit(".", 1)[0] + "." if "." in where else ""
            hint = f" Did you mean '{prefix}{close[0]}'?" if close else ""
            raise ConfigError(f"{source}: search.params['{key}']: '{where}' is not a key of the recipe (the resolved "
                              f"recipe, defaults included, has no such key).{hint}")
        node = node[part]
