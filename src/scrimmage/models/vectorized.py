"""A stack of ``mlp`` members trained as one module: a seed ensemble on batched matrix products.

Each member is an ordinary :class:`~scrimmage.models.mlp.MLP` (same options: hidden, dropout,
activation, embeddings), built under its own seed so member ``i`` starts from exactly the weights
a sequential run with that seed would initialise; the members' tensors are stacked along a leading
member axis ``M``. Linear layers are ``torch.baddbmm(bias [M, 1, out], x [M, B, in], W [M, in, out])``
(CORL's ``VectorizedLinear``), embedding tables are ``[M, cardinality, dim]`` gathered per member,
and dropout is elementwise, so every member draws its own mask.

Measured here (2-core CPU shared with other jobs, ``torch.set_num_threads(1)``, 20 members of the
pregame-regression-sized mlp: 40 features, two categorical columns embedded in 4, hidden [128, 64], 3 outputs, batch 256;
forward + backward + AdamW step; ``python -m scrimmage.models.vectorized``), ms per step, two runs:

==================  =====================  =====================
                    dropout 0.4            dropout 0
==================  =====================  =====================
batched matmul      14.5, 25.3             9.6, 7.6
torch.func vmap     27.3, 44.8             9.5, 12.3
20 separate mlps    62.3, 42.4             41.2, 36.5
==================  =====================  =====================

Without dropout the two stacked forms cost the same; with dropout vmap (``randomness="different"``)
draws each mask with ``bernoulli_``, which was half of the step, where this module draws it with
``uniform_`` (2.7x cheaper on the CPU). So the batched-matmul layer is kept; it also keeps a plain
``state_dict`` (no functional-call plumbing) and runs one member alone cheaply. It is hand-written
because torch has no stacked linear layer.

Modes (``forward`` reads ``self.mode``, set with :meth:`VectorizedMLP.use`):

* ``"mean"`` (the default): an ordinary ``[N, ...]`` batch in, the members' mean output ``[N, out]``
  out, so every task, report, export and predict path scores the ensemble like one model;
* ``"stacked"``: each tensor of the batch has the member axis first (``x [M, B, F]``), output
  ``[M, B, out]``: what training uses, one data order per member;
* ``"all"``: an ordinary batch in, every member's output ``[M, N, out]``;
* an ``int`` ``m``: member ``m`` alone on an ordinary batch (validation, per member).
"""

from __future__ import annotations

import contextlib
import sys
import time
from collections.abc import Iterator, Sequence
from typing import Any

import torch
from torch import Tensor, nn
from torch.nn import functional as F

from scrimmage.data.datamodule import InputSpec
from scrimmage.errors import ConfigError, DataError
from scrimmage.models.mlp import MLP

_ACTIVATIONS = {"relu": F.relu, "gelu": F.gelu, "silu": F.silu, "tanh": torch.tanh}


class VectorizedMLP(nn.Module):
    """``members`` independent mlps with stacked weights (see the module docstring)."""

    def __init__(self, spec: InputSpec, n_outputs: int, members: int, hidden: Sequence[int], dropout: float = 0.0,
                 activation: str = "gelu", embedding_dim: int = 8):
        super().__init__()
        if members < 1:
            raise ConfigError(f"an ensemble needs at least one member, got {members}.")
        if spec.window:
            raise ConfigError("the vectorized mlp takes one row of features per example; windowed inputs "
                              f"(window {spec.window}) train with the supervised loop.")
        self.members, self.dropout, self.activation = int(members), float(dropout), activation
        self.hidden, self.embedding_dim, self.n_outputs = [int(h) for h in hidden], int(embedding_dim), int(n_outputs)
        self.spec = spec
        self.groups = list(spec.categorical.items()) if embedding_dim > 0 else []
        self.embeddings = nn.ParameterList(
            nn.Parameter(torch.zeros(members, card, embedding_dim)) for _, (card, _) in self.groups
        )
        width = spec.n_features + sum(n_cols * embedding_dim for _, (_, n_cols) in self.groups)
        self.weights = nn.ParameterList()
        self.biases = nn.ParameterList()
        for size in [*self.hidden, n_outputs]:
            self.weights.append(nn.Parameter(torch.zeros(members, width, size)))
            self.biases.append(nn.Parameter(torch.zeros(members, 1, size)))
            width = size
        self.mode: str | int = "mean"

    # ---- members in and out ----------------------------------------------------------------
    @classmethod
    def from_seeds(cls, spec: InputSpec, n_outputs: int, seeds: Sequence[int], hidden: Sequence[int],
                   dropout: float = 0.0, activation: str = "gelu", embedding_dim: int = 8) -> VectorizedMLP:
        """Member ``i`` initialised as ``torch.manual_seed(seeds[i])`` then ``MLP(...)`` would be (a sequential
        run seeds torch with its seed before building its model); the caller's torch RNG state is kept."""
        state = torch.get_rng_state()
        try:
            members = []
            for seed in seeds:
                torch.manual_seed(int(seed))
                members.append(MLP(spec, n_outputs, list(hidden), dropout, activation, embedding_dim))
        finally:
            torch.set_rng_state(state)
        return cls.from_members(members, spec, n_outputs, hidden, dropout, activation, embedding_dim)

    @classmethod
    def from_members(cls, members: Sequence[MLP], spec: InputSpec, n_outputs: int, hidden: Sequence[int],
                     dropout: float = 0.0, activation: str = "gelu", embedding_dim: int = 8) -> VectorizedMLP:
        """Stack the weights of plain mlps (copied) into one module."""
        stacked = cls(spec, n_outputs, len(members), hidden, dropout, activation, embedding_dim)
        with torch.no_grad():
            for i, member in enumerate(members):
                for table, embedding in zip(stacked.embeddings, member.embeddings, strict=True):
                    table[i].copy_(embedding.weight)
                for weight, bias, linear in zip(stacked.weights, stacked.biases, _linears(member), strict=True):
                    weight[i].copy_(linear.weight.T)
                    bias[i, 0].copy_(linear.bias)
        return stacked

    def member_module(self, index: int) -> MLP:
        """Member ``index`` as a plain ``mlp`` (its weights copied), for any path that scores one model."""
        mlp = MLP(self.spec, self.n_outputs, self.hidden, self.dropout, self.activation, self.embedding_dim)
        with torch.no_grad():
            for table, embedding in zip(self.embeddings, mlp.embeddings, strict=True):
                embedding.weight.copy_(table[index])
            for weight, bias, linear in zip(self.weights, self.biases, _linears(mlp), strict=True):
                linear.weight.copy_(weight[index].T)
                linear.bias.copy_(bias[index, 0])
        return mlp.train(self.training)

    @contextlib.contextmanager
    def use(self, mode: str | int) -> Iterator[None]:
        """Run in ``mode`` (``"stacked"``, ``"all"``, ``"mean"`` or a member index) inside the block."""
        if isinstance(mode, int) and not 0 <= mode < self.members:
            raise IndexError(f"member {mode} of {self.members}")
        previous, self.mode = self.mode, mode
        try:
            yield
        finally:
            self.mode = previous

    # ---- forward ---------------------------------------------------------------------------
    def forward(self, batch: dict[str, Tensor]) -> Tensor:
        mode = self.mode
        if isinstance(mode, int):
            return self._forward_one(batch, mode)
        if mode == "stacked":
            return self._forward_stacked(batch)
        x = batch["x"]
        if x.dim() != 2:
            raise DataError(f"an mlp takes x of shape [N, features], got {list(x.shape)}")
        expanded = {k: v.unsqueeze(0).expand(self.members, *v.shape) for k, v in batch.items() if k in ("x", "cat")}
        out = self._forward_stacked(expanded)
        return out if mode == "all" else out.mean(0)

    def _inputs(self, batch: dict[str, Tensor], pick: Any) -> list[Tensor]:
        parts = [batch["x"]]
        column = 0
        for table, (_, (_, n_cols)) in zip(self.embeddings, self.groups, strict=True):
            ids = batch["cat"][..., column : column + n_cols]
            parts.append(pick(table, ids).flatten(-2))
            column += n_cols
        return parts

    def _forward_stacked(self, batch: dict[str, Tensor]) -> Tensor:
        x = batch["x"]
        if x.dim() != 3 or x.shape[0] != self.members:
            raise DataError(f"stacked inputs need x [members={self.members}, N, features], got {list(x.shape)}")
        rows = torch.arange(self.members, device=x.device).view(-1, 1, 1)
        h = torch.cat(self._inputs(batch, lambda table, ids: table[rows, ids]), dim=-1)
        act = _ACTIVATIONS[self.activation]
        last = len(self.weights) - 1
        for i, (weight, bias) in enumerate(zip(self.weights, self.biases, strict=True)):
            h = torch.baddbmm(bias, h, weight)
            if i < last:
                h = _dropout(act(h), self.dropout, self.training)
        return h

    def _forward_one(self, batch: dict[str, Tensor], m: int) -> Tensor:
        h = torch.cat(self._inputs(batch, lambda table, ids: F.embedding(ids, table[m])), dim=-1)
        act = _ACTIVATIONS[self.activation]
        last = len(self.weights) - 1
        for i, (weight, bias) in enumerate(zip(self.weights, self.biases, strict=True)):
            h = torch.addmm(bias[m], h, weight[m])
            if i < last:
                h = _dropout(act(h), self.dropout, self.training)
        return h


def _dropout(h: Tensor, p: float, training: bool) -> Tensor:
    """Inverted dropout with a mask from ``uniform_``: on the CPU ``bernoulli_`` (what ``F.dropout`` draws with)
    takes 13 ms for a [20, 256, 128] mask where ``uniform_`` takes 4.8 ms, and it was half of a training step."""
    if not training or p == 0.0:
        return h
    return h * torch.rand_like(h).ge_(p).mul_(1.0 / (1.0 - p))


def _linears(mlp: MLP) -> list[nn.Linear]:
    return [layer for layer in mlp.net if isinstance(layer, nn.Linear)]


def _measure(members: int = 20, steps: int = 200, dropout: float = 0.4) -> dict[str, float]:
    """Milliseconds per training step: batched matmul, torch.func vmap, and separate modules."""
    from torch.func import functional_call, stack_module_state, vmap

    torch.set_num_threads(1)
    spec = InputSpec(40, ("y0", "y1", "y2"), {"entity": (32, 2)})  # the shape of a pregame regression
    batch = {"x": torch.randn(members, 256, 40), "cat": torch.randint(0, 32, (members, 256, 2)), "y": torch.randn(members, 256, 3)}
    seeds = list(range(members))
    out: dict[str, float] = {}

    stacked = VectorizedMLP.from_seeds(spec, 3, seeds, [128, 64], dropout, "gelu", 4).train()
    stacked.mode = "stacked"
    opt = torch.optim.AdamW(stacked.parameters(), lr=3e-4)

    def step_bmm() -> None:
        loss = F.mse_loss(stacked(batch), batch["y"]) * members
        loss.backward()
        opt.step()
        opt.zero_grad()

    modules = [MLP(spec, 3, [128, 64], dropout, "gelu", 4).train() for _ in seeds]
    params, buffers = stack_module_state(modules)
    leaves = [nn.Parameter(p) for p in params.values()]
    params = dict(zip(params, leaves, strict=True))
    base = MLP(spec, 3, [128, 64], dropout, "gelu", 4).to("meta")
    vopt = torch.optim.AdamW(leaves, lr=3e-4)

    def one(p: dict[str, Tensor], b: dict[str, Tensor], x: Tensor, cat: Tensor) -> Tensor:
        return functional_call(base, (p, b), ({"x": x, "cat": cat},))

    vforward = vmap(one, randomness="different")

    def step_vmap() -> None:
        loss = F.mse_loss(vforward(params, buffers, batch["x"], batch["cat"]), batch["y"]) * members
        loss.backward()
        vopt.step()
        vopt.zero_grad()

    sopts = [torch.optim.AdamW(m.parameters(), lr=3e-4) for m in modules]

    def step_loop() -> None:
        for i, (module, sopt) in enumerate(zip(modules, sopts, strict=True)):
            F.mse_loss(module({"x": batch["x"][i], "cat": batch["cat"][i]}), batch["y"][i]).backward()
            sopt.step()
            sopt.zero_grad()

    for name, step in (("bmm", step_bmm), ("vmap", step_vmap), ("separate", step_loop)):
        for _ in range(10):
            step()
        started = time.perf_counter()
        for _ in range(steps):
            step()
        out[name] = (time.perf_counter() - started) / steps * 1000
    return out


if __name__ == "__main__":  # the measurement quoted in the module docstring
    sys.stdout.write(f"dropout 0.4: {_measure()}; dropout 0: {_measure(dropout=0.0)}\n")
