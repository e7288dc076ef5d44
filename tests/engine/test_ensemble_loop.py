"""The ensemble loop: members train as their sequential twins would, stop and fail alone, freeze exactly, resume exactly."""

from __future__ import annotations

import math

import pytest
import torch

from scrimmage.config.registry import LOSSES
from scrimmage.engine import run
from scrimmage.engine.ensemble_loop import EnsembleLoop
from scrimmage.engine.loop import make_fabric
from scrimmage.errors import CheckpointError, ConfigError, TrainingDiverged, TrainingInterrupted
from tests.engine.synthetic import Interrupt

NO_NOISE = ["model.dropout=0.0", "trainer.grad_clip=0.5", "checkpoint.restore_best=false"]


def built(config) -> EnsembleLoop:
    """The loop alone (no session), to look inside it between epochs."""
    bundle = config.data.build(None)
    task = config.task.build(bundle.spec)
    task.setup_training(config.loss or LOSSES.validate(task.default_loss()), bundle.splits["train"])
    return EnsembleLoop(config, make_fabric(config), None, task, bundle)


def member_tensors(loop: EnsembleLoop, m: int) -> list[torch.Tensor]:
    """Member ``m``'s slice of every parameter and of AdamW's moments."""
    params = list(loop.model.parameters())
    state = [loop.optimizer.state[p][key] for p in params for key in ("exp_avg", "exp_avg_sq")]
    return [t.detach()[m].clone() for t in params + state]


@pytest.mark.parametrize(("options", "atol"), [
    (["trainer.epochs=3"], 1e-6),
    # each member's own plateau LR (lr 0.1 so they drop at different epochs; it also amplifies rounding)
    (["trainer.epochs=5", "optim.lr=0.1", "scheduler={name: plateau, factor: 0.5, patience: 0}"], 1e-4),
])
def test_members_train_like_their_sequential_twins(tmp_path, synthetic_config, options, atol):
    seeds = (5, 9, 3)
    ensemble = run(synthetic_config(f"loop={{name: ensemble, seeds: {list(seeds)}}}", *options, *NO_NOISE),
                   workdir=tmp_path, progress=False)
    saved = torch.load(ensemble.checkpoints["last"], weights_only=False)
    lrs = []
    for m, seed in enumerate(seeds):
        twin = run(synthetic_config(f"trainer.seed={seed}", *options, *NO_NOISE), workdir=tmp_path, progress=False)
        state = torch.load(twin.checkpoints["last"], weights_only=False)
        weights = state["model"]
        torch.testing.assert_close(saved["model"]["net.weights.0"][m].T, weights["net.net.0.weight"], atol=atol, rtol=0)
        torch.testing.assert_close(saved["model"]["net.embeddings.0"][m], weights["net.embeddings.0.weight"], atol=atol, rtol=0)
        meta = saved["members"]["meta"][m]
        assert meta["seed"] == seed and meta["status"] == "done"
        assert meta["last"]["val/loss"] == pytest.approx(twin.val["loss"], rel=10 * atol)
        lrs.append(state["optimizer"]["param_groups"][0]["lr"])
    if saved["loop"]["member_lr"] is not None:
        assert saved["loop"]["member_lr"]["lrs"] == lrs and len(set(lrs)) > 1  # the twins' own LRs, not all alike
    assert ensemble.to_dict()["members"]["names"] == ["seed5", "seed9", "seed3"]


def test_a_stopped_member_freezes_weights_and_adamw_state_exactly(synthetic_config):
    loop = built(synthetic_config("loop={name: ensemble, seeds: [1, 2]}", "trainer.epochs=1", "optim.weight_decay=0.1"))
    loop.fit()
    loop.status[0] = "done"  # what early stopping does to a member
    before, other = member_tensors(loop, 0), member_tensors(loop, 1)
    loop.state.max_epochs = 3
    loop.fit()
    assert all(torch.equal(a, b) for a, b in zip(before, member_tensors(loop, 0), strict=True))
    assert not any(torch.equal(a, b) for a, b in zip(other[:2], member_tensors(loop, 1)[:2], strict=True))
    assert loop.members()["meta"][0]["status"] == "done"


def test_a_member_whose_loss_goes_non_finite_fails_alone_and_freezes(synthetic_config):
    loop = built(synthetic_config("loop={name: ensemble, seeds: [1, 2, 3]}", "trainer.epochs=1"))
    loop.fit()
    with torch.no_grad():
        loop.net.weights[0][1].fill_(float("nan"))
    frozen = member_tensors(loop, 1)[2:]  # its optimizer moments (its weights are NaN now)
    loop.state.max_epochs = 2
    loop.fit()
    assert loop.status == ["running", "failed", "running"] and "training loss" in loop.errors[1]
    assert all(torch.equal(a, b) for a, b in zip(frozen, member_tensors(loop, 1)[2:], strict=True))
    assert math.isfinite(loop.state.metrics["val/loss"]) and loop.state.metrics["members_live"] == 2
    with torch.no_grad():
        for m in (0, 2):
            loop.net.weights[0][m].fill_(float("nan"))
    loop.state.max_epochs = 3
    with pytest.raises(TrainingDiverged, match="every member"):
        loop.fit()


def test_interrupted_and_resumed_equals_uninterrupted_and_best_holds_each_members_best(tmp_path, synthetic_config):
    config = synthetic_config("loop={name: ensemble, seeds: [3, 4, 8]}", "trainer.epochs=6", "checkpoint.every_n_steps=2",
                              "optim.lr=0.1", "callbacks=[{name: early_stopping, patience: 1, min_delta: 0.005}]",
                              "scheduler={name: plateau, factor: 0.5, patience: 0}")
    straight = run(config, workdir=tmp_path / "a", progress=False)
    stopped = [m["stopped_epoch"] for m in straight.to_dict()["members"]["meta"]]
    assert straight.stop_reason.startswith("every member stopped") and stopped == [5, 3, 4]  # each at its own epoch
    with pytest.raises(TrainingInterrupted):
        run(config, workdir=tmp_path / "b", progress=False, callbacks=[Interrupt(3 * 19 + 10)])  # mid epoch 4
    ckpt = next((tmp_path / "b" / "runs").glob("*/checkpoints/last.ckpt"))
    saved = torch.load(ckpt, weights_only=False)
    assert 0 < saved["loop"]["data_orders"][0]["position"] and saved["loop"]["members"]["status"][1] == "done"
    resumed = run(config, workdir=tmp_path / "b", resume=str(ckpt), progress=False)

    a, b = (torch.load(r.checkpoints["last"], weights_only=False) for r in (straight, resumed))
    assert all(torch.equal(a["model"][k], b["model"][k]) for k in a["model"])
    assert a["members"] == b["members"] and resumed.test == straight.test
    best = torch.load(straight.checkpoints["best"], weights_only=False)
    for m, meta in enumerate(best["members"]["meta"]):
        assert meta["best_epoch"] is not None
        for key, value in a["loop"]["best_weights"].items():
            assert torch.equal(best["model"][f"net.{key}"][m], value[m])


def test_alerts_read_one_gradient_norm_the_largest_members(tmp_path, synthetic_config):
    result = run(synthetic_config("loop={name: ensemble, seeds: [1, 2]}", "trainer.epochs=1",
                                  "callbacks=[{name: alerts, grad_norm_above: 0.01}]"), workdir=tmp_path, progress=False)
    assert result.sections["alerts"]["counts"]["grad_norm"] == 1


def test_a_resume_with_more_patience_trains_stopped_members_on(tmp_path, synthetic_config):
    common = ["loop={name: ensemble, seeds: [3, 4, 8]}", "optim.lr=0.1"]
    first = run(synthetic_config(*common, "trainer.epochs=6", "callbacks=[{name: early_stopping, patience: 1, min_delta: 0.005}]"),
                workdir=tmp_path, progress=False)
    assert first.epochs_completed == 5
    longer = run(synthetic_config(*common, "trainer.epochs=7", "callbacks=[{name: early_stopping, patience: 9, min_delta: 0.005}]"),
                 workdir=tmp_path, resume=first.run_id, progress=False)
    assert longer.epochs_completed == 7 and all(m["stopped_epoch"] is None for m in longer.to_dict()["members"]["meta"])


@pytest.mark.parametrize(("override", "message"), [
    ("loop={name: ensemble, seeds: []}", "at least 1"),
    ("loop={name: ensemble, seeds: [1, 2, 1]}", "seeds \\[1\\] repeat"),
    ("loop={name: ensemble, seeds: 3}", "seeds"),
])
def test_bad_seeds_are_config_errors(synthetic_config, override, message):
    with pytest.raises(ConfigError, match=message):
        synthetic_config(override)


def test_an_ensemble_without_seeds_has_five_members(synthetic_config):
    assert synthetic_config("loop={name: ensemble}").loop.seeds == [0, 1, 2, 3, 4]


def test_configs_the_ensemble_cannot_train_are_refused_before_anything_is_written(tmp_path, synthetic_config):
    config = synthetic_config("loop={name: ensemble, seeds: [1, 2]}", "model.name=lstm", "trainer.accumulate=2")
    with pytest.raises(ConfigError, match=r"model 'lstm'.*trainer.accumulate=2"):
        run(config, workdir=tmp_path, progress=False)
    assert not (tmp_path / "runs").exists() or not any((tmp_path / "runs").iterdir())


def test_a_damaged_members_entry_is_refused_on_resume_and_load(tmp_path, synthetic_config):
    import scrimmage

    config = synthetic_config("loop={name: ensemble, seeds: [1, 2]}", "trainer.epochs=1")
    first = run(config, workdir=tmp_path, progress=False)
    path = tmp_path / "damaged.ckpt"
    state = torch.load(first.checkpoints["last"], weights_only=False)
    state["members"]["meta"].pop()
    torch.save(state, path)
    with pytest.raises(CheckpointError, match="damaged members entry"):
        scrimmage.load_model(path)
    with pytest.raises(CheckpointError, match="damaged members entry"):
        run(synthetic_config("loop={name: ensemble, seeds: [1, 2]}", "trainer.epochs=2"), workdir=tmp_path,
            resume=str(path), progress=False)
