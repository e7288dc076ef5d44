"""Options of the built-in networks, registered by ``model.name`` (one class per family).

Each schema's ``build(spec, n_outputs)`` imports its network on call, so validating a recipe
never imports torch. A new family is one network file plus one schema here (or in a domain
package) decorated with ``@MODELS.register``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

from pydantic import Field

from scrimmage.config.registry import MODELS, Component
from scrimmage.config.types import FiniteFloat, NonNegativeInt, PositiveInt

if TYPE_CHECKING:
    from torch import nn

    from scrimmage.data.datamodule import InputSpec


@MODELS.register
class MLPConfig(Component):
    """Multi-layer perceptron over numeric features plus learned categorical embeddings."""

    name: Literal["mlp"] = "mlp"
    hidden: list[PositiveInt] = Field([64, 32], min_length=1, description="Hidden layer widths, each >= 1.")
    dropout: FiniteFloat = Field(0.1, ge=0, lt=1, description="Dropout probability after each hidden layer.")
    activation: Literal["relu", "gelu", "silu", "tanh"] = Field("gelu", description="Hidden activation function.")
    embedding_dim: NonNegativeInt = Field(8, ge=0, description="Width of each categorical embedding (0 disables embeddings).")
    batch_norm: bool = Field(False, description="Batch normalisation after each hidden linear layer.")

    def build(self, spec: InputSpec, n_outputs: int) -> nn.Module:
        from scrimmage.models.mlp import MLP

        return MLP(spec, n_outputs, self.hidden, self.dropout, self.activation, self.embedding_dim, self.batch_norm)
