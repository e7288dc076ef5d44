"""Recurrent encoders with multi-head self-attention over a window: one prediction per window (``lstm-attention``, ``gru-attention``).

Shape: step inputs (features plus categorical embeddings; an id per window, such as the asset,
is embedded once and broadcast over the steps, :mod:`scrimmage.models.sequence`) → a stacked
``nn.LSTM``/``nn.GRU`` (torch's own multi-layer module: cuDNN fuses the layers, dropout between
them) → dropout → a linear projection to ``attention_dim`` → ``nn.MultiheadAttention`` over the
window's steps with a residual connection → optional layer norm → the mean over the real steps
→ a head (hidden widths with GELU and dropout, then the logits).

Why attention here is not causal, unlike :mod:`scrimmage.models.transformer`: these models give
one output per window, and every step of a window is known at the decision time (the window ends
at the decision step), so any step may attend to any other without seeing the future. A padded
tail (``mask``) is kept out of the attention keys and the mean.
"""

from __future__ import annotations

from torch import Tensor, nn

from scrimmage.data.datamodule import InputSpec
from scrimmage.models.recurrent import CELLS
from scrimmage.models.sequence import Pool, StepInputs, make_head


class AttentionRecurrent(nn.Module):
    def __init__(
        self,
        spec: InputSpec,
        n_outputs: int,
        cell: str = "lstm",
        hidden: int = 128,
        layers: int = 2,
        attention_dim: int = 64,
        heads: int = 4,
        dropout: float = 0.4,
        layer_norm: bool = True,
        embedding_dim: int = 8,
        head: tuple[int, ...] | list[int] = (),
        head_dropout: float = 0.0,
    ):
        super().__init__()
        if attention_dim % heads:
            raise ValueError(f"attention_dim ({attention_dim}) must be divisible by heads ({heads})")
        self.inputs = StepInputs(spec, embedding_dim)
        self.rnn = CELLS[cell](self.inputs.width, hidden, num_layers=layers, batch_first=True,
                               dropout=dropout if layers > 1 else 0.0)
        self.drop = nn.Dropout(dropout)
        self.project = nn.Linear(hidden, attention_dim)
        self.attention = nn.MultiheadAttention(attention_dim, heads, dropout=dropout, batch_first=True)
        self.norm = nn.LayerNorm(attention_dim) if layer_norm else nn.Identity()
        self.pool = Pool("mean", attention_dim)
        self.head = make_head(attention_dim, list(head), head_dropout, n_outputs)

    def forward(self, batch: dict[str, Tensor]) -> Tensor:
        h, mask = self.inputs(batch)
        h = self.project(self.drop(self.rnn(h)[0]))
        # padded keys are ignored; a window with no real step attends to all (zeroed) steps rather than to none (NaN)
        padding = None if mask is None else ~mask & mask.any(dim=1, keepdim=True)
        attended = self.attention(h, h, h, key_padding_mask=padding, need_weights=False)[0]
        h = self.norm(h + self.drop(attended))
        return self.head(self.pool(h, mask))
