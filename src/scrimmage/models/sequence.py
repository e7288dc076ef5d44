"""Pieces shared by the sequence families (recurrent, transformer): step inputs, pooling, heads.

A sequence batch is ``x`` float ``[N, T, F]``, optional ``cat`` long ``[N, T, C]`` (categorical
ids per step, embedded per group of ``spec.categorical`` the way :mod:`scrimmage.models.mlp`
does) or ``[N, C]`` (ids per example, e.g. the asset of a window: embedded once and broadcast over
the steps with ``expand``, so neither the data nor the embedding is copied per step before the
concatenation with ``x``) and optional ``mask`` bool ``[N, T]`` (true = a real step; padding goes at
the end of a sequence). Without a mask every step is real.

Padding: the step inputs of padded steps are set to zero (and their ids to 0) before anything
else, so whatever a dataset puts there (NaN, -1) cannot reach a real step's output. The encoders
are causal, so a real step never sees the padded tail after it; that is why the recurrent
encoders do not pack sequences (``pack_padded_sequence`` needs the lengths on the CPU, one device
sync per batch) and the transformer needs no key-padding mask. Pooled outputs read real steps only.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn

from scrimmage.data.datamodule import InputSpec
from scrimmage.errors import DataError

OUTPUTS = ("per_step", "last", "mean", "attention")


class StepInputs(nn.Module):
    """``x`` and the embedded ``cat`` ids per step, concatenated: ``[N, T, width]``; padded steps are zero."""

    def __init__(self, spec: InputSpec, embedding_dim: int):
        super().__init__()
        self.groups = list(spec.categorical.items()) if embedding_dim > 0 else []
        self.embeddings = nn.ModuleList(nn.Embedding(card, embedding_dim) for _, (card, _) in self.groups)
        self.width = spec.n_features + sum(n_cols * embedding_dim for _, (_, n_cols) in self.groups)

    def forward(self, batch: dict[str, Tensor]) -> tuple[Tensor, Tensor | None]:
        x = batch["x"]
        if x.dim() != 3:
            raise DataError(f"a sequence model takes x of shape [N, T, features], got {list(x.shape)}; "
                            "use an mlp for one row per example")
        mask = batch.get("mask")
        if mask is not None:
            mask = mask.bool()
            x = x.masked_fill(~mask.unsqueeze(-1), 0.0)
        parts = [x]
        column = 0
        cat = batch.get("cat") if self.groups else None
        if self.groups and cat is None:
            raise DataError(f"the model embeds categorical groups {[name for name, _ in self.groups]} but the batch has "
                            "no 'cat' ids; give them, or set model.embedding_dim: 0")
        if cat is not None and cat.dim() not in (2, 3):
            raise DataError(f"a sequence model takes cat ids per step [N, T, columns] or per example [N, columns], "
                            f"got {list(cat.shape)}")
        for embedding, (_, (_, n_cols)) in zip(self.embeddings, self.groups, strict=True):
            ids = cat[..., column : column + n_cols]  # type: ignore[index]
            if ids.dim() == 2:  # one id per example: embed once, broadcast over the steps (a view)
                embedded = embedding(ids).flatten(-2).unsqueeze(1).expand(-1, x.shape[1], -1)
                if mask is not None:  # padded steps stay zero (a copy, only for padded batches)
                    embedded = embedded.masked_fill(~mask.unsqueeze(-1), 0.0)
                parts.append(embedded)
            else:
                if mask is not None:
                    ids = ids.masked_fill(~mask.unsqueeze(-1), 0)
                parts.append(embedding(ids).flatten(-2))
            column += n_cols
        h = torch.cat(parts, dim=-1) if len(parts) > 1 else x
        return h, mask


class Pool(nn.Module):
    """``[N, T, H]`` → ``[N, H]`` over real steps: the last one, their mean, or learned attention weights."""

    def __init__(self, kind: str, width: int):
        super().__init__()
        if kind not in OUTPUTS[1:]:
            raise ValueError(f"pooling must be one of {OUTPUTS[1:]}, got {kind!r}")
        self.kind = kind
        self.score = nn.Linear(width, 1) if kind == "attention" else None

    def forward(self, h: Tensor, mask: Tensor | None) -> Tensor:
        if self.kind == "last":
            if mask is None:
                return h[:, -1]
            steps = torch.arange(h.shape[1], device=h.device)
            last = torch.where(mask, steps, -1).amax(dim=1).clamp_min(0)  # an empty sequence reads step 0
            return h[torch.arange(h.shape[0], device=h.device), last]
        if self.kind == "mean":
            if mask is None:
                return h.mean(dim=1)
            weight = mask.unsqueeze(-1).to(h.dtype)
            return (h * weight).sum(dim=1) / weight.sum(dim=1).clamp_min(1.0)
        scores = self.score(h).squeeze(-1)  # type: ignore[misc]
        if mask is not None:
            scores = scores.masked_fill(~mask, torch.finfo(scores.dtype).min)
        weights = torch.softmax(scores, dim=1)
        return (weights.unsqueeze(-1) * h).sum(dim=1)


def make_head(width: int, hidden: list[int], dropout: float, n_outputs: int) -> nn.Sequential:
    """Linear layers applied to each step (or the pooled vector): hidden widths with GELU and dropout.

    No batch norm: it normalises over the batch, mixing steps of different sequences (and later
    steps into earlier ones), which breaks causality and makes a prediction depend on its batch.
    """
    layers: list[nn.Module] = []
    for size in hidden:
        layers += [nn.Linear(width, size), nn.GELU(), nn.Dropout(dropout)]
        width = size
    layers.append(nn.Linear(width, n_outputs))
    return nn.Sequential(*layers)
