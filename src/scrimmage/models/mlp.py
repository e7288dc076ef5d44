"""Multi-layer perceptron over numeric features plus learned categorical embeddings.

Embedding groups share one table across columns (home and away team ids use the same team
embedding), so a team's representation is learned from all its games.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn

from scrimmage.data.datamodule import InputSpec

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
        self.groups = list(spec.categorical.items()) if embedding_dim > 0 else []
        self.embeddings = nn.ModuleList(nn.Embedding(card, embedding_dim) for _, (card, _) in self.groups)
        width = spec.n_features + sum(n_cols * embedding_dim for _, (_, n_cols) in self.groups)
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
        parts = [batch["x"]]
        column = 0
        for embedding, (_, (_, n_cols)) in zip(self.embeddings, self.groups, strict=False):
            ids = batch["cat"][:, column : column + n_cols]
            parts.append(embedding(ids).flatten(1))
            column += n_cols
        return self.net(torch.cat(parts, dim=1))
