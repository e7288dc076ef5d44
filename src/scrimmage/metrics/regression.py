"""Regression metrics per target, computed once per epoch on accumulated predictions (torchmetrics)."""

from __future__ import annotations

from torch import Tensor
from torchmetrics.functional import mean_absolute_error, mean_squared_error


def regression_metrics(pred: Tensor, target: Tensor, names: tuple[str, ...]) -> dict[str, float]:
    out: dict[str, float] = {}
    for column, name in enumerate(names):
        p, t = pred[:, column].float(), target[:, column].float()
        out[f"{name}_rmse"] = float(mean_squared_error(p, t, squared=False))
        out[f"{name}_mae"] = float(mean_absolute_error(p, t))
    return out
