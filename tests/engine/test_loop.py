"""Loop mechanics: early stopping with best-weight restore, top-k files, accumulation, schedules, precision."""

from __future__ import annotations

import math

import pytest
import torch

from scrimmage.engine import run
from scrimmage.engine.events import Callback


class RecordLR(Callback):
    name = "record_lr"

    def __init__(self):
        self.lrs: list[float] = []

    def on_optimizer_step(self, state, ctx) -> None:
        self.lrs.append(state.optimizer.param_groups[0]["lr"])


def test_early_stopping_stops_after_patience_and_restores_best(tmp_path, synthetic_config):
    # a huge LR makes validation loss get worse quickly, so patience runs out
    settings = ("trainer.epochs=30", "optim.lr=0.5", "optim.name=sgd", "callbacks.0.patience=2")
    result = run(synthetic_config(*settings), workdir=tmp_path / "a", progress=False)
    assert result.epochs_completed < 30
    assert "did not improve for 2 epochs" in result.stop_reason
    best = torch.load(result.checkpoints["best"], weights_only=False)
    assert best["loop"]["position"]["epoch"] == result.best["epoch"]  # epochs completed when the best was saved
    assert best["history"][-1]["val/loss"] == pytest.approx(result.best["value"])
    assert result.best["value"] < result.val["loss"], "the last epoch is worse than the best"
    # test metrics come from the restored best weights, not the last ones
    last = run(synthetic_config(*settings, "checkpoint.restore_best=false"), workdir=tmp_path / "b", progress=False)
    assert last.test != result.test


def test_top_k_keeps_the_k_best_files(tmp_path, synthetic_config):
    result = run(synthetic_config("trainer.epochs=6", "checkpoint.save_top_k=2", "callbacks=[]"),
                 workdir=tmp_path, progress=False)
    ckpt_dir = next((tmp_path / "runs").iterdir()) / "checkpoints"
    ranked = sorted(ckpt_dir.glob("epoch=*.ckpt"))
    assert len(ranked) == 2
    values = sorted(float(p.stem.split("=")[-1]) for p in ranked)
    history = torch.load(result.checkpoints["last"], weights_only=False)["history"]
    assert values == pytest.approx(sorted(h["val/loss"] for h in history)[:2], abs=1e-4)
    assert not list(ckpt_dir.glob(".*.tmp")), "no temp files left behind"


def test_accumulation_matches_a_larger_batch(tmp_path, synthetic_config):
    common = ("model.dropout=0.0", "trainer.epochs=2", "trainer.grad_clip=null", "callbacks=[]")
    big = run(synthetic_config("trainer.batch_size=40", *common), workdir=tmp_path / "a", progress=False)
    small = run(synthetic_config("trainer.batch_size=20", "trainer.accumulate=2", *common),
                workdir=tmp_path / "b", progress=False)
    a = torch.load(big.checkpoints["last"], weights_only=False)["model"]
    b = torch.load(small.checkpoints["last"], weights_only=False)["model"]
    for key in a:
        torch.testing.assert_close(a[key], b[key], rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize(
    ("name", "check"),
    [
        ("constant", lambda lrs: max(lrs) == min(lrs)),
        ("warmup_cosine", lambda lrs: lrs[0] < lrs[15] and lrs[-1] < 0.05 * max(lrs)),
        ("cosine", lambda lrs: lrs[0] > lrs[len(lrs) // 2] > lrs[-1]),
    ],
)
def test_step_schedules(tmp_path, synthetic_config, name, check):
    recorder = RecordLR()
    options = ["scheduler.warmup_epochs=1"] if name == "warmup_cosine" else []
    run(synthetic_config(f"scheduler.name={name}", *options, "callbacks=[]"),
        workdir=tmp_path, progress=False, callbacks=[recorder])
    assert check(recorder.lrs), recorder.lrs[:5]


def test_step_and_plateau_schedules_change_lr_per_epoch(tmp_path, synthetic_config):
    step = run(synthetic_config("scheduler.name=step", "scheduler.step_size=1", "scheduler.gamma=0.5",
                                "callbacks=[]"), workdir=tmp_path / "s", progress=False)
    history = torch.load(step.checkpoints["last"], weights_only=False)["history"]
    assert [h["lr"] for h in history] == pytest.approx([1e-3 * 0.5**i for i in range(4)])
    plateau = run(synthetic_config("scheduler.name=plateau", "scheduler.patience=0", "optim.lr=0.5",
                                   "optim.name=sgd", "trainer.epochs=6", "callbacks=[]"),
                  workdir=tmp_path / "p", progress=False)
    history = torch.load(plateau.checkpoints["last"], weights_only=False)["history"]
    assert history[-1]["lr"] < history[0]["lr"]


def test_bf16_mixed_precision_trains(tmp_path, synthetic_config):
    result = run(synthetic_config("trainer.precision=bf16-mixed", "trainer.deterministic=false"),
                 workdir=tmp_path, progress=False)
    assert math.isfinite(result.test["loss"]) and result.test["loss"] < 1.0


def test_deterministic_reruns_are_identical(tmp_path, synthetic_config):
    a = run(synthetic_config(), workdir=tmp_path / "a", progress=False)
    b = run(synthetic_config(), workdir=tmp_path / "b", progress=False)
    assert a.test == b.test


def test_epoch_order_shards_an_epoch_across_ranks():
    from scrimmage.data.datamodule import EpochOrder

    orders = [EpochOrder(103, 10, seed=5, rank=r, world_size=3) for r in range(3)]
    served = [torch.cat(list(order)) for order in orders]
    assert {len(order) for order in orders} == {4}, "every rank takes the same number of steps"
    everything = torch.cat(served)
    assert set(everything.tolist()) == set(range(103)), "one epoch covers every example"
    assert len(everything) == 120, "padded by cycling the permutation, like DistributedSampler"
    single = torch.cat(list(EpochOrder(103, 10, seed=5)))
    assert sorted(single.tolist()) == list(range(103)), "one process: no padding"


def test_a_diverging_run_stops_with_a_clear_error(tmp_path, synthetic_config):
    from scrimmage.errors import TrainingDiverged

    with pytest.raises(TrainingDiverged, match="Lower optim.lr"):
        run(synthetic_config("optim.name=sgd", "optim.lr=1e12", "trainer.grad_clip=null", "model.dropout=0.0"),
            workdir=tmp_path, progress=False)


@pytest.mark.parametrize(("patience", "stops_after"), [(0, 4), (1, 4), (3, 6)])
def test_early_stopping_allows_exactly_patience_epochs_without_improvement(patience, stops_after):
    from scrimmage.engine.callbacks.early_stopping import EarlyStopping
    from scrimmage.engine.events import Context, LoopState

    losses = [1.0, 0.9, 0.8, 0.85, 0.81, 0.82, 0.83, 0.84]  # best at epoch 3, worse from epoch 4 on
    stopper = EarlyStopping("val/loss", "min", patience, 0.0)
    state = LoopState(max_epochs=len(losses), steps_per_epoch=1)
    ctx = Context(save_checkpoint=lambda path: None, load_weights=lambda path: None)
    for epoch, loss in enumerate(losses, start=1):
        state.metrics = {"epoch": float(epoch), "val/loss": loss}
        stopper.on_epoch_end(state, ctx)
        if state.should_stop:
            break
    assert epoch == stops_after and stopper.best_epoch == 3
