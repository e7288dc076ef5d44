"""A training process killed with SIGKILL in the middle of an epoch resumes to identical weights."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch

from scrimmage.engine import run
from tests.engine.kill_worker import KILL_TEST_OVERRIDES
from tests.engine.synthetic import synthetic_config

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.slow
STEPS_PER_EPOCH = -(-600 // 32)  # 19
PARK_STEP = 27  # mid epoch 2 (steps 20-38), a multiple of every_n_steps=3 (last.ckpt is written there)


def _worker(workdir: Path, resume: Path | None = None, park: tuple[int, Path] | None = None,
            tracking: bool = False) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    options = (["--tracking"] if tracking else []) + (["--park-at", str(park[0]), str(park[1])] if park else [])
    return subprocess.Popen([sys.executable, "-m", "tests.engine.kill_worker", *options, str(workdir),
                             *([str(resume)] if resume else [])], cwd=ROOT, env=env)


def test_sigkill_mid_epoch_then_resume_matches_uninterrupted(tmp_path):
    straight = run(synthetic_config(*KILL_TEST_OVERRIDES), workdir=tmp_path / "a", progress=False)

    marker = tmp_path / "parked"
    proc = _worker(tmp_path / "b", park=(PARK_STEP, marker))
    deadline = time.monotonic() + 120
    while not marker.exists() and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    assert marker.exists(), f"the worker never reached step {PARK_STEP} (exit code {proc.poll()})"
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL

    ckpt_dir = next((tmp_path / "b" / "runs").iterdir()) / "checkpoints"
    killed_at = torch.load(ckpt_dir / "last.ckpt", weights_only=False)
    position = killed_at["loop"]["position"]
    assert position["global_step"] == PARK_STEP and position["epoch"] == 1, "killed mid-epoch 2, checkpointed at the step"
    assert killed_at["loop"]["data_order"]["position"] > 0
    (ckpt_dir / ".last.ckpt.tmp").write_bytes(b"half a checkpoint")  # what a kill during a write leaves

    resumed = _worker(tmp_path / "b", resume=ckpt_dir / "last.ckpt")
    assert resumed.wait(timeout=300) == 0
    assert not list(ckpt_dir.glob(".*.tmp")), "temp files of a killed write are cleaned up on resume"

    a = torch.load(straight.checkpoints["last"], weights_only=False)["model"]
    b = torch.load(ckpt_dir / "last.ckpt", weights_only=False)["model"]
    for key in a:
        assert torch.equal(a[key], b[key]), key


def test_a_killed_run_is_marked_killed_in_mlflow_when_the_workdir_is_next_used(tmp_path):
    import json

    from mlflow.tracking import MlflowClient

    marker = tmp_path / "parked"
    proc = _worker(tmp_path, park=(5, marker), tracking=True)
    deadline = time.monotonic() + 120
    while not marker.exists() and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    folder = next((tmp_path / "runs").iterdir())
    meta = json.loads((folder / "run.json").read_text())
    client = MlflowClient(meta["tracking_uri"])
    assert meta["status"] == "running" and client.get_run(meta["mlflow_run_id"]).info.status == "RUNNING"

    run(synthetic_config("trainer.epochs=1", "tracking.enabled=true"), workdir=tmp_path, progress=False)
    assert client.get_run(meta["mlflow_run_id"]).info.status == "KILLED"
    after = json.loads((folder / "run.json").read_text())
    assert after["status"] == "killed" and "resume it from its last checkpoint" in after["error"]
