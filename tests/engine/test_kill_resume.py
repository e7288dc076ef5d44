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


def _worker(workdir: Path, *extra: str) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.Popen([sys.executable, "-m", "tests.engine.kill_worker", str(workdir), *extra], cwd=ROOT, env=env)


def _mid_epoch_checkpoint(path: Path) -> dict | None:
    if not path.exists():
        return None
    state = torch.load(path, map_location="cpu", weights_only=False)
    return state if state["loop"]["epoch"] >= 1 and state["data_order"]["position"] > 0 else None


def test_sigkill_mid_epoch_then_resume_matches_uninterrupted(tmp_path):
    straight = run(synthetic_config(*KILL_TEST_OVERRIDES), workdir=tmp_path / "a", progress=False)

    proc = _worker(tmp_path / "b")
    deadline = time.monotonic() + 120
    seen = None
    while seen is None and time.monotonic() < deadline and proc.poll() is None:
        last = next((tmp_path / "b" / "runs").glob("*/checkpoints/last.ckpt"), None) if (tmp_path / "b" / "runs").exists() else None
        seen = _mid_epoch_checkpoint(last) if last else None
        if seen is None:
            time.sleep(0.01)
    assert proc.poll() is None, "worker finished before it could be killed; make it slower"
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL

    ckpt_dir = next((tmp_path / "b" / "runs").iterdir()) / "checkpoints"
    killed_at = torch.load(ckpt_dir / "last.ckpt", weights_only=False)
    assert killed_at["loop"]["epoch"] < 5, "killed before the end"

    resumed = _worker(tmp_path / "b", str(ckpt_dir / "last.ckpt"))
    assert resumed.wait(timeout=300) == 0
    assert not list(ckpt_dir.glob(".*.tmp")), "temp files of a killed write are cleaned up on resume"

    a = torch.load(straight.checkpoints["last"], weights_only=False)["model"]
    b = torch.load(ckpt_dir / "last.ckpt", weights_only=False)["model"]
    for key in a:
        assert torch.equal(a[key], b[key]), key
