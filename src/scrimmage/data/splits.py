"""Splits: what the loop, the tasks and the reports may ask of a dataset split, without materialising it.

The loop only uses ``len(split)``, ``split.take(index)``, ``split.to(device)`` and
``split.batches(batch_size)``. Tasks and reports also need the targets, per-feature statistics
and a fitted scaling, which a split computes over its *underlying* arrays, so a split whose
examples are views of shared rows (overlapping windows) never has to be expanded:

============================================  ====================================================
``len(split)``                                number of examples ``N``
``split.keys()``                              the names ``take`` returns (``x``, ``cat``, ``y``, ``mask`` ...)
``split.shape(key)``                          the shape of ``key`` over all examples, ``(N, ...)``; no gather
``split.take(index) -> dict[str, Tensor]``    one batch: ``index`` is a LongTensor of example ids or a slice
``split.batches(batch_size)``                 sequential batches (evaluation)
``split.to(device) -> Split``                 the split on ``device`` (moved once, not per batch)
``split.column(key="y") -> Tensor``           ``key`` for every example, ``[N, ...]`` (targets, masks ...);
                                              a windowed key is gathered, i.e. materialised
``split.feature_stats(key="x", mask=None)``   per-feature ``(mean, std)`` over the underlying rows of
                                              ``key`` (real steps only where the key ``mask`` is false)
``split.standardized(key, mean, std)``        a new split whose ``key`` reads ``(v - mean) / std`` (see below);
                                              the original split is unchanged
============================================  ====================================================

Two implementations:

* :class:`TensorSplit`: tensors sharing their first dimension, in memory (``x [N, F]`` or
  ``[N, T, F]``); ``take`` is ``{k: v[index]}``, the hot path of small models.
* :class:`WindowSplit`: windows of ``length`` consecutive rows of base arrays ``[R, ...]`` (several
  groups, e.g. assets or games, concatenated with ``offsets``), given by their first row
  ``start [N]``; ``take`` gathers ``base[start[idx, None] + arange(length)]`` (``x [B, T, F]``) at
  batch time, plus per-window tensors (``y``, ...) indexed normally. 4M windows of 24 steps x 23
  features would be 8.8 GB materialised; the base rows are 370 MB. Statistics count every base
  row that some window covers once (not once per window covering it), and scaling rewrites the
  base arrays, so a training split is standardised once without expanding a window.

Errors in construction (mismatched lengths, windows past the end or across a group boundary)
are :class:`~scrimmage.errors.DataError` with what to fix.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

import torch
from torch import Tensor

from scrimmage.errors import DataError

EPS = 1e-6
"""Smallest standard deviation a feature is scaled by (constant features stay finite)."""


@runtime_checkable
class Split(Protocol):
    """One split of a dataset; see the module docstring for what each method means."""

    def __len__(self) -> int: ...

    def keys(self) -> tuple[str, ...]: ...

    def shape(self, key: str) -> tuple[int, ...]: ...

    def take(self, index: Tensor | slice) -> dict[str, Tensor]: ...

    def batches(self, batch_size: int) -> Iterator[dict[str, Tensor]]: ...

    def to(self, device: torch.device | str) -> Split: ...

    def column(self, key: str = "y") -> Tensor: ...

    def feature_stats(self, key: str = "x", mask: str | None = None) -> tuple[Tensor, Tensor]: ...

    def standardized(self, key: str, mean: Tensor, std: Tensor) -> Split: ...


def row_stats(rows: Tensor) -> tuple[Tensor, Tensor]:
    """Per-feature mean and std of ``[M, F]`` rows; zeros and ones under two rows.

    A feature (nearly) constant in these rows (std below :data:`EPS`, e.g. the season number when one season
    trains) is scaled by 1, not by its tiny std: it is 0 on every training row either way, but a value it takes
    later (the next season) stays a small number instead of being multiplied by a million."""
    rows = rows.float()
    if rows.shape[0] < 2:
        return torch.zeros(rows.shape[-1], device=rows.device), torch.ones(rows.shape[-1], device=rows.device)
    std = rows.std(0)
    return rows.mean(0), torch.where(std < EPS, torch.ones_like(std), std)


def tensor_stats(x: Tensor, mask: Tensor | None = None) -> tuple[Tensor, Tensor]:
    """Per-feature mean and std over rows (and the time steps of ``[N, T, F]`` sequences where ``mask`` is true)."""
    x = x.float()
    if x.dim() > 2:
        rows = x.reshape(-1, x.shape[-1])
        if mask is not None:
            rows = rows[mask.reshape(-1).bool()]
        x = rows
    return row_stats(x)


def scaled(values: Tensor, mean: Tensor, std: Tensor) -> Tensor:
    """``(values - mean) / std`` in one new tensor (the division in place: one allocation, same values)."""
    return torch.sub(values.float(), mean).div_(std)


_CHUNK = 1 << 20
"""Windows checked at a time: the temporaries of a check stay small beside the base arrays."""


def _first_crossing(start: Tensor, length: int, offsets: Tensor) -> tuple[int, int] | None:
    """(window, group) of the first window that runs past the end of its group, if any."""
    if len(offsets) <= 2:  # one group: the bounds check said it all
        return None
    for low in range(0, len(start), _CHUNK):
        chunk = start[low : low + _CHUNK]
        group = torch.searchsorted(offsets, chunk, right=True).sub_(1)
        bad = (chunk + length) > offsets[group + 1]
        if bool(bad.any()):
            i = int(bad.nonzero()[0, 0])
            return low + i, int(group[i])
    return None


def _batches(split: Split, batch_size: int) -> Iterator[dict[str, Tensor]]:
    for start in range(0, len(split), batch_size):
        yield split.take(slice(start, start + batch_size))


def _missing(split: Split, key: str) -> DataError:
    return DataError(f"the split has no '{key}'; it holds {list(split.keys())}")


@dataclass
class TensorSplit:
    """One split in memory: tensors sharing their first dimension (e.g. ``x``, ``cat``, ``y``)."""

    tensors: dict[str, Tensor]

    def __post_init__(self) -> None:
        sizes = {name: int(t.shape[0]) for name, t in self.tensors.items()}
        if len(set(sizes.values())) > 1:
            raise DataError(f"tensors in a split must share their first dimension, got {sizes}")

    def __len__(self) -> int:
        return int(next(iter(self.tensors.values())).shape[0]) if self.tensors else 0

    def keys(self) -> tuple[str, ...]:
        return tuple(self.tensors)

    def shape(self, key: str) -> tuple[int, ...]:
        return tuple(self._get(key).shape)

    def to(self, device: torch.device | str) -> TensorSplit:
        return TensorSplit({k: v.to(device) for k, v in self.tensors.items()})

    def take(self, index: Tensor | slice) -> dict[str, Tensor]:
        return {k: v[index] for k, v in self.tensors.items()}

    def batches(self, batch_size: int) -> Iterator[dict[str, Tensor]]:
        """Sequential batches (evaluation)."""
        return _batches(self, batch_size)

    def column(self, key: str = "y") -> Tensor:
        return self._get(key)

    def feature_stats(self, key: str = "x", mask: str | None = None) -> tuple[Tensor, Tensor]:
        return tensor_stats(self._get(key), self._get(mask) if mask is not None else None)

    def standardized(self, key: str, mean: Tensor, std: Tensor) -> TensorSplit:
        return TensorSplit({**self.tensors, key: scaled(self._get(key), mean, std)})

    def _get(self, key: str) -> Tensor:
        try:
            return self.tensors[key]
        except KeyError:
            raise _missing(self, key) from None


class WindowSplit:
    """Windows of ``length`` consecutive base rows, gathered at batch time (see the module docstring).

    ``base``: arrays ``[R, ...]`` sharing their rows (``x [R, F]``, optionally per-step ``cat`` or
    ``mask``); ``start [N]``: each window's first row; ``per_window``: tensors ``[N, ...]`` (``y``
    ...). ``offsets``: where each group's rows begin, with ``R`` last (``[0, R]`` = one group), so a
    window crossing from one group (asset, game) into the next is an error. :meth:`from_groups`
    builds one from per-group arrays and starts counted within each group.
    """

    def __init__(
        self,
        base: Mapping[str, Tensor],
        start: Tensor,
        length: int,
        per_window: Mapping[str, Tensor] | None = None,
        offsets: Sequence[int] | Tensor | None = None,
    ):
        base, per_window = dict(base), dict(per_window or {})
        if not base:
            raise DataError("a WindowSplit needs at least one base array (e.g. x [rows, features])")
        length = int(length)
        if length < 1:
            raise DataError(f"the window length must be >= 1, got {length}")
        rows = {name: int(t.shape[0]) for name, t in base.items()}
        if len(set(rows.values())) > 1:
            raise DataError(f"the base arrays of a WindowSplit must share their rows, got {rows}")
        n_rows = next(iter(rows.values()))
        start = torch.as_tensor(start)
        if start.dim() != 1 or start.dtype.is_floating_point or start.dtype == torch.bool:
            raise DataError(f"window starts must be a 1-D integer tensor, got {start.dtype} of shape {list(start.shape)}")
        start = start.long()
        sizes = {name: int(t.shape[0]) for name, t in per_window.items() if int(t.shape[0]) != len(start)}
        if sizes:
            raise DataError(f"per-window tensors must have one row per window ({len(start)} starts), got {sizes}")
        both = sorted(set(base) & set(per_window))
        if both:
            raise DataError(f"{both} named both as base arrays and as per-window tensors; keep one of each name")
        offsets_t = torch.tensor([0, n_rows]) if offsets is None else torch.as_tensor(offsets).long()
        if offsets_t.dim() != 1 or len(offsets_t) < 2 or int(offsets_t[0]) != 0 or int(offsets_t[-1]) != n_rows \
                or bool((offsets_t[1:] < offsets_t[:-1]).any()):
            raise DataError(f"offsets must rise from 0 to the number of base rows ({n_rows}), got {offsets_t.tolist()}")
        if len(start):
            low, high = int(start.min()), int(start.max())
            if low < 0 or high + length > n_rows:
                bad = low if low < 0 else high
                raise DataError(f"window start {bad} with length {length} reaches past the base rows "
                                f"(0..{n_rows - 1}); starts must lie in 0..{n_rows - length}")
            crossing = _first_crossing(start, length, offsets_t)
            if crossing is not None:
                i, g = crossing
                rows_in_group = int(offsets_t[g + 1] - offsets_t[g])
                why = (f"group {g} has {rows_in_group} rows, fewer than the window length {length}"
                       if rows_in_group < length else f"its group {g} ends at row {int(offsets_t[g + 1]) - 1}")
                raise DataError(f"window {i} (start {int(start[i])}, length {length}) runs past the end of its group: "
                                f"{why}; place windows inside one group each")
        self._init(base, start, length, per_window, offsets_t)

    def _init(self, base: dict[str, Tensor], start: Tensor, length: int, per_window: dict[str, Tensor],
              offsets: Tensor, scales: dict[str, tuple[Tensor, Tensor]] | None = None) -> None:
        self.base, self.start, self.length, self.per_window, self.offsets = base, start, length, per_window, offsets
        self.scales = scales or {}
        """Base key → (mean, std) applied to its gathered rows (see the module docstring)."""
        self._steps = torch.arange(length, device=start.device)

    def _replace(self, base: dict[str, Tensor] | None = None, start: Tensor | None = None,
                 per_window: dict[str, Tensor] | None = None,
                 scales: dict[str, tuple[Tensor, Tensor]] | None = None) -> WindowSplit:
        """A copy with some parts replaced (already validated: no checks rerun)."""
        out = WindowSplit.__new__(WindowSplit)
        out._init(self.base if base is None else base, self.start if start is None else start, self.length,
                  self.per_window if per_window is None else per_window, self.offsets,
                  self.scales if scales is None else scales)
        return out

    def _gather(self, key: str, rows: Tensor) -> Tensor:
        values = self.base[key][rows]
        if key in self.scales:
            mean, std = self.scales[key]
            values = torch.sub(values.float(), mean).div_(std)  # what scaled() would have stored, row by row
        return values

    @classmethod
    def from_groups(
        cls,
        groups: Sequence[Mapping[str, Tensor]],
        starts: Sequence[Tensor],
        length: int,
        per_window: Mapping[str, Tensor] | None = None,
    ) -> WindowSplit:
        """Concatenate each group's base arrays; ``starts[g]`` counts rows within group ``g``; ``per_window``
        follows the windows in group order."""
        if len(groups) != len(starts):
            raise DataError(f"one tensor of window starts per group: {len(groups)} groups, {len(starts)} starts")
        if not groups:
            raise DataError("a WindowSplit needs at least one group")
        sizes = []
        for g, group in enumerate(groups):
            rows = {name: int(t.shape[0]) for name, t in group.items()}
            if len(set(rows.values())) > 1:
                raise DataError(f"group {g}'s arrays must share their rows, got {rows}")
            sizes.append(next(iter(rows.values()), 0))
            if len(starts[g]) and sizes[g] < length:
                raise DataError(f"group {g} has {sizes[g]} rows, fewer than the window length {length}; "
                                "drop the group or shorten the window")
        names = set(groups[0])
        if any(set(group) != names for group in groups):
            raise DataError(f"every group needs the same arrays, got {[sorted(group) for group in groups]}")
        offsets = torch.tensor([0, *sizes]).cumsum(0)
        base = {name: torch.cat([group[name] for group in groups]) for name in groups[0]}
        start = torch.cat([torch.as_tensor(s).long() + offsets[g] for g, s in enumerate(starts)])
        return cls(base, start, length, per_window, offsets)

    # ---- what the loop uses -------------------------------------------------------------
    def __len__(self) -> int:
        return int(self.start.shape[0])

    def take(self, index: Tensor | slice) -> dict[str, Tensor]:
        rows = self.start[index].unsqueeze(1) + self._steps  # [B, T] base rows
        out = {k: self._gather(k, rows) for k in self.base}
        out.update({k: v[index] for k, v in self.per_window.items()})
        return out

    def batches(self, batch_size: int) -> Iterator[dict[str, Tensor]]:
        """Sequential batches (evaluation)."""
        return _batches(self, batch_size)

    def to(self, device: torch.device | str) -> WindowSplit:
        return self._replace({k: v.to(device) for k, v in self.base.items()}, self.start.to(device),
                             {k: v.to(device) for k, v in self.per_window.items()},
                             {k: (m.to(device), s.to(device)) for k, (m, s) in self.scales.items()})

    # ---- what tasks and reports use -----------------------------------------------------
    def keys(self) -> tuple[str, ...]:
        return (*self.base, *self.per_window)

    def shape(self, key: str) -> tuple[int, ...]:
        if key in self.base:
            return (len(self), self.length, *self.base[key].shape[1:])
        return tuple(self._per_window(key).shape)

    def column(self, key: str = "y") -> Tensor:
        if key in self.base:
            return self._gather(key, self.start.unsqueeze(1) + self._steps)
        return self._per_window(key)

    def covered(self) -> Tensor:
        """``[R]`` bool: base rows inside at least one window (what statistics are computed over)."""
        n_rows = int(next(iter(self.base.values())).shape[0])
        n, device = len(self.start), self.start.device
        delta = torch.zeros(n_rows + 1, dtype=torch.int32, device=device)  # +1 where a window begins, -1 past its end
        delta.index_add_(0, self.start, torch.ones(1, dtype=torch.int32, device=device).expand(n))
        delta[self.length :].index_add_(0, self.start, torch.full((1,), -1, dtype=torch.int32, device=device).expand(n))
        return delta.cumsum_(0)[:-1] > 0

    def feature_stats(self, key: str = "x", mask: str | None = None) -> tuple[Tensor, Tensor]:
        """Over the covered base rows of ``key``, each counted once (real rows only where the base array
        ``mask`` is false); a per-window key is summarised as a :class:`TensorSplit` would."""
        if key not in self.base:
            values = self._per_window(key)
            if values.dim() <= 2 or mask is None:  # no time axis: a mask does not apply
                return tensor_stats(values)
            if mask in self.base:
                raise DataError(f"'{key}' is per window but its mask '{mask}' is a base array; make both per window "
                                "or both base arrays")
            return tensor_stats(values, self._per_window(mask))
        if mask is not None and mask not in self.base:
            if mask in self.per_window:
                raise DataError(f"mask '{mask}' of a windowed '{key}' must be a base array (one flag per row), "
                                "not per window")
            raise _missing(self, mask)
        if key in self.scales:
            raise DataError(f"'{key}' of this split is already standardised; take statistics from the split before "
                            "standardized()")
        values = self.base[key]
        real = self.covered()
        if mask is not None:
            real &= self.base[mask].bool().reshape(-1)
        if values.dim() > 2:
            values = values.reshape(values.shape[0], -1)
        return row_stats(values if bool(real.all()) else values[real])

    def standardized(self, key: str, mean: Tensor, std: Tensor) -> WindowSplit:
        """``key`` read as ``(v - mean) / std``: a base array at gather time, a per-window tensor scaled once.
        The original split is unchanged."""
        if key in self.base:
            if key in self.scales:
                raise DataError(f"'{key}' of this split is already standardised; standardise the original split")
            return self._replace(scales={**self.scales, key: (mean.to(self.start.device), std.to(self.start.device))})
        return self._replace(per_window={**self.per_window, key: scaled(self._per_window(key), mean, std)})

    def _per_window(self, key: str) -> Tensor:
        try:
            return self.per_window[key]
        except KeyError:
            raise _missing(self, key) from None

    def __repr__(self) -> str:
        base = {k: list(v.shape) for k, v in self.base.items()}
        per_window = {k: list(v.shape) for k, v in self.per_window.items()}
        return (f"WindowSplit({len(self)} windows of {self.length} rows; base {base}, per window {per_window}, "
                f"{len(self.offsets) - 1} group(s))")


__all__ = ["EPS", "Split", "TensorSplit", "WindowSplit", "row_stats", "scaled", "tensor_stats"]
