"""Test-only components for campaign tests, importable from any process.

Workers' task processes import this module through ``SCRIMMAGE_CAMPAIGN_IMPORTS=tests.campaign.plugin``
(the child's hook for components no installed plugin registers); the CLI processes tests start
import it through :mod:`tests.campaign.cli`. ``campaign-pace`` makes each epoch last a fixed time so
a test can kill a worker mid-task at a known point without training anything big.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Literal

from pydantic import Field

from scrimmage.config.registry import CALLBACKS, DATASETS, Component
from scrimmage.engine.events import Callback

if TYPE_CHECKING:
    from scrimmage.data.datamodule import DataBundle, TensorSplit


def _split(n: int, seed: int) -> TensorSplit:
    import torch  # here, not at import: worker processes import this module and need no torch themselves

    from scrimmage.data.datamodule import TensorSplit

    g = torch.Generator().manual_seed(seed)
    x = torch.randn(n, 4, generator=g)
    y = (x[:, 0] - 0.5 * x[:, 1] + 0.3 * torch.randn(n, generator=g)).unsqueeze(1)
    return TensorSplit({"x": x, "y": y})


@DATASETS.register
class CampaignToy(Component):
    """A fixed noisy linear regression problem (tests only)."""

    name: Literal["campaign-toy"] = "campaign-toy"
    rows: int = Field(256, description="Training rows.")

    def targets(self) -> tuple[str, ...]:
        return ("y",)

    def build(self, workdir) -> DataBundle:
        from scrimmage.data.datamodule import DataBundle, InputSpec

        splits = {"train": _split(self.rows, 1), "val": _split(128, 2), "test": _split(128, 3)}
        spec = InputSpec(4, ("y",), {}, feature_names=("a", "b", "c", "d"))
        return DataBundle(splits, spec, {"dataset_version": "campaign-toy-v1"})


class Pace(Callback):
    name = "campaign_pace"

    def __init__(self, seconds: float):
        self.seconds = seconds

    def on_epoch_end(self, state, ctx) -> None:
        time.sleep(self.seconds)


@CALLBACKS.register
class PaceConfig(Component):
    """Sleep after every epoch (tests only: a task that lasts long enough to be killed mid-way)."""

    name: Literal["campaign_pace"] = "campaign_pace"
    seconds: float = Field(0.5, description="Seconds to sleep after each epoch.")

    def build(self, config) -> Callback:
        return Pace(self.seconds)


RECIPE = {
    "data": {"name": "campaign-toy"},
    "task": {"name": "regression"},
    "model": {"name": "mlp", "hidden": [8]},
    "monitor": {"metric": "val/loss", "mode": "min"},
    "optim": {"name": "adamw", "lr": 0.01},
    "trainer": {"epochs": 3, "batch_size": 64, "seed": 0},
    "checkpoint": {"save_last": True, "save_top_k": 1, "restore_best": True},
    "tracking": {"enabled": False},
}
