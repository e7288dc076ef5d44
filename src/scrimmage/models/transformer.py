"""Causal Transformer encoder over ``[N, T, F]`` sequences, a prediction per step or one pooled.

Step inputs (features plus categorical embeddings, :mod:`scrimmage.models.sequence`) are
projected to ``d_model``, given positions (learned, as in GPT, or fixed sinusoids), passed
through pre-norm ``nn.TransformerEncoderLayer`` blocks (torch's own, so the fused attention
kernels apply) under a causal attention mask, and read out per step or pooled.

- **Causal only.** Step t attends to steps <= t: a play's prediction must not see later plays
  (that leaks the outcome and makes play-by-play simulation impossible). There is no
  bidirectional / unmasked option; ``tests/models`` checks causality.
- **Padding** goes at the end of a sequence and its inputs are zeroed; under the causal mask no
  real step attends to it, so no key-padding mask is needed (one would also make a fully padded
  row's softmax undefined).
- **max_len** bounds the positions: learned positions beyond it were never trained, so a longer
  sequence is an error that says so, never a silent truncation.
"""

from __future__ import annotations

import math

import torch
from torch import Tensor, nn

from scrimmage.data.datamodule import InputSpec
from scrimmage.errors import DataError
from scrimmage.models.sequence import Pool, StepInputs, make_head


def sinusoids(length: int, width: int) -> Tensor:
    """The fixed positional table of Vaswani et al. (2017): ``[length, width]``."""
    position = torch.arange(length, dtype=torch.float32).unsqueeze(1)
    frequency = torch.exp(torch.arange(0, width, 2, dtype=torch.float32) * (-math.log(10000.0) / width))
    table = torch.zeros(length, width)
    table[:, 0::2] = torch.sin(position * frequency)
    table[:, 1::2] = torch.cos(position * frequency[: width // 2])
    return table


class CausalTransformer(nn.Module):
    def __init__(
        self,
        spec: InputSpec,
        n_outputs: int,
        d_model: int = 64,
        heads: int = 4,
        layers: int = 2,
        ff_width: int = 256,
        dropout: float = 0.1,
        max_len: int = 512,
        positions: str = "learned",
        embedding_dim: int = 8,
        output: str = "per_step",
        head: tuple[int, ...] | list[int] = (),
        head_dropout: float = 0.0,
    ):
        super().__init__()
        if d_model % heads:
            raise ValueError(f"d_model ({d_model}) must be divisible by heads ({heads})")
        self.max_len = max_len
        self.inputs = StepInputs(spec, embedding_dim)
        self.project = nn.Linear(self.inputs.width, d_model)
        if positions == "learned":
            self.position: nn.Module | None = nn.Embedding(max_len, d_model)
        else:
            self.position = None
            self.register_buffer("sinusoids", sinusoids(max_len, d_model), persistent=False)
        self.drop = nn.Dropout(dropout)
        block = nn.TransformerEncoderLayer(d_model, heads, ff_width, dropout, activation="gelu", batch_first=True, norm_first=True)
        self.encoder = nn.TransformerEncoder(block, layers, norm=nn.LayerNorm(d_model), enable_nested_tensor=False)
        self.pool = Pool(output, d_model) if output != "per_step" else None
        self.head = make_head(d_model, list(head), head_dropout, n_outputs)

    def forward(self, batch: dict[str, Tensor]) -> Tensor:
        h, mask = self.inputs(batch)
        steps = h.shape[1]
        if steps > self.max_len:
            raise DataError(f"a sequence of {steps} steps is longer than model.max_len={self.max_len}: raise "
                            f"model.max_len to at least {steps} (sequences are never truncated)")
        h = self.project(h)
        if self.position is not None:
            h = h + self.position.weight[:steps]
        else:
            h = h + self.sinusoids[:steps].to(h.dtype)
        causal = nn.Transformer.generate_square_subsequent_mask(steps, device=h.device, dtype=h.dtype)
        h = self.encoder(self.drop(h), mask=causal, is_causal=True)
        if self.pool is not None:
            h = self.pool(h, mask)
        return self.head(h)
