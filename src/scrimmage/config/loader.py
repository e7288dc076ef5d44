"""Load a recipe: YAML file + dotted overrides → validated :class:`RunConfig`.

Every way this can go wrong (missing file, malformed YAML, unknown key, wrong type, bad value,
malformed override) becomes a :class:`ConfigError` naming the key, what was expected and, for
unknown keys, the nearest valid key (difflib).
"""

from __future__ import annotations

import difflib
import typing
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError

from scrimmage.config.schema import RunConfig
from scrimmage.errors import ConfigError


def load_config(recipe: str | Path | None, overrides: list[str] | None = None) -> RunConfig:
    """Read ``recipe`` (or start from defaults when None), apply ``key.path=value`` overrides, validate."""
    raw: dict[str, Any] = read_yaml(Path(recipe)) if recipe is not None else {}
    for item in overrides or []:
        key, value = parse_override(item)
        set_dotted(raw, key, value, source=f"override '{item}'")
    return validate_config(raw, source=str(recipe) if recipe else "defaults")


def read_yaml(path: Path) -> dict[str, Any]:
    if not path.exists():
        raise ConfigError(f"recipe file not found: {path}. Pass the path to a YAML recipe (see recipes/).")
    if path.is_dir():
        raise ConfigError(f"recipe path is a directory: {path}. Pass a YAML file, e.g. recipes/nfl-pregame.yaml.")
    try:
        loaded = yaml.safe_load(path.read_text())
    except yaml.YAMLError as exc:
        where = ""
        mark = getattr(exc, "problem_mark", None)
        if mark is not None:
            where = f" at line {mark.line + 1}, column {mark.column + 1}"
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise ConfigError(f"malformed YAML in {path}{where}: {problem}. Fix the syntax and try again.") from None
    if loaded is None:
        return {}
    if not isinstance(loaded, dict):
        raise ConfigError(f"{path} must hold a mapping of sections (data:, model:, trainer: ...), got {type(loaded).__name__}.")
    return loaded


def parse_override(item: str) -> tuple[str, Any]:
    """``optim.lr=3e-4`` → ("optim.lr", 0.0003). Values are YAML, so lists and dicts work."""
    if "=" not in item:
        raise ConfigError(f"bad override '{item}': expected KEY.PATH=VALUE, e.g. -o optim.lr=3e-4")
    key, text = item.split("=", 1)
    key = key.strip()
    if not key or any(not part for part in key.split(".")):
        raise ConfigError(f"bad override '{item}': the key must be a dotted path like trainer.epochs")
    try:
        value = yaml.safe_load(text) if text.strip() else None
    except yaml.YAMLError:
        raise ConfigError(f"bad override '{item}': the value is not valid YAML (quote strings with spaces or colons)") from None
    return key, value


def set_dotted(raw: dict[str, Any], key: str, value: Any, *, source: str) -> None:
    parts = key.split(".")
    node: Any = raw
    model: Any = RunConfig
    for depth, part in enumerate(parts[:-1]):
        model = _check_known(model, part, parts[: depth + 1], source)
        child = node.get(part)
        if child is None:
            child = node[part] = {}
        if not isinstance(child, dict):
            raise ConfigError(f"{source}: '{'.'.join(parts[: depth + 1])}' is a value, not a section")
        node = child
    _check_known(model, parts[-1], parts, source)
    node[parts[-1]] = value


def _check_known(model: Any, part: str, path: list[str], source: str) -> Any:
    """Return the sub-model for ``part`` (or None for leaves / free-form dicts); error on unknown keys."""
    if not (isinstance(model, type) and issubclass(model, BaseModel)):
        return None
    fields = model.model_fields
    if part not in fields:
        raise ConfigError(_unknown_key_message(".".join(path), part, list(fields), source))
    annotation = fields[part].annotation
    return annotation if isinstance(annotation, type) and issubclass(annotation, BaseModel) else None


def _unknown_key_message(full_key: str, part: str, valid: list[str], source: str) -> str:
    close = difflib.get_close_matches(part, valid, n=1, cutoff=0.5)
    prefix = full_key.rsplit(".", 1)[0] + "." if "." in full_key else ""
    hint = f" Did you mean '{prefix}{close[0]}'?" if close else ""
    return f"{source}: unknown config key '{full_key}'.{hint} Valid keys here: {', '.join(valid)}."


def validate_config(raw: dict[str, Any], *, source: str) -> RunConfig:
    try:
        return RunConfig.model_validate(raw)
    except ValidationError as exc:
        raise ConfigError(format_validation_error(exc, raw, source)) from None


def format_validation_error(exc: ValidationError, raw: dict[str, Any], source: str) -> str:
    lines = []
    for err in exc.errors():
        loc = [str(p) for p in err["loc"] if not isinstance(p, int)]
        key = ".".join(loc)
        if err["type"] == "extra_forbidden":
            parent = _model_at(loc[:-1])
            valid = list(parent.model_fields) if parent else []
            lines.append(_unknown_key_message(key, loc[-1], valid, source))
            continue
        if err["type"] == "value_error":
            lines.append(f"{source}: config section '{key}': {err['msg'].removeprefix('Value error, ')}.")
            continue
        expected = _expected_type(loc)
        got = err.get("input")
        got_text = f"{got!r} ({type(got).__name__})" if not isinstance(got, dict) else "a mapping"
        lines.append(f"{source}: config key '{key}': {err['msg']}; expected {expected}, got {got_text}.")
    return "\n".join(lines)


def _model_at(loc: list[str]) -> type[BaseModel] | None:
    model: Any = RunConfig
    for part in loc:
        if not (isinstance(model, type) and issubclass(model, BaseModel)) or part not in model.model_fields:
            return None
        model = model.model_fields[part].annotation
    return model if isinstance(model, type) and issubclass(model, BaseModel) else None


def _expected_type(loc: list[str]) -> str:
    parent = _model_at(loc[:-1]) if loc else None
    if parent is None or not loc or loc[-1] not in parent.model_fields:
        return "a valid value"
    field = parent.model_fields[loc[-1]]
    text = _type_name(field.annotation)
    if field.description:
        text += f" ({field.description.rstrip('.')})"
    return text


def _type_name(annotation: Any) -> str:
    origin = typing.get_origin(annotation)
    if origin is typing.Literal:
        return "one of " + ", ".join(repr(a) for a in typing.get_args(annotation))
    if isinstance(annotation, type) and origin is None:
        return annotation.__name__
    return str(annotation).replace("typing.", "").replace("pathlib.", "")


def config_to_dict(config: RunConfig) -> dict[str, Any]:
    """JSON/YAML-safe dict of the resolved config."""
    return config.model_dump(mode="json")


def config_to_yaml(config: RunConfig) -> str:
    return yaml.safe_dump(config_to_dict(config), sort_keys=False)


def flatten(d: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    """{"optim": {"lr": 1e-3}} → {"optim.lr": 1e-3} (lists stay values)."""
    flat: dict[str, Any] = {}
    for key, value in d.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict) and value:
            flat.update(flatten(value, f"{name}."))
        else:
            flat[name] = value
    return flat
