"""Curriculum phases, timed checkpoints and session budgets on the synthetic dataset (targets a, b).

600 training examples in batches of 32: 19 optimizer steps per epoch (10 with batch 64).
"""

from __future__ import annotations

import itertools
import json
import math
from pathlib import Path
from typing import Literal

import pytest
import torch
from typer.testing import CliRunner

from scrimmage.config.registry import DATASETS
from scrimmage.engine import run
from scrimmage.engine.callbacks import phases as phases_module
from scrimmage.engine.callbacks.phases import phase_lr
from scrimmage.engine.events import Callback
from scrimmage.errors import ConfigError, TrainingInterrupted
from tests.engine.synthetic import Interrupt, SyntheticRegression, synthetic_config

STEPS = 19  # per epoch at batch 32


def phases(*items: str) -> str:
    return "callbacks=[{name: phases, phases: [" + ", ".join(items) + "]}]"


class Recorder(Callback):
    """The LR, loss weights and steps per epoch each optimizer step ran with (item k = step k + 1)."""

    name = "recorder"

    def __init__(self):
        self.lrs: list[float] = []
        self.weights: list[list[float]] = []
        self.steps_per_epoch: list[int] = []

    def _record(self, state) -> None:
        self.lrs.append(state.optimizer.param_groups[0]["lr"])
        self.weights.append(state.task.loss.weights.tolist())

    def on_fit_start(self, state, ctx) -> None:
        self._record(state)

    def on_epoch_start(self, state, ctx) -> None:
        self.steps_per_epoch.append(state.steps_per_epoch)

    def on_optimizer_step(self, state, ctx) -> None:
        self._record(state)


def load(path) -> dict:
    return torch.load(path, map_location="cpu", weights_only=False)


def without_clock(state: dict) -> dict:
    """A phases state minus wall-clock seconds (they differ between any two runs)."""
    rows = [{k: v for k, v in row.items() if k != "seconds"} for row in state["completed"]]
    return {k: v for k, v in state.items() if k != "seconds_in_phase"} | {"completed": rows}


def test_the_lr_rule_warms_up_decays_and_holds():
    lr = lambda k: phase_lr(k, initial=0.0, peak=1.0, final=0.1, warmup_steps=4, decay_steps=10)  # noqa: E731
    assert [lr(k) for k in range(5)] == pytest.approx([0.0, 0.25, 0.5, 0.75, 1.0])
    assert lr(9) == pytest.approx(0.1 + 0.9 * 0.5)  # half-way through the cosine
    assert [lr(k) for k in (14, 15, 1000)] == pytest.approx([0.1, 0.1, 0.1])  # held at final after the decay
    # an inconsistent table: the phase starts above its peak; its own rates win (it falls to the peak)
    assert [phase_lr(k, 3.0, 1.0, 1.0, 2, 0) for k in range(4)] == pytest.approx([3.0, 2.0, 1.0, 1.0])
    assert phase_lr(0, 5.0, 1.0, 0.5, 0, 2) == pytest.approx(1.0), "no warmup: the first step is at the peak"


def test_phases_switch_at_their_steps_and_epochs_with_their_lr_loss_weights_and_batch_size(tmp_path):
    recorder = Recorder()
    config = synthetic_config("trainer.epochs=10", phases(
        "{name: warm, steps: 25, loss_weights: {b: 0}, "
        " lr: {initial: 0.0, peak: 0.01, final: 0.001, warmup_steps: 5, decay_steps: 10}}",
        "{name: main, epochs: 2, batch_size: 64, lr: {peak: 0.005}}",
    ))
    result = run(config, workdir=tmp_path, progress=False, callbacks=[recorder])

    # warm: 25 steps (ends mid-epoch 2); main: the rest of epoch 2 and epoch 3 (the first to start in it, at batch 64)
    total = 25 + (2 * STEPS - 25) + 10
    assert len(recorder.lrs) == total + 1
    expected = [phase_lr(k, 0.0, 0.01, 0.001, 5, 10) for k in range(25)] + [0.005] * (total - 25)
    assert recorder.lrs[:total] == pytest.approx(expected)
    assert recorder.weights[:25] == [[1.0, 0.0]] * 25 and recorder.weights[25:total] == [[1.0, 1.0]] * (total - 25)
    assert recorder.steps_per_epoch == [STEPS, STEPS, 10]

    assert result.stop_reason == "phases: all 2 phases done (the last, 'main', after 2 epochs)"
    assert result.epochs_completed == 3
    last = load(result.checkpoints["last"])
    done = last["callbacks"]["phases"]["completed"]
    assert [(p["phase"], p["start_step"], p["end_step"], p["end_epoch"]) for p in done] == [
        ("warm", 0, 25, 2), ("main", 25, total, 3)]
    assert [h["phase"] for h in last["history"]] == [1.0, 2.0, 2.0], "each validation is tagged with its phase"
    # a checkpoint at the end of each phase, holding the start of the next
    warm = load(result.checkpoints["phase_01-warm"])
    assert warm["loop"]["position"]["global_step"] == 25 and warm["loop"]["data_order"]["position"] == 25 - STEPS
    assert warm["callbacks"]["phases"]["index"] == 1 and warm["callbacks"]["phases"]["step_in_phase"] == 0


def test_a_last_phase_in_steps_ends_the_run_mid_epoch_after_validating(tmp_path):
    result = run(synthetic_config(phases("{name: only, steps: 30}")), workdir=tmp_path, progress=False)
    last = load(result.checkpoints["last"])
    assert last["loop"]["position"]["global_step"] == 30 and result.epochs_completed == 2
    assert len(last["history"]) == 2, "the partial epoch was validated"
    assert result.stop_reason.startswith("phases: all 1 phases done")


def test_early_stopping_ends_the_phase_not_the_run_and_resets_each_phase(tmp_path):
    # a huge SGD LR makes validation loss worsen quickly; the calm phase must still run with fresh counters
    config = synthetic_config("optim.name=sgd", "trainer.epochs=30", phases(
        "{name: hot, epochs: 20, patience: 0, lr: {peak: 0.5}}",
        "{name: calm, epochs: 3, patience: 1, lr: {peak: 0.001}}",
    ))
    result = run(config, workdir=tmp_path, progress=False)
    hot, calm = load(result.checkpoints["last"])["callbacks"]["phases"]["completed"]
    assert hot["reason"].startswith("early stopping: val/loss did not improve for 1 epoch ") and hot["epochs"] < 20
    assert calm["epochs"] >= 2, "patience 1 with fresh counters allows at least two epochs"
    assert calm["best_epoch"] >= calm["start_epoch"], "the calm phase's best is its own, not the hot phase's"
    assert result.stop_reason.startswith("phases: all 2 phases done"), "the run ended with its phases"
    assert result.epochs_completed == hot["epochs"] + calm["epochs"]


@pytest.mark.parametrize(("patience", "ends_after"), [(0, 4), (1, 4), (3, 6)])
def test_phase_patience_counts_like_early_stopping(patience, ends_after):
    """The hand-made sequence of the early-stopping test (best at epoch 3, worse from epoch 4 on): a phase
    ends at the same epoch as the run would under ``early_stopping`` with the same patience."""
    from scrimmage.engine.callbacks.early_stopping import EarlyStopping
    from scrimmage.engine.events import Context, LoopState

    losses = [1.0, 0.9, 0.8, 0.85, 0.81, 0.82, 0.83, 0.84]
    config = synthetic_config(f"trainer.epochs={len(losses)}", "monitor.metric=val/loss",
                              phases(f"{{name: only, epochs: {len(losses)}, patience: {patience}}}"))
    callback = config.callbacks[0].build(config)
    stopper = EarlyStopping("val/loss", "min", patience, 0.0)
    weights = torch.zeros(1, requires_grad=True)
    state = LoopState(max_epochs=len(losses), steps_per_epoch=1, optimizer=torch.optim.SGD([weights], lr=0.1))
    ctx = Context(save_checkpoint=lambda path: None, load_weights=lambda path: None)
    callback.on_fit_start(state, ctx)
    ended = stopped = None
    for epoch, loss in enumerate(losses, start=1):
        state.epoch, state.metrics = epoch, {"epoch": float(epoch), "val/loss": loss}
        callback.on_epoch_end(state, ctx)
        if ended is None and callback.completed:
            ended = epoch
        state.should_stop = False
        stopper.on_epoch_end(state, ctx)
        if stopped is None and state.should_stop:
            stopped = epoch
    assert ended == stopped == ends_after
    (only,) = callback.completed
    assert only["best_epoch"] == 3 and only["epochs"] == ends_after
    bad = ends_after - 3
    assert only["reason"].startswith(f"early stopping: val/loss did not improve for {bad} epoch{'s' if bad > 1 else ''} (")


def test_a_phase_change_at_an_epoch_end_prints_after_that_epochs_line():
    """The progress callback prints "epoch N ..." after the phases callback's EPOCH_END; the phase change is
    printed at the next event, so the log reads in order (and "1 epoch", not "1 epochs")."""
    from scrimmage.engine.events import Context, LoopState

    config = synthetic_config("trainer.epochs=2", "monitor.metric=val/loss",
                              phases("{name: one, epochs: 1}", "{name: two, epochs: 1}"))
    callback = config.callbacks[0].build(config)
    printed: list[str] = []
    state = LoopState(max_epochs=2, steps_per_epoch=1,
                      optimizer=torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=0.1))
    ctx = Context(save_checkpoint=lambda path: None, load_weights=lambda path: None, print=printed.append)
    callback.on_fit_start(state, ctx)
    assert printed == ["phase 1/2 'one' (1 epoch, lr 0.001 → 0.001 → 0.001, batch 32) starts at epoch 1, step 0"]
    for epoch in (1, 2):
        state.epoch, state.metrics = epoch, {"epoch": float(epoch), "val/loss": 1.0 / epoch}
        callback.on_epoch_end(state, ctx)
        printed.append(f"epoch {epoch}")  # what the progress callback prints next
        (callback.on_epoch_start if epoch == 1 else callback.on_fit_end)(state, ctx)
    assert printed[1:] == [
        "epoch 1", "phase 1/2 'one' ended at step 0 (end of epoch 1): 1 epoch",
        "phase 2/2 'two' (1 epoch, lr 0.001 → 0.001 → 0.001, batch 32) starts at epoch 2, step 0",
        "epoch 2", "phase 2/2 'two' ended at step 0 (end of epoch 2): 1 epoch",
    ]


def test_a_wall_time_phase_ends_when_its_minutes_are_spent(tmp_path, monkeypatch):
    ticks = itertools.count()  # a clock that advances one second each time it is read
    monkeypatch.setattr(phases_module, "monotonic", lambda: float(next(ticks)))
    config = synthetic_config("trainer.epochs=10", phases("{name: timed, minutes: 0.5}", "{name: tail, steps: 5}"))
    result = run(config, workdir=tmp_path, progress=False)
    timed, tail = load(result.checkpoints["last"])["callbacks"]["phases"]["completed"]
    assert timed["reason"] == "0.5 minutes" and 10 <= timed["steps"] <= 30 and timed["seconds"] >= 30
    assert tail["steps"] == 5 and tail["end_step"] == timed["end_step"] + 5


def test_checkpoint_every_n_minutes_writes_last_mid_epoch(tmp_path, monkeypatch):
    from scrimmage.engine.callbacks import checkpointing

    ticks = itertools.count()
    monkeypatch.setattr(checkpointing, "monotonic", lambda: float(next(ticks)))
    seen: list[int] = []

    class Peek(Callback):
        def on_optimizer_step(self, state, ctx):
            last = next((tmp_path / "runs").glob("*/checkpoints/last.ckpt"), None)
            if last is not None and state.global_step < STEPS:
                seen.append(load(last)["loop"]["position"]["global_step"])

    run(synthetic_config("trainer.epochs=1", "callbacks=[]", "checkpoint.every_n_minutes=0.05"),
        workdir=tmp_path, progress=False, callbacks=[Peek()])
    assert seen and 0 < seen[0] < STEPS, "last.ckpt was written by the clock before the first epoch ended"


PHASED = (
    "trainer.epochs=10", "checkpoint.every_n_steps=2",
    phases("{name: warm, steps: 30, loss_weights: {b: 0.2}, "
           " lr: {initial: 0.0001, peak: 0.01, final: 0.002, warmup_steps: 5, decay_steps: 10}}",
           "{name: main, epochs: 2, batch_size: 64, patience: 3, loss_weights: {a: 0.5}, "
           " lr: {initial: 0.004, peak: 0.002, final: 0.0005, warmup_steps: 3, decay_steps: 8}}"),
)


@pytest.mark.parametrize(("crash_step", "phase", "position"), [(13, 0, 12), (31, 1, 11), (45, 1, 6)])
def test_a_run_killed_mid_phase_resumes_to_identical_weights(tmp_path, crash_step, phase, position):
    config = synthetic_config(*PHASED)
    straight = run(config, workdir=tmp_path / "a", progress=False)

    with pytest.raises(TrainingInterrupted, match="--resume"):
        run(config, workdir=tmp_path / "b", progress=False, callbacks=[Interrupt(crash_step)])
    ckpt = next((tmp_path / "b" / "runs").glob("*/checkpoints/last.ckpt"))
    saved = load(ckpt)
    assert saved["callbacks"]["phases"]["index"] == phase, "the checkpoint is inside the phase"
    assert saved["loop"]["data_order"]["position"] == position, "mid-epoch (at batch 64 for step 45)"
    resumed = run(config, workdir=tmp_path / "b", resume=str(ckpt), progress=False)

    a, b = load(straight.checkpoints["last"]), load(resumed.checkpoints["last"])
    for key in a["model"]:
        assert torch.equal(a["model"][key], b["model"][key]), key
    assert a["history"] == b["history"]
    assert without_clock(a["callbacks"]["phases"]) == without_clock(b["callbacks"]["phases"])
    assert resumed.test == straight.test and resumed.stop_reason == straight.stop_reason


def test_the_session_budget_stops_with_a_checkpoint_and_the_run_resumes_in_its_phase(tmp_path):
    config = synthetic_config("trainer.epochs=5000", "trainer.session_budget=1s",
                              phases("{name: warm, steps: 10}", "{name: long, epochs: 4000}"))
    with pytest.raises(TrainingInterrupted) as caught:
        run(config, workdir=tmp_path, progress=False)
    assert caught.value.exit_code == 75
    message = str(caught.value)
    assert "stopped by the session budget (1s)" in message and "a checkpoint was saved" in message
    assert f"scrimmage --workdir {tmp_path} train --resume" in message
    record = json.loads(next((tmp_path / "runs").glob("*/run.json")).read_text())
    assert record["status"] == "interrupted"
    saved = load(next((tmp_path / "runs").glob("*/checkpoints/last.ckpt")))
    step, epoch = saved["loop"]["position"]["global_step"], saved["loop"]["position"]["epoch"]
    assert step > 0
    state = saved["callbacks"]["phases"]
    assert (state["index"], state["step_in_phase"]) == ((0, step) if step < 10 else (1, step - 10))

    # the next session: no budget, two more epochs
    more = synthetic_config("trainer.epochs=" + str(epoch + 2), "trainer.session_budget=null",
                            phases("{name: warm, steps: 10}", "{name: long, epochs: 4000}"))
    resumed = run(more, workdir=tmp_path, resume=record["run_id"], progress=False)
    assert resumed.epochs_completed == epoch + 2 and resumed.stop_reason == "max epochs"
    final = load(resumed.checkpoints["last"])
    assert final["callbacks"]["phases"]["index"] == 1, "still in the long phase"
    assert final["callbacks"]["phases"]["step_in_phase"] == final["loop"]["position"]["global_step"] - 10


@DATASETS.register
class NamedTargets(SyntheticRegression):
    """The synthetic data, declaring its targets up front (so loss weight names are checked at load time)."""

    name: Literal["synthetic-named"] = "synthetic-named"

    def targets(self) -> tuple[str, ...]:
        return ("a", "b")


@pytest.mark.parametrize(("overrides", "message"), [
    ((phases("{name: x, steps: 5, epochs: 1}"),), "exactly one duration: epochs, steps or minutes (it has epochs and steps)"),
    ((phases("{name: x, steps: 5, lr: {peak: -0.1}}"),), "'callbacks.0.phases.0.lr.peak': Input should be greater than 0"),
    ((phases("{name: x, steps: 5}"), "scheduler.name=cosine"), "set scheduler.name: constant (it is 'cosine')"),
    ((phases("{name: x, steps: 5, loss_weights: {c: 1}}"), "data.name=synthetic-named"),
     "phase 'x' weighs unknown loss parts ['c']; the task's are ['a', 'b']"),
    ((phases("{name: x, epochs: 3}", "{name: y, epochs: 3}"),), "set trainer.epochs: 6"),
    ((phases("{name: x, stps: 5}"),), "Did you mean 'callbacks.0.phases.0.steps'?"),
    (("trainer.session_budget=12 hours",), "'trainer.session_budget': '12 hours' is not a duration"),
])
def test_bad_phase_and_budget_configs_are_clear_errors(overrides, message):
    with pytest.raises(ConfigError) as caught:
        synthetic_config(*overrides)
    assert message in str(caught.value)


def test_unknown_loss_weight_names_fail_before_anything_is_written(tmp_path):
    config = synthetic_config(phases("{name: x, steps: 5, loss_weights: {home: 1}}"))  # targets unknown until built
    with pytest.raises(ConfigError, match=r"phase 'x' weighs unknown loss parts \['home'\]"):
        run(config, workdir=tmp_path, progress=False)
    assert not (tmp_path / "runs").exists()


def test_cli_session_budget_exits_75_with_the_resume_command(tmp_path):
    from scrimmage.cli.main import app

    recipe = tmp_path / "r.yaml"
    recipe.write_text("data: {name: synthetic-regression}\ntrainer: {epochs: 5000, batch_size: 32}\n"
                      "tracking: {enabled: false}\nmodel: {hidden: [16]}\n")
    workdir = tmp_path / "wd"
    result = CliRunner().invoke(app, ["--workdir", str(workdir), "train", str(recipe), "--session-budget", "1s"])
    output = result.output + (result.stderr if result.stderr_bytes is not None else "")
    assert result.exit_code == 75, output
    assert "stopped by the session budget (1s)" in output
    assert f"train --resume {next((workdir / 'runs').iterdir()).name}" in " ".join(output.split())
    bad = CliRunner().invoke(app, ["--workdir", str(workdir), "train", str(recipe), "--session-budget", "soon"])
    assert bad.exit_code == 2 and "trainer.session_budget" in bad.output + (bad.stderr or "")


def test_phase_checkpoint_paths_are_reported(tmp_path):
    result = run(synthetic_config(phases("{name: one, steps: 3}", "{name: two, steps: 3}")), workdir=tmp_path,
                 progress=False)
    assert {"phase_01-one", "phase_02-two"} <= set(result.checkpoints)
    assert all(Path(result.checkpoints[k]).is_file() for k in ("phase_01-one", "phase_02-two"))
    assert math.isfinite(result.test["loss"])


def test_phases_longer_than_trainer_epochs_are_refused_as_the_readme_says():
    from scrimmage.errors import ConfigError

    with pytest.raises(ConfigError, match="the phases last 5 epochs but trainer.epochs is 4"):
        synthetic_config("trainer.epochs=4", phases("{name: a, epochs: 3}", "{name: b, epochs: 2}"))
