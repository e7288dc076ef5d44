"""The ``hierarchical`` network: a causal encoder over a game's snaps and three levels of heads per snap.

Encoder: the generic causal sequence networks of :mod:`scrimmage.models` (stacked LSTM/GRU with
layer norm and dropout, or the causal Transformer), their linear head replaced by the identity,
with dropout on the team and season embeddings. Step t reads snaps <= t only (the state before
snap t, never its result), so every head's output at t is a prediction made before the snap:

* play head: logits of the play type and, *for each play type*, of the six success flags and of
  the yard bins (``[..., K, 6]`` and ``[..., K, B]``): what a run gains is not what a pass gains,
  and the simulator samples the call first, then the outcome of that call. The losses read the
  row of the real call; metrics and the consistency checks read the mixture over calls
  (``flag_probs``, ``yard_probs``: the prediction before the snap);
* drive head: logits of the current drive's outcome and its metrics (standardised);
* game head: final home and away points (standardised), the 20 game stats (standardised) and the
  home-win logit. At t = 0 this is the pregame prediction, later the live projection.

:class:`HierarchicalModel` (the task's wrapper) holds the input and target statistics: called
with ``prepared=True`` it returns standardised outputs (what the loss compares); otherwise real
units plus derived outputs (margin = home - away, so the two cannot disagree; win probability;
expected yards).
"""

from __future__ import annotations

from typing import Any

import torch
from torch import Tensor, nn

from scrimmage.data.datamodule import InputSpec
from scrimmage.engine.tasks.scaling import EPS, Standardized, feature_stats
from scrimmage.football.datasets.targets import (
    DRIVE_METRICS,
    DRIVE_OUTCOMES,
    GAME_POINTS,
    GAME_STATS,
    PLAY_FLAGS,
    YARD_BINS,
)
from scrimmage.models.sequence import make_head


class _DroppedEmbeddings(nn.Module):
    """The encoder's step inputs with dropout on the embedding columns (after the numeric features)."""

    def __init__(self, inputs: nn.Module, n_features: int, p: float):
        super().__init__()
        self.inner, self.n_features, self.drop = inputs, n_features, nn.Dropout(p)
        self.width = inputs.width

    def forward(self, batch: dict[str, Tensor]) -> tuple[Tensor, Tensor | None]:
        h, mask = self.inner(batch)
        if h.shape[-1] > self.n_features and self.drop.p > 0:
            h = torch.cat([h[..., : self.n_features], self.drop(h[..., self.n_features :])], dim=-1)
        return h, mask


def build_encoder(spec: InputSpec, cfg: Any) -> tuple[nn.Module, int]:
    if cfg.encoder == "transformer":
        from scrimmage.models.transformer import CausalTransformer

        net = CausalTransformer(spec, 1, cfg.d_model, cfg.heads, cfg.layers, cfg.ff_width, cfg.transformer_dropout,
                                cfg.max_len, "learned", cfg.embedding_dim, "per_step")
        width = cfg.d_model
    else:
        from scrimmage.models.recurrent import RecurrentEncoder

        net = RecurrentEncoder(spec, 1, cfg.encoder, cfg.hidden, cfg.dropout, cfg.layer_norm, cfg.embedding_dim, "per_step")
        width = cfg.hidden[-1]
    net.head = nn.Identity()
    net.inputs = _DroppedEmbeddings(net.inputs, spec.n_features, cfg.embedding_dropout)
    return net, width


class HierarchicalNet(nn.Module):
    def __init__(self, spec: InputSpec, cfg: Any):
        super().__init__()
        self.encoder, width = build_encoder(spec, cfg)
        n_types = len(spec.class_names)
        self.sizes = {
            "play_type": n_types, "play_flags": n_types * len(PLAY_FLAGS), "yard_logits": n_types * len(YARD_BINS),
            "drive_outcome": len(DRIVE_OUTCOMES), "drive_metrics": len(DRIVE_METRICS),
            "game_points": len(GAME_POINTS), "game_stats": len(GAME_STATS), "win_logit": 1,
        }
        play = self.sizes["play_type"] + self.sizes["play_flags"] + self.sizes["yard_logits"]
        drive = self.sizes["drive_outcome"] + self.sizes["drive_metrics"]
        game = self.sizes["game_points"] + self.sizes["game_stats"] + 1
        self.play_head = make_head(width, list(cfg.play_head), cfg.play_dropout, play)
        self.drive_head = make_head(width, list(cfg.drive_head), cfg.drive_dropout, drive)
        self.game_head = make_head(width, list(cfg.game_head), cfg.game_dropout, game)

    def forward(self, batch: dict[str, Tensor]) -> dict[str, Tensor]:
        h = self.encoder(batch)
        parts = torch.cat([self.play_head(h), self.drive_head(h), self.game_head(h)], dim=-1)
        out = dict(zip(self.sizes, parts.split(list(self.sizes.values()), dim=-1), strict=True))
        out["win_logit"] = out["win_logit"].squeeze(-1)
        n_types = self.sizes["play_type"]
        out["play_flags"] = out["play_flags"].unflatten(-1, (n_types, len(PLAY_FLAGS)))
        out["yard_logits"] = out["yard_logits"].unflatten(-1, (n_types, len(YARD_BINS)))
        return out


def given_call(per_call: Tensor, call: Tensor) -> Tensor:
    """``[..., K, D]`` outputs per play type → ``[..., D]``: the row of each step's ``call``."""
    index = call.clamp_min(0).unsqueeze(-1).unsqueeze(-1).expand(*call.shape, 1, per_call.shape[-1])
    return per_call.gather(-2, index).squeeze(-2)


def mixture(call_probs: Tensor, per_call: Tensor) -> Tensor:
    """``[..., K]`` call probabilities and ``[..., K, D]`` per-call probabilities → ``[..., D]`` before the call is known."""
    return (call_probs.unsqueeze(-1) * per_call).sum(-2)


def _stats(values: Tensor) -> tuple[Tensor, Tensor]:
    values = values.float()
    return values.mean(0), values.std(0).clamp_min(EPS)


class HierarchicalModel(Standardized):
    """The net behind input standardisation (real steps only) and target (un)standardisation per head."""

    def __init__(self, net: nn.Module, n_features: int):
        super().__init__(net, n_features, None)
        for name, size in (("drive", len(DRIVE_METRICS)), ("points", len(GAME_POINTS)), ("stats", len(GAME_STATS)),
                           ("margin", 1)):
            self.register_buffer(f"{name}_mean", torch.zeros(size))
            self.register_buffer(f"{name}_std", torch.ones(size))
        self.register_buffer("yard_values", torch.tensor([(lo + hi) / 2 for lo, hi in YARD_BINS], dtype=torch.float32))
        # the success flags' balanced positive weights (negatives / positives of the training plays): the
        # loss trains with them and the simulator's sampler divides them back out of the odds
        self.register_buffer("flag_pos_weight", torch.ones(len(PLAY_FLAGS)))
        # the simulator's calibration offsets, fitted on the validation plays (see .calibration)
        n_types = net.sizes["play_type"] if hasattr(net, "sizes") else 1
        self.register_buffer("call_bias", torch.zeros(4, n_types))
        self.register_buffer("turnover_bias", torch.zeros(n_types))
        self.register_buffer("touchdown_bias", torch.zeros(n_types))
        self.register_buffer("yard_bias", torch.zeros(n_types, len(YARD_BINS)))
        self.register_buffer("calibrated", torch.zeros(()))

    def fit_all(self, tensors: dict[str, Tensor]) -> HierarchicalModel:
        mask = tensors["mask"].bool()
        self.fit(tensors["x"], None, mask)
        for name, values in (("drive", tensors["drive_metrics"][mask]), ("points", tensors["game_points"]),
                             ("stats", tensors["game_stats"])):
            mean, std = _stats(values)
            getattr(self, f"{name}_mean").copy_(mean)
            getattr(self, f"{name}_std").copy_(std)
        points = tensors["game_points"].float()
        mean, std = _stats((points[:, 0] - points[:, 1]).unsqueeze(-1))
        self.margin_mean.copy_(mean)
        self.margin_std.copy_(std)
        # the value of a wide yard bin is the mean gain of the training plays in it (exact for one-yard bins)
        bins, yards = tensors["yard_bin"][mask], tensors["yards"][mask].float()
        count = torch.bincount(bins, minlength=len(YARD_BINS)).float()
        total = torch.bincount(bins, weights=yards, minlength=len(YARD_BINS))
        self.yard_values.copy_(torch.where(count > 0, total / count.clamp_min(1), self.yard_values))
        from scrimmage.losses.masked import balanced_pos_weight

        self.flag_pos_weight.copy_(balanced_pos_weight(tensors["play_flags"], tensors["mask"]))
        return self

    def prepare_targets(self, tensors: dict[str, Tensor]) -> dict[str, Tensor]:
        out = dict(tensors)
        out["x"] = self.scale_inputs(tensors["x"].float())
        out["drive_metrics"] = (tensors["drive_metrics"].float() - self.drive_mean) / self.drive_std
        points = tensors["game_points"].float()
        out["game_points"] = (points - self.points_mean) / self.points_std
        out["game_margin"] = ((points[:, 0] - points[:, 1]) - self.margin_mean) / self.margin_std
        out["game_stats"] = (tensors["game_stats"].float() - self.stats_mean) / self.stats_std
        return out

    def real_units(self, out: dict[str, Tensor]) -> dict[str, Tensor]:
        """Standardised outputs → real units and derived outputs."""
        real = dict(out)
        real["drive_metrics"] = out["drive_metrics"] * self.drive_std + self.drive_mean
        points = out["game_points"] * self.points_std + self.points_mean
        real["game_points"] = points
        real["margin"] = points[..., 0] - points[..., 1]
        real["game_stats"] = out["game_stats"] * self.stats_std + self.stats_mean
        real["home_win_prob"] = torch.sigmoid(out["win_logit"])
        call = torch.softmax(out["play_type"], -1)
        real["flag_probs"] = mixture(call, torch.sigmoid(out["play_flags"]))
        real["yard_probs"] = mixture(call, torch.softmax(out["yard_logits"], -1))
        real["yards_ev"] = real["yard_probs"] @ self.yard_values
        return real

    def forward(self, batch: dict[str, Tensor], prepared: bool = False) -> Any:
        if prepared:
            return self.net(batch)
        return self.real_units(self.net({**batch, "x": self.scale_inputs(batch["x"])}))


__all__ = ["HierarchicalModel", "HierarchicalNet", "feature_stats", "given_call", "mixture"]
