"""Multi-target regression: loss on standardised targets, metrics in real units.

Targets are standardised with training-split statistics (so targets on different scales weigh
alike in the loss); the statistics live in the model's buffers, so a saved or exported model
predicts in real units. Baseline: the training mean of each target.

Sequences: targets ``[N, T, K]`` with a per-step model output are scored on real steps only
(``mask``), each real step a row of the metrics and predictions; targets ``[N, K]`` go with a
pooled output (see :mod:`scrimmage.engine.tasks.scaling`).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch
from torch import Tensor, nn

from scrimmage.data.datamodule import DataBundle, InputSpec
from scrimmage.data.splits import Split
from scrimmage.engine.tasks.base import Evaluation, Report, named
from scrimmage.engine.tasks.metric_names import regression_metric_names
from scrimmage.engine.tasks.scaling import Standardized, mask_key, real_steps, real_targets, unwrap
from scrimmage.errors import ConfigError
from scrimmage.metrics.regression import regression_metrics


class RegressionTask:
    name = "regression"

    def __init__(self, spec: InputSpec):
        self.spec = spec
        self.target_names = spec.target_names
        self.loss: Any = None

    def n_outputs(self) -> int:
        return len(self.target_names)

    def default_loss(self) -> dict[str, Any]:
        return {"name": "mse"}

    def build_model(self, net: nn.Module, train: Split | None) -> nn.Module:
        model = Standardized(net, self.spec.n_features, len(self.target_names))
        if train is not None:
            model.fit_split(train)
        return model

    def setup_training(self, loss_config: Any, train: Split) -> None:
        from scrimmage.losses.configs import LossInfo

        if getattr(loss_config, "kind", "") != "regression":
            raise ConfigError(f"loss.name '{loss_config.name}' is not a regression loss; use mse, huber or l1 with task regression.")
        self.loss = loss_config.build(LossInfo("regression", self.target_names))
        weights = getattr(self.loss, "weights", None)
        self.base_weights = [float(w) for w in weights.tolist()] if weights is not None else None

    def loss_weight_names(self) -> list[str]:
        """The names :meth:`set_loss_weights` accepts: the targets."""
        return list(self.target_names)

    def set_loss_weights(self, weights: dict[str, float]) -> None:
        """Per-target loss weights from now on (a curriculum phase); targets not named keep the loss's own
        weight (``loss.weights`` or 1.0), so ``{}`` restores the recipe's weights. Validation loss uses them too."""
        unknown = sorted(set(weights) - set(self.target_names))
        if unknown:
            raise ConfigError(f"loss weights name unknown targets {unknown}; the targets are {list(self.target_names)}.")
        if self.base_weights is None:
            raise ConfigError("this loss has no per-target weights to set; use mse, huber or l1.")
        vector = [float(weights.get(name, base)) for name, base in zip(self.target_names, self.base_weights, strict=True)]
        if any(w < 0 for w in vector) or sum(vector) <= 0:
            raise ConfigError(f"loss weights must be >= 0 with a positive sum, got {dict(zip(self.target_names, vector, strict=True))}.")
        self.loss.weights = torch.tensor(vector, device=self.loss.weights.device)

    def prepare(self, model: nn.Module, split: Split) -> Split:
        scaler = unwrap(model)
        with torch.no_grad():
            scaled = split.standardized("x", scaler.x_mean, scaler.x_std)
            return scaled.standardized("y", scaler.target_mean, scaler.target_std)

    def training_loss(self, model: nn.Module, batch: dict[str, Tensor]) -> tuple[Tensor, Tensor]:
        return self.loss(*real_steps(model(batch, prepared=True), batch["y"], batch.get("mask"), 1))

    def metric_names(self, prefix: str = "val") -> list[str]:
        return regression_metric_names(self.target_names, prefix)

    @torch.no_grad()
    def predict(self, model: nn.Module, split: Split, batch_size: int) -> Tensor:
        outputs = [model(batch).float() for batch in split.batches(batch_size)]
        return torch.cat(outputs) if outputs else torch.empty(0, len(self.target_names))

    @torch.no_grad()
    def evaluate(self, model: nn.Module, split: Split, batch_size: int, prefix: str) -> Evaluation:
        scaler = unwrap(model)
        pred = self.predict(model, split, batch_size)
        mask = mask_key(split)
        pred, target = real_steps(pred, split.column("y").float(), split.column(mask) if mask else None, 1)
        metrics = {f"{prefix}/loss": float(self.loss(scaler.scale_targets(pred), scaler.scale_targets(target))[0])} if self.loss else {}
        metrics.update(named(regression_metrics(pred, target, self.target_names), prefix))
        return Evaluation(metrics, pred, target)

    def report(self, data: DataBundle, split: str, evaluation: Evaluation) -> Report:
        prefix = f"{split}/"
        model_row = {k.removeprefix(prefix): v for k, v in evaluation.metrics.items()} | {"n": len(evaluation.targets)}
        train_mean = real_targets(data.splits["train"], 1).float().mean(0)
        mean_pred = train_mean.expand_as(evaluation.targets)
        baseline = regression_metrics(mean_pred, evaluation.targets, self.target_names) | {"n": len(evaluation.targets)}
        columns = {"n": "n"} | {f"{t}_{kind}": f"{t} {kind}" for t in self.target_names for kind in ("rmse", "mae")}
        return Report(f"{split} set", {"model": model_row, "train_mean": baseline}, columns,
                      rank_by=f"{self.target_names[0]}_rmse")

    def prediction_columns(self, evaluation: Evaluation) -> dict[str, np.ndarray]:
        truth = evaluation.targets.cpu().numpy()
        return {name: truth[:, i] for i, name in enumerate(self.target_names)} | self.decode(evaluation.predictions)

    def decode(self, outputs: Tensor) -> dict[str, np.ndarray]:
        if outputs.dim() > 2:  # per-step outputs [N, T, K]: one row per step, padded ones included (the caller's mask drops them)
            outputs = outputs.flatten(0, -2)
        values = outputs.detach().float().cpu().numpy()
        return {f"{name}_pred": values[:, i] for i, name in enumerate(self.target_names)}
