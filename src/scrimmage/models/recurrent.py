"""Causal recurrent encoders (LSTM, GRU) over ``[N, T, F]`` sequences, a prediction per step or one pooled.

Shape: a stack of one-layer recurrent modules, each followed by optional layer norm and dropout
(layers of different widths need separate modules; the default is the original football design:
LSTM 256 → layer norm → dropout 0.15 → LSTM 128 → layer norm → dropout 0.20), then a linear head
applied to every step (``output: per_step``, ``[N, T, n_outputs]``) or to a pooled summary of the
real steps (``last``, ``mean``, ``attention``, ``[N, n_outputs]``).

Decisions, and what was dropped from the original design:

- **Causal only, no bidirectional option.** The original design used bidirectional LSTMs. A
  backward direction lets the prediction for play t read plays t+1..T: it leaks the outcome
  (the next play shows what this one gained) and makes simulation impossible (a game is
  generated one play at a time, so later plays do not exist yet). Every step's output here
  depends on steps <= t only; ``tests/models`` checks it and shows a bidirectional LSTM fails.
- **No recurrent dropout** (dropout on the hidden-to-hidden connections): torch's LSTM/GRU have
  none, and a hand-written cell would lose cuDNN's fused kernels. Dropout sits between layers.
- **No batch norm in the head**: it mixes steps of different games within a batch (and later
  plays into the statistics used for earlier ones), which breaks causality; layer norm works per
  step.
- **No packing.** Padding goes at the end of a sequence; a causal encoder cannot carry it back
  into real steps, and padded inputs are zeroed first (:mod:`scrimmage.models.sequence`), so
  packing would only add a device sync per batch for the lengths.
"""

from __future__ import annotations

from torch import Tensor, nn

from scrimmage.data.datamodule import InputSpec
from scrimmage.models.sequence import Pool, StepInputs, make_head

CELLS = {"lstm": nn.LSTM, "gru": nn.GRU}


class RecurrentEncoder(nn.Module):
    def __init__(
        self,
        spec: InputSpec,
        n_outputs: int,
        cell: str = "lstm",
        hidden: tuple[int, ...] | list[int] = (256, 128),
        dropout: tuple[float, ...] | list[float] = (0.15, 0.20),
        layer_norm: bool = True,
        embedding_dim: int = 8,
        output: str = "per_step",
        head: tuple[int, ...] | list[int] = (),
        head_dropout: float = 0.0,
    ):
        super().__init__()
        if len(dropout) != len(hidden):
            raise ValueError(f"one dropout per layer: {len(hidden)} layers, {len(dropout)} dropouts")
        self.inputs = StepInputs(spec, embedding_dim)
        self.layers = nn.ModuleList()
        width = self.inputs.width
        for size, p in zip(hidden, dropout, strict=True):
            self.layers.append(nn.ModuleDict({
                "rnn": CELLS[cell](width, size, batch_first=True),
                "norm": nn.LayerNorm(size) if layer_norm else nn.Identity(),
                "drop": nn.Dropout(p),
            }))
            width = size
        self.pool = Pool(output, width) if output != "per_step" else None
        self.head = make_head(width, list(head), head_dropout, n_outputs)

    def forward(self, batch: dict[str, Tensor]) -> Tensor:
        h, mask = self.inputs(batch)
        for layer in self.layers:
            h = layer["drop"](layer["norm"](layer["rnn"](h)[0]))
        if self.pool is not None:
            h = self.pool(h, mask)
        return self.head(h)
