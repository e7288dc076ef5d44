"""Resume is exact: an interrupted-then-resumed deterministic run ends with identical weights."""

from __future__ import annotations

import math

import pytest
import torch

from scrimmage.engine import run
from scrimmage.errors import TrainingInterrupted
from tests.engine.synthetic import Interrupt


def final_weights(result) -> dict[str, torch.Tensor]:
    state = torch.load(result.checkpoints["last"], map_location="cpu", weights_only=False)
    return state["model"]


def assert_same_weights(a: dict[str, torch.Tensor], b: dict[str, torch.Tensor]) -> None:
    assert a.keys() == b.keys()
    for key in a:
        assert torch.equal(a[key], b[key]), f"weights differ at {key}"


@pytest.mark.parametrize("accumulate", [1, 3])
def test_resume_mid_epoch_gives_identical_weights(tmp_path, synthetic_config, accumulate):
    config = synthetic_config(
        "checkpoint.every_n_steps=2", f"trainer.accumulate={accumulate}", "scheduler.name=warmup_cosine"
    )
    straight = run(config, workdir=tmp_path / "a", progress=False)

    steps_per_epoch = math.ceil(math.ceil(600 / 32) / accumulate)
    crash_step = steps_per_epoch + steps_per_epoch // 2 + 1  # odd step in the middle of epoch 2
    with pytest.raises(TrainingInterrupted, match="--resume"):
        run(config, workdir=tmp_path / "b", progress=False, callbacks=[Interrupt(crash_step)])
    ckpt = next((tmp_path / "b" / "runs").glob("*/checkpoints/last.ckpt"))
    saved = torch.load(ckpt, weights_only=False)
    assert saved["loop"]["position"]["epoch"] == 1 and 0 < saved["loop"]["data_order"]["position"], "checkpoint must be mid-epoch"
    resumed = run(config, workdir=tmp_path / "b", resume=str(ckpt), progress=False)

    assert resumed.epochs_completed == straight.epochs_completed
    assert_same_weights(final_weights(straight), final_weights(resumed))
    assert resumed.test == straight.test


def test_resume_by_run_id_after_epoch_boundary(tmp_path, synthetic_config):
    config = synthetic_config("trainer.epochs=3")
    straight = run(config, workdir=tmp_path / "a", progress=False)
    steps = -(-600 // 32)
    with pytest.raises(TrainingInterrupted, match="--resume"):
        run(config, workdir=tmp_path / "b", progress=False, callbacks=[Interrupt(steps * 2 + 3)])
    run_id = next((tmp_path / "b" / "runs").iterdir()).name
    resumed = run(config, workdir=tmp_path / "b", resume=run_id, progress=False)
    assert resumed.run_id == run_id
    assert_same_weights(final_weights(straight), final_weights(resumed))


def test_resume_can_extend_epochs_but_not_change_the_model(tmp_path, synthetic_config):
    from scrimmage.errors import CheckpointError

    first = run(synthetic_config("trainer.epochs=2"), workdir=tmp_path, progress=False)
    longer = run(synthetic_config("trainer.epochs=3"), workdir=tmp_path, resume=first.run_id, progress=False)
    assert longer.epochs_completed == 3
    with pytest.raises(CheckpointError, match="model.hidden"):
        run(synthetic_config("model.hidden=[8]"), workdir=tmp_path, resume=first.run_id, progress=False)


def test_unknown_resume_target_is_a_clear_error(tmp_path, synthetic_config):
    from scrimmage.errors import CheckpointError

    with pytest.raises(CheckpointError, match="no run 'nope'"):
        run(synthetic_config(), workdir=tmp_path, resume="nope", progress=False)
    with pytest.raises(CheckpointError, match="checkpoint not found"):
        run(synthetic_config(), workdir=tmp_path, resume=str(tmp_path / "x.ckpt"), progress=False)


def test_runs_lists_finished_and_resumable_runs(tmp_path, synthetic_config):
    from scrimmage.engine.runs import list_runs

    done = run(synthetic_config("trainer.epochs=2"), workdir=tmp_path, progress=False)
    with pytest.raises(TrainingInterrupted):
        run(synthetic_config("trainer.epochs=3"), workdir=tmp_path, progress=False,
            callbacks=[Interrupt(math.ceil(600 / 32) + 2)])
    by_status = {info.status: info for info in list_runs(tmp_path)}
    assert by_status["finished"].run_id == done.run_id
    assert by_status["finished"].test == done.test and not by_status["finished"].resumable
    interrupted = by_status["interrupted"]
    assert interrupted.resumable and interrupted.epochs_completed == 1
    assert "--resume" in interrupted.error
