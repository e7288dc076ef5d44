"""Checkpoint format 3: one self-contained file per save point, written atomically.

Keys (top level)::

    format: 3, scrimmage_version
    config            the resolved run config (a model can be rebuilt from the file alone)
    task, task_state  the task's name and its saved state (tasks with state_dict; else {})
    spec              the input spec with its ``signature`` (tensor names, dtypes, ranks, dynamic axes)
    data_version      the dataset fingerprint the model was trained on
    model             the weights (scaler statistics live in the model's buffers)
    members           optional: {"names": [...], "meta": [{...}, ...]} for ensembles (stop epoch, best metric ...)
    callbacks         each callback's state by name
    history           every finished epoch's metrics
    rng               python, numpy and torch RNG states
    loop              the loop's own position ({"name": "supervised", ...}; owned by the loop)
    <stateful>        the loop's objects Fabric restores in place (the supervised loop's ``optimizer``)

Format 2 (written before the session/loop split) still loads: its loop keys (``schedule``,
``data_order``, ``running``, position ``loop``) are moved under ``loop`` as the supervised loop
owns them now. Anything else (no format, format 1, a newer format) fails by name; nothing is
half-loaded: every key is checked before any state is restored.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from scrimmage.errors import CheckpointError

CHECKPOINT_FORMAT = 3
SESSION_KEYS = ("format", "model", "config", "history", "callbacks", "rng", "loop")
"""What every resumable checkpoint holds, whatever its loop."""


def upgrade(state: dict[str, Any], path: Path | str) -> dict[str, Any]:
    """A loaded checkpoint dict in format 3 (format 2 converted in memory); other formats fail by name."""
    fmt = state.get("format")
    if fmt == CHECKPOINT_FORMAT:
        return state
    if fmt == 2:
        moved = {key: state.pop(key) for key in ("schedule", "data_order", "running") if key in state}
        position = state.get("loop")
        state["loop"] = {"name": "supervised", "position": position, **moved}
        state.setdefault("task_state", {})
        state.setdefault("members", None)
        state["format"] = CHECKPOINT_FORMAT
        return state
    if isinstance(fmt, int) and fmt > CHECKPOINT_FORMAT:
        raise CheckpointError(f"{path} is checkpoint format {fmt}, newer than this scrimmage reads ({CHECKPOINT_FORMAT}); "
                              "upgrade scrimmage to load it.")
    raise CheckpointError(f"{path} is checkpoint format {fmt!r}; this scrimmage reads formats 2 and {CHECKPOINT_FORMAT}. "
                          "Retrain the model with this version.")


def check_resumable(state: dict[str, Any], loop_name: str, required: tuple[str, ...], path: Path | str) -> None:
    """Every key a resume restores is present and the checkpoint is this loop's, before anything is restored."""
    missing = [key for key in (*SESSION_KEYS, *required) if key not in state]
    if missing:
        raise CheckpointError(f"checkpoint {path} lacks {missing}; it is damaged or not a scrimmage checkpoint. "
                              "Resume from another checkpoint of the run, or start a new run.")
    saved_loop = state["loop"].get("name") if isinstance(state["loop"], dict) else None
    if saved_loop != loop_name:
        raise CheckpointError(f"checkpoint {path} was written by loop '{saved_loop}', but the config trains with loop "
                              f"'{loop_name}'; resume with the run's own config, or start a new run.")
    members = state.get("members")
    if members is not None and not (isinstance(members, dict) and len(members.get("names", [])) == len(members.get("meta", []))):
        raise CheckpointError(f"checkpoint {path} has a damaged members entry (names and meta must pair up).")


def input_signature(batch: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Tensor name → dtype, rank and dynamic axes of one batch (axis 0 is the batch; a time axis of a
    sequence input, axis 1 of a rank-3 tensor or of a 2-D ``mask``, may vary too): what export and
    serving need to build example inputs and request schemas."""
    signature = {}
    for name, tensor in batch.items():
        rank = int(tensor.dim())
        dynamic = [0] + ([1] if rank >= 3 or (name == "mask" and rank == 2) else [])
        signature[name] = {"dtype": str(tensor.dtype).removeprefix("torch."), "rank": rank,
                           "shape": [None if axis in dynamic else int(size) for axis, size in enumerate(tensor.shape)],
                           "dynamic_axes": dynamic}
    return signature
