"""The run session: stop modes, identity, many runs in one process, pluggable loops, format-3 checkpoints."""

from __future__ import annotations

import json
import multiprocessing
import shutil
import threading
from pathlib import Path

import pytest
import torch

import tests.engine.stream_loop  # noqa: F401  (registers the "stream" loop)
from scrimmage.engine import run
from scrimmage.engine.events import Callback
from scrimmage.engine.runner import StopHandle
from scrimmage.errors import ArgumentError, CheckpointError, RunAborted, RunPruned, TrainingInterrupted
from tests.engine.synthetic import Interrupt, SyntheticRegression

FIXTURES = Path(__file__).parent / "fixtures"


class RequestStop(Callback):
    """Asks the run to stop at optimizer step ``at`` in ``mode`` (what a lease watcher or a pruner does)."""

    name = "request_stop"

    def __init__(self, at: int, mode: str):
        self.at, self.mode = at, mode

    def on_optimizer_step(self, state, ctx) -> None:
        if state.global_step == self.at:
            ctx.request_stop(f"test at step {self.at}", self.mode)


def run_dir(workdir: Path) -> Path:
    return next((workdir / "runs").iterdir())


def load(path: Path) -> dict:
    return torch.load(path, map_location="cpu", weights_only=False)


@pytest.mark.parametrize(("mode", "error", "status"), [("abort", RunAborted, "aborted"), ("prune", RunPruned, "pruned")])
def test_abort_and_prune_write_nothing_more(tmp_path, synthetic_config, mode, error, status):
    with pytest.raises(error, match="test at step 5"):
        run(synthetic_config("checkpoint.every_n_steps=0"), workdir=tmp_path, progress=False,
            callbacks=[RequestStop(5, mode)])
    folder = run_dir(tmp_path)
    assert not (folder / "checkpoints" / "last.ckpt").exists(), "no checkpoint after the request"
    assert not (folder / "result.json").exists() and not (folder / "predictions").exists()
    record = json.loads((folder / "run.json").read_text())
    assert record["status"] == status and "test at step 5" in record["error"]


def test_a_checkpoint_stop_from_another_thread_saves_and_resumes(tmp_path, synthetic_config):
    handle = StopHandle()

    class StopFromThread(Callback):
        name = "thread_stopper"

        def on_optimizer_step(self, state, ctx):
            if state.global_step == 7:
                worker = threading.Thread(target=handle.request_stop, args=("lease renewed elsewhere",))
                worker.start()
                worker.join()

    config = synthetic_config("trainer.epochs=2")
    with pytest.raises(TrainingInterrupted, match="a checkpoint was saved") as stopped:
        run(config, workdir=tmp_path, progress=False, callbacks=[StopFromThread()], stop=handle)
    assert "lease renewed elsewhere" in str(stopped.value)
    last = load(run_dir(tmp_path) / "checkpoints" / "last.ckpt")
    assert last["loop"]["position"]["global_step"] == 7
    resumed = run(config, workdir=tmp_path, resume=run_dir(tmp_path).name, progress=False)
    straight = run(config, workdir=tmp_path / "straight", progress=False)
    assert resumed.test == straight.test


def test_a_crash_without_any_checkpoint_does_not_claim_one(tmp_path, synthetic_config):
    with pytest.raises(TrainingInterrupted) as stopped:
        run(synthetic_config("checkpoint.every_n_steps=0"), workdir=tmp_path, progress=False, callbacks=[Interrupt(3)])
    assert "a checkpoint was saved" not in str(stopped.value)
    assert "No checkpoint exists yet" in str(stopped.value)


def test_a_callback_that_sets_should_stop_finishes_the_run(tmp_path, synthetic_config):
    class Enough(Callback):
        name = "enough"

        def on_optimizer_step(self, state, ctx):
            if state.global_step == 4:
                state.should_stop, state.stop_reason = True, "enough"

    result = run(synthetic_config(), workdir=tmp_path, progress=False, callbacks=[Enough()])
    assert result.stop_reason == "enough" and result.test and (Path(result.run_dir) / "result.json").is_file()


def test_a_run_restores_threads_and_deterministic_flags(tmp_path, synthetic_config):
    torch.set_num_threads(2)
    torch.use_deterministic_algorithms(False)
    try:
        run(synthetic_config("trainer.threads=1", "trainer.deterministic=true", "trainer.epochs=1"), workdir=tmp_path,
            progress=False)
        assert torch.get_num_threads() == 2
        assert not torch.are_deterministic_algorithms_enabled()
    finally:
        torch.set_num_threads(1)


def test_the_result_holds_numbers_and_paths_only(tmp_path, synthetic_config):
    result = run(synthetic_config("trainer.epochs=1"), workdir=tmp_path, progress=False)
    json.dumps(result.to_dict())  # nothing that is not plain data
    assert not any(isinstance(v, (torch.Tensor, torch.nn.Module)) for v in vars(result).values())


def test_a_caller_fixes_the_run_id_and_a_reclaimed_job_resumes_it(tmp_path, synthetic_config):
    config = synthetic_config("trainer.epochs=2", "checkpoint.every_n_steps=5")
    with pytest.raises(TrainingInterrupted):
        run(config, workdir=tmp_path, run_id="job-17.attempt", progress=False, callbacks=[Interrupt(27)])
    assert (tmp_path / "runs" / "job-17.attempt" / "checkpoints" / "last.ckpt").is_file()
    resumed = run(config, workdir=tmp_path, run_id="job-17.attempt", progress=False)
    assert resumed.run_id == "job-17.attempt" and resumed.epochs_completed == 2
    assert json.loads((tmp_path / "runs" / "job-17.attempt" / "run.json").read_text())["status"] == "finished"
    for bad in ("", "../escape", "a/b", ".hidden"):
        with pytest.raises(ArgumentError, match="not a valid folder name"):
            run(config, workdir=tmp_path, run_id=bad, progress=False)


def test_a_prebuilt_bundle_is_used_and_the_test_can_be_skipped(tmp_path, synthetic_config, monkeypatch):
    config = synthetic_config("trainer.epochs=2")
    bundle = SyntheticRegression().build(tmp_path)
    monkeypatch.setattr(SyntheticRegression, "build", lambda self, workdir: pytest.fail("the bundle was rebuilt"))
    trial = run(config, workdir=tmp_path, data=bundle, evaluate_test=False, progress=False)
    assert trial.test == {} and trial.predictions is None and not trial.tested
    assert trial.model_checkpoint["file"] == "best.ckpt", "a trial names its best weights and writes nothing more"
    assert not (Path(trial.run_dir) / "checkpoints" / "final.ckpt").exists()
    assert trial.val and trial.best["value"] is not None
    full = run(config, workdir=tmp_path, data=bundle, progress=False)
    assert full.val == trial.val, "the same data and seed train the same model"
    assert full.test and Path(full.predictions).is_file()


def test_processes_opening_runs_at_the_same_instant_get_distinct_ids(tmp_path):
    from tests.engine.open_runs import open_at_once

    with multiprocessing.get_context("spawn").Pool(8) as pool:
        names = pool.map(open_at_once, [str(tmp_path)] * 24)
    assert len(set(names)) == 24


def test_resume_misuses_fail_before_anything_is_written(tmp_path, synthetic_config):
    config = synthetic_config("trainer.epochs=1")
    with pytest.raises(ArgumentError, match="--resume needs a run id"):
        run(config, workdir=tmp_path, resume="", progress=False)
    first = run(config, workdir=tmp_path / "a", progress=False)
    damaged = load(Path(first.checkpoints["last"]))
    del damaged["optimizer"]
    torch.save(damaged, tmp_path / "partial.ckpt")
    with pytest.raises(CheckpointError, match="lacks \\['optimizer'\\]"):
        run(config, workdir=tmp_path / "b", resume=str(tmp_path / "partial.ckpt"), progress=False)
    assert not (tmp_path / "b" / "runs").exists() or not list((tmp_path / "b" / "runs").iterdir()), "no run folder left behind"


def test_a_format_2_checkpoint_still_resumes_and_loads(tmp_path, synthetic_config):
    from scrimmage.export.checkpoint import load_model

    old = FIXTURES / "format2-synthetic.ckpt"  # written by main e6b838b: synthetic, 2 epochs, hidden [8]
    assert load(old)["format"] == 2
    loaded = load_model(old)
    assert loaded.spec.n_features == 6
    config = synthetic_config("trainer.epochs=3", "model.hidden=[8]", "checkpoint.every_n_steps=0")
    shutil.copy(old, tmp_path / "old.ckpt")
    resumed = run(config, workdir=tmp_path, resume=str(tmp_path / "old.ckpt"), progress=False)
    assert resumed.epochs_completed == 3
    for fmt in (1, 99):
        state = load(old) | {"format": fmt}
        torch.save(state, tmp_path / f"f{fmt}.ckpt")
        with pytest.raises(CheckpointError, match=f"format {fmt}"):
            run(config, workdir=tmp_path, resume=str(tmp_path / f"f{fmt}.ckpt"), progress=False)


def test_a_format_3_checkpoint_is_self_describing(tmp_path, synthetic_config):
    result = run(synthetic_config("trainer.epochs=1"), workdir=tmp_path, progress=False)
    state = load(Path(result.checkpoints["last"]))
    assert state["format"] == 3 and state["loop"]["name"] == "supervised"
    assert {"task_state", "members", "spec", "data_version"} <= set(state)
    signature = state["spec"]["signature"]
    assert signature["x"] == {"dtype": "float32", "rank": 2, "shape": [None, 6], "dynamic_axes": [0]}
    assert signature["cat"]["dtype"] == "int64"


# ---- a second loop gets everything but training from the session -------------------------------
STREAM = ("loop={name: stream, steps: 40, validate_every: 10}", "callbacks=[]")


def test_a_second_loop_trains_checkpoints_tracks_and_reports(tmp_path, synthetic_config):
    result = run(synthetic_config(*STREAM, "tracking.enabled=true"), workdir=tmp_path, progress=False)
    assert result.epochs_completed == 4 and result.test and result.best["epoch"] is not None
    last = load(Path(result.checkpoints["last"]))
    assert last["loop"] == {"name": "stream", "position": last["loop"]["position"]}
    assert last["loop"]["position"]["global_step"] == 40 and len(last["history"]) == 4
    import mlflow

    client = mlflow.tracking.MlflowClient(f"sqlite:///{tmp_path / 'mlflow.db'}")
    history = client.get_metric_history(result.mlflow_run_id, "val/loss")
    assert len(history) == 4, "the session's tracking callback logged every validation round"


def test_a_second_loop_stops_on_request_and_resumes_exactly(tmp_path, synthetic_config):
    config = synthetic_config(*STREAM, "checkpoint.every_n_steps=0")
    straight = run(config, workdir=tmp_path / "a", progress=False)
    with pytest.raises(TrainingInterrupted, match="a checkpoint was saved"):
        run(config, workdir=tmp_path / "b", progress=False, callbacks=[RequestStop(23, "checkpoint")])
    resumed = run(config, workdir=tmp_path / "b", resume=run_dir(tmp_path / "b").name, progress=False)
    a, b = load(Path(straight.checkpoints["last"]))["model"], load(Path(resumed.checkpoints["last"]))["model"]
    assert all(torch.equal(a[k], b[k]) for k in a)
    with pytest.raises(CheckpointError, match="loop cannot change on resume: the run trains with loop 'stream'"):
        run(synthetic_config("callbacks=[]"), workdir=tmp_path / "c", resume=resumed.checkpoints["last"], progress=False)


def test_a_second_loop_runs_from_the_cli_with_json(tmp_path):
    from typer.testing import CliRunner

    from scrimmage.cli.main import app
    from tests.engine.synthetic import BASE_OVERRIDES

    recipe = tmp_path / "stream.yaml"
    recipe.write_text("data:\n  name: synthetic-regression\n")
    overrides = [arg for item in (*BASE_OVERRIDES, *STREAM) for arg in ("-o", item)]
    outcome = CliRunner().invoke(app, ["--workdir", str(tmp_path), "train", str(recipe), *overrides, "--json"])
    assert outcome.exit_code == 0, outcome.output
    payload = json.loads(outcome.stdout.strip().splitlines()[-1])
    assert payload["epochs_completed"] == 4 and payload["test"]


# ---- a task with hooks and state joins the run ------------------------------------------------
from typing import Literal  # noqa: E402

from scrimmage.config.registry import TASKS  # noqa: E402
from scrimmage.engine.tasks.configs import RegressionTaskConfig  # noqa: E402
from scrimmage.engine.tasks.regression import RegressionTask  # noqa: E402


class CountingTask(RegressionTask):
    """Regression that counts validations (a hook) and keeps the count (task state)."""

    def __init__(self, spec):
        super().__init__(spec)
        self.validations = 0

    def on_validation_end(self, state, ctx):
        self.validations += 1
        state.metrics["val/validations"] = float(self.validations)

    def state_dict(self):
        return {"validations": self.validations}

    def load_state_dict(self, state):
        self.validations = int(state["validations"])


@TASKS.register
class CountingTaskConfig(RegressionTaskConfig):
    """Regression that counts its validations (tests only)"""

    name: Literal["counting-regression"] = "counting-regression"

    def build(self, spec):
        return CountingTask(spec)


def test_a_task_receives_events_and_its_state_is_checkpointed(tmp_path, synthetic_config):
    config = synthetic_config("task.name=counting-regression", "trainer.epochs=3")
    with pytest.raises(TrainingInterrupted):
        run(config, workdir=tmp_path, progress=False, callbacks=[Interrupt(19 * 2 + 5)])
    last = load(run_dir(tmp_path) / "checkpoints" / "last.ckpt")
    assert last["task_state"] == {"validations": 2} and "task" not in last["callbacks"]
    resumed = run(config, workdir=tmp_path, resume=run_dir(tmp_path).name, progress=False)
    final = load(Path(resumed.checkpoints["last"]))
    assert final["task_state"] == {"validations": 3}, "the count went on from the checkpoint"
    assert final["history"][-1]["val/validations"] == 3.0


# ---- one writer per run ------------------------------------------------------------------------
def test_a_second_writer_of_a_run_is_refused_and_the_lock_dies_with_its_process(tmp_path, synthetic_config):
    import subprocess
    import sys

    from scrimmage.engine.runs import RunLock, is_locked, list_runs

    config = synthetic_config("trainer.epochs=3")
    with pytest.raises(TrainingInterrupted):
        run(config, workdir=tmp_path, progress=False, callbacks=[Interrupt(25)])
    folder = run_dir(tmp_path)
    holder = subprocess.Popen([sys.executable, "-c", (
        "import sys, time; from pathlib import Path; from scrimmage.engine.runs import RunLock; "
        f"lock = RunLock(Path({str(folder)!r})).acquire(); print('held', flush=True); time.sleep(60)")],
        stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        assert is_locked(folder)
        info = list_runs(tmp_path)[0]
        assert info.status == "running" and not info.resumable, "a live run is not resumable"
        with pytest.raises(CheckpointError, match=f"being trained right now by pid {holder.pid}"):
            run(config, workdir=tmp_path, resume=folder.name, progress=False)
    finally:
        holder.kill()
        holder.wait()
    assert not is_locked(folder), "the OS released the lock of the killed process"
    resumed = run(config, workdir=tmp_path, resume=folder.name, progress=False)
    assert resumed.epochs_completed == 3 and not is_locked(folder)
    RunLock(folder).acquire().release()


def test_a_finished_run_resumes_only_to_extend_it(tmp_path, synthetic_config):
    first = run(synthetic_config("trainer.epochs=2"), workdir=tmp_path, progress=False)
    before = (Path(first.run_dir) / "result.json").read_text()
    with pytest.raises(CheckpointError, match="is finished; resuming it with the same config would change nothing"):
        run(synthetic_config("trainer.epochs=2"), workdir=tmp_path, resume=first.run_id, progress=False)
    assert (Path(first.run_dir) / "result.json").read_text() == before
    assert json.loads((Path(first.run_dir) / "run.json").read_text())["status"] == "finished"


def test_early_stopping_resumed_with_more_patience_trains_on(tmp_path, synthetic_config):
    settings = ("trainer.epochs=30", "optim.lr=0.5", "optim.name=sgd")
    stopped = run(synthetic_config(*settings, "callbacks.0.patience=1"), workdir=tmp_path, progress=False)
    assert stopped.stop_reason.startswith("early stopping")
    longer = run(synthetic_config(*settings, "callbacks.0.patience=4"), workdir=tmp_path, resume=stopped.run_id,
                 progress=False)
    assert longer.epochs_completed > stopped.epochs_completed


def test_a_damaged_run_record_is_named_before_anything_is_loaded(tmp_path, synthetic_config):
    config = synthetic_config("trainer.epochs=2")
    with pytest.raises(TrainingInterrupted):
        run(config, workdir=tmp_path, progress=False, callbacks=[Interrupt(25)])
    (run_dir(tmp_path) / "run.json").write_text("{not json")
    with pytest.raises(CheckpointError, match="run record .* is damaged"):
        run(config, workdir=tmp_path, resume=run_dir(tmp_path).name, progress=False)


def test_runs_does_not_call_an_unreadable_checkpoint_resumable(tmp_path, synthetic_config):
    from scrimmage.engine.runs import list_runs

    with pytest.raises(TrainingInterrupted):
        run(synthetic_config("trainer.epochs=2"), workdir=tmp_path, progress=False, callbacks=[Interrupt(25)])
    assert list_runs(tmp_path)[0].resumable
    last = run_dir(tmp_path) / "checkpoints" / "last.ckpt"
    last.write_bytes(last.read_bytes()[:500])
    assert not list_runs(tmp_path)[0].resumable


# ---- a run id means the model its report scored -------------------------------------------------
@pytest.mark.parametrize("settings", [("checkpoint.restore_best=true",), ("checkpoint.restore_best=false",),
                                      ("checkpoint.restore_best=false", "callbacks=[{name: ema, decay: 0.9}]")],
                         ids=["best", "final", "final-ema"])
def test_the_run_id_resolves_to_the_weights_its_report_scored(tmp_path, synthetic_config, settings):
    import pandas as pd

    from scrimmage.export.checkpoint import load_model
    from tests.engine.synthetic import _split

    result = run(synthetic_config("trainer.epochs=3", *settings), workdir=tmp_path, progress=False)
    record = json.loads((Path(result.run_dir) / "run.json").read_text())
    expected = "best.ckpt" if "restore_best=true" in settings[0] else "final.ckpt"
    assert record["model_checkpoint"]["file"] == expected == Path(result.checkpoints["model"]).name
    loaded = load_model(result.run_id, workdir=tmp_path)
    assert loaded.path.name == expected and loaded.run_status == "finished"
    assert loaded.epoch == record["model_checkpoint"]["epoch"]
    predicted = loaded.predict_tensors(_split(200, 3).take(slice(None)))
    saved = pd.read_csv(result.predictions)
    for column, values in predicted.items():
        assert values == pytest.approx(saved[column].to_numpy(), rel=1e-5, abs=1e-5), column
