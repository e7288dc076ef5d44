"""EMA of the weights: validated, saved as best.ckpt and tested in place of the training weights; resumes exactly."""

from __future__ import annotations

import math

import pytest
import torch

from scrimmage.engine import run
from scrimmage.engine.events import Callback
from scrimmage.errors import TrainingInterrupted
from tests.engine.synthetic import Interrupt

STEPS = 5  # batch_size 120 over 600 training examples: exactly 5 optimizer steps per epoch


def weights(state) -> dict[str, torch.Tensor]:
    return {k: v.detach().clone() for k, v in state.model.module.named_parameters()}


class WeightRecorder(Callback):
    """Registered after the EMA callback: the raw weights after each step, and what each event sees."""

    name = "weight_recorder"

    def __init__(self):
        self.steps, self.epoch_start, self.validated, self.fit_end = [], [], [], None

    def on_optimizer_step(self, state, ctx):
        self.steps.append(weights(state))

    def on_epoch_start(self, state, ctx):
        self.epoch_start.append(weights(state))

    def on_validation_end(self, state, ctx):
        self.validated.append(weights(state))

    def on_fit_end(self, state, ctx):
        self.fit_end = weights(state)


class FitStartWeights(Callback):
    name = "fit_start_weights"

    def on_fit_start(self, state, ctx):
        self.weights = weights(state)


def hand_ema(steps: list[dict[str, torch.Tensor]], decay: float) -> dict[str, torch.Tensor]:
    ema = {k: v.clone() for k, v in steps[0].items()}  # the first update copies the weights
    for w in steps[1:]:
        ema = {k: decay * ema[k] + (1 - decay) * w[k] for k in ema}
    return ema


def assert_close(a: dict[str, torch.Tensor], b: dict[str, torch.Tensor]) -> None:
    assert a.keys() == b.keys()
    for key in a:
        torch.testing.assert_close(a[key], b[key], rtol=1e-5, atol=1e-6, msg=f"differ at {key}")


def ema_config(synthetic_config, decay: float, *more: str):
    return synthetic_config("trainer.batch_size=120", f"callbacks=[{{name: ema, decay: {decay}}}]", *more)


def test_validated_and_best_weights_are_the_hand_computed_ema(tmp_path, synthetic_config):
    recorder = WeightRecorder()
    result = run(ema_config(synthetic_config, 0.8, "trainer.epochs=2"), workdir=tmp_path, progress=False,
                 callbacks=[recorder])
    assert len(recorder.steps) == 2 * STEPS
    assert_close(recorder.validated[0], hand_ema(recorder.steps[:STEPS], 0.8))  # epoch 1: EMA over 5 steps
    assert_close(recorder.validated[1], hand_ema(recorder.steps, 0.8))  # epoch 2 continues the same average
    for key, value in recorder.epoch_start[1].items():  # epoch 2 trains on from the training weights
        assert torch.equal(value, recorder.steps[STEPS - 1][key])
    best = torch.load(result.checkpoints["best"], weights_only=False)
    validated = recorder.validated[result.best["epoch"] - 1]
    for key, value in validated.items():  # best.ckpt holds the EMA weights that scored
        assert torch.equal(best["model"][key], value)
    assert best["callbacks"]["ema"]["stash"] is not None  # ... and the training weights to resume from
    assert result.sections["ema"]["updates"] == 2 * STEPS


def test_ema_changes_what_is_evaluated_but_not_how_it_trains(tmp_path, synthetic_config):
    """Fails if EMA did nothing: with decay 0.9 the validated and tested weights are the EMA, not the raw ones."""
    extra = ("trainer.epochs=2", "checkpoint.restore_best=false")
    plain_recorder, ema_recorder = WeightRecorder(), WeightRecorder()
    plain = run(synthetic_config("trainer.batch_size=120", "callbacks=[]", *extra), workdir=tmp_path / "plain",
                progress=False, callbacks=[plain_recorder])
    ema = run(ema_config(synthetic_config, 0.9, *extra), workdir=tmp_path / "ema", progress=False,
              callbacks=[ema_recorder])
    for raw, same in zip(plain_recorder.steps, ema_recorder.steps, strict=True):  # identical training trajectory
        for key in raw:
            assert torch.equal(raw[key], same[key])
    expected = hand_ema(ema_recorder.steps, 0.9)
    last_raw = ema_recorder.steps[-1]
    assert max(float((expected[k] - last_raw[k]).abs().max()) for k in expected) > 1e-3
    assert_close(ema_recorder.validated[-1], expected)
    for key, value in ema_recorder.fit_end.items():  # restore_best false: the test evaluates the EMA weights too
        assert torch.equal(value, ema_recorder.validated[-1][key])
    assert ema.val["loss"] != plain.val["loss"] and ema.test["loss"] != plain.test["loss"]


@pytest.mark.parametrize("where", ["mid_epoch", "epoch_end"])
def test_ema_resumes_exactly(tmp_path, synthetic_config, where):
    steps = math.ceil(600 / 32)
    every = 2 if where == "mid_epoch" else 0  # epoch_end: last.ckpt is epoch 1's, with the EMA weights in the model
    config = synthetic_config("trainer.epochs=3", f"checkpoint.every_n_steps={every}",
                              "callbacks=[{name: ema, decay: 0.9}]")
    straight = run(config, workdir=tmp_path / "a", progress=False)
    crash = steps + steps // 2 + 1 if where == "mid_epoch" else steps + 3
    with pytest.raises(TrainingInterrupted, match="--resume"):
        run(config, workdir=tmp_path / "b", progress=False, callbacks=[Interrupt(crash)])
    ckpt = next((tmp_path / "b" / "runs").glob("*/checkpoints/last.ckpt"))
    saved = torch.load(ckpt, weights_only=False)
    saved_ema = saved["callbacks"]["ema"]
    assert saved["loop"]["position"]["epoch"] == 1 and saved_ema["shadow"] is not None
    if where == "mid_epoch":  # training weights in the model, the shadow in the callback state
        assert 0 < saved["loop"]["data_order"]["position"] < steps and saved_ema["stash"] is None
    else:  # EMA weights in the model, the training weights stashed
        assert saved["loop"]["data_order"]["position"] == steps and saved_ema["stash"] is not None
        for key, value in saved_ema["shadow"].items():
            assert torch.equal(saved["model"][key], value)
    at_fit_start = FitStartWeights()
    resumed = run(config, workdir=tmp_path / "b", resume=str(ckpt), progress=False, callbacks=[at_fit_start])
    restored = saved_ema["stash"] or saved["model"]  # the training weights are back before training starts
    for key, value in at_fit_start.weights.items():
        assert torch.equal(value, restored[key])

    a = torch.load(straight.checkpoints["last"], weights_only=False)
    b = torch.load(resumed.checkpoints["last"], weights_only=False)
    assert a["model"].keys() == b["model"].keys()
    for key in a["model"]:
        assert torch.equal(a["model"][key], b["model"][key]), f"weights differ at {key}"
    ema_a, ema_b = a["callbacks"]["ema"], b["callbacks"]["ema"]
    assert ema_a["n_averaged"] == ema_b["n_averaged"] == 3 * steps
    for part in ("shadow", "stash"):
        for key in ema_a[part]:
            assert torch.equal(ema_a[part][key], ema_b[part][key]), f"EMA {part} differs at {key}"
    assert resumed.test == straight.test


def test_bad_ema_options_are_config_errors(synthetic_config):
    from scrimmage.errors import ConfigError

    for bad, match in (("decay: 1.0", "decay"), ("decay: 0", "decay"), ("every_n_steps: 0", "every_n_steps"),
                       ("buffers: keep", "buffers"), ("start_step: -1", "start_step")):
        with pytest.raises(ConfigError, match=match):
            synthetic_config(f"callbacks=[{{name: ema, {bad}}}]")
    with pytest.raises(ConfigError, match="keep one of them"):
        synthetic_config("callbacks=[{name: ema}, {name: swa}]", "checkpoint.restore_best=false")


class Wrapped:
    """Stands in for Fabric's wrapper: ``.module`` is the user's module."""

    def __init__(self, module):
        self.module = module


@pytest.mark.parametrize("buffers", ["average", "copy"])
def test_start_step_every_n_steps_and_buffers(buffers):
    from scrimmage.engine.callbacks.ema import EMA
    from scrimmage.engine.events import Context, LoopState

    module = torch.nn.Sequential(torch.nn.Linear(3, 2), torch.nn.BatchNorm1d(2))
    state = LoopState(max_epochs=1, steps_per_epoch=10, model=Wrapped(module))
    ctx = Context(save_checkpoint=print, load_weights=print)
    ema = EMA(decay=0.5, start_step=2, every_n_steps=2, buffers=buffers)
    ema.on_fit_start(state, ctx)
    seen = {}
    for step in range(1, 7):
        with torch.no_grad():
            module[0].weight.fill_(float(step))
            module[1].running_mean.fill_(float(step))
        state.global_step = step
        ema.on_optimizer_step(state, ctx)
        seen[step] = ema.n_averaged
    assert seen == {1: 0, 2: 0, 3: 0, 4: 1, 5: 1, 6: 2}  # after start_step, every 2nd step; the first copies
    ema.on_validation_start(state, ctx)
    assert torch.all(module[0].weight == 0.5 * 4 + 0.5 * 6)
    assert torch.all(module[1].running_mean == (5.0 if buffers == "average" else 6.0))
    ema.on_epoch_start(state, ctx)  # the training weights are back
    assert torch.all(module[0].weight == 6.0) and torch.all(module[1].running_mean == 6.0)
