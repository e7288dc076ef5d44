"""Multi-layer perceptron over numeric features plus learned categorical embeddings.

Embedding groups share one table across columns (home and away team ids use the same team
embedding), so a team's representation is learned from all its games.

Windowed inputs (``spec.window`` > 0): ``x`` is ``[N, window, F]`` and is flattened to
``window * F`` inputs (the step order is kept, so the first layer learns a weight per step and
feature); ``cat`` is then one row of ids per example ``[N, C]`` (the asset of a window), embedded
once. A per-step ``cat [N, T, C]`` is refused: flattening it would learn one embedding copy per
step for what is usually one id per window; a sequence model takes per-step ids.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn

from scrimmage.data.datamodule import InputSpec
from scrimmage.errors import DataError

_ACTIVATIONS = {"relu": nn.ReLU, "gelu": nn.GELU, "silu": nn.SiLU, "tanh": nn.Tanh}


class MLP(nn.Module):
    def __init__(
        self,
        spec: InputSpec,
        n_outputs: int,
        hidden: list[int],
        dropout: float = 0.0,
        activation: str = "gelu",
        embedding_dim: int = 8,
        batch_norm: bool = False,
    ):
        super().__init__()
        self.window = int(spec.window)
        self.n_features = spec.n_features
        self.groups = list(spec.categorical.items()) if embedding_dim > 0 else []
        self.embeddings = nn.ModuleList(nn.Embedding(card, embedding_dim) for _, (card, _) in self.groups)
        width = spec.n_features * max(self.window, 1) + sum(n_cols * embedding_dim for _, (_, n_cols) in self.groups)
        layers: list[nn.Module] = []
        for size in hidden:
            layers.append(nn.Linear(width, size))
            if batch_norm:
                layers.append(nn.BatchNorm1d(size))
            layers += [_ACTIVATIONS[activation](), nn.Dropout(dropout)]
            width = size
        layers.append(nn.Linear(width, n_outputs))
        self.net = nn.Sequential(*layers)

    def forward(self, batch: dict[str, Tensor]) -> Tensor:
        x = batch["x"]
        if self.window:
            if x.dim() != 3 or x.shape[1] != self.window:
                raise DataError(f"this mlp was built for windows of {self.window} steps (x [N, {self.window}, "
                                f"{self.n_features}]), got x of shape {list(x.shape)}")
            x = x.flatten(1)
        elif x.dim() != 2:
            raise DataError(f"an mlp takes x of shape [N, features], got {list(x.shape)}; for windows the dataset's "
                            "InputSpec must set window (steps per example), or use a sequence model")
        parts = [x]
        column = 0
        if self.groups and batch["cat"].dim() != 2:
            raise DataError(f"an mlp takes one row of cat ids per example [N, columns], got {list(batch['cat'].shape)}; "
                            "per-step ids need a sequence model (lstm-attention, gru-attention, cnn-lstm ...)")
        for embedding, (_, (_, n_cols)) in zip(self.embeddings, self.groups, strict=False):
            ids = batch["cat"][:, column : column + n_cols]
            parts.append(embedding(ids).flatten(1))
            column += n_cols
        return self.net(torch.cat(parts, dim=1))
