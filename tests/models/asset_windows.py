"""A synthetic binary window dataset shaped like the market contract (tests and benchmarks only).

``synthetic-asset-windows`` builds :class:`~scrimmage.data.splits.WindowSplit` splits: base rows
``x [R, F]`` of several assets, windows of ``length`` rows, the asset id per window ``cat [N, 1]``
and a rare positive label ``y [N]`` (the top ``positive_rate`` of a score read from the window's
last steps), with ``InputSpec.window`` set: what ``market-windows`` gives, without the markets.
"""

from __future__ import annotations

from typing import Literal

import torch
from pydantic import Field

from scrimmage.config.registry import DATASETS, Component
from scrimmage.data.datamodule import DataBundle, InputSpec
from scrimmage.data.splits import WindowSplit
from tests.data.windows import window_split

CLASSES = ("no", "yes")


def asset_window_split(windows: int, length: int, features: int, assets: int, seed: int,
                       positive_rate: float = 0.2) -> WindowSplit:
    """``windows`` windows over ``assets`` assets with per-window asset ids and a rare positive class."""
    rows = window_split(windows, length, features, assets, 1, 0, seed)
    x, start = rows.base["x"], rows.start
    last = start + (length - 1)
    asset = rows.base["cat"][start]  # [N, 1]: the asset of each window
    score = x[last, 0] - x[last - min(2, length - 1), 1] + 0.5 * asset[:, 0].float()
    y = (score > torch.quantile(score, 1 - positive_rate)).long()
    return WindowSplit({"x": x}, start, length, {"cat": asset, "y": y}, rows.offsets)


@DATASETS.register
class SyntheticAssetWindows(Component):
    """Binary labels on windows over synthetic assets, the asset id per window (tests only)."""

    name: Literal["synthetic-asset-windows"] = "synthetic-asset-windows"
    windows: int = Field(600, description="Training windows.")
    eval_windows: int = Field(300, description="Validation and test windows each.")
    length: int = Field(6, description="Rows per window.")
    features: int = Field(4, description="Features per row.")
    assets: int = Field(3, description="Assets (groups of rows).")
    positive_rate: float = Field(0.2, description="Share of positive windows in each split.")

    def build(self, workdir) -> DataBundle:
        sizes = (("train", self.windows, 1), ("val", self.eval_windows, 2), ("test", self.eval_windows, 3))
        splits = {name: asset_window_split(n, self.length, self.features, self.assets, seed, self.positive_rate)
                  for name, n, seed in sizes}
        spec = InputSpec(self.features, ("opportunity",), {"asset": (self.assets, 1)},
                         feature_names=tuple(f"f{i}" for i in range(self.features)), class_names=CLASSES,
                         vocabularies={"asset": tuple(f"A{i}" for i in range(self.assets))}, window=self.length)
        return DataBundle(splits, spec, {"dataset_version": "synthetic-asset-windows-v1"})

    def class_names(self) -> tuple[str, ...]:
        return CLASSES

    def targets(self) -> tuple[str, ...]:
        return ("opportunity",)
