"""Options of the built-in networks, registered by ``model.name`` (one class per family).

Each schema's ``build(spec, n_outputs)`` imports its network on call, so validating a recipe
never imports torch. A new family is one network file plus one schema here (or in a domain
package) decorated with ``@MODELS.register``.

Sequence models (``lstm``, ``gru``, ``transformer``) take ``x`` ``[N, T, F]`` with an optional
``mask`` ``[N, T]`` and ``cat`` ``[N, T, C]``, and are causal: step t's output depends on steps
<= t only. There is deliberately no bidirectional option: a backward pass lets a play's
prediction see later plays, which leaks the outcome and makes play-by-play simulation
impossible (see :mod:`scrimmage.models.recurrent`).

Window classifiers (``lstm-attention``, ``gru-attention``, ``cnn-lstm``) take ``x`` ``[N, T, F]``
with ``cat`` ids per window ``[N, C]`` (broadcast over the steps) or per step, and give one
prediction per window; every step of a window is known at its decision time, so they may read
the window in both directions. ``mlp`` takes windows too when the dataset's ``InputSpec.window``
is set (flattened to ``window * F`` inputs).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Literal

from pydantic import Field, model_validator

from scrimmage.config.registry import MODELS, Component
from scrimmage.config.types import FiniteFloat, NonNegativeInt, PositiveInt

if TYPE_CHECKING:
    from torch import nn

    from scrimmage.data.datamodule import InputSpec


@MODELS.register
class MLPConfig(Component):
    """Multi-layer perceptron over numeric features (or a flattened window) plus learned categorical embeddings."""

    name: Literal["mlp"] = "mlp"
    hidden: list[PositiveInt] = Field([64, 32], min_length=1, description="Hidden layer widths, each >= 1.")
    dropout: FiniteFloat = Field(0.1, ge=0, lt=1, description="Dropout probability after each hidden layer.")
    activation: Literal["relu", "gelu", "silu", "tanh"] = Field("gelu", description="Hidden activation function.")
    embedding_dim: NonNegativeInt = Field(8, ge=0, description="Width of each categorical embedding (0 disables embeddings).")
    batch_norm: bool = Field(False, description="Batch normalisation after each hidden linear layer.")

    def build(self, spec: InputSpec, n_outputs: int) -> nn.Module:
        from scrimmage.models.mlp import MLP

        return MLP(spec, n_outputs, self.hidden, self.dropout, self.activation, self.embedding_dim, self.batch_norm)


Probability = Annotated[FiniteFloat, Field(ge=0, lt=1)]


class SequenceModel(Component):
    """Options every sequence family shares: categorical embeddings per step, the output, the head."""

    embedding_dim: NonNegativeInt = Field(8, description="Width of each categorical embedding per step (0 disables embeddings).")
    output: Literal["per_step", "last", "mean", "attention"] = Field(
        "per_step", description="per_step: a prediction at every step [N, T, out]; last, mean or attention: one pooled "
                                "over the real steps [N, out].",
    )
    head: list[PositiveInt] = Field([], description="Hidden widths of the MLP head after the encoder (GELU; no batch norm, it breaks causality).")
    head_dropout: Probability = Field(0.0, description="Dropout after each hidden layer of the head.")


class RecurrentConfig(SequenceModel):
    hidden: list[PositiveInt] = Field([256, 128], min_length=1, description="Units of each recurrent layer, first to last.")
    dropout: Probability | list[Probability] = Field(
        [0.15, 0.20], description="Dropout after each recurrent layer: one number per layer, or one for all.",
    )
    layer_norm: bool = Field(True, description="Layer normalisation after each recurrent layer (per step, so causal).")

    @model_validator(mode="after")
    def _one_dropout_per_layer(self) -> RecurrentConfig:
        if isinstance(self.dropout, list) and len(self.dropout) != len(self.hidden):
            raise ValueError(f"dropout has {len(self.dropout)} values for {len(self.hidden)} layers (hidden={self.hidden}); "
                             "give one per layer or a single number")
        return self

    def dropouts(self) -> list[float]:
        return list(self.dropout) if isinstance(self.dropout, list) else [float(self.dropout)] * len(self.hidden)

    def build(self, spec: InputSpec, n_outputs: int) -> nn.Module:
        from scrimmage.models.recurrent import RecurrentEncoder

        return RecurrentEncoder(spec, n_outputs, self.name, self.hidden, self.dropouts(), self.layer_norm,
                                self.embedding_dim, self.output, self.head, self.head_dropout)


@MODELS.register
class LSTMConfig(RecurrentConfig):
    """Causal stacked LSTM over sequences [N, T, F]: a prediction per step or one pooled (last, mean, attention)."""

    name: Literal["lstm"] = "lstm"


@MODELS.register
class GRUConfig(RecurrentConfig):
    """Causal stacked GRU over sequences [N, T, F]: a prediction per step or one pooled (last, mean, attention)."""

    name: Literal["gru"] = "gru"


@MODELS.register
class TransformerConfig(SequenceModel):
    """Causal Transformer encoder over sequences [N, T, F]: a prediction per step or one pooled."""

    name: Literal["transformer"] = "transformer"
    d_model: PositiveInt = Field(64, description="Width of the residual stream (divisible by heads).")
    heads: PositiveInt = Field(4, description="Attention heads per layer.")
    layers: PositiveInt = Field(2, description="Transformer blocks (pre-norm, causal self-attention + feed-forward).")
    ff_width: PositiveInt = Field(256, description="Hidden width of each block's feed-forward layer.")
    dropout: Probability = Field(0.1, description="Dropout on the inputs, attention weights and feed-forward outputs.")
    max_len: PositiveInt = Field(512, description="Longest sequence accepted (a longer one is an error, never truncated).")
    positions: Literal["learned", "sinusoidal"] = Field("learned", description="Position encoding: learned per step, or fixed sinusoids.")

    @model_validator(mode="after")
    def _heads_divide_width(self) -> TransformerConfig:
        if self.d_model % self.heads:
            raise ValueError(f"heads ({self.heads}) must divide d_model ({self.d_model})")
        return self

    def build(self, spec: InputSpec, n_outputs: int) -> nn.Module:
        from scrimmage.models.transformer import CausalTransformer

        return CausalTransformer(spec, n_outputs, self.d_model, self.heads, self.layers, self.ff_width, self.dropout,
                                 self.max_len, self.positions, self.embedding_dim, self.output, self.head, self.head_dropout)


class WindowModel(Component):
    """Options every window classifier shares (one output per window): the embeddings and the head."""

    embedding_dim: NonNegativeInt = Field(
        8, description="Width of each categorical embedding (8-16 suits an asset id; 0 disables embeddings); an id per "
                       "window is broadcast over its steps.",
    )
    head: list[PositiveInt] = Field([], description="Hidden widths of the MLP head after pooling (GELU); [] is one linear layer.")
    head_dropout: Probability = Field(0.0, description="Dropout after each hidden layer of the head.")


class AttentionRecurrentConfig(WindowModel):
    hidden: PositiveInt = Field(128, description="Units of each recurrent layer.")
    layers: PositiveInt = Field(2, description="Stacked recurrent layers.")
    attention_dim: PositiveInt = Field(64, description="Width of the self-attention (the recurrent output is projected to it; divisible by heads).")
    heads: PositiveInt = Field(4, description="Attention heads.")
    dropout: Probability = Field(0.4, description="Dropout between recurrent layers, after the last one and on the attention.")
    layer_norm: bool = Field(True, description="Layer normalisation after the attention's residual sum.")

    @model_validator(mode="after")
    def _heads_divide_width(self) -> AttentionRecurrentConfig:
        if self.attention_dim % self.heads:
            raise ValueError(f"heads ({self.heads}) must divide attention_dim ({self.attention_dim})")
        return self

    def build(self, spec: InputSpec, n_outputs: int) -> nn.Module:
        from scrimmage.models.attention import AttentionRecurrent

        return AttentionRecurrent(spec, n_outputs, self.name.removesuffix("-attention"), self.hidden, self.layers,
                                  self.attention_dim, self.heads, self.dropout, self.layer_norm, self.embedding_dim,
                                  self.head, self.head_dropout)


@MODELS.register
class LSTMAttentionConfig(AttentionRecurrentConfig):
    """Stacked LSTM, multi-head self-attention over the window, mean pooling: one prediction per window [N, T, F]."""

    name: Literal["lstm-attention"] = "lstm-attention"


@MODELS.register
class GRUAttentionConfig(AttentionRecurrentConfig):
    """Stacked GRU, multi-head self-attention over the window, mean pooling: one prediction per window [N, T, F]."""

    name: Literal["gru-attention"] = "gru-attention"
    hidden: PositiveInt = Field(64, description="Units of each recurrent layer.")
    attention_dim: PositiveInt = Field(32, description="Width of the self-attention (the recurrent output is projected to it; divisible by heads).")
    heads: PositiveInt = Field(2, description="Attention heads.")
    dropout: Probability = Field(0.35, description="Dropout between recurrent layers, after the last one and on the attention.")


@MODELS.register
class CNNLSTMConfig(WindowModel):
    """Conv1d + batch-norm blocks over time, then an LSTM read at its last step: one prediction per window [N, T, F]."""

    name: Literal["cnn-lstm"] = "cnn-lstm"
    channels: list[PositiveInt] = Field([64, 64], min_length=1, description="Output channels of each Conv1d block (two blocks by default).")
    kernel_size: PositiveInt = Field(3, description="Time steps each convolution reads ('same' padding keeps the window length).")
    hidden: PositiveInt = Field(64, description="Units of each LSTM layer.")
    layers: PositiveInt = Field(1, description="Stacked LSTM layers.")
    dropout: Probability = Field(0.3, description="Dropout after each conv block, between LSTM layers and after the LSTM.")

    def build(self, spec: InputSpec, n_outputs: int) -> nn.Module:
        from scrimmage.models.cnn_lstm import CNNLSTM

        return CNNLSTM(spec, n_outputs, self.channels, self.kernel_size, self.hidden, self.layers, self.dropout,
                       self.embedding_dim, self.head, self.head_dropout)
