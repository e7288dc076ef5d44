"""The simulator's calibration offsets: fitted on real plays, they recover a known miscalibration."""

from __future__ import annotations

import torch

from scrimmage.football.hierarchical.calibration import fit_calibration


def test_offsets_recover_a_known_shift_of_the_logits():
    torch.manual_seed(0)
    n, k, bins = 20_000, 3, 5
    true_type = torch.randn(n, k)
    call = torch.distributions.Categorical(logits=true_type).sample()
    true_turnover = torch.randn(n) - 3
    turnover = torch.bernoulli(torch.sigmoid(true_turnover))
    true_yards = torch.randn(n, bins)
    yard_bin = torch.distributions.Categorical(logits=true_yards).sample()
    shift = torch.tensor([1.0, -0.5, 0.3])  # a head that overrates class 0 and underrates class 1
    fitted = fit_calibration(true_type + shift, call, true_turnover + 2.0, turnover, true_yards - 1.0 * (torch.arange(bins) == 2),
                             yard_bin)
    recovered = torch.softmax(true_type + shift + fitted["call_bias"][0], -1).mean(0)  # no downs given: all first
    torch.testing.assert_close(recovered, torch.softmax(true_type, -1).mean(0), atol=0.01, rtol=0)
    torch.testing.assert_close(fitted["turnover_bias"], torch.full((k,), -2.0), atol=0.25, rtol=0)
    for c in range(k):  # each call's bin offsets undo the -1 on bin 2 (up to a constant)
        b = fitted["yard_bias"][c]
        assert abs(float(b[2] - b[[0, 1, 3, 4]].mean()) - 1.0) < 0.2


def test_rare_calls_keep_zero_offsets():
    call = torch.zeros(1000, dtype=torch.long)
    call[:5] = 1  # 5 plays of call 1: too few to fit
    fitted = fit_calibration(torch.zeros(1000, 2), call, torch.zeros(1000), torch.zeros(1000), torch.zeros(1000, 4),
                             torch.zeros(1000, dtype=torch.long))
    assert bool((fitted["yard_bias"][1] == 0).all()) and float(fitted["turnover_bias"][1]) == 0.0
