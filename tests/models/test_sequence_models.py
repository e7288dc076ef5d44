"""Sequence networks (lstm, gru, transformer): causal, blind to padding, clear about what they refuse."""

from __future__ import annotations

from unittest import mock

import pytest
import torch
from torch import Tensor, nn

import tests.models.sequences  # noqa: F401  (registers the synthetic-sequences dataset)
from scrimmage.config import load_config
from scrimmage.config.registry import MODELS
from scrimmage.data.datamodule import InputSpec
from scrimmage.engine.tasks.scaling import Standardized, feature_stats, real_steps
from scrimmage.errors import ConfigError, DataError

SPEC = InputSpec(3, ("a", "b"), {"team": (5, 1), "player": (7, 2)})
DATA = ["data.name=synthetic-sequences", "tracking.enabled=false"]
SMALL = {
    "lstm": {"hidden": [12, 8], "dropout": 0.0},
    "gru": {"hidden": [12, 8], "dropout": 0.0},
    "transformer": {"d_model": 16, "heads": 2, "layers": 2, "ff_width": 32, "dropout": 0.0, "max_len": 32},
}
FAMILIES = sorted(SMALL)


def build(name: str, n_outputs: int = 2, **options) -> nn.Module:
    torch.manual_seed(0)
    return MODELS.validate({"name": name, "embedding_dim": 3, **SMALL[name], **options}).build(SPEC, n_outputs)


def sequences(n: int, steps: int, seed: int = 0) -> dict[str, Tensor]:
    g = torch.Generator().manual_seed(seed)
    team = torch.randint(0, 5, (n, steps, 1), generator=g)
    player = torch.randint(0, 7, (n, steps, 2), generator=g)
    return {"x": torch.randn(n, steps, 3, generator=g), "cat": torch.cat([team, player], dim=-1)}


def leaking_steps(net: nn.Module, batch: dict[str, Tensor]) -> list[int]:
    """Steps t whose outputs (at any step <= t) moved when only steps after t were changed."""
    steps = batch["x"].shape[1]
    g = torch.Generator().manual_seed(1)
    with torch.no_grad():
        base = net(batch)
        leaked = []
        for t in range(steps - 1):
            changed = {"x": batch["x"].clone(), "cat": batch["cat"].clone()}
            changed["x"][:, t + 1 :] = 3 * torch.randn(changed["x"][:, t + 1 :].shape, generator=g)
            changed["cat"][:, t + 1 :] = (changed["cat"][:, t + 1 :] + 1) % 5
            out = net(changed)
            assert not torch.allclose(out[:, t + 1 :], base[:, t + 1 :]), "the change must reach the later steps"
            if not torch.allclose(out[:, : t + 1], base[:, : t + 1], atol=1e-6, rtol=0):
                leaked.append(t)
    return leaked


@pytest.mark.parametrize("train_mode", [False, True], ids=["eval", "train"])
@pytest.mark.parametrize("name", FAMILIES)
def test_a_later_step_never_changes_an_earlier_prediction(name, train_mode):
    net = build(name).train(train_mode)  # dropout is 0, so train mode is deterministic (and takes torch's training kernels)
    assert leaking_steps(net, sequences(4, 10)) == []


class BidirectionalLSTM(nn.Module):
    """What the original design had: each step's output also reads the steps after it."""

    def __init__(self):
        super().__init__()
        self.rnn = nn.LSTM(3, 8, batch_first=True, bidirectional=True)
        self.head = nn.Linear(16, 2)

    def forward(self, batch: dict[str, Tensor]) -> Tensor:
        return self.head(self.rnn(batch["x"])[0])


class BatchNormHead(nn.Module):
    """A causal LSTM with batch norm in its head: training-mode statistics pool every step of the batch."""

    def __init__(self):
        super().__init__()
        self.rnn = nn.LSTM(3, 8, batch_first=True)
        self.norm = nn.BatchNorm1d(8)
        self.head = nn.Linear(8, 2)

    def forward(self, batch: dict[str, Tensor]) -> Tensor:
        h = self.rnn(batch["x"])[0]
        return self.head(self.norm(h.transpose(1, 2)).transpose(1, 2))


def test_the_causality_check_catches_non_causal_networks():
    torch.manual_seed(0)
    batch = sequences(4, 10)
    assert leaking_steps(BidirectionalLSTM().eval(), batch) == list(range(9))
    assert leaking_steps(BatchNormHead().train(), batch) == list(range(9))
    unmasked = lambda n, device=None, dtype=None: torch.zeros(n, n, device=device, dtype=dtype)  # noqa: E731
    with mock.patch.object(nn.Transformer, "generate_square_subsequent_mask", unmasked):
        assert leaking_steps(build("transformer").eval(), batch) != []  # the causal mask is what keeps it causal


CASES = [(name, "per_step") for name in FAMILIES] + [
    ("lstm", "last"), ("gru", "mean"), ("transformer", "attention"), ("gru", "attention"), ("transformer", "last"),
]


@pytest.mark.parametrize(("name", "output"), CASES)
def test_padding_never_reaches_real_steps(name, output):
    """Sequences padded (with NaN features and invalid ids) into one batch give what each gives alone, unpadded."""
    net = build(name, output=output).eval()
    lengths, steps = [5, 9, 12], 16
    alone = [sequences(1, length, seed=i) for i, length in enumerate(lengths)]
    batch = {"x": torch.full((3, steps, 3), float("nan")), "cat": torch.full((3, steps, 3), -1),
             "mask": torch.zeros(3, steps, dtype=torch.bool)}
    for i, (seq, length) in enumerate(zip(alone, lengths, strict=True)):
        batch["x"][i, :length], batch["cat"][i, :length], batch["mask"][i, :length] = seq["x"][0], seq["cat"][0], True
    with torch.no_grad():
        out = net(batch)
        assert out.shape == ((3, steps, 2) if output == "per_step" else (3, 2))
        for i, (seq, length) in enumerate(zip(alone, lengths, strict=True)):
            expected = net(seq)[0]
            got = out[i, :length] if output == "per_step" else out[i]
            torch.testing.assert_close(got, expected, atol=1e-5, rtol=1e-5)


def test_a_sequence_longer_than_max_len_is_a_clear_error():
    net = build("transformer", max_len=8).eval()
    assert net(sequences(2, 8)).shape == (2, 8, 2)
    with pytest.raises(DataError, match=r"9 steps is longer than model.max_len=8: raise model.max_len to at least 9"):
        net(sequences(2, 9))


def test_sinusoidal_positions_and_a_head():
    net = build("transformer", positions="sinusoidal", head=[8], output="mean").eval()
    assert net(sequences(2, 6)).shape == (2, 2)
    assert not any("sinusoids" in key for key in net.state_dict())  # fixed table: rebuilt, not checkpointed


def test_flat_inputs_are_refused():
    with pytest.raises(DataError, match=r"takes x of shape \[N, T, features\]"):
        build("gru")({"x": torch.randn(4, 3), "cat": torch.zeros(4, 3, dtype=torch.long)})


@pytest.mark.parametrize(("model", "message"), [
    ("{name: lstm, hidden: [32]}", "dropout has 2 values for 1 layers"),
    ("{name: transformer, d_model: 30, heads: 4}", r"heads \(4\) must divide d_model \(30\)"),
    ("{name: gru, bidirectional: true}", "bidirectional"),
    ("{name: lstm, output: first}", "output"),
])
def test_bad_options_are_config_errors(model, message):
    with pytest.raises(ConfigError, match=message):
        load_config(None, [f"model={model}", *DATA])


def test_defaults_are_the_original_design():
    config = load_config(None, ["model.name=lstm", *DATA]).model
    assert (config.hidden, config.dropouts(), config.layer_norm, config.output) == ([256, 128], [0.15, 0.2], True, "per_step")
    assert load_config(None, ["model={name: gru, hidden: [8, 4, 2], dropout: 0.1}", *DATA]).model.dropouts() == [0.1] * 3


def test_statistics_and_rows_come_from_real_steps_only():
    x = torch.tensor([[[1.0], [3.0], [float("nan")]], [[5.0], [float("nan")], [float("nan")]]])
    mask = torch.tensor([[True, True, False], [True, False, False]])
    mean, std = feature_stats(x, mask)
    assert float(mean) == pytest.approx(3.0) and float(std) == pytest.approx(2.0)
    scaler = Standardized(nn.Identity(), 1, 1).fit(x, x, mask)  # per-step targets [N, T, K]
    assert float(scaler.target_mean) == pytest.approx(3.0) and float(scaler.target_std) == pytest.approx(2.0)

    pred = torch.arange(6.0).reshape(2, 3, 1)
    rows, target = real_steps(pred, x, mask, target_dims=1)
    assert rows.flatten().tolist() == [0.0, 1.0, 3.0] and target.flatten().tolist() == [1.0, 3.0, 5.0]
    labels = torch.tensor([[0, 2, -1], [1, -1, -1]])
    assert real_steps(torch.zeros(2, 3, 4), labels, mask, target_dims=0)[1].tolist() == [0, 2, 1]
    flat = torch.zeros(2, 1)
    assert real_steps(flat, torch.ones(2, 1), None, target_dims=1)[0] is flat  # no time axis: untouched
    with pytest.raises(DataError, match="set model.output to last, mean or attention"):
        real_steps(torch.zeros(2, 3, 1), torch.ones(2, 1), mask, target_dims=1)
    with pytest.raises(DataError, match="set model.output to per_step"):
        real_steps(torch.zeros(2, 1), x, mask, target_dims=1)


def test_model_configs_do_not_import_torch():
    import subprocess
    import sys

    code = "import sys, scrimmage.models.configs; assert 'torch' not in sys.modules, 'torch was imported'"
    subprocess.run([sys.executable, "-c", code], check=True)
