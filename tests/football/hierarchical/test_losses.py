"""The hierarchical model's losses on hand-made cases (no data needed)."""

from __future__ import annotations

import math

import pytest
import torch

from scrimmage.football.datasets.targets import DRIVE_OUTCOMES, PLAY_FLAGS, YARD_BINS
from scrimmage.football.hierarchical.configs import HierarchicalLossConfig
from scrimmage.football.hierarchical.losses import StateConsistency, game_step_weights, impossible_bins
from scrimmage.losses.configs import LossInfo
from scrimmage.losses.masked import (
    balanced_pos_weight,
    expected_calibration_error,
    masked_mean,
    sequence_cross_entropy,
    weighted_sum,
)

CLASSES = ("run", "pass", "punt", "field_goal", "kneel", "spike")


def test_masked_mean_ignores_padding_whatever_it_holds():
    values = torch.tensor([[1.0, 3.0, 1e9], [2.0, float("nan"), float("nan")]]).nan_to_num(1e9)
    mask = torch.tensor([[True, True, False], [True, False, False]])
    assert masked_mean(values, mask).item() == pytest.approx(2.0)


def test_sequence_cross_entropy_masks_and_ignores_unknown_targets():
    logits = torch.zeros(1, 3, 4)
    target = torch.tensor([[0, -1, 2]])
    mask = torch.tensor([[True, True, False]])
    loss = sequence_cross_entropy(logits, target, mask)
    assert loss[0, 0].item() == pytest.approx(math.log(4))
    assert loss[0, 1].item() == 0.0 and loss[0, 2].item() == 0.0


def test_balanced_pos_weight_is_negatives_over_positives_on_real_steps():
    target = torch.tensor([[[1.0, 0.0], [0.0, 0.0], [1.0, 1.0]]])
    mask = torch.tensor([[True, True, False]])
    assert balanced_pos_weight(target, mask).tolist() == [1.0, 2.0]  # label 2 has no positive: 2 / max(0, 1)


def test_game_step_weights_put_the_pregame_share_on_play_zero_and_sum_to_one_per_game():
    mask = torch.tensor([[True] * 5, [True, True, False, False, False], [True, False, False, False, False]])
    w = game_step_weights(mask, 0.5)
    assert w.sum(1).tolist() == pytest.approx([1.0, 1.0, 1.0])
    assert w[0].tolist() == pytest.approx([0.5, 0.125, 0.125, 0.125, 0.125])
    assert w[1, :2].tolist() == pytest.approx([0.5, 0.5]) and w[2, 0].item() == 1.0
    assert weighted_sum(torch.ones(3, 5), w).item() == pytest.approx(1.0)  # each game counts once


def test_calibration_error_is_count_weighted():
    prob = torch.tensor([0.1, 0.1, 0.9, 0.9])
    assert expected_calibration_error(prob, torch.tensor([0.0, 0.0, 1.0, 1.0]), 20) == pytest.approx(0.1)
    assert expected_calibration_error(torch.tensor([0.5] * 4), torch.tensor([1.0, 1.0, 1.0, 0.0]), 20) == pytest.approx(0.25)


def test_impossible_bins_beyond_the_goal_line_and_behind_the_own_goal_line():
    bad = impossible_bins(torch.tensor([[5.0, 95.0]]))
    lows = [lo for lo, _ in YARD_BINS]
    five_yards = lows.index(5)
    assert not bad[0, 0, five_yards] and bad[0, 0, five_yards + 1]  # 5 to go: a 6-yard gain is impossible
    assert not bad[0, 0, 0]  # 95 yards behind: a 10+ yard loss is possible
    assert bad[0, 1, 0] and bad[0, 1, lows.index(-6)] and not bad[0, 1, lows.index(-5)]  # 5 yards from own goal line


class _Scaler:
    points_mean = torch.tensor([22.0, 20.0])
    points_std = torch.tensor([10.0, 10.0])
    drive_mean = torch.tensor([30.0, 6.0, 150.0, 2.0, 5.0])
    drive_std = torch.tensor([20.0, 3.0, 90.0, 1.5, 10.0])
    margin_mean = torch.tensor([2.0])
    margin_std = torch.tensor([14.0])


def _outputs(n_steps: int = 1) -> dict[str, torch.Tensor]:
    shape = (1, n_steps)
    return {
        "play_type": torch.zeros(*shape, len(CLASSES)), "play_flags": torch.full((*shape, len(CLASSES), len(PLAY_FLAGS)), -10.0),
        "yard_logits": torch.zeros(*shape, len(CLASSES), len(YARD_BINS)), "drive_outcome": torch.zeros(*shape, len(DRIVE_OUTCOMES)),
        "drive_metrics": torch.zeros(*shape, 5), "game_points": torch.zeros(*shape, 2), "game_stats": torch.zeros(*shape, 20),
        "win_logit": torch.zeros(*shape),
    }


def _state(yards_to_goal: float = 50.0, score=(0.0, 0.0), play_in_drive: float = 1.0) -> dict[str, torch.Tensor]:
    return {"yards_to_goal": torch.tensor([[yards_to_goal]]), "score_before": torch.tensor([[list(score)]]),
            "play_in_drive": torch.tensor([[play_in_drive]]), "mask": torch.tensor([[True]])}


def test_state_consistency_transition_part_is_the_impossible_yard_mass():
    state = StateConsistency(HierarchicalLossConfig().state, CLASSES)
    out = _outputs()
    out["yard_logits"][..., [lo for lo, _ in YARD_BINS].index(20)] = 50.0  # all mass on a 20-yard gain
    assert state.parts(out, _state(10.0), _Scaler)["transition"].item() == pytest.approx(1.0, abs=1e-4)
    assert state.parts(out, _state(30.0), _Scaler)["transition"].item() == pytest.approx(0.0, abs=1e-4)


def test_state_consistency_hierarchy_part_flags_a_touchdown_the_drive_head_denies():
    state = StateConsistency(HierarchicalLossConfig().state, CLASSES)
    out = _outputs()
    out["play_flags"][..., PLAY_FLAGS.index("touchdown")] = 10.0
    out["drive_outcome"][..., DRIVE_OUTCOMES.index("punt")] = 20.0
    out["play_type"][..., CLASSES.index("pass")] = 20.0
    assert state.parts(out, _state(), _Scaler)["hierarchy"].item() == pytest.approx(1.0, abs=1e-3)
    out["drive_outcome"][..., DRIVE_OUTCOMES.index("touchdown")] = 40.0
    assert state.parts(out, _state(), _Scaler)["hierarchy"].item() == pytest.approx(0.0, abs=1e-3)


def test_state_consistency_temporal_part_flags_final_scores_below_the_current_score():
    state = StateConsistency(HierarchicalLossConfig().state, CLASSES)
    out = _outputs()  # projects 22-20 and a 6-play drive
    assert state.parts(out, _state(score=(21.0, 14.0)), _Scaler)["temporal"].item() == pytest.approx(0.0)
    assert state.parts(out, _state(score=(32.0, 14.0)), _Scaler)["temporal"].item() == pytest.approx(1.0)  # 10 pts / std 10
    assert state.parts(out, _state(play_in_drive=9.0), _Scaler)["temporal"].item() == pytest.approx(1.0)  # 3 plays / std 3
    parts = state.parts(out, _state(score=(32.0, 14.0)), _Scaler)
    expected = 0.4 * 10 * parts["transition"] + 0.4 * 5 * parts["hierarchy"] + 0.2 * 3 * parts["temporal"]
    assert state.loss(out, _state(score=(32.0, 14.0)), _Scaler).item() == pytest.approx(expected.item(), abs=1e-5)


def test_level_weights_scale_the_total():
    cfg = HierarchicalLossConfig(levels={"play": 1.0, "drive": 0.0, "game": 0.0, "state": 0.0})
    loss = cfg.build(LossInfo("hierarchical", ("home", "away", "margin"), CLASSES))
    levels = {"play": torch.tensor(2.0), "drive": torch.tensor(3.0), "game": torch.tensor(5.0), "state": torch.tensor(7.0)}
    loss.level_losses = lambda out, batch, scaler: levels  # type: ignore[method-assign]
    total, parts = loss({}, {}, None)
    assert total.item() == 2.0 and parts.tolist() == [2.0, 3.0, 5.0, 7.0]
    loss.levels = {"play": 0.5, "drive": 1.0, "game": 1.0, "state": 1.0}
    assert loss({}, {}, None)[0].item() == pytest.approx(1.0 + 3 + 5 + 7)
