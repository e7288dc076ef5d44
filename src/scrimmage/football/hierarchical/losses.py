"""The hierarchical model's losses: play, drive and game levels, the state-consistency loss, and their sum.

``total = sum(level weight x level loss)`` over the levels ``play``, ``drive``, ``game`` and
``state`` (the names the ``phases`` callback's ``loss_weights`` set). Inside each level (weights
from ``loss.<level>``):

* play: type cross-entropy (label smoothing 0.1) 0.3, success flags BCE with balanced positive
  weights (negatives/positives of the training plays) 0.4, yards 0.3 as a cross-entropy over
  yard bins; flags and yards are predicted per play type and scored on the row of the real call. Yards are a categorical, not the original's Huber point estimate: a game simulator
  has to *sample* a gain, and a point estimate has no distribution to sample from; the expected
  value of the bins is what the yards error (``yards_ev_mae``) is reported on.
* drive: outcome cross-entropy (smoothing 0.05; unknown results ignored) 0.6, metrics MSE 0.4.
* game: points (0.33 home + 0.33 away + 0.34 margin MSE, standardised; the margin is home - away
  of the two predicted scores, so they cannot disagree), volume, efficiency and explosiveness
  MSE, and a home-win BCE (the win-probability output; an addition), 0.25 each by default.
  **Weighting over plays**: the game head predicts at every play; each game's game-level loss
  puts ``pregame_share`` (0.5) on its play-0 (pregame) prediction and spreads the rest evenly
  over its live plays, and every game counts once whatever its length. With a plain mean over
  ~165 plays the pregame prediction would get 0.6% of the signal.
* state (consistency of the predictions with the game state and each other):
  transition validity 0.4 (probability on yard bins beyond the goal line or behind the own goal
  line, x ``impossible_state`` 10), hierarchical consistency 0.4 (play-level scoring vs the drive
  head: P(touchdown on this play) above P(drive ends in a touchdown, interception or fumble),
  P(turnover) above P(interception or fumble), P(punt call) above P(drive ends in a punt),
  P(field-goal call) above P(field goal or missed field goal); x ``inconsistent_prediction`` 5),
  temporal coherence 0.2 (projected final score below the current score, projected drive plays
  below the plays already run in it, in standardised units; x ``temporal_violation`` 3).
"""

from __future__ import annotations

from typing import Any

import torch
from torch import Tensor

from scrimmage.football.datasets.targets import DRIVE_OUTCOMES, PLAY_FLAGS, STAT_GROUPS, YARD_BINS
from scrimmage.football.hierarchical.model import given_call, mixture
from scrimmage.losses.masked import (
    masked_mean,
    sequence_bce,
    sequence_cross_entropy,
    squared_error,
    weighted_sum,
)

LEVELS = ("play", "drive", "game", "state")
_O = {name: i for i, name in enumerate(DRIVE_OUTCOMES)}
_F = {name: i for i, name in enumerate(PLAY_FLAGS)}
_GROUP_SLICES: dict[str, slice] = {}
_start = 0
for _name, _group in STAT_GROUPS.items():
    _GROUP_SLICES[_name] = slice(_start, _start + len(_group))
    _start += len(_group)


def game_step_weights(mask: Tensor, pregame_share: float) -> Tensor:
    """``[N, T]`` weights summing to 1 per game: ``pregame_share`` on play 0, the rest evenly on the live plays."""
    m = mask.to(torch.float32)
    live = (m.sum(1, keepdim=True) - 1).clamp_min(1)
    w = m * (1 - pregame_share) / live
    first = torch.where(m.sum(1) > 1, torch.full_like(m[:, 0], pregame_share), m[:, 0])
    return torch.cat([first.unsqueeze(1), w[:, 1:]], dim=1)


def impossible_bins(yards_to_goal: Tensor) -> Tensor:
    """``[N, T, B]`` true where a yard bin lies wholly beyond the goal line or behind the own goal line."""
    lo = torch.tensor([b[0] for b in YARD_BINS], device=yards_to_goal.device, dtype=yards_to_goal.dtype)
    hi = torch.tensor([b[1] for b in YARD_BINS], device=yards_to_goal.device, dtype=yards_to_goal.dtype)
    ytg = yards_to_goal.unsqueeze(-1)
    return (lo > ytg) | (hi < ytg - 100)


class StateConsistency:
    """The three state-consistency parts per step (see the module docstring); ``scaler`` gives real units."""

    def __init__(self, options: Any, play_classes: tuple[str, ...]):
        self.o = options
        self.punt = play_classes.index("punt") if "punt" in play_classes else None
        self.fg = play_classes.index("field_goal") if "field_goal" in play_classes else None

    def parts(self, out: dict[str, Tensor], batch: dict[str, Tensor], scaler: Any) -> dict[str, Tensor]:
        call = torch.softmax(out["play_type"], -1)  # the checks read the prediction before the call is known
        yards_p = mixture(call, torch.softmax(out["yard_logits"], -1))
        transition = (yards_p * impossible_bins(batch["yards_to_goal"].float())).sum(-1)

        flags = mixture(call, torch.sigmoid(out["play_flags"]))
        drive = torch.softmax(out["drive_outcome"], -1)
        relu = torch.relu
        ends_with_score_or_turnover = drive[..., [_O["touchdown"], _O["interception"], _O["fumble"]]].sum(-1)
        turnover = drive[..., [_O["interception"], _O["fumble"]]].sum(-1)
        hierarchy = relu(flags[..., _F["touchdown"]] - ends_with_score_or_turnover) + relu(flags[..., _F["turnover"]] - turnover)
        if self.punt is not None:
            hierarchy = hierarchy + relu(call[..., self.punt] - drive[..., _O["punt"]])
        if self.fg is not None:
            hierarchy = hierarchy + relu(call[..., self.fg] - drive[..., [_O["field_goal"], _O["missed_field_goal"]]].sum(-1))

        final = out["game_points"] * scaler.points_std + scaler.points_mean  # real points [N, T, 2]
        behind = relu(batch["score_before"].float() - final) / scaler.points_std
        plays_index = 1  # DRIVE_METRICS[1] == "plays"
        drive_plays = out["drive_metrics"][..., plays_index] * scaler.drive_std[plays_index] + scaler.drive_mean[plays_index]
        short = relu(batch["play_in_drive"].float() - drive_plays) / scaler.drive_std[plays_index]
        temporal = behind.sum(-1) + short
        return {"transition": transition, "hierarchy": hierarchy, "temporal": temporal}

    def loss(self, out: dict[str, Tensor], batch: dict[str, Tensor], scaler: Any) -> Tensor:
        parts, mask = self.parts(out, batch, scaler), batch["mask"].bool()
        o = self.o
        return (o.transition * o.impossible_state * masked_mean(parts["transition"], mask)
                + o.hierarchy * o.inconsistent_prediction * masked_mean(parts["hierarchy"], mask)
                + o.temporal * o.temporal_violation * masked_mean(parts["temporal"], mask))


class HierarchicalLoss:
    """``(outputs, prepared batch, scaler) -> (total, [play, drive, game, state])`` (see the module docstring)."""

    def __init__(self, cfg: Any, info: Any):
        self.cfg = cfg
        self.levels = {name: float(cfg.levels.get(name, 1.0)) for name in LEVELS}
        self.base_levels = dict(self.levels)
        self.pos_weight: Tensor | None = None
        self.state = StateConsistency(cfg.state, tuple(info.class_names))

    def fit(self, train: dict[str, Tensor]) -> None:
        from scrimmage.losses.masked import balanced_pos_weight

        self.pos_weight = balanced_pos_weight(train["play_flags"], train["mask"])

    def level_losses(self, out: dict[str, Tensor], batch: dict[str, Tensor], scaler: Any) -> dict[str, Tensor]:
        mask = batch["mask"].bool()
        p, d, g = self.cfg.play, self.cfg.drive, self.cfg.game
        pos_weight = self.pos_weight.to(out["play_flags"].device) if self.pos_weight is not None else None
        play = (p.type * masked_mean(sequence_cross_entropy(out["play_type"], batch["play_type"], mask, p.label_smoothing), mask)
                + p.success * masked_mean(sequence_bce(given_call(out["play_flags"], batch["play_type"]), batch["play_flags"],
                                                       pos_weight), mask)
                + p.yards * masked_mean(sequence_cross_entropy(given_call(out["yard_logits"], batch["play_type"]),
                                                               batch["yard_bin"], mask), mask))
        known = mask & (batch["drive_outcome"] >= 0)
        drive = (d.outcome * masked_mean(sequence_cross_entropy(out["drive_outcome"], batch["drive_outcome"], mask,
                                                                d.label_smoothing), known)
                 + d.metrics * masked_mean(squared_error(out["drive_metrics"], batch["drive_metrics"]), mask))

        weights = game_step_weights(mask, g.pregame_share)
        points = out["game_points"]
        target = batch["game_points"].unsqueeze(1)
        real = points * scaler.points_std + scaler.points_mean  # the margin is derived from the two scores
        margin = (real[..., 0] - real[..., 1] - scaler.margin_mean) / scaler.margin_std
        wh, wa, wm = g.points_weights
        points_loss = (wh * squared_error(points[..., 0], target[..., 0]) + wa * squared_error(points[..., 1], target[..., 1])
                       + wm * squared_error(margin, batch["game_margin"].unsqueeze(1)))
        stats_target = batch["game_stats"].unsqueeze(1)
        game_steps = g.points * points_loss
        for name, part in _GROUP_SLICES.items():
            weight = getattr(g, name)
            if weight:
                game_steps = game_steps + weight * squared_error(out["game_stats"][..., part], stats_target[..., part]).mean(-1)
        if g.win:
            margin_true = batch["game_margin"] * scaler.margin_std + scaler.margin_mean
            win = torch.where(margin_true > 0, 1.0, torch.where(margin_true < 0, 0.0, 0.5)).unsqueeze(1).expand_as(out["win_logit"])
            game_steps = game_steps + g.win * sequence_bce(out["win_logit"], win)
        game = weighted_sum(game_steps, weights)
        state = self.state.loss(out, batch, scaler)
        return {"play": play, "drive": drive, "game": game, "state": state}

    def __call__(self, out: dict[str, Tensor], batch: dict[str, Tensor], scaler: Any) -> tuple[Tensor, Tensor]:
        levels = self.level_losses(out, batch, scaler)
        total = sum(self.levels[name] * levels[name] for name in LEVELS)
        return total, torch.stack([levels[name].detach() for name in LEVELS])
