"""A task = model + loss + metrics for one kind of problem (here: multi-target regression).

Targets are standardised with training-split statistics for the loss; the statistics live in
buffers of :class:`ScaledRegressor`, so the saved/exported model predicts in real units.
"""

from __future__ import annotations

import difflib

import torch
from torch import Tensor, nn

from scrimmage.data.datamodule import TensorSplit
from scrimmage.errors import ConfigError
from scrimmage.losses.registry import MultiTargetLoss
from scrimmage.metrics.regression import regression_metrics


class ScaledRegressor(nn.Module):
    """Standardises inputs and un-standardises outputs with training statistics held in buffers.

    ``forward`` takes raw features and returns real units, so checkpoints and exports are self-contained.
    """

    def __init__(self, net: nn.Module, mean: Tensor, std: Tensor, x_mean: Tensor, x_std: Tensor):
        super().__init__()
        self.net = net
        self.register_buffer("target_mean", mean.clone().float())
        self.register_buffer("target_std", std.clone().float())
        self.register_buffer("x_mean", x_mean.clone().float())
        self.register_buffer("x_std", x_std.clone().float())

    def standardise(self, values: Tensor) -> Tensor:
        return (values - self.target_mean) / self.target_std

    def forward(self, batch: dict[str, Tensor]) -> Tensor:
        batch = {**batch, "x": (batch["x"] - self.x_mean) / self.x_std}
        return self.net(batch) * self.target_std + self.target_mean


class RegressionTask:
    """Loss in standardised space; metrics per epoch on accumulated real-unit predictions."""

    def __init__(self, loss: MultiTargetLoss, target_names: tuple[str, ...]):
        self.loss = loss
        self.target_names = target_names

    def metric_names(self) -> list[str]:
        """Every metric an epoch reports (what early_stopping.metric may monitor)."""
        per_target = [f"val/{name}_{kind}" for name in self.target_names for kind in ("rmse", "mae")]
        return ["train/loss", "val/loss", "lr", *per_target]

    def check_monitored(self, metric: str) -> None:
        if metric not in self.metric_names():
            close = difflib.get_close_matches(metric, self.metric_names(), n=1)
            hint = f" Did you mean '{close[0]}'?" if close else ""
            raise ConfigError(
                f"early_stopping.metric '{metric}' is not computed by this task.{hint} "
                f"Available: {', '.join(self.metric_names())}."
            )

    @staticmethod
    def wrap(net: nn.Module, train: TensorSplit) -> ScaledRegressor:
        y, x = train.tensors["y"].float(), train.tensors["x"].float()
        return ScaledRegressor(net, y.mean(0), y.std(0).clamp_min(1e-6), x.mean(0), x.std(0).clamp_min(1e-6))

    def training_loss(self, model: nn.Module, batch: dict[str, Tensor]) -> tuple[Tensor, Tensor]:
        scaler = _unwrap(model)
        return self.loss(scaler.standardise(model(batch)), scaler.standardise(batch["y"]))

    @torch.no_grad()
    def predict(self, model: nn.Module, split: TensorSplit, batch_size: int) -> Tensor:
        outputs = [model(batch).float() for batch in split.batches(batch_size)]
        return torch.cat(outputs) if outputs else torch.empty(0, len(self.target_names))

    @torch.no_grad()
    def evaluate(self, model: nn.Module, split: TensorSplit, batch_size: int, prefix: str) -> tuple[dict[str, float], Tensor]:
        scaler = _unwrap(model)
        pred = self.predict(model, split, batch_size)
        target = split.tensors["y"].float()
        scaled_loss, _ = self.loss(scaler.standardise(pred), scaler.standardise(target))
        metrics = {f"{prefix}/loss": float(scaled_loss)}
        metrics.update({f"{prefix}/{k}": v for k, v in regression_metrics(pred, target, self.target_names).items()})
        return metrics, pred


def _unwrap(model: nn.Module) -> ScaledRegressor:
    """The ScaledRegressor inside a Fabric/DDP wrapper (for its target statistics)."""
    while not isinstance(model, ScaledRegressor):
        model = model.module
    return model
