"""The stacked mlp: members start as their seeds' mlps, compute what those mlps compute, and come back out as mlps."""

from __future__ import annotations

import pytest
import torch

from scrimmage.data.datamodule import InputSpec
from scrimmage.errors import ConfigError, DataError
from scrimmage.models.mlp import MLP
from scrimmage.models.vectorized import VectorizedMLP

SPEC = InputSpec(5, ("a", "b"), {"team": (7, 2)})


def batch(n: int = 6) -> dict[str, torch.Tensor]:
    g = torch.Generator().manual_seed(0)
    return {"x": torch.randn(n, 5, generator=g), "cat": torch.randint(0, 7, (n, 2), generator=g)}


def test_members_are_their_seeds_mlps_in_every_mode():
    stacked = VectorizedMLP.from_seeds(SPEC, 2, [3, 11], [8, 4], 0.3, "tanh", 3).eval()
    inputs = batch()
    twins = []
    for seed in (3, 11):
        torch.manual_seed(seed)
        twins.append(MLP(SPEC, 2, [8, 4], 0.3, "tanh", 3).eval())
    with torch.no_grad():
        expected = torch.stack([twin(inputs) for twin in twins])
        for m, twin in enumerate(twins):
            assert all(torch.equal(a, b) for a, b in zip(stacked.member_module(m).state_dict().values(),
                                                          twin.state_dict().values(), strict=True))
            with stacked.use(m):
                torch.testing.assert_close(stacked(inputs), expected[m])
        with stacked.use("all"):
            torch.testing.assert_close(stacked(inputs), expected)
        torch.testing.assert_close(stacked(inputs), expected.mean(0))  # the default: the members' mean
        with stacked.use("stacked"):  # each member its own rows
            own = {k: torch.stack([v, v.flip(0)]) for k, v in inputs.items()}
            out = stacked(own)
        torch.testing.assert_close(out[1], twins[1]({k: v.flip(0) for k, v in inputs.items()}))


def test_stacked_dropout_draws_a_mask_per_member_and_scales_it():
    stacked = VectorizedMLP.from_members([MLP(SPEC, 2, [64], 0.5, "relu", 3)] * 2, SPEC, 2, [64], 0.5, "relu", 3).train()
    with stacked.use("all"):
        out = stacked(batch(200))
    assert not torch.equal(out[0], out[1])  # same weights, different masks


def test_bad_inputs_and_options_are_named():
    with pytest.raises(ConfigError, match="at least one member"):
        VectorizedMLP(SPEC, 2, 0, [4])
    with pytest.raises(ConfigError, match="windowed"):
        VectorizedMLP(InputSpec(5, ("a",), window=3), 1, 2, [4])
    stacked = VectorizedMLP.from_seeds(SPEC, 2, [1, 2], [4])
    with stacked.use("stacked"), pytest.raises(DataError, match="members=2"):
        stacked(batch())
    with pytest.raises(DataError, match=r"\[N, features\]"):
        stacked({"x": torch.zeros(2, 3, 5), "cat": torch.zeros(2, 3, 2, dtype=torch.long)})
