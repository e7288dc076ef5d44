"""The hierarchical network is causal: changing a later play never changes an earlier prediction."""

from __future__ import annotations

import pytest
import torch

from scrimmage.data.datamodule import InputSpec
from scrimmage.football.datasets.targets import GAME_STATS, PLAY_FLAGS, YARD_BINS
from scrimmage.football.hierarchical.configs import HierarchicalModelConfig

CLASSES = ("run", "pass", "punt", "field_goal", "kneel", "spike")
SPEC = InputSpec(7, ("home", "away", "margin"), {"team": (5, 2), "season": (3, 1)}, class_names=CLASSES)


def _batch(n: int = 3, steps: int = 12) -> dict[str, torch.Tensor]:
    g = torch.Generator().manual_seed(0)
    mask = torch.ones(n, steps, dtype=torch.bool)
    mask[1, 8:] = False
    return {"x": torch.randn(n, steps, 7, generator=g), "mask": mask,
            "cat": torch.stack([torch.randint(0, 5, (n, steps), generator=g), torch.randint(0, 5, (n, steps), generator=g),
                                torch.randint(0, 3, (n, steps), generator=g)], dim=-1)}


@pytest.mark.parametrize("encoder", ["lstm", "gru", "transformer"])
def test_changing_a_later_play_never_changes_an_earlier_prediction(encoder):
    torch.manual_seed(0)
    cfg = HierarchicalModelConfig(encoder=encoder, hidden=[16, 8], dropout=[0.1, 0.1], d_model=16, heads=2, ff_width=32,
                                  play_head=[8], drive_head=[8], game_head=[8])
    net = cfg.build(SPEC, len(CLASSES)).eval()
    batch = _batch()
    out = net(batch)
    assert out["play_type"].shape == (3, 12, len(CLASSES))
    assert out["yard_logits"].shape == (3, 12, len(CLASSES), len(YARD_BINS))  # a yard distribution per play type
    assert out["play_flags"].shape == (3, 12, len(CLASSES), len(PLAY_FLAGS))
    assert out["game_stats"].shape == (3, 12, len(GAME_STATS)) and out["win_logit"].shape == (3, 12)
    for t in (0, 5, 10):
        changed = {k: v.clone() for k, v in batch.items()}
        changed["x"][:, t + 1 :] += 100.0
        changed["cat"][:, t + 1 :] = (changed["cat"][:, t + 1 :] + 1) % 3
        later = net(changed)
        for name, value in out.items():
            assert torch.allclose(value[:, : t + 1], later[name][:, : t + 1], atol=1e-5), (encoder, name, t)
            assert not torch.allclose(value[:, t + 1 :], later[name][:, t + 1 :]), (encoder, name, t)


def test_padding_never_reaches_a_real_play():
    net = HierarchicalModelConfig(hidden=[8, 8], dropout=[0.0, 0.0], play_head=[], drive_head=[], game_head=[]).build(SPEC, 6).eval()
    batch = _batch()
    out = net(batch)
    batch["x"][1, 8:] = float("nan")  # game 1 has 8 real plays
    again = net(batch)
    assert torch.allclose(out["game_points"][1, :8], again["game_points"][1, :8])
