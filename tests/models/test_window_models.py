"""Window classifiers (mlp over a flattened window, lstm-attention, gru-attention, cnn-lstm): shapes, gradients,
the per-window embedding broadcast over time, defaults, and clear errors for what they refuse."""

from __future__ import annotations

import pytest
import torch
from torch import Tensor, nn
from typer.testing import CliRunner

import tests.models.asset_windows  # noqa: F401  (registers the synthetic-asset-windows dataset)
from scrimmage.config import load_config
from scrimmage.config.registry import MODELS
from scrimmage.data.datamodule import InputSpec
from scrimmage.errors import ConfigError, DataError

STEPS, FEATURES, ASSETS = 6, 4, 5
SPEC = InputSpec(FEATURES, ("opportunity",), {"asset": (ASSETS, 1)}, class_names=("no", "yes"), window=STEPS)
SMALL = {
    "mlp": {"hidden": [16, 8], "dropout": 0.0, "batch_norm": True},
    "lstm-attention": {"hidden": 12, "layers": 2, "attention_dim": 8, "heads": 2, "dropout": 0.0},
    "gru-attention": {"hidden": 12, "layers": 2, "attention_dim": 8, "heads": 2, "dropout": 0.0},
    "cnn-lstm": {"channels": [8, 8], "hidden": 8, "dropout": 0.0},
}
WINDOW_MODELS = sorted(SMALL)
SEQUENCE_ONLY = [name for name in WINDOW_MODELS if name != "mlp"]


def build(name: str, n_outputs: int = 1, spec: InputSpec = SPEC, **options) -> nn.Module:
    torch.manual_seed(0)
    return MODELS.validate({"name": name, "embedding_dim": 3, **SMALL[name], **options}).build(spec, n_outputs)


def windows(n: int = 8, seed: int = 0) -> dict[str, Tensor]:
    g = torch.Generator().manual_seed(seed)
    return {"x": torch.randn(n, STEPS, FEATURES, generator=g), "cat": torch.randint(0, ASSETS, (n, 1), generator=g)}


@pytest.mark.parametrize("n_outputs", [1, 3])
@pytest.mark.parametrize("name", WINDOW_MODELS)
def test_a_window_model_gives_one_row_of_logits_per_window(name, n_outputs):
    out = build(name, n_outputs).eval()(windows(7))
    assert out.shape == (7, n_outputs) and out.dtype == torch.float32 and bool(torch.isfinite(out).all())


@pytest.mark.parametrize("name", WINDOW_MODELS)
def test_every_parameter_gets_a_finite_gradient(name):
    net = build(name).train()
    batch = windows(16)
    loss = nn.functional.binary_cross_entropy_with_logits(net(batch).squeeze(1), (batch["x"][:, -1, 0] > 0).float())
    loss.backward()
    for param_name, param in net.named_parameters():
        assert param.grad is not None, param_name
        assert bool(torch.isfinite(param.grad).all()), param_name
        assert float(param.grad.abs().sum()) > 0, param_name


@pytest.mark.parametrize("name", WINDOW_MODELS)
def test_the_window_asset_is_embedded_and_changes_the_prediction(name):
    net = build(name).eval()
    batch = windows(6)
    other = {**batch, "cat": (batch["cat"] + 1) % ASSETS}
    with torch.no_grad():
        assert not torch.allclose(net(batch), net(other))


@pytest.mark.parametrize("name", SEQUENCE_ONLY)
def test_a_window_id_is_broadcast_over_time_like_the_same_id_at_every_step(name):
    net = build(name).eval()
    batch = windows(5)
    per_step = {**batch, "cat": batch["cat"].unsqueeze(1).expand(-1, STEPS, -1)}
    with torch.no_grad():
        torch.testing.assert_close(net(batch), net(per_step))


@pytest.mark.parametrize("name", ["lstm-attention", "gru-attention", "cnn-lstm"])
def test_a_padded_tail_never_changes_the_prediction(name):
    net = build(name).eval()
    batch = windows(4)
    mask = torch.ones(4, STEPS, dtype=torch.bool)
    mask[:, 4:] = False
    noisy = batch["x"].clone()
    noisy[:, 4:] = 1e3
    with torch.no_grad():
        base = net({**batch, "mask": mask})
        changed = net({**batch, "x": noisy, "mask": mask})
        empty = net({**batch, "mask": torch.zeros(4, STEPS, dtype=torch.bool)})
    torch.testing.assert_close(base, changed)
    assert bool(torch.isfinite(empty).all())


def test_the_mlp_flattens_the_window_in_step_order():
    net = build("mlp", batch_norm=False).eval()
    first = net.net[0]
    assert first.in_features == STEPS * FEATURES + 3
    batch = windows(3)
    with torch.no_grad():
        expected = net.net(torch.cat([batch["x"].reshape(3, -1), net.embeddings[0](batch["cat"]).flatten(1)], 1))
        torch.testing.assert_close(net(batch), expected)


def test_the_tabular_mlp_is_unchanged():
    spec = InputSpec(3, ("y",), {"team": (4, 2)})
    net = MODELS.validate({"name": "mlp"}).build(spec, 2).eval()
    assert net.net[0].in_features == 3 + 2 * 8
    out = net({"x": torch.randn(5, 3), "cat": torch.randint(0, 4, (5, 2))})
    assert out.shape == (5, 2)


def test_the_mlp_refuses_inputs_that_do_not_fit_its_window():
    net = build("mlp").eval()
    with pytest.raises(DataError, match=r"windows of 6 steps"):
        net({"x": torch.randn(2, 5, FEATURES), "cat": torch.zeros(2, 1, dtype=torch.long)})
    with pytest.raises(DataError, match="one row of cat ids per example"):
        net({"x": torch.randn(2, STEPS, FEATURES), "cat": torch.zeros(2, STEPS, 1, dtype=torch.long)})
    tabular = build("mlp", spec=InputSpec(FEATURES, ("y",), {"asset": (ASSETS, 1)})).eval()
    with pytest.raises(DataError, match="InputSpec must set window"):
        tabular(windows(2))


@pytest.mark.parametrize("name", SEQUENCE_ONLY)
def test_a_sequence_window_model_refuses_rows_without_a_time_axis(name):
    with pytest.raises(DataError, match=r"x of shape \[N, T, features\]"):
        build(name)({"x": torch.randn(2, FEATURES), "cat": torch.zeros(2, 1, dtype=torch.long)})
    with pytest.raises(DataError, match="no 'cat' ids"):
        build(name)({"x": torch.randn(2, STEPS, FEATURES)})


def test_defaults_are_the_documented_configurations():
    lstm = MODELS.validate({"name": "lstm-attention"})
    assert (lstm.hidden, lstm.layers, lstm.attention_dim, lstm.heads, lstm.dropout, lstm.embedding_dim) == (128, 2, 64, 4, 0.4, 8)
    gru = MODELS.validate({"name": "gru-attention"})
    assert (gru.hidden, gru.layers, gru.attention_dim, gru.heads, gru.dropout, gru.embedding_dim) == (64, 2, 32, 2, 0.35, 8)
    net = gru.build(SPEC, 1)
    assert isinstance(net.rnn, nn.GRU) and net.rnn.num_layers == 2 and net.rnn.hidden_size == 64
    assert net.attention.num_heads == 2 and net.attention.embed_dim == 32
    cnn = MODELS.validate({"name": "cnn-lstm"}).build(SPEC, 1)
    assert sum(isinstance(m, nn.Conv1d) for m in cnn.modules()) == 2
    assert sum(isinstance(m, nn.BatchNorm1d) for m in cnn.modules()) == 2


@pytest.mark.parametrize(("override", "message"), [
    ("{name: lstm-attention, attention_dim: 30, heads: 4}", "heads .4. must divide attention_dim .30."),
    ("{name: gru-attention, dropout: 1.0}", "dropout"),
    ("{name: cnn-lstm, channels: []}", "channels"),
    ("{name: cnn-lstm, kernel_size: 0}", "kernel_size"),
    ("{name: lstm-attention, embedding_dim: -1}", "embedding_dim"),
    ("{name: gru-attention, head: [0]}", "head"),
    ("{name: lstm-attention, layer: 2}", "layers"),
    ("{name: gru-attention, hidden: true}", "hidden"),
])
def test_bad_options_are_config_errors_that_name_the_option(override, message):
    with pytest.raises(ConfigError, match=message):
        load_config(None, ["data.name=synthetic-asset-windows", "task.name=classification", f"model={override}"])


def test_list_models_shows_the_window_classifiers():
    from scrimmage.cli.main import app

    result = CliRunner().invoke(app, ["list", "models"])
    assert result.exit_code == 0, result.output
    for name in ("lstm-attention", "gru-attention", "cnn-lstm", "mlp"):
        assert name in result.output


@pytest.mark.slow
@pytest.mark.parametrize("name", WINDOW_MODELS)
def test_each_window_model_trains_on_window_splits_through_run(tmp_path, name):
    from scrimmage.engine import run

    options = ", ".join(f"{k}: {v}" for k, v in SMALL[name].items()).replace("True", "true")
    config = load_config(None, [
        "data.name=synthetic-asset-windows", "task.name=classification", f"model={{name: {name}, {options}}}",
        "trainer.epochs=2", "trainer.batch_size=64", "trainer.threads=1", "tracking.enabled=false",
        "optim.lr=0.01", "monitor={metric: val/pr_auc, mode: max}", "callbacks=[]",
    ])
    result = run(config, workdir=tmp_path, progress=False)
    assert result.test["pr_auc"] == result.test["pr_auc"] and 0 <= result.test["pr_auc"] <= 1
    assert result.test["n"] == 300


def test_the_window_length_travels_in_the_input_spec_and_older_specs_have_none():
    assert InputSpec.from_dict(SPEC.to_dict()) == SPEC and SPEC.to_dict()["window"] == STEPS
    older = {k: v for k, v in SPEC.to_dict().items() if k != "window"}  # a checkpoint written before the field
    assert InputSpec.from_dict(older).window == 0
