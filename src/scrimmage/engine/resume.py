"""Find what to resume from (a run id or a ``.ckpt`` path) and check it fits the config."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from scrimmage.config.loader import flatten
from scrimmage.errors import ArgumentError, CheckpointError
from scrimmage.paths import runs_dir

# Keys that may change between the interrupted run and its resumption.
RESUMABLE_CHANGES = ("trainer.epochs", "checkpoint.", "tracking.", "trainer.threads", "trainer.session_budget", "reports")
# Sections whose component (its name) defines the training itself: a resume never swaps one.
COMPONENT_SECTIONS = ("data", "task", "model", "loss", "optim", "scheduler", "loop")
# Callback options that may change too (keyed by callback name): extending patience is fine.
RESUMABLE_CALLBACK_OPTIONS = ("patience",)


def resolve_checkpoint(target: str, workdir: Path) -> Path:
    """``target`` is a ``.ckpt`` file, a run id (folder under runs/) or an MLflow run id."""
    if not str(target).strip():
        raise ArgumentError("--resume needs a run id (see `scrimmage runs`) or a .ckpt path; it was empty.")
    if target.endswith(".ckpt"):
        path = Path(target).expanduser()
        if not path.is_file():
            raise CheckpointError(f"checkpoint not found: {path}. Pass an existing .ckpt file or a run id.")
        return path.resolve()
    root = runs_dir(workdir)
    candidates = [root / target] if (root / target).is_dir() else []
    if not candidates and root.is_dir():
        for meta in root.glob("*/run.json"):
            try:
                if json.loads(meta.read_text()).get("mlflow_run_id") == target:
                    candidates.append(meta.parent)
            except (OSError, ValueError):
                continue  # a damaged run folder is not the one asked for
    if not candidates:
        recent = sorted((p.name for p in root.glob("*") if p.is_dir()), reverse=True)[:5] if root.is_dir() else []
        hint = f" Recent runs: {', '.join(recent)}." if recent else f" No runs under {root}."
        raise CheckpointError(f"no run '{target}' in workdir {root.parent}.{hint}")
    last = candidates[0] / "checkpoints" / "last.ckpt"
    if not last.is_file():
        raise CheckpointError(f"run '{target}' has no last.ckpt to resume from ({last}).")
    return last


def resume_config(target: str, workdir: Path, overrides: list[str]) -> tuple[Any, str | None]:
    """The config a run was started with (from its checkpoint), with ``overrides`` on top: what
    ``train --resume RUN_ID`` uses when no recipe is given. Returns (config, the run's recipe)."""
    import copy

    from scrimmage.config.loader import parse_override, set_dotted, validate_config

    checkpoint = resolve_checkpoint(target, workdir)
    raw = read_checkpoint_config(checkpoint)
    validate_config(copy.deepcopy(raw), source=f"the config of {checkpoint}", check_files=False)  # the run's own
    for item in overrides:
        key, value = parse_override(item)
        section = key.split(".")[0]
        if section in COMPONENT_SECTIONS and key in (section, f"{section}.name"):
            old = (raw.get(section) or {}).get("name") if isinstance(raw.get(section), dict) else raw.get(section)
            new = value.get("name") if isinstance(value, dict) else value
            if new != old:
                raise CheckpointError(component_change_message(section, old, new, flag=f"-o {item}"))
        set_dotted(raw, key, value, source=f"override '{item}'")
    # the checkpoint's config is valid (above): what fails now is what the user typed, so name the flags
    typed = " ".join(f"-o {item}" for item in overrides)
    config = validate_config(raw, source=f"{typed} (on the config of run {checkpoint.parent.parent.name})" if overrides
                             else f"the config of {checkpoint}")
    recipe = None
    meta = checkpoint.parent.parent / "run.json"
    if meta.is_file():
        try:
            recipe = json.loads(meta.read_text()).get("recipe")
        except (OSError, ValueError):
            recipe = None
    return config, recipe


def read_checkpoint_config(path: Path) -> dict[str, Any]:
    return read_checkpoint(path)["config"]


def read_checkpoint(path: Path) -> dict[str, Any]:
    """The whole checkpoint dict (on the CPU), or a clear error for a damaged or foreign file."""
    import torch

    try:
        state = torch.load(path, map_location="cpu", weights_only=False)
    except Exception as exc:  # torch raises many types for a damaged file
        raise CheckpointError(f"cannot read checkpoint {path}: {str(exc).splitlines()[0] if str(exc) else type(exc).__name__}. "
                              "It is damaged or partial; resume from another checkpoint of the run (best.ckpt, epoch=*.ckpt).") from None
    if not isinstance(state, dict) or not isinstance(state.get("config"), dict):
        raise CheckpointError(f"{path} is not a scrimmage checkpoint (no config inside).")
    return state


def _callbacks_by_name(config: dict[str, Any]) -> dict[str, Any]:
    """Callbacks keyed by name, minus the options a resume may change (lists would compare by position)."""
    return {
        f"callbacks.{item.get('name')}.{key}": value
        for item in config.get("callbacks") or [] for key, value in item.items()
        if key not in RESUMABLE_CALLBACK_OPTIONS
    }


def changed_keys(saved: dict[str, Any], current: dict[str, Any]) -> list[str]:
    """Flattened keys whose values differ between two configs."""
    old, new = flatten(saved), flatten(current)
    return sorted(key for key in set(old) | set(new) if old.get(key) != new.get(key))


def component_change_message(section: str, old: Any, new: Any, flag: str | None = None) -> str:
    asked = f"{flag} asks for" if flag else "the config asks for"
    label = lambda name: "the task's default" if name is None else f"'{name}'"  # noqa: E731
    return (f"{section} cannot change on resume: the run trains with {section} {label(old)} and {asked} {label(new)}. A resume "
            f"continues the same training; for another {section}, start a new run (scrimmage train RECIPE "
            f"-o {section}.name={new}).")


def _comparable(config: dict[str, Any]) -> dict[str, Any]:
    return flatten({k: v for k, v in config.items() if k != "callbacks"}) | _callbacks_by_name(config)


def incompatible_keys(saved: dict[str, Any], current: dict[str, Any]) -> list[str]:
    """Flattened keys (callbacks by name) that differ and that a resume may not change."""
    old, new = _comparable(saved), _comparable(current)
    return sorted(key for key in set(old) | set(new)
                  if old.get(key) != new.get(key) and not key.startswith(RESUMABLE_CHANGES))


def check_compatible(saved: dict[str, Any], current: dict[str, Any]) -> None:
    for section in COMPONENT_SECTIONS:
        old_name, new_name = ((config.get(section) or {}).get("name") for config in (saved, current))
        if old_name != new_name:
            raise CheckpointError(component_change_message(section, old_name, new_name))
    changed = incompatible_keys(saved, current)
    if changed:
        old, new = _comparable(saved), _comparable(current)
        details = "; ".join(f"{k}: {old.get(k)!r} → {new.get(k)!r}" for k in changed[:8])
        raise CheckpointError(
            f"the config differs from the checkpoint's in keys that change training ({details}). "
            "Resume with the same recipe and overrides, or start a new run."
        )
