"""Load a recipe: YAML file + dotted overrides → validated :class:`RunConfig`.

Every way this can go wrong (missing, empty or non-UTF-8 file, malformed YAML, duplicate keys,
unknown key or component name, wrong type, bad value, malformed override) becomes a
:class:`ConfigError` naming the key, what was expected and, for unknown keys and names, the
nearest valid one (difflib). Unknown keys inside a component are checked against the schema its
``name`` picks, so a typo in any component still names the nearest key.
"""

from __future__ import annotations

import difflib
import types
import typing
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError

from scrimmage.config.schema import COMPONENT_SECTIONS, LIST_SECTIONS, RunConfig
from scrimmage.errors import ConfigError


def load_config(recipe: str | Path | None, overrides: list[str] | None = None) -> RunConfig:
    """Read ``recipe`` (or start from defaults when None), apply ``key.path=value`` overrides, validate."""
    raw: dict[str, Any] = read_yaml(Path(recipe)) if recipe is not None else {}
    for item in overrides or []:
        key, value = parse_override(item)
        set_dotted(raw, key, value, source=f"override '{item}'")
    return validate_config(raw, source=str(recipe) if recipe else "overrides")


class _UniqueKeyLoader(yaml.SafeLoader):
    """A safe loader that refuses duplicate keys (YAML keeps the last one silently)."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: set[Any] = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)
            if key in seen:
                raise ConfigError(
                    f"duplicate key '{key}' at line {key_node.start_mark.line + 1}, column {key_node.start_mark.column + 1}"
                    " (YAML would silently keep only the last one); remove one of them"
                )
            seen.add(key)
        return super().construct_mapping(node, deep=deep)


def read_yaml(path: Path) -> dict[str, Any]:
    if not path.exists():
        raise ConfigError(f"recipe file not found: {path}. Pass the path to a YAML recipe (see recipes/).")
    if path.is_dir():
        raise ConfigError(f"recipe path is a directory: {path}. Pass a YAML file, e.g. recipes/nfl-pregame.yaml.")
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise ConfigError(f"recipe {path} is not UTF-8 text; pass a YAML recipe file.") from None
    except OSError as exc:
        raise ConfigError(f"cannot read recipe {path}: {exc.strerror}.") from None
    try:
        loaded = yaml.load(text, Loader=_UniqueKeyLoader)
    except ConfigError as exc:
        raise ConfigError(f"{path}: {exc}") from None
    except yaml.YAMLError as exc:
        where = ""
        mark = getattr(exc, "problem_mark", None)
        if mark is not None:
            where = f" at line {mark.line + 1}, column {mark.column + 1}"
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise ConfigError(f"malformed YAML in {path}{where}: {problem}. Fix the syntax and try again.") from None
    if loaded is None:
        raise ConfigError(f"recipe {path} is empty; a recipe needs at least a data section (see recipes/ for examples).")
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
        value = yaml.load(text, Loader=_UniqueKeyLoader) if text.strip() else None
    except (yaml.YAMLError, ConfigError):
        raise ConfigError(f"bad override '{item}': the value is not valid YAML (quote strings with spaces or colons)") from None
    return key, value


def set_dotted(raw: dict[str, Any], key: str, value: Any, *, source: str) -> None:
    """Set ``a.b.c`` in nested mappings; a number indexes a list (``callbacks.0.patience``)."""
    parts = key.split(".")
    node: Any = raw
    for depth, part in enumerate(parts[:-1]):
        where = ".".join(parts[: depth + 1])
        if isinstance(node, list):
            node = _list_item(node, part, where, source)
            continue
        child = node.get(part)
        if child is None:
            child = node[part] = {}
        if not isinstance(child, (dict, list)):
            raise ConfigError(f"{source}: '{where}' is a value, not a section")
        node = child
    if isinstance(node, list):
        index = _list_index(node, parts[-1], key, source)
        node[index] = value
    else:
        node[parts[-1]] = value


def _list_index(node: list[Any], part: str, where: str, source: str) -> int:
    if not part.isdigit() or int(part) >= len(node):
        raise ConfigError(f"{source}: '{where}' indexes a list of {len(node)} items; use 0..{len(node) - 1}")
    return int(part)


def _list_item(node: list[Any], part: str, where: str, source: str) -> Any:
    item = node[_list_index(node, part, where, source)]
    if not isinstance(item, dict):
        raise ConfigError(f"{source}: '{where}' is a value, not a section")
    return item


def _unknown_key_message(full_key: str, part: str, valid: list[str], source: str) -> str:
    close = difflib.get_close_matches(part, valid, n=1, cutoff=0.5)
    prefix = full_key.rsplit(".", 1)[0] + "." if "." in full_key else ""
    hint = f" Did you mean '{prefix}{close[0]}'?" if close else ""
    return f"{source}: unknown config key '{full_key}'.{hint} Valid keys here: {', '.join(valid)}."


def validate_config(raw: dict[str, Any], *, source: str, check_files: bool = True) -> RunConfig:
    """Validate a raw mapping; ``check_files=False`` skips checks of input files (a checkpoint's own config)."""
    if "data" not in raw:
        raise ConfigError(
            f"{source}: the recipe has no data section; add one naming a dataset, e.g. data: {{name: nfl-pregame}} "
            "(see `scrimmage list datasets`)."
        )
    try:
        return RunConfig.model_validate(raw, context={"check_files": check_files})
    except ValidationError as exc:
        raise ConfigError(format_validation_error(exc, raw, source)) from None
    except ConfigError as exc:
        raise ConfigError(f"{source}: {exc}") from None


def format_validation_error(exc: ValidationError, raw: dict[str, Any], source: str) -> str:
    lines = []
    for err in exc.errors():
        loc = list(err["loc"])
        key = ".".join(str(p) for p in loc)
        if err["type"] == "extra_forbidden":
            parent = _schema_at(loc[:-1], raw)
            valid = list(parent.model_fields) if parent else []
            lines.append(_unknown_key_message(key, str(loc[-1]), valid, source))
            continue
        if err["type"] == "value_error":
            where = f"config key '{key}'" if key else "config"
            lines.append(f"{source}: {where}: {err['msg'].removeprefix('Value error, ')}.")
            continue
        if err["type"] == "missing":
            lines.append(f"{source}: config key '{key}' is required ({_expected_type(loc, raw)}).")
            continue
        got = err.get("input")
        got_text = f"{got!r} ({type(got).__name__})" if not isinstance(got, dict) else "a mapping"
        lines.append(f"{source}: config key '{key}': {err['msg']}; expected {_expected_type(loc, raw)}, got {got_text}.")
    return "\n".join(lines)


def _schema_at(loc: list[Any], raw: Any) -> type[BaseModel] | None:
    """The schema that validates the mapping at ``loc`` (component sections resolve their name)."""
    model: Any = RunConfig
    node: Any = raw
    field_name: Any = None
    for part in loc:
        if isinstance(part, int):  # an item of a list: of plain sections (a callback's phases) or of components (callbacks, reports)
            node = node[part] if isinstance(node, list) and part < len(node) else {}
            args = typing.get_args(model) if typing.get_origin(model) is list else ()
            item = _section_model(args[0]) if args else None
            registry = LIST_SECTIONS.get(field_name)
            model = item if item is not None or registry is None else _component_schema(registry, node, None)
            continue
        field_name = part
        model = _section_model(model)
        if model is None or part not in model.model_fields:
            return None
        node = node.get(part, {}) if isinstance(node, dict) else {}
        if model is RunConfig and part in COMPONENT_SECTIONS:
            registry, default = COMPONENT_SECTIONS[part]
            model = _component_schema(registry, node, default)
        else:
            model = model.model_fields[part].annotation
    return _section_model(model)


def _section_model(annotation: Any) -> type[BaseModel] | None:
    """The schema behind an annotation: a model itself, or the one model of ``Model | None``."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    models = [a for a in typing.get_args(annotation) if isinstance(a, type) and issubclass(a, BaseModel)]
    return models[0] if len(models) == 1 and typing.get_origin(annotation) in (typing.Union, types.UnionType) else None


def _component_schema(registry: Any, node: Any, default: str | None) -> type[BaseModel] | None:
    name = node.get("name", default) if isinstance(node, dict) else default
    try:
        return registry.schema(name)
    except ConfigError:
        return None


def _expected_type(loc: list[Any], raw: Any) -> str:
    parent = _schema_at(loc[:-1], raw) if loc else None
    if parent is None or not loc or loc[-1] not in parent.model_fields:
        return "a valid value"
    field = parent.model_fields[loc[-1]]
    text = _type_name(field.annotation)
    if field.description:
        text += f" ({field.description.rstrip('.')})"
    return text


def _type_name(annotation: Any) -> str:
    """An annotation in plain words (``list[Annotated[int, Strict ...]]`` → ``a list of integers``)."""
    origin = typing.get_origin(annotation)
    args = typing.get_args(annotation)
    if origin is typing.Annotated:
        return _type_name(args[0])
    if origin is typing.Literal:
        return "one of " + ", ".join(repr(a) for a in args)
    if origin in (typing.Union, types.UnionType):
        words = [_type_name(a) for a in args if a is not type(None)]
        return " or ".join(words) + (" or null" if type(None) in args else "")
    if origin in (list, tuple, set, frozenset):
        inner = [_type_name(a) for a in args if a is not Ellipsis]
        return "a list" + (f" of {_plural(inner[0])}" if len(set(inner)) == 1 else f" of ({', '.join(inner)})" if inner else "")
    if origin is dict:
        return f"a mapping of {_type_name(args[1])}" if len(args) == 2 else "a mapping"
    if isinstance(annotation, type):
        return _PLAIN.get(annotation, annotation.__name__)
    return str(annotation).replace("typing.", "").replace("pathlib.", "")


_PLAIN = {int: "an integer", float: "a number", str: "text", bool: "true or false"}


def _plural(word: str) -> str:
    return {"an integer": "integers", "a number": "numbers", "text": "texts", "true or false": "true/false values"}.get(
        word, word)


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
