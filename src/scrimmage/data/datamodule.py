"""Fast in-memory batching: a split holds tensors (or base arrays it gathers from); a batch is an index slice.

Small tabular/sequence models are bound by per-step overhead, so we never collate samples in
Python: every split is moved to the device once, and each batch is ``split.take(idx)`` (``tensor[idx]``
for a :class:`TensorSplit`, a gather of windows for a :class:`WindowSplit`; see :mod:`scrimmage.data.splits`)
for an index slice of a per-epoch permutation. The permutation is a pure function of ``(seed, epoch)``, so the
data-order state is just ``(epoch, batch position)`` and resuming mid-epoch replays the exact order.
(torch's DataLoader would collate per sample and keep its order state inside worker iterators.)
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import torch
from torch import Tensor

from scrimmage.data.splits import Split, TensorSplit, WindowSplit


@dataclass(frozen=True)
class InputSpec:
    """What a model and a task need to know about the inputs and outputs; saved in every checkpoint.

    ``x`` is ``[N, n_features]`` (or ``[N, T, n_features]`` for sequences); ``cat`` holds long ids
    for the embedding groups in ``categorical``; ``y`` holds the targets (``target_names``) or,
    for classification, class indices into ``class_names``.
    """

    n_features: int
    target_names: tuple[str, ...]
    categorical: dict[str, tuple[int, int]] = field(default_factory=dict)
    """Embedding groups: name → (cardinality, number of ``cat`` columns using it), in column order."""
    feature_names: tuple[str, ...] = ()
    class_names: tuple[str, ...] = ()
    vocabularies: dict[str, tuple[str, ...]] = field(default_factory=dict)
    """Embedding group → the label of each id (team codes ...), so a checkpoint can encode new rows."""
    window: int = 0
    """Time steps per example for windowed inputs (``x`` is ``[N, window, n_features]``); 0 = no time axis."""

    def to_dict(self) -> dict[str, Any]:
        return {
            "n_features": self.n_features, "target_names": list(self.target_names),
            "categorical": {k: list(v) for k, v in self.categorical.items()},
            "feature_names": list(self.feature_names), "class_names": list(self.class_names),
            "vocabularies": {k: list(v) for k, v in self.vocabularies.items()},
            "window": self.window,
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> InputSpec:
        return cls(
            int(d["n_features"]), tuple(d["target_names"]),
            {k: (int(v[0]), int(v[1])) for k, v in d.get("categorical", {}).items()},
            tuple(d.get("feature_names", ())), tuple(d.get("class_names", ())),
            {k: tuple(v) for k, v in d.get("vocabularies", {}).items()},
            int(d.get("window", 0)),  # checkpoints before the field have no time axis
        )


@dataclass
class DataBundle:
    """A built dataset: splits, the input spec and dataset facts for tracking and reports."""

    splits: dict[str, Split]
    """``train``, ``val`` and ``test`` (any :class:`~scrimmage.data.splits.Split`: in memory or windowed)."""
    spec: InputSpec
    info: dict[str, Any] = field(default_factory=dict)
    frames: dict[str, Any] = field(default_factory=dict)
    """Optional per-split tables (e.g. pandas frames) aligned with the split rows, for reports."""
    id_columns: tuple[str, ...] = ()
    """Columns of ``frames[split]`` that identify an example in the saved per-example predictions."""

    @property
    def version(self) -> str:
        return str(self.info.get("dataset_version", "unknown"))


class EpochOrder:
    """Shuffled batch order with a resumable position, sharded over ``world_size`` processes.

    ``state_dict()`` is ``{"seed", "epoch", "position"}``: the permutation for an epoch is
    ``randperm(n, seed + epoch)`` and ``position`` counts batches already served. With several
    processes (DDP) every rank draws the same permutation, cycled to a multiple of
    ``batch_size * world_size`` so all ranks take the same number of steps (like
    DistributedSampler), and rank ``r`` takes every ``world_size``-th batch starting at ``r``.
    """

    def __init__(
        self, n: int, batch_size: int, seed: int, shuffle: bool = True, drop_last: bool = False,
        rank: int = 0, world_size: int = 1,
    ):
        self.n, self.batch_size, self.seed = n, batch_size, seed
        self.shuffle, self.drop_last = shuffle, drop_last
        self.rank, self.world_size = rank, world_size
        self.epoch = 0
        self.position = 0

    def __len__(self) -> int:
        full, rest = divmod(self.n, self.batch_size * self.world_size)
        return full if (self.drop_last or rest == 0) else full + 1

    def permutation(self, epoch: int) -> Tensor:
        if not self.shuffle:
            return torch.arange(self.n)
        generator = torch.Generator().manual_seed(self.seed * 1_000_003 + epoch)
        return torch.randperm(self.n, generator=generator)

    def start_epoch(self, epoch: int) -> None:
        """Begin ``epoch`` unless we are resuming inside it."""
        if epoch != self.epoch:
            self.epoch, self.position = epoch, 0

    def __iter__(self) -> Iterator[Tensor]:
        perm = self.permutation(self.epoch)
        if self.world_size > 1:
            perm = perm[torch.arange(len(self) * self.batch_size * self.world_size) % self.n]
        for index in range(self.position, len(self)):
            self.position = index + 1
            start = (index * self.world_size + self.rank) * self.batch_size
            yield perm[start : start + self.batch_size]

    def state_dict(self) -> dict[str, int]:
        return {"seed": self.seed, "epoch": self.epoch, "position": self.position}

    def load_state_dict(self, state: dict[str, int]) -> None:
        if state["seed"] != self.seed:
            raise ValueError(f"data order seed mismatch: checkpoint {state['seed']} vs config {self.seed}")
        self.epoch, self.position = int(state["epoch"]), int(state["position"])


__all__ = ["DataBundle", "EpochOrder", "InputSpec", "Split", "TensorSplit", "WindowSplit"]
