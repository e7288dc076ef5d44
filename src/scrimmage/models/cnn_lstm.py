"""Convolutions over time, then an LSTM: one prediction per window (``cnn-lstm``).

Shape: step inputs (features plus categorical embeddings; an id per window is embedded once and
broadcast over the steps, :mod:`scrimmage.models.sequence`) → Conv1d blocks over the time axis
(each ``Conv1d`` with "same" padding → ``BatchNorm1d`` → ReLU → dropout; two by default) → an
``nn.LSTM`` → its hidden state at the last real step → a head (hidden widths with GELU and
dropout, then the logits).

The convolutions read neighbouring steps on both sides and batch norm pools statistics over the
batch: fine for one output per window (every step of a window is known at decision time), which
is why this family has no per-step output.
"""

from __future__ import annotations

from torch import Tensor, nn

from scrimmage.data.datamodule import InputSpec
from scrimmage.models.sequence import Pool, StepInputs, make_head


class CNNLSTM(nn.Module):
    def __init__(
        self,
        spec: InputSpec,
        n_outputs: int,
        channels: tuple[int, ...] | list[int] = (64, 64),
        kernel_size: int = 3,
        hidden: int = 64,
        layers: int = 1,
        dropout: float = 0.3,
        embedding_dim: int = 8,
        head: tuple[int, ...] | list[int] = (),
        head_dropout: float = 0.0,
    ):
        super().__init__()
        self.inputs = StepInputs(spec, embedding_dim)
        blocks: list[nn.Module] = []
        width = self.inputs.width
        for size in channels:
            blocks += [nn.Conv1d(width, size, kernel_size, padding="same"), nn.BatchNorm1d(size), nn.ReLU(), nn.Dropout(dropout)]
            width = size
        self.conv = nn.Sequential(*blocks)
        self.lstm = nn.LSTM(width, hidden, num_layers=layers, batch_first=True, dropout=dropout if layers > 1 else 0.0)
        self.drop = nn.Dropout(dropout)
        self.last = Pool("last", hidden)
        self.head = make_head(hidden, list(head), head_dropout, n_outputs)

    def forward(self, batch: dict[str, Tensor]) -> Tensor:
        h, mask = self.inputs(batch)
        h = self.conv(h.transpose(1, 2)).transpose(1, 2)  # Conv1d wants [N, channels, T]
        if mask is not None:  # padded steps stay zero after the convolutions' biases
            h = h.masked_fill(~mask.unsqueeze(-1), 0.0)
        h = self.lstm(h)[0]
        return self.head(self.drop(self.last(h, mask)))
