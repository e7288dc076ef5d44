"""SWA: the tested model is the mean of the end-of-epoch weights with recomputed batch-norm statistics; resumes exactly."""

from __future__ import annotations

import copy
import math

import pytest
import torch

from scrimmage.engine import run
from scrimmage.engine.events import Callback
from scrimmage.errors import ConfigError, TrainingInterrupted
from tests.engine.synthetic import Interrupt, SyntheticRegression

SWA = "callbacks=[{name: swa, start_epoch: 2}]"
BASE = ("trainer.epochs=4", "model.batch_norm=true", "checkpoint.restore_best=false")


def snapshot(module: torch.nn.Module) -> dict[str, torch.Tensor]:
    return {k: v.detach().clone() for k, v in module.state_dict().items()}


class Recorder(Callback):
    """Registered after SWA: the weights at each epoch end, and the model the test will evaluate."""

    name = "swa_recorder"

    def __init__(self):
        self.epoch_end: list[dict[str, torch.Tensor]] = []
        self.final: dict[str, torch.Tensor] = {}
        self.model = None

    def on_epoch_end(self, state, ctx):
        self.epoch_end.append(snapshot(state.model.module))

    def on_fit_end(self, state, ctx):
        self.final = snapshot(state.model.module)
        self.model = copy.deepcopy(state.model.module)


def bn_of(model: torch.nn.Module) -> tuple[str, torch.nn.BatchNorm1d]:
    return next((name, m) for name, m in model.named_modules() if isinstance(m, torch.nn.BatchNorm1d))


def test_final_model_is_the_mean_of_the_epoch_end_weights_with_recomputed_bn(tmp_path, synthetic_config):
    recorder = Recorder()
    result = run(synthetic_config(*BASE, SWA), workdir=tmp_path, progress=False, callbacks=[recorder])
    params = [name for name, _ in recorder.model.named_parameters()]
    averaged = recorder.epoch_end[1:]  # epochs 2, 3, 4
    for name in params:
        mean = torch.stack([w[name] for w in averaged]).mean(0)
        torch.testing.assert_close(recorder.final[name], mean, rtol=1e-5, atol=1e-6, msg=f"not the mean at {name}")
        assert not torch.equal(recorder.final[name], recorder.epoch_end[-1][name])

    # batch-norm statistics: recomputed for the averaged weights, not the last epoch's
    bn_name, bn = bn_of(recorder.model)
    last_mean = recorder.epoch_end[-1][f"{bn_name}.running_mean"]
    assert not torch.allclose(bn.running_mean, last_mean)
    inputs: list[torch.Tensor] = []
    hook = bn.register_forward_pre_hook(lambda module, args: inputs.append(args[0].detach().clone()))
    recorder.model.eval()  # the layers before the batch norm act alike in eval mode; its statistics are not touched
    with torch.no_grad():
        for batch in SyntheticRegression().build(None).splits["train"].batches(32):  # trainer.batch_size
            recorder.model(batch)
    hook.remove()
    torch.testing.assert_close(bn.running_mean, torch.stack([x.mean(0) for x in inputs]).mean(0))
    torch.testing.assert_close(bn.running_var, torch.stack([x.var(0) for x in inputs]).mean(0))

    test = SyntheticRegression().build(None).splits["test"].tensors
    with torch.no_grad():  # the test evaluated this model (restore_best: false keeps it in place)
        pred = recorder.model.eval()(test)
    assert float((pred[:, 0] - test["y"][:, 0]).pow(2).mean().sqrt()) == pytest.approx(result.test["a_rmse"], rel=1e-5)

    section = result.sections["swa"]
    assert section["epochs_averaged"] == 3 and section["bn_updated"] and section["start_epoch"] == 2
    assert section["val"]["loss"] != result.val["loss"]  # the averaged model's validation, not the last epoch's


def test_swa_resumes_exactly_with_its_lr_schedule(tmp_path, synthetic_config):
    steps = math.ceil(600 / 32)
    config = synthetic_config(*BASE, "checkpoint.every_n_steps=2",
                              "callbacks=[{name: swa, start_epoch: 2, lr: 0.005, anneal_epochs: 2}]")
    straight_recorder, resumed_recorder = Recorder(), Recorder()
    straight = run(config, workdir=tmp_path / "a", progress=False, callbacks=[straight_recorder])
    lrs = [epoch["lr"] for epoch in torch.load(straight.checkpoints["last"], weights_only=False)["history"]]
    assert lrs[:2] == [0.001, 0.001] and 0.001 < lrs[2] < 0.005 and lrs[3] == pytest.approx(0.005)  # SWALR anneals

    with pytest.raises(TrainingInterrupted, match="--resume"):
        run(config, workdir=tmp_path / "b", progress=False, callbacks=[Interrupt(2 * steps + steps // 2 + 1)])
    ckpt = next((tmp_path / "b" / "runs").glob("*/checkpoints/last.ckpt"))
    saved = torch.load(ckpt, weights_only=False)
    assert saved["loop"]["position"]["epoch"] == 2 and saved["callbacks"]["swa"]["n_averaged"] == 1  # mid epoch 3
    resumed = run(config, workdir=tmp_path / "b", resume=str(ckpt), progress=False, callbacks=[resumed_recorder])

    assert straight_recorder.final.keys() == resumed_recorder.final.keys()
    for key, value in straight_recorder.final.items():
        assert torch.equal(value, resumed_recorder.final[key]), f"final weights differ at {key}"
    a = torch.load(straight.checkpoints["last"], weights_only=False)["callbacks"]["swa"]
    b = torch.load(resumed.checkpoints["last"], weights_only=False)["callbacks"]["swa"]
    assert a["n_averaged"] == b["n_averaged"] == 3
    for key, value in a["averaged"].items():
        assert torch.equal(value, b["averaged"][key]), f"SWA average differs at {key}"
    assert resumed.test == straight.test and resumed.sections["swa"] == straight.sections["swa"]


@pytest.mark.parametrize(("overrides", "match"), [
    (("trainer.epochs=4", "callbacks=[{name: swa, start_epoch: 5}]"), "start_epoch is 5 but trainer.epochs is 4"),
    (("callbacks=[{name: swa, start_epoch: 2}]", "checkpoint.restore_best=true"), "restore_best: false"),
    (("callbacks=[{name: swa, lr: 0.01}]", "scheduler.name=cosine"), "scheduler.name: constant"),
    (("callbacks=[{name: swa, anneal_epochs: 3}]",), "set lr"),
    (("callbacks=[{name: swa, lr: 0}]",), "lr"),
    (("callbacks=[{name: swa, start_epoch: 0}]",), "start_epoch"),
])
def test_swa_misuse_is_a_config_error(synthetic_config, overrides, match):
    with pytest.raises(ConfigError, match=match):
        synthetic_config("checkpoint.restore_best=false", *overrides)
