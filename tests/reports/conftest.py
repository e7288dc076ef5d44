"""Real tiny runs and a real tiny study, made once per session for every report test.

A binary classifier (tracked in MLflow, so the run's logged artifacts can be checked), a second binary run
with other settings (for compare), a regression run (the engine's synthetic data) and a 3-trial Optuna
study in SQLite. Each trains for a few epochs on a few hundred rows: seconds, not minutes.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import pytest
import torch

from scrimmage.config import load_config
from scrimmage.config.registry import DATASETS, Component
from scrimmage.data.datamodule import DataBundle, InputSpec, TensorSplit


def _binary_split(n: int, seed: int) -> TensorSplit:
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(n, 4, generator=g)
    y = (x[:, 0] * 2 + x[:, 1] + 0.8 * torch.randn(n, generator=g) > 1.2).long()  # about a quarter positive
    return TensorSplit({"x": x, "y": y})


@DATASETS.register
class ReportBinary(Component):
    """A tiny binary classification problem (report tests only)."""

    name: Literal["report-binary"] = "report-binary"

    def build(self, workdir) -> DataBundle:
        splits = {"train": _binary_split(400, 1), "val": _binary_split(200, 2), "test": _binary_split(300, 3)}
        return DataBundle(splits, InputSpec(4, ("label",), class_names=("no", "yes")), {"dataset_version": "report-binary-v1"})


def binary_config(*overrides: str):
    return load_config(None, [
        "data.name=report-binary", "task.name=classification", "trainer.epochs=3", "trainer.batch_size=32",
        "model.hidden=[16]", "model.dropout=0.0", "optim.lr=0.01", "monitor.metric=val/log_loss", *overrides,
    ])


@dataclass
class Runs:
    workdir: Path
    binary: str
    binary_b: str
    regression: str
    study_storage: str
    study: str


@pytest.fixture(scope="session")
def runs(tmp_path_factory: pytest.TempPathFactory) -> Runs:
    """Built once per test session, shared by the xdist workers (tests only read it)."""
    import json

    from tests.conftest import built_once

    folder = built_once(tmp_path_factory, "report-runs", _build)
    return Runs(folder, **json.loads((folder / "made.json").read_text()))


def _build(workdir: Path) -> None:
    import json

    import optuna

    from scrimmage.engine import run
    from tests.engine.synthetic import synthetic_config

    binary = run(binary_config(), workdir=workdir, progress=False).run_id  # tracked: MLflow in the workdir
    binary_b = run(binary_config("model.hidden=[8]", "tracking.enabled=false"), workdir=workdir, progress=False).run_id
    regression = run(synthetic_config("trainer.epochs=3"), workdir=workdir, progress=False).run_id

    storage = f"sqlite:///{workdir / 'optuna.db'}"
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    study = optuna.create_study(study_name="tiny", storage=storage, direction="minimize",
                                sampler=optuna.samplers.TPESampler(seed=0))

    def objective(trial: optuna.Trial) -> float:
        x = trial.suggest_float("x", -3, 3)
        lr = trial.suggest_float("lr", 1e-4, 1e-1, log=True)
        layers = trial.suggest_categorical("layers", ["[64]", "[64, 32]"])
        for step in range(1, 4):
            trial.report((x - 1) ** 2 + 1 / step + (0.1 if layers == "[64]" else 0) + abs(lr - 0.01), step)
        return (x - 1) ** 2 + abs(lr - 0.01)

    study.optimize(objective, n_trials=3)
    made = {"binary": binary, "binary_b": binary_b, "regression": regression, "study_storage": storage, "study": "tiny"}
    (workdir / "made.json").write_text(json.dumps(made))
