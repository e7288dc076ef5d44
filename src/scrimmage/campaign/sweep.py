"""Sweep files: a campaign's phases, expanded into validated task configs before anything is queued.

A sweep names a campaign and lists phases. A phase trains a recipe with its own ``overrides``,
times explicit ``configs`` (override maps, each with a ``label``), times the cartesian product of a
``grid``, times ``seeds``; or (with ``base:``) waits until the phases it names have finished and
trains the best of their tasks' configs with its own overrides and seeds. Every task's full
config is validated here, at submit time, so a typo fails in seconds with the phase, the task and
the key named, never hours later on a worker. A waiting phase's configs are validated against
every config its bases may pick.

``ensemble: vectorize`` turns the seeds of each config of a phase into one task that trains them
together (``loop: {name: ensemble, seeds: [...]}``); its result lists every member, so
``campaign results`` still gives one row per seed, and one member can be retried on its own as a
sequential task (:func:`member_retry`).
"""

from __future__ import annotations

import copy
import itertools
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from scrimmage.campaign.db import PRIORITY_MAX, PRIORITY_MIN
from scrimmage.config.loader import config_to_dict, read_yaml, set_dotted, validate_config
from scrimmage.errors import ArgumentError, ConfigError

NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,79}$")


class BaseSpec(BaseModel):
    """Where a waiting phase's config comes from: the best finished task of earlier phases."""

    model_config = ConfigDict(extra="forbid")
    best_of: list[str] = Field(..., min_length=1, description="Earlier phases whose best task this phase builds on.")
    metric: str = Field(..., description="Metric that ranks them: the monitored metric's best value, another "
                        "val/ metric's last value, or a test/ metric.")
    mode: Literal["max", "min"] = Field("max", description="Whether a higher (max) or lower (min) metric is better.")


class PhaseSpec(BaseModel):
    """One phase of a campaign: a set of tasks with one priority."""

    model_config = ConfigDict(extra="forbid")
    name: str = Field(..., description="Phase name (letters, digits, '.', '_', '-').")
    priority: int = Field(5, description=f"Queue priority, {PRIORITY_MIN}-{PRIORITY_MAX}; higher runs first, FIFO within one.")
    recipe: str | None = Field(None, description="Recipe file the tasks train (not with base:).")
    overrides: dict[str, Any] = Field(default_factory=dict, description="Dotted overrides applied to every task.")
    configs: list[dict[str, Any]] = Field(default_factory=list, description="Explicit override maps, each with a label.")
    grid: dict[str, list[Any]] = Field(default_factory=dict, description="Cartesian product of values per dotted key.")
    seeds: list[int] | None = Field(None, description="trainer.seed values; one task per seed (default: the recipe's seed).")
    ensemble: Literal["sequential", "vectorize"] = Field("sequential", description="How seeds train: one task each "
                                                           "(sequential) or stacked in one task per config (vectorize: loop ensemble).")
    base: BaseSpec | None = Field(None, description="Wait for these phases and train their best config.")
    max_attempts: int = Field(3, ge=1, le=100, description="Attempts per task before it fails (a crash or a lost worker uses one).")

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        if not NAME.match(value):
            raise ValueError("use letters, digits, '.', '_' and '-' (up to 80 characters, starting with a letter or digit)")
        return value

    @field_validator("priority", mode="before")
    @classmethod
    def _priority(cls, value: Any) -> Any:
        if isinstance(value, bool) or not isinstance(value, int) or not PRIORITY_MIN <= value <= PRIORITY_MAX:
            raise ValueError(f"must be a whole number from {PRIORITY_MIN} to {PRIORITY_MAX} (higher runs first)")
        return value


class SweepSpec(BaseModel):
    """A sweep file: a campaign name and its phases."""

    model_config = ConfigDict(extra="forbid")
    campaign: str = Field(..., description="Campaign name (letters, digits, '.', '_', '-').")
    phases: list[PhaseSpec] = Field(..., min_length=1, description="Phases in order; a base: phase names earlier ones.")

    @field_validator("campaign")
    @classmethod
    def _campaign(cls, value: str) -> str:
        if not NAME.match(value):
            raise ValueError("use letters, digits, '.', '_' and '-' (up to 80 characters, starting with a letter or digit)")
        return value


@dataclass
class TaskSpec:
    """One task as it goes into ``campaign_tasks``."""

    phase: str
    label: str
    priority: int
    recipe: str | None
    config: dict[str, Any] | None
    overrides: dict[str, Any]
    swept: dict[str, Any]
    seed: int | None
    max_attempts: int
    base: dict[str, Any] | None = None

    @property
    def state(self) -> str:
        return "waiting" if self.config is None else "pending"


@dataclass
class Expanded:
    campaign: str
    spec: dict[str, Any]
    tasks: list[TaskSpec] = field(default_factory=list)

    def phases(self) -> dict[str, dict[str, Any]]:
        out: dict[str, dict[str, Any]] = {}
        for task in self.tasks:
            entry = out.setdefault(task.phase, {"tasks": 0, "priority": task.priority, "state": task.state})
            entry["tasks"] += 1
        return out


def load_sweep(path: str | Path) -> SweepSpec:
    path = Path(path)
    if not path.is_file():
        kind = "a folder" if path.is_dir() else "not found"
        raise ConfigError(f"sweep file {path}: {kind}. Pass a YAML sweep file (see recipes/campaign-demo.yaml).")
    raw = read_yaml(path)
    if not isinstance(raw, dict):
        raise ConfigError(f"sweep file {path} must be a mapping with 'campaign' and 'phases'.")
    try:
        return SweepSpec.model_validate(raw)
    except ValidationError as exc:
        raise ConfigError(f"sweep file {path}: {_sweep_errors(exc, raw)}") from None


def _sweep_errors(exc: ValidationError, raw: dict[str, Any]) -> str:
    parts = []
    for error in exc.errors()[:5]:
        loc = list(error["loc"])
        where = []
        for i, key in enumerate(loc):
            if key == "phases" and i + 1 < len(loc) and isinstance(loc[i + 1], int):
                index = loc[i + 1]
                phases = raw.get("phases") if isinstance(raw.get("phases"), list) else []
                name = phases[index].get("name") if index < len(phases) and isinstance(phases[index], dict) else None
                where.append(f"phase {name!r}" if name else f"phase #{index + 1}")
            elif isinstance(key, int) and i > 0 and loc[i - 1] == "phases":
                continue
            else:
                where.append(str(key))
        message = error["msg"].removeprefix("Value error, ")
        if error["type"] == "extra_forbidden":
            message = f"unknown key '{loc[-1]}' (see the sweep format in the README)"
            where = where[:-1] or ["top level"]
        parts.append(f"{', '.join(where)}: {message}")
    return "; ".join(parts)


def _resolve_recipe(recipe: str, sweep_file: Path) -> Path:
    for candidate in (Path(recipe), sweep_file.parent / recipe):
        if candidate.is_file():
            return candidate
    raise ConfigError(f"recipe {recipe} not found (looked in the current folder and beside {sweep_file}).")


def _task_error(phase: str, label: str, exc: ConfigError) -> ConfigError:
    return ConfigError(f"phase '{phase}', task '{label}': {exc}")


def _apply(raw: dict[str, Any], overrides: dict[str, Any], source: str) -> None:
    for key, value in overrides.items():
        if not isinstance(key, str) or not key:
            raise ConfigError(f"{source}: override keys must be dotted names like optim.lr, got {key!r}.")
        set_dotted(raw, key, copy.deepcopy(value), source=source)


def _value_text(value: Any) -> str:
    if isinstance(value, list):
        return "x".join(_value_text(v) for v in value)
    return json.dumps(value) if isinstance(value, (dict,)) else str(value)


def resolve(raw: dict[str, Any], overrides: dict[str, Any], seed: int | None, *, phase: str, label: str,
            check_files: bool = True) -> dict[str, Any]:
    """A task's full config: ``raw`` plus overrides and seed, validated; errors name the phase and the task."""
    raw = copy.deepcopy(raw)
    try:
        _apply(raw, overrides, f"phase '{phase}', task '{label}'")
        if seed is not None:
            set_dotted(raw, "trainer.seed", seed, source=f"phase '{phase}' seeds")
        config = validate_config(raw, source=f"phase '{phase}', task '{label}'", check_files=check_files)
    except ConfigError as exc:
        message = str(exc)
        if f"phase '{phase}'" not in message:
            raise _task_error(phase, label, exc) from None
        raise
    return config_to_dict(config)


def expand(spec: SweepSpec, sweep_file: str | Path, *, known_phases: dict[str, list[dict[str, Any]]] | None = None) -> Expanded:
    """Every task of the sweep with its validated config (``None`` for waiting phases, validated against each
    config their bases may pick). ``known_phases``: configs of phases submitted earlier (``--append``)."""
    sweep_file = Path(sweep_file)
    out = Expanded(spec.campaign, spec.model_dump(mode="json"))
    configs_by_phase: dict[str, list[dict[str, Any]]] = {k: list(v) for k, v in (known_phases or {}).items()}
    seen: set[str] = set()
    for phase in spec.phases:
        if phase.name in seen or phase.name in (known_phases or {}):
            raise ConfigError(f"phase '{phase.name}' appears twice in campaign '{spec.campaign}'; give each phase its own name.")
        seen.add(phase.name)
        vectorize = phase.ensemble == "vectorize"
        if vectorize and not phase.seeds:
            raise ConfigError(f"phase '{phase.name}': ensemble: vectorize needs seeds, one member each (e.g. seeds: [1, 2, 3]).")
        if phase.base is not None:
            out.tasks += _waiting_phase(phase, configs_by_phase)
            configs_by_phase[phase.name] = configs_by_phase.get(phase.name, [])
            continue
        if phase.recipe is None:
            raise ConfigError(f"phase '{phase.name}' needs a recipe (or base: to build on earlier phases).")
        recipe = _resolve_recipe(phase.recipe, sweep_file)
        raw = read_yaml(recipe)
        items = phase.configs or [{}]
        labels: set[str] = set()
        for item in items:
            if phase.configs and (not isinstance(item.get("label"), str | int) or str(item["label"]) == ""):
                raise ConfigError(f"phase '{phase.name}': every entry of configs needs a label (e.g. {{label: a03, optim.lr: 1e-4}}).")
            if phase.configs and str(item["label"]) in labels:
                raise ConfigError(f"phase '{phase.name}': the label '{item['label']}' is used twice in configs.")
            labels.add(str(item.get("label", "")))
        for key, values in phase.grid.items():
            if not isinstance(values, list) or not values:
                raise ConfigError(f"phase '{phase.name}', grid key '{key}': give a non-empty list of values.")
        grid_keys = list(phase.grid)
        combos = list(itertools.product(*(phase.grid[k] for k in grid_keys))) if grid_keys else [()]
        seeds: list[int | None] = list(phase.seeds) if phase.seeds else [None]
        if len(set(seeds)) != len(seeds):
            raise ConfigError(f"phase '{phase.name}': seeds repeat; list each seed once.")
        resolved = []
        for item in items:
            extra = {k: v for k, v in item.items() if k != "label"}
            for combo in combos:
                values = dict(zip(grid_keys, combo))
                if vectorize:
                    out.tasks.append(_ensemble_task(phase, raw, str(recipe), item, extra, values))
                    resolved.append(out.tasks[-1].config)  # type: ignore[arg-type]
                    continue
                for seed in seeds:
                    parts = [str(item["label"])] if "label" in item else []
                    parts += [f"{k.rsplit('.', 1)[-1]}={_value_text(v)}" for k, v in values.items()]
                    parts += [f"s{seed}"] if seed is not None else []
                    label = "-".join(parts) or phase.name
                    config = resolve(raw, {**phase.overrides, **extra, **values}, seed, phase=phase.name, label=label)
                    swept = {**extra, **values, "seed": config["trainer"]["seed"]}
                    out.tasks.append(TaskSpec(phase.name, label, phase.priority, str(recipe), config, phase.overrides,
                                              swept, config["trainer"]["seed"], phase.max_attempts))
                    resolved.append(config)
        configs_by_phase[phase.name] = resolved
    return out


def _ensemble_task(phase: PhaseSpec, raw: dict[str, Any], recipe: str, item: dict[str, Any], extra: dict[str, Any],
                   values: dict[str, Any]) -> TaskSpec:
    """One task training all of ``phase.seeds`` stacked (loop ensemble), checked to be a config that loop trains."""
    seeds = [int(s) for s in phase.seeds or []]
    parts = [str(item["label"])] if "label" in item else []
    parts += [f"{k.rsplit('.', 1)[-1]}={_value_text(v)}" for k, v in values.items()]
    parts += [f"ens{len(seeds)}"]
    label = "-".join(parts)
    loop = {"loop": {"name": "ensemble", "seeds": seeds}}
    config = resolve(raw, {**phase.overrides, **extra, **values, **loop}, None, phase=phase.name, label=label)
    _check_ensemble(config, phase.name, label)
    swept = {**extra, **values, "seeds": seeds}
    return TaskSpec(phase.name, label, phase.priority, recipe, config, phase.overrides, swept, None, phase.max_attempts)


def _waiting_ensemble(phase: PhaseSpec, candidates: list[dict[str, Any]]) -> TaskSpec:
    """One waiting task that trains the bases' best config as an ensemble of the phase's seeds (its overrides set
    the loop, so the queue resolves it like any waiting task); checked against every config the bases may pick."""
    assert phase.base is not None
    seeds = [int(s) for s in phase.seeds or []]
    label = f"best-ens{len(seeds)}"
    overrides = {**phase.overrides, "loop": {"name": "ensemble", "seeds": seeds}}
    for candidate in candidates:
        _check_ensemble(resolve(candidate, overrides, None, phase=phase.name, label=label, check_files=False),
                        phase.name, label)
    return TaskSpec(phase.name, label, phase.priority, None, None, overrides, {"seeds": seeds}, None, phase.max_attempts,
                    base=phase.base.model_dump())


def _check_ensemble(config: dict[str, Any], phase: str, label: str) -> None:
    """The ensemble loop can train ``config`` (else a ConfigError naming the phase and the task)."""
    try:
        run_config = validate_config(copy.deepcopy(config), source=f"phase '{phase}', task '{label}'", check_files=False)
        run_config.loop.check(run_config)  # type: ignore[attr-defined]
    except ConfigError as exc:
        raise ConfigError(f"phase '{phase}' (ensemble: vectorize), task '{label}': {exc} Or set ensemble: "
                          "sequential for this phase.") from None


def member_retry(task: dict[str, Any], seed: int) -> TaskSpec:
    """A sequential task training one member (``seed``) of a vectorized task again, with the task's config."""
    config = task.get("config") or {}
    loop = config.get("loop") or {}
    seeds = loop.get("seeds") or []
    if loop.get("name") != "ensemble":
        raise ArgumentError(f"task {task['id']} is not a vectorized ensemble; retry it without --member.")
    if seed not in seeds:
        raise ArgumentError(f"task {task['id']} has no member with seed {seed}; its seeds are {seeds}.")
    if task["state"] not in ("done", "failed", "cancelled"):
        raise ArgumentError(f"task {task['id']} is {task['state']}; retry a member once the task has ended.")
    label = f"{task['label']}-member-s{seed}"
    single = resolve(config, {"loop": {"name": "supervised"}}, seed, phase=task["phase"], label=label, check_files=False)
    swept = {k: v for k, v in (task.get("swept") or {}).items() if k != "seeds"} | {"seed": seed, "member_of": task["id"]}
    return TaskSpec(task["phase"], label, task["priority"], task.get("recipe"), single, task.get("overrides") or {},
                    swept, seed, int(task.get("max_attempts") or 3))


def _waiting_phase(phase: PhaseSpec, configs_by_phase: dict[str, list[dict[str, Any]]]) -> list[TaskSpec]:
    assert phase.base is not None
    if phase.recipe or phase.configs or phase.grid:
        raise ConfigError(f"phase '{phase.name}' has base: and so trains its bases' best config; it takes overrides and "
                          "seeds only (remove recipe, configs and grid).")
    for name in phase.base.best_of:
        if name not in configs_by_phase:
            raise ConfigError(f"phase '{phase.name}', base.best_of: '{name}' is not an earlier phase of this campaign "
                              f"(earlier phases: {', '.join(configs_by_phase) or 'none'}).")
    candidates = [c for name in phase.base.best_of for c in configs_by_phase[name]]
    if phase.ensemble == "vectorize":
        return [_waiting_ensemble(phase, candidates)]
    seeds: list[int | None] = list(phase.seeds) if phase.seeds else [None]
    tasks = []
    for seed in seeds:
        label = f"best-s{seed}" if seed is not None else "best"
        for candidate in candidates:  # whichever base wins, this phase's overrides and seeds must fit it
            resolve(candidate, phase.overrides, seed, phase=phase.name, label=label, check_files=False)
        tasks.append(TaskSpec(phase.name, label, phase.priority, None, None, phase.overrides, {"seed": seed}, seed,
                              phase.max_attempts, base=phase.base.model_dump()))
    return tasks


def metric_value(result: dict[str, Any] | None, metric: str) -> float | None:
    """A finished task's value of ``metric``: the monitored metric's best value, another val/ metric's last
    value, a test/ metric's value (a bare name is looked up as val/ then test/)."""
    if not result:
        return None
    best = result.get("best") or {}
    if best.get("metric") == metric and best.get("value") is not None:
        return float(best["value"])
    prefix, _, name = metric.partition("/")
    if not name:
        prefix, name = "", metric
    for section in ([prefix] if prefix in ("val", "test") else ["val", "test"]):
        value = (result.get(section) or {}).get(name)
        if isinstance(value, (int, float)):
            return float(value)
    return None
